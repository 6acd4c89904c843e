"""softmax_with_temperature (+ backward) and sample_with_temperature: hand values, limits, properties,
stability, bad input, scipy, PyTorch and sampling frequencies."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from snippets import sample_with_temperature, softmax, softmax_with_temperature, softmax_with_temperature_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)
matrices = arrays(np.float64, array_shapes(min_dims=1, max_dims=2, max_side=6), elements=finite)


def test_hand_checked_values() -> None:
    # logits (0, ln 3): T = 1/2 doubles the log-odds to 2 ln 3 -> (1, 9) / 10; T = 2 halves it -> (1, sqrt 3)
    np.testing.assert_allclose(softmax_with_temperature([0.0, math.log(3)], 0.5), [0.1, 0.9], rtol=1e-15)
    r3 = math.sqrt(3)
    np.testing.assert_allclose(softmax_with_temperature([0.0, math.log(3)], 2.0), [1 / (1 + r3), r3 / (1 + r3)], rtol=1e-15)
    # T = 1 is the plain softmax
    np.testing.assert_array_equal(softmax_with_temperature([1.0, 2.0, 0.5]), softmax([1.0, 2.0, 0.5]))
    # backward at equal logits, T = 1/2: softmax backward (1/4, -1/4) divided by T
    np.testing.assert_allclose(softmax_with_temperature_backward([1.0, 0.0], [3.0, 3.0], 0.5), [0.5, -0.5], rtol=1e-15)
    # greedy decoding at T = 0
    np.testing.assert_array_equal(sample_with_temperature([[1.0, 3.0, 2.0], [0.5, -1.0, 0.0]], 0.0), [1, 0])


def test_limits() -> None:
    z = np.array([1.0, 3.0, 2.0, 3.0 - 1e-3])
    # T -> 0: the one-hot vector of the argmax (gap 1e-3 at T = 1e-6: exp(-1000) = 0)
    np.testing.assert_array_equal(softmax_with_temperature(z, 1e-6), [0.0, 1.0, 0.0, 0.0])
    # ties share the mass equally in the limit
    np.testing.assert_array_equal(softmax_with_temperature([2.0, 2.0, 0.0], 1e-300), [0.5, 0.5, 0.0])
    # T -> inf: uniform (the log-odds shrink to 2 / 1e12)
    np.testing.assert_allclose(softmax_with_temperature(z, 1e12), np.full(4, 0.25), rtol=1e-11)


@given(matrices, st.floats(0.01, 100), st.floats(0.01, 100))
def test_properties(x: np.ndarray, t: float, s: float) -> None:
    p = softmax_with_temperature(x, t)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-12)
    # temperature and logit scale are interchangeable: softmax(z / T) = softmax((s z) / (s T))
    np.testing.assert_allclose(softmax_with_temperature(s * x, s * t), p, atol=1e-9)
    # the argmax does not depend on T
    big = np.sort(x, axis=-1)
    if x.shape[-1] == 1 or np.all(big[..., -1] - big[..., -2] > 1e-6 * t):  # no tie after rounding
        np.testing.assert_array_equal(np.argmax(p, axis=-1), np.argmax(x, axis=-1))


@given(arrays(np.float64, 6, elements=st.floats(-5, 5)), st.floats(0.1, 10), st.floats(1.01, 10))
def test_entropy_grows_with_temperature(x: np.ndarray, t: float, factor: float) -> None:
    def h(p: np.ndarray) -> float:
        return float(-np.sum(p * np.log(np.where(p > 0, p, 1))))
    assert h(softmax_with_temperature(x, t * factor)) >= h(softmax_with_temperature(x, t)) - 1e-12


@pytest.mark.parametrize("dtype", DTYPES)
@given(x=matrices, t=st.sampled_from([1e-300, 1e-3, 1.0, 1e3, 1e300]))
def test_stable_up_to_1e4(dtype, x: np.ndarray, t: float) -> None:
    x = x.astype(dtype)
    y = softmax_with_temperature(x, t)  # any T > 0
    assert y.dtype == dtype and np.all(np.isfinite(y))
    # the gradient is at most |g| / (2 T): finite down to T = 1e-30 in float32 (the docstring's bound)
    dx = softmax_with_temperature_backward(np.ones_like(x), x, max(t, 1e-30))
    assert dx.dtype == dtype and np.all(np.isfinite(dx))


def test_nan_and_masking() -> None:
    y = softmax_with_temperature([[np.nan, 0.0], [1.0, 1.0]], 0.5)
    assert np.all(np.isnan(y[0])) and np.allclose(y[1], 0.5)
    # -inf masks a class at any temperature, in sampling too
    np.testing.assert_array_equal(softmax_with_temperature([0.0, -np.inf], 100.0), [1.0, 0.0])
    draws = sample_with_temperature(np.tile([0.0, -np.inf, 0.0], (500, 1)), 5.0, rng=np.random.default_rng(0))
    assert not np.any(draws == 1)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="temperature must be a finite number > 0, got 0"):
        softmax_with_temperature([1.0, 2.0], 0.0)
    with pytest.raises(ValueError, match="temperature must be a finite number >= 0, got -1"):
        sample_with_temperature([1.0, 2.0], -1.0)
    with pytest.raises(ValueError, match="logits must not be NaN or \\+inf .* found nan"):
        sample_with_temperature([np.nan, 2.0], 1.0)
    with pytest.raises(ValueError, match="must not all be -inf"):
        sample_with_temperature([-np.inf, -np.inf], 1.0)
    with pytest.raises(ValueError, match=r"at least one class along axis 1, got shape \(2, 0\)"):
        sample_with_temperature(np.zeros((2, 0)), 1.0)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        sample_with_temperature([1.0, 2.0], 1.0, rng=42)
    with pytest.raises(ValueError, match=r"grad_out must have the shape .*\(2,\)"):
        softmax_with_temperature_backward([1.0], [1.0, 2.0], 2.0)
    with pytest.raises(TypeError, match="logits must be real-valued"):
        softmax_with_temperature(np.array([1j, 0]))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("t", [0.05, 0.7, 1.0, 20.0])
def test_matches_scipy(dtype, t: float) -> None:
    special = require("scipy.special")
    rng = np.random.default_rng(1)
    x = (rng.normal(size=(8, len(EXTREMES))) * rng.choice([1, 10, 1000], size=(8, 1))).astype(dtype)
    x[0] = EXTREMES
    ref = special.softmax(x.astype(np.float64) / t, axis=-1)  # float64 reference from the rounded inputs
    # we subtract the max before dividing: each exponent (z - m) / T is exact to a few ulps of
    # itself, and where it is large p is tiny, so p is good to a few eps absolute (as softmax)
    assert_matches(softmax_with_temperature(x, t), ref, dtype, ulps=8)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("t", [0.1, 1.0, 10.0])
@pytest.mark.parametrize("axis", [-1, 0])
def test_matches_torch(dtype, t: float, axis: int) -> None:
    torch = require("torch")
    rng = np.random.default_rng(2)
    x = (rng.normal(size=(10, len(EXTREMES))) * rng.choice([1, 10, 1000], size=(10, 1))).astype(dtype)
    x[0] = EXTREMES
    x[1, 2] = 1e4
    grad_out = rng.normal(size=x.shape).astype(dtype)
    ref, (ref_dx,) = torch_forward_backward(lambda v: torch.softmax(v / t, dim=axis), [x], grad_out, wrt=[0])
    # PyTorch rounds a = x / T before subtracting the max (ours subtracts first): each exponent
    # a_i - a_max carries an absolute error up to delta = eps * max|a|, which moves p_i by at most
    # p_i (1 - p_i) delta <= delta / 4; plus a few eps of softmax's own rounding on both sides
    max_a = float(np.max(np.abs(x.astype(np.float64)))) / t
    assert_matches(softmax_with_temperature(x, t, axis=axis), ref, dtype, ulps=1, scale=max_a / 4 + 8)
    ours = softmax_with_temperature_backward(grad_out, x, t, axis=axis)
    # the gradient p (g - g.p) / T: the p errors move it by at most max|g| delta / T, plus a few
    # eps of max|g| / T of its own
    assert_matches(ours, ref_dx, dtype, ulps=1, scale=float(np.max(np.abs(grad_out))) / t * (max_a + 16))


@pytest.mark.parametrize("t", [0.5, 1.0, 3.0])
def test_sample_frequencies_match_the_tempered_softmax(t: float) -> None:
    # 40 000 draws: a chi-squared goodness-of-fit test against softmax(z / T) (fixed seed, so a
    # fixed p-value far above the 1e-3 threshold), and the same draws along axis 0
    stats = require("scipy.stats")
    z = np.array([2.0, 0.5, 0.0, -1.0])
    p = softmax_with_temperature(z, t)
    draws = sample_with_temperature(np.tile(z, (40_000, 1)), t, rng=np.random.default_rng(3))
    assert draws.shape == (40_000,) and draws.dtype == np.int64
    assert stats.chisquare(np.bincount(draws, minlength=4), 40_000 * p).pvalue > 1e-3
    draws0 = sample_with_temperature(np.tile(z, (40_000, 1)).T, t, rng=np.random.default_rng(4), axis=0)
    assert stats.chisquare(np.bincount(draws0, minlength=4), 40_000 * p).pvalue > 1e-3
