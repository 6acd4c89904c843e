"""PReLU: a leaky ReLU whose negative slope is learned, one per channel or one for all."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, propagates_nonfinite

__all__ = ["prelu", "prelu_backward"]


def _slopes(x: ArrayLike, weight: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``x``, ``weight`` (one dtype) and the weight shaped to broadcast over ``x``'s channel axis 1."""
    x, weight = as_float_array(x, "x"), as_float_array(weight, "weight")
    dtype = np.result_type(x, weight)
    x, weight = x.astype(dtype, copy=False), weight.astype(dtype, copy=False)
    if weight.ndim > 1:
        raise ValueError(f"weight must be a scalar or 1-D (1 or C elements), got shape {weight.shape}")
    if weight.size == 1:
        return x, weight, weight.reshape(())
    # C slopes: one per channel, the channel axis being 1 (a 1-D x has one channel, as in PyTorch)
    channels = x.shape[1] if x.ndim >= 2 else 1
    if x.ndim == 0 or weight.size != channels:
        raise ValueError(
            f"weight must have 1 element or one per channel (x.shape[1] = {channels}), "
            f"got weight of shape {weight.shape} for x of shape {x.shape}"
        )
    return x, weight, weight.reshape((1, -1) + (1,) * (x.ndim - 2))


# --8<-- [start:prelu]
@propagates_nonfinite
def prelu(x: ArrayLike, weight: ArrayLike) -> np.ndarray:
    """Parametric ReLU, element-wise: ``x`` if ``x > 0`` else ``weight * x``, one learned slope per channel.

    The same values as ``torch.nn.functional.prelu(x, weight)``.

    Parameters
    ----------
    x : array_like, shape (N, C, *) or (*)
        Input; its axis 1 holds the channels (a 0-d or 1-D ``x`` has a single channel).
    weight : array_like, shape (C,), (1,) or ()
        The negative slopes: one per channel, or one shared by all.

    Returns
    -------
    ndarray, shape of ``x``
        In the common float dtype of ``x`` and ``weight``.

    Examples
    --------
    >>> prelu([[-2.0, -2.0], [3.0, -1.0]], [0.25, 0.5])  # channel 0: slope 1/4, channel 1: 1/2
    array([[-0.5, -1. ],
           [ 3. , -0.5]])
    """
    x, _, w = _slopes(x, weight)
    # x on the positive side, the channel's slope times x elsewhere (NaN stays NaN)
    return np.where(x > 0, x, w * x)
# --8<-- [end:prelu]


# --8<-- [start:prelu_backward]
@propagates_nonfinite
def prelu_backward(grad_out: ArrayLike, x: ArrayLike, weight: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`prelu` with respect to ``x`` and ``weight``.

    At the kink ``x = 0`` the slope is ``weight`` (the left one), as PyTorch's autograd returns.

    Parameters
    ----------
    grad_out : array_like, shape of ``x``
        Upstream gradient dL/dy.
    x : array_like, shape (N, C, *) or (*)
        The forward input.
    weight : array_like, shape (C,), (1,) or ()
        The slopes the forward pass used.

    Returns
    -------
    dx : ndarray, shape of ``x``
        ``grad_out`` where x > 0, ``weight * grad_out`` elsewhere.
    dweight : ndarray, shape of ``weight``
        The sum of ``grad_out * x`` over the elements with x <= 0, per channel.

    Examples
    --------
    >>> dx, dw = prelu_backward([[1.0, 1.0], [1.0, 1.0]], [[-2.0, -2.0], [3.0, -1.0]], [0.25, 0.5])
    >>> dx  # 1 where x > 0, the channel's slope elsewhere
    array([[0.25, 0.5 ],
           [1.  , 0.5 ]])
    >>> dw  # channel 0: x = -2 (and 3 > 0 adds nothing); channel 1: -2 + -1
    array([-2., -3.])
    """
    x, weight, w = _slopes(x, weight)
    grad_out = as_grad_out(grad_out, x.shape, x.dtype)
    negative = ~(x > 0)  # the kink x = 0 and NaN go with the negative side
    dx = np.where(negative, w * grad_out, grad_out)
    np.copyto(dx, np.nan, where=np.isnan(x))  # NaN in, NaN out (PyTorch would pass weight * grad_out)
    # d/dweight of weight * x: x on the negative side, summed over every axis but the channels
    contrib = np.where(negative, grad_out * x, x.dtype.type(0))
    if weight.size == 1:
        dweight = contrib.sum().reshape(weight.shape)
    else:
        dweight = contrib.sum(axis=tuple(a for a in range(x.ndim) if a != 1)).reshape(weight.shape)
    return dx, dweight.astype(x.dtype, copy=False)
# --8<-- [end:prelu_backward]
