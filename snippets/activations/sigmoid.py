"""Sigmoid (logistic function): squashes any real number into the interval (0, 1)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out

__all__ = ["sigmoid", "sigmoid_backward"]


# --8<-- [start:sigmoid]
def sigmoid(x: ArrayLike) -> np.ndarray:
    """Logistic sigmoid, element-wise: ``1 / (1 + exp(-x))``.

    Parameters
    ----------
    x : array_like, shape (*)
        Input of any shape. float32 stays float32; other real input is computed in float64.

    Returns
    -------
    ndarray, shape (*)
        Values in [0, 1], with the shape and float dtype of ``x``.

    Examples
    --------
    >>> sigmoid([-2.0, 0.0, 2.0])
    array([0.11920292, 0.5       , 0.88079708])
    """
    x = as_float_array(x, "x")
    # e = exp(-|x|) lies in (0, 1], so nothing below can overflow
    e = np.exp(-np.abs(x))
    # x >= 0: 1 / (1 + e^-x)      x < 0: e^x / (1 + e^x)   (the same function, rearranged)
    # numerator: 1 where x >= 0, else e; as e <= 1 that is max(e, [x >= 0]), a branch-free
    # vectorised max (np.where is several times slower on a mix of signs)
    num = np.maximum(e, x >= 0)
    # the denominator 1 + e and the division, in place: no new arrays
    e += 1
    num /= e
    return num
# --8<-- [end:sigmoid]


# --8<-- [start:sigmoid_backward]
def sigmoid_backward(grad_out: ArrayLike, x: ArrayLike) -> np.ndarray:
    """Gradient of :func:`sigmoid` with respect to ``x``.

    Parameters
    ----------
    grad_out : array_like, shape (*)
        Upstream gradient dL/dy, the shape of ``sigmoid(x)``.
    x : array_like, shape (*)
        The forward input.

    Returns
    -------
    ndarray, shape (*)
        dL/dx = grad_out * sigmoid(x) * (1 - sigmoid(x)).

    Examples
    --------
    >>> sigmoid_backward([1.0, 1.0], [0.0, 40.0])
    array([2.50000000e-01, 4.24835426e-18])
    """
    x = as_float_array(x, "x")
    grad_out = as_grad_out(grad_out, x.shape, x.dtype)
    # 1 - sigmoid(x) == sigmoid(-x); the right side keeps its precision when sigmoid(x) ~ 1
    return grad_out * sigmoid(x) * sigmoid(-x)
# --8<-- [end:sigmoid_backward]
