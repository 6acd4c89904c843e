"""standardize: hand values, properties, the near-constant rule, stability, bad input and scikit-learn."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from snippets import standardize
from tests.reference import DTYPES, EXTREMES, assert_matches, require

EPS64 = np.finfo(np.float64).eps


# ---------------------------------------------------------------- hand-checked values
def test_hand_values() -> None:
    # column 0 = (1, 2, 3, 6): mean 3, population variance (4 + 1 + 0 + 9) / 4 = 3.5
    # column 1 = (0, 0, 10, 10): mean 5, variance 25, z = (-1, -1, 1, 1)
    x = np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 10.0], [6.0, 10.0]])
    s = math.sqrt(3.5)
    expected = np.array([[-2 / s, -1], [-1 / s, -1], [0, 1], [3 / s, 1]])
    np.testing.assert_allclose(standardize(x), expected, rtol=1e-15, atol=1e-16)


def test_axis() -> None:
    # axis=1 standardises each row: (1, 2, 3) -> (-1, 0, 1) * sqrt(3/2)
    x = np.array([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]])
    a = math.sqrt(1.5)
    np.testing.assert_allclose(standardize(x, axis=1), [[-a, 0, a], [-a, 0, a]], rtol=1e-15)
    np.testing.assert_array_equal(standardize(x, axis=-1), standardize(x, axis=1))
    # a 3-d array: every (j, k) is a feature over axis 0
    y = np.random.default_rng(0).normal(size=(5, 2, 3))
    np.testing.assert_allclose(standardize(y), standardize(y.reshape(5, 6)).reshape(5, 2, 3), rtol=1e-15)


def test_constant_feature_is_centred_not_scaled() -> None:
    # the variance is 0: scale 1, so the output is x - mean = 0 (not 0 / 0)
    x = np.array([[7.0, 1.0], [7.0, 2.0], [7.0, 4.0]])
    np.testing.assert_array_equal(standardize(x)[:, 0], 0.0)


def test_near_constant_rule_is_scikit_learns() -> None:
    # (1e8, 1e8 + 2^-26 * 1e8 ...) : a spread of a few ulps of 1e8. The threshold is
    # var <= n eps var + (n mean eps)^2; with mean ~ 1e8 and n = 4 the second term is
    # (4e8 * 2.2e-16)^2 = 7.9e-15, so a variance of ~1e-16 counts as constant; 1e-12 does not
    ulp = np.spacing(1e8)  # 1.49e-8
    tiny_spread = np.array([1e8, 1e8, 1e8 + ulp, 1e8 + ulp])  # variance ulp^2 / 4 = 5.6e-17
    assert np.all(np.abs(standardize(tiny_spread)) < 1e-7)  # centred only: values +-ulp/2
    wider = np.array([1e8, 1e8, 1e8 + 100 * ulp, 1e8 + 100 * ulp])  # variance 5.6e-13
    np.testing.assert_allclose(standardize(wider), [-1, -1, 1, 1], rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_huge_inputs_give_the_standardised_values(dtype) -> None:
    # |x| up to 1e300 (1e30 in float32): the variance overflows float64's statistics, but the
    # standard deviation does not; with var = inf the feature used to count as constant and came
    # back merely centred (6.7e299, ...). The z-scores of (1e300, 1, 2) are (2, -1, -1) / sqrt 2
    big = 1e300 if dtype == np.float64 else 1e30
    x = np.array([[big, 2.0], [1.0, np.nan], [2.0, -big], [np.nan, 1.0]], dtype=dtype)
    z = standardize(x)
    assert_matches(z[[0, 1, 2], 0], np.array([2.0, -1.0, -1.0]) / np.sqrt(2.0), dtype)
    assert_matches(z[[0, 2, 3], 1], np.array([1.0, -2.0, 1.0]) / np.sqrt(2.0), dtype)
    assert np.isnan(z[1, 1]) and np.isnan(z[3, 0])


def test_nan_is_missing() -> None:
    # as scikit-learn: the statistics ignore the NaN, and the NaN stays where it was
    x = np.array([[1.0, np.nan], [2.0, 4.0], [3.0, 6.0], [np.nan, np.nan]])
    z = standardize(x)
    a = math.sqrt(1.5)
    np.testing.assert_allclose(z[:3, 0], [-a, 0, a], rtol=1e-15)
    np.testing.assert_allclose(z[1:3, 1], [-1, 1], rtol=1e-15)
    np.testing.assert_array_equal(np.isnan(z), np.isnan(x))
    assert np.all(np.isnan(standardize(np.array([[np.nan], [np.nan]]))))  # an all-NaN column


# ---------------------------------------------------------------- properties
def tables(elements=st.floats(-1e4, 1e4)):
    return arrays(np.float64, array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=8), elements=elements)


@given(tables())
def test_mean_zero_and_unit_variance(x: np.ndarray) -> None:
    z = standardize(x)
    var = x.var(axis=0)
    scaled = var > 1e-6 * (1 + np.abs(x.mean(axis=0))) ** 2  # clearly not constant
    # |z| <= sqrt(n) <= 3; the centring error is a few eps64 * |mean| / std
    np.testing.assert_allclose(z.mean(axis=0)[scaled], 0.0, atol=1e-8)
    np.testing.assert_allclose(z.var(axis=0)[scaled], 1.0, rtol=1e-8)


@given(tables(st.floats(-100, 100)), st.floats(-1e3, 1e3), st.floats(1e-2, 1e2))
def test_affine_invariance(x: np.ndarray, b: float, s: float) -> None:
    # z(s x + b) = z(x) for s > 0 on features that are clearly not constant
    var = x.var(axis=0)
    keep = np.broadcast_to(var > 1e-2, x.shape[1:])
    z1, z2 = standardize(x), standardize(s * x + b)
    # s x + b rounds by eps * (100 s + 1e3); divided by s * std >= 1e-2 * 0.1 s: below 1e-8
    np.testing.assert_allclose(z2[:, keep], z1[:, keep], atol=1e-8)


@pytest.mark.parametrize("dtype", DTYPES)
@given(x=tables())
def test_stable_up_to_1e4(dtype, x: np.ndarray) -> None:
    z = standardize(x.astype(dtype))
    assert z.dtype == dtype and np.all(np.isfinite(z))


@pytest.mark.parametrize("dtype", DTYPES)
def test_large_offset_small_spread(dtype) -> None:
    # 1e4 + 1e-2 noise: the float64 accumulators and the corrected two-pass variance keep the
    # digits; compare with exact rational arithmetic (a square root rounded to float64)
    x = (1e4 + 1e-2 * np.random.default_rng(1).normal(size=(64, 1))).astype(dtype)
    v = [Fraction(float(t)) for t in x[:, 0]]
    mean = sum(v) / len(v)
    std = math.sqrt(float(sum((t - mean) ** 2 for t in v) / len(v)))
    exact = np.array([float((t - mean) / Fraction(std)) for t in v])
    # x - mean and the quotient are rounded once each (a few ulps of |z| <= 3), and the float64
    # mean itself is off by up to eps64 * |mean|, which z inherits divided by std: 1e4 / 1e-2 * eps64
    # = 2e-10 — tens of thousands of float64 ulps (scikit-learn's algorithm has the same bound), but
    # a negligible 0.002 float32 ulps
    scale = 3 + 1e4 / std * EPS64 / np.finfo(dtype).eps
    assert_matches(standardize(x)[:, 0], exact, dtype, scale=scale)


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match="x must have at least one dimension"):
        standardize(3.0)
    with pytest.raises(ValueError, match=r"axis 2 is out of range for an input of shape \(3, 2\)"):
        standardize(np.ones((3, 2)), axis=2)
    with pytest.raises(TypeError, match="axis must be an integer"):
        standardize(np.ones((3, 2)), axis=0.0)
    with pytest.raises(ValueError, match=r"x has no samples along axis 0: shape \(0, 2\)"):
        standardize(np.ones((0, 2)))
    with pytest.raises(ValueError, match="x contains infinity"):
        standardize([[1.0], [np.inf]])
    with pytest.raises(TypeError, match="x must be real-valued"):
        standardize(np.ones(3) * 1j)


# ---------------------------------------------------------------- scikit-learn
def sklearn_standardize(x: np.ndarray) -> np.ndarray:
    return require("sklearn.preprocessing").StandardScaler().fit_transform(x)


def extreme_table(rng: np.random.Generator) -> np.ndarray:
    """15 x 6: EXTREMES, +-1e4 spread, 1e4 + 1e-2 noise, a constant, a near-constant, tiny values."""
    n = len(EXTREMES)
    cols = [EXTREMES, 1e4 * rng.normal(size=n), 1e4 + 1e-2 * rng.normal(size=n), np.full(n, 0.1),
            1.0 + 1e-15 * rng.integers(0, 2, size=n), 1e-8 * rng.normal(size=n)]
    return np.stack(cols, axis=1)


@pytest.mark.parametrize("kind", ["random", "extreme", "nan"])
def test_matches_scikit_learn_float64(kind) -> None:
    # float64: the same sums in the same order, the same casts: identical results
    rng = np.random.default_rng(7)
    x = extreme_table(rng) if kind == "extreme" else rng.normal(size=(40, 5)) * [1, 10, 1e3, 1e-3, 5] + [0, -3, 1e4, 2, 7]
    if kind == "nan":
        x[rng.random(x.shape) < 0.2] = np.nan
    np.testing.assert_array_equal(standardize(x), sklearn_standardize(x))


@pytest.mark.parametrize("kind", ["random", "extreme"])
def test_matches_scikit_learn_float32(kind) -> None:
    # scikit-learn rounds its float64 mean and scale to float32 before x - mean (transform casts
    # them to X.dtype): its error is eps32 * |mean| / std, up to 1e4 / 3e-3 for 1e4 + 1e-2 noise.
    # Ours subtracts in float64 and rounds once (checked against exact arithmetic above), so the
    # scale below measures scikit-learn's rounding, per feature
    rng = np.random.default_rng(8)
    x = (extreme_table(rng) if kind == "extreme" else rng.normal(size=(40, 5)) * 3 + 1).astype(np.float32)
    ours, ref = standardize(x), sklearn_standardize(x)
    x64 = x.astype(np.float64)
    std = x64.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    for j in range(x.shape[1]):
        assert_matches(ours[:, j], ref[:, j], np.float32, scale=float(np.abs(x64[:, j]).max() / std[j] + 3))


def test_a_spread_below_the_smallest_subnormal_is_only_centred() -> None:
    # found by hypothesis: the standard deviation of [5e-324, 0] underflows to 0 when scaled back
    x = np.array([[5e-324], [0.0]])
    np.testing.assert_array_equal(standardize(x), sklearn_standardize(x))
