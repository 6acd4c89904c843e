"""sigmoid_focal_loss and its backward."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import sigmoid_focal_loss, sigmoid_focal_loss_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)


# ---------------------------------------------------------------- hand-checked values
def test_hand_values() -> None:
    # x = ln 3: p = 3/4. Positive: p_t = 3/4, ce = -ln 3/4, (1 - p_t)^2 = 1/16, a_t = 0.25
    # Negative: p_t = 1/4, ce = -ln 1/4, (1 - p_t)^2 = 9/16, a_t = 0.75
    x = np.full(2, math.log(3))
    expected = [0.25 / 16 * -math.log(0.75), 0.75 * 9 / 16 * -math.log(0.25)]
    np.testing.assert_allclose(sigmoid_focal_loss(x, [1.0, 0.0]), expected, rtol=1e-14)
    np.testing.assert_allclose(sigmoid_focal_loss(x, [1.0, 0.0], reduction="sum"), sum(expected), rtol=1e-14)
    # alpha < 0: no weighting; gamma = 1: (1 - p_t) = 1/4 and 3/4
    np.testing.assert_allclose(
        sigmoid_focal_loss(x, [1.0, 0.0], alpha=-1, gamma=1.0), [-math.log(0.75) / 4, -0.75 * math.log(0.25)], rtol=1e-14
    )
    # gradient for the positive, gamma = 2: a_t [(p - 1) m^2 + 2 ce m p (1 - p)(-1)], m = 1/4
    #   = 0.25 [(-1/4)(1/16) - 2 (-ln 3/4)(1/4)(3/16)]
    grad = 0.25 * (-0.25 / 16 - 2 * -math.log(0.75) * 0.25 * 3 / 16)
    np.testing.assert_allclose(sigmoid_focal_loss_backward(np.ones(1), x[:1], [1.0]), [grad], rtol=1e-14)


def test_gamma_zero_is_weighted_binary_cross_entropy() -> None:
    x, t = np.array([-2.0, 0.5, 3.0]), np.array([1.0, 0.0, 1.0])
    bce = np.logaddexp(0, x) - t * x  # log(1 + e^x) - t x
    np.testing.assert_allclose(sigmoid_focal_loss(x, t, alpha=-1, gamma=0.0), bce, rtol=1e-14)
    np.testing.assert_allclose(sigmoid_focal_loss(x, t, alpha=0.25, gamma=0.0), np.where(t == 1, 0.25, 0.75) * bce, rtol=1e-14)


def test_saturated_logits_keep_their_tiny_loss() -> None:
    # x = 40, t = 1: 1 - p_t = sigmoid(-40) = 4.25e-18 and ce = log(1 + e^-40) ~ 4.25e-18, so the
    # loss is a_t e^-120 (1 + O(e^-40)); torchvision's 1 - p_t rounds to 0 and returns 0
    out = sigmoid_focal_loss([40.0], [1.0])
    np.testing.assert_allclose(out, [0.25 * math.exp(-120)], rtol=1e-12)
    # and a confident wrong answer costs about its logit: x = 1e4, t = 0 -> 0.75 * 1e4
    np.testing.assert_allclose(sigmoid_focal_loss([1e4], [0.0]), [7500.0], rtol=1e-15)


# ---------------------------------------------------------------- properties
@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-30, 30)), st.data())
def test_focal_never_exceeds_cross_entropy(x, data) -> None:
    # (1 - p_t)^gamma <= 1, so with alpha off the focal loss is at most the cross-entropy,
    # and it decreases as gamma grows
    t = data.draw(arrays(np.float64, x.shape, elements=st.sampled_from([0.0, 1.0])))
    ce = sigmoid_focal_loss(x, t, alpha=-1, gamma=0.0)
    g1 = sigmoid_focal_loss(x, t, alpha=-1, gamma=1.0)
    g2 = sigmoid_focal_loss(x, t, alpha=-1, gamma=2.0)
    assert np.all(g2 <= g1 * (1 + 1e-12)) and np.all(g1 <= ce * (1 + 1e-12)) and np.all(g2 >= 0)


@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-30, 30)), st.floats(0, 1), st.floats(0, 5))
def test_swapping_the_label_mirrors_the_logit(x, alpha, gamma) -> None:
    # a positive at x is a negative at -x, with alpha and 1 - alpha exchanged (1 - (1 - alpha)
    # is alpha only to an ulp of 1, hence the absolute tolerance of a few eps times the loss)
    pos = sigmoid_focal_loss(x, np.ones_like(x), alpha=alpha, gamma=gamma)
    neg = sigmoid_focal_loss(-x, np.zeros_like(x), alpha=1 - alpha, gamma=gamma)
    np.testing.assert_allclose(pos, neg, rtol=1e-12, atol=1e-15 * (1 + np.abs(x).max()))


@pytest.mark.parametrize("dtype", DTYPES)
@given(x=arrays(np.float64, st.integers(1, 20), elements=finite), gamma=st.sampled_from([0.0, 0.5, 2.0, 5.0]), data=st.data())
def test_stable_up_to_1e4(dtype, x, gamma, data) -> None:
    t = data.draw(arrays(np.float64, x.shape, elements=st.floats(0, 1))).astype(dtype)
    x = x.astype(dtype)
    for v in (sigmoid_focal_loss(x, t, gamma=gamma), sigmoid_focal_loss_backward(np.ones_like(x), x, t, gamma=gamma)):
        assert v.dtype == dtype and np.all(np.isfinite(v))


def test_infinite_logits_take_their_limits() -> None:
    # certain and right: 0; certain and wrong: inf; the gradient p - t there is 0 and the slope term 0
    out = sigmoid_focal_loss([np.inf, -np.inf, np.inf], [1.0, 0.0, 0.0], alpha=-1)
    np.testing.assert_array_equal(out, [0.0, 0.0, np.inf])
    np.testing.assert_array_equal(sigmoid_focal_loss_backward(np.ones(2), [np.inf, -np.inf], [1.0, 0.0]), [0.0, 0.0])


def test_nan_in_nan_out() -> None:
    assert np.isnan(sigmoid_focal_loss([np.nan], [1.0])).all()
    assert np.isnan(sigmoid_focal_loss_backward(np.ones(1), [np.nan], [1.0])).all()


# ---------------------------------------------------------------- bad input
def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match=r"targets must have the same shape as inputs"):
        sigmoid_focal_loss(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match=r"targets must hold probabilities in \[0, 1\], found 2.0"):
        sigmoid_focal_loss(np.zeros(2), [1.0, 2.0])
    with pytest.raises(ValueError, match=r"alpha must be a finite number <= 1, got 1.5"):
        sigmoid_focal_loss(np.zeros(2), np.zeros(2), alpha=1.5)
    with pytest.raises(ValueError, match=r"gamma must be a finite number >= 0, got -1"):
        sigmoid_focal_loss(np.zeros(2), np.zeros(2), gamma=-1)
    with pytest.raises(ValueError, match="reduction must be"):
        sigmoid_focal_loss(np.zeros(2), np.zeros(2), reduction="avg")
    with pytest.raises(ValueError, match="reduction='mean' needs at least one sample, inputs is empty"):
        sigmoid_focal_loss(np.zeros(0), np.zeros(0), reduction="mean")
    with pytest.raises(TypeError, match="inputs must be real-valued"):
        sigmoid_focal_loss(np.zeros(2, dtype=complex), np.zeros(2))
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2,\)"):
        sigmoid_focal_loss_backward(1.0, np.zeros(2), np.zeros(2))


# ---------------------------------------------------------------- PyTorch (torchvision's formula)
def torchvision_focal(torch, x, t, alpha, gamma, reduction):
    """torchvision.ops.sigmoid_focal_loss, written out (torchvision is not a test dependency)."""
    p = torch.sigmoid(x)
    ce = torch.nn.functional.binary_cross_entropy_with_logits(x, t, reduction="none")
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * t + (1 - alpha) * (1 - t)) * loss
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("alpha", "gamma"), [(0.25, 2.0), (-1.0, 2.0), (0.5, 0.5), (0.25, 5.0)])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_matches_torchvision_formula(dtype, alpha, gamma, reduction) -> None:
    torch = require("torch")
    rng = np.random.default_rng(11)
    # |x| <= 4: there 1 - p_t >= sigmoid(-4) = 0.018, so torchvision's 1 - p_t, formed by
    # subtraction, carries a relative error up to eps / 0.018 = 56 ulps, which the power gamma
    # multiplies by gamma; the log-space route here is exact to a few ulps
    x = rng.uniform(-4, 4, size=300).astype(dtype)
    t = rng.choice([0.0, 1.0], size=300).astype(dtype)
    g = rng.normal(size=300) if reduction == "none" else np.array(0.6)
    ref, (ref_grad,) = torch_forward_backward(
        lambda a, b: torchvision_focal(torch, a, b, alpha, gamma, reduction), [x, t], g, wrt=[0])
    kw = dict(alpha=alpha, gamma=gamma, reduction=reduction)
    ulps = 8 + 60 * gamma
    scale = 300 if reduction == "sum" else 1
    assert_matches(sigmoid_focal_loss(x, t, **kw), ref, dtype, ulps=ulps, scale=scale)
    assert_matches(sigmoid_focal_loss_backward(g, x, t, **kw), ref_grad, dtype, ulps=ulps, scale=float(np.abs(g).max()))


@pytest.mark.parametrize("dtype", DTYPES)
def test_extremes_against_the_formula_in_float64(dtype) -> None:
    # at |x| up to 1e4 torchvision's 1 - p_t rounds to 0 in float32, so the reference is the same
    # formula evaluated in float64 on the float32 inputs: agreement to the dtype's ulps, relative
    # to the loss's size (a wrong certain answer costs |x|), or absolutely below tiny losses
    torch = require("torch")
    rng = np.random.default_rng(12)
    x = np.concatenate([EXTREMES, EXTREMES, rng.normal(size=100) * 30]).astype(dtype)
    t = np.concatenate([np.ones(15), np.zeros(15), rng.choice([0.0, 1.0], size=100)]).astype(dtype)
    ref, (ref_grad,) = torch_forward_backward(
        lambda a, b: torchvision_focal(torch, a, b, 0.25, 2.0, "none"), [x.astype(np.float64), t.astype(np.float64)],
        np.ones(x.size), wrt=[0])
    assert_matches(sigmoid_focal_loss(x, t), ref, dtype, ulps=16)
    assert_matches(sigmoid_focal_loss_backward(np.ones(x.size, dtype), x, t), ref_grad, dtype, ulps=16)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gamma_zero_equals_torch_bce(dtype) -> None:
    # gamma = 0 and alpha < 0 reduce the focal loss to binary_cross_entropy_with_logits
    torch = require("torch")
    rng = np.random.default_rng(13)
    x = np.concatenate([rng.normal(size=200) * 20, EXTREMES]).astype(dtype)
    t = rng.random(x.shape).astype(dtype)
    ref, (ref_grad,) = torch_forward_backward(
        lambda a, b: torch.nn.functional.binary_cross_entropy_with_logits(a, b, reduction="none"), [x, t],
        np.full(x.size, 1.5), wrt=[0])
    # torch and this code add the terms differently, each of size up to |x|: exact to eps * |x|
    ours, eps = sigmoid_focal_loss(x, t, alpha=-1, gamma=0.0), np.finfo(dtype).eps
    assert ours.dtype == dtype
    err = np.abs(ours.astype(np.float64) - ref)
    assert np.all(err <= 8 * eps * (np.abs(ref) + np.abs(x)) + np.finfo(dtype).tiny), np.max(err / (np.abs(ref) + np.abs(x)))
    assert_matches(sigmoid_focal_loss_backward(np.full(x.size, 1.5), x, t, alpha=-1, gamma=0.0), ref_grad, dtype)
