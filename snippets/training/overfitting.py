"""Overfitting and underfitting, seen on least-squares polynomial fits of rising degree."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_int, check_shape, propagates_nonfinite
from snippets.regularization.l2_regularization import _ridge_svd

__all__ = ["polynomial_features", "polynomial_fit"]


def _as_samples(x: ArrayLike, name: str) -> np.ndarray:
    x = as_float_array(x, name)
    if x.ndim != 1:
        raise ValueError(f"{name} must be 1-D, shape (N,), got shape {x.shape}")
    return x


# --8<-- [start:polynomial_features]
@propagates_nonfinite
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
@propagates_nonfinite
def polynomial_fit(x: ArrayLike, y: ArrayLike, degree: int) -> np.ndarray:
    """Least-squares polynomial: the coefficients ``w`` minimising ``||Phi w - y||^2``.

    ``Phi = polynomial_features(x, degree)``. The coefficients of ``np.polyfit(x, y, degree)``,
    in increasing order, found as it finds them: each column of ``Phi`` is scaled to unit norm
    (the powers ``x^k`` differ by orders of magnitude, and unscaled, the small columns'
    directions would fall below the least-squares cutoff), then the scaled problem is solved
    through its singular value decomposition, as ``np.linalg.lstsq(..., rcond=None)`` solves
    it. With fewer distinct samples than coefficients that is the minimum-norm solution of the
    scaled problem (``np.polyfit`` warns there). x is first divided by a power of two at least
    ``max |x|`` (exactly), so that no power overflows on the way.

    Parameters
    ----------
    x : array_like, shape (N,)
        Inputs. Inputs far from 0 compared with their spread (x near 2000, say) make the fit
        ill-conditioned at high degrees: centre them first if you can.
    y : array_like, shape (N,) or (N, K)
        Targets; K columns are K target vectors fitted at once (one SVD serves them all).
    degree : int
        Highest power, ``>= 0``.

    Returns
    -------
    ndarray, shape (degree + 1,) or (degree + 1, K)
        ``w[k]`` multiplies ``x^k``; predictions are ``polynomial_features(x_new, degree) @ w``.
        In the float dtype of ``x``; all NaN if ``x`` or ``y`` holds NaN or inf; a coefficient
        beyond the dtype's range is +-inf.

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
    # t = x / 2^e with 2^e >= max|x|: |t| <= 1, so no power t^k overflows (exact: x's exponents shift)
    e = int(np.frexp(np.max(np.abs(x)))[1])
    psi = polynomial_features(np.ldexp(x, -e), degree)
    # every column to unit norm, as np.polyfit scales them (a zero column, t^k = 0, stays as it is)
    norms = np.sqrt(np.sum(psi * psi, axis=0))
    norms[norms == 0] = 1
    # least squares with the SVD's cutoff (the pseudo-inverse): coefficients of the scaled columns
    coef = _ridge_svd(psi / norms, y.reshape(y.shape[0], -1), 0.0)
    # undo both scalings: x^k = 2^(e k) t^k, so w_k = coef_k / norms_k / 2^(e k)
    with np.errstate(over="ignore"):  # a coefficient beyond the range is +-inf, the IEEE value
        w = np.ldexp(coef / norms[:, None], -e * np.arange(degree + 1)[:, None])
    return w.reshape((degree + 1, *y.shape[1:]))
# --8<-- [end:polynomial_fit]
