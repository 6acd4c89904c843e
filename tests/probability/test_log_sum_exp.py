"""logsumexp / logsumexp_backward: hand values, properties, stability, bad input, scipy, PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from snippets import log_softmax, logsumexp, logsumexp_backward, softmax
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)


def test_hand_checked_values() -> None:
    # log(e^0 + e^{ln 3}) = log 4; K equal values c: c + log K
    assert math.isclose(logsumexp([0.0, math.log(3)]), math.log(4), rel_tol=1e-15)
    assert math.isclose(logsumexp(np.full(5, 1000.0)), 1000 + math.log(5), rel_tol=1e-15)
    # log(1 + e^-50) = e^-50 to first order: kept through log1p, not rounded to 0
    assert math.isclose(logsumexp([0.0, -50.0]), math.exp(-50), rel_tol=1e-15)
    # the gradient is the softmax: (1, 3) / 4, times grad_out 2
    np.testing.assert_allclose(logsumexp_backward(2.0, [0.0, math.log(3)]), [0.5, 1.5], rtol=1e-15)


def test_axes_and_shapes() -> None:
    x = np.arange(24.0).reshape(2, 3, 4)
    assert logsumexp(x).shape == ()
    assert isinstance(logsumexp(x), np.float64)
    assert logsumexp(x, axis=1).shape == (2, 4)
    assert logsumexp(x, axis=(0, 2)).shape == (3,)
    assert logsumexp(x, axis=(0, -1), keepdims=True).shape == (1, 3, 1)
    assert logsumexp(x, keepdims=True).shape == (1, 1, 1)
    # reducing all axes one after another equals reducing them at once
    np.testing.assert_allclose(logsumexp(logsumexp(x, axis=2), axis=0), logsumexp(x, axis=(0, 2)), rtol=1e-15)
    assert logsumexp_backward(np.ones((1, 3, 1)), x, axis=(0, 2), keepdims=True).shape == x.shape
    assert logsumexp(2.5) == 2.5 and logsumexp_backward(1.0, 2.5) == 1.0
    # empty slices: the log of an empty sum is -inf
    np.testing.assert_array_equal(logsumexp(np.zeros((3, 0)), axis=1), [-np.inf] * 3)


@given(arrays(np.float64, array_shapes(min_dims=1, max_dims=3, max_side=5), elements=finite))
def test_bounds_and_shift(x: np.ndarray) -> None:
    # max <= lse <= max + log K; lse(x + c) = lse(x) + c
    y = logsumexp(x)
    m = x.max()
    assert m <= y <= m + math.log(x.size) + 1e-12 * (1 + abs(m))
    np.testing.assert_allclose(logsumexp(x + 7.0), y + 7.0, rtol=1e-15, atol=1e-11)


@given(arrays(np.float64, (3, 4), elements=finite))
def test_gradient_is_softmax_and_log_softmax_identity(x: np.ndarray) -> None:
    grad = logsumexp_backward(np.ones(3), x, axis=1)
    np.testing.assert_allclose(grad, softmax(x, axis=1), rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(grad.sum(axis=1), 1.0, rtol=1e-12)
    # log_softmax(x) = x - lse(x): exact up to the rounding of one subtraction of size |x|
    np.testing.assert_allclose(x - logsumexp(x, axis=1, keepdims=True), log_softmax(x, axis=1),
                               rtol=0, atol=4e-16 * max(1.0, np.abs(x).max()) * 4)


@pytest.mark.parametrize("dtype", DTYPES)
@given(x=arrays(np.float64, st.integers(1, 30), elements=finite))
def test_stable_up_to_1e4(dtype, x: np.ndarray) -> None:
    x = x.astype(dtype)
    y, g = logsumexp(x), logsumexp_backward(1.0, x)
    assert np.isfinite(y) and np.all(np.isfinite(g))
    assert y.dtype == g.dtype == dtype


def test_infinities_and_nan_like_scipy() -> None:
    assert logsumexp([-np.inf, -np.inf]) == -np.inf
    assert logsumexp([np.inf, 1.0]) == np.inf and logsumexp([np.inf, -np.inf]) == np.inf
    assert math.isclose(logsumexp([-np.inf, 0.0]), 0.0, abs_tol=0)
    assert np.isnan(logsumexp([np.nan, 1.0]))
    # the gradient of an all -inf slice is 0; NaN in, NaN out
    np.testing.assert_array_equal(logsumexp_backward(1.0, [-np.inf, -np.inf]), [0.0, 0.0])
    np.testing.assert_array_equal(logsumexp_backward(1.0, [-np.inf, 0.0]), [0.0, 1.0])
    assert np.all(np.isnan(logsumexp_backward(1.0, [np.nan, 0.0])))


def test_bad_input() -> None:
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"axis 2 is out of range for an input of shape \(2, 3\)"):
        logsumexp(x, axis=2)
    with pytest.raises(ValueError, match=r"axis \(0, -2\) repeats an axis of the input of shape \(2, 3\)"):
        logsumexp(x, axis=(0, -2))
    with pytest.raises(TypeError, match="axis must be an integer, got float"):
        logsumexp(x, axis=1.0)
    with pytest.raises(TypeError, match="keepdims must be a bool, got int"):
        logsumexp(x, keepdims=1)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2,\), got shape \(3,\)"):
        logsumexp_backward(np.ones(3), x, axis=1)
    with pytest.raises(ValueError, match=r"forward output \(2, 1\), got shape \(2,\)"):
        logsumexp_backward(np.ones(2), x, axis=1, keepdims=True)
    with pytest.raises(TypeError, match="x must be"):
        logsumexp(np.array(["a"]))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("axis", "keepdims"), [(None, False), (1, False), ((0, 2), True), (-1, True)])
def test_matches_scipy(dtype, axis, keepdims) -> None:
    special = require("scipy.special")
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(4, 5, len(EXTREMES))) * rng.choice([1, 100, 1e4], size=(4, 1, 1))).astype(dtype)
    x[0, 0] = EXTREMES
    x[1, 2] = -np.inf
    x[2, 1, 0] = -np.inf
    ours, ref = logsumexp(x, axis=axis, keepdims=keepdims), special.logsumexp(x, axis=axis, keepdims=keepdims)
    # the same algorithm (max + log1p of the rest): the sum of exponentials is rounded in a
    # different order, relative to the result's magnitude up to max|x|
    assert_matches(ours, ref, dtype, scale=float(np.max(np.abs(x[np.isfinite(x)]))))


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(1)
    x = (rng.normal(size=(6, len(EXTREMES))) * rng.choice([1, 30, 1e3], size=(6, 1))).astype(dtype)
    x[0] = EXTREMES
    grad_out = rng.normal(size=6).astype(dtype)
    ref_y, (ref_dx,) = torch_forward_backward(lambda t: torch.logsumexp(t, dim=1), [x], grad_out, wrt=[0])
    scale = float(np.max(np.abs(x)))
    assert_matches(logsumexp(x, axis=1), ref_y, dtype, scale=scale)
    # exp(x - lse): the subtraction is exact only to eps * |x|, which exp turns into a relative
    # error of that size; both compute it the same way, so the gradients differ by ~eps * max|x|
    # relative, at most 1 in absolute terms: absolute tolerance eps * max|x| * |grad_out|
    assert_matches(logsumexp_backward(grad_out, x, axis=1), ref_dx, dtype,
                   scale=scale * float(np.max(np.abs(grad_out))))


def test_backward_over_a_tuple_of_axes_matches_finite_differences() -> None:
    # the shared case table passes kwargs through JSON (tuples become lists), so tuple axes are
    # checked here with the same generic checker
    from snippets import logsumexp as f
    from tests.gradcheck import check_gradient

    x = np.random.default_rng(3).normal(size=(2, 3, 4)) * 2
    for axis, keepdims in [((0, 2), False), ((0, 2), True), (None, False), ((-1, 0), False)]:
        check_gradient(f, logsumexp_backward, (x,), (0,), {"axis": axis, "keepdims": keepdims})
