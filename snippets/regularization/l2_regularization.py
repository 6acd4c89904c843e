"""L2 regularization (weight decay): the penalty 0.5 * lam * sum(w^2) and ridge regression."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, as_real_scalar

__all__ = ["l2_penalty", "l2_penalty_backward", "ridge_regression"]


# --8<-- [start:l2_penalty]
def l2_penalty(w: ArrayLike, lam: float) -> np.floating:
    """L2 penalty ``0.5 * lam * sum(w**2)``, added to a loss to keep weights small.

    Parameters
    ----------
    w : array_like, shape (*)
        Weights of any shape.
    lam : float
        Regularization strength, ``lam >= 0``.

    Returns
    -------
    numpy scalar
        ``0.5 * lam * sum(w**2)`` in the float dtype of ``w`` (0 for an empty ``w``).

    Examples
    --------
    >>> float(l2_penalty([1.0, -2.0], lam=0.5))  # 0.5 * 0.5 * (1 + 4)
    1.25
    """
    w = as_float_array(w, "w")
    lam = w.dtype.type(as_real_scalar(lam, "lam", low=0.0))
    # half the squared Euclidean norm, scaled: the 1/2 makes the gradient exactly lam * w
    return lam * (np.sum(w * w) / 2)
# --8<-- [end:l2_penalty]


# --8<-- [start:l2_penalty_backward]
def l2_penalty_backward(grad_out: ArrayLike, w: ArrayLike, lam: float) -> np.ndarray:
    """Gradient of :func:`l2_penalty` with respect to ``w``: the weight-decay term.

    Parameters
    ----------
    grad_out : array_like, shape ()
        Upstream gradient of the scalar penalty (1.0 when it is added to the loss as is).
    w : array_like, shape (*)
        The forward input.
    lam : float
        Regularization strength, ``lam >= 0``.

    Returns
    -------
    ndarray, shape (*)
        ``grad_out * lam * w``.

    Examples
    --------
    >>> l2_penalty_backward(1.0, [1.0, -2.0], lam=0.5)  # 0.5 * w
    array([ 0.5, -1. ])
    """
    w = as_float_array(w, "w")
    lam = w.dtype.type(as_real_scalar(lam, "lam", low=0.0))
    grad_out = as_grad_out(grad_out, (), w.dtype)
    # d/dw (lam/2) w^2 = lam * w: each weight is pulled toward 0 in proportion to its size
    return grad_out * lam * w
# --8<-- [end:l2_penalty_backward]


# --8<-- [start:ridge_regression]
def ridge_regression(X: ArrayLike, y: ArrayLike, lam: float) -> np.ndarray:
    """Fit ridge regression (L2-regularised least squares) in closed form.

    Minimises ``(1 / (2 n)) * ||y - X w||^2 + 0.5 * lam * ||w||^2``, whose gradient
    ``X^T (X w - y) / n + lam * w`` vanishes at ``(X^T X / n + lam I) w = X^T y / n``.
    This is ``sklearn.linear_model.Ridge(alpha=n * lam, fit_intercept=False)``: scikit-learn
    minimises ``||y - X w||^2 + alpha ||w||^2``, the same objective times ``2 n``.

    Parameters
    ----------
    X : array_like, shape (n, p)
        Design matrix: n samples, p features (no intercept column is added).
    y : array_like, shape (n,)
        Targets.
    lam : float
        Regularization strength, ``lam >= 0``. Any ``lam > 0`` makes the system positive
        definite; ``lam = 0`` (least squares) needs ``X`` of full column rank.

    Returns
    -------
    ndarray, shape (p,)
        The coefficients, in the float dtype of ``X``; all NaN if ``X`` or ``y`` holds NaN or inf.

    Examples
    --------
    >>> ridge_regression(np.eye(2), [3.0, 1.0], lam=0.5)  # (I/2 + I/2) w = y/2, so w = y/2
    array([1.5, 0.5])
    """
    X = as_float_array(X, "X")
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be a 2-D array (n, p) with n >= 1, got shape {X.shape}")
    n, p = X.shape
    y = as_float_array(y, "y").astype(X.dtype, copy=False)
    if y.shape != (n,):
        raise ValueError(f"y must have shape (n,) = ({n},) to match X {X.shape}, got shape {y.shape}")
    lam = as_real_scalar(lam, "lam", low=0.0)
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        return np.full(p, np.nan, dtype=X.dtype)
    # the normal equations of the penalised objective: (X^T X / n + lam I) w = X^T y / n
    A = X.T @ X / n + X.dtype.type(lam) * np.eye(p, dtype=X.dtype)
    b = X.T @ y / n
    return np.linalg.solve(A, b)
# --8<-- [end:ridge_regression]
