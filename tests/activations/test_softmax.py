"""softmax / log_softmax and their backwards: hand values, properties, stability, bad input, PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from snippets import log_softmax, log_softmax_backward, softmax, softmax_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)
matrices = arrays(np.float64, array_shapes(min_dims=1, max_dims=3, max_side=6), elements=finite)


def test_hand_checked_values() -> None:
    # scores (0, ln 2, ln 3) -> exp = (1, 2, 3) -> probabilities (1, 2, 3) / 6
    x = [0.0, math.log(2), math.log(3)]
    np.testing.assert_allclose(softmax(x), [1 / 6, 2 / 6, 3 / 6], rtol=1e-15)
    np.testing.assert_allclose(log_softmax(x), np.log([1 / 6, 2 / 6, 3 / 6]), rtol=1e-15)
    # two equal scores: p = (1/2, 1/2); Jacobian diag(p) - p p^T = [[1/4, -1/4], [-1/4, 1/4]]
    np.testing.assert_allclose(softmax_backward([1.0, 0.0], [5.0, 5.0]), [0.25, -0.25], rtol=1e-15)
    # d log p / dx = I - p^T 1: grad (1, 0) -> (1 - 1/2, -1/2)
    np.testing.assert_allclose(log_softmax_backward([1.0, 0.0], [5.0, 5.0]), [0.5, -0.5], rtol=1e-15)


def test_axis_selects_the_class_axis() -> None:
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(softmax(x, axis=0).sum(axis=0), np.ones(3))
    np.testing.assert_allclose(softmax(x, axis=1), softmax(x.T, axis=0).T)


def test_0d_and_empty_inputs() -> None:
    assert softmax(3.0) == 1.0 and softmax(3.0).shape == ()
    assert log_softmax(3.0) == 0.0
    assert softmax(np.zeros((0, 4))).shape == (0, 4)
    assert softmax(np.zeros((4, 0))).shape == (4, 0)


@given(matrices, st.data())
def test_rows_sum_to_one_and_shift_invariance(x: np.ndarray, data) -> None:
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    p = softmax(x, axis)
    assert np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=axis), 1.0, rtol=1e-12)
    # adding a constant to every score changes nothing
    c = data.draw(st.floats(-100, 100))
    np.testing.assert_allclose(softmax(x + c, axis), p, atol=1e-12)


@given(arrays(np.float64, array_shapes(min_dims=1, max_dims=2, max_side=6), elements=st.floats(-30, 30)))
def test_log_softmax_is_log_of_softmax(x: np.ndarray) -> None:
    np.testing.assert_allclose(log_softmax(x), np.log(softmax(x)), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.exp(log_softmax(x)), softmax(x), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("dtype", DTYPES)
@given(x=matrices)
def test_stable_up_to_1e4(dtype, x: np.ndarray) -> None:
    x = x.astype(dtype)
    g = np.ones_like(x)
    for y in (softmax(x), log_softmax(x), softmax_backward(g, x), log_softmax_backward(g, x)):
        assert y.dtype == dtype and np.all(np.isfinite(y))


def test_nan_poisons_its_row_only() -> None:
    y = softmax([[np.nan, 0.0], [1.0, 1.0]])
    assert np.all(np.isnan(y[0])) and np.allclose(y[1], 0.5)


@pytest.mark.parametrize("fn", [softmax, log_softmax])
def test_bad_axis(fn) -> None:
    with pytest.raises(ValueError, match=r"axis 2 is out of range for an input of shape \(2, 3\)"):
        fn(np.zeros((2, 3)), axis=2)
    with pytest.raises(TypeError, match="axis must be an integer"):
        fn(np.zeros((2, 3)), axis=1.0)


@pytest.mark.parametrize("fn", [softmax_backward, log_softmax_backward])
def test_backward_rejects_mismatched_grad_out(fn) -> None:
    with pytest.raises(ValueError, match=r"grad_out.*\(2, 3\).*\(3, 2\)"):
        fn(np.zeros((3, 2)), np.zeros((2, 3)))


def test_complex_input_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="x must be real-valued"):
        softmax(np.array([1j, 0]))


def extreme_logits(dtype, rng: np.random.Generator) -> np.ndarray:
    """Rows at several scales, plus rows made of the EXTREMES and rows with one huge score."""
    x = rng.normal(size=(12, len(EXTREMES))) * rng.choice([1, 10, 1000], size=(12, 1))
    x[0] = EXTREMES
    x[1] = EXTREMES[::-1]
    x[2, 3] = 1e4
    x[3] = 1e4
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [-1, 0])
@pytest.mark.parametrize(("name", "ours", "ours_backward"), [
    ("softmax", softmax, softmax_backward),
    ("log_softmax", log_softmax, log_softmax_backward),
])
def test_matches_torch(dtype, axis, name, ours, ours_backward) -> None:
    torch = require("torch")
    rng = np.random.default_rng(1)
    x = extreme_logits(dtype, rng)
    grad_out = rng.normal(size=x.shape).astype(dtype)
    ref_y, (ref_dx,) = torch_forward_backward(
        lambda t: getattr(torch, name)(t, dim=axis), [x], grad_out, wrt=[0]
    )
    # log_softmax = x - logsumexp(x): exact only to eps * max|x|; softmax is relative to 1
    scale = float(np.max(np.abs(x))) if name == "log_softmax" else 1.0
    assert_matches(ours(x, axis), ref_y, dtype, scale=scale)
    # the gradients are O(|grad_out|) sums over a row of up to 15 terms
    assert_matches(ours_backward(grad_out, x, axis), ref_dx, dtype, scale=float(np.max(np.abs(grad_out))) * 4)
