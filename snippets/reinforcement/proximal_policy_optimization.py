"""Proximal policy optimization: the clipped surrogate loss and the approximate KL that monitors it."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, as_real_scalar, check_same_shape, propagates_nonfinite

__all__ = ["approx_kl", "ppo_clip_loss", "ppo_clip_loss_backward"]


def _log_ratio(logp_new: ArrayLike, logp_old: ArrayLike) -> np.ndarray:
    """Checked ``logp_new - logp_old`` in logp_new's dtype (a mean over it must not be empty)."""
    new = as_float_array(logp_new, "logp_new")
    old = as_float_array(logp_old, "logp_old")
    check_same_shape(new, old, "logp_new", "logp_old")
    if new.size == 0:
        raise ValueError(f"logp_new must not be empty: the result is a mean over its {new.shape} elements")
    return new - old.astype(new.dtype, copy=False)


def _ratio(log_ratio: np.ndarray) -> np.ndarray:
    """``exp(log_ratio)``; beyond exp's range the ratio itself overflows: +inf, as torch.exp."""
    with np.errstate(over="ignore"):
        return np.exp(log_ratio)


def _surrogates(logp_new, logp_old, advantages, clip_eps):
    log_ratio = _log_ratio(logp_new, logp_old)
    A = as_float_array(advantages, "advantages")
    check_same_shape(log_ratio, A, "logp_new", "advantages")
    A = A.astype(log_ratio.dtype, copy=False)
    eps = as_real_scalar(clip_eps, "clip_eps", low=0.0, high=1.0)
    dt = log_ratio.dtype.type
    r = _ratio(log_ratio)
    # an advantage of exactly 0 contributes 0, also where the ratio overflowed (torch: 0 * inf = NaN)
    unclipped = np.multiply(r, A, out=np.zeros_like(r), where=A != 0)
    clipped = np.clip(r, dt(1 - eps), dt(1 + eps)) * A
    return r, A, unclipped, clipped


# --8<-- [start:ppo_clip_loss]
@propagates_nonfinite
def ppo_clip_loss(logp_new: ArrayLike, logp_old: ArrayLike, advantages: ArrayLike, clip_eps: float = 0.2) -> np.floating:
    """PPO's clipped surrogate loss ``-mean(min(r A, clip(r, 1 - eps, 1 + eps) A))``, ``r = exp(logp_new - logp_old)``.

    The minimum makes the objective pessimistic: once the ratio has moved past ``1 + eps`` (for a
    positive advantage) or below ``1 - eps`` (negative advantage), the sample's gradient is zero;
    moves that make the objective worse are never clipped. A mean over all elements, as in Stable
    Baselines3 and CleanRL. A ratio beyond exp's range (log-ratio above ~88 in float32, ~709 in
    float64) overflows, and so does the loss where a negative advantage selects it: +inf, as torch.

    Parameters
    ----------
    logp_new : array_like, shape (*)
        ``log pi_theta(a | s)`` of the sampled actions under the policy being optimised.
    logp_old : array_like, shape (*)
        Their log-probabilities under the policy that collected the data (a constant).
    advantages : array_like, shape (*)
        Advantage estimates (a constant, e.g. :func:`gae`, often standardised per batch).
    clip_eps : float, default 0.2
        The clip range epsilon, in ``[0, 1]``.

    Returns
    -------
    numpy scalar
        The loss, in logp_new's dtype.

    Examples
    --------
    >>> # ratios e^0 = 1 (A = 2: min(2, 2) = 2) and e^(ln 2) = 2 (A = 1: min(2, 1.2) = 1.2): -(2 + 1.2) / 2
    >>> round(float(ppo_clip_loss([0.0, np.log(2.0)], [0.0, 0.0], [2.0, 1.0])), 6)
    -1.6
    """
    _, _, unclipped, clipped = _surrogates(logp_new, logp_old, advantages, clip_eps)
    # the pessimistic bound: the smaller of the two surrogates, averaged
    return -np.mean(np.minimum(unclipped, clipped))
# --8<-- [end:ppo_clip_loss]


# --8<-- [start:ppo_clip_loss_backward]
@propagates_nonfinite
def ppo_clip_loss_backward(
    grad_out: ArrayLike, logp_new: ArrayLike, logp_old: ArrayLike, advantages: ArrayLike, clip_eps: float = 0.2
) -> np.ndarray:
    """Gradient of :func:`ppo_clip_loss` with respect to ``logp_new``: ``-grad_out r A / N`` where the
    unclipped term is the minimum (ties included), 0 where the clipped one is.

    ``d r / d logp_new = r``. This is what autograd gives for ``-torch.minimum(r * A,
    torch.clamp(r, 1 - eps, 1 + eps) * A).mean()``: at a tie (the ratio inside or on the clip range)
    torch splits the gradient between two terms whose gradients are then equal.

    Parameters
    ----------
    grad_out : array_like, shape ()
        Gradient of the objective with respect to the loss.
    logp_new, logp_old, advantages, clip_eps
        As in :func:`ppo_clip_loss`.

    Returns
    -------
    ndarray, shape (*)

    Examples
    --------
    >>> # the first sample is inside the range: -1 * 2 / 2 = -1; the second is clipped: 0
    >>> ppo_clip_loss_backward(1.0, [0.0, np.log(2.0)], [0.0, 0.0], [2.0, 1.0])
    array([-1.,  0.])
    """
    r, A, unclipped, clipped = _surrogates(logp_new, logp_old, advantages, clip_eps)
    g = as_grad_out(grad_out, (), r.dtype)
    # d(r A)/d logp_new = r A where the unclipped surrogate is the minimum, else the clipped
    # surrogate is flat in logp_new
    return np.where(unclipped <= clipped, -g * unclipped / r.dtype.type(r.size), r.dtype.type(0) * g)
# --8<-- [end:ppo_clip_loss_backward]


# --8<-- [start:approx_kl]
@propagates_nonfinite
def approx_kl(logp_new: ArrayLike, logp_old: ArrayLike) -> np.floating:
    """An estimate of ``KL(pi_old || pi_new)`` from actions sampled by the old policy: ``mean((r - 1) - log r)``.

    Schulman's "k3" estimator (Stable Baselines3's and CleanRL's ``approx_kl``): unbiased, and
    every term is >= 0 because ``log r <= r - 1``. Spinning Up's ``mean(logp_old - logp_new)`` (k1) is
    unbiased too but its terms can be negative. Monitored to stop an update's epochs early: a
    diagnostic, not a loss, so no backward. ``r - 1`` is computed as ``expm1(log r)``: accurate
    for the tiny log-ratios of a converged update.

    Parameters
    ----------
    logp_new, logp_old : array_like, shape (*)
        Log-probabilities of the sampled actions under the new and the old policy.

    Returns
    -------
    numpy scalar
        In logp_new's dtype.

    Examples
    --------
    >>> # log r = ln 2: (2 - 1) - ln 2 = 0.3069; log r = 0: 0; mean 0.1534
    >>> round(float(approx_kl([np.log(2.0), 0.0], [0.0, 0.0])), 4)
    0.1534
    """
    log_ratio = _log_ratio(logp_new, logp_old)
    with np.errstate(over="ignore"):  # a ratio beyond exp's range: the estimate overflows, +inf
        terms = np.expm1(log_ratio) - log_ratio
    return np.mean(terms)
# --8<-- [end:approx_kl]
