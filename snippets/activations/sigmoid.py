"""Sigmoid (logistic function): squashes any real number into the interval (0, 1)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out
from snippets.activations._blocks import map_blocks

__all__ = ["sigmoid", "sigmoid_backward"]


# --8<-- [start:sigmoid]
def sigmoid_block(y: np.ndarray, v: np.ndarray, e: np.ndarray) -> None:
    """``y = sigmoid(v)`` for one block, with ``e`` a scratch buffer of v's shape (silu uses it too)."""
    # e = exp(-|v|) lies in (0, 1], so nothing below can overflow
    np.abs(v, out=e)
    np.negative(e, out=e)
    np.exp(e, out=e)
    # v >= 0: 1 / (1 + e^-v)      v < 0: e^v / (1 + e^v)   (the same function, rearranged)
    # numerator: 1 where v >= 0, else e; as e <= 1 that is max(e, [v >= 0]), a branch-free
    # vectorised max (np.where is several times slower on a mix of signs)
    np.greater_equal(v, 0, out=y)
    np.maximum(y, e, out=y)
    # the denominator 1 + e and the division
    np.add(e, 1, out=e)
    np.divide(y, e, out=y)


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

    # evaluated in cache-sized blocks: the passes of sigmoid_block then touch no main memory but x and y
    return map_blocks(sigmoid_block, np.empty(x.shape, x.dtype), x, scratch=1)
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
        dL/dx = grad_out * sigmoid(x) * (1 - sigmoid(x)), computed as grad_out * e / (1 + e)^2
        with e = exp(-|x|).

    Examples
    --------
    >>> sigmoid_backward([1.0, 1.0], [0.0, 40.0])
    array([2.50000000e-01, 4.24835426e-18])
    """
    x = as_float_array(x, "x")
    grad_out = as_grad_out(grad_out, x.shape, x.dtype)

    def block(dx: np.ndarray, v: np.ndarray, g: np.ndarray, e: np.ndarray, d: np.ndarray) -> None:
        # sigmoid(v) sigmoid(-v) = e / (1 + e)^2 with e = exp(-|v|) in (0, 1]: even in v, no
        # overflow, and no 1 - sigmoid(v) (which loses its precision where sigmoid(v) ~ 1)
        np.abs(v, out=e)
        np.negative(e, out=e)
        np.exp(e, out=e)
        np.add(e, 1, out=d)
        np.square(d, out=d)
        np.divide(e, d, out=e)
        np.multiply(g, e, out=dx)

    # evaluated in cache-sized blocks: the passes above then touch no main memory but the
    # arguments and the result
    return map_blocks(block, np.empty(x.shape, x.dtype), x, grad_out, scratch=2)
# --8<-- [end:sigmoid_backward]
