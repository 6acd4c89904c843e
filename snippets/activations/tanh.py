"""Hyperbolic tangent: a zero-centred S-shaped activation with values in (-1, 1)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out

__all__ = ["tanh", "tanh_backward"]


# --8<-- [start:tanh]
def tanh(x: ArrayLike) -> np.ndarray:
    """Hyperbolic tangent, element-wise: ``(e^x - e^-x) / (e^x + e^-x)``.

    Parameters
    ----------
    x : array_like, shape (*)
        Input of any shape. float32 stays float32; other real input is computed in float64.

    Returns
    -------
    ndarray, shape (*)
        Values in (-1, 1) (exactly +-1 once the difference from 1 is below rounding), with the
        shape and float dtype of ``x``.

    Examples
    --------
    >>> tanh([0.0, np.log(3.0)])  # tanh(ln 3) = (3 - 1/3) / (3 + 1/3) = 4/5
    array([0. , 0.8])
    """
    x = as_float_array(x, "x")
    # the C library's tanh: accurate to about one ulp and never overflows (it saturates at +-1)
    return np.tanh(x)
# --8<-- [end:tanh]


# --8<-- [start:tanh_backward]
def tanh_backward(grad_out: ArrayLike, x: ArrayLike) -> np.ndarray:
    """Gradient of :func:`tanh` with respect to ``x``.

    Uses ``1 - tanh(x)^2 = sech(x)^2 = 4u / (1 + u)^2`` with ``u = exp(-2|x|)``: accurate to a
    few ulps *relative* for every x, whereas ``1 - tanh(x)**2`` cancels to 0 once tanh(x) rounds
    to +-1 (from |x| of about 10 in float32 and 19 in float64).

    Parameters
    ----------
    grad_out : array_like, shape (*)
        Upstream gradient dL/dy, the shape of ``tanh(x)``.
    x : array_like, shape (*)
        The forward input.

    Returns
    -------
    ndarray, shape (*)
        dL/dx = grad_out * (1 - tanh(x)^2).

    Examples
    --------
    >>> tanh_backward([1.0, 1.0], [0.0, np.log(3.0)])  # 1 - 0^2 = 1 and 1 - (4/5)^2 = 9/25
    array([1.  , 0.36])
    """
    x = as_float_array(x, "x")
    grad_out = as_grad_out(grad_out, x.shape, x.dtype)
    # u = e^{-2|x|} lies in [0, 1]: no overflow, and it underflows only where sech^2 does too
    u = np.exp(-2 * np.abs(x))
    # sech^2 x = 4 / (e^x + e^-x)^2 = 4u / (1 + u)^2, with no subtraction to cancel
    # (the denominator (1 + u)^2 is formed in u's buffer: no new arrays)
    sech2 = 4 * u
    u += 1
    u **= 2
    sech2 /= u
    # where sech^2 rounds to 1 (|x| below about 1e-8) rounding can land one ulp above its maximum, 1
    return grad_out * np.minimum(sech2, 1)
# --8<-- [end:tanh_backward]
