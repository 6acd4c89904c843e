"""LogSumExp: log(sum(exp(x))) computed without overflow, and its gradient, the softmax."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_bool, as_float_array, as_grad_out, check_axis, propagates_nonfinite

__all__ = ["logsumexp", "logsumexp_backward"]


def _reduced_axes(axis: Any, x: np.ndarray) -> tuple[int, ...]:
    """``axis`` (None, an int or a tuple of ints) as sorted non-negative axes of ``x``."""
    if axis is None:
        return tuple(range(x.ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    normalised = tuple(check_axis(a, x.ndim, x.shape) for a in axes)
    if len(set(normalised)) != len(normalised):
        raise ValueError(f"axis {axis} repeats an axis of the input of shape {x.shape}")
    return tuple(sorted(normalised))


def _prepare(x: ArrayLike, axis: Any, keepdims: Any) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """Validate; return x, its slices as rows (kept..., K) with the reduced axes flattened last,
    and the output shape."""
    x = as_float_array(x, "x")
    keepdims = as_bool(keepdims, "keepdims")
    z = x.reshape(1) if x.ndim == 0 else x  # a 0-d input is one slice of one element
    axes = _reduced_axes(axis, z)
    kept = [a for a in range(z.ndim) if a not in axes]
    kept_shape = tuple(z.shape[a] for a in kept)
    k = int(np.prod([z.shape[a] for a in axes]))
    rows = np.transpose(z, kept + list(axes)).reshape(kept_shape + (k,))
    if x.ndim == 0:
        out_shape: tuple[int, ...] = ()
    elif keepdims:
        out_shape = tuple(1 if a in axes else n for a, n in enumerate(x.shape))
    else:
        out_shape = kept_shape
    return x, rows, out_shape


# --8<-- [start:logsumexp]
@propagates_nonfinite
def logsumexp(x: ArrayLike, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> np.ndarray:
    """``log(sum(exp(x)))`` over ``axis``, without overflow or underflow.

    The same values as ``scipy.special.logsumexp(x, axis=axis, keepdims=keepdims)``: a slice that
    is all ``-inf`` gives ``-inf`` (the log of an empty sum), any ``+inf`` gives ``+inf``.

    Parameters
    ----------
    x : array_like, shape (*)
        Input of any shape.
    axis : None, int or tuple of ints, default None
        The axes to reduce; None reduces over all elements.
    keepdims : bool, default False
        Keep the reduced axes with size 1 (for broadcasting against ``x``).

    Returns
    -------
    ndarray or numpy scalar
        The shape of ``x`` without (or, with ``keepdims``, with size-1) reduced axes; float dtype
        of ``x``. ``max(x) <= logsumexp(x) <= max(x) + log K`` for K reduced elements.

    Examples
    --------
    >>> float(logsumexp([1000.0, 1000.0]))  # 1000 + log 2: exp(1000) itself would overflow
    1000.6931471805599
    """
    x, rows, out_shape = _prepare(x, axis, keepdims)
    if rows.shape[-1] == 0:  # log of an empty sum
        return np.full(out_shape, -np.inf, dtype=x.dtype)[()]
    # m = the max of each slice (0 where it is infinite, so that x - m is never inf - inf)
    m = np.max(rows, axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    # every exponent is <= 0: no overflow; the largest term is exactly exp(0) = 1
    e = np.exp(rows - m)
    # log sum e = log(1 + rest), rest = the sum without one largest term: log1p keeps tiny rests
    np.put_along_axis(e, np.argmax(rows, axis=-1)[..., None], 0, axis=-1)
    big = np.max(rows, axis=-1)  # +-inf and NaN slices keep their max: m + log1p(.) passes it on
    out = np.where(np.isfinite(big), m[..., 0] + np.log1p(np.sum(e, axis=-1)), big)
    return out.reshape(out_shape)[()]
# --8<-- [end:logsumexp]


# --8<-- [start:logsumexp_backward]
@propagates_nonfinite
def logsumexp_backward(
    grad_out: ArrayLike, x: ArrayLike, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
) -> np.ndarray:
    """Gradient of :func:`logsumexp` with respect to ``x``: ``grad_out`` times the softmax.

    Parameters
    ----------
    grad_out : array_like
        Upstream gradient, the shape of ``logsumexp(x, axis, keepdims)``.
    x : array_like, shape (*)
        The forward input.
    axis : None, int or tuple of ints, default None
        The axes the forward pass reduced.
    keepdims : bool, default False
        As in the forward pass.

    Returns
    -------
    ndarray, shape (*)
        ``grad_out * exp(x - logsumexp(x))`` broadcast over the reduced axes: the softmax over
        them. A slice whose logsumexp is infinite (all ``-inf``, or holding ``+inf``) gets 0.

    Examples
    --------
    >>> logsumexp_backward(1.0, [0.0, np.log(3.0)])  # softmax: (1, 3) / 4
    array([0.25, 0.75])
    """
    x, _, out_shape = _prepare(x, axis, keepdims)
    grad_out = as_grad_out(grad_out, out_shape, x.dtype)
    # the forward value with the reduced axes kept (size 1), so that it broadcasts against x
    z = x.reshape(1) if x.ndim == 0 else x
    y = np.asarray(logsumexp(z, axis=axis, keepdims=True))
    g = grad_out.reshape(y.shape)
    # d lse / d x_i = exp(x_i - lse) = softmax_i; where lse is +-inf the slice gets 0 (x - lse
    # would be inf - inf), where it is NaN, NaN
    finite = np.isfinite(y)
    weights = np.exp(z - np.where(finite, y, 0))
    weights = np.where(finite, weights, np.where(np.isnan(y), np.nan, 0.0))
    return (g * weights).reshape(x.shape).astype(x.dtype, copy=False)
# --8<-- [end:logsumexp_backward]
