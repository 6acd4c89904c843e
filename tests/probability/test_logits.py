"""logit / logit_backward: hand values, inverse of sigmoid, accuracy, bad input, scipy, PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import logit, logit_backward, sigmoid
from tests.reference import DTYPES, assert_matches, require, torch_forward_backward

probabilities = st.floats(0, 1)


def test_hand_checked_values() -> None:
    # odds p / (1 - p): 1 at 1/2, 3 at 3/4, 1/3 at 1/4, 9 at 0.9
    np.testing.assert_allclose(
        logit([0.5, 0.75, 0.25, 0.9]), [0.0, math.log(3), -math.log(3), math.log(9)], rtol=1e-15
    )
    # the ends: log 0 = -inf and log(1 / 0) = +inf
    np.testing.assert_array_equal(logit([0.0, 1.0]), [-np.inf, np.inf])
    # 1 / (p (1 - p)): 4 at 1/2, 16/3 at 1/4; times grad_out 3 -> 16
    np.testing.assert_allclose(logit_backward([1.0, 3.0], [0.5, 0.25]), [4.0, 16.0], rtol=1e-15)


def test_shape_is_kept_for_0d_and_empty() -> None:
    assert logit(0.5).shape == ()
    assert logit(np.zeros((2, 0))).shape == (2, 0)
    assert logit_backward(np.ones((0, 3)), np.zeros((0, 3))).shape == (0, 3)


@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-15, 15)))
def test_inverse_of_sigmoid(z: np.ndarray) -> None:
    # sigmoid(z) is stored to eps = 2.2e-16 absolute; for z > 0 the log-odds depend on
    # 1 - sigmoid(z) >= 3e-7 (|z| <= 15), whose relative error, and so the absolute error of the
    # round trip, is at most 2.2e-16 / 3e-7 < 1e-9
    np.testing.assert_allclose(logit(sigmoid(z)), z, rtol=0, atol=1e-9)


@given(arrays(np.float64, st.integers(1, 20), elements=probabilities))
def test_antisymmetry_and_backward_positive(p: np.ndarray) -> None:
    # logit(1 - p) = -logit(p), exactly where 1 - p is exact (p in [1/2, 3/4] by Sterbenz's
    # lemma) and both values come from the odd function 2 atanh(2p - 1)
    mid = p[(p >= 0.5) & (p <= 0.75)]
    np.testing.assert_array_equal(logit(1 - mid), -logit(mid))
    g = logit_backward(np.ones_like(p), p)
    assert np.all(g >= 4)  # p (1 - p) <= 1/4


def test_monotone() -> None:
    p = np.linspace(0, 1, 100001)
    assert np.all(np.diff(logit(p)) > 0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_no_warning_and_finite_inside(dtype) -> None:
    # pytest turns warnings into errors: 0 and 1 give +-inf quietly, every p strictly inside is finite
    tiny = np.finfo(dtype).smallest_subnormal
    p = np.array([0.0, tiny, 1e-30, 0.5, 1 - np.finfo(dtype).epsneg, 1.0], dtype=dtype)
    y = logit(p)
    assert y.dtype == dtype and np.all(np.isfinite(y[1:-1])) and y[0] == -np.inf and y[-1] == np.inf
    g = logit_backward(np.ones_like(p), p)
    assert g.dtype == dtype and np.all(np.isfinite(g[2:-1])) and g[0] == g[-1] == np.inf


def test_nan_in_nan_out() -> None:
    assert np.isnan(logit([np.nan, 0.5])[0])
    assert np.isnan(logit_backward([1.0], [np.nan])[0])


def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"p must hold probabilities in \[0, 1\], found 1.5"):
        logit([0.5, 1.5])
    with pytest.raises(ValueError, match=r"p must hold probabilities in \[0, 1\], found -0.1"):
        logit_backward([1.0], [-0.1])
    with pytest.raises(TypeError, match="p must be"):
        logit(np.array(["a"]))
    with pytest.raises(ValueError, match=r"grad_out.*\(3,\).*\(2,\)"):
        logit_backward(np.ones(2), np.full(3, 0.5))


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_scipy(dtype) -> None:
    special = require("scipy.special")
    rng = np.random.default_rng(0)
    tiny = np.finfo(dtype).tiny
    p = np.concatenate([
        rng.random(2000),
        10 ** rng.uniform(np.log10(tiny), 0, 500),                  # down to the smallest normal
        1 - 10 ** rng.uniform(np.log10(np.finfo(dtype).epsneg), 0, 500),  # up to the largest below 1
        [0.0, 1.0, 0.5, 0.25, 0.75],
    ]).astype(dtype)
    # both round to within about one ulp of the exact log-odds (checked against mpmath while
    # writing this test): a difference of a couple of ulps either way
    assert_matches(logit(p), special.logit(p), dtype, ulps=4)


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(1)
    p = np.concatenate([rng.random(500), 10 ** rng.uniform(-30, 0, 100), 1 - 10 ** rng.uniform(-7, 0, 100)])
    p = p.astype(dtype)
    grad_out = rng.normal(size=p.shape).astype(dtype)
    ref_y, (ref_dp,) = torch_forward_backward(torch.logit, [p], grad_out, wrt=[0])
    assert_matches(logit(p), ref_y, dtype, ulps=4)
    # the same expression grad / (p (1 - p)): rounding of one product, one difference and a division
    assert_matches(logit_backward(grad_out, p), ref_dp, dtype)
