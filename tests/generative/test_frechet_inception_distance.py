"""frechet_distance and fid_from_features: closed forms, invariances, scipy.linalg.sqrtm, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import fid_from_features, frechet_distance
from tests.reference import DTYPES, assert_matches, require


def random_gaussian(rng: np.random.Generator, d: int, rank: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A mean and a covariance A A^T (rank ``rank``, full by default) with entries of order 1."""
    a = rng.normal(size=(d, rank or d))
    return rng.normal(size=d), a @ a.T / (rank or d)


def slow_sqrtm_route(mu1, s1, mu2, s2) -> float:
    """pytorch-fid's formula, independently: scipy's sqrtm of the non-symmetric product."""
    linalg = require("scipy.linalg")
    covmean = linalg.sqrtm(s1 @ s2)
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean.real))


# ---------------------------------------------------------------- hand-checked values
def test_one_dimension_closed_form() -> None:
    # D = 1: (m1 - m2)^2 + v1 + v2 - 2 sqrt(v1 v2) = (m1 - m2)^2 + (sqrt(v1) - sqrt(v2))^2
    assert frechet_distance([0.0], [[1.0]], [3.0], [[4.0]]) == 10.0
    assert frechet_distance([2.0], [[9.0]], [2.0], [[9.0]]) == 0.0
    assert math.isclose(frechet_distance([0.5], [[2.0]], [-0.5], [[0.5]]), 1 + (math.sqrt(2) - math.sqrt(0.5)) ** 2,
                        rel_tol=1e-15)
    # a point mass (variance 0) against N(0, 1): the whole variance counts, 0 + (0 - 1)^2 = 1
    assert frechet_distance([0.0], [[0.0]], [0.0], [[1.0]]) == 1.0


def test_commuting_covariances_are_per_axis() -> None:
    # diagonal covariances commute: the distance is ||mu1 - mu2||^2 + sum (s1_i - s2_i)^2 with
    # standard deviations s. diag(1, 4, 9) vs diag(4, 4, 1): (1 - 2)^2 + 0 + (3 - 1)^2 = 5; means add 1 + 1
    d = frechet_distance([0.0, 0.0, 1.0], np.diag([1.0, 4.0, 9.0]), [1.0, 0.0, 0.0], np.diag([4.0, 4.0, 1.0]))
    assert math.isclose(d, 7.0, rel_tol=1e-15)


def test_fid_from_features_hand_values() -> None:
    # two points each: means 0 and 2; unbiased variance of (-1, 1) is 2, of (1, 3) also 2: FID = 4
    assert fid_from_features([[-1.0], [1.0]], [[1.0], [3.0]]) == 4.0
    # D = 2, samples (+-1, 0) and (0, +-1), both means 0: covariances diag(2, 0) and diag(0, 2)
    # (N - 1 = 1). sqrt(s1) s2 sqrt(s1) = 0, so FID = tr s1 + tr s2 = 4
    assert fid_from_features([[1.0, 0.0], [-1.0, 0.0]], [[0.0, 1.0], [0.0, -1.0]]) == 4.0


# ---------------------------------------------------------------- properties
@given(st.integers(1, 6), st.integers(0, 2**32 - 1))
@settings(max_examples=30, deadline=None)
def test_metric_properties(d: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    (m1, s1), (m2, s2) = random_gaussian(rng, d), random_gaussian(rng, d)
    ab = frechet_distance(m1, s1, m2, s2)
    # tr of a square root is only sqrt(eps)-accurate near a zero eigenvalue: an eigenvalue off by
    # delta ~ eps * lambda_max moves its root by up to sqrt(delta). Over D roots, counted twice:
    # 2 D sqrt(eps lambda_max) sqrt(lambda_max) <= 2 D sqrt(eps) trace; a factor 4 for the several
    # roundings of each eigenvalue (random A A^T / d here can be close to singular)
    tol = 8 * d * np.sqrt(np.finfo(float).eps) * max(np.trace(s1), np.trace(s2))
    # symmetric, >= 0, 0 on itself
    assert ab >= 0
    np.testing.assert_allclose(frechet_distance(m2, s2, m1, s1), ab, rtol=0, atol=tol)
    assert frechet_distance(m1, s1, m1, s1) <= tol
    # invariant under a rotation of the feature space: mu -> Q mu, Sigma -> Q Sigma Q^T
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    np.testing.assert_allclose(frechet_distance(q @ m1, q @ s1 @ q.T, q @ m2, q @ s2 @ q.T), ab, rtol=0, atol=tol)
    # homogeneous of degree 2: features times 3 -> means times 3, covariances times 9
    np.testing.assert_allclose(frechet_distance(3 * m1, 9 * s1, 3 * m2, 9 * s2), 9 * ab, rtol=0, atol=9 * tol)
    # shifting both means by the same vector changes nothing
    np.testing.assert_allclose(frechet_distance(m1 + 5, s1, m2 + 5, s2), ab, rtol=0, atol=tol + 1e-13 * 25 * d)


@given(st.integers(0, 2**32 - 1))
@settings(max_examples=20, deadline=None)
def test_fid_from_features_is_frechet_distance_of_the_moments(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(20, 4)), rng.normal(size=(15, 4)) * 2 + 1
    expected = frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))
    np.testing.assert_allclose(fid_from_features(a, b), expected, rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_up_to_1e4(dtype) -> None:
    rng = np.random.default_rng(3)
    for scale in (1e-4, 1.0, 1e4):
        a = (rng.normal(size=(30, 5)) * scale).astype(dtype)
        b = (rng.normal(size=(40, 5)) * scale + scale).astype(dtype)
        f = fid_from_features(a, b)
        assert f.dtype == dtype and np.isfinite(f) and f > 0
        m, s = random_gaussian(rng, 5)
        v = frechet_distance((m * scale).astype(dtype), (s * 1e4).astype(dtype), np.zeros(5, dtype), np.eye(5, dtype=dtype))
        assert v.dtype == dtype and np.isfinite(v)
    # features near the top of the float range: the scaling by a power of 2 keeps the squares finite
    big = np.array([[1e300, 0.0], [-1e300, 0.0]])
    assert fid_from_features(big, big) == 0.0
    assert np.isinf(fid_from_features([[0.0], [1e300]], [[0.0], [-1e300]]))  # the true value, 1e600, overflows


def test_nonfinite_inputs() -> None:
    assert np.isnan(fid_from_features([[np.nan], [1.0]], [[0.0], [1.0]]))
    assert np.isnan(fid_from_features([[np.inf], [1.0]], [[0.0], [1.0]]))
    assert np.isnan(frechet_distance([0.0], [[np.nan]], [0.0], [[1.0]]))
    assert np.isnan(frechet_distance([np.nan], [[1.0]], [0.0], [[1.0]]))
    assert frechet_distance([np.inf], [[1.0]], [0.0], [[1.0]]) == np.inf


def test_singular_covariances() -> None:
    # fewer samples than features: rank-deficient covariances, many exact-zero eigenvalues. The
    # eigenvalue route needs no eps * I offset (pytorch-fid adds one when sqrtm fails)
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(6, 10)), rng.normal(size=(8, 10)) + 0.5
    f = fid_from_features(a, b)
    assert np.isfinite(f) and f > 0
    # a point mass on each side: only the means differ
    assert frechet_distance(np.ones(3), np.zeros((3, 3)), np.zeros(3), np.zeros((3, 3))) == 3.0


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    eye = np.eye(2)
    with pytest.raises(ValueError, match=r"mu1 must be a 1-D array \(D,\), got shape \(1, 2\)"):
        frechet_distance([[0.0, 0.0]], eye, [0.0, 0.0], eye)
    with pytest.raises(ValueError, match=r"mu2 must have shape \(D,\) = \(2,\) for mu1 of shape \(2,\), got \(3,\)"):
        frechet_distance([0.0, 0.0], eye, [0.0, 0.0, 0.0], eye)
    with pytest.raises(ValueError, match=r"sigma2 must have shape \(D, D\) = \(2, 2\)"):
        frechet_distance([0.0, 0.0], eye, [0.0, 0.0], np.eye(3))
    with pytest.raises(ValueError, match="sigma1 must be symmetric"):
        frechet_distance([0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]], [0.0, 0.0], eye)
    with pytest.raises(ValueError, match="sigma2 must be positive semi-definite.*eigenvalue -1"):
        frechet_distance([0.0, 0.0], eye, [0.0, 0.0], [[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="sigma1 must be a finite covariance matrix, found inf"):
        frechet_distance([0.0, 0.0], [[np.inf, 0.0], [0.0, 1.0]], [0.0, 0.0], eye)
    with pytest.raises(TypeError, match="sigma1 must be real-valued"):
        frechet_distance([0.0], np.array([[1j]]), [0.0], [[1.0]])
    with pytest.raises(ValueError, match=r"feats1 must be a 2-D array \(N, D\) with N >= 2 samples, got shape \(1, 3\)"):
        fid_from_features(np.zeros((1, 3)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"feats2 must be a 2-D array .* got shape \(4,\)"):
        fid_from_features(np.zeros((4, 3)), np.zeros(4))
    with pytest.raises(ValueError, match=r"feats2 must have as many features as feats1: .*\(4, 3\).*\(4, 2\)"):
        fid_from_features(np.zeros((4, 3)), np.zeros((4, 2)))


def test_rounding_negative_eigenvalues_are_accepted() -> None:
    # a rank-1 covariance v v^T rounded to float32 has eigenvalues of order -1e-8 next to 1:
    # that is rounding, accepted (and clipped to 0); an eigenvalue of -1e-2 is not
    rng = np.random.default_rng(2)
    v = rng.normal(size=(6, 1))
    s = (v @ v.T).astype(np.float32)
    assert np.linalg.eigvalsh(s.astype(np.float64))[0] < 0
    assert np.isfinite(frechet_distance(np.zeros(6, np.float32), s, np.zeros(6, np.float32), s))
    with pytest.raises(ValueError, match="positive semi-definite"):
        frechet_distance(np.zeros(6), v @ v.T - 1e-2 * np.eye(6), np.zeros(6), np.eye(6))


# ---------------------------------------------------------------- scipy
@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_scipy_sqrtm(dtype) -> None:
    require("scipy.linalg")
    rng = np.random.default_rng(11)
    for d in (1, 2, 5, 16):
        for scale in (1e-3, 1.0, 1e3):
            (m1, s1), (m2, s2) = random_gaussian(rng, d), random_gaussian(rng, d)
            args = [(m1 * scale), (s1 * scale**2), (m2 * scale), (s2 * scale**2)]
            args = [a.astype(dtype) for a in args]
            ref = slow_sqrtm_route(*[a.astype(np.float64) for a in args])
            # both routes work in float64 on the same (rounded) inputs; the result is a difference
            # of traces of size tr(s1) + tr(s2), so rounding is relative to that size; sqrtm's
            # Schur iteration loses a few more digits than eigh (16 ulps of float64 of the traces)
            size = float(np.trace(args[1]) + np.trace(args[3]) + np.sum((args[0] - args[2]).astype(np.float64) ** 2))
            ours = frechet_distance(*args)
            assert ours.dtype == dtype
            if dtype == np.float64:
                assert_matches(ours, ref, dtype, ulps=64 * d, scale=size)
            else:
                # float32 out: the float64 value rounded once (half an ulp of float32)
                assert_matches(ours, ref, dtype, ulps=1, scale=size)


@pytest.mark.parametrize("dtype", DTYPES)
def test_fid_from_features_matches_numpy_cov_and_sqrtm(dtype) -> None:
    require("scipy.linalg")
    rng = np.random.default_rng(12)
    for n1, n2, d in ((50, 40, 3), (200, 300, 8), (40, 30, 16)):  # N > D: full rank
        a = (rng.normal(size=(n1, d)) * rng.uniform(0.1, 3, size=d)).astype(dtype)
        b = (rng.normal(size=(n2, d)) @ rng.normal(size=(d, d)) / np.sqrt(d) + 0.3).astype(dtype)
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        ref = slow_sqrtm_route(a64.mean(0), np.cov(a64, rowvar=False), b64.mean(0), np.cov(b64, rowvar=False))
        size = float(np.trace(np.cov(a64, rowvar=False)) + np.trace(np.cov(b64, rowvar=False)))
        ulps = 64 * d if dtype == np.float64 else 1
        assert_matches(fid_from_features(a, b), ref, dtype, ulps=ulps, scale=size)


def test_singular_covariance_matches_sqrtm_to_sqrt_eps() -> None:
    # rank-deficient covariances (N < D): the square roots of eigenvalues that are 0 in exact
    # arithmetic and ~1e-16 after rounding are ~1e-8, in either route: agreement to ~D sqrt(eps)
    require("scipy.linalg")
    rng = np.random.default_rng(13)
    for d, rank in ((4, 2), (10, 3)):
        (m1, s1), (m2, s2) = random_gaussian(rng, d, rank), random_gaussian(rng, d, rank)
        ref = slow_sqrtm_route(m1, s1, m2, s2)
        np.testing.assert_allclose(frechet_distance(m1, s1, m2, s2), ref, rtol=0, atol=d * 1.5e-8 * (np.trace(s1) + np.trace(s2)))
