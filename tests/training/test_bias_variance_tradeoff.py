"""bias_variance_decomposition: hand values, the exact identity bias^2 + variance = MSE against f,
Monte Carlo against the noisy expected error (tolerance from the sample size), the closed form of
a linear smoother, stability, bad input.

No library computes this decomposition; the independent routes are the algebraic identity, the
closed-form bias and variance of least squares with a fixed design, and a direct Monte Carlo
estimate of the expected squared error.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import bias_variance_decomposition, polynomial_features, polynomial_fit
from tests.reference import DTYPES

SIGMA = 0.3


def f(x: np.ndarray) -> np.ndarray:
    return np.sin(2 * np.pi * x)


def simulate(degree: int, n_sets: int, seed: int, n_train: int = 25, n_test: int = 100):
    """Least-squares polynomials fitted to n_sets noisy training sets on a fixed design.

    Returns the predictions (n_sets, n_test), f at the test inputs, and the smoother matrix
    S (n_test, n_train) with predictions = S @ y, plus the noise-free training targets.
    """
    rng = np.random.default_rng(seed)
    x_train = np.linspace(0, 1, n_train)
    x_test = np.linspace(0, 1, n_test)
    Y = f(x_train)[:, None] + SIGMA * rng.normal(size=(n_train, n_sets))
    phi_test = polynomial_features(x_test, degree)
    pred = (phi_test @ polynomial_fit(x_train, Y, degree)).T
    S = phi_test @ np.linalg.pinv(polynomial_features(x_train, degree))
    return pred, f(x_test), S, f(x_train), rng


# ---------------------------------------------------------------- hand-checked values
def test_hand_values() -> None:
    # mean prediction (2, 4), f = (1, 1): bias^2 = (1 + 9) / 2 = 5; deviations all +-1: variance 1
    b2, var, noise = bias_variance_decomposition([[1.0, 3.0], [3.0, 5.0]], [1.0, 1.0], 0.25)
    assert (b2, var, noise) == (5.0, 1.0, 0.25)
    # one training set: no variance; predictions equal to f: no bias
    assert bias_variance_decomposition([[1.0, 2.0]], [0.0, 0.0])[1] == 0.0
    assert bias_variance_decomposition([[1.0, 2.0], [1.0, 2.0]], [1.0, 2.0])[:2] == (0.0, 0.0)
    # three fits at one input: 0, 3, 6 around f = 0: mean 3, bias^2 9, variance (9 + 0 + 9) / 3 = 6
    assert bias_variance_decomposition([[0.0], [3.0], [6.0]], [0.0]) == (9.0, 6.0, 0.0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtype_and_scalars(dtype) -> None:
    out = bias_variance_decomposition(np.ones((3, 2), dtype=dtype), [0, 0], 0.5)
    assert all(isinstance(v, np.floating) and v.dtype == dtype for v in out)
    assert bias_variance_decomposition([[1, 2], [3, 4]], [0, 0])[0].dtype == np.float64


# ---------------------------------------------------------------- properties
matrices = arrays(np.float64, st.tuples(st.integers(1, 8), st.integers(1, 8)), elements=st.floats(-1e3, 1e3))


@given(matrices, st.data())
def test_bias2_plus_variance_is_the_mse_against_f(pred: np.ndarray, data) -> None:
    # mean_r (p - f)^2 = (mean_r p - f)^2 + mean_r (p - mean_r p)^2 exactly; rounding of squares of
    # numbers up to 2e3 and of the means: a few eps times the largest squared term. A square below
    # the normal range (|p - f| < 1.5e-154) is rounded to a multiple of the smallest subnormal
    # instead, an absolute error eps * scale does not cover (hypothesis found 5e-324 for tiny inputs)
    f_true = data.draw(arrays(np.float64, pred.shape[1], elements=st.floats(-1e3, 1e3)))
    b2, var, _ = bias_variance_decomposition(pred, f_true)
    mse = np.mean((pred - f_true) ** 2)
    scale = np.max((np.abs(pred) + np.abs(f_true)) ** 2)
    tiny = np.finfo(np.float64).smallest_subnormal
    assert abs(b2 + var - mse) <= 16 * np.finfo(np.float64).eps * scale + 16 * tiny
    assert b2 >= 0 and var >= 0


@given(matrices, st.floats(-1e3, 1e3))
def test_shifts(pred: np.ndarray, c: float) -> None:
    # shifting every prediction leaves the variance; shifting predictions and f leaves the bias
    f_true = np.zeros(pred.shape[1])
    b2, var, _ = bias_variance_decomposition(pred, f_true)
    b2_shift, var_shift, _ = bias_variance_decomposition(pred + c, f_true + c)
    scale = np.max((np.abs(pred) + abs(c)) ** 2)
    assert abs(var_shift - var) <= 16 * np.finfo(np.float64).eps * scale
    assert abs(b2_shift - b2) <= 16 * np.finfo(np.float64).eps * scale


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_up_to_1e4(dtype) -> None:
    # squares up to (2e4)^2 = 4e8: far inside both ranges; a tiny spread on a huge offset keeps its
    # size because the mean is subtracted before squaring (one pass E[p^2] - E[p]^2 would cancel)
    rng = np.random.default_rng(0)
    pred = (1e4 + rng.normal(size=(50, 7))).astype(dtype)
    b2, var, _ = bias_variance_decomposition(pred, np.full(7, -1e4, dtype=dtype))
    assert np.isfinite(b2) and np.isfinite(var)
    exact = np.var(pred.astype(np.float64), axis=0).mean()
    assert abs(var - exact) <= 1e-2 * exact if dtype == np.float32 else abs(var - exact) <= 1e-10 * exact


def test_nan_in_nan_out() -> None:
    b2, var, _ = bias_variance_decomposition([[np.nan, 1.0], [2.0, 1.0]], [0.0, 0.0])
    assert np.isnan(b2) and np.isnan(var)


# ---------------------------------------------------------------- Monte Carlo and closed form
@pytest.mark.parametrize("degree", [1, 3, 6])
def test_sum_matches_the_expected_squared_error(degree: int) -> None:
    # Draw fresh noisy test targets y = f + eps for every fit and average (y - pred)^2 directly.
    # Given the fits, err - (bias^2 + variance + sigma^2) = mean(eps^2 - sigma^2) + 2 mean(eps (f - pred)),
    # a mean of R M independent zero-mean terms with variance 2 sigma^4 + 4 sigma^2 mean((f - pred)^2)
    # (Gaussian eps: E[eps^3] = 0, so the two parts are uncorrelated). Allow 5 standard errors.
    n_sets = 2000
    pred, f_test, _, _, rng = simulate(degree, n_sets, seed=degree)
    eps = SIGMA * rng.normal(size=pred.shape)
    err = np.mean((f_test + eps - pred) ** 2)
    b2, var, noise = bias_variance_decomposition(pred, f_test, SIGMA**2)
    mse_f = np.mean((f_test - pred) ** 2)
    se = np.sqrt((2 * SIGMA**4 + 4 * SIGMA**2 * mse_f) / pred.size)
    assert abs(err - (b2 + var + noise)) < 5 * se


@pytest.mark.parametrize("degree", [0, 1, 3, 6, 9])
def test_matches_the_closed_form_of_least_squares(degree: int) -> None:
    # predictions = S y with y = f_train + eps, eps ~ N(0, sigma^2 I). With A = S^T S / M:
    #   exact variance = sigma^2 tr(A); exact bias^2 = mean_m (S f_train - f_test)_m^2.
    # Estimates from R fits: E[variance] = (1 - 1/R) sigma^2 tr(A), sd sqrt(2 sigma^4 tr(A^2) / R)
    # (a Gaussian quadratic form eps^T A eps has variance 2 sigma^4 tr(A^2));
    # E[bias^2] = bias^2 + sigma^2 tr(A) / R, sd about 2 sigma |S^T b| / (M sqrt(R)) + sqrt(2) sigma^2 sqrt(tr(A^2)) / R.
    # Allow 5 standard deviations.
    n_sets = 4000
    pred, f_test, S, f_train, _ = simulate(degree, n_sets, seed=10 + degree)
    M = len(f_test)
    A = S.T @ S / M
    b = S @ f_train - f_test
    b2, var, _ = bias_variance_decomposition(pred, f_test)
    exact_var, exact_b2 = SIGMA**2 * np.trace(A), np.mean(b**2)
    sd_var = np.sqrt(2 * SIGMA**4 * np.trace(A @ A) / n_sets)
    assert abs(var - (1 - 1 / n_sets) * exact_var) < 5 * sd_var
    sd_b2 = 2 * SIGMA * np.linalg.norm(S.T @ b) / (M * np.sqrt(n_sets)) + np.sqrt(2) * SIGMA**2 * np.sqrt(np.trace(A @ A)) / n_sets
    assert abs(b2 - (exact_b2 + SIGMA**2 * np.trace(A) / n_sets)) < 5 * sd_b2


def test_trade_off_shape() -> None:
    # the textbook picture on this problem: bias^2 falls and variance rises with the degree
    out = np.array([bias_variance_decomposition(*simulate(d, 500, seed=d)[:2])[:2] for d in (0, 1, 3, 5, 8)])
    assert np.all(np.diff(out[:, 1]) > 0)
    assert out[0, 0] > out[2, 0] > out[4, 0]


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"predictions must have shape \(R, M\) with R >= 1 fitted models and M >= 1 test inputs, got shape \(3,\)"):
        bias_variance_decomposition([1.0, 2.0, 3.0], [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"got shape \(0, 2\)"):
        bias_variance_decomposition(np.zeros((0, 2)), [0.0, 0.0])
    with pytest.raises(ValueError, match=r"f_true must have shape \(M,\) = \(2,\) for M = 2 test inputs in predictions, got \(3,\)"):
        bias_variance_decomposition(np.zeros((4, 2)), [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"noise_var must be a finite number >= 0, got -1"):
        bias_variance_decomposition(np.zeros((4, 2)), [0.0, 0.0], -1.0)
    with pytest.raises(TypeError, match="predictions must be real-valued"):
        bias_variance_decomposition(np.zeros((2, 2), dtype=complex), [0.0, 0.0])
    with pytest.raises(TypeError, match="noise_var must be a real number"):
        bias_variance_decomposition(np.zeros((2, 2)), [0.0, 0.0], "0.1")
