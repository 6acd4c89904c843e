"""SiLU / swish: the input multiplied by its own sigmoid, x * sigmoid(x)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out
from snippets.activations._blocks import map_blocks
from snippets.activations.sigmoid import sigmoid_block

__all__ = ["silu", "silu_backward"]

# below -800 (above 800) sigmoid(x) is exactly 0 (1) even in float64, so clipping the factor x
# there changes no value and turns x = -inf into 0 instead of -inf * 0 = NaN
_CLIP = 800.0


# --8<-- [start:silu]
def silu(x: ArrayLike) -> np.ndarray:
    """Sigmoid-weighted linear unit (swish), element-wise: ``x * sigmoid(x)``.

    The same values as ``torch.nn.functional.silu(x)``.

    Parameters
    ----------
    x : array_like, shape (*)
        Input of any shape. float32 stays float32; other real input is computed in float64.

    Returns
    -------
    ndarray, shape (*)
        Values >= -0.2785 (the minimum, near x = -1.278), with the shape and float dtype of ``x``.

    Examples
    --------
    >>> silu([0.0, np.log(3.0)])  # sigmoid(ln 3) = 3/4, so silu(ln 3) = 0.75 ln 3
    array([0.        , 0.82395922])
    """
    x = as_float_array(x, "x")

    def block(y: np.ndarray, v: np.ndarray, e: np.ndarray) -> None:
        # sigmoid(v), overflow-free for every v (the sigmoid page explains the steps)
        sigmoid_block(y, v, e)
        # times v, clipped only on the left, where sigmoid(v) is exactly 0 (so +inf stays +inf)
        np.maximum(v, -_CLIP, out=e)
        np.multiply(y, e, out=y)

    # evaluated in cache-sized blocks: the passes above then touch no main memory but x and y
    return map_blocks(block, np.empty(x.shape, x.dtype), x, scratch=1)
# --8<-- [end:silu]


# --8<-- [start:silu_backward]
def silu_backward(grad_out: ArrayLike, x: ArrayLike) -> np.ndarray:
    """Gradient of :func:`silu` with respect to ``x``.

    Parameters
    ----------
    grad_out : array_like, shape (*)
        Upstream gradient dL/dy, the shape of ``silu(x)``.
    x : array_like, shape (*)
        The forward input.

    Returns
    -------
    ndarray, shape (*)
        dL/dx = grad_out * (sigmoid(x) + x sigmoid(x) sigmoid(-x)).

    Examples
    --------
    >>> silu_backward([1.0, 1.0], [0.0, np.log(3.0)])  # 1/2 + 0;  3/4 + ln 3 * (3/4) * (1/4)
    array([0.5      , 0.9559898])
    """
    x = as_float_array(x, "x")
    grad_out = as_grad_out(grad_out, x.shape, x.dtype)

    def block(dx: np.ndarray, v: np.ndarray, g: np.ndarray, e: np.ndarray, d: np.ndarray,
              t: np.ndarray) -> None:
        # with e = exp(-|v|) in (0, 1] and d = 1 + e: sigmoid(v) = n / d, n = max(e, [v >= 0]),
        # and sigmoid(v) sigmoid(-v) = e / d^2 (no 1 - sigmoid cancellation), so the product rule
        # s(v) + v s(v) s(-v) = (n d + v e) / d^2
        np.abs(v, out=e)
        np.negative(e, out=e)
        np.exp(e, out=e)
        np.add(e, 1, out=d)
        # v e, with v clipped where e is exactly 0, so that +-inf give the limits 1 and 0
        np.clip(v, -_CLIP, _CLIP, out=t)
        np.multiply(t, e, out=t)
        # n d + v e, then the two divisions by d
        np.greater_equal(v, 0, out=dx)
        np.maximum(dx, e, out=dx)
        np.multiply(dx, d, out=dx)
        np.add(dx, t, out=dx)
        np.divide(dx, d, out=dx)
        np.divide(dx, d, out=dx)
        np.multiply(dx, g, out=dx)

    # evaluated in cache-sized blocks: the passes above then touch no main memory but the
    # arguments and the result
    return map_blocks(block, np.empty(x.shape, x.dtype), x, grad_out, scratch=3)
# --8<-- [end:silu_backward]
