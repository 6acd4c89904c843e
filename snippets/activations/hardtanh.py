"""Hardtanh and ReLU6: the input clipped to an interval, [-1, 1] and [0, 6] by default."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, as_real_scalar

__all__ = ["hardtanh", "hardtanh_backward", "relu6", "relu6_backward"]


def _bounds(x: np.ndarray, min_val: float, max_val: float) -> tuple[np.floating, np.floating]:
    """``min_val`` and ``max_val`` checked (finite, ordered) and rounded to the dtype of ``x``, as PyTorch does."""
    lo = as_real_scalar(min_val, "min_val")
    hi = as_real_scalar(max_val, "max_val")
    if lo > hi:
        raise ValueError(f"min_val must not be greater than max_val, got min_val={lo:g}, max_val={hi:g}")
    return x.dtype.type(lo), x.dtype.type(hi)


# --8<-- [start:hardtanh]
def hardtanh(x: ArrayLike, min_val: float = -1.0, max_val: float = 1.0) -> np.ndarray:
    """Hard tanh, element-wise: ``x`` clipped to ``[min_val, max_val]``.

    The same values as ``torch.nn.functional.hardtanh(x, min_val, max_val)``.

    Parameters
    ----------
    x : array_like, shape (*)
        Input of any shape. float32 stays float32; other real input is computed in float64.
    min_val, max_val : float, default -1.0, 1.0
        The interval's ends: finite, ``min_val <= max_val`` (PyTorch refuses the other order).

    Returns
    -------
    ndarray, shape (*)
        Values in ``[min_val, max_val]`` (NaN stays NaN), the shape and float dtype of ``x``.

    Examples
    --------
    >>> hardtanh([-3.0, -0.5, 0.25, 2.0])  # clipped to [-1, 1]
    array([-1.  , -0.5 ,  0.25,  1.  ])
    """
    x = as_float_array(x, "x")
    lo, hi = _bounds(x, min_val, max_val)
    # max then min: no rounding at all, NaN propagates through both
    return np.minimum(np.maximum(x, lo), hi)
# --8<-- [end:hardtanh]


# --8<-- [start:hardtanh_backward]
def hardtanh_backward(
    grad_out: ArrayLike, x: ArrayLike, min_val: float = -1.0, max_val: float = 1.0
) -> np.ndarray:
    """Gradient of :func:`hardtanh` with respect to ``x``.

    The derivative is 1 strictly inside ``(min_val, max_val)`` and 0 outside; at the two kinks
    ``x = min_val`` and ``x = max_val`` this returns 0, as PyTorch's autograd does. NaN gives NaN.

    Parameters
    ----------
    grad_out : array_like, shape (*)
        Upstream gradient dL/dy, the shape of ``hardtanh(x)``.
    x : array_like, shape (*)
        The forward input.
    min_val, max_val : float
        The interval the forward pass used.

    Returns
    -------
    ndarray, shape (*)
        dL/dx = grad_out where min_val < x < max_val, else 0.

    Examples
    --------
    >>> hardtanh_backward([5.0, 5.0, 5.0, 5.0], [-2.0, -1.0, 0.5, 1.0])  # 0 outside and at the ends
    array([0., 0., 5., 0.])
    """
    x = as_float_array(x, "x")
    lo, hi = _bounds(x, min_val, max_val)
    grad_out = as_grad_out(grad_out, x.shape, x.dtype)
    # pass grad_out strictly inside the interval, 0 elsewhere (kinks included); NaN where x is NaN
    dx = np.where((x > lo) & (x < hi), grad_out, x.dtype.type(0))
    np.copyto(dx, np.nan, where=np.isnan(x))
    return dx
# --8<-- [end:hardtanh_backward]


# --8<-- [start:relu6]
def relu6(x: ArrayLike) -> np.ndarray:
    """ReLU capped at 6, element-wise: ``min(max(x, 0), 6)``, i.e. ``hardtanh(x, 0, 6)``.

    The same values as ``torch.nn.functional.relu6(x)``.

    Parameters
    ----------
    x : array_like, shape (*)
        Input of any shape. float32 stays float32; other real input is computed in float64.

    Returns
    -------
    ndarray, shape (*)
        Values in [0, 6], the shape and float dtype of ``x``.

    Examples
    --------
    >>> relu6([-1.0, 3.0, 8.0])
    array([0., 3., 6.])
    """
    return hardtanh(x, 0.0, 6.0)
# --8<-- [end:relu6]


# --8<-- [start:relu6_backward]
def relu6_backward(grad_out: ArrayLike, x: ArrayLike) -> np.ndarray:
    """Gradient of :func:`relu6`: ``grad_out`` where ``0 < x < 6``, else 0 (0 at both kinks, as PyTorch).

    Parameters
    ----------
    grad_out : array_like, shape (*)
        Upstream gradient dL/dy, the shape of ``relu6(x)``.
    x : array_like, shape (*)
        The forward input.

    Returns
    -------
    ndarray, shape (*)
        dL/dx, the shape and float dtype of ``x``.

    Examples
    --------
    >>> relu6_backward([2.0, 2.0, 2.0, 2.0], [0.0, 3.0, 6.0, 7.0])
    array([0., 2., 0., 0.])
    """
    return hardtanh_backward(grad_out, x, 0.0, 6.0)
# --8<-- [end:relu6_backward]
