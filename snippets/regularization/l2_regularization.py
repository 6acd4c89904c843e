"""L2 regularization (weight decay): the penalty 0.5 * lam * sum(w^2) and ridge regression."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, as_real_scalar, propagates_nonfinite

__all__ = ["l2_penalty", "l2_penalty_backward", "ridge_regression"]


# --8<-- [start:ridge_svd]
def _ridge_svd(a: np.ndarray, b: np.ndarray, alpha: float) -> np.ndarray:
    """``argmin_w ||a w - b||^2 + alpha ||w||^2`` for each column of ``b`` (n, K), from the thin
    SVD ``a = U diag(s) V^T``: ``w = V diag(s / (s^2 + alpha)) U^T b``, shape (p, K).

    For ``alpha = 0`` the filter is ``1 / s``: the pseudo-inverse, i.e. the least-squares solution
    of minimum norm, with singular values below ``eps * max(n, p) * s_max`` counted as 0 (as
    ``np.linalg.lstsq(a, b, rcond=None)``); it is also the limit of the ridge solution as
    alpha -> 0+. Defined for every rank of ``a``: nothing is inverted that could be singular.
    """
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    if alpha == 0:
        # drop the directions the data does not determine (to rounding): 1/s would amplify noise
        cutoff = np.finfo(a.dtype).eps * max(a.shape) * np.max(s, initial=0)
        filt = np.divide(1, s, out=np.zeros_like(s), where=s > cutoff)
    else:
        # the ridge filter s / (s^2 + alpha) shrinks each direction, the weak ones the most;
        # written 1 / (s + alpha / s) so that s^2 cannot overflow (and 0 where s = 0)
        alpha = a.dtype.type(alpha)
        filt = np.divide(1, s + np.divide(alpha, s, out=np.zeros_like(s), where=s > 0), out=np.zeros_like(s), where=s > 0)
    return vt.T @ (filt[:, None] * (u.T @ b))
# --8<-- [end:ridge_svd]


# --8<-- [start:l2_penalty]
@propagates_nonfinite
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
@propagates_nonfinite
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
@propagates_nonfinite
def ridge_regression(X: ArrayLike, y: ArrayLike, lam: float) -> np.ndarray:
    """Fit ridge regression (L2-regularised least squares) in closed form.

    Minimises ``(1 / (2 n)) * ||y - X w||^2 + 0.5 * lam * ||w||^2``, whose gradient
    ``X^T (X w - y) / n + lam * w`` vanishes at ``(X^T X / n + lam I) w = X^T y / n``.
    This is ``sklearn.linear_model.Ridge(alpha=n * lam, fit_intercept=False)``: scikit-learn
    minimises ``||y - X w||^2 + alpha ||w||^2``, the same objective times ``2 n``. Solved through
    the singular value decomposition ``X = U diag(s) V^T`` (scikit-learn's ``solver="svd"``):
    ``w = V diag(s / (s^2 + n lam)) U^T y``, without forming ``X^T X``, whose condition number
    is the square of X's.

    Parameters
    ----------
    X : array_like, shape (n, p)
        Design matrix: n samples, p features (no intercept column is added).
    y : array_like, shape (n,)
        Targets.
    lam : float
        Regularization strength, ``lam >= 0``. ``lam = 0`` is least squares; when ``X`` has
        dependent columns it has many solutions, and the one of minimum norm is returned (the
        limit of ridge as lam -> 0, and ``np.linalg.lstsq``'s answer), where solving the normal
        equations would divide by 0.

    Returns
    -------
    ndarray, shape (p,)
        The coefficients, in the float dtype of ``X``; all NaN if ``X`` or ``y`` holds NaN or inf.

    Examples
    --------
    >>> ridge_regression(np.eye(2), [3.0, 1.0], lam=0.5)  # (I/2 + I/2) w = y/2, so w = y/2
    array([1.5, 0.5])
    >>> # two equal columns and lam = 0: every w with w_0 + w_1 = 2 fits; the shortest is (1, 1)
    >>> ridge_regression([[1.0, 1.0], [2.0, 2.0]], [2.0, 4.0], lam=0.0).round(12)
    array([1., 1.])
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
    # ||y - X w||^2 + n lam ||w||^2 is the objective times 2n: the ridge problem with alpha = n lam
    return _ridge_svd(X, y[:, None], n * lam)[:, 0]
# --8<-- [end:ridge_regression]
