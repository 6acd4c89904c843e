"""entropy: hand values, properties, normalisation, bad input, scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import entropy
from tests.reference import DTYPES, assert_matches, require

weights = st.floats(0, 1e4, allow_nan=False)


def test_hand_checked_values() -> None:
    # a fair coin: -2 (1/2 ln 1/2) = ln 2; a fair die: ln 6; a certain outcome: 0 (0 log 0 = 0)
    assert math.isclose(entropy([0.5, 0.5]), math.log(2), rel_tol=1e-15)
    assert math.isclose(entropy(np.full(6, 1 / 6)), math.log(6), rel_tol=1e-15)
    assert entropy([0.0, 1.0, 0.0]) == 0.0
    # (1/2, 1/4, 1/4): 1/2 ln 2 + 2 (1/4 ln 4) = 1.5 ln 2; counts (2, 1, 1) are normalised first
    assert math.isclose(entropy([0.5, 0.25, 0.25]), 1.5 * math.log(2), rel_tol=1e-15)
    assert math.isclose(entropy([2, 1, 1]), 1.5 * math.log(2), rel_tol=1e-15)
    # along an axis: columns of [[1, 1], [0, 1]] are (1, 0) -> 0 and (1/2, 1/2) -> ln 2
    np.testing.assert_allclose(entropy([[1.0, 1.0], [0.0, 1.0]], axis=0), [0.0, math.log(2)], rtol=1e-15)


def test_shapes_and_scalars() -> None:
    assert entropy(np.ones((2, 3, 4)), axis=1).shape == (2, 4)
    assert entropy(np.ones((2, 3))).shape == (2,)
    h = entropy([0.25, 0.75])
    assert isinstance(h, np.float64)
    assert isinstance(entropy(np.array([1, 3], dtype=np.float32)), np.float32)


@given(arrays(np.float64, st.integers(1, 30), elements=weights))
def test_bounds_and_scale_invariance(p: np.ndarray) -> None:
    if p.sum() == 0:
        return
    h = entropy(p)
    # 0 <= H <= log K, the maximum reached only by the uniform distribution
    assert 0 <= h <= math.log(len(p)) * (1 + 1e-12)
    # dividing by the sum first makes H blind to the total mass
    np.testing.assert_allclose(entropy(3.5 * p), h, rtol=1e-12, atol=1e-15)
    # permuting outcomes changes nothing
    np.testing.assert_allclose(entropy(p[::-1]), h, rtol=1e-12, atol=1e-15)


@given(st.integers(1, 6), st.integers(1, 6), st.data())
def test_independent_joint_adds(m: int, n: int, data) -> None:
    # H(X, Y) = H(X) + H(Y) when the joint distribution is the outer product
    a = data.draw(arrays(np.float64, m, elements=st.floats(0.01, 1)))
    b = data.draw(arrays(np.float64, n, elements=st.floats(0.01, 1)))
    a, b = a / a.sum(), b / b.sum()
    np.testing.assert_allclose(entropy(np.outer(a, b).ravel()), entropy(a) + entropy(b), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dtype", DTYPES)
def test_extremes_are_finite(dtype) -> None:
    # tiny and huge weights, and zeros: no overflow, no log(0) warning
    p = np.array([1e-300 if dtype == np.float64 else 1e-38, 1e30, 0.0, 1.0], dtype=dtype)
    h = entropy(p)
    assert h.dtype == dtype and np.isfinite(h) and h >= 0


def test_nan_in_nan_out() -> None:
    h = entropy([[np.nan, 1.0], [1.0, 1.0]])
    assert np.isnan(h[0]) and math.isclose(h[1], math.log(2))


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="p must be non-negative, found -1.0"):
        entropy([1.0, -1.0, 2.0])
    with pytest.raises(ValueError, match="p must be finite, found inf"):
        entropy([np.inf, 1.0])
    with pytest.raises(ValueError, match=r"p must have a positive sum along axis 1: .*shape \(2, 2\)"):
        entropy([[1.0, 1.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match=r"at least one outcome along axis 1, got shape \(2, 0\)"):
        entropy(np.zeros((2, 0)))
    with pytest.raises(ValueError, match=r"axis 2 is out of range for an input of shape \(2, 2\)"):
        entropy(np.ones((2, 2)), axis=2)
    with pytest.raises(TypeError, match="p must be real-valued"):
        entropy(np.array([0.5j]))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_matches_scipy(dtype, axis) -> None:
    stats = require("scipy.stats")
    rng = np.random.default_rng(0)
    p = (rng.random((6, 7)) ** 3).astype(dtype)
    p[0, :3] = 0.0  # exact zeros: 0 log 0 = 0 in both
    p[2] *= 1e-30 if dtype == np.float32 else 1e-200  # tiny unnormalised weights
    p[3, 0] = 1e6
    # both normalise, then sum K terms of size <= 1/e: a few roundings each, relative to log K
    assert_matches(entropy(p, axis=axis), stats.entropy(p, axis=axis), dtype, ulps=16, scale=math.log(7))
