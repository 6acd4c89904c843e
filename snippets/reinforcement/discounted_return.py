"""The discounted return: the reward-to-go G_t of every step of a trajectory, with episode ends."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_labels, as_real_scalar, check_same_shape, propagates_nonfinite

__all__ = ["discounted_returns"]

_ENTRIES = 1 << 18  # numbers in one block's (B, B, N) episode mask: B shrinks as the batch N grows


def _as_dones(dones: ArrayLike | None, like: np.ndarray, like_name: str) -> np.ndarray | None:
    """``dones`` as a bool array of ``like``'s shape (True: the episode ends after that step)."""
    if dones is None:
        return None
    d = as_labels(dones, "dones")
    check_same_shape(like, d, like_name, "dones")
    if d.size and not np.all((d == 0) | (d == 1)):
        raise ValueError(f"dones must hold 0/1 or booleans, found {d[(d != 0) & (d != 1)].ravel()[0]}")
    return d.astype(bool)


def _reverse_filter(x: np.ndarray, factor: float, done: np.ndarray | None) -> np.ndarray:
    """``y_t = x_t + factor * y_{t+1}`` along axis 0, backward from ``y_T = 0``, with ``y_t = x_t``
    wherever ``done[t]``.

    Inside a block of B steps the recurrence is the upper-triangular matrix ``factor^(k - t)``
    (entries <= 1: nothing overflows), masked to the pairs (t, k) of one episode; the next block's
    first value enters as ``factor^(B - t)`` when no episode ends in between. A loop over blocks,
    not over steps.
    """
    dt = x.dtype.type
    T = x.shape[0]
    flat = x.reshape(T, int(np.prod(x.shape[1:])))
    N = flat.shape[1]
    cont = None if done is None else ~done.reshape(T, N)
    out = np.empty_like(flat)
    if not np.all(np.isfinite(flat)):
        # NaN or inf: the matrix's zeros would carry it into other steps and episodes (0 * inf is
        # NaN), so take the recurrence step by step; a weight that is exactly 0 contributes 0
        carry = np.zeros(N, dtype=x.dtype)
        for t in range(T - 1, -1, -1):
            keep = (cont[t] if cont is not None else True) & (factor != 0)
            carry = flat[t] + np.where(keep, dt(factor) * carry, dt(0))
            out[t] = carry
        return out.reshape(x.shape)
    B = max(8, min(128, _ENTRIES // max(N, 1))) if cont is not None else 128
    k = np.arange(min(T, B), dtype=x.dtype)
    lag = k[None, :] - k[:, None]
    # factor^(k - t) on and above the diagonal, 0 below it (0^0 = 1 keeps factor = 0 exact)
    weights = np.where(lag >= 0, np.power(dt(factor), np.maximum(lag, 0)), dt(0))
    # episode index of each step: the number of episode ends strictly before it
    episode = None if cont is None else np.cumsum(~cont, axis=0) - ~cont
    carry = np.zeros(N, dtype=x.dtype)
    for start in range(((T - 1) // B) * B, -1, -B):
        n = min(B, T - start)
        powers = np.power(dt(factor), n - k[:n])[:, None]          # factor^(n - t): reach of the carry
        if episode is None:
            block = weights[:n, :n] @ flat[start:start + n] + powers * carry
        else:
            ep = episode[start:start + n]
            same = ep[:, None, :] == ep[None, :, :]                # (t, k, column): one episode
            block = np.einsum("tkn,kn->tn", np.where(same, weights[:n, :n, None], dt(0)), flat[start:start + n])
            if start + n < T:
                # the carry reaches t only when no episode ends in [t, start + n)
                block += np.where(ep == episode[start + n], powers, dt(0)) * carry
        out[start:start + n] = block
        carry = block[0]
    return out.reshape(x.shape)


# --8<-- [start:discounted_returns]
@propagates_nonfinite
def discounted_returns(rewards: ArrayLike, gamma: float, dones: ArrayLike | None = None) -> np.ndarray:
    """The discounted return (reward-to-go) of every step: ``G_t = r_t + gamma * G_{t+1}``.

    Computed backward from ``G_T = 0`` after the last step, so the last step's return is its
    reward: no value bootstraps a cut-off trajectory (add ``gamma^(T - t) V(s_T)`` yourself, or
    use :func:`gae`). A done at step t ends the episode: ``G_t = r_t``, and nothing after t
    reaches steps up to t. ``rewards[t]`` is the reward received after the action at step t
    (Sutton & Barto's ``R_{t+1}``). Without dones this is
    ``scipy.signal.lfilter([1], [1, -gamma], rewards[::-1])[::-1]``. A sum of rewards, not a
    loss: no backward (the returns are targets, held constant by the losses that use them).

    Parameters
    ----------
    rewards : array_like, shape (T, *)
        Reward of each step along axis 0; further axes are independent environments.
    gamma : float
        Discount factor in ``[0, 1]`` (1: the undiscounted sum to the episode's end).
    dones : array_like of bool or 0/1, shape (T, *), optional
        True where the episode ends after the step (terminated or truncated alike).

    Returns
    -------
    ndarray, shape (T, *)
        ``G_t`` for every step, in the rewards' dtype.

    Examples
    --------
    >>> # gamma 0.5 on 1, 2, 4: G_2 = 4, G_1 = 2 + 0.5 * 4 = 4, G_0 = 1 + 0.5 * 4 = 3
    >>> discounted_returns([1.0, 2.0, 4.0], 0.5)
    array([3., 4., 4.])
    >>> # a done after step 1: G_1 = 2 alone, G_0 = 1 + 0.5 * 2 = 2; a new episode starts at step 2
    >>> discounted_returns([1.0, 2.0, 4.0], 0.5, dones=[False, True, False])
    array([2., 2., 4.])
    """
    r = as_float_array(rewards, "rewards")
    if r.ndim == 0:
        raise ValueError("rewards must have at least one axis (the time steps along axis 0), got a scalar")
    gamma = as_real_scalar(gamma, "gamma", low=0.0, high=1.0)
    done = _as_dones(dones, r, "rewards")
    # G_t = sum over k >= t in t's episode of gamma^(k - t) r_k: a filter run backward in time
    return _reverse_filter(r, gamma, done)
# --8<-- [end:discounted_returns]
