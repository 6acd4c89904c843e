"""Regression losses: mean squared error, mean absolute error (L1) and the Huber loss."""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, check_same_shape, propagates_nonfinite

__all__ = [
    "mse_loss",
    "mse_loss_backward",
    "l1_loss",
    "l1_loss_backward",
    "huber_loss",
    "huber_loss_backward",
]


def _residual(pred: ArrayLike, target: ArrayLike) -> np.ndarray:
    """``pred - target`` in the float dtype of ``pred``, after checking shapes and emptiness."""
    pred = as_float_array(pred, "pred")
    target = as_float_array(target, "target")
    check_same_shape(pred, target, "pred", "target")
    if pred.size == 0:
        raise ValueError(f"pred must not be empty, got shape {pred.shape}")
    return pred - target.astype(pred.dtype, copy=False)


def _check_delta(delta: object) -> float:
    """Huber's threshold as a Python float (so it never changes the dtype); it must be > 0."""
    if isinstance(delta, (bool, np.bool_)) or not isinstance(delta, numbers.Real):
        raise TypeError(f"delta must be a real number, got {type(delta).__name__}")
    delta = float(delta)
    if math.isnan(delta) or delta <= 0:
        raise ValueError(f"delta must be > 0, got {delta}")
    return delta


# --8<-- [start:mse_loss]
@propagates_nonfinite
def mse_loss(pred: ArrayLike, target: ArrayLike) -> np.floating:
    """Mean squared error: ``mean((pred - target)^2)``.

    The same value as ``torch.nn.functional.mse_loss(pred, target)`` (``reduction="mean"``).

    Parameters
    ----------
    pred : array_like, shape (*)
        Predictions, non-empty.
    target : array_like, shape (*)
        Targets, exactly the shape of ``pred`` (no broadcasting); cast to the dtype of ``pred``.

    Returns
    -------
    numpy scalar
        The mean of the squared residuals, in the float dtype of ``pred``.

    Examples
    --------
    >>> float(mse_loss([1.0, 2.0, 3.0], [1.0, 0.0, 5.0]))  # (0 + 4 + 4) / 3
    2.6666666666666665
    """
    r = _residual(pred, target)
    # average of the squared residuals over all elements
    return np.mean(r * r)
# --8<-- [end:mse_loss]


# --8<-- [start:mse_loss_backward]
@propagates_nonfinite
def mse_loss_backward(grad_out: ArrayLike, pred: ArrayLike, target: ArrayLike) -> np.ndarray:
    """Gradient of :func:`mse_loss` with respect to ``pred``.

    Parameters
    ----------
    grad_out : array_like, shape ()
        Upstream gradient of the scalar loss (1.0 when the loss is the final output).
    pred, target : array_like, shape (*)
        The forward inputs.

    Returns
    -------
    ndarray, shape (*)
        ``grad_out * 2 * (pred - target) / pred.size``.

    Examples
    --------
    >>> mse_loss_backward(1.0, [1.0, 2.0, 3.0], [1.0, 0.0, 5.0])  # 2 r / 3 with r = (0, 2, -2)
    array([ 0.        ,  1.33333333, -1.33333333])
    """
    r = _residual(pred, target)
    grad_out = as_grad_out(grad_out, (), r.dtype)
    # d/dr of r^2 is 2r; the mean divides by the number of elements
    return grad_out * 2 * r / r.size
# --8<-- [end:mse_loss_backward]


# --8<-- [start:l1_loss]
@propagates_nonfinite
def l1_loss(pred: ArrayLike, target: ArrayLike) -> np.floating:
    """Mean absolute error (L1 loss): ``mean(|pred - target|)``.

    The same value as ``torch.nn.functional.l1_loss(pred, target)`` (``reduction="mean"``).

    Parameters
    ----------
    pred : array_like, shape (*)
        Predictions, non-empty.
    target : array_like, shape (*)
        Targets, exactly the shape of ``pred``; cast to the dtype of ``pred``.

    Returns
    -------
    numpy scalar
        The mean of the absolute residuals, in the float dtype of ``pred``.

    Examples
    --------
    >>> float(l1_loss([1.0, 2.0, 3.0], [1.0, 0.0, 5.0]))  # (0 + 2 + 2) / 3
    1.3333333333333333
    """
    r = _residual(pred, target)
    # average of the absolute residuals
    return np.mean(np.abs(r))
# --8<-- [end:l1_loss]


# --8<-- [start:l1_loss_backward]
@propagates_nonfinite
def l1_loss_backward(grad_out: ArrayLike, pred: ArrayLike, target: ArrayLike) -> np.ndarray:
    """Gradient of :func:`l1_loss` with respect to ``pred``.

    ``|r|`` has no derivative at ``r = 0``; like PyTorch this returns the subgradient 0 there.

    Parameters
    ----------
    grad_out : array_like, shape ()
        Upstream gradient of the scalar loss.
    pred, target : array_like, shape (*)
        The forward inputs.

    Returns
    -------
    ndarray, shape (*)
        ``grad_out * sign(pred - target) / pred.size``, with ``sign(0) = 0``.

    Examples
    --------
    >>> l1_loss_backward(1.0, [1.0, 2.0, 3.0], [1.0, 0.0, 5.0])  # sign(0, 2, -2) / 3
    array([ 0.        ,  0.33333333, -0.33333333])
    """
    r = _residual(pred, target)
    grad_out = as_grad_out(grad_out, (), r.dtype)
    # d|r|/dr = sign(r): +-1, and the subgradient 0 at r = 0 (np.sign(0) = 0)
    return grad_out * np.sign(r) / r.size
# --8<-- [end:l1_loss_backward]


# --8<-- [start:huber_loss]
@propagates_nonfinite
def huber_loss(pred: ArrayLike, target: ArrayLike, delta: float = 1.0) -> np.floating:
    """Huber loss: quadratic for residuals up to ``delta``, linear beyond, averaged.

    The same value as ``torch.nn.functional.huber_loss(pred, target, delta=delta)``. Per element,
    with ``r = pred - target``: ``r^2 / 2`` if ``|r| <= delta``, else ``delta * (|r| - delta / 2)``.

    Parameters
    ----------
    pred : array_like, shape (*)
        Predictions, non-empty.
    target : array_like, shape (*)
        Targets, exactly the shape of ``pred``; cast to the dtype of ``pred``.
    delta : float, default 1.0
        Where the quadratic part hands over to the linear part; must be > 0. ``delta = inf``
        gives half the mean squared error.

    Returns
    -------
    numpy scalar
        The mean Huber loss, in the float dtype of ``pred``.

    Examples
    --------
    >>> float(huber_loss([0.5, 3.0], [0.0, 0.0]))  # (0.5^2 / 2 + 1 * (3 - 1/2)) / 2
    1.3125
    """
    delta = _check_delta(delta)
    a = np.abs(_residual(pred, target))
    # q = min(|r|, delta) covers both pieces at once: q (|r| - q/2) is r^2/2 when |r| <= delta
    # and delta (|r| - delta/2) beyond, and neither piece is evaluated where it does not apply
    q = np.minimum(a, delta)
    return np.mean(q * (a - 0.5 * q))
# --8<-- [end:huber_loss]


# --8<-- [start:huber_loss_backward]
@propagates_nonfinite
def huber_loss_backward(
    grad_out: ArrayLike, pred: ArrayLike, target: ArrayLike, delta: float = 1.0
) -> np.ndarray:
    """Gradient of :func:`huber_loss` with respect to ``pred``.

    Parameters
    ----------
    grad_out : array_like, shape ()
        Upstream gradient of the scalar loss.
    pred, target : array_like, shape (*)
        The forward inputs.
    delta : float, default 1.0
        The threshold used in the forward pass; must be > 0.

    Returns
    -------
    ndarray, shape (*)
        ``grad_out * clip(pred - target, -delta, delta) / pred.size``.

    Examples
    --------
    >>> huber_loss_backward(1.0, [0.5, 3.0], [0.0, 0.0])  # clip((0.5, 3), -1, 1) / 2
    array([0.25, 0.5 ])
    """
    delta = _check_delta(delta)
    r = _residual(pred, target)
    grad_out = as_grad_out(grad_out, (), r.dtype)
    # derivative of each piece: r inside [-delta, delta], +-delta outside, i.e. r clipped
    return grad_out * np.clip(r, -delta, delta) / r.size
# --8<-- [end:huber_loss_backward]
