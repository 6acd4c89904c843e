"""Standardization (z-scores): shift and scale each feature of a data set to mean 0 and variance 1."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, check_axis, propagates_nonfinite

__all__ = ["standardize"]


def _moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-column count of non-NaN values, mean and population variance of x (n, ...), in float64.

    The variance is the *corrected two-pass* one of Chan, Golub & LeVeque (1983), as in
    scikit-learn: the centred values' sum squared over n, which is zero in exact arithmetic,
    cancels the rounding error of the mean. NaNs are left out, as missing values.
    """
    missing = np.isnan(x)
    n = np.sum(~missing, axis=0)
    n_safe = np.maximum(n, 1)  # an all-NaN column gets NaN statistics below, without 0 / 0
    x64 = np.where(missing, 0.0, x.astype(np.float64))
    mean = np.sum(x64, axis=0) / n_safe
    centred = np.where(missing, 0.0, x64 - mean)
    correction = np.sum(centred, axis=0)
    var = (np.sum(centred * centred, axis=0) - correction * correction / n_safe) / n_safe
    empty = n == 0
    return n, np.where(empty, np.nan, mean), np.where(empty, np.nan, var)


# --8<-- [start:standardize]
@propagates_nonfinite
def standardize(x: ArrayLike, axis: int = 0) -> np.ndarray:
    """Z-scores along ``axis``: ``(x - mean) / std``, as scikit-learn's ``StandardScaler().fit_transform``.

    The mean and the population standard deviation (divide by n, not n - 1) of every feature are
    taken over ``axis`` (the samples). A feature whose variance is indistinguishable from 0 —
    scikit-learn's rule: ``var <= n * eps * var + (n * |mean| * eps)**2`` with eps the float64
    machine epsilon — is only centred (its scale is 1), never divided by ~0. NaNs are treated
    as missing, as scikit-learn does: left out of the statistics and kept as NaN in the output.

    Parameters
    ----------
    x : array_like, shape (*)
        Data with the samples along ``axis``, e.g. (n_samples, n_features) with ``axis=0``.
        float32 stays float32 (the statistics are accumulated in float64); other real input is
        computed in float64. Infinite values raise ``ValueError``, as in scikit-learn.
    axis : int, default 0
        The axis that holds the samples; every other index is one feature.

    Returns
    -------
    ndarray, shape of x
        The standardised data: mean 0 and population variance 1 along ``axis`` for every
        non-constant feature, in x's float dtype; finite for every finite x (the statistics are
        taken in units of a power of two near each feature's largest |x|, so none overflows).

    Examples
    --------
    >>> # column 0 = (1, 2, 3): mean 2, population std sqrt(2/3), z = (-1, 0, 1) * sqrt(3/2);
    >>> # column 1 = (5, 5, 5) is constant: centred only, so 0 everywhere
    >>> standardize([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]]).round(4)
    array([[-1.2247,  0.    ],
           [ 0.    ,  0.    ],
           [ 1.2247,  0.    ]])
    """
    x = as_float_array(x, "x")
    if x.ndim == 0:
        raise ValueError("x must have at least one dimension (the samples), got a 0-d array")
    axis = check_axis(axis, x.ndim, x.shape)
    if x.shape[axis] == 0:
        raise ValueError(f"x has no samples along axis {axis}: shape {x.shape}")
    if np.any(np.isinf(x)):
        raise ValueError("x contains infinity: the mean and the variance would be undefined")
    z = np.moveaxis(x, axis, 0)
    # each feature divided by the power of two 2^e >= its largest |x| (exact), so that the squares
    # in the variance cannot overflow; the statistics are scaled back below, exactly as well
    _, e = np.frexp(np.max(np.where(np.isnan(z), 0, np.abs(z)), axis=0))
    # per-feature count, mean and population variance (float64 accumulators), in units of 2^e
    n, mean, var = _moments(np.ldexp(z.astype(np.float64), -e))
    # near-constant features: the variance is within rounding error of 0 -> scale 1 (the test
    # is the same in any unit: both sides scale by 4^e)
    eps = np.finfo(np.float64).eps
    constant = var <= n * eps * var + (n * mean * eps) ** 2
    scale = np.where(constant, 1.0, np.ldexp(np.sqrt(np.where(constant, 1.0, var)), e))
    # a spread below the smallest subnormal (x = [5e-324, 0]) underflows to 0 when scaled back:
    # scale 1 too, as scikit-learn's scale of 0 becomes 1 (the feature is centred only)
    scale = np.where(scale == 0, 1.0, scale)
    mean = np.ldexp(mean, e)
    # centre, then divide (each step rounded to x's dtype, as scikit-learn's in-place updates are)
    centred = (z - mean).astype(x.dtype)
    return np.moveaxis((centred / scale).astype(x.dtype), 0, axis)
# --8<-- [end:standardize]
