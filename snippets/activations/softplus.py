"""Softplus: log(1 + e^x), a smooth ReLU whose derivative is the sigmoid."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, as_real_scalar, propagates_nonfinite
from snippets.activations.sigmoid import sigmoid

__all__ = ["softplus", "softplus_backward"]


def _scaled(x: np.ndarray, beta: float, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``beta``, ``beta * x`` and ``threshold`` in the dtype of ``x`` (PyTorch rounds both
    hyperparameters to the input's dtype first)."""
    b = x.dtype.type(beta)
    return b, np.multiply(x, b, out=np.empty_like(x)), x.dtype.type(threshold)


# --8<-- [start:softplus]
@propagates_nonfinite
def softplus(x: ArrayLike, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    """Softplus, element-wise: ``log(1 + exp(beta * x)) / beta``, and ``x`` where ``beta * x > threshold``.

    The same values as ``torch.nn.functional.softplus(x, beta, threshold)``.

    Parameters
    ----------
    x : array_like, shape (*)
        Input of any shape. float32 stays float32; other real input is computed in float64.
    beta : float, default 1.0
        Sharpness, a finite number > 0 (``beta -> inf`` tends to ReLU).
    threshold : float, default 20.0
        Where ``beta * x`` exceeds it the result is ``x`` itself (PyTorch's switch to the linear
        regime; the two differ there by less than ``exp(-threshold) / beta``). Any finite number.

    Returns
    -------
    ndarray, shape (*)
        Positive values, with the shape and float dtype of ``x``.

    Examples
    --------
    >>> softplus([0.0, np.log(3.0)])  # log(1 + 1) = ln 2;  log(1 + 3) = 2 ln 2
    array([0.69314718, 1.38629436])
    """
    x = as_float_array(x, "x")
    beta = as_real_scalar(beta, "beta", low=0.0, low_open=True)
    threshold = as_real_scalar(threshold, "threshold")
    b, z, t = _scaled(x, beta, threshold)
    # log(1 + e^z) = max(z, 0) + log(1 + e^-|z|): the exponent is <= 0, so exp cannot overflow
    y = np.abs(z, out=np.empty_like(z))
    np.negative(y, out=y)
    np.exp(y, out=y)
    np.log1p(y, out=y)
    y += np.maximum(z, 0)
    y /= b
    # the linear regime above the threshold, as PyTorch (NaN stays NaN: NaN > t is False)
    return np.where(z > t, x, y)
# --8<-- [end:softplus]


# --8<-- [start:softplus_backward]
@propagates_nonfinite
def softplus_backward(
    grad_out: ArrayLike, x: ArrayLike, beta: float = 1.0, threshold: float = 20.0
) -> np.ndarray:
    """Gradient of :func:`softplus` with respect to ``x``.

    Parameters
    ----------
    grad_out : array_like, shape (*)
        Upstream gradient dL/dy, the shape of ``softplus(x)``.
    x : array_like, shape (*)
        The forward input.
    beta, threshold : float
        The hyperparameters the forward pass used.

    Returns
    -------
    ndarray, shape (*)
        dL/dx = grad_out * sigmoid(beta * x), and grad_out where ``beta * x > threshold``.

    Examples
    --------
    >>> softplus_backward([1.0, 1.0], [0.0, np.log(3.0)])  # sigmoid(0) = 1/2; sigmoid(ln 3) = 3/4
    array([0.5 , 0.75])
    """
    x = as_float_array(x, "x")
    beta = as_real_scalar(beta, "beta", low=0.0, low_open=True)
    threshold = as_real_scalar(threshold, "threshold")
    grad_out = as_grad_out(grad_out, x.shape, x.dtype)
    _, z, t = _scaled(x, beta, threshold)
    # d/dx log(1 + e^(beta x)) / beta = sigmoid(beta x), overflow-free; slope 1 in the linear regime
    slope = sigmoid(z)
    np.copyto(slope, 1, where=z > t)
    return np.multiply(slope, grad_out, out=slope)
# --8<-- [end:softplus_backward]
