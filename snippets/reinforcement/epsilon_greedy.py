"""Epsilon-greedy exploration: act greedily on the value estimates, at random a fraction epsilon of the time."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_int, as_real_scalar, check_generator, propagates_nonfinite

__all__ = ["epsilon_greedy", "epsilon_greedy_probs", "linear_epsilon_decay"]


def _q(q_values: ArrayLike) -> np.ndarray:
    q = as_float_array(q_values, "q_values")
    if q.ndim == 0 or q.shape[-1] == 0:
        raise ValueError(f"q_values must have at least one action along its last axis, got shape {q.shape}")
    return q


# --8<-- [start:epsilon_greedy_probs]
@propagates_nonfinite
def epsilon_greedy_probs(q_values: ArrayLike, epsilon: float) -> np.ndarray:
    """The action probabilities of the epsilon-greedy policy: ``epsilon / A + (1 - epsilon) [a = argmax q]``.

    The random action is drawn from all ``A`` actions, the greedy one included, so the greedy
    action has probability ``1 - epsilon + epsilon / A``. Ties go to the lowest index, as
    ``numpy.argmax``. A row holding NaN gives NaN probabilities.

    Parameters
    ----------
    q_values : array_like, shape (*, A)
        Action values of one state or a batch of states.
    epsilon : float
        Exploration rate in ``[0, 1]``.

    Returns
    -------
    ndarray, shape (*, A)
        Rows sum to 1, in q_values' dtype.

    Examples
    --------
    >>> # 4 actions, epsilon 0.2: 0.2 / 4 = 0.05 each, plus 0.8 for the greedy action 2
    >>> epsilon_greedy_probs([1.0, 0.0, 3.0, 2.0], 0.2)
    array([0.05, 0.05, 0.85, 0.05])
    """
    q = _q(q_values)
    eps = as_real_scalar(epsilon, "epsilon", low=0.0, high=1.0)
    dt = q.dtype.type
    A = q.shape[-1]
    # uniform mass epsilon / A everywhere, the rest on the (first) greedy action
    greedy = np.arange(A) == np.argmax(q, axis=-1)[..., None]
    probs = np.where(greedy, dt(1 - eps + eps / A), dt(eps / A))
    return np.where(np.isnan(q).any(axis=-1, keepdims=True), dt(np.nan), probs)
# --8<-- [end:epsilon_greedy_probs]


# --8<-- [start:epsilon_greedy]
@propagates_nonfinite
def epsilon_greedy(q_values: ArrayLike, epsilon: float, rng: np.random.Generator | None = None) -> np.ndarray:
    """Sample actions from the epsilon-greedy policy: greedy with probability ``1 - epsilon``, else uniform.

    With probability ``epsilon`` the action is uniform over all ``A`` actions (possibly the greedy
    one), otherwise ``argmax q`` with ties to the lowest index; the probabilities are
    :func:`epsilon_greedy_probs`. Sampling, not a differentiable function: no backward.

    Parameters
    ----------
    q_values : array_like, shape (*, A)
        Action values of one state or a batch of states (NaN is refused: no action is greedy).
    epsilon : float
        Exploration rate in ``[0, 1]``.
    rng : numpy.random.Generator, optional
        Source of randomness (a fresh unseeded generator if None).

    Returns
    -------
    ndarray of int64, shape (*)
        One action per state.

    Examples
    --------
    >>> # epsilon 0: always the greedy action, 2 in the first state, 0 in the second
    >>> epsilon_greedy([[1.0, 0.0, 3.0], [5.0, 5.0, 1.0]], 0.0, rng=np.random.default_rng(0))
    array([2, 0])
    """
    q = _q(q_values)
    eps = as_real_scalar(epsilon, "epsilon", low=0.0, high=1.0)
    rng = np.random.default_rng() if rng is None else check_generator(rng)
    if np.isnan(q).any():
        raise ValueError(f"q_values must not hold NaN (no action is greedy), found one at {tuple(int(i) for i in np.argwhere(np.isnan(q))[0])}")
    shape = q.shape[:-1]
    # explore with probability epsilon: a uniform action; otherwise the greedy one
    explore = rng.random(shape) < eps
    random_actions = rng.integers(0, q.shape[-1], size=shape)
    return np.where(explore, random_actions, np.argmax(q, axis=-1)).astype(np.int64)
# --8<-- [end:epsilon_greedy]


# --8<-- [start:linear_epsilon_decay]
@propagates_nonfinite
def linear_epsilon_decay(step: ArrayLike, start: float, end: float, decay_steps: int) -> np.ndarray | np.floating:
    """Epsilon at a training step: from ``start`` down (or up) to ``end`` linearly over ``decay_steps``, then ``end``.

    ``start + (end - start) * min(step / decay_steps, 1)``: DQN's schedule (1.0 to 0.1 over the first
    million frames in Mnih et al. 2015), Stable Baselines3's ``exploration_initial_eps`` ->
    ``exploration_final_eps`` over ``exploration_fraction`` of training.

    Parameters
    ----------
    step : array_like, shape (*)
        Training step(s), >= 0 (an infinite step gives ``end``).
    start, end : float
        Epsilon at step 0 and from ``decay_steps`` on, in ``[0, 1]``.
    decay_steps : int
        Length of the ramp, >= 1.

    Returns
    -------
    numpy float64 scalar or ndarray, shape (*)

    Examples
    --------
    >>> # from 1.0 to 0.1 over 100 steps: halfway 1 - 0.9 * 0.5 = 0.55, then 0.1 for good
    >>> linear_epsilon_decay(np.array([0, 50, 100, 1000]), 1.0, 0.1, 100)
    array([1.  , 0.55, 0.1 , 0.1 ])
    """
    t = as_float_array(step, "step").astype(np.float64, copy=False)
    if np.any(t < 0):
        raise ValueError(f"step must be >= 0, got {t[t < 0].ravel()[0]}")
    start = as_real_scalar(start, "start", low=0.0, high=1.0)
    end = as_real_scalar(end, "end", low=0.0, high=1.0)
    n = as_int(decay_steps, "decay_steps", low=1)
    # the fraction of the ramp done, capped at 1; after the ramp exactly end
    frac = np.minimum(t / n, 1.0)
    out = np.where(frac >= 1.0, end, start + (end - start) * frac)
    return out[()] if out.ndim == 0 else out
# --8<-- [end:linear_epsilon_decay]
