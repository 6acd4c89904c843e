"""sigmoid / sigmoid_backward: hand values, properties, stability, bad input, PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import sigmoid, sigmoid_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

finite64 = st.floats(-1e4, 1e4, allow_nan=False)


def test_hand_checked_values() -> None:
    # sigma(0) = 1/2; sigma(ln 3) = 1 / (1 + 1/3) = 3/4; sigma(-ln 3) = 1/4
    np.testing.assert_allclose(sigmoid([0.0, math.log(3), -math.log(3)]), [0.5, 0.75, 0.25], rtol=1e-15)
    # sigma'(x) = sigma(x)(1 - sigma(x)): 1/4 at 0 and 3/16 at ln 3
    np.testing.assert_allclose(sigmoid_backward([1.0, 2.0], [0.0, math.log(3)]), [0.25, 0.375], rtol=1e-15)


def test_shape_is_kept_for_0d_and_empty() -> None:
    assert sigmoid(0.0).shape == ()
    assert sigmoid(np.zeros((2, 0))).shape == (2, 0)


@given(arrays(np.float64, st.integers(1, 20), elements=finite64))
def test_symmetry(x: np.ndarray) -> None:
    # sigma(-x) = 1 - sigma(x), to the rounding of the subtraction
    np.testing.assert_allclose(sigmoid(-x), 1 - sigmoid(x), atol=1e-15)


@given(arrays(np.float64, st.integers(2, 20), elements=finite64, unique=True))
def test_monotone_and_bounded(x: np.ndarray) -> None:
    x = np.sort(x)
    y = sigmoid(x)
    assert np.all((y >= 0) & (y <= 1))
    assert np.all(np.diff(y) >= 0)


@pytest.mark.parametrize("dtype", DTYPES)
@given(x=arrays(np.float64, st.integers(1, 30), elements=finite64))
def test_stable_up_to_1e4(dtype, x: np.ndarray) -> None:
    # pytest turns every warning into an error, so an overflow in exp would fail here
    x = x.astype(dtype)
    y, g = sigmoid(x), sigmoid_backward(np.ones_like(x), x)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(g))
    assert y.dtype == g.dtype == dtype


def test_nan_in_nan_out() -> None:
    y = sigmoid([np.nan, 0.0])
    assert np.isnan(y[0]) and y[1] == 0.5
    assert np.isnan(sigmoid_backward([1.0, 1.0], [np.nan, 0.0])[0])


def test_limits_at_infinity() -> None:
    np.testing.assert_array_equal(sigmoid([-np.inf, np.inf]), [0.0, 1.0])


@pytest.mark.parametrize("bad", [np.array([1 + 2j]), np.array(["a"]), [None]])
def test_non_numeric_or_complex_is_a_type_error(bad) -> None:
    with pytest.raises(TypeError, match="x must be"):
        sigmoid(bad)


def test_grad_out_shape_mismatch_names_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"grad_out.*\(3,\).*\(2,\)"):
        sigmoid_backward(np.ones(2), np.zeros(3))


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(size=500) * 10, EXTREMES]).astype(dtype).reshape(5, -1)
    grad_out = rng.normal(size=x.shape).astype(dtype)
    ref_y, (ref_dx,) = torch_forward_backward(torch.sigmoid, [x], grad_out, wrt=[0])
    assert_matches(sigmoid(x), ref_y, dtype)
    assert_matches(sigmoid_backward(grad_out, x), ref_dx, dtype)
