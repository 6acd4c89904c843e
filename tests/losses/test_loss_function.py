"""mse_loss, l1_loss, huber_loss and their backwards: hand values, properties, bad input, PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from snippets import (
    huber_loss,
    huber_loss_backward,
    l1_loss,
    l1_loss_backward,
    mse_loss,
    mse_loss_backward,
)
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)
# no magnitudes in (0, 1e-6): squares of residuals near 1e-160 would underflow (to subnormals or
# 0), and the identities below hold for real numbers, not for underflowed ones
def no_tiny(high: float) -> st.SearchStrategy[float]:
    return st.one_of(st.just(0.0), st.floats(1e-6, high), st.floats(-high, -1e-6))
LOSSES = [mse_loss, l1_loss, huber_loss]
BACKWARDS = [mse_loss_backward, l1_loss_backward, huber_loss_backward]


@st.composite
def pairs(draw, elements=finite):
    shape = draw(array_shapes(min_dims=1, max_dims=3, max_side=5))
    pred = draw(arrays(np.float64, shape, elements=elements))
    target = draw(arrays(np.float64, shape, elements=elements))
    return pred, target


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_values() -> None:
    pred, target = [1.0, 2.0, 3.0, 0.5], [1.0, 0.0, 5.0, 0.0]  # residuals r = (0, 2, -2, 0.5)
    # MSE: (0 + 4 + 4 + 0.25) / 4 = 33/16; gradient 2 r / 4 = r / 2
    assert mse_loss(pred, target) == 33 / 16
    np.testing.assert_array_equal(mse_loss_backward(1.0, pred, target), [0.0, 1.0, -1.0, 0.25])
    # L1: (0 + 2 + 2 + 0.5) / 4 = 9/8; gradient sign(r) / 4, with the subgradient 0 at r = 0
    assert l1_loss(pred, target) == 9 / 8
    np.testing.assert_array_equal(l1_loss_backward(2.0, pred, target), [0.0, 0.5, -0.5, 0.5])
    # Huber, delta = 1: 0, 1 * (2 - 1/2), 1 * (2 - 1/2), 0.5^2 / 2 -> (3 + 1/8) / 4 = 25/32
    assert huber_loss(pred, target) == 25 / 32
    # gradient clip(r, -1, 1) / 4 = (0, 1, -1, 0.5) / 4
    np.testing.assert_array_equal(huber_loss_backward(1.0, pred, target), [0.0, 0.25, -0.25, 0.125])
    # delta = 2: every |r| <= 2, so all quadratic: (0 + 2 + 2 + 1/8) / 4 = 33/32 (half the MSE)
    assert huber_loss(pred, target, delta=2.0) == 33 / 32
    np.testing.assert_array_equal(huber_loss_backward(1.0, pred, target, delta=2.0), [0.0, 0.5, -0.5, 0.125])


def test_huber_pieces_meet_at_delta() -> None:
    # at |r| = delta both pieces give delta^2 / 2, and both slopes give +-delta
    for delta in (0.5, 1.0, 3.0):
        assert huber_loss([delta], [0.0], delta=delta) == delta**2 / 2
        np.testing.assert_array_equal(huber_loss_backward(1.0, [delta, -delta], [0.0, 0.0], delta=delta),
                                      [delta / 2, -delta / 2])


def test_scalar_results_and_0d_inputs() -> None:
    for loss in LOSSES:
        out = loss(np.float32(3.0), np.float32(1.0))
        assert isinstance(out, np.float32)
    assert mse_loss(3.0, 1.0) == 4.0 and l1_loss(3.0, 1.0) == 2.0 and huber_loss(3.0, 1.0) == 1.5
    assert mse_loss_backward(1.0, 3.0, 1.0) == 4.0


def test_target_takes_the_dtype_of_pred() -> None:
    pred32 = np.array([1.0, 2.0], dtype=np.float32)
    for loss in LOSSES:
        assert loss(pred32, np.array([0.0, 0.0])).dtype == np.float32
        assert loss(np.array([1, 2]), np.array([0, 0], dtype=np.float32)).dtype == np.float64
    assert huber_loss(pred32, np.zeros(2), delta=np.float64(0.5)).dtype == np.float32


# ---------------------------------------------------------------- properties
@given(pairs())
def test_non_negative_zero_at_target_and_symmetric(data) -> None:
    pred, target = data
    for loss in LOSSES:
        value = loss(pred, target)
        assert value >= 0 and np.isfinite(value)
        assert loss(target, target) == 0
        assert loss(target, pred) == value  # only |pred - target| matters


@given(pairs(elements=no_tiny(1e4)))
def test_orderings_between_the_three(data) -> None:
    pred, target = data
    mse, l1 = mse_loss(pred, target), l1_loss(pred, target)
    # mean |r| <= sqrt(mean r^2) (Jensen), up to rounding of the two means
    assert l1 <= math.sqrt(mse) * (1 + 1e-12)
    # Huber lies below both of the pieces it is made of: r^2 / 2 and delta (|r| - delta / 2) <= delta |r|
    for delta in (0.1, 1.0, 10.0):
        h = huber_loss(pred, target, delta=delta)
        assert h <= mse / 2 * (1 + 1e-12) and h <= delta * l1 * (1 + 1e-12)


@given(pairs(elements=no_tiny(100.0)))
def test_huber_limits(data) -> None:
    pred, target = data
    r = np.abs(pred - target)
    # a delta above every |r|: purely quadratic, half the MSE (up to the rounding of the mean)
    big = float(np.max(r)) + 1.0
    np.testing.assert_allclose(huber_loss(pred, target, delta=big), mse_loss(pred, target) / 2, rtol=1e-12)
    np.testing.assert_allclose(huber_loss(pred, target, delta=math.inf), mse_loss(pred, target) / 2, rtol=1e-12)
    np.testing.assert_allclose(huber_loss_backward(1.0, pred, target, delta=big),
                               mse_loss_backward(1.0, pred, target) / 2, rtol=1e-12)
    # a delta below every non-zero |r|: purely linear, delta (mean |r| - delta / 2) on the non-zero part
    if np.all(r > 0):
        small = float(np.min(r)) / 2
        np.testing.assert_allclose(huber_loss(pred, target, delta=small),
                                   small * (l1_loss(pred, target) - small / 2), rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(huber_loss_backward(1.0, pred, target, delta=small),
                                   small * l1_loss_backward(1.0, pred, target), rtol=1e-15)


@given(pairs(elements=no_tiny(1e4)), no_tiny(10.0))
def test_gradients_scale_with_grad_out_and_l1_is_bounded(data, g) -> None:
    pred, target = data
    n = pred.size
    for backward in BACKWARDS:
        np.testing.assert_allclose(backward(g, pred, target), g * backward(1.0, pred, target), rtol=1e-15)
    # each L1 and Huber gradient entry is at most 1/N (times delta): outliers cannot dominate
    assert np.all(np.abs(l1_loss_backward(1.0, pred, target)) <= 1 / n)
    assert np.all(np.abs(huber_loss_backward(1.0, pred, target, delta=2.0)) <= 2.0 / n)


def test_constant_minimisers_are_mean_and_median() -> None:
    # sum of the gradients w.r.t. a constant prediction c vanishes at the mean (MSE) and the
    # median (L1): y has an odd count, so the median's subgradient is exactly 0
    y = np.array([0.0, 1.0, 2.0, 4.0, 100.0])
    assert np.sum(mse_loss_backward(1.0, np.full(5, np.mean(y)), y)) == pytest.approx(0, abs=1e-15)
    assert np.sum(l1_loss_backward(1.0, np.full(5, np.median(y)), y)) == 0.0


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=pairs())
def test_stable_up_to_1e4(dtype, data) -> None:
    pred, target = (a.astype(dtype) for a in data)
    for loss, backward in zip(LOSSES, BACKWARDS):
        value, grad = loss(pred, target), backward(1.0, pred, target)
        assert value.dtype == grad.dtype == dtype
        assert np.isfinite(value) and np.all(np.isfinite(grad))


def test_nan_in_nan_out() -> None:
    for loss, backward in zip(LOSSES, BACKWARDS):
        assert np.isnan(loss([np.nan, 0.0], [0.0, 0.0]))
        assert np.isnan(loss([1.0, 0.0], [0.0, np.nan]))
        g = backward(1.0, [np.nan, 1.0], [0.0, 0.0])
        assert np.isnan(g[0]) and not np.isnan(g[1])


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("fn", LOSSES)
def test_shape_mismatch_names_both_shapes(fn) -> None:
    with pytest.raises(ValueError, match=r"target must have the same shape as pred.*\(3,\).*\(3, 1\)"):
        fn(np.zeros(3), np.zeros((3, 1)))
    with pytest.raises(ValueError, match=r"pred has shape \(2, 3\), target has shape \(3,\)"):
        fn(np.zeros((2, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"pred must not be empty, got shape \(0,\)"):
        fn(np.zeros(0), np.zeros(0))
    with pytest.raises(TypeError, match="pred must be real-valued"):
        fn(np.array([0.5j]), np.zeros(1))
    with pytest.raises(TypeError, match="target must be numeric"):
        fn(np.zeros(1), np.array(["a"]))


@pytest.mark.parametrize("backward", BACKWARDS)
def test_backward_checks_shapes_and_grad_out(backward) -> None:
    with pytest.raises(ValueError, match=r"pred has shape \(2,\), target has shape \(3,\)"):
        backward(1.0, np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(\), got shape \(2,\)"):
        backward(np.ones(2), np.zeros(2), np.zeros(2))


@pytest.mark.parametrize("fn", [huber_loss, lambda p, t, delta: huber_loss_backward(1.0, p, t, delta)])
def test_delta_must_be_positive(fn) -> None:
    for bad in (0.0, -1.0, math.nan):
        with pytest.raises(ValueError, match=f"delta must be > 0, got {bad}"):
            fn(np.zeros(2), np.zeros(2), delta=bad)
    for bad in ("1.0", None, True, np.ones(1)):
        with pytest.raises(TypeError, match="delta must be a real number"):
            fn(np.zeros(2), np.zeros(2), delta=bad)


# ---------------------------------------------------------------- PyTorch
def loss_inputs(dtype, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random pairs at three scales, EXTREMES against reversed EXTREMES, ties (r = 0, where l1's
    subgradient is 0) and residuals exactly at +-1, +-0.5 and +-2.5 (the deltas tested)."""
    rng = np.random.default_rng(seed)
    pred = np.concatenate([rng.normal(size=298) * rng.choice([0.1, 1, 100], size=298), EXTREMES,
                           [1.0, 2.5, -3.0, 0.5, 4.0, -2.5, 7.0]])
    target = np.concatenate([rng.normal(size=298), EXTREMES[::-1],
                             [1.0, 1.5, -2.0, 0.0, 1.5, 0.0, 7.0]])
    return pred.astype(dtype).reshape(4, -1), target.astype(dtype).reshape(4, -1)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("name", "ours", "ours_backward", "kwargs"),
    [
        ("mse_loss", mse_loss, mse_loss_backward, {}),
        ("l1_loss", l1_loss, l1_loss_backward, {}),
        ("huber_loss", huber_loss, huber_loss_backward, {}),
        ("huber_loss", huber_loss, huber_loss_backward, {"delta": 0.5}),
        ("huber_loss", huber_loss, huber_loss_backward, {"delta": 2.5}),
    ],
    ids=["mse", "l1", "huber", "huber-delta0.5", "huber-delta2.5"],
)
def test_matches_torch(dtype, name, ours, ours_backward, kwargs) -> None:
    torch = require("torch")
    pred, target = loss_inputs(dtype, seed=5)
    torch_fn = getattr(torch.nn.functional, name)
    ref_loss, (ref_grad,) = torch_forward_backward(
        lambda p, t: torch_fn(p, t, **kwargs), [pred, target], np.array(1.5), wrt=[0]
    )
    # every term is >= 0, so the mean carries no cancellation: the default 8 ulps are relative
    # (measured: at most 0.8 ulp apart; the summation orders of numpy and PyTorch differ)
    assert_matches(ours(pred, target, **kwargs), ref_loss, dtype)
    grad = ours_backward(1.5, pred, target, **kwargs)
    assert_matches(grad, ref_grad, dtype)  # element-wise, a few roundings each (measured <= 1.3 ulp)
    if name == "l1_loss":  # the ties pred == target get PyTorch's subgradient 0
        np.testing.assert_array_equal(grad[pred == target], 0.0)
        np.testing.assert_array_equal(ref_grad[pred == target], 0.0)


@pytest.mark.parametrize("beta", [0.5, 1.0, 2.5])
def test_smooth_l1_is_huber_divided_by_its_delta(beta) -> None:
    # the page's claim: smooth_l1_loss(beta) = huber_loss(delta=beta) / beta
    torch = require("torch")
    pred, target = loss_inputs(np.float64, seed=6)
    ref = torch.nn.functional.smooth_l1_loss(torch.tensor(pred), torch.tensor(target), beta=beta).item()
    np.testing.assert_allclose(huber_loss(pred, target, delta=beta) / beta, ref, rtol=1e-14)
