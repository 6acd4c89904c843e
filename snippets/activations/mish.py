"""Mish: the input times the tanh of its softplus, x * tanh(log(1 + e^x))."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, propagates_nonfinite

__all__ = ["mish", "mish_backward"]

# beyond +-800, e^-800 is exactly 0 even in float64: tanh(softplus(x)) is exactly 1 or 0 there,
# and clipping the factor x changes no value while turning x = -inf into 0 instead of -inf * 0 = NaN
_CLIP = 800.0


def _tanh_softplus(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``t = tanh(softplus(x))``, ``1 - t`` and ``1 + t``, each without cancellation.

    With ``w = e^x``: ``tanh(log(1 + w)) = ((1 + w)^2 - 1) / ((1 + w)^2 + 1) = n / (n + 2)`` with
    ``n = w (w + 2)``. For ``x > 0`` divide through by ``w^2``: with ``u = e^-x``,
    ``t = (1 + 2u) / (1 + 2u + 2u^2)``. So ``1 - t = 2 / (n + 2)`` or ``2u^2 / (1 + 2u + 2u^2)``.
    """
    u = np.exp(-np.abs(x))  # e^-|x| in (0, 1]: no overflow
    right = x > 0
    # numerator and denominator of t in the form for each side (w = u on the left, u = e^-x right)
    num = np.where(right, 1 + 2 * u, u * (u + 2))
    den = np.where(right, num + 2 * u * u, num + 2)
    gap = np.where(right, 2 * u * u, 2.0)  # den - num
    t = num / den
    one_minus = gap / den
    one_plus = (num + den) / den
    return t, one_minus, one_plus


# --8<-- [start:mish]
@propagates_nonfinite
def mish(x: ArrayLike) -> np.ndarray:
    """Mish, element-wise: ``x * tanh(softplus(x)) = x * tanh(log(1 + exp(x)))``.

    The same values as ``torch.nn.functional.mish(x)``.

    Parameters
    ----------
    x : array_like, shape (*)
        Input of any shape. float32 stays float32; other real input is computed in float64.

    Returns
    -------
    ndarray, shape (*)
        Values >= -0.3088 (the minimum, near x = -1.19), with the shape and float dtype of ``x``.

    Examples
    --------
    >>> mish([0.0, 1.0])  # tanh(ln 2) = 3/5 = 0.6 at 0 but times x = 0; tanh(ln(1 + e)) at 1
    array([0.        , 0.86509839])
    """
    x = as_float_array(x, "x")
    t, _, _ = _tanh_softplus(x)
    # times x, clipped where t is already exactly 0 or 1 (so -inf gives 0 and +inf stays +inf)
    return np.asarray(np.multiply(np.clip(x, -_CLIP, None), t), dtype=x.dtype)
# --8<-- [end:mish]


# --8<-- [start:mish_backward]
@propagates_nonfinite
def mish_backward(grad_out: ArrayLike, x: ArrayLike) -> np.ndarray:
    """Gradient of :func:`mish` with respect to ``x``.

    Parameters
    ----------
    grad_out : array_like, shape (*)
        Upstream gradient dL/dy, the shape of ``mish(x)``.
    x : array_like, shape (*)
        The forward input.

    Returns
    -------
    ndarray, shape (*)
        dL/dx = grad_out * (t + x sigmoid(x) (1 - t^2)) with t = tanh(softplus(x)).

    Examples
    --------
    >>> mish_backward([1.0], [0.0])  # t = tanh(ln 2) = 3/5, and the second term is 0 at x = 0
    array([0.6])
    """
    x = as_float_array(x, "x")
    grad_out = as_grad_out(grad_out, x.shape, x.dtype)
    t, one_minus, one_plus = _tanh_softplus(x)
    # product rule: d/dx [x t] = t + x t', with t' = (1 - t^2) softplus'(x) = (1 - t)(1 + t) sigmoid(x)
    u = np.exp(-np.abs(x))
    sig = np.where(x >= 0, 1.0, u) / (1 + u)  # sigmoid, overflow-free
    slope = t + np.clip(x, -_CLIP, _CLIP) * sig * one_minus * one_plus
    return np.asarray(np.multiply(slope, grad_out), dtype=x.dtype)
# --8<-- [end:mish_backward]
