"""ReLU (rectified linear unit): keeps positive inputs and replaces negative ones with zero."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out

__all__ = ["relu", "relu_backward"]


# --8<-- [start:relu]
def relu(x: ArrayLike) -> np.ndarray:
    """Rectified linear unit, element-wise: ``max(x, 0)``.

    Parameters
    ----------
    x : array_like, shape (*)
        Input of any shape (usually pre-activations ``W h + b``). float32 stays float32; other
        real input is computed in float64.

    Returns
    -------
    ndarray, shape (*)
        Values in [0, inf), with the shape and float dtype of ``x``; NaN stays NaN.

    Examples
    --------
    >>> relu([-2.0, 0.0, 3.0])  # negatives clipped to 0, the rest passed through
    array([0., 0., 3.])
    """
    x = as_float_array(x, "x")
    # the positive part of x (np.maximum propagates NaN)
    return np.maximum(x, 0)
# --8<-- [end:relu]


# --8<-- [start:relu_backward]
def relu_backward(grad_out: ArrayLike, x: ArrayLike) -> np.ndarray:
    """Gradient of :func:`relu` with respect to ``x``.

    The derivative is 1 for ``x > 0`` and 0 for ``x < 0``; at the kink ``x = 0`` this returns 0,
    the subgradient PyTorch uses. A NaN in ``x`` gives NaN (PyTorch passes ``grad_out`` through).

    Parameters
    ----------
    grad_out : array_like, shape (*)
        Upstream gradient dL/dy, the shape of ``relu(x)``.
    x : array_like, shape (*)
        The forward input.

    Returns
    -------
    ndarray, shape (*)
        dL/dx = grad_out where x > 0, and 0 where x <= 0.

    Examples
    --------
    >>> relu_backward([5.0, 5.0, 5.0], [-1.0, 0.0, 2.0])  # slope 0, 0 (the kink), 1
    array([0., 0., 5.])
    """
    x = as_float_array(x, "x")
    grad_out = as_grad_out(grad_out, x.shape, x.dtype)
    # slope 1 on the open half-line x > 0, slope 0 elsewhere (0 at the kink, as PyTorch): keep
    # grad_out's bits where x > 0 and clear them elsewhere, by a bitwise AND with a mask of all
    # ones (the integer -1) or all zeros per element. Exact, even for an infinite grad_out, and
    # one vectorised pass (np.where branches per element: several times slower on mixed signs).
    bits = np.dtype(f"i{x.dtype.itemsize}")  # the signed integer of the float's width
    mask = np.negative(np.ravel(x > 0).view(np.int8), dtype=bits)
    passed = np.bitwise_and(np.ravel(grad_out).view(bits), mask, out=mask).view(x.dtype)
    # NaN in, NaN out: a NaN input has no slope (written over, only where x has a NaN)
    nan = np.isnan(np.ravel(x))
    if nan.any():
        passed[nan] = np.ravel(x)[nan]
    return passed.reshape(x.shape)
# --8<-- [end:relu_backward]
