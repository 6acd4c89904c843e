"""L1 regularization: the penalty lam * sum|w|, its proximal step (soft thresholding) and the lasso."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, as_real_scalar, propagates_nonfinite

__all__ = ["l1_penalty", "l1_penalty_backward", "soft_threshold", "lasso_ista"]


# --8<-- [start:l1_penalty]
@propagates_nonfinite
def l1_penalty(w: ArrayLike, lam: float) -> np.floating:
    """L1 penalty ``lam * sum(|w|)``, added to a loss to push weights toward exactly zero.

    Parameters
    ----------
    w : array_like, shape (*)
        Weights of any shape.
    lam : float
        Regularization strength, ``lam >= 0``.

    Returns
    -------
    numpy scalar
        ``lam * sum(|w|)`` in the float dtype of ``w`` (0 for an empty ``w``).

    Examples
    --------
    >>> float(l1_penalty([1.0, -2.0, 0.0], lam=0.5))  # 0.5 * (1 + 2 + 0)
    1.5
    """
    w = as_float_array(w, "w")
    lam = w.dtype.type(as_real_scalar(lam, "lam", low=0.0))
    # the L1 norm: the sum of absolute values, scaled by the strength
    return lam * np.sum(np.abs(w))
# --8<-- [end:l1_penalty]


# --8<-- [start:l1_penalty_backward]
@propagates_nonfinite
def l1_penalty_backward(grad_out: ArrayLike, w: ArrayLike, lam: float) -> np.ndarray:
    """(Sub)gradient of :func:`l1_penalty` with respect to ``w``.

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
        ``grad_out * lam * sign(w)``. At ``w = 0``, where ``|w|`` has a kink, this picks the
        subgradient 0 (as PyTorch's ``abs`` does).

    Examples
    --------
    >>> l1_penalty_backward(1.0, [3.0, -0.1, 0.0], lam=0.5)  # 0.5 * sign(w)
    array([ 0.5, -0.5,  0. ])
    """
    w = as_float_array(w, "w")
    lam = w.dtype.type(as_real_scalar(lam, "lam", low=0.0))
    grad_out = as_grad_out(grad_out, (), w.dtype)
    # d|w|/dw = sign(w) away from 0; sign(0) = 0 is a valid subgradient (any value in [-1, 1] is)
    return grad_out * lam * np.sign(w)
# --8<-- [end:l1_penalty_backward]


# --8<-- [start:soft_threshold]
@propagates_nonfinite
def soft_threshold(w: ArrayLike, t: float) -> np.ndarray:
    """Soft thresholding ``sign(w) * max(|w| - t, 0)``: the proximal step of ``t * |w|``.

    ``soft_threshold(v, t)`` is the ``w`` that minimises ``0.5 * (w - v)**2 + t * |w|``,
    element-wise: it moves every entry ``t`` toward zero and sets the ones within ``t`` of zero
    to exactly 0. The same function as ``torch.nn.functional.softshrink(v, lambd=t)``.

    Parameters
    ----------
    w : array_like, shape (*)
        Input of any shape.
    t : float
        Threshold, ``t >= 0``.

    Returns
    -------
    ndarray, shape (*)
        The shrunk values, in the shape and float dtype of ``w``.

    Examples
    --------
    >>> soft_threshold([-3.0, -0.5, 0.0, 0.5, 3.0], t=1.0)  # |w| <= 1 -> 0, others move 1 toward 0
    array([-2.,  0.,  0.,  0.,  2.])
    """
    w = as_float_array(w, "w")
    t = w.dtype.type(as_real_scalar(t, "t", low=0.0))
    # w minus its projection onto [-t, t]: equal to sign(w) max(|w| - t, 0), but exact zeros
    # come out as +0.0 (never -0.0) and NaN stays NaN
    return w - np.clip(w, -t, t)
# --8<-- [end:soft_threshold]


# --8<-- [start:lasso_ista]
@propagates_nonfinite
def lasso_ista(
    X: ArrayLike,
    y: ArrayLike,
    lam: float,
    steps: int = 10_000,
    tol: float = 1e-12,
    w0: ArrayLike | None = None,
) -> np.ndarray:
    """Fit a lasso (L1-regularised least squares) by ISTA, proximal gradient descent.

    Minimises ``(1 / (2 n)) * ||y - X w||^2 + lam * ||w||_1``, the objective of
    ``sklearn.linear_model.Lasso(alpha=lam, fit_intercept=False)``. Each step is a gradient
    step on the squared error with step size ``1 / L`` (``L = sigma_max(X)^2 / n``, the
    largest curvature of that term) followed by :func:`soft_threshold` with threshold
    ``lam / L``, which sets small coefficients to exactly zero.

    Parameters
    ----------
    X : array_like, shape (n, p)
        Design matrix: n samples, p features (no intercept column is added).
    y : array_like, shape (n,)
        Targets.
    lam : float
        Regularization strength, ``lam >= 0`` (``lam = 0`` is least squares).
    steps : int, default 10000
        Largest number of iterations.
    tol : float, default 1e-12
        Stop once no coefficient moves by more than ``tol`` in one iteration.
    w0 : array_like, shape (p,), optional
        Starting point (a warm start, e.g. the solution for a nearby ``lam``); zeros if omitted.

    Returns
    -------
    ndarray, shape (p,)
        The coefficients, in the float dtype of ``X``; all NaN if ``X`` or ``y`` holds NaN or inf.

    Raises
    ------
    ValueError
        For bad shapes or strengths, and when ``sigma_max(X)^2`` overflows (``X`` near 1e154 in
        float64): the step ``1 / L`` would then be 0.

    Examples
    --------
    With ``X = I`` (n = p = 2) the objective splits into ``(1/4)(y_i - w_i)^2 + lam |w_i|`` per
    coordinate, minimised by soft-thresholding ``y`` at ``2 lam``; here ``2 lam = 1``:

    >>> lasso_ista(np.eye(2), [3.0, 0.5], lam=0.5)
    array([2., 0.])
    """
    X = as_float_array(X, "X")
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be a 2-D array (n, p) with n >= 1, got shape {X.shape}")
    n, p = X.shape
    y = as_float_array(y, "y").astype(X.dtype, copy=False)
    if y.shape != (n,):
        raise ValueError(f"y must have shape (n,) = ({n},) to match X {X.shape}, got shape {y.shape}")
    lam = as_real_scalar(lam, "lam", low=0.0)
    tol = as_real_scalar(tol, "tol", low=0.0)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    w = np.zeros(p, dtype=X.dtype)
    if w0 is not None:
        w0 = as_float_array(w0, "w0")
        if w0.shape != (p,):
            raise ValueError(f"w0 must have shape (p,) = ({p},) to match X {X.shape}, got shape {w0.shape}")
        w = w0.astype(X.dtype)  # a copy: the caller's array is never touched
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        return np.full(p, np.nan, dtype=X.dtype)
    # L: the largest eigenvalue of X^T X / n, the Lipschitz constant of the squared error's gradient
    sigma_max = np.linalg.norm(X, 2)
    L = sigma_max**2 / n
    if not np.isfinite(L):
        # the step 1 / L would be 0 and ISTA would never move: refuse rather than return w0
        raise ValueError(
            f"X is too large for ISTA: its largest singular value {sigma_max:.3g} squared exceeds the "
            f"float range, so the step 1/L would be 0; rescale the columns of X"
        )
    if L == 0:  # X = 0: the data term is constant, and w = 0 minimises lam * ||w||_1
        return np.zeros(p, dtype=X.dtype)
    step, threshold = X.dtype.type(1 / L), X.dtype.type(lam / L)
    for _ in range(steps):
        # gradient step on (1/2n)||y - Xw||^2, then the proximal step of (lam / L)||w||_1
        grad = X.T @ (X @ w - y) / n
        w_next = soft_threshold(w - step * grad, threshold)
        moved = np.max(np.abs(w_next - w), initial=0.0)
        w = w_next
        if moved <= tol:
            break
    return w
# --8<-- [end:lasso_ista]
