"""Hyperbolic tangent: a zero-centred S-shaped activation with values in (-1, 1)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out
from snippets.activations._blocks import map_blocks

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

    def block(dx: np.ndarray, v: np.ndarray, g: np.ndarray, u: np.ndarray, d: np.ndarray) -> None:
        # u = e^{-2|v|} lies in [0, 1]: no overflow, and it underflows only where sech^2 does too
        np.abs(v, out=u)
        np.multiply(u, -2, out=u)
        np.exp(u, out=u)
        # sech^2 v = 4 / (e^v + e^-v)^2 = 4u / (1 + u)^2, with no subtraction to cancel
        np.add(u, 1, out=d)
        np.square(d, out=d)
        np.multiply(u, 4, out=u)
        np.divide(u, d, out=u)
        # where sech^2 rounds to 1 (|v| below about 1e-8) rounding can land one ulp above its
        # maximum, 1
        np.minimum(u, 1, out=u)
        np.multiply(g, u, out=dx)

    # evaluated in cache-sized blocks: the passes above then touch no main memory but the
    # arguments and the result
    return map_blocks(block, np.empty(x.shape, x.dtype), x, grad_out, scratch=2)
# --8<-- [end:tanh_backward]
