"""hessian / classify_critical_point: hand values, exactness on quadratics, the second-derivative test,
stability, bad input, and torch.autograd.functional.hessian with numpy.linalg.eigvalsh."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import classify_critical_point, hessian
from tests.reference import DTYPES, require


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_hessians() -> None:
    # Rosenbrock (1 - x)^2 + 100 (y - x^2)^2 at its minimum (1, 1): d2/dx2 = 2 - 400 y + 1200 x^2 = 802,
    # d2/dxdy = -400 x = -400, d2/dy2 = 200. Quartic terms: truncation 100 h^2 * 24 / 12 ~ 2e-6
    rosen = lambda v: (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2
    np.testing.assert_allclose(hessian(rosen, [1.0, 1.0]), [[802.0, -400.0], [-400.0, 200.0]], rtol=0, atol=1e-4)
    assert classify_critical_point(hessian(rosen, [1.0, 1.0]), tol=1e-3) == "minimum"
    # x^2 - y^2 at 0: diag(2, -2), a saddle; -(x^2 + y^2): a maximum
    saddle = hessian(lambda v: v[0] ** 2 - v[1] ** 2, [0.0, 0.0])
    np.testing.assert_allclose(saddle, [[2.0, 0.0], [0.0, -2.0]], atol=1e-7)
    assert classify_critical_point(saddle, tol=1e-5) == "saddle"
    assert classify_critical_point([[-1.0, 0.0], [0.0, -3.0]]) == "maximum"
    # the monkey saddle x^3 - 3 x y^2 and x^4 + y^4 both have H = 0 at the origin: undecided
    assert classify_critical_point(hessian(lambda v: v[0] ** 3 - 3 * v[0] * v[1] ** 2, [0.0, 0.0]), tol=1e-5) == "degenerate"
    assert classify_critical_point(np.zeros((3, 3))) == "degenerate"
    # a zero eigenvalue next to a positive one: not a strict minimum, degenerate
    assert classify_critical_point([[1.0, 0.0], [0.0, 0.0]]) == "degenerate"


def test_shapes_and_dtypes() -> None:
    # x of shape (2, 2): H is (4, 4) in ravel order; f = sum(a * x^2) has H = diag(2 a)
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    H = hessian(lambda m: np.sum(a * m**2), np.ones((2, 2), np.float32))
    assert H.shape == (4, 4) and H.dtype == np.float64
    np.testing.assert_allclose(H, np.diag(2 * a.ravel()), atol=1e-6)
    x = np.array([0.3, -0.2])
    x.setflags(write=False)
    hessian(lambda v: np.sum(v**3), x)  # a read-only x is never written to
    assert np.isnan(hessian(lambda v: v[0] * np.nan + v[1] ** 2, [-1.0, 0.0])[0, 0])  # NaN out, no warning


def test_stable_at_large_inputs() -> None:
    # |x| up to 1e4: f = sum(x^2) is then 2e8, rounding error 1e-16 * 2e8 / h^2 = 2e-3 relative
    # to the second derivative 2: still finite, warning-free and close
    H = hessian(lambda v: np.sum(v**2), [1e4, -1e4], h=1e-2)
    assert np.all(np.isfinite(H))
    np.testing.assert_allclose(H, 2 * np.eye(2), atol=1e-2)


# ---------------------------------------------------------------- properties
@settings(max_examples=30)
@given(st.integers(1, 5), st.data())
def test_exact_for_quadratics(n: int, data) -> None:
    # f = x^T A x / 2 + b^T x: every fourth derivative is 0, so only rounding is left:
    # about 1e-16 * |f| / h^2 = 1e-8 * |f| (|f| <= ~100 here)
    A = data.draw(arrays(np.float64, (n, n), elements=st.floats(-5, 5)))
    A = (A + A.T) / 2
    b = data.draw(arrays(np.float64, n, elements=st.floats(-5, 5)))
    x = data.draw(arrays(np.float64, n, elements=st.floats(-2, 2)))
    np.testing.assert_allclose(hessian(lambda v: v @ A @ v / 2 + b @ v, x), A, atol=1e-5)


@settings(max_examples=40)
@given(arrays(np.float64, 4, elements=st.floats(0.1, 10)), arrays(np.float64, 4, elements=st.sampled_from([-1.0, 1.0])),
       st.integers(0, 100))
def test_classification_follows_the_signs_of_the_eigenvalues(mag: np.ndarray, sign: np.ndarray, seed: int) -> None:
    # H = Q diag(lambda) Q^T with a random rotation Q: the answer depends on the signs only
    Q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(4, 4)))
    lam = mag * sign
    H = Q @ np.diag(lam) @ Q.T
    H = (H + H.T) / 2
    expected = "minimum" if np.all(lam > 0) else "maximum" if np.all(lam < 0) else "saddle"
    assert classify_critical_point(H) == expected


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match=re.escape("H must be a square matrix (n, n) with n >= 1, got shape (2, 3)")):
        classify_critical_point(np.ones((2, 3)))
    with pytest.raises(ValueError, match="H must be symmetric"):
        classify_critical_point([[1.0, 2.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="H must be finite, found nan"):
        classify_critical_point([[np.nan, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="tol must be a finite number >= 0"):
        classify_critical_point(np.eye(2), tol=-1.0)
    with pytest.raises(ValueError, match="h must be a finite number > 0"):
        hessian(lambda v: 0.0, [1.0], h=0.0)
    with pytest.raises(TypeError, match="f must be callable"):
        hessian(3.0, [1.0])
    with pytest.raises(ValueError, match="f must return a scalar"):
        hessian(lambda v: v, [1.0, 2.0])


# ---------------------------------------------------------------- PyTorch autograd
FUNCTIONS = {
    # name: (numpy version, torch version); smooth, with curvature of order 1 to 100
    "logsumexp": (lambda v: np.log(np.sum(np.exp(v))), lambda t, torch: torch.logsumexp(t, 0)),
    "tanh-products": (lambda v: np.tanh(v[0] * v[1]) + np.sin(v[2]) * v[3] ** 2,
                      lambda t, torch: torch.tanh(t[0] * t[1]) + torch.sin(t[2]) * t[3] ** 2),
    "rosenbrock-4d": (lambda v: np.sum(100 * (v[1:] - v[:-1] ** 2) ** 2 + (1 - v[:-1]) ** 2),
                      lambda t, torch: torch.sum(100 * (t[1:] - t[:-1] ** 2) ** 2 + (1 - t[:-1]) ** 2)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_matches_torch_autograd_hessian_and_eigvalsh(dtype, name: str) -> None:
    # autograd's Hessian is exact up to rounding; ours has the truncation error h^2 |f''''| / 12
    # (~1e-8 * 2400 for Rosenbrock's 100 x^4 term) plus rounding 1e-16 |f| / h^2 (~1e-8 |f|), so
    # 1e-4 of the largest entry. x is rounded to dtype first; we differentiate in float64 either
    # way, torch in dtype: in float32 its own rounding adds ~1e-7 relative, well inside the bound
    torch = require("torch")
    ours_f, torch_f = FUNCTIONS[name]
    rng = np.random.default_rng(0)
    for _ in range(5):
        x = rng.uniform(-1.5, 1.5, size=4).astype(dtype)
        ref = torch.autograd.functional.hessian(lambda t: torch_f(t, torch), torch.tensor(x)).numpy()
        H = hessian(ours_f, x)
        scale = float(np.max(np.abs(ref)))
        np.testing.assert_allclose(H, ref, rtol=0, atol=1e-4 * scale)
        # the classification agrees with the signs of eigvalsh of the exact Hessian, where no
        # eigenvalue is within the finite-difference error of 0
        ev = np.linalg.eigvalsh(ref.astype(np.float64))
        if np.min(np.abs(ev)) > 1e-3 * scale:
            expected = "minimum" if np.all(ev > 0) else "maximum" if np.all(ev < 0) else "saddle"
            assert classify_critical_point(H, tol=1e-3 * scale) == expected
