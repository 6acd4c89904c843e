"""Leaky ReLU: the identity for positive inputs, a small fixed slope for negative ones."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, as_real_scalar

__all__ = ["leaky_relu", "leaky_relu_backward"]


# --8<-- [start:leaky_relu]
def leaky_relu(x: ArrayLike, negative_slope: float = 0.01) -> np.ndarray:
    """Leaky rectified linear unit, element-wise: ``x`` if ``x > 0`` else ``negative_slope * x``.

    The same values as ``torch.nn.functional.leaky_relu(x, negative_slope)``.

    Parameters
    ----------
    x : array_like, shape (*)
        Input of any shape. float32 stays float32; other real input is computed in float64.
    negative_slope : float, default 0.01
        The slope for ``x <= 0`` (a finite real number; PyTorch's default).

    Returns
    -------
    ndarray, shape (*)
        The shape and float dtype of ``x``; NaN stays NaN.

    Examples
    --------
    >>> leaky_relu([-2.0, 0.0, 3.0])  # -2 * 0.01 = -0.02; 0 and 3 pass through
    array([-0.02,  0.  ,  3.  ])
    """
    x = as_float_array(x, "x")
    negative_slope = as_real_scalar(negative_slope, "negative_slope")
    # identity on x > 0, the line negative_slope * x elsewhere. For a slope <= 1 the line lies
    # below the identity right of 0 and above it left of 0, so the function is the larger of the
    # two, max(x, a x) (the smaller for a slope > 1): two vectorised passes, no per-element branch
    # (np.where is several times slower on a mix of signs); NaN stays NaN
    y = np.multiply(x, negative_slope, out=np.empty_like(x))
    return (np.maximum if negative_slope <= 1 else np.minimum)(x, y, out=y)
# --8<-- [end:leaky_relu]


# --8<-- [start:leaky_relu_backward]
def leaky_relu_backward(grad_out: ArrayLike, x: ArrayLike, negative_slope: float = 0.01) -> np.ndarray:
    """Gradient of :func:`leaky_relu` with respect to ``x``.

    The derivative is 1 for ``x > 0`` and ``negative_slope`` for ``x < 0``; at the kink ``x = 0``
    this returns ``negative_slope``, as PyTorch's autograd does. NaN in ``x`` gives NaN.

    Parameters
    ----------
    grad_out : array_like, shape (*)
        Upstream gradient dL/dy, the shape of ``leaky_relu(x)``.
    x : array_like, shape (*)
        The forward input.
    negative_slope : float, default 0.01
        The slope the forward pass used.

    Returns
    -------
    ndarray, shape (*)
        dL/dx = grad_out where x > 0, and negative_slope * grad_out where x <= 0.

    Examples
    --------
    >>> leaky_relu_backward([5.0, 5.0, 5.0], [-1.0, 0.0, 2.0], negative_slope=0.2)  # 5*0.2, 5*0.2, 5*1
    array([1., 1., 5.])
    """
    x = as_float_array(x, "x")
    negative_slope = as_real_scalar(negative_slope, "negative_slope")
    grad_out = as_grad_out(grad_out, x.shape, x.dtype)
    # the slope: 1 on x > 0, negative_slope on x <= 0 (the kink x = 0 takes the left slope, as
    # PyTorch), NaN where x is NaN. sign(x) is 1, 0 or -1 (NaN for NaN); for 0 <= negative_slope
    # <= 1 (PyTorch's default 0.01 included) max(sign(x), negative_slope) maps 1 to 1 and 0, -1 to
    # the slope: one vectorised pass, no per-element branch
    slope = np.sign(x, out=np.empty_like(x))
    if 0 <= negative_slope <= 1:
        np.maximum(slope, negative_slope, out=slope)
    else:
        np.copyto(slope, negative_slope, where=slope < 1)  # a NaN stays: NaN < 1 is False
    # times grad_out: exactly grad_out, or one rounded product grad_out * negative_slope
    return np.multiply(slope, grad_out, out=slope)
# --8<-- [end:leaky_relu_backward]
