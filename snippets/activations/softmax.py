"""Softmax and log-softmax: turn a vector of scores (logits) into a probability distribution."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, check_axis, propagates_nonfinite

__all__ = ["softmax", "softmax_backward", "log_softmax", "log_softmax_backward"]


# --8<-- [start:softmax]
@propagates_nonfinite
def softmax(x: ArrayLike, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``: ``exp(x_i) / sum_j exp(x_j)``.

    Parameters
    ----------
    x : array_like, shape (*)
        Scores (logits). A batch of C-class scores is usually ``(N, C)`` with ``axis=-1``.
    axis : int, default -1
        The axis that holds the classes (PyTorch calls it ``dim``).

    Returns
    -------
    ndarray, shape (*)
        Non-negative values that sum to 1 along ``axis``; the shape and float dtype of ``x``.

    Examples
    --------
    >>> softmax([1.0, 2.0, 3.0])
    array([0.09003057, 0.24472847, 0.66524096])
    """
    x = as_float_array(x, "x")
    axis = check_axis(axis, x.ndim, x.shape)
    z = np.atleast_1d(x)  # a 0-d input is a single class: its softmax is 1
    # subtract the max along the axis: every exponent is <= 0, so exp cannot overflow
    shifted = z - np.max(z, axis=axis, keepdims=True, initial=-np.inf)
    e = np.exp(shifted, out=shifted)  # in place: the shifted values are not needed again
    # normalise: p_i = e_i / sum_j e_j (in place too: one new array in all)
    e /= np.sum(e, axis=axis, keepdims=True)
    return e.reshape(x.shape)
# --8<-- [end:softmax]


# --8<-- [start:softmax_backward]
@propagates_nonfinite
def softmax_backward(grad_out: ArrayLike, x: ArrayLike, axis: int = -1) -> np.ndarray:
    """Gradient of :func:`softmax` with respect to ``x``.

    Parameters
    ----------
    grad_out : array_like, shape (*)
        Upstream gradient dL/dp, the shape of ``softmax(x, axis)``.
    x : array_like, shape (*)
        The forward input.
    axis : int, default -1
        The axis the forward pass normalised over.

    Returns
    -------
    ndarray, shape (*)
        dL/dx = p * (grad_out - sum(grad_out * p, axis)), with p = softmax(x, axis).

    Examples
    --------
    >>> softmax_backward([1.0, 0.0], [0.0, 0.0])
    array([ 0.25, -0.25])
    """
    x = as_float_array(x, "x")
    axis = check_axis(axis, x.ndim, x.shape)
    grad_out = np.atleast_1d(as_grad_out(grad_out, x.shape, x.dtype))
    p = np.atleast_1d(softmax(x, axis))
    # Jacobian-vector product of diag(p) - p p^T, without building the C x C Jacobian
    dot = np.sum(grad_out * p, axis=axis, keepdims=True)
    return (p * (grad_out - dot)).reshape(x.shape)
# --8<-- [end:softmax_backward]


# --8<-- [start:log_softmax]
@propagates_nonfinite
def log_softmax(x: ArrayLike, axis: int = -1) -> np.ndarray:
    """Logarithm of :func:`softmax`, computed without ever taking ``log`` of a tiny number.

    Parameters
    ----------
    x : array_like, shape (*)
        Scores (logits).
    axis : int, default -1
        The axis that holds the classes.

    Returns
    -------
    ndarray, shape (*)
        ``x - logsumexp(x, axis)``: non-positive values; the shape and float dtype of ``x``.

    Examples
    --------
    >>> log_softmax([0.0, 1000.0])
    array([-1000.,     0.])
    """
    x = as_float_array(x, "x")
    axis = check_axis(axis, x.ndim, x.shape)
    z = np.atleast_1d(x)
    # log p_i = (x_i - m) - log(sum_j exp(x_j - m)), with m the max along the axis
    shifted = z - np.max(z, axis=axis, keepdims=True, initial=-np.inf)
    shifted -= np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))  # in place: no new array
    return shifted.reshape(x.shape)
# --8<-- [end:log_softmax]


# --8<-- [start:log_softmax_backward]
@propagates_nonfinite
def log_softmax_backward(grad_out: ArrayLike, x: ArrayLike, axis: int = -1) -> np.ndarray:
    """Gradient of :func:`log_softmax` with respect to ``x``.

    Parameters
    ----------
    grad_out : array_like, shape (*)
        Upstream gradient, the shape of ``log_softmax(x, axis)``.
    x : array_like, shape (*)
        The forward input.
    axis : int, default -1
        The axis the forward pass normalised over.

    Returns
    -------
    ndarray, shape (*)
        dL/dx = grad_out - softmax(x, axis) * sum(grad_out, axis).

    Examples
    --------
    >>> log_softmax_backward([1.0, 0.0], [0.0, 0.0])
    array([ 0.5, -0.5])
    """
    x = as_float_array(x, "x")
    axis = check_axis(axis, x.ndim, x.shape)
    grad_out = np.atleast_1d(as_grad_out(grad_out, x.shape, x.dtype))
    p = np.atleast_1d(softmax(x, axis))
    # d(log p_i)/dx_j = [i == j] - p_j, contracted with grad_out
    return (grad_out - p * np.sum(grad_out, axis=axis, keepdims=True)).reshape(x.shape)
# --8<-- [end:log_softmax_backward]
