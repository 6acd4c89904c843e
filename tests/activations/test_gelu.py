"""gelu / gelu_backward: hand values, properties, tail accuracy, bad approximate, scipy, mpmath.

The contract every element-wise activation shares (shape, dtype, stability, bad x, PyTorch in float32
and float64) is its line in tests/activations/elementwise.py."""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import gelu, gelu_backward, relu
from tests.reference import EXTREMES, assert_matches, require

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
def test_nan_and_infinity(mode) -> None:
    y = gelu([np.nan, -np.inf, np.inf], mode)
    assert np.isnan(y[0]) and y[1] == 0.0 and y[2] == np.inf
    g = gelu_backward([1.0, 1.0, 1.0], [np.nan, -np.inf, np.inf], mode)
    assert np.isnan(g[0]) and g[1] == 0.0 and g[2] == 1.0


def test_bad_approximate() -> None:
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'erf'"):
        gelu([1.0], approximate="erf")
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'Tanh'"):
        gelu_backward([1.0], [1.0], approximate="Tanh")
    with pytest.raises(TypeError, match="approximate must be a string .*got bool"):
        gelu([1.0], approximate=True)


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


# ---------------------------------------------------------------- accuracy of the normal tail
# The exact GELU is relu(x) - |x| Phi(-|x|) with Phi(-a) = exp(-a^2 / 2) R(a) / 2 and R(a) =
# erfcx(a / sqrt 2) replaced by a ratio of polynomials P(a) / Q(a): degrees 4 and 5 for float32
# input, 10 and 11 for float64. The measurements below are what the issue asked for: the
# approximation alone (evaluated in float64) against scipy's erfcx, then the float32 and float64
# results against float64 (scipy.special.ndtr) and 50-digit (mpmath) references on dense grids
# plus the extremes.


def _rational_tail(a: np.ndarray, dtype) -> np.ndarray:
    """R(a) = P(a) / Q(a) as the module evaluates it (forward rows: a P(a) / 2 and Q(a))."""
    module = importlib.import_module("snippets.activations.gelu")  # the module, not the function
    rows = module._ROWS[(dtype, False)]
    powers = np.stack([a**k for k in range(rows.shape[1])])
    num, den = rows @ powers
    return num / (a / 2) / den


def test_rational_tail_against_scipy_erfcx() -> None:
    special = require("scipy.special")
    # float32 coefficients on (0, 14.5], where float32's x Phi(x) is not yet 0: measured 5.9e-9
    # (the minimax error of the fit), far below float32's half ulp (6e-8)
    a = np.linspace(0.0, 14.5, 200_001)[1:]
    rel = np.abs(_rational_tail(a, np.float32) / special.erfcx(a / np.sqrt(2)) - 1)
    assert rel.max() < 6.5e-9, rel.max()
    # float64 coefficients on (0, 38.6]: measured 3 eps, the rounding of two degree-11 polynomials
    # evaluated in float64 (the fit itself is good to 1e-16); scipy's erfcx adds its own ulp or two
    a = np.linspace(0.0, 38.6, 200_001)[1:]
    rel = np.abs(_rational_tail(a, np.float64) / special.erfcx(a / np.sqrt(2)) - 1)
    assert rel.max() < 8 * np.finfo(np.float64).eps, rel.max()


def test_float32_within_1e7_relative_of_the_exact_value() -> None:
    special = require("scipy.special")
    # float32 inputs: a dense grid over the whole range where x Phi(x) is a normal float32 (and a
    # little beyond, into the subnormals), geometric grids towards 0 from both sides, the extremes
    x = np.concatenate([
        np.linspace(-14.5, 14.5, 1_000_001), -np.geomspace(1e-30, 14.5, 100_001),
        np.geomspace(1e-30, 14.5, 100_001), EXTREMES,
    ]).astype(np.float32)
    z = x.astype(np.float64)
    exact = z * special.ndtr(z)  # float64: within a few 1e-16 relative, for every float32 x
    ours = gelu(x).astype(np.float64)
    normal = np.abs(exact) >= np.finfo(np.float32).tiny
    rel = np.abs(ours[normal] - exact[normal]) / np.abs(exact[normal])
    # measured 6.5e-8 (at x = -5.72): float32's rounding (at most 2^-24 = 6e-8) plus 6e-9
    assert rel.max() < 1e-7, f"max relative error {rel.max():.3g} at x = {x[normal][rel.argmax()]}"
    # subnormal results (|x| > 13.2, below 1.2e-38) have no relative precision: within one spacing
    assert np.all(np.abs(ours[~normal] - exact[~normal]) <= 2.0**-149)
    # the derivative: Phi(x) + x phi(x) in float64, rounded once (grad_out = 1): within the rounding
    # of values up to 1.13, i.e. 6e-8 absolute (measured 6.07e-8; PyTorch's is ~1e-7 absolute)
    slope = special.ndtr(z) + z * np.exp(-z * z / 2) / np.sqrt(2 * np.pi)
    dx = gelu_backward(np.ones_like(x), x).astype(np.float64)
    assert np.max(np.abs(dx - slope)) < 6.2e-8


def test_float64_accuracy_on_a_dense_grid() -> None:
    # 50-digit references on a grid that is dense where the approximation works hardest: measured
    # at most 3.4 eps relative for x Phi(x) (the old Cephes code: 14 eps near x = -37.6), and 2 eps
    # absolute for the derivative (one ulp of its values in [1, 1.13]; it crosses 0 near -0.75)
    x = np.concatenate([
        np.linspace(-38.5, 10.0, 2500), -np.geomspace(1e-300, 38.5, 500), np.geomspace(1e-300, 30, 200),
    ])
    ref_y, ref_d = mp_reference(x, "none")
    eps, tiny = np.finfo(np.float64).eps, np.finfo(np.float64).tiny
    ours = gelu(x)
    keep = np.abs(ref_y) > tiny
    assert np.max(np.abs(ours[keep] - ref_y[keep]) / np.abs(ref_y[keep])) < 4 * eps
    assert np.max(np.abs(gelu_backward(np.ones_like(x), x) - ref_d)) <= 2 * eps
