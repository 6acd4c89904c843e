"""Layer normalization: standardise each example over its own trailing dimensions, then rescale it."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, as_optional_parameter, propagates_nonfinite
from snippets.normalization.batch_normalization import _check_eps, _rms

__all__ = ["layer_norm", "layer_norm_backward"]


def _check_normalized_shape(normalized_shape: object, x: np.ndarray) -> tuple[int, ...]:
    """``normalized_shape`` (an int or a tuple of ints) as a tuple equal to the trailing dims of x."""
    arr = np.asarray(normalized_shape)
    if arr.ndim > 1 or (arr.size and arr.dtype.kind not in "iu"):
        raise TypeError(
            f"normalized_shape must be an int or a tuple of ints, got {normalized_shape!r}"
        )
    shape = tuple(int(s) for s in arr.reshape(-1))
    if not shape or min(shape) < 1:
        raise ValueError(
            f"normalized_shape must name at least one dimension, each of size >= 1, got {shape}"
        )
    if x.ndim < len(shape) or x.shape[x.ndim - len(shape):] != shape:
        raise ValueError(
            f"normalized_shape={shape} must equal the last {len(shape)} dimension(s) of x: "
            f"expected x of shape (*, {', '.join(map(str, shape))}), got {x.shape}"
        )
    return shape


def _check_affine(value: ArrayLike | None, name: str, shape: tuple[int, ...], x: np.ndarray) -> np.ndarray | None:
    """An optional per-feature parameter of shape ``normalized_shape``, cast to x's dtype."""
    return as_optional_parameter(value, name, shape, "normalized_shape", f"x of shape {x.shape}", x.dtype)


def _check_norm_inputs(
    x: ArrayLike, normalized_shape: object, weight: ArrayLike | None
) -> tuple[np.ndarray, tuple[int, ...], np.ndarray | None, tuple[int, ...]]:
    """x as a float array, ``normalized_shape`` checked against it, the optional weight in x's
    dtype, and the axes each example is normalised over (the last ``len(normalized_shape)``)."""
    x = as_float_array(x, "x")
    shape = _check_normalized_shape(normalized_shape, x)
    weight = _check_affine(weight, "weight", shape, x)
    return x, shape, weight, tuple(range(x.ndim - len(shape), x.ndim))


def _row_statistics(x: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The centred input x - mean and the biased variance (keepdims), over ``axes``.

    Each row is first shifted by its own first value, so a large common offset (1e4 + noise)
    costs no digits; the variance is the mean of squared centred values, never E[x^2] - E[x]^2.
    """
    first = x[(Ellipsis,) + (slice(0, 1),) * len(axes)]
    d = x - first
    centred = d - np.mean(d, axis=axes, keepdims=True)
    var = np.mean(centred * centred, axis=axes, keepdims=True)
    return centred, var


# --8<-- [start:layer_norm]
@propagates_nonfinite
def layer_norm(
    x: ArrayLike,
    normalized_shape: int | tuple[int, ...],
    weight: ArrayLike | None = None,
    bias: ArrayLike | None = None,
    eps: float = 1e-5,
) -> np.ndarray:
    """Layer normalization over the trailing ``normalized_shape`` dims, as ``torch.nn.functional.layer_norm``.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias``, with the mean and the biased variance of
    each example taken over its last ``len(normalized_shape)`` dimensions — never over the batch.

    Parameters
    ----------
    x : array_like, shape (*, *normalized_shape)
        Input; float32 stays float32, other real input is computed in float64.
    normalized_shape : int or tuple of ints
        The trailing dimensions to normalise over (an int ``D`` means ``(D,)``); must equal them.
    weight, bias : array_like, shape normalized_shape, optional
        Element-wise scale and shift (PyTorch's ``elementwise_affine`` parameters, often called
        gamma and beta); None means 1 and 0. Cast to x's dtype.
    eps : float > 0, default 1e-5
        Added to the variance before the square root; keeps a constant row finite.

    Returns
    -------
    ndarray, shape of x
        The normalised input, in x's float dtype; finite for every finite x (``sqrt(var + eps)``
        is formed without squaring x, so a variance beyond the dtype's range does not matter).

    Examples
    --------
    >>> # the row (1, 2, 3) has mean 2 and biased variance 2/3: (-1, 0, 1) / sqrt(2/3 + 1e-5)
    >>> # = (-1.2247, 0, 1.2247); the row (10, 20, 30) is the same shape scaled by 10
    >>> layer_norm([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]], 3).round(4)
    array([[-1.2247,  0.    ,  1.2247],
           [-1.2247,  0.    ,  1.2247]])
    """
    x, shape, weight, axes = _check_norm_inputs(x, normalized_shape, weight)
    bias = _check_affine(bias, "bias", shape, x)
    eps = _check_eps(eps)
    # per-example statistics over the normalised dims, from centred data
    centred, _ = _row_statistics(x, axes)
    # standardise by sqrt(var + eps), formed without squaring the centred values (no overflow),
    # then the optional element-wise scale and shift
    y = centred / _rms(centred, axes, eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y
# --8<-- [end:layer_norm]


# --8<-- [start:layer_norm_backward]
@propagates_nonfinite
def layer_norm_backward(
    grad_out: ArrayLike,
    x: ArrayLike,
    normalized_shape: int | tuple[int, ...],
    weight: ArrayLike | None = None,
    bias: ArrayLike | None = None,
    eps: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Gradients of :func:`layer_norm` with respect to ``x``, ``weight`` and ``bias``.

    Parameters
    ----------
    grad_out : array_like, shape of x
        Upstream gradient dL/dy.
    x : array_like, shape (*, *normalized_shape)
        The forward input.
    normalized_shape : int or tuple of ints
        The forward ``normalized_shape``.
    weight, bias : array_like, shape normalized_shape, optional
        The forward scale and shift (``bias`` does not enter the gradients; it is checked).
    eps : float > 0, default 1e-5
        The forward ``eps``.

    Returns
    -------
    (dx, dweight, dbias) : ndarray of x's shape, then two of shape normalized_shape or None
        Always a 3-tuple: ``dweight`` is None when ``weight`` is None and ``dbias`` is None when
        ``bias`` is None (there is no parameter to differentiate). With
        x_hat = (x - mean) / sqrt(var + eps), g = grad_out and ĝ = g * weight, means over the
        normalised dims of each example and sums over the leading (batch) dims:
        ``dbias = sum(g)``, ``dweight = sum(g * x_hat)`` and
        ``dx = (ĝ - mean(ĝ) - x_hat * mean(ĝ * x_hat)) / sqrt(var + eps)``.

    Examples
    --------
    >>> # a constant upstream gradient only shifts y, and y has mean 0 whatever x is: dx = 0;
    >>> # dbias = 1 + 1 + 1; dweight = x_hat = (-1.2247, 0, 1.2247) for the row (1, 2, 3)
    >>> dx, dw, db = layer_norm_backward(np.ones(3), [1.0, 2.0, 3.0], 3, np.ones(3), np.zeros(3))
    >>> dx.round(12) + 0.0, dw.round(4), db
    (array([0., 0., 0.]), array([-1.2247,  0.    ,  1.2247]), array([1., 1., 1.]))
    >>> layer_norm_backward(np.ones(3), [1.0, 2.0, 3.0], 3)[1:]  # no affine parameters
    (None, None)
    """
    x, shape, weight, axes = _check_norm_inputs(x, normalized_shape, weight)
    bias = _check_affine(bias, "bias", shape, x)
    eps = _check_eps(eps)
    g = as_grad_out(grad_out, x.shape, x.dtype)
    batch_axes = tuple(range(x.ndim - len(shape)))
    # recompute the forward pass: x_hat = (x - mean) / sqrt(var + eps)
    centred, _ = _row_statistics(x, axes)
    inv_std = 1 / _rms(centred, axes, eps)  # 1 / sqrt(var + eps), without overflow
    x_hat = centred * inv_std
    # y = weight * x_hat + bias: the parameters' gradients are sums over the batch dims
    dweight = None if weight is None else np.sum(g * x_hat, axis=batch_axes)
    dbias = None if bias is None else np.sum(g, axis=batch_axes)
    # through x_hat, the row mean and the row variance (batch norm's formula, per example)
    g_hat = g if weight is None else g * weight
    g_mean = np.mean(g_hat, axis=axes, keepdims=True)
    gx_mean = np.mean(g_hat * x_hat, axis=axes, keepdims=True)
    dx = inv_std * (g_hat - g_mean - x_hat * gx_mean)
    return dx, dweight, dbias
# --8<-- [end:layer_norm_backward]
