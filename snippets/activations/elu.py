"""ELU and CELU: the identity for positive inputs, a saturating exponential for negative ones."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, as_real_scalar, propagates_nonfinite

__all__ = ["elu", "elu_backward", "celu", "celu_backward"]


# --8<-- [start:elu]
@propagates_nonfinite
def elu(x: ArrayLike, alpha: float = 1.0) -> np.ndarray:
    """Exponential linear unit, element-wise: ``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``.

    The same values as ``torch.nn.functional.elu(x, alpha)``.

    Parameters
    ----------
    x : array_like, shape (*)
        Input of any shape. float32 stays float32; other real input is computed in float64.
    alpha : float, default 1.0
        The negative saturation value is ``-alpha``. Any finite number (Clevert et al. take
        ``alpha > 0``; PyTorch accepts any).

    Returns
    -------
    ndarray, shape (*)
        Values above ``-alpha`` (for ``alpha > 0``), with the shape and float dtype of ``x``.

    Examples
    --------
    >>> elu([-1.0, 0.0, 2.0])  # e^-1 - 1 = -0.632...; 0 and 2 pass through
    array([-0.63212056,  0.        ,  2.        ])
    """
    x = as_float_array(x, "x")
    alpha = as_real_scalar(alpha, "alpha")
    # alpha * (e^x - 1) on the non-positive part (expm1: no cancellation near 0; x > 0 gives
    # expm1(0) = 0 there, never an overflow), alpha rounded to x's dtype as PyTorch does
    y = np.minimum(x, 0, out=np.empty_like(x))
    np.expm1(y, out=y)
    np.multiply(y, x.dtype.type(alpha), out=y)
    # the identity on x > 0 (NaN stays NaN: NaN > 0 is False)
    return np.where(x > 0, x, y)
# --8<-- [end:elu]


# --8<-- [start:elu_backward]
@propagates_nonfinite
def elu_backward(grad_out: ArrayLike, x: ArrayLike, alpha: float = 1.0) -> np.ndarray:
    """Gradient of :func:`elu` with respect to ``x``.

    The derivative is 1 for ``x > 0`` and ``alpha * exp(x)`` for ``x <= 0``; at ``x = 0`` this
    returns ``alpha`` (the left slope), as PyTorch's autograd does.

    Parameters
    ----------
    grad_out : array_like, shape (*)
        Upstream gradient dL/dy, the shape of ``elu(x)``.
    x : array_like, shape (*)
        The forward input.
    alpha : float, default 1.0
        The ``alpha`` the forward pass used.

    Returns
    -------
    ndarray, shape (*)
        dL/dx = grad_out where x > 0, grad_out * alpha * exp(x) where x <= 0.

    Examples
    --------
    >>> elu_backward([1.0, 1.0, 1.0], [-1.0, 0.0, 2.0])  # e^-1;  alpha e^0 = 1;  1
    array([0.36787944, 1.        , 1.        ])
    """
    x = as_float_array(x, "x")
    alpha = as_real_scalar(alpha, "alpha")
    grad_out = as_grad_out(grad_out, x.shape, x.dtype)
    # alpha e^x on x <= 0 (the exponent is clipped at 0, so x > 0 cannot overflow), 1 on x > 0
    slope = np.minimum(x, 0, out=np.empty_like(x))
    np.exp(slope, out=slope)
    np.multiply(slope, x.dtype.type(alpha), out=slope)
    np.copyto(slope, 1, where=x > 0)
    return np.multiply(slope, grad_out, out=slope)
# --8<-- [end:elu_backward]


# --8<-- [start:celu]
@propagates_nonfinite
def celu(x: ArrayLike, alpha: float = 1.0) -> np.ndarray:
    """Continuously differentiable ELU: ``x`` if ``x > 0`` else ``alpha * (exp(x / alpha) - 1)``.

    The same values as ``torch.nn.functional.celu(x, alpha)``. Its slope at 0 is 1 from both
    sides for every ``alpha``, where :func:`elu`'s left slope is ``alpha``.

    Parameters
    ----------
    x : array_like, shape (*)
        Input of any shape. float32 stays float32; other real input is computed in float64.
    alpha : float, default 1.0
        The negative saturation value ``-alpha``; a finite number > 0 (PyTorch refuses 0).

    Returns
    -------
    ndarray, shape (*)
        Values above ``-alpha``, with the shape and float dtype of ``x``.

    Examples
    --------
    >>> celu([-2.0, 3.0], alpha=2.0)  # 2 (e^(-2/2) - 1) = -1.264...; 3 passes through
    array([-1.26424112,  3.        ])
    """
    x = as_float_array(x, "x")
    alpha = as_real_scalar(alpha, "alpha", low=0.0, low_open=True)
    a = x.dtype.type(alpha)
    # alpha * (e^(x / alpha) - 1) on the non-positive part, the identity on x > 0
    y = np.minimum(x, 0, out=np.empty_like(x))
    np.divide(y, a, out=y)
    np.expm1(y, out=y)
    np.multiply(y, a, out=y)
    return np.where(x > 0, x, y)
# --8<-- [end:celu]


# --8<-- [start:celu_backward]
@propagates_nonfinite
def celu_backward(grad_out: ArrayLike, x: ArrayLike, alpha: float = 1.0) -> np.ndarray:
    """Gradient of :func:`celu` with respect to ``x``.

    The derivative is 1 for ``x > 0`` and ``exp(x / alpha)`` for ``x <= 0``: 1 at ``x = 0`` from
    both sides. (PyTorch's autograd rounds ``alpha`` to float32 before taking ``1 / alpha``, so for
    an ``alpha`` that float32 cannot hold, such as 0.7, its float64 gradient is off by ~1e-8
    relative; this function is not.)

    Parameters
    ----------
    grad_out : array_like, shape (*)
        Upstream gradient dL/dy, the shape of ``celu(x)``.
    x : array_like, shape (*)
        The forward input.
    alpha : float, default 1.0
        The ``alpha`` the forward pass used.

    Returns
    -------
    ndarray, shape (*)
        dL/dx = grad_out where x > 0, grad_out * exp(x / alpha) where x <= 0.

    Examples
    --------
    >>> celu_backward([1.0, 1.0, 1.0], [-2.0, 0.0, 3.0], alpha=2.0)  # e^(-2/2) = e^-1;  e^0 = 1;  1
    array([0.36787944, 1.        , 1.        ])
    """
    x = as_float_array(x, "x")
    alpha = as_real_scalar(alpha, "alpha", low=0.0, low_open=True)
    grad_out = as_grad_out(grad_out, x.shape, x.dtype)
    # e^(x / alpha) on x <= 0 (exponent clipped at 0: no overflow), 1 on x > 0
    slope = np.minimum(x, 0, out=np.empty_like(x))
    np.divide(slope, x.dtype.type(alpha), out=slope)
    np.exp(slope, out=slope)
    np.copyto(slope, 1, where=x > 0)
    return np.multiply(slope, grad_out, out=slope)
# --8<-- [end:celu_backward]
