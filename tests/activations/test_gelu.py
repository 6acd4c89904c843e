"""gelu / gelu_backward: hand values, properties, tail accuracy, bad input, scipy, mpmath, PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import gelu, gelu_backward, relu
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)
MODES = ("none", "tanh")


def test_hand_checked_values() -> None:
    # Phi(0) = 1/2 so gelu(0) = 0 and gelu'(0) = Phi(0) + 0 * phi(0) = 1/2 (both variants)
    for mode in MODES:
        assert gelu(0.0, mode) == 0.0
        assert gelu_backward(1.0, 0.0, mode) == 0.5
    # x Phi(x) with Phi(x) = (1 + erf(x / sqrt 2)) / 2 from the standard library's erf
    x = np.array([-2.0, -1.0, 0.5, 1.0, 3.0])
    phi_cdf = np.array([(1 + math.erf(v / math.sqrt(2))) / 2 for v in x])
    np.testing.assert_allclose(gelu(x), x * phi_cdf, rtol=1e-14)
    # derivative Phi(x) + x e^{-x^2/2} / sqrt(2 pi): at x = 1, Phi(1) + e^{-1/2} / sqrt(2 pi)
    expected = (1 + math.erf(1 / math.sqrt(2))) / 2 + math.exp(-0.5) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(gelu_backward([2.0], [1.0]), [2 * expected], rtol=1e-14)
    # the tanh form at x = 1: u = sqrt(2/pi) * 1.044715, gelu = (1 + tanh u) / 2
    u = math.sqrt(2 / math.pi) * 1.044715
    np.testing.assert_allclose(gelu([1.0], "tanh"), [(1 + math.tanh(u)) / 2], rtol=1e-15)


def test_shape_is_kept_for_0d_and_empty() -> None:
    assert gelu(0.5).shape == ()
    assert gelu(np.zeros((2, 0)), "tanh").shape == (2, 0)
    assert gelu_backward(np.ones((0, 3)), np.zeros((0, 3))).shape == (0, 3)


@given(arrays(np.float64, st.integers(1, 20), elements=finite))
def test_odd_part_is_the_identity(x: np.ndarray) -> None:
    # Phi(x) + Phi(-x) = 1, so gelu(x) - gelu(-x) = x Phi(x) + x Phi(-x) = x (up to rounding of x)
    np.testing.assert_allclose(gelu(x) - gelu(-x), x, rtol=4e-16, atol=1e-300)


@pytest.mark.parametrize("mode", MODES)
@given(x=arrays(np.float64, st.integers(1, 20), elements=finite))
def test_between_zero_and_x(mode, x: np.ndarray) -> None:
    # 0 <= Phi(x) <= 1, so gelu(x) lies between min(x, 0) and max(x, 0) = relu(x)
    y = gelu(x, mode)
    assert np.all(y <= relu(x)) and np.all(y >= np.minimum(x, 0))


def test_tanh_approximation_is_close_but_not_equal() -> None:
    x = np.linspace(-8, 8, 16001)
    gap = np.abs(gelu(x, "tanh") - gelu(x))
    assert 1e-5 < gap.max() < 1e-3  # close enough for training, not the same function
    assert np.abs(gelu_backward(np.ones_like(x), x, "tanh") - gelu_backward(np.ones_like(x), x)).max() < 1e-2


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", DTYPES)
@given(x=arrays(np.float64, st.integers(1, 30), elements=finite))
def test_stable_up_to_1e4(mode, dtype, x: np.ndarray) -> None:
    x = x.astype(dtype)
    y, g = gelu(x, mode), gelu_backward(np.ones_like(x), x, mode)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(g))
    assert y.dtype == g.dtype == dtype


@pytest.mark.parametrize("mode", MODES)
def test_nan_and_infinity(mode) -> None:
    y = gelu([np.nan, -np.inf, np.inf], mode)
    assert np.isnan(y[0]) and y[1] == 0.0 and y[2] == np.inf
    g = gelu_backward([1.0, 1.0, 1.0], [np.nan, -np.inf, np.inf], mode)
    assert np.isnan(g[0]) and g[1] == 0.0 and g[2] == 1.0


@pytest.mark.parametrize("bad", [np.array([1 + 2j]), np.array(["a"]), [None]])
def test_non_numeric_or_complex_is_a_type_error(bad) -> None:
    with pytest.raises(TypeError, match="x must be"):
        gelu(bad)
    with pytest.raises(TypeError, match="x must be"):
        gelu_backward(np.ones(1), bad)


def test_bad_approximate() -> None:
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'erf'"):
        gelu([1.0], approximate="erf")
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'Tanh'"):
        gelu_backward([1.0], [1.0], approximate="Tanh")
    with pytest.raises(TypeError, match="approximate must be a string .*got bool"):
        gelu([1.0], approximate=True)


def test_grad_out_shape_mismatch_names_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"grad_out.*\(3,\).*\(2,\)"):
        gelu_backward(np.ones(2), np.zeros(3))


# ---------------------------------------------------------------- accuracy
# A grid from the far left tail (where x Phi(x) is ~1e-300) to the right, in float64.
TAIL_GRID = np.concatenate([-np.geomspace(37.0, 0.01, 60), np.geomspace(0.01, 30.0, 30)])


def mp_reference(x: np.ndarray, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """gelu and its derivative in 50-digit arithmetic (mpmath), rounded once to float64."""
    mp = require("mpmath")
    mp.mp.dps = 50
    ys, ds = [], []
    for v in x:
        t = mp.mpf(float(v))
        if mode == "none":
            cdf, pdf = mp.ncdf(t), mp.npdf(t)
            ys.append(t * cdf)
            ds.append(cdf + t * pdf)
        else:
            c = mp.mpf("0.044715")
            k = mp.sqrt(2 / mp.pi)
            u = k * (t + c * t**3)
            ys.append(t / 2 * (1 + mp.tanh(u)))
            ds.append((1 + mp.tanh(u)) / 2 + t / 2 * mp.sech(u) ** 2 * k * (1 + 3 * c * t**2))
    return np.array([float(v) for v in ys]), np.array([float(v) for v in ds])


@pytest.mark.parametrize("mode", MODES)
def test_accurate_in_both_tails(mode) -> None:
    # the naive x/2 (1 + erf(x/sqrt 2)) has only absolute accuracy: at x = -10 it returns
    # 0 or noise instead of -7.6e-23. Here every value is within a few ulps *relative*.
    ref_y, ref_d = mp_reference(TAIL_GRID, mode)
    assert_matches(gelu(TAIL_GRID, mode), ref_y, np.float64, ulps=4)
    # the derivative crosses zero near x = -0.75 (exact) / -0.75 (tanh): there Phi(x) and x phi(x)
    # cancel, so its error is relative to those O(1) terms, not to the result
    assert_matches(gelu_backward(np.ones_like(TAIL_GRID), TAIL_GRID, mode), ref_d, np.float64, ulps=4, scale=1.0)


def test_matches_scipy_erf() -> None:
    special = require("scipy.special")
    rng = np.random.default_rng(1)
    # x >= -1: there 1 + erf(x / sqrt 2) >= 0.317, so the textbook formula loses nothing
    x = np.concatenate([rng.uniform(-1.0, 8.0, size=1000), [-1.0, 0.0, 8.0]])
    assert_matches(gelu(x), x / 2 * (1 + special.erf(x / np.sqrt(2))), np.float64, ulps=8)
    # the left tail through scipy's erfc, which keeps relative accuracy: x/2 erfc(-x / sqrt 2);
    # rounding x / sqrt 2 costs a relative error ~ x^2 eps in erfc, so stop at |x| = 8 (64 eps)
    x = rng.uniform(-8.0, -1.0, size=1000)
    assert_matches(gelu(x), x / 2 * special.erfc(-x / np.sqrt(2)), np.float64, ulps=128)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch(mode, dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(size=985) * 10, EXTREMES, np.linspace(-10, 10, 200)]).astype(dtype)
    grad_out = rng.normal(size=x.shape).astype(dtype)
    ref_y, (ref_dx,) = torch_forward_backward(
        lambda t: torch.nn.functional.gelu(t, approximate=mode), [x], grad_out, wrt=[0]
    )
    right = x >= -1
    assert_matches(gelu(x, mode)[right], ref_y[right], dtype)
    # for x < -1 PyTorch evaluates x/2 * (1 + erf(x/sqrt 2)) (or 1 + tanh): the bracket is a
    # cancellation with absolute error ~eps, times |x|/2; it is nonzero only until erf (tanh)
    # rounds to -1, |x| < 9, so PyTorch's values there are exact to ~eps * 8 absolute, not relative
    assert_matches(gelu(x, mode)[~right], ref_y[~right], dtype, scale=8.0)
    # the gradient g (Phi + x phi) sums O(1) terms of both signs: rounding is relative to |g|;
    # the tanh form's 1 - tanh(u)^2 in PyTorch cancels too (absolute error eps, multiplied by
    # x/2 * u'(x) ~ 0.05 |x|^3, nonzero while |x| < 7): another factor of 8 for that variant
    g_scale = float(np.max(np.abs(grad_out))) * (1.0 if mode == "none" else 8.0)
    assert_matches(gelu_backward(grad_out, x, mode), ref_dx, dtype, scale=g_scale)
