"""gradient_descent: closed forms on quadratics, the 2/L stability limit, properties, dtypes,
bad input, and torch.optim.SGD (plain) step by step."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import gradient_descent
from tests.reference import DTYPES, assert_matches, require


# ---------------------------------------------------------------- hand-checked values
def test_gradient_descent_on_a_quadratic() -> None:
    # f = x^2 / 2 -> x_{k+1} = (1 - lr) x_k, so x_k = x0 (1 - lr)^k exactly (halvings are exact)
    path = gradient_descent(lambda x: x, np.array([[4.0, -2.0]]), lr=0.5, steps=5)
    assert path.shape == (6, 1, 2)
    expected = np.array([[4.0, -2.0]]) * (0.5 ** np.arange(6))[:, None, None]
    np.testing.assert_array_equal(path, expected)


def test_one_step_of_size_one_over_curvature_lands_on_the_minimum() -> None:
    # f = 2 (x - 3)^2: f' = 4 (x - 3), L = 4; lr = 1/4 gives x_1 = x_0 - (x_0 - 3) = 3
    path = gradient_descent(lambda x: 4 * (x - 3), [10.0], lr=0.25, steps=2)
    np.testing.assert_array_equal(path.ravel(), [10.0, 3.0, 3.0])


def test_gradient_descent_keeps_x0_and_dtype() -> None:
    x0 = np.array([1.0, 2.0], dtype=np.float32)
    x0.setflags(write=False)
    path = gradient_descent(lambda x: 2 * x, x0, lr=0.1, steps=0)
    assert path.shape == (1, 2) and path.dtype == np.float32
    np.testing.assert_array_equal(path[0], x0)
    assert gradient_descent(lambda x: 2 * x, [1, 2], lr=0.1, steps=2).dtype == np.float64


def test_grad_fn_cannot_alter_the_path() -> None:
    def vandal(x: np.ndarray) -> np.ndarray:
        g = x.copy()
        x[...] = 1e9  # writes into the copy it was handed, not into the returned path
        return g

    path = gradient_descent(vandal, [2.0], lr=0.5, steps=2)
    np.testing.assert_array_equal(path.ravel(), [2.0, 1.0, 0.5])


# ---------------------------------------------------------------- properties
@given(
    arrays(np.float64, st.integers(1, 5), elements=st.floats(0.1, 10)),
    arrays(np.float64, 5, elements=st.floats(-100, 100)),
    st.floats(0.01, 0.99),
)
def test_diagonal_quadratic_matches_the_closed_form(h: np.ndarray, x0: np.ndarray, frac: float) -> None:
    # f = sum h x^2 / 2 with L = max h and lr = frac * 2 / L: x_k = (1 - lr h)^k x0 and every
    # factor |1 - lr h| < 1, so |x_k| never grows (stable below 2 / L)
    x0 = x0[: h.size]
    lr = frac * 2 / h.max()
    path = gradient_descent(lambda x: h * x, x0, lr=lr, steps=30)
    closed = x0 * (1 - lr * h) ** np.arange(31)[:, None]
    # each step rounds once (relative 2^-53 of |x|): 30 steps accumulate at most ~30 ulps
    np.testing.assert_allclose(path, closed, rtol=1e-13, atol=1e-13 * np.max(np.abs(x0), initial=1))
    assert np.all(np.abs(path[-1]) <= np.abs(x0) + 1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_two_over_l_threshold(dtype) -> None:
    # f = L x^2 / 2, L = 4: x_k = (1 - 4 lr)^k x0; |1 - 4 lr| < 1 iff 0 < lr < 2/4 = 0.5
    x0 = np.array([1e4], dtype=dtype)
    below = gradient_descent(lambda x: 4 * x, x0, lr=0.45, steps=200)  # factor -0.8: 0.8^200 ~ 4e-20
    above = gradient_descent(lambda x: 4 * x, np.array([1.0], dtype=dtype), lr=0.51, steps=200)
    assert np.all(np.isfinite(below)) and abs(below[-1, 0]) < 1e-12
    assert abs(above[-1, 0]) > 1e3  # |1 - 2.04|^200 = 1.04^200 ~ 2.6e3
    at = gradient_descent(lambda x: 4 * x, np.array([1.0], dtype=dtype), lr=0.5, steps=5)
    np.testing.assert_array_equal(at.ravel(), [1, -1, 1, -1, 1, -1])  # lr = 2/L: oscillates forever


def test_nan_in_nan_out() -> None:
    path = gradient_descent(lambda x: x, [np.nan, 1.0], lr=0.5, steps=2)
    assert np.isnan(path[:, 0]).all() and path[-1, 1] == 0.25


# ---------------------------------------------------------------- bad input
def test_gradient_descent_bad_input() -> None:
    with pytest.raises(ValueError, match="lr must be a finite number > 0, got -1.0"):
        gradient_descent(lambda x: x, [1.0], lr=-1.0, steps=3)
    with pytest.raises(ValueError, match="steps must be a non-negative integer"):
        gradient_descent(lambda x: x, [1.0], lr=0.1, steps=2.5)
    with pytest.raises(ValueError, match="steps must be a non-negative integer"):
        gradient_descent(lambda x: x, [1.0], lr=0.1, steps=True)
    with pytest.raises(ValueError, match=r"grad_fn must return shape \(2,\), got \(3,\)"):
        gradient_descent(lambda x: np.ones(3), [1.0, 2.0], lr=0.1, steps=1)
    with pytest.raises(TypeError, match="x0 must be real-valued"):
        gradient_descent(lambda x: x, [1j], lr=0.1, steps=1)


def test_bad_lr_and_grad_fn_are_named() -> None:
    # each used to surface as a numpy or Python error that named no argument
    for lr in ("0.1", [0.1], None):
        with pytest.raises(TypeError, match="lr must be a real number"):
            gradient_descent(lambda x: x, [1.0], lr=lr, steps=2)
    for lr in (np.nan, np.inf, 0.0):
        with pytest.raises(ValueError, match="lr must be a finite number > 0"):
            gradient_descent(lambda x: x, [1.0], lr=lr, steps=2)
    with pytest.raises(TypeError, match=r"grad_fn must be callable \(a function\), got NoneType"):
        gradient_descent(None, [1.0], lr=0.1, steps=2)
    with pytest.raises(TypeError, match="grad_fn must return real numbers, got str"):
        gradient_descent(lambda x: "ab", [1.0], lr=0.1, steps=2)


def test_a_diverging_run_overflows_without_a_warning() -> None:
    # lr = 3 on x^2 (gradient 2x) multiplies x by -5 each step: |x| passes 1e308 after ~441 steps;
    # from there IEEE gives inf, then inf - inf = NaN, and pytest would fail on a RuntimeWarning
    path = gradient_descent(lambda x: 2 * x, [1.0], lr=3.0, steps=600)
    assert np.all(np.isfinite(path[:440])) and not np.isfinite(path[-1, 0])


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch_sgd_step_by_step(dtype) -> None:
    # plain torch.optim.SGD (no momentum, no weight decay) performs p <- p - lr * grad:
    # the same single multiply-subtract per element, so every iterate agrees to rounding
    torch = require("torch")
    rng = np.random.default_rng(0)
    A = rng.normal(size=(6, 6))
    H = (A @ A.T / 6 + np.eye(6)).astype(dtype)  # symmetric positive definite
    b = rng.normal(size=6).astype(dtype)
    grad = lambda x: H @ x - b  # noqa: E731  (gradient of x^T H x / 2 - b^T x)
    x0 = (rng.normal(size=6) * 3).astype(dtype)
    lr = 0.9 / np.linalg.eigvalsh(H.astype(np.float64)).max()
    path = gradient_descent(grad, x0, lr=lr, steps=150)

    p = torch.tensor(x0.copy(), requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr)
    ref = [x0.copy()]
    for _ in range(150):
        opt.zero_grad()
        p.grad = torch.tensor(grad(p.detach().numpy().copy()))
        opt.step()
        ref.append(p.detach().numpy().copy())
    # our lr is a Python float, torch's too; both round lr * g to the dtype then subtract
    for k in range(151):
        assert_matches(path[k], ref[k], dtype, scale=float(np.max(np.abs(path[: k + 1]))))
