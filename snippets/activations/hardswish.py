"""Hardsigmoid and hardswish: piecewise-linear stand-ins for sigmoid and swish (MobileNetV3)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, propagates_nonfinite
from snippets.activations.hardtanh import hardtanh_backward, relu6

__all__ = ["hardsigmoid", "hardsigmoid_backward", "hardswish", "hardswish_backward"]


# --8<-- [start:hardsigmoid]
def hardsigmoid(x: ArrayLike) -> np.ndarray:
    """Hard sigmoid, element-wise: ``relu6(x + 3) / 6``: 0 below -3, 1 above 3, linear between.

    The same values as ``torch.nn.functional.hardsigmoid(x)``.

    Parameters
    ----------
    x : array_like, shape (*)
        Input of any shape. float32 stays float32; other real input is computed in float64.

    Returns
    -------
    ndarray, shape (*)
        Values in [0, 1], the shape and float dtype of ``x``.

    Examples
    --------
    >>> hardsigmoid([-4.0, 0.0, 1.5, 3.0])  # 0;  3/6;  4.5/6;  6/6
    array([0.  , 0.5 , 0.75, 1.  ])
    """
    x = as_float_array(x, "x")
    # the ramp from 0 to 6 over [-3, 3], scaled to [0, 1] by one division (as PyTorch)
    return np.divide(relu6(x + 3), 6)
# --8<-- [end:hardsigmoid]


# --8<-- [start:hardsigmoid_backward]
def hardsigmoid_backward(grad_out: ArrayLike, x: ArrayLike) -> np.ndarray:
    """Gradient of :func:`hardsigmoid`: ``grad_out / 6`` strictly inside (-3, 3), else 0.

    At the kinks ``x = -3`` and ``x = 3`` this returns 0, as PyTorch's autograd does; NaN gives NaN.

    Parameters
    ----------
    grad_out : array_like, shape (*)
        Upstream gradient dL/dy, the shape of ``hardsigmoid(x)``.
    x : array_like, shape (*)
        The forward input.

    Returns
    -------
    ndarray, shape (*)
        dL/dx, the shape and float dtype of ``x``.

    Examples
    --------
    >>> hardsigmoid_backward([6.0, 6.0, 6.0], [-3.0, 0.0, 5.0])  # 0 at the kink; 6/6; 0
    array([0., 1., 0.])
    """
    x = as_float_array(x, "x")
    grad_out = as_grad_out(grad_out, x.shape, x.dtype)
    # slope 1/6 inside, 0 outside and at the ends (hardtanh's gradient on [-3, 3], NaN where x
    # is NaN); PyTorch multiplies by the rounded constant 1/6
    return hardtanh_backward(grad_out * x.dtype.type(1 / 6), x, -3.0, 3.0)
# --8<-- [end:hardsigmoid_backward]


# --8<-- [start:hardswish]
def hardswish(x: ArrayLike) -> np.ndarray:
    """Hard swish, element-wise: ``x * relu6(x + 3) / 6``: 0 below -3, ``x`` above 3, a parabola between.

    The same values as ``torch.nn.functional.hardswish(x)``.

    Parameters
    ----------
    x : array_like, shape (*)
        Input of any shape. float32 stays float32; other real input is computed in float64.

    Returns
    -------
    ndarray, shape (*)
        Values >= -0.375 (the minimum, at x = -1.5), the shape and float dtype of ``x``.

    Examples
    --------
    >>> hardswish([-4.0, -1.5, 0.0, 1.0, 4.0])  # 0;  -1.5 * 1.5/6;  0;  1 * 4/6;  4
    array([-0.        , -0.375     ,  0.        ,  0.66666667,  4.        ])
    """
    x = as_float_array(x, "x")
    # x times the ramp, then the division by 6, in PyTorch's order; +inf * 6 = +inf and -inf * 0
    # would be NaN, so the ramp's 0 region takes its exact value 0 (a signed zero: x * 0)
    r = np.asarray(relu6(x + 3))  # a new array, 0-d included: the steps below write into it
    np.multiply(r, np.where(np.isinf(x) & (x < 0), x.dtype.type(-1), x), out=r)
    return np.divide(r, 6, out=r)
# --8<-- [end:hardswish]


# --8<-- [start:hardswish_backward]
@propagates_nonfinite
def hardswish_backward(grad_out: ArrayLike, x: ArrayLike) -> np.ndarray:
    """Gradient of :func:`hardswish`: 0 for ``x <= -3``, ``x / 3 + 1/2`` for ``-3 < x < 3``, 1 for ``x >= 3``.

    At the kinks this returns 0 (``x = -3``) and 1 (``x = 3``), as PyTorch's autograd does; NaN gives NaN.

    Parameters
    ----------
    grad_out : array_like, shape (*)
        Upstream gradient dL/dy, the shape of ``hardswish(x)``.
    x : array_like, shape (*)
        The forward input.

    Returns
    -------
    ndarray, shape (*)
        dL/dx, the shape and float dtype of ``x``.

    Examples
    --------
    >>> hardswish_backward([1.0, 1.0, 1.0, 1.0], [-3.0, 0.0, 1.5, 3.0])  # 0;  1/2;  1/2 + 1/2;  1
    array([0. , 0.5, 1. , 1. ])
    """
    x = as_float_array(x, "x")
    grad_out = as_grad_out(grad_out, x.shape, x.dtype)
    # grad_out times the slope of x (x + 3) / 6, x / 3 + 1/2, inside (-3, 3)
    dx = np.clip(x, -3, 3, out=np.empty_like(x))
    np.divide(dx, 3, out=dx)
    np.add(dx, 0.5, out=dx)
    np.multiply(dx, grad_out, out=dx)
    # grad_out itself from 3 on, exactly 0 up to -3 (even for an infinite grad_out), as PyTorch
    np.copyto(dx, grad_out, where=x >= 3)
    np.copyto(dx, 0, where=x <= -3)
    return dx
# --8<-- [end:hardswish_backward]
