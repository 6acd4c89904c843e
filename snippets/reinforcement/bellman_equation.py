"""The Bellman equation of a finite MDP: policy evaluation and value iteration by repeated backups."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_probabilities, as_real_scalar, check_shape, propagates_nonfinite

__all__ = ["policy_evaluation", "value_iteration"]


def _rows_sum_to_one(p: np.ndarray, name: str) -> None:
    """Raise ``ValueError`` unless every distribution along the last axis of ``p`` sums to 1."""
    total = p.sum(axis=-1)
    # the sum of n probabilities is exact to about n ulps
    bad = ~(np.abs(total - 1) <= 4 * (p.shape[-1] + 1) * np.finfo(p.dtype).eps)
    if np.any(bad):
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name} must hold probability distributions along its last axis: "
                         f"{name}[{', '.join(map(str, where))}] sums to {total[where]}")


def _mdp(P: ArrayLike, R: ArrayLike, gamma: float, tol: float) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Checked ``P`` (S, A, S) and ``R`` (S, A), in one dtype, and the hyperparameters."""
    P = as_probabilities(P, "P")
    if P.ndim != 3 or P.shape[0] != P.shape[2]:
        raise ValueError(f"P must have shape (S, A, S) (P[s, a, s'] = Pr(s' | s, a)), got {P.shape}")
    if P.shape[0] and not P.shape[1]:
        raise ValueError(f"P must have at least one action, got shape {P.shape}")
    _rows_sum_to_one(P, "P")
    R = as_float_array(R, "R")
    check_shape(R, P.shape[:2], "R", "(S, A)", f"P of shape {P.shape}")
    if not np.all(np.isfinite(R)):
        raise ValueError(f"R must be finite, found {R[~np.isfinite(R)].ravel()[0]} at {tuple(int(i) for i in np.argwhere(~np.isfinite(R))[0])}")
    gamma = as_real_scalar(gamma, "gamma", low=0.0, high=1.0, high_open=True)
    tol = as_real_scalar(tol, "tol", low=0.0, low_open=True)
    dtype = np.result_type(P.dtype, R.dtype)
    return P.astype(dtype, copy=False), R.astype(dtype, copy=False), gamma, tol


def _iterate(backup, V: np.ndarray, tol: float, S: int, gamma: float) -> tuple[np.ndarray, float]:
    """Apply ``backup`` until V changes by at most ``tol``, or by rounding noise only."""
    eps = np.finfo(V.dtype).eps
    # sweeps that shrink an error of rounding size by a factor eps: enough once in the noise
    patience = 1 + (int(np.ceil(np.log(eps) / np.log(gamma))) if gamma > 0 else 0)
    noisy = 0
    while True:
        V_new = backup(V)
        diff = float(np.max(np.abs(V_new - V), initial=0.0))
        V = V_new
        if not diff > tol:  # converged (a NaN or an overflow ends the sweeps too)
            return V, diff
        # a backup sums S + 2 rounded terms: changes of that many ulps of |V| may be rounding
        # alone, which tol may never see end; the error still shrinks by gamma per sweep
        if diff <= 4 * (S + 2) * eps * float(np.max(np.abs(V), initial=0.0)):
            noisy += 1
            if noisy > patience:
                return V, diff


# --8<-- [start:policy_evaluation]
@propagates_nonfinite
def policy_evaluation(P: ArrayLike, R: ArrayLike, policy: ArrayLike, gamma: float, tol: float = 1e-10) -> np.ndarray:
    """The state values of a policy: the fixed point of ``V = R_pi + gamma P_pi V``, by iteration.

    Iterative policy evaluation (Sutton & Barto §4.1), synchronous: every sweep backs up all
    states from the previous sweep's values, starting from ``V = 0``. It stops when a sweep
    changes no value by more than ``tol``; V is then within ``gamma tol / (1 - gamma)`` of the
    exact solution of the linear system ``(I - gamma P_pi) V = R_pi``. A dynamic-programming
    solver, not a layer: no backward.

    Parameters
    ----------
    P : array_like, shape (S, A, S)
        ``P[s, a, s']``, the probability of moving to ``s'`` after action ``a`` in state ``s``.
    R : array_like, shape (S, A)
        Expected immediate reward of action ``a`` in state ``s`` (for rewards ``r(s, a, s')``,
        pass ``(P * r).sum(axis=2)``).
    policy : array_like, shape (S, A)
        ``policy[s, a]``, the probability of action ``a`` in state ``s`` (rows sum to 1).
    gamma : float
        Discount factor in ``[0, 1)``.
    tol : float, default 1e-10
        Stop when the largest change of a sweep is at most ``tol`` (> 0).

    Returns
    -------
    ndarray, shape (S,)
        ``V_pi(s)``, in the dtype of P and R.

    Examples
    --------
    >>> # one state, one action, reward 1 forever: V = 1 + 0.5 V, so V = 2
    >>> policy_evaluation([[[1.0]]], [[1.0]], [[1.0]], 0.5)
    array([2.])
    """
    P, R, gamma, tol = _mdp(P, R, gamma, tol)
    pi = as_probabilities(policy, "policy")
    check_shape(pi, R.shape, "policy", "(S, A)", f"P of shape {P.shape}")
    _rows_sum_to_one(pi, "policy")
    pi = pi.astype(R.dtype, copy=False)
    dt = R.dtype.type
    # average the model over the policy's actions: R_pi (S,), P_pi (S, S)
    R_pi = np.sum(pi * R, axis=1)
    P_pi = np.einsum("sa,sat->st", pi, P)
    # V <- R_pi + gamma P_pi V, a contraction with factor gamma
    V, _ = _iterate(lambda V: R_pi + dt(gamma) * (P_pi @ V), np.zeros(R.shape[0], R.dtype), tol, R.shape[0], gamma)
    return V
# --8<-- [end:policy_evaluation]


# --8<-- [start:value_iteration]
@propagates_nonfinite
def value_iteration(P: ArrayLike, R: ArrayLike, gamma: float, tol: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
    """The optimal state values and a greedy optimal policy: ``V = max_a (R + gamma P V)`` by iteration.

    Synchronous value iteration (Bellman 1957; Sutton & Barto §4.4) from ``V = 0``. It stops
    when a sweep changes no value by more than ``tol``: V is then within ``gamma tol / (1 - gamma)``
    of V*. The policy is greedy with respect to the final V, ``argmax_a R[s, a] + gamma P[s, a] V``;
    actions whose values differ by less than that accuracy (or by rounding alone) count as tied,
    and ties go to the lowest action index, as ``numpy.argmax``. A dynamic-programming solver:
    no backward.

    Parameters
    ----------
    P : array_like, shape (S, A, S)
        ``P[s, a, s']``, the probability of moving to ``s'`` after action ``a`` in state ``s``.
    R : array_like, shape (S, A)
        Expected immediate reward of action ``a`` in state ``s``.
    gamma : float
        Discount factor in ``[0, 1)``.
    tol : float, default 1e-10
        Stop when the largest change of a sweep is at most ``tol`` (> 0).

    Returns
    -------
    V : ndarray, shape (S,)
        ``V*(s)``, in the dtype of P and R.
    policy : ndarray of int64, shape (S,)
        The greedy action of every state.

    Examples
    --------
    >>> # state 0: action 0 stays (reward 0), action 1 moves to state 1 (reward 1);
    >>> # state 1 is absorbing with reward 2 per step: V(1) = 2 / (1 - 0.5) = 4,
    >>> # V(0) = max(0 + 0.5 V(0), 1 + 0.5 * 4) = 3, reached by action 1
    >>> P = [[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]]
    >>> V, policy = value_iteration(P, [[0.0, 1.0], [2.0, 2.0]], 0.5)
    >>> V, policy
    (array([3., 4.]), array([1, 0]))
    """
    P, R, gamma, tol = _mdp(P, R, gamma, tol)
    dt = R.dtype.type
    S = R.shape[0]
    # the Bellman optimality backup: Q = R + gamma P V, then the best action's value
    V, diff = _iterate(lambda V: np.max(R + dt(gamma) * (P @ V), axis=1), np.zeros(S, R.dtype), tol, S, gamma)
    Q = R + dt(gamma) * (P @ V)
    # Q is known to 2 gamma |V - V*| <= 2 gamma^2 diff / (1 - gamma), plus rounding: closer is a tie
    slack = 2 * gamma**2 * diff / (1 - gamma) + 4 * (S + 2) * np.finfo(R.dtype).eps * float(np.max(np.abs(Q), initial=0.0))
    policy = np.argmax(Q >= np.max(Q, axis=1, keepdims=True) - slack, axis=1).astype(np.int64)
    return V, policy
# --8<-- [end:value_iteration]
