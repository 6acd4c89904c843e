"""Kullback-Leibler divergence between discrete distributions, with 0 log 0 = 0."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, check_axis, check_same_shape, propagates_nonfinite

__all__ = ["kl_divergence", "kl_divergence_backward"]


def _check_kl_inputs(p: ArrayLike, q: ArrayLike, axis: int) -> tuple[np.ndarray, np.ndarray, int]:
    """``p`` and ``q`` as float arrays of one shape and dtype (at least 1-D, no negative entries)."""
    p, q = as_float_array(p, "p"), as_float_array(q, "q")
    check_same_shape(p, q, "p", "q")
    if p.ndim == 0:
        raise ValueError("p and q must have at least one dimension (the distribution's axis), got shape ()")
    axis = check_axis(axis, p.ndim, p.shape)
    for name, a in (("p", p), ("q", q)):
        if np.any(a < 0):
            raise ValueError(f"{name} must hold non-negative probabilities, found {a[a < 0].ravel()[0]}")
    dtype = np.result_type(p, q)
    return p.astype(dtype, copy=False), q.astype(dtype, copy=False), axis


# --8<-- [start:log_ratio]
def _log_ratio(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``log(p / q)`` element-wise: one log of the ratio while the ratio is a normal float (no
    cancellation when p is close to q); ``log p - log q`` where the ratio would overflow or
    underflow. ``log(0 / q) = -inf``, ``log(p / 0) = inf``; the caller handles ``p = 0``."""
    tiny, huge = np.finfo(p.dtype).tiny, np.finfo(p.dtype).max
    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        ratio = p / q
        in_range = (ratio >= tiny) & (ratio <= huge)
        return np.where(in_range, np.log(np.where(in_range, ratio, 1)), np.log(p) - np.log(q))
# --8<-- [end:log_ratio]


# --8<-- [start:kl_divergence]
@propagates_nonfinite
def kl_divergence(p: ArrayLike, q: ArrayLike, axis: int = -1) -> np.ndarray:
    """Kullback-Leibler divergence ``KL(p || q) = sum p log(p / q)`` along ``axis``.

    The same value as ``scipy.stats.entropy(p, q, axis=axis)`` for inputs that sum to 1 along
    ``axis`` (scipy normalises them first; this function does not).

    Parameters
    ----------
    p : array_like, shape (*)
        Non-negative probabilities of the reference distribution (the "true" one).
    q : array_like, shape (*)
        Non-negative probabilities of the approximating distribution, the same shape as ``p``.
    axis : int, default -1
        The axis that indexes the outcomes.

    Returns
    -------
    ndarray or numpy scalar, shape of ``p`` without ``axis``
        ``sum_i p_i log(p_i / q_i)``, with terms ``0 log(0 / q) = 0`` (also for q = 0) and
        ``p log(p / 0) = inf`` for p > 0 (no warning). In the common float dtype of p and q.

    Examples
    --------
    >>> # 1/2 log(1/2 / 1/4) + 1/2 log(1/2 / 3/4) = 1/2 log(4/3)
    >>> round(float(kl_divergence([0.5, 0.5], [0.25, 0.75])), 6)
    0.143841
    >>> float(kl_divergence([0.0, 1.0], [0.5, 0.5]))  # 0 log 0 counts as 0: log 2
    0.6931471805599453
    """
    p, q, axis = _check_kl_inputs(p, q, axis)
    # each outcome contributes p log(p / q); an outcome with p = 0 contributes nothing
    with np.errstate(invalid="ignore"):  # 0 * (-inf) or 0 * nan is replaced just below
        terms = p * _log_ratio(p, q)
    terms = np.where((p == 0) & (q >= 0), 0, terms)
    return np.sum(terms, axis=axis)
# --8<-- [end:kl_divergence]


# --8<-- [start:kl_divergence_backward]
@propagates_nonfinite
def kl_divergence_backward(
    grad_out: ArrayLike, p: ArrayLike, q: ArrayLike, axis: int = -1
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`kl_divergence` with respect to ``p`` and ``q``.

    Parameters
    ----------
    grad_out : array_like, shape of ``p`` without ``axis``
        Upstream gradient, one value per divergence.
    p, q : array_like, shape (*)
    axis : int, default -1

    Returns
    -------
    (ndarray, ndarray), each shape (*)
        ``dp = grad_out * (log(p / q) + 1)`` and ``dq = -grad_out * p / q``, with ``grad_out``
        repeated along ``axis``. Where p = 0: ``dq = 0`` and ``dp = -inf`` (p log p falls with
        infinite slope at 0); where q = 0 < p: ``dp = inf``, ``dq = -inf``.

    Examples
    --------
    >>> dp, dq = kl_divergence_backward(1.0, [0.5, 0.5], [0.25, 0.75])
    >>> dp.round(6)  # log 2 + 1 and log(2/3) + 1
    array([1.693147, 0.594535])
    >>> dq.round(6)  # -p / q = -2 and -2/3
    array([-2.      , -0.666667])
    """
    p, q, axis = _check_kl_inputs(p, q, axis)
    out_shape = p.shape[:axis] + p.shape[axis + 1 :]
    g = np.expand_dims(as_grad_out(grad_out, out_shape, p.dtype), axis)
    # -p / q exceeds the largest float when q is far below p (q subnormal): it is then inf
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # d/dp [p log(p / q)] = log(p / q) + 1; at p = 0 that is log 0 = -inf whatever q is
        dp = np.where(p == 0, -np.inf, _log_ratio(p, q) + 1)
        # d/dq [p log(p / q)] = -p / q; an outcome with p = 0 does not depend on q
        dq = np.where((p == 0) & (q >= 0), 0, -p / q)
        # the chain rule: every outcome of a distribution shares its upstream gradient
        return g * dp, g * dq
# --8<-- [end:kl_divergence_backward]
