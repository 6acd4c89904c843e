"""The policy gradient: the REINFORCE loss, its exact form for a tabular softmax policy, and GAE."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import (
    as_class_indices,
    as_float_array,
    as_grad_out,
    as_real_scalar,
    check_same_shape,
    check_shape,
    propagates_nonfinite,
)
from snippets.activations.softmax import softmax
from snippets.reinforcement.discounted_return import _reverse_filter

__all__ = ["gae", "reinforce_loss", "reinforce_loss_backward", "softmax_policy_gradient"]


def _weights(log_probs: ArrayLike, returns: ArrayLike, baseline: ArrayLike | None) -> tuple[np.ndarray, np.ndarray]:
    """Checked ``log_probs`` and the weights ``returns - baseline`` in its dtype."""
    logp = as_float_array(log_probs, "log_probs")
    G = as_float_array(returns, "returns")
    check_same_shape(logp, G, "log_probs", "returns")
    if logp.size == 0:
        raise ValueError(f"log_probs must not be empty: the loss is a mean over its {logp.shape} elements")
    w = G.astype(logp.dtype, copy=False)
    if baseline is not None:
        b = as_float_array(baseline, "baseline")
        if b.ndim:
            check_same_shape(G, b, "returns", "baseline")
        w = w - b.astype(logp.dtype, copy=False)
    return logp, w


# --8<-- [start:reinforce_loss]
@propagates_nonfinite
def reinforce_loss(log_probs: ArrayLike, returns: ArrayLike, baseline: ArrayLike | None = None) -> np.floating:
    """The REINFORCE surrogate loss ``-mean((G - b) * log pi(a | s))``.

    Its gradient with respect to the policy's parameters is minus Williams' likelihood-ratio
    estimate of the gradient of the expected return: minimising it by gradient descent ascends the
    return. ``returns`` and ``baseline`` are weights, constants of the loss (detached, in PyTorch
    terms): no gradient flows into them. A mean over all elements (as Spinning Up's ``-(logp *
    weights).mean()``), not a sum over the steps of an episode.

    Parameters
    ----------
    log_probs : array_like, shape (*)
        ``log pi(a_t | s_t)`` of the actions taken.
    returns : array_like, shape (*)
        The weight of each step: its return ``G_t`` (reward-to-go) or an advantage estimate.
    baseline : array_like, shape (*) or scalar, optional
        Subtracted from the returns, e.g. a value estimate ``V(s_t)``; reduces variance, keeps the
        expectation.

    Returns
    -------
    numpy scalar
        The loss, in the dtype of ``log_probs``.

    Examples
    --------
    >>> # weights 2 - 1 = 1 and 0 - 1 = -1: -(1 * log 0.5 + (-1) * log 0.25) / 2 = -(-0.693 + 1.386) / 2
    >>> round(float(reinforce_loss([np.log(0.5), np.log(0.25)], [2.0, 0.0], baseline=1.0)), 4)
    -0.3466
    """
    logp, w = _weights(log_probs, returns, baseline)
    # the score-function surrogate: weights held constant, averaged over the samples
    return -np.mean(w * logp)
# --8<-- [end:reinforce_loss]


# --8<-- [start:reinforce_loss_backward]
@propagates_nonfinite
def reinforce_loss_backward(
    grad_out: ArrayLike, log_probs: ArrayLike, returns: ArrayLike, baseline: ArrayLike | None = None
) -> np.ndarray:
    """Gradient of :func:`reinforce_loss` with respect to ``log_probs``: ``-grad_out * (G - b) / N``.

    Chained through ``d log pi / d theta`` it gives the (negated) policy-gradient estimate.

    Parameters
    ----------
    grad_out : array_like, shape ()
        Gradient of the objective with respect to the loss.
    log_probs, returns, baseline
        As in :func:`reinforce_loss`.

    Returns
    -------
    ndarray, shape (*)

    Examples
    --------
    >>> reinforce_loss_backward(1.0, [np.log(0.5), np.log(0.25)], [2.0, 0.0], baseline=1.0)
    array([-0.5,  0.5])
    """
    logp, w = _weights(log_probs, returns, baseline)
    g = as_grad_out(grad_out, (), logp.dtype)
    return -g * w / logp.dtype.type(logp.size)
# --8<-- [end:reinforce_loss_backward]


# --8<-- [start:softmax_policy_gradient]
@propagates_nonfinite
def softmax_policy_gradient(theta: ArrayLike, states: ArrayLike, actions: ArrayLike, returns: ArrayLike) -> np.ndarray:
    """The REINFORCE estimate of the policy gradient for a tabular softmax policy.

    The policy is ``pi(. | s) = softmax(theta[s])``; for one sample ``d log pi(a | s) / d theta[s]
    = onehot(a) - pi(. | s)`` and zero for the other states. The estimate is the mean over the
    samples of ``G_i * d log pi(a_i | s_i) / d theta``: the gradient of the expected return, for
    ascent (``theta += lr * g``), and exactly minus the gradient of :func:`reinforce_loss` through
    ``log_softmax``. It is a gradient already: no backward.

    Parameters
    ----------
    theta : array_like, shape (S, A)
        Action preferences (logits) of every state.
    states, actions : array_like of int, shape (N,)
        The state and the action of each sample.
    returns : array_like, shape (N,)
        The weight of each sample (return, or return minus a baseline, or an advantage).

    Returns
    -------
    ndarray, shape (S, A)
        In theta's dtype.

    Examples
    --------
    >>> # one state, equal preferences: pi = (0.5, 0.5); action 0 with return 2:
    >>> # 2 * ((1, 0) - (0.5, 0.5)) = (1, -1)
    >>> softmax_policy_gradient([[0.0, 0.0]], [0], [0], [2.0])
    array([[ 1., -1.]])
    """
    theta = as_float_array(theta, "theta")
    if theta.ndim != 2:
        raise ValueError(f"theta must have shape (S, A), got {theta.shape}")
    s = as_class_indices(states, theta.shape[0], "states")
    a = as_class_indices(actions, theta.shape[1], "actions")
    G = as_float_array(returns, "returns")
    if s.ndim != 1:
        raise ValueError(f"states must have shape (N,), got {s.shape}")
    check_shape(a, s.shape, "actions", "(N,)", f"states of shape {s.shape}")
    check_shape(G, s.shape, "returns", "(N,)", f"states of shape {s.shape}")
    if s.size == 0:
        raise ValueError("states must not be empty: the estimate is a mean over the samples")
    dt = theta.dtype.type
    # score of each sample: onehot(a) - pi(. | s)
    score = -softmax(theta[s], axis=-1)
    score[np.arange(s.size), a] += dt(1)
    grad = np.zeros_like(theta)
    # weight by the return and add each sample into its state's row
    np.add.at(grad, s, G.astype(theta.dtype, copy=False)[:, None] * score)
    return grad / dt(s.size)
# --8<-- [end:softmax_policy_gradient]


# --8<-- [start:gae]
@propagates_nonfinite
def gae(rewards: ArrayLike, values: ArrayLike, gamma: float, lam: float) -> np.ndarray:
    """Generalized advantage estimation: ``A_t = sum_k (gamma lam)^k delta_{t+k}``.

    With the TD residuals ``delta_t = r_t + gamma V(s_{t+1}) - V(s_t)``, ``A_t = delta_t + gamma lam
    A_{t+1}`` backward from the end of the segment (Schulman et al. 2016). ``values`` holds one more
    entry than ``rewards``: ``values[T]`` bootstraps the state after the last step; pass 0 there
    when the episode terminated, ``V(s_T)`` when it was cut off. ``lam = 0`` gives the TD residual,
    ``lam = 1`` the discounted return (bootstrapped by ``values[T]``) minus ``values[:T]``. The
    advantages are weights, held constant by the losses that use them: no backward.

    Parameters
    ----------
    rewards : array_like, shape (T, *)
        Reward of each step of one trajectory segment along axis 0 (further axes: environments).
    values : array_like, shape (T + 1, *)
        Value estimates ``V(s_0), ..., V(s_T)``.
    gamma : float
        Discount factor in ``[0, 1]``.
    lam : float
        GAE's lambda in ``[0, 1]``: bias (0) against variance (1).

    Returns
    -------
    ndarray, shape (T, *)
        The advantage of every step, in the dtype of ``rewards`` and ``values``.

    Examples
    --------
    >>> # gamma 1, lam 0.5: delta = (1 + 1 - 0, 0 + 0 - 1) = (2, -1); A_1 = -1, A_0 = 2 + 0.5 * (-1)
    >>> gae([1.0, 0.0], [0.0, 1.0, 0.0], gamma=1.0, lam=0.5)
    array([ 1.5, -1. ])
    """
    r = as_float_array(rewards, "rewards")
    v = as_float_array(values, "values")
    if r.ndim == 0:
        raise ValueError("rewards must have at least one axis (the time steps along axis 0), got a scalar")
    check_shape(v, (r.shape[0] + 1, *r.shape[1:]), "values", "(T + 1, *)", f"rewards of shape {r.shape}")
    gamma = as_real_scalar(gamma, "gamma", low=0.0, high=1.0)
    lam = as_real_scalar(lam, "lam", low=0.0, high=1.0)
    dtype = np.result_type(r.dtype, v.dtype)
    r, v = r.astype(dtype, copy=False), v.astype(dtype, copy=False)
    # the TD residuals, then their (gamma lam)-discounted sums, backward in time
    delta = r + dtype.type(gamma) * v[1:] - v[:-1]
    return _reverse_filter(delta, gamma * lam, None)
# --8<-- [end:gae]
