"""gaussian_mle(_backward), categorical_mle: closed forms, optimality, bad input, scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import categorical_mle, cross_entropy, gaussian_mle, gaussian_mle_backward
from tests.reference import DTYPES, assert_matches, require

finite = st.floats(-1e4, 1e4, allow_nan=False)


def gaussian_log_likelihood(x: np.ndarray, mu: float, var: float) -> float:
    """sum_n log N(x_n; mu, var), written out independently of the module."""
    return float(np.sum(-0.5 * np.log(2 * np.pi * var) - (x - mu) ** 2 / (2 * var)))


def test_hand_checked_values() -> None:
    # (1, 2, 3, 6): mean 3, squared deviations (4, 1, 0, 9) sum to 14 -> biased variance 14/4
    mu, var = gaussian_mle([1.0, 2.0, 3.0, 6.0])
    assert mu == 3.0 and var == 3.5
    # one sample: mean is that sample, variance 0
    mu, var = gaussian_mle([[5.0, -1.0]])
    np.testing.assert_array_equal(mu, [5.0, -1.0])
    np.testing.assert_array_equal(var, [0.0, 0.0])
    # gradient (g_mu + 2 g_var (x - mean)) / N at x = (1, 3), mean 2, N = 2, g = (1, 1)
    np.testing.assert_array_equal(gaussian_mle_backward(1.0, 1.0, [1.0, 3.0]), [-0.5, 1.5])
    # categorical: counts (1, 0, 3) of 4
    np.testing.assert_array_equal(categorical_mle([0, 2, 2, 2], 3), [0.25, 0.0, 0.75])


def test_shapes_and_axis() -> None:
    x = np.arange(24.0).reshape(2, 3, 4)
    mu, var = gaussian_mle(x, axis=1)
    assert mu.shape == var.shape == (2, 4)
    np.testing.assert_array_equal(mu, x.mean(axis=1))
    assert gaussian_mle_backward(np.ones((2, 4)), np.ones((2, 4)), x, axis=1).shape == x.shape
    mu, var = gaussian_mle(np.array([1.0, 2.0], dtype=np.float32))
    assert isinstance(mu, np.float32) and isinstance(var, np.float32)


@given(arrays(np.float64, st.integers(2, 30), elements=st.floats(-100, 100)), st.floats(-1, 1), st.floats(0.5, 2))
def test_mle_maximises_the_log_likelihood(x: np.ndarray, shift: float, factor: float) -> None:
    mu, var = gaussian_mle(x)
    if var < 1e-6:
        return
    best = gaussian_log_likelihood(x, mu, var)
    # moving mu or rescaling var away from the estimate never increases the likelihood
    assert gaussian_log_likelihood(x, mu + shift, var) <= best + 1e-9 * abs(best)
    assert gaussian_log_likelihood(x, mu, var * factor) <= best + 1e-9 * abs(best)
    # at the maximum the log-likelihood is -N/2 (log(2 pi var) + 1)
    assert math.isclose(best, -len(x) / 2 * (math.log(2 * math.pi * var) + 1), rel_tol=1e-9, abs_tol=1e-9)


@given(arrays(np.int64, st.integers(1, 40), elements=st.integers(0, 4)))
def test_frequencies_minimise_cross_entropy(labels: np.ndarray) -> None:
    p = categorical_mle(labels, 5)
    assert math.isclose(p.sum(), 1.0, rel_tol=1e-15)
    # the mean NLL of the labels under p, via cross_entropy with logits log p, equals H(p):
    # every other distribution q (here: p mixed with uniform) does worse
    with np.errstate(divide="ignore"):
        logits = np.log(p)
    logits = np.maximum(logits, -1e4)[None, :].repeat(len(labels), axis=0)  # log 0 -> very negative
    best = cross_entropy(logits, labels)
    for w in (0.1, 0.5):
        q = (1 - w) * p + w / 5
        other = cross_entropy(np.log(q)[None, :].repeat(len(labels), axis=0), labels)
        assert best <= other + 1e-12


@pytest.mark.parametrize("dtype", DTYPES)
@given(x=arrays(np.float64, st.integers(1, 30), elements=finite))
def test_stable_up_to_1e4(dtype, x: np.ndarray) -> None:
    x = x.astype(dtype)
    mu, var = gaussian_mle(x)
    g = gaussian_mle_backward(1.0, 1.0, x)
    assert np.isfinite(mu) and np.isfinite(var) and var >= 0 and np.all(np.isfinite(g))
    assert mu.dtype == var.dtype == g.dtype == dtype


def test_large_offset_keeps_the_variance() -> None:
    # two passes: the variance of 1e8 + (0, 1, 2) is 2/3, where E[x^2] - E[x]^2 would lose it
    mu, var = gaussian_mle(1e8 + np.array([0.0, 1.0, 2.0]))
    assert math.isclose(var, 2 / 3, rel_tol=1e-8)


def test_nan_in_nan_out() -> None:
    mu, var = gaussian_mle([[np.nan, 1.0], [2.0, 3.0]])
    assert np.isnan(mu[0]) and np.isnan(var[0]) and mu[1] == 2.0 and var[1] == 1.0


def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"x must hold at least one sample along axis 0, got shape \(0, 3\)"):
        gaussian_mle(np.zeros((0, 3)))
    with pytest.raises(ValueError, match=r"grad_var must have shape x.shape without axis = \(3,\) .*\(4, 3\).*got \(4,\)"):
        gaussian_mle_backward(np.ones(3), np.ones(4), np.zeros((4, 3)))
    with pytest.raises(TypeError, match="x must be real-valued"):
        gaussian_mle(np.array([1j]))
    with pytest.raises(ValueError, match=r"labels contains class index 3, outside the valid range \[0, 2\]"):
        categorical_mle([0, 3], 3)
    with pytest.raises(TypeError, match="integer dtype, got float64"):
        categorical_mle([0.0, 1.0], 2)
    with pytest.raises(ValueError, match=r"labels must be a non-empty 1-D array \(N,\), got shape \(0,\)"):
        categorical_mle(np.zeros(0, dtype=int), 2)
    with pytest.raises(ValueError, match="num_classes must be at least 1, got 0"):
        categorical_mle([0], 0)
    with pytest.raises(TypeError, match="num_classes must be an integer, got float"):
        categorical_mle([0], 2.0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_scipy_norm_fit(dtype) -> None:
    stats = require("scipy.stats")
    rng = np.random.default_rng(0)
    for x in (rng.normal(3.0, 2.0, size=500), rng.normal(0.0, 1e4, size=50), np.array([7.0, 7.0, 7.5])):
        x = x.astype(dtype)
        loc, scale = stats.norm.fit(x)
        mu, var = gaussian_mle(x)
        # scipy computes in float64 whatever the input; a mean or mean square of N terms rounds by
        # a few eps relative to the largest |x| (for the mean) or largest square deviation (var)
        assert_matches(mu, loc, dtype, ulps=8, scale=float(np.max(np.abs(x))))
        assert_matches(var, scale**2, dtype, ulps=8, scale=float(np.max((x - x.mean()) ** 2)))
