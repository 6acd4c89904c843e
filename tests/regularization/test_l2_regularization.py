"""l2_penalty / l2_penalty_backward / ridge_regression: hand values, properties, stability,
bad input, PyTorch (including SGD's weight_decay) and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import l2_penalty, l2_penalty_backward, ridge_regression
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


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_values() -> None:
    # 0.5 * 0.5 * (9 + 16) = 6.25
    assert l2_penalty([3.0, -4.0], lam=0.5) == 6.25
    # grad_out * lam * w = 2 * 0.5 * (3, -4)
    np.testing.assert_array_equal(l2_penalty_backward(2.0, [3.0, -4.0], lam=0.5), [3.0, -4.0])
    assert l2_penalty([3.0, -4.0], lam=0.0) == 0.0


def test_shapes_0d_and_empty() -> None:
    assert l2_penalty(3.0, lam=2.0) == 9.0
    empty = l2_penalty(np.zeros((2, 0), dtype=np.float32), lam=1.0)
    assert empty == 0 and isinstance(empty, np.float32)
    assert l2_penalty_backward(1.0, np.zeros((2, 0)), lam=1.0).shape == (2, 0)


def test_ridge_on_orthogonal_design_is_uniform_shrinkage() -> None:
    # X^T X / n = I: (1 + lam) w = X^T y / n, every least-squares coefficient divided by 1 + lam,
    # and none of them becomes exactly zero
    rng = np.random.default_rng(5)
    Q, _ = np.linalg.qr(rng.normal(size=(12, 5)))
    X = Q * np.sqrt(12)
    y = rng.normal(size=12) * 3
    z = X.T @ y / 12
    w = ridge_regression(X, y, lam=0.4)
    np.testing.assert_allclose(w, z / 1.4, rtol=1e-13)
    assert np.all(w != 0)


# ---------------------------------------------------------------- properties
@given(arrays(np.float64, st.integers(1, 20), elements=finite), strength, st.floats(-100, 100))
def test_penalty_is_quadratic(w: np.ndarray, lam: float, c: float) -> None:
    # 0.5 lam sum (c w)^2 = c^2 * 0.5 lam sum w^2, to the rounding of the products and the sum
    np.testing.assert_allclose(l2_penalty(c * w, lam), c * c * l2_penalty(w, lam), rtol=1e-12, atol=1e-300)
    assert l2_penalty(w, lam) >= 0


@given(arrays(np.float64, st.integers(1, 20), elements=finite), strength, st.floats(-10, 10))
def test_backward_is_lam_times_w(w: np.ndarray, lam: float, g: float) -> None:
    np.testing.assert_array_equal(l2_penalty_backward(g, w, lam), g * lam * w)


@given(
    arrays(np.float64, st.integers(1, 20), elements=st.floats(-100, 100)),
    st.data(),
    st.floats(1e-4, 1.0),
    st.floats(0, 1.0),
)
def test_sgd_with_the_penalty_is_weight_decay(w: np.ndarray, data, lr: float, lam: float) -> None:
    # w - lr (g + lam w) = (1 - lr lam) w - lr g: the same update, rounded differently
    g = data.draw(arrays(np.float64, w.shape, elements=st.floats(-100, 100)))
    penalised = w - lr * (g + l2_penalty_backward(1.0, w, lam))
    decayed = (1 - lr * lam) * w - lr * g
    # each side has a few roundings of terms no larger than |w| + lr |g|; below the normal range a
    # rounding is absolute, up to half the smallest subnormal (CI's derandomized run found w = 2e-313)
    scale = np.abs(w) + lr * np.abs(g)
    bound = 4 * np.finfo(np.float64).eps * scale + 4 * np.finfo(np.float64).smallest_subnormal
    assert np.all(np.abs(penalised - decayed) <= bound)


@pytest.mark.parametrize("dtype", DTYPES)
@given(w=arrays(np.float64, st.integers(1, 30), elements=finite), lam=strength)
def test_stable_up_to_1e4(dtype, w: np.ndarray, lam: float) -> None:
    w = w.astype(dtype)
    for v in (l2_penalty(w, lam), l2_penalty_backward(1.0, w, lam)):
        assert v.dtype == dtype and np.all(np.isfinite(v))


def test_nan_in_nan_out() -> None:
    assert np.isnan(l2_penalty([np.nan, 1.0], lam=1.0))
    assert np.isnan(l2_penalty_backward(1.0, [np.nan, 1.0], lam=1.0)[0])
    assert np.all(np.isnan(ridge_regression([[1.0], [np.nan]], [1.0, 2.0], lam=0.1)))


# ---------------------------------------------------------------- ridge regression
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("lam", [0.01, 0.3, 10.0])
def test_ridge_gradient_vanishes_at_the_solution(seed: int, lam: float) -> None:
    # d/dw [(1/2n)||y - Xw||^2 + (lam/2)||w||^2] = X^T (Xw - y)/n + lam w = 0; the solve is backward
    # stable, so the residual is a few eps times the size of the terms
    X, y = regression_problem(seed)
    w = ridge_regression(X, y, lam)
    grad = X.T @ (X @ w - y) / len(y) + l2_penalty_backward(1.0, w, lam)
    scale = np.linalg.norm(X.T @ X / len(y), 2) * np.max(np.abs(w)) + np.max(np.abs(X.T @ y)) / len(y)
    assert np.max(np.abs(grad)) < 64 * np.finfo(np.float64).eps * scale


def test_ridge_shrinks_monotonically_and_never_to_zero() -> None:
    X, y = regression_problem(0)
    lams = np.logspace(-3, 3, 13)
    norms = [np.linalg.norm(ridge_regression(X, y, lam)) for lam in lams]
    assert np.all(np.diff(norms) < 0)
    assert np.all(ridge_regression(X, y, 1e3) != 0)


def test_ridge_with_zero_lam_is_least_squares() -> None:
    X, y = regression_problem(1)
    np.testing.assert_allclose(ridge_regression(X, y, 0.0), np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-12)


def test_ridge_with_zero_lam_and_dependent_columns_is_the_minimum_norm_least_squares() -> None:
    # columns 2 and 3 equal, column 4 = column 0 + column 1: X^T X is singular, and lam = 0 used
    # to raise a bare LinAlgError from np.linalg.solve. The least-squares solutions form a line;
    # the one of least norm is np.linalg.lstsq's, and it is the limit of ridge as lam -> 0+
    X, y = regression_problem(2, n=30, p=4)
    X = np.column_stack([X, X[:, 3], X[:, 0] + X[:, 1]])
    w = ridge_regression(X, y, lam=0.0)
    lstsq = np.linalg.lstsq(X, y, rcond=None)[0]
    # both are backward stable: they agree to a few eps times cond(X) (the non-zero singular values)
    s = np.linalg.svd(X, compute_uv=False)
    tol = 64 * np.finfo(np.float64).eps * s[0] / s[s > 1e-8 * s[0]][-1] * np.linalg.norm(lstsq)
    np.testing.assert_allclose(w, lstsq, rtol=0, atol=tol)
    # ridge for a tiny lam moves from it by O(lam), continuously
    np.testing.assert_allclose(ridge_regression(X, y, lam=1e-10), w, rtol=0, atol=1e-7)
    # a single all-zero feature: its coefficient is 0 (nothing to fit), not a division by 0
    np.testing.assert_array_equal(ridge_regression(np.zeros((3, 1)), [1.0, 2.0, 3.0], lam=0.0), [0.0])


def test_ridge_with_a_huge_column_keeps_its_tiny_coefficient() -> None:
    # X = diag(1e300, 1), lam = 0.5, n = 2: w_0 = 1e300 * 3 / (1e600 + n lam) = 3e-300 exactly
    # enough, representable; the filter s / (s^2 + n lam) overflowed s^2 and gave 0
    w = ridge_regression(np.array([[1e300, 0.0], [0.0, 1.0]]), [3.0, 1.0], lam=0.5)
    np.testing.assert_allclose(w, [3e-300, 1.0 / 2.0], rtol=4 * np.finfo(np.float64).eps)


def test_ridge_inputs_are_never_modified() -> None:
    X, y = regression_problem(0)
    X.setflags(write=False)
    y.setflags(write=False)
    ridge_regression(X, y, lam=0.1)


@pytest.mark.parametrize("lam", [0.01, 1.0])
def test_ridge_in_float32_is_close_to_float64(lam: float) -> None:
    X, y = regression_problem(0)
    w64 = ridge_regression(X, y, lam)
    w32 = ridge_regression(X.astype(np.float32), y.astype(np.float32), lam)
    assert w32.dtype == np.float32
    # a backward-stable solve in float32: relative error up to about cond(A) * eps32
    A = X.T @ X / len(y) + lam * np.eye(X.shape[1])
    bound = 8 * np.linalg.cond(A) * np.finfo(np.float32).eps * np.max(np.abs(w64))
    np.testing.assert_allclose(w32, w64, rtol=0, atol=bound)


# ---------------------------------------------------------------- bad input
def test_bad_arrays_are_type_errors() -> None:
    with pytest.raises(TypeError, match="w must be real-valued"):
        l2_penalty(np.array([1j]), 1.0)
    with pytest.raises(TypeError, match="X must be numeric"):
        ridge_regression(np.array([["a"]]), [1.0], 1.0)


@pytest.mark.parametrize("bad", [-0.5, np.nan, np.inf])
def test_negative_or_non_finite_strength_is_a_value_error(bad) -> None:
    for call in (
        lambda: l2_penalty([1.0], lam=bad),
        lambda: l2_penalty_backward(1.0, [1.0], lam=bad),
        lambda: ridge_regression(np.eye(2), [1.0, 1.0], lam=bad),
    ):
        with pytest.raises(ValueError, match=rf"lam must be a finite number >= 0, got {bad}"):
            call()


@pytest.mark.parametrize("bad", [True, "0.1", [0.1, 0.2], None])
def test_non_real_strength_is_a_type_error(bad) -> None:
    with pytest.raises(TypeError, match="lam must be a real number"):
        l2_penalty([1.0], lam=bad)


def test_bad_shapes() -> None:
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(\), got shape \(2,\)"):
        l2_penalty_backward(np.ones(2), np.ones(2), lam=1.0)
    with pytest.raises(ValueError, match=r"X must be a 2-D array \(n, p\) with n >= 1, got shape \(0, 2\)"):
        ridge_regression(np.ones((0, 2)), np.ones(0), lam=0.1)
    with pytest.raises(ValueError, match=r"y must have shape \(n,\) = \(3,\) to match X \(3, 2\), got shape \(2,\)"):
        ridge_regression(np.ones((3, 2)), np.ones(2), lam=0.1)


# ---------------------------------------------------------------- PyTorch and scikit-learn
@pytest.mark.parametrize("dtype", DTYPES)
def test_penalty_matches_torch(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(0)
    w = np.concatenate([rng.normal(size=300) * 10, EXTREMES]).astype(dtype).reshape(5, -1)
    lam = 0.37
    ref, (ref_grad,) = torch_forward_backward(lambda t: 0.5 * lam * (t * t).sum(), [w], np.array(1.5), wrt=[0])
    # a sum of 315 non-negative terms in different orders (pairwise vs torch's): a few eps of the result
    assert_matches(l2_penalty(w, lam), ref, dtype)
    assert_matches(l2_penalty_backward(1.5, w, lam), ref_grad, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sgd_step_matches_torch_weight_decay(dtype) -> None:
    # torch.optim.SGD(weight_decay=lam) adds lam * w to the gradient before the step: one step with
    # it equals one plain step on loss + l2_penalty(w, lam)
    torch = require("torch")
    rng = np.random.default_rng(1)
    w = np.concatenate([rng.normal(size=100) * 3, EXTREMES]).astype(dtype)
    g = rng.normal(size=w.shape).astype(dtype)
    lr, lam = 0.1, 0.01
    param = torch.nn.Parameter(torch.tensor(w))
    param.grad = torch.tensor(g)
    torch.optim.SGD([param], lr=lr, weight_decay=lam).step()
    ours = w - dtype(lr) * (g + l2_penalty_backward(1.0, w, lam))
    # the same operations as torch (d = g + lam w, then w - lr d), each rounded once: a few ulps apart
    assert_matches(ours, param.detach().numpy(), dtype)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("lam", [0.001, 0.1, 3.0])
def test_ridge_matches_sklearn(seed: int, lam: float) -> None:
    require("sklearn")
    from sklearn.linear_model import Ridge

    X, y = regression_problem(seed)
    n = len(y)
    ours = ridge_regression(X, y, lam)
    # sklearn's Ridge minimises ||y - Xw||^2 + alpha ||w||^2 = 2n * ours, so alpha = n * lam
    ref = Ridge(alpha=n * lam, fit_intercept=False, solver="cholesky").fit(X, y).coef_
    # both solve the same well-conditioned p x p system (cond < 20, asserted), in a different
    # scaling: the solutions agree to a few eps * cond * |w|
    A = X.T @ X / n + lam * np.eye(X.shape[1])
    assert np.linalg.cond(A) < 20
    np.testing.assert_allclose(ours, ref, rtol=0, atol=8 * 20 * np.finfo(np.float64).eps * np.max(np.abs(ref)))
