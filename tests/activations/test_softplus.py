"""softplus / softplus_backward: hand values, identities, the threshold, limits, bad beta/threshold.

The contract every element-wise activation shares (shape, dtype, stability, bad x, PyTorch in float32
and float64) is its line in tests/activations/elementwise.py."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import relu, sigmoid, softplus, softplus_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)
vectors = arrays(np.float64, st.integers(1, 20), elements=finite)


def test_hand_checked_values() -> None:
    # log(1 + e^0) = ln 2; log(1 + e^(ln 3)) = ln 4 = 2 ln 2; log(1 + e^(-ln 3)) = ln(4/3)
    l2, l3 = math.log(2), math.log(3)
    np.testing.assert_allclose(softplus([0.0, l3, -l3]), [l2, 2 * l2, 2 * l2 - l3], rtol=1e-15)
    # beta = 2 at x = ln 3 / 2: log(1 + 3) / 2 = ln 2
    np.testing.assert_allclose(softplus(l3 / 2, beta=2.0), l2, rtol=1e-15)
    # the slope is sigmoid(beta x): 1/2 at 0, 3/4 at ln 3, 1/4 at -ln 3; times grad_out
    np.testing.assert_allclose(softplus_backward([1.0, 1.0, 4.0], [0.0, l3, -l3]), [0.5, 0.75, 1.0], rtol=1e-15)


@given(vectors)
def test_equals_logaddexp_and_odd_part_is_the_identity(x: np.ndarray) -> None:
    # numpy's logaddexp(0, x) is an independent log(1 + e^x); above the threshold (x > 20) ours
    # returns x, which differs from it by log1p(e^-x) < 2.1e-9, i.e. up to 2.1e-9 / 20 relative
    np.testing.assert_allclose(softplus(x), np.logaddexp(0.0, x), rtol=1.1e-10, atol=1e-300)
    # log(1 + e^x) - log(1 + e^-x) = x, exactly in the math; only where neither side switched to the
    # linear regime (|x| <= 20), where both terms are correctly rounded to ~1 ulp of max(|x|, ln 2)
    inner = np.abs(x) <= 20
    diff = softplus(x[inner]) - softplus(-x[inner])
    np.testing.assert_allclose(diff, x[inner], rtol=0, atol=8 * np.finfo(float).eps * 20)


@given(vectors)
def test_above_relu_by_at_most_ln2(x: np.ndarray) -> None:
    # max(x, 0) < log(1 + e^x) <= max(x, 0) + ln 2 (equality at 0); the linear regime gives x itself
    y = softplus(x)
    assert np.all(y >= relu(x)) and np.all(y <= relu(x) + math.log(2) * (1 + 1e-15))


@given(vectors, st.floats(0.1, 10.0))
def test_backward_is_the_sigmoid_of_beta_x(x: np.ndarray, beta: float) -> None:
    # below the threshold the slope is sigmoid(beta x) (the same rounded product beta x is used)
    z = x * beta
    below = z <= 20
    g = softplus_backward(np.ones_like(x), x, beta=beta)
    np.testing.assert_array_equal(g[below], sigmoid(z[below]))
    np.testing.assert_array_equal(g[~below], 1.0)


def test_threshold_switches_to_the_identity() -> None:
    # beta x just above the threshold returns x exactly, slope exactly 1 (PyTorch's linear regime);
    # just below, the smooth value x + log1p(e^-beta x) / beta and slope sigmoid(beta x) < 1
    x = np.array([2.5, np.nextafter(2.5, 3)])
    y = softplus(x, beta=2.0, threshold=5.0)
    assert y[1] == x[1] and y[0] == pytest.approx(2.5 + math.log1p(math.exp(-5)) / 2, rel=1e-15)
    g = softplus_backward(np.ones(2), x, beta=2.0, threshold=5.0)
    assert g[1] == 1.0 and g[0] == pytest.approx(1 / (1 + math.exp(-5)), rel=1e-15)


def test_large_beta_tends_to_relu() -> None:
    # |softplus_beta(x) - relu(x)| <= ln 2 / beta
    x = np.linspace(-3, 3, 61)
    for beta in (1.0, 10.0, 100.0):
        assert np.max(np.abs(softplus(x, beta=beta) - relu(x))) <= math.log(2) / beta * (1 + 1e-15)


def test_nan_and_infinity() -> None:
    y = softplus([np.nan, -np.inf, np.inf])
    assert np.isnan(y[0]) and y[1] == 0.0 and y[2] == np.inf
    g = softplus_backward([1.0, 1.0, 1.0], [np.nan, -np.inf, np.inf])
    assert np.isnan(g[0]) and g[1] == 0.0 and g[2] == 1.0


def test_no_overflow_where_the_threshold_does_not_protect() -> None:
    # PyTorch's log1p(exp(beta x)) overflows once beta x passes ~88.7 (float32) if the threshold is
    # raised that far; the max(z, 0) + log1p(e^-|z|) form never exponentiates a positive number
    x = np.array([100.0, 1000.0], dtype=np.float32)
    np.testing.assert_array_equal(softplus(x, threshold=1e4), x)
    np.testing.assert_array_equal(softplus_backward(np.ones(2, np.float32), x, threshold=1e4), 1.0)


def test_bad_beta_and_threshold() -> None:
    with pytest.raises(ValueError, match=r"beta must be a finite number > 0, got 0"):
        softplus([1.0], beta=0.0)
    with pytest.raises(ValueError, match=r"beta must be a finite number > 0, got -1"):
        softplus_backward([1.0], [1.0], beta=-1.0)
    with pytest.raises(TypeError, match="beta must be a real number, got str"):
        softplus([1.0], beta="1")
    with pytest.raises(ValueError, match="threshold must be a finite number .*got inf"):
        softplus([1.0], threshold=float("inf"))
