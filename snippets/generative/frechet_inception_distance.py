"""Fréchet Inception distance (FID): the Fréchet (2-Wasserstein) distance between two Gaussians
fitted to the feature vectors of real and generated samples."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, check_shape, propagates_nonfinite

__all__ = ["frechet_distance", "fid_from_features"]


def _check_covariance(sigma: np.ndarray, name: str, d: int, where: str) -> np.ndarray:
    """A finite, symmetric, positive semi-definite (D, D) matrix, returned as float64.

    Symmetry and definiteness are judged up to rounding of the input's own dtype: an asymmetry or
    a negative eigenvalue larger than sqrt(eps) times the largest magnitude is refused.
    """
    check_shape(sigma, (d, d), name, "(D, D)", where)
    if np.any(np.isinf(sigma)):
        raise ValueError(f"{name} must be a finite covariance matrix, found {sigma[np.isinf(sigma)].ravel()[0]}")
    tol = np.sqrt(np.finfo(sigma.dtype).eps)
    s = sigma.astype(np.float64)
    size = np.max(np.abs(s), initial=0.0)
    if np.max(np.abs(s - s.T), initial=0.0) > tol * size:
        raise ValueError(f"{name} must be symmetric (a covariance matrix); its largest asymmetry is "
                         f"{np.max(np.abs(s - s.T)):.3g} for entries up to {size:.3g}")
    return (s + s.T) / 2


def _sqrt_psd(s: np.ndarray, name: str, dtype: np.dtype, unit: float) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues of the symmetric ``s`` and its PSD square root ``V sqrt(w) V^T``.

    Rounding leaves eigenvalues of a semi-definite matrix slightly negative; those down to
    -sqrt(eps) times the largest one are set to 0 (their true value), larger ones are refused
    (reported in the input's scale: times ``unit`` squared, ``s`` having been divided by it twice).
    """
    w, v = np.linalg.eigh(s)
    top = np.max(np.abs(w), initial=0.0)
    if w.size and w[0] < -np.sqrt(np.finfo(dtype).eps) * top:
        raise ValueError(f"{name} must be positive semi-definite (a covariance matrix); it has the "
                         f"eigenvalue {w[0] * unit * unit:.3g} (largest magnitude {top * unit * unit:.3g})")
    w = np.maximum(w, 0.0)
    return w, (v * np.sqrt(w)) @ v.T


def _power_of_two(top: float) -> float:
    """A power of 2 with ``top / c`` in [1, 2) (1 for 0): dividing by it is exact."""
    return float(np.ldexp(1.0, int(np.frexp(top)[1]) - 1)) if top > 0 else 1.0


def _check_gaussians(
    mu1: ArrayLike, sigma1: ArrayLike, mu2: ArrayLike, sigma2: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.dtype]:
    """Means (D,) and finite symmetric covariances (D, D), as float64, and the inputs' common dtype."""
    mu1, mu2 = as_float_array(mu1, "mu1"), as_float_array(mu2, "mu2")
    sigma1, sigma2 = as_float_array(sigma1, "sigma1"), as_float_array(sigma2, "sigma2")
    if mu1.ndim != 1:
        raise ValueError(f"mu1 must be a 1-D array (D,), got shape {mu1.shape}")
    d = mu1.shape[0]
    where = f"mu1 of shape {mu1.shape}"
    check_shape(mu2, (d,), "mu2", "(D,)", where)
    s1 = _check_covariance(sigma1, "sigma1", d, where)
    s2 = _check_covariance(sigma2, "sigma2", d, where)
    return mu1.astype(np.float64), s1, mu2.astype(np.float64), s2, np.result_type(mu1, mu2, sigma1, sigma2)


# --8<-- [start:frechet_distance]
@propagates_nonfinite
def frechet_distance(mu1: ArrayLike, sigma1: ArrayLike, mu2: ArrayLike, sigma2: ArrayLike) -> np.floating:
    """Fréchet distance between the Gaussians N(mu1, sigma1) and N(mu2, sigma2): the FID formula.

    ``||mu1 - mu2||^2 + tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2))``, the squared 2-Wasserstein
    distance between the Gaussians. ``tr (sigma1 sigma2)^(1/2)`` is ``sum_i sqrt(lambda_i)`` over
    the eigenvalues of the symmetric ``sigma1^(1/2) sigma2 sigma1^(1/2)``; eigenvalues that rounding
    makes slightly negative (down to -sqrt(eps) times the largest) count as 0, clearly negative ones
    are refused. Computed in float64 (as pytorch-fid); no backward (a metric, not a loss).

    Parameters
    ----------
    mu1, mu2 : array_like, shape (D,)
        The two means.
    sigma1, sigma2 : array_like, shape (D, D)
        The two covariance matrices: symmetric, positive semi-definite, finite.

    Returns
    -------
    numpy scalar
        The distance (>= 0) in the common float dtype; NaN in gives NaN, an infinite mean inf.

    Examples
    --------
    >>> # D = 1: (mu1 - mu2)^2 + (s1 - s2)^2 with standard deviations s: (0 - 3)^2 + (1 - 2)^2
    >>> float(frechet_distance([0.0], [[1.0]], [3.0], [[4.0]]))
    10.0
    >>> # equal means, covariances I and 4 I in D = 2: 2 + 8 - 2 tr(2 I) = 2
    >>> float(frechet_distance([1.0, 1.0], [[1.0, 0.0], [0.0, 1.0]], [1.0, 1.0], [[4.0, 0.0], [0.0, 4.0]]))
    2.0
    """
    m1, s1, m2, s2, dtype = _check_gaussians(mu1, sigma1, mu2, sigma2)
    if np.isnan(s1).any() or np.isnan(s2).any():
        return dtype.type(np.nan)  # a NaN covariance: the distance is undefined
    diff = m1 - m2
    if not np.all(np.isfinite(diff)):
        return dtype.type(diff @ diff)  # an infinite mean: inf (NaN if undefined); traces are finite
    # divide means by c and covariances by c^2 (exact) and multiply back at the end: the distance
    # is homogeneous of degree 2, and no intermediate product can overflow
    c = _power_of_two(max(np.max(np.abs(diff), initial=0.0),
                          np.sqrt(max(np.max(np.abs(s1), initial=0.0), np.max(np.abs(s2), initial=0.0)))))
    diff, s1, s2 = diff / c, s1 / c / c, s2 / c / c
    # tr (S1 S2)^(1/2) = tr (S1^(1/2) S2 S1^(1/2))^(1/2): a symmetric PSD matrix, real eigenvalues >= 0
    _, root1 = _sqrt_psd(s1, "sigma1", dtype, c)
    _sqrt_psd(s2, "sigma2", dtype, c)  # only checks that sigma2 is semi-definite
    inner = root1 @ s2 @ root1
    lam = np.linalg.eigvalsh((inner + inner.T) / 2)
    tr_covmean = np.sum(np.sqrt(np.maximum(lam, 0.0)))
    # ||mu1 - mu2||^2 + tr S1 + tr S2 - 2 tr (S1 S2)^(1/2), >= 0 up to rounding (clipped at 0)
    d2 = max(float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * tr_covmean), 0.0)
    return dtype.type(d2 * c * c)  # times c twice: 0 stays 0 even where c^2 would overflow
# --8<-- [end:frechet_distance]


def _check_features(feats1: ArrayLike, feats2: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.dtype]:
    """Two (N, D) arrays with N >= 2 and the same D, as float64, and their common dtype."""
    f1, f2 = as_float_array(feats1, "feats1"), as_float_array(feats2, "feats2")
    for f, name in ((f1, "feats1"), (f2, "feats2")):
        if f.ndim != 2 or f.shape[0] < 2:
            raise ValueError(f"{name} must be a 2-D array (N, D) with N >= 2 samples, got shape {f.shape}")
    if f1.shape[1] != f2.shape[1]:
        raise ValueError(f"feats2 must have as many features as feats1: feats1 has shape {f1.shape}, "
                         f"feats2 has shape {f2.shape}")
    return f1.astype(np.float64), f2.astype(np.float64), np.result_type(f1, f2)


# --8<-- [start:fid_from_features]
@propagates_nonfinite
def fid_from_features(feats1: ArrayLike, feats2: ArrayLike) -> np.floating:
    """FID between two sets of feature vectors: :func:`frechet_distance` of their means and covariances.

    Covariances divided by N - 1, as ``numpy.cov`` in pytorch-fid. For images the features are
    Inception-v3's 2048 pool features, which this package does not ship.

    Parameters
    ----------
    feats1 : array_like, shape (N1, D)
        Feature vectors of one set (e.g. real images), at least two.
    feats2 : array_like, shape (N2, D)
        Feature vectors of the other set (e.g. generated images), at least two, the same D.

    Returns
    -------
    numpy scalar
        The distance, in the common float dtype; NaN or infinite features give NaN. Biased
        upwards for finite N.

    Examples
    --------
    >>> # D = 1: means 0 and 2, variances (with N - 1) 2 and 2: (0 - 2)^2 + 0 = 4
    >>> float(fid_from_features([[-1.0], [1.0]], [[1.0], [3.0]]))
    4.0
    """
    x1, x2, dtype = _check_features(feats1, feats2)
    if not (np.all(np.isfinite(x1)) and np.all(np.isfinite(x2))):
        return dtype.type(np.nan)
    # divide by a power of 2 (exact) so that squares and products of features cannot overflow
    c = _power_of_two(max(np.max(np.abs(x1)), np.max(np.abs(x2))))
    x1, x2 = x1 / c, x2 / c
    # the two Gaussians: sample means and unbiased sample covariances (symmetrised: exact)
    mu1, mu2 = x1.mean(axis=0), x2.mean(axis=0)
    r1, r2 = x1 - mu1, x2 - mu2
    s1, s2 = r1.T @ r1 / (len(x1) - 1), r2.T @ r2 / (len(x2) - 1)
    return dtype.type(frechet_distance(mu1, (s1 + s1.T) / 2, mu2, (s2 + s2.T) / 2) * c * c)
# --8<-- [end:fid_from_features]
