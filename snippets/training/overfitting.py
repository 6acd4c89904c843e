"""Overfitting and underfitting, seen on least-squares polynomial fits of rising degree."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_int, check_shape

__all__ = ["polynomial_features", "polynomial_fit"]


def _as_samples(x: ArrayLike, name: str) -> np.ndarray:
    x = as_float_array(x, name)
    if x.ndim != 1:
        raise ValueError(f"{name} must be 1-D, shape (N,), got shape {x.shape}")
    return x


# --8<-- [start:polynomial_features]
def polynomial_features(x: ArrayLike, degree: int) -> np.ndarray:
    """The powers ``1, x, x^2, ..., x^degree`` of each sample: a Vandermonde matrix.

    The same matrix as ``sklearn.preprocessing.PolynomialFeatures(degree, include_bias=True)``
    applied to ``x.reshape(-1, 1)``, and as ``np.vander(x, degree + 1, increasing=True)``.

    Parameters
    ----------
    x : array_like, shape (N,)
        One real input per sample.
    degree : int
        Highest power, ``>= 0``.

    Returns
    -------
    ndarray, shape (N, degree + 1)
        Column ``k`` is ``x ** k`` (column 0 is all ones), in the float dtype of ``x``. A power
        too large for the dtype is ``inf`` (e.g. ``1e4 ** 10`` in float32), without a warning.

    Examples
    --------
    >>> polynomial_features([2.0, -1.0], degree=3)  # rows (1, x, x^2, x^3)
    array([[ 1.,  2.,  4.,  8.],
           [ 1., -1.,  1., -1.]])
    """
    x = _as_samples(x, "x")
    degree = as_int(degree, "degree", low=0)
    # x^k for k = 0 .. degree by broadcasting; an unrepresentable power is inf (the IEEE result)
    with np.errstate(over="ignore"):
        return x[:, None] ** np.arange(degree + 1).astype(x.dtype)
# --8<-- [end:polynomial_features]


# --8<-- [start:polynomial_fit]
def polynomial_fit(x: ArrayLike, y: ArrayLike, degree: int) -> np.ndarray:
    """Least-squares polynomial: the coefficients ``w`` minimising ``||Phi w - y||^2``.

    ``Phi = polynomial_features(x, degree)``. Solved through the singular value decomposition
    of ``Phi``, as ``np.linalg.lstsq(Phi, y, rcond=None)`` does, which also gives the
    minimum-norm solution when there are fewer distinct samples than coefficients. The
    coefficients of ``np.polyfit(x, y, degree)``, in increasing order.

    Parameters
    ----------
    x : array_like, shape (N,)
        Inputs. Keep them in about [-1, 1]: the columns of ``Phi`` grow like ``|x|^k`` and a
        wide range makes high degrees ill-conditioned.
    y : array_like, shape (N,) or (N, K)
        Targets; K columns are K target vectors fitted at once (one SVD serves them all).
    degree : int
        Highest power, ``>= 0``.

    Returns
    -------
    ndarray, shape (degree + 1,) or (degree + 1, K)
        ``w[k]`` multiplies ``x^k``; predictions are ``polynomial_features(x_new, degree) @ w``.
        In the float dtype of ``x``; all NaN if ``x`` or ``y`` holds NaN or inf.

    Examples
    --------
    >>> # three points on y = 1 + 2x: the straight line fits exactly (up to rounding)
    >>> polynomial_fit([0.0, 1.0, 2.0], [1.0, 3.0, 5.0], degree=1).round(12)
    array([1., 2.])
    """
    x = _as_samples(x, "x")
    y = as_float_array(y, "y").astype(x.dtype, copy=False)
    if y.ndim == 2:
        check_shape(y, (x.shape[0], y.shape[1]), "y", "(N, K)", f"N = {x.shape[0]} samples in x")
    else:
        check_shape(y, x.shape, "y", "(N,)", f"N = {x.shape[0]} samples in x")
    degree = as_int(degree, "degree", low=0)
    if x.shape[0] == 0:
        raise ValueError("x must hold at least one sample, got shape (0,)")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        return np.full((degree + 1, *y.shape[1:]), np.nan, dtype=x.dtype)
    phi = polynomial_features(x, degree)
    # least squares through the thin SVD Phi = U diag(s) V^T: w = V diag(1/s) U^T y, the
    # pseudo-inverse solution (minimum norm when Phi has fewer rows than columns)
    u, sv, vt = np.linalg.svd(phi, full_matrices=False)
    # singular values below eps * max(N, degree + 1) * s_max count as zero (np.linalg.lstsq's rcond=None)
    cutoff = np.finfo(x.dtype).eps * max(phi.shape) * sv[0]
    inv = np.divide(1, sv, out=np.zeros_like(sv), where=sv > cutoff)
    coef = inv[:, None] * (u.T @ y.reshape(y.shape[0], -1))
    return (vt.T @ coef).reshape((degree + 1, *y.shape[1:]))
# --8<-- [end:polynomial_fit]
