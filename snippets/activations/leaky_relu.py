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
    # identity on x > 0, the line negative_slope * x elsewhere (NaN > 0 is False: NaN * a = NaN)
    return np.where(x > 0, x, x * negative_slope)
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
    # slope 1 on x > 0, negative_slope on x <= 0 (the kink x = 0 takes the left slope, as PyTorch)
    passed = np.where(x > 0, grad_out, grad_out * negative_slope)
    # NaN in, NaN out: a NaN input has no slope
    return np.where(np.isnan(x), x, passed)
# --8<-- [end:leaky_relu_backward]
