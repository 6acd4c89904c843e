"""Tabular Q-learning: Watkins' off-policy temporal-difference update and a training loop on a finite MDP."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_bool, as_float_array, as_int, as_real_scalar, check_generator, propagates_nonfinite
from snippets.reinforcement.bellman_equation import _mdp

__all__ = ["q_learning", "q_learning_update"]


# --8<-- [start:q_learning_update]
@propagates_nonfinite
def q_learning_update(
    Q: ArrayLike, s: int, a: int, r: float, s_next: int, done: bool, alpha: float, gamma: float
) -> np.ndarray:
    """One Q-learning step: ``Q[s, a] += alpha (r + gamma max_a' Q[s_next, a'] - Q[s, a])``.

    The target bootstraps from the best action in the next state, whatever action the behaviour
    policy takes there (off-policy). At ``done`` (a terminal state) the target is ``r`` alone:
    nothing follows. A time-limit cut-off is not a terminal: pass ``done=False`` there. Returns a
    new table; ``Q`` is not modified. A table update, not a differentiable layer: no backward.

    Parameters
    ----------
    Q : array_like, shape (S, A)
        Action-value table.
    s, a : int
        State and action of the transition.
    r : float
        Reward received.
    s_next : int
        Next state (ignored when ``done``).
    done : bool
        True if ``s_next`` is terminal.
    alpha : float
        Step size in ``[0, 1]``.
    gamma : float
        Discount factor in ``[0, 1]``.

    Returns
    -------
    ndarray, shape (S, A)
        The updated table, in Q's dtype.

    Examples
    --------
    >>> # target 1 + 0.9 * max(2, 4) = 4.6; Q[0, 1] = 0 + 0.5 * (4.6 - 0) = 2.3
    >>> q_learning_update([[0.0, 0.0], [2.0, 4.0]], 0, 1, 1.0, 1, False, alpha=0.5, gamma=0.9)
    array([[0. , 2.3],
           [2. , 4. ]])
    """
    Q = as_float_array(Q, "Q")
    if Q.ndim != 2 or Q.shape[1] == 0:
        raise ValueError(f"Q must have shape (S, A) with at least one action, got {Q.shape}")
    S, A = Q.shape
    s, a = as_int(s, "s", low=0, high=S - 1), as_int(a, "a", low=0, high=A - 1)
    s_next = as_int(s_next, "s_next", low=0, high=S - 1)
    r_arr = as_float_array(r, "r")
    if r_arr.ndim != 0:
        raise ValueError(f"r must be a scalar reward, got shape {r_arr.shape}")
    done = as_bool(done, "done")
    alpha = as_real_scalar(alpha, "alpha", low=0.0, high=1.0)
    gamma = as_real_scalar(gamma, "gamma", low=0.0, high=1.0)
    dt = Q.dtype.type
    # the TD target: the reward plus the discounted value of the best next action (none at a terminal)
    target = dt(r_arr) if done else dt(r_arr) + dt(gamma) * np.max(Q[s_next])
    new = Q.copy()
    # move Q[s, a] a fraction alpha of the way to the target
    new[s, a] += dt(alpha) * (target - Q[s, a])
    return new
# --8<-- [end:q_learning_update]


# --8<-- [start:q_learning]
@propagates_nonfinite
def q_learning(
    P: ArrayLike,
    R: ArrayLike,
    episodes: int,
    alpha: float,
    gamma: float,
    epsilon: float,
    rng: np.random.Generator | None = None,
    steps: int = 100,
) -> np.ndarray:
    """Learn ``Q`` on a finite MDP by epsilon-greedy episodes of Q-learning updates.

    Each episode starts in a uniformly random state and runs ``steps`` transitions sampled from
    ``P`` with rewards ``R[s, a]``, acting epsilon-greedily on the current table (as
    :func:`epsilon_greedy`) and updating it as :func:`q_learning_update` does (inlined: one table,
    updated in place, no checks per step). The MDP has no terminal flags: an episode is cut
    after ``steps`` transitions and never treated as terminal (make a terminal state absorbing
    with reward 0). With every state-action pair visited infinitely often and suitable step sizes
    the table converges to ``Q* = R + gamma P V*`` (Watkins & Dayan 1992); on a deterministic MDP a
    constant ``alpha`` suffices.

    Parameters
    ----------
    P : array_like, shape (S, A, S)
        Transition probabilities, as in :func:`value_iteration`.
    R : array_like, shape (S, A)
        Rewards.
    episodes : int
        Number of episodes, >= 0.
    alpha : float
        Step size in ``[0, 1]``.
    gamma : float
        Discount factor in ``[0, 1)``.
    epsilon : float
        Exploration rate in ``[0, 1]``.
    rng : numpy.random.Generator, optional
        Source of randomness (a fresh unseeded generator if None).
    steps : int, default 100
        Transitions per episode, >= 1.

    Returns
    -------
    ndarray, shape (S, A)
        The learned table (from zeros), in the dtype of P and R.

    Examples
    --------
    >>> # one state, one action, reward 1: Q* = 1 / (1 - 0.5) = 2; alpha 1 makes each update
    >>> # Q <- 1 + 0.5 Q: after 60 updates Q = 2 - 2^-59, which prints as 2
    >>> q_learning([[[1.0]]], [[1.0]], 3, alpha=1.0, gamma=0.5, epsilon=0.1, rng=np.random.default_rng(0), steps=20)
    array([[2.]])
    """
    P, R, gamma, _ = _mdp(P, R, gamma, 1.0)
    episodes = as_int(episodes, "episodes", low=0)
    steps = as_int(steps, "steps", low=1)
    alpha = as_real_scalar(alpha, "alpha", low=0.0, high=1.0)
    epsilon = as_real_scalar(epsilon, "epsilon", low=0.0, high=1.0)
    rng = np.random.default_rng() if rng is None else check_generator(rng)
    S, A = R.shape
    dt = R.dtype.type
    Q = np.zeros((S, A), dtype=R.dtype)
    cumulative = np.cumsum(P, axis=2)
    for _ in range(episodes):
        s = int(rng.integers(S))
        # the episode's random numbers, drawn at once: explore?, random action, next-state draw
        explore, random_action, u = rng.random(steps) < epsilon, rng.integers(0, A, steps), rng.random(steps)
        for t in range(steps):
            # epsilon-greedy behaviour (as epsilon_greedy): ties to the lowest index
            a = int(random_action[t]) if explore[t] else int(np.argmax(Q[s]))
            # sample the next state from P[s, a] by inverting its cumulative distribution
            s_next = min(int(np.searchsorted(cumulative[s, a], u[t], side="right")), S - 1)
            # the q_learning_update step, in place on the learner's own table
            Q[s, a] += dt(alpha) * (R[s, a] + dt(gamma) * np.max(Q[s_next]) - Q[s, a])
            s = s_next
    return Q
# --8<-- [end:q_learning]
