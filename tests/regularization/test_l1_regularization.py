"""l1_penalty / l1_penalty_backward / soft_threshold / lasso_ista: hand values, properties,
stability, bad input, PyTorch and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import l1_penalty, l1_penalty_backward, lasso_ista, soft_threshold
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)
strength = st.floats(0, 10, allow_nan=False)


def regression_problem(seed: int, n: int = 40, p: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """A small linear regression: 3 informative features among p, Gaussian noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    w_true = np.zeros(p)
    w_true[:3] = [2.0, -1.5, 0.7]
    return X, X @ w_true + 0.5 * rng.normal(size=n)


def lasso_objective(X: np.ndarray, y: np.ndarray, w: np.ndarray, lam: float) -> float:
    return float(np.sum((y - X @ w) ** 2) / (2 * len(y)) + lam * np.sum(np.abs(w)))


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_values() -> None:
    # 0.5 * (3 + 4 + 0) = 3.5
    assert l1_penalty([3.0, -4.0, 0.0], lam=0.5) == 3.5
    # grad_out * lam * sign(w) = 2 * 0.5 * (1, -1, 0); the subgradient at w = 0 is 0
    np.testing.assert_array_equal(l1_penalty_backward(2.0, [3.0, -4.0, 0.0], lam=0.5), [1.0, -1.0, 0.0])
    # |w| <= t goes to 0 (the boundary |w| = t included); beyond it, w moves t toward 0
    w = [-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0]
    np.testing.assert_array_equal(soft_threshold(w, t=1.0), [-2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0])
    # t = 0 is the identity; lam = 0 switches the penalty off
    np.testing.assert_array_equal(soft_threshold(w, t=0.0), w)
    assert l1_penalty(w, lam=0.0) == 0.0


def test_soft_threshold_gives_positive_zeros() -> None:
    # w - clip(w, -t, t) is +0.0 inside the band; sign(w) * max(|w| - t, 0) would give -0.0 for w < 0
    assert not np.any(np.signbit(soft_threshold([-0.5, -0.0, 0.5], t=1.0)))


def test_shapes_0d_and_empty() -> None:
    assert soft_threshold(2.0, t=0.5).shape == ()
    assert soft_threshold(np.zeros((2, 0)), t=0.5).shape == (2, 0)
    empty = l1_penalty(np.zeros((2, 0), dtype=np.float32), lam=1.0)
    assert empty == 0 and isinstance(empty, np.float32)
    assert l1_penalty_backward(1.0, np.zeros((2, 0)), lam=1.0).shape == (2, 0)


def test_lasso_on_orthogonal_design_is_soft_thresholding() -> None:
    # X^T X / n = I: the objective splits per coordinate into (1/2)(z_j - w_j)^2 + lam |w_j| (plus a
    # constant) with z = X^T y / n, so the lasso solution is soft_threshold(z, lam) exactly
    rng = np.random.default_rng(5)
    Q, _ = np.linalg.qr(rng.normal(size=(12, 5)))
    X = Q * np.sqrt(12)
    y = rng.normal(size=12) * 3
    z = X.T @ y / 12
    np.testing.assert_allclose(lasso_ista(X, y, lam=0.4), soft_threshold(z, t=0.4), atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lasso_is_all_zero_from_lam_max_on(seed: int) -> None:
    # w = 0 is optimal iff |X^T y / n| <= lam in every coordinate (the subgradient condition at 0)
    X, y = regression_problem(seed)
    lam_max = np.max(np.abs(X.T @ y)) / len(y)
    # (at lam = lam_max itself the first step lands within rounding of the threshold)
    assert np.all(lasso_ista(X, y, lam=lam_max * (1 + 1e-12)) == 0)
    assert np.any(lasso_ista(X, y, lam=0.99 * lam_max) != 0)


# ---------------------------------------------------------------- properties
@given(arrays(np.float64, st.integers(1, 20), elements=finite), strength, st.floats(-100, 100))
def test_penalty_is_absolutely_homogeneous(w: np.ndarray, lam: float, c: float) -> None:
    # lam * sum|c w| = |c| * lam * sum|w|, to the rounding of the products and the sum
    np.testing.assert_allclose(l1_penalty(c * w, lam), abs(c) * l1_penalty(w, lam), rtol=1e-12, atol=1e-300)
    assert l1_penalty(w, lam) >= 0


@given(arrays(np.float64, st.integers(1, 20), elements=finite), strength, st.floats(-10, 10))
def test_backward_is_lam_times_sign(w: np.ndarray, lam: float, g: float) -> None:
    np.testing.assert_array_equal(l1_penalty_backward(g, w, lam), g * lam * np.sign(w))


@given(arrays(np.float64, st.integers(1, 30), elements=finite), st.floats(0, 1e4))
def test_soft_threshold_is_the_l1_proximal_step(w: np.ndarray, t: float) -> None:
    s = soft_threshold(w, t)
    # the textbook formula, value for value (-0.0 == 0.0 compares equal)
    np.testing.assert_array_equal(s, np.sign(w) * np.maximum(np.abs(w) - t, 0))
    # shrinks toward 0 without crossing it
    assert np.all(np.abs(s) <= np.abs(w)) and np.all(s * w >= 0)
    # exact zeros exactly where |w| <= t
    np.testing.assert_array_equal(s == 0, np.abs(w) <= t)
    # optimality of min_z 0.5 (z - w)^2 + t |z|: w - s lies in t * d|s|, so it equals t sign(s)
    # where s != 0 (|w| <= t where s = 0 is checked above); s = w -+ t and w - s are each
    # rounded once, so the identity holds to eps * max(|w|, t)
    atol = np.finfo(np.float64).eps * max(float(np.max(np.abs(w))), t)
    np.testing.assert_allclose((w - s)[s != 0], t * np.sign(s[s != 0]), rtol=0, atol=atol)


@pytest.mark.parametrize("dtype", DTYPES)
@given(w=arrays(np.float64, st.integers(1, 30), elements=finite), lam=strength)
def test_stable_up_to_1e4(dtype, w: np.ndarray, lam: float) -> None:
    w = w.astype(dtype)
    values = [l1_penalty(w, lam), l1_penalty_backward(1.0, w, lam), soft_threshold(w, lam)]
    for v in values:
        assert v.dtype == dtype and np.all(np.isfinite(v))


def test_nan_in_nan_out() -> None:
    assert np.isnan(l1_penalty([np.nan, 1.0], lam=1.0))
    assert np.isnan(l1_penalty_backward(1.0, [np.nan, 1.0], lam=1.0)[0])
    s = soft_threshold([np.nan, 0.5, 3.0], t=1.0)
    assert np.isnan(s[0]) and s[1] == 0 and s[2] == 2
    assert np.all(np.isnan(lasso_ista([[1.0], [np.nan]], [1.0, 2.0], lam=0.1)))


# ---------------------------------------------------------------- the lasso fit
def test_lasso_inputs_are_never_modified() -> None:
    X, y = regression_problem(0)
    w0 = np.ones(X.shape[1])
    for a in (X, y, w0):
        a.setflags(write=False)
    lasso_ista(X, y, lam=0.1, w0=w0)
    np.testing.assert_array_equal(w0, 1.0)


def test_lasso_objective_never_increases() -> None:
    # Beck & Teboulle (2009): with step 1/L no ISTA step raises the objective (a majorise-minimise step)
    X, y = regression_problem(3)
    values = [lasso_objective(X, y, lasso_ista(X, y, 0.2, steps=k), 0.2) for k in range(30)]
    assert np.all(np.diff(values) <= 1e-15 * values[0])


def test_lasso_warm_start_reaches_the_same_solution() -> None:
    X, y = regression_problem(4)
    cold = lasso_ista(X, y, lam=0.1)
    warm = lasso_ista(X, y, lam=0.1, w0=lasso_ista(X, y, lam=0.3))
    np.testing.assert_allclose(warm, cold, atol=1e-10)  # both stop at steps of 1e-12; see the sklearn test


def test_lasso_with_zero_design_is_zero() -> None:
    np.testing.assert_array_equal(lasso_ista(np.zeros((3, 2)), [1.0, 2.0, 3.0], lam=0.1), [0.0, 0.0])


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("lam", [0.01, 0.1, 0.3, 1.0])
def test_lasso_satisfies_the_optimality_conditions(seed: int, lam: float) -> None:
    # KKT for (1/2n)||y - Xw||^2 + lam ||w||_1, checked from the residual alone:
    # c = X^T (y - X w) / n equals lam * sign(w_j) on the support and |c_j| <= lam off it
    X, y = regression_problem(seed)
    w = lasso_ista(X, y, lam)
    c = X.T @ (y - X @ w) / len(y)
    on = w != 0
    # the stopping rule (steps of at most 1e-12) leaves c off by about ||X^T X / n|| * 1e-12 * kappa
    np.testing.assert_allclose(c[on], lam * np.sign(w[on]), rtol=0, atol=1e-9)
    assert np.all(np.abs(c[~on]) <= lam + 1e-9)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("fn", [l1_penalty, soft_threshold])
def test_bad_arrays_are_type_errors(fn) -> None:
    with pytest.raises(TypeError, match="w must be real-valued"):
        fn(np.array([1j]), 1.0)
    with pytest.raises(TypeError, match="w must be numeric"):
        fn(np.array(["a"]), 1.0)


@pytest.mark.parametrize("bad", [-0.5, np.nan, np.inf])
def test_negative_or_non_finite_strength_is_a_value_error(bad) -> None:
    with pytest.raises(ValueError, match=rf"lam must be a finite number >= 0, got {bad}"):
        l1_penalty([1.0], lam=bad)
    with pytest.raises(ValueError, match=rf"lam must be a finite number >= 0, got {bad}"):
        l1_penalty_backward(1.0, [1.0], lam=bad)
    with pytest.raises(ValueError, match=rf"t must be a finite number >= 0, got {bad}"):
        soft_threshold([1.0], t=bad)
    with pytest.raises(ValueError, match=rf"lam must be a finite number >= 0, got {bad}"):
        lasso_ista(np.eye(2), [1.0, 1.0], lam=bad)


@pytest.mark.parametrize("bad", [True, "0.1", [0.1, 0.2], None, 1j])
def test_non_real_strength_is_a_type_error(bad) -> None:
    with pytest.raises(TypeError, match="lam must be a real number"):
        l1_penalty([1.0], lam=bad)
    with pytest.raises(TypeError, match="t must be a real number"):
        soft_threshold([1.0], t=bad)


def test_grad_out_must_be_a_scalar() -> None:
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(\), got shape \(2,\)"):
        l1_penalty_backward(np.ones(2), np.ones(2), lam=1.0)


def test_lasso_refuses_a_design_whose_curvature_overflows() -> None:
    # sigma_max(X) = 1e300: L = sigma_max^2 / n overflows, the step 1 / L is 0, and ISTA used to
    # return its starting point [0, 0] as the solution (the second coefficient should be 2)
    with pytest.raises(ValueError, match=r"X is too large for ISTA: its largest singular value 1e\+300 squared"):
        lasso_ista(np.array([[1e300, 0.0], [0.0, 1.0]]), [3.0, 3.0], lam=0.5)


def test_lasso_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match=r"X must be a 2-D array \(n, p\) with n >= 1, got shape \(3,\)"):
        lasso_ista(np.ones(3), np.ones(3), lam=0.1)
    with pytest.raises(ValueError, match=r"y must have shape \(n,\) = \(3,\) to match X \(3, 2\), got shape \(3, 1\)"):
        lasso_ista(np.ones((3, 2)), np.ones((3, 1)), lam=0.1)
    with pytest.raises(ValueError, match=r"w0 must have shape \(p,\) = \(2,\) to match X \(3, 2\), got shape \(3,\)"):
        lasso_ista(np.ones((3, 2)), np.ones(3), lam=0.1, w0=np.zeros(3))
    with pytest.raises(ValueError, match="steps must be a non-negative integer, got 2.5"):
        lasso_ista(np.ones((3, 2)), np.ones(3), lam=0.1, steps=2.5)
    with pytest.raises(ValueError, match="tol must be a finite number >= 0, got -1"):
        lasso_ista(np.ones((3, 2)), np.ones(3), lam=0.1, tol=-1)


# ---------------------------------------------------------------- PyTorch and scikit-learn
@pytest.mark.parametrize("dtype", DTYPES)
def test_penalty_matches_torch(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(0)
    w = np.concatenate([rng.normal(size=300) * 10, EXTREMES]).astype(dtype).reshape(5, -1)
    lam = 0.37
    ref, (ref_grad,) = torch_forward_backward(lambda t: lam * t.abs().sum(), [w], np.array(1.5), wrt=[0])
    # a sum of 315 positive terms: numpy (pairwise) and torch add in different orders, each
    # within a few eps of the exact sum relative to the result, which is what rtol measures
    assert_matches(l1_penalty(w, lam), ref, dtype)
    # torch's abs backward is sign(w), 0 at w = 0: the same subgradient as ours
    assert_matches(l1_penalty_backward(1.5, w, lam), ref_grad, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("t", [0.0, 0.5, 20.0])
def test_soft_threshold_matches_torch_softshrink(dtype, t: float) -> None:
    torch = require("torch")
    rng = np.random.default_rng(1)
    w = np.concatenate([rng.normal(size=300) * 10, EXTREMES, [t, -t]]).astype(dtype)
    ref = torch.nn.functional.softshrink(torch.tensor(w), lambd=t).numpy()
    # one subtraction of t (rounded to the dtype) per element on both sides: bit-for-bit equal
    np.testing.assert_array_equal(soft_threshold(w, t), ref)
    assert soft_threshold(w, t).dtype == dtype


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("lam", [0.01, 0.1, 0.3, 1.0, 3.0])
def test_lasso_matches_sklearn(seed: int, lam: float) -> None:
    require("sklearn")
    from sklearn.linear_model import Lasso

    X, y = regression_problem(seed)
    ours = lasso_ista(X, y, lam)
    # sklearn's Lasso minimises (1/(2n))||y - Xw||^2 + alpha ||w||_1: alpha = lam, no rescaling
    ref = Lasso(alpha=lam, fit_intercept=False, tol=1e-14, max_iter=1_000_000).fit(X, y).coef_
    # n > p and a well-conditioned X make the objective strongly convex (kappa = cond(X^T X)), so
    # ISTA contracts by 1 - 1/kappa per step and stopping at steps <= 1e-12 leaves an error of at
    # most about kappa * 1e-12; sklearn's coordinate descent stops at a duality gap of 1e-14
    kappa = np.linalg.cond(X.T @ X)
    assert kappa < 20
    np.testing.assert_allclose(ours, ref, rtol=0, atol=kappa * 1e-11)
    # the same coefficients are exactly zero
    np.testing.assert_array_equal(ours == 0, ref == 0)


@pytest.mark.parametrize("lam", [0.01, 0.3])
def test_lasso_in_float32_is_close_to_float64(lam: float) -> None:
    X, y = regression_problem(0)
    w64 = lasso_ista(X, y, lam)
    w32 = lasso_ista(X.astype(np.float32), y.astype(np.float32), lam)
    assert w32.dtype == np.float32
    # float32 rounding perturbs each step by ~eps32 * |w|; the fixed point moves by up to kappa times that
    kappa = np.linalg.cond(X.T @ X)
    atol = 8 * kappa * np.finfo(np.float32).eps * np.max(np.abs(w64))
    np.testing.assert_allclose(w32, w64, rtol=0, atol=atol)
    np.testing.assert_array_equal(w32 == 0, w64 == 0)
