"""SiLU / swish: the input multiplied by its own sigmoid, x * sigmoid(x)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out
from snippets.activations.sigmoid import sigmoid

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
    # x * sigmoid(x), with the overflow-free sigmoid; the factor x clipped only on the left,
    # where sigmoid(x) is exactly 0 (so +inf stays +inf)
    return np.maximum(x, -_CLIP) * sigmoid(x)
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
    s, s_neg = sigmoid(x), sigmoid(-x)
    # product rule: d/dx [x s(x)] = s(x) + x s'(x), s'(x) = s(x) s(-x) (no 1 - s(x) cancellation);
    # x clipped where s(x) s(-x) is exactly 0, so +-inf give the limits 1 and 0
    return grad_out * (s + np.clip(x, -_CLIP, _CLIP) * s * s_neg)
# --8<-- [end:silu_backward]
