"""polynomial_features / polynomial_fit: hand values, least-squares properties, stability,
bad input, scikit-learn's PolynomialFeatures and LinearRegression, numpy's polyfit."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import polynomial_features, polynomial_fit
from tests.reference import DTYPES, assert_matches, require

unit = st.floats(-1, 1, allow_nan=False)


def noisy_sine(seed: int, n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Bishop's running example: y = sin(2 pi x) + noise, here on [-1, 1]."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, n)
    return x, np.sin(2 * np.pi * x) + 0.3 * rng.normal(size=n)


# ---------------------------------------------------------------- hand-checked values
def test_hand_features() -> None:
    # rows (1, x, x^2): x = 3 -> (1, 3, 9), x = -2 -> (1, -2, 4), x = 0 -> (1, 0, 0) (0^0 = 1)
    np.testing.assert_array_equal(polynomial_features([3, -2, 0], 2), [[1, 3, 9], [1, -2, 4], [1, 0, 0]])
    # degree 0 is the bias column alone; an empty input gives no rows
    np.testing.assert_array_equal(polynomial_features([5.0, 7.0], 0), [[1.0], [1.0]])
    assert polynomial_features(np.zeros(0, dtype=np.float32), 4).shape == (0, 5)


def test_hand_fits() -> None:
    # y = 1 - x^2 at x = -1, 0, 1: the quadratic through three points is exact
    np.testing.assert_allclose(polynomial_fit([-1, 0, 1], [0, 1, 0], 2), [1, 0, -1], atol=1e-15)
    # degree 0 is the mean of y: argmin_c sum (c - y_i)^2 = mean(y) = (1 + 2 + 6) / 3 = 3
    np.testing.assert_allclose(polynomial_fit([0, 1, 2], [1, 2, 6], 0), [3.0], rtol=1e-15)
    # the line through (0, 0), (1, 1), (2, 3): slope sum(dx dy) / sum(dx^2) = (1 + 0 + 2) / 2 = 1.5,
    # intercept mean(y) - 1.5 mean(x) = 4/3 - 1.5 = -1/6
    np.testing.assert_allclose(polynomial_fit([0, 1, 2], [0, 1, 3], 1), [-1 / 6, 1.5], rtol=1e-14)


def test_more_coefficients_than_points_gives_the_minimum_norm_interpolant() -> None:
    # two points, degree 3: infinitely many cubics pass through them. Like np.polyfit, the fit
    # scales each column of Phi to unit norm, Psi = Phi D^-1, and returns the interpolant whose
    # scaled coefficients c = D w have least norm: c = Psi^T (Psi Psi^T)^-1 y
    x, y = np.array([-0.5, 0.5]), np.array([1.0, 2.0])
    phi = polynomial_features(x, 3)
    d = np.linalg.norm(phi, axis=0)
    psi = phi / d
    w = polynomial_fit(x, y, 3)
    np.testing.assert_allclose(phi @ w, y, atol=1e-14)
    np.testing.assert_allclose(w, psi.T @ np.linalg.solve(psi @ psi.T, y) / d, atol=1e-14)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.RankWarning)  # polyfit warns: 2 points, 4 coefficients
        np.testing.assert_allclose(w, np.polyfit(x, y, 3)[::-1], atol=1e-14)


@pytest.mark.parametrize("degree", [1, 2, 3, 4, 5])
def test_inputs_far_from_zero_keep_every_direction(degree: int) -> None:
    # x in [2000, 2001]: the columns 1, x, ..., x^5 of Phi span 1 .. 3e16. Unscaled, the SVD's
    # cutoff eps * N * s_max dropped a direction the data determines, and the cubic fit's residual
    # was 1.156 (worse than the quadratic's) where np.polyfit, which scales the columns, has 0.310.
    # Our least residual must be the same problem's, up to the rounding of evaluating Phi @ w in
    # the monomial basis: about eps * |Phi| |w| per row, summed over degree + 1 terms
    rng = np.random.default_rng(0)
    x = 2000 + np.linspace(0, 1, 20)
    y = np.sin(5 * (x - 2000)) + 0.01 * rng.normal(size=20)
    phi = polynomial_features(x, degree)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.RankWarning)  # "may be poorly conditioned"
        ref = np.polyfit(x, y, degree)[::-1]
    rounding = (degree + 1) * np.finfo(np.float64).eps * np.linalg.norm(np.abs(phi) @ np.abs(ref))
    residual = np.linalg.norm(phi @ polynomial_fit(x, y, degree) - y)
    assert residual <= np.linalg.norm(phi @ ref - y) + rounding


def test_several_target_columns_are_fitted_independently() -> None:
    # y of shape (N, K): column k of the result is the fit of column k of y (one SVD of Phi serves
    # every right-hand side; LAPACK may block the products differently, so equal to rounding)
    x, y0 = noisy_sine(0)
    _, y1 = noisy_sine(1)
    w = polynomial_fit(x, np.stack([y0, y1], axis=1), 4)
    assert w.shape == (5, 2)
    np.testing.assert_allclose(w[:, 0], polynomial_fit(x, y0, 4), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(w[:, 1], polynomial_fit(x, y1, 4), rtol=1e-13, atol=1e-13)
    assert polynomial_fit([0.0, np.nan], np.ones((2, 3)), 1).shape == (2, 3)


# ---------------------------------------------------------------- properties
@given(arrays(np.float64, st.integers(1, 30), elements=unit), st.integers(0, 8))
def test_features_are_powers(x: np.ndarray, degree: int) -> None:
    phi = polynomial_features(x, degree)
    assert phi.shape == (x.size, degree + 1)
    np.testing.assert_array_equal(phi[:, 0], 1.0)
    # each column is the previous one times x, to one rounding per multiplication (pow is correctly
    # rounded to within 1 ulp, so the two routes differ by a couple of ulps relative)
    np.testing.assert_allclose(phi[:, 1:], phi[:, :-1] * x[:, None], rtol=4 * np.finfo(np.float64).eps, atol=1e-300)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_training_error_never_rises_with_degree(seed: int) -> None:
    # the degree-d models contain the degree-(d-1) ones, so the least residual cannot increase;
    # allow rounding of the residual sum (a few eps times sum y^2)
    x, y = noisy_sine(seed)
    sse = [np.sum((polynomial_features(x, d) @ polynomial_fit(x, y, d) - y) ** 2) for d in range(12)]
    assert np.all(np.diff(sse) <= 1e-12 * np.sum(y**2))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_vanishes_at_the_fit(seed: int) -> None:
    # normal equations: Phi^T (Phi w - y) = 0 at the least-squares solution; relative to the size
    # of the terms ||Phi||^2 |w| + ||Phi|| |y|, rounding leaves a few eps times cond(Phi)
    x, y = noisy_sine(seed)
    phi = polynomial_features(x, 5)
    w = polynomial_fit(x, y, 5)
    grad = phi.T @ (phi @ w - y)
    scale = np.linalg.norm(phi, 2) ** 2 * np.max(np.abs(w)) + np.linalg.norm(phi, 2) * np.linalg.norm(y)
    assert np.max(np.abs(grad)) < 16 * np.linalg.cond(phi) * np.finfo(np.float64).eps * scale


@given(arrays(np.float64, 4, elements=st.floats(-3, 3)), st.integers(0, 2**32 - 1))
def test_recovers_a_polynomial_of_lower_degree(coef: np.ndarray, seed: int) -> None:
    # noise-free data from a cubic: a fit of degree 3 (or 5) finds it again; the design on 30 points
    # in [-1, 1] has cond < 1e3 here, so the coefficients are good to ~1e3 * eps * |coef| and more
    x = np.random.default_rng(seed).uniform(-1, 1, 30)
    y = polynomial_features(x, 3) @ coef
    tol = 1e-10 * (1 + np.max(np.abs(coef)))
    np.testing.assert_allclose(polynomial_fit(x, y, 3), coef, atol=tol)
    np.testing.assert_allclose(polynomial_fit(x, y, 5)[:4], coef, atol=tol)
    np.testing.assert_allclose(polynomial_fit(x, y, 5)[4:], 0.0, atol=tol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_up_to_1e4(dtype) -> None:
    # |x|^k up to 1e4^3 = 1e12 is representable in both dtypes: finite, no warning
    x = np.array([-1e4, -1.0, 0.0, 1e-8, 1.0, 1e4], dtype=dtype)
    phi = polynomial_features(x, 3)
    assert phi.dtype == dtype and np.all(np.isfinite(phi))
    w = polynomial_fit(x, np.sin(x.astype(np.float64)).astype(dtype), 2)
    assert w.dtype == dtype and np.all(np.isfinite(w))


def test_unrepresentable_powers_are_inf_without_warning() -> None:
    # 1e4^10 = 1e40 > float32's max 3.4e38: IEEE gives inf; pytest would fail on a RuntimeWarning
    phi = polynomial_features(np.array([1e4], dtype=np.float32), 10)
    assert np.isinf(phi[0, 10]) and np.isfinite(phi[0, 9])


def test_dtype_and_nan() -> None:
    assert polynomial_features([1, 2], 2).dtype == np.float64
    assert polynomial_fit(np.array([0, 1, 2], dtype=np.float32), [1, 2, 3], 1).dtype == np.float32
    assert np.all(np.isnan(polynomial_fit([0.0, np.nan, 2.0], [1.0, 2.0, 3.0], 1)))
    assert np.all(np.isnan(polynomial_fit([0.0, 1.0, 2.0], [1.0, np.inf, 3.0], 1)))
    # x^0 is 1 even for NaN (as in scikit-learn's bias column); every other power is NaN
    phi = polynomial_features([np.nan], 2)
    assert phi[0, 0] == 1.0 and np.all(np.isnan(phi[0, 1:]))


def test_inputs_are_never_modified() -> None:
    x, y = noisy_sine(0)
    x.setflags(write=False)
    y.setflags(write=False)
    polynomial_features(x, 4)
    polynomial_fit(x, y, 4)


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"x must be 1-D, shape \(N,\), got shape \(2, 2\)"):
        polynomial_features(np.ones((2, 2)), 2)
    with pytest.raises(ValueError, match=r"y must have shape \(N,\) = \(3,\) for N = 3 samples in x, got \(2,\)"):
        polynomial_fit([0.0, 1.0, 2.0], [1.0, 2.0], 1)
    with pytest.raises(ValueError, match=r"y must have shape \(N, K\) = \(3, 2\) for N = 3 samples in x, got \(2, 2\)"):
        polynomial_fit([0.0, 1.0, 2.0], np.ones((2, 2)), 1)
    with pytest.raises(ValueError, match="degree must be an integer >= 0, got -1"):
        polynomial_features([1.0], -1)
    with pytest.raises(TypeError, match="degree must be an integer, got float"):
        polynomial_fit([1.0], [1.0], 2.0)
    with pytest.raises(TypeError, match="x must be real-valued"):
        polynomial_features(np.array([1j]), 1)
    with pytest.raises(ValueError, match=r"x must hold at least one sample"):
        polynomial_fit([], [], 1)


# ---------------------------------------------------------------- scikit-learn and numpy
@pytest.mark.parametrize("dtype", DTYPES)
def test_features_match_sklearn(dtype) -> None:
    require("sklearn")
    from sklearn.preprocessing import PolynomialFeatures

    x = np.concatenate([np.random.default_rng(0).uniform(-1, 1, 50), [-3.0, 0.0, 1e-8, 3.0]]).astype(dtype)
    ref = PolynomialFeatures(degree=7, include_bias=True).fit_transform(x[:, None])
    # sklearn multiplies column by column, we raise to a power: both within a few ulps of x^k
    assert_matches(polynomial_features(x, 7), ref, dtype)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("degree", [0, 1, 3, 5])
def test_fit_matches_sklearn_and_polyfit(seed: int, degree: int) -> None:
    require("sklearn")
    from sklearn.linear_model import LinearRegression

    x, y = noisy_sine(seed)
    phi = polynomial_features(x, degree)
    ours = polynomial_fit(x, y, degree)
    ref = LinearRegression(fit_intercept=False).fit(phi, y).coef_
    via_polyfit = np.polyfit(x, y, degree)[::-1]
    # two least-squares solvers on the same problem: the solutions agree to about
    # eps * cond(Phi)^2 * |w| (the LS perturbation bound); cond < 200 here (asserted)
    cond = np.linalg.cond(phi)
    assert cond < 200
    tol = 8 * np.finfo(np.float64).eps * cond**2 * np.max(np.abs(ref))
    np.testing.assert_allclose(ours, ref, rtol=0, atol=tol)
    np.testing.assert_allclose(ours, via_polyfit, rtol=0, atol=tol)


def test_float32_fit_is_close_to_float64() -> None:
    x, y = noisy_sine(3)
    w64 = polynomial_fit(x, y, 3)
    w32 = polynomial_fit(x.astype(np.float32), y.astype(np.float32), 3)
    assert w32.dtype == np.float32
    # rounding the data to float32 and solving in float32: about eps32 * cond^2 * |w| apart
    cond = np.linalg.cond(polynomial_features(x, 3))
    np.testing.assert_allclose(w32, w64, rtol=0, atol=8 * np.finfo(np.float32).eps * cond**2 * np.max(np.abs(w64)))
