"""cross_entropy, binary_cross_entropy(_with_logits) and their backwards."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import (
    binary_cross_entropy,
    binary_cross_entropy_backward,
    binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_backward,
    cross_entropy,
    cross_entropy_backward,
    sigmoid,
)
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)


# ---------------------------------------------------------------- hand-checked values
def test_cross_entropy_hand_values() -> None:
    # uniform logits over C classes: the loss is log C whatever the target
    assert math.isclose(cross_entropy(np.zeros((3, 4)), [0, 1, 3]), math.log(4), rel_tol=1e-15)
    # logits (ln 1, ln 3): p = (1/4, 3/4); targets 1 and 0 -> mean(-ln 3/4, -ln 1/4) = ln(16/3) / 2
    logits = np.log([[1.0, 3.0], [1.0, 3.0]])
    assert math.isclose(cross_entropy(logits, [1, 0]), math.log(16 / 3) / 2, rel_tol=1e-15)
    # the same targets as one-hot probabilities give the same loss
    assert math.isclose(cross_entropy(logits, np.eye(2)[[1, 0]]), math.log(16 / 3) / 2, rel_tol=1e-15)
    # gradient (p - onehot) / N = ((1/4, -1/4), (-3/4, 3/4)) / 2
    expected = np.array([[0.25, -0.25], [-0.75, 0.75]]) / 2
    np.testing.assert_allclose(cross_entropy_backward(1.0, logits, [1, 0]), expected, rtol=1e-14)


def test_label_smoothing_hand_values() -> None:
    # uniform logits: every log p is -log C, so any target distribution gives log C
    for eps in (0.0, 0.3, 1.0):
        assert math.isclose(cross_entropy(np.zeros((3, 4)), [0, 1, 3], label_smoothing=eps), math.log(4), rel_tol=1e-15)
    # logits (ln 1, ln 3): p = (1/4, 3/4). Target 1 with eps = 0.5, C = 2: t = 0.5 * (0, 1) + 0.25 = (1/4, 3/4)
    # = p, so the loss is the entropy -(1/4 ln 1/4 + 3/4 ln 3/4) and the gradient p - t is 0
    logits = np.log([[1.0, 3.0]])
    entropy = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))
    assert math.isclose(cross_entropy(logits, [1], label_smoothing=0.5), entropy, rel_tol=1e-15)
    assert math.isclose(cross_entropy(logits, [[0.0, 1.0]], label_smoothing=0.5), entropy, rel_tol=1e-15)
    np.testing.assert_allclose(cross_entropy_backward(1.0, logits, [1], label_smoothing=0.5), [[0.0, 0.0]], atol=1e-16)
    # eps = 1: the target is uniform (1/2, 1/2) whatever the label: loss -(ln 1/4 + ln 3/4) / 2,
    # gradient p - 1/2 = (-1/4, 1/4)
    assert math.isclose(cross_entropy(logits, [0], label_smoothing=1.0), -math.log(3 / 16) / 2, rel_tol=1e-15)
    np.testing.assert_allclose(cross_entropy_backward(1.0, logits, [0], label_smoothing=1.0), [[-0.25, 0.25]], rtol=1e-15)
    # soft target (1, 1) (rows need not sum to 1) with eps = 0.5: t = (0.75, 0.75), sum 1.5;
    # gradient p * 1.5 - t = (3/8 - 3/4, 9/8 - 3/4) = (-3/8, 3/8)
    np.testing.assert_allclose(
        cross_entropy_backward(1.0, logits, [[1.0, 1.0]], label_smoothing=0.5), [[-0.375, 0.375]], rtol=1e-15
    )


def test_binary_cross_entropy_hand_values() -> None:
    # -(ln 0.5 + ln 0.5)/2 = ln 2 ; p = 0.75, y = 1 -> -ln 0.75
    assert math.isclose(binary_cross_entropy([0.5, 0.5], [1.0, 0.0]), math.log(2), rel_tol=1e-15)
    assert math.isclose(binary_cross_entropy([0.75], [1.0]), -math.log(0.75), rel_tol=1e-15)
    # the clamp: log 0 counts as -100, so a confident wrong answer costs 100 per element
    assert binary_cross_entropy([0.0, 1.0], [1.0, 0.0]) == 100.0
    # (p - y) / (p (1 - p)) / n at p = 0.75, y = 1: (-0.25) / (0.1875) = -4/3
    np.testing.assert_allclose(binary_cross_entropy_backward(1.0, [0.75], [1.0]), [-4 / 3], rtol=1e-15)
    # logits: z = ln 3 is p = 3/4, so the loss is -ln 3/4 again; gradient sigma(z) - y = -1/4
    assert math.isclose(binary_cross_entropy_with_logits([math.log(3)], [1.0]), -math.log(0.75), rel_tol=1e-15)
    np.testing.assert_allclose(binary_cross_entropy_with_logits_backward(1.0, [math.log(3)], [1.0]), [-0.25], rtol=1e-15)


# ---------------------------------------------------------------- properties
@st.composite
def logits_and_targets(draw, elements=finite):
    n, c = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    logits = draw(arrays(np.float64, (n, c), elements=elements))
    target = draw(arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    return logits, target


@given(logits_and_targets())
def test_cross_entropy_is_non_negative_and_finite(data) -> None:
    logits, target = data
    loss = cross_entropy(logits, target)
    assert np.isfinite(loss) and loss >= 0


@given(logits_and_targets(elements=st.floats(-20, 20)))
def test_one_hot_probabilities_equal_indices(data) -> None:
    logits, target = data
    one_hot = np.eye(logits.shape[1])[target]
    np.testing.assert_allclose(cross_entropy(logits, one_hot), cross_entropy(logits, target), rtol=1e-12)
    np.testing.assert_allclose(
        cross_entropy_backward(1.0, logits, one_hot), cross_entropy_backward(1.0, logits, target), atol=1e-15
    )


@given(logits_and_targets(elements=st.floats(-20, 20)), st.floats(0, 1))
def test_smoothed_indices_equal_smoothed_one_hot(data, eps) -> None:
    # torch's definition: an index target with smoothing is the one-hot row mixed with uniform
    logits, target = data
    c = logits.shape[1]
    smoothed = (1 - eps) * np.eye(c)[target] + eps / c
    np.testing.assert_allclose(
        cross_entropy(logits, target, label_smoothing=eps), cross_entropy(logits, smoothed), rtol=1e-12, atol=1e-14
    )
    np.testing.assert_allclose(
        cross_entropy(logits, np.eye(c)[target], label_smoothing=eps), cross_entropy(logits, smoothed),
        rtol=1e-12, atol=1e-14,
    )
    np.testing.assert_allclose(
        cross_entropy_backward(1.0, logits, target, label_smoothing=eps),
        cross_entropy_backward(1.0, logits, smoothed), atol=1e-15,
    )


@given(logits_and_targets(elements=st.floats(-20, 20)), st.floats(0, 1))
def test_gradient_rows_sum_to_zero(data, eps) -> None:
    # softmax(z) - t sums to 1 - 1 = 0 in each row, smoothed or not
    logits, target = data
    grad = cross_entropy_backward(1.0, logits, target, label_smoothing=eps)
    np.testing.assert_allclose(grad.sum(axis=1), 0.0, atol=1e-15)


@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-10, 10)), st.data())
def test_with_logits_equals_bce_of_sigmoid(z: np.ndarray, data) -> None:
    # |z| <= 10 keeps 1 - sigmoid(z) >= 4.5e-5, so forming the probability first loses at most
    # ~1e-16 / 4.5e-5 in relative terms; beyond that the probability route is the inaccurate one
    y = data.draw(arrays(np.float64, z.shape, elements=st.floats(0, 1)))
    np.testing.assert_allclose(
        binary_cross_entropy_with_logits(z, y), binary_cross_entropy(sigmoid(z), y), rtol=1e-9, atol=1e-12
    )


@pytest.mark.parametrize("dtype", DTYPES)
@given(x=arrays(np.float64, st.integers(1, 20), elements=finite), data=st.data())
def test_stable_up_to_1e4(dtype, x: np.ndarray, data) -> None:
    y = data.draw(arrays(np.float64, x.shape, elements=st.floats(0, 1))).astype(dtype)
    x = x.astype(dtype)
    p = sigmoid(x)
    values = [
        binary_cross_entropy_with_logits(x, y),
        binary_cross_entropy_with_logits_backward(1.0, x, y),
        binary_cross_entropy(p, y),
        binary_cross_entropy_backward(1.0, p, y),
        cross_entropy(x[None, :], [0]),
        cross_entropy_backward(1.0, x[None, :], [0]),
        cross_entropy(x[None, :], [0], label_smoothing=0.1),
        cross_entropy_backward(1.0, x[None, :], [0], label_smoothing=0.1),
    ]
    for v in values:
        assert v.dtype == dtype and np.all(np.isfinite(v))


def test_nan_in_nan_out() -> None:
    assert np.isnan(cross_entropy([[np.nan, 0.0]], [1]))
    assert np.isnan(binary_cross_entropy([np.nan], [1.0]))
    assert np.isnan(binary_cross_entropy_with_logits([np.nan], [1.0]))


def test_minus_inf_logit_of_another_class_is_a_zero_probability() -> None:
    # logits [0, -inf, 1], class 0: p = 1 / (1 + e), so the loss is log(1 + e) (PyTorch: 1.3133)
    assert cross_entropy([[0.0, -np.inf, 1.0]], [0]) == pytest.approx(np.log1p(np.e), rel=1e-15)
    # with smoothing, ε / C of the target sits on a class of probability 0: the loss is +inf, as in PyTorch
    assert cross_entropy([[0.0, -np.inf, 1.0]], [0], label_smoothing=0.1) == np.inf


# ---------------------------------------------------------------- bad input
def test_cross_entropy_rejects_bad_shapes_and_classes() -> None:
    with pytest.raises(ValueError, match=r"logits must be a non-empty 2-D array \(N, C\), got shape \(3,\)"):
        cross_entropy(np.zeros(3), [0])
    with pytest.raises(ValueError, match=r"logits must be a non-empty 2-D array \(N, C\), got shape \(0, 3\)"):
        cross_entropy(np.zeros((0, 3)), np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match=r"target of class indices must have shape \(2,\).*\(2, 3\).*\(3,\)"):
        cross_entropy(np.zeros((2, 3)), [0, 1, 2])
    with pytest.raises(ValueError, match=r"target contains class index 3, outside the valid range \[0, 2\]"):
        cross_entropy(np.zeros((2, 3)), [0, 3])
    with pytest.raises(ValueError, match=r"class index -1"):
        cross_entropy(np.zeros((2, 3)), [-1, 0])
    with pytest.raises(TypeError, match="integer dtype, got float64"):
        cross_entropy(np.zeros((2, 3)), [0.0, 1.0])
    with pytest.raises(ValueError, match=r"target must have the same shape as logits.*\(2, 3\).*\(2, 2\)"):
        cross_entropy(np.zeros((2, 3)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"target must be class indices \(N,\) or class probabilities"):
        cross_entropy(np.zeros((2, 3)), np.zeros((2, 3, 1)))
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(\)"):
        cross_entropy_backward(np.ones(2), np.zeros((2, 3)), [0, 1])


@pytest.mark.parametrize("fn", [cross_entropy, lambda z, t, **kw: cross_entropy_backward(1.0, z, t, **kw)])
def test_cross_entropy_rejects_bad_label_smoothing(fn) -> None:
    for bad in (-0.1, 1.5, np.nan):
        with pytest.raises(ValueError, match=r"label_smoothing must be a finite number in \[0, 1\], got"):
            fn(np.zeros((2, 3)), [0, 1], label_smoothing=bad)
    for bad in ("0.1", None, [0.1]):
        with pytest.raises(TypeError, match="label_smoothing must be a real number"):
            fn(np.zeros((2, 3)), [0, 1], label_smoothing=bad)


@pytest.mark.parametrize("fn", [binary_cross_entropy, binary_cross_entropy_with_logits])
def test_binary_losses_reject_mismatched_shapes(fn) -> None:
    with pytest.raises(ValueError, match=r"y must have the same shape as (p|z).*\(3,\).*\(3, 1\)"):
        fn(np.full(3, 0.5), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="must not be empty"):
        fn(np.zeros(0), np.zeros(0))
    with pytest.raises(TypeError, match="must be real-valued"):
        fn(np.array([0.5j]), np.zeros(1))


def test_binary_cross_entropy_rejects_non_probabilities() -> None:
    with pytest.raises(ValueError, match=r"p must hold probabilities in \[0, 1\], found 1.5"):
        binary_cross_entropy([0.5, 1.5], [1.0, 0.0])
    with pytest.raises(ValueError, match=r"p must hold probabilities in \[0, 1\], found 1.5"):
        binary_cross_entropy_backward(1.0, [0.5, 1.5], [1.0, 0.0])


@pytest.mark.parametrize("bad", [2.0, -0.5, np.inf, -np.inf])
def test_binary_losses_reject_targets_outside_0_1(bad) -> None:
    # a target of 2 made the loss negative: -(2 log 0.5 - log 0.5) = log 0.5 < 0. PyTorch's
    # binary_cross_entropy raises too ("all elements of target should be between 0 and 1")
    torch = require("torch")
    with pytest.raises(RuntimeError, match="target should be between 0 and 1"):
        torch.nn.functional.binary_cross_entropy(torch.tensor([0.5, 0.5]), torch.tensor([1.0, bad]))
    match = rf"y must hold probabilities in \[0, 1\], found {bad}"
    for fn in (binary_cross_entropy, binary_cross_entropy_with_logits):
        with pytest.raises(ValueError, match=match):
            fn([0.5, 0.5], [1.0, bad])
    for fn in (binary_cross_entropy_backward, binary_cross_entropy_with_logits_backward):
        with pytest.raises(ValueError, match=match):
            fn(1.0, [0.5, 0.5], [1.0, bad])
    # NaN is not refused: NaN in, NaN out
    assert np.isnan(binary_cross_entropy([0.5], [np.nan]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_with_logits_takes_its_limits_at_infinite_logits(dtype) -> None:
    # loss(z, y) = (1 - y) max(z, 0) + y max(-z, 0) + log(1 + e^-|z|) -> as z -> +inf it tends to
    # 0 for y = 1 and to inf for y < 1; as z -> -inf to 0 for y = 0 and to inf for y > 0.
    # (It used to be NaN: inf - inf. PyTorch gives NaN too.) The gradient s(z) - y is finite.
    inf = np.inf
    z = np.array([inf, -inf, inf, -inf, inf, 3.0], dtype=dtype)
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.5, 1.0], dtype=dtype)
    each = [binary_cross_entropy_with_logits(z[i : i + 1], y[i : i + 1]) for i in range(z.size)]
    assert [float(v) for v in each[:5]] == [0.0, 0.0, inf, inf, inf]
    # a mean over finite and limit terms: (0 + 0 + log(1 + e^-3)) / 3, and inf as soon as one is inf
    both = binary_cross_entropy_with_logits(z[[0, 1, 5]], y[[0, 1, 5]])
    assert both.dtype == dtype
    assert_matches(both, np.log1p(np.exp(-3.0)) / 3, dtype)
    assert binary_cross_entropy_with_logits(z, y) == inf
    np.testing.assert_array_equal(binary_cross_entropy_with_logits_backward(1.0, z[:2], y[:2]), [0.0, 0.0])


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("soft", [False, True], ids=["indices", "probabilities"])
@pytest.mark.parametrize("eps", [0.0, 0.1, 1.0])
def test_cross_entropy_matches_torch(dtype, soft, eps) -> None:
    torch = require("torch")
    rng = np.random.default_rng(2)
    logits = (rng.normal(size=(16, len(EXTREMES))) * rng.choice([1, 10, 1000], size=(16, 1))).astype(dtype)
    logits[0], logits[1], logits[2, 5] = EXTREMES, EXTREMES[::-1], 1e4
    if soft:
        t = rng.random(logits.shape) ** 4
        target = (t / t.sum(axis=1, keepdims=True)).astype(dtype)
    else:
        target = rng.integers(0, logits.shape[1], size=16)
    ref_loss, (ref_grad,) = torch_forward_backward(
        lambda z, t: torch.nn.functional.cross_entropy(z, t, label_smoothing=eps), [logits, target],
        np.array(1.5), wrt=[0],
    )
    # the loss is a mean of terms as large as max|logit|; rounding is relative to that size
    scale = float(np.max(np.abs(logits)))
    assert_matches(cross_entropy(logits, target, label_smoothing=eps), ref_loss, dtype, scale=scale)
    assert_matches(cross_entropy_backward(1.5, logits, target, label_smoothing=eps), ref_grad, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy_matches_torch(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(3)
    p = np.concatenate([rng.random(200), [0.0, 1.0, 1e-30, 1 - 1e-7, 1e-45, 0.5]]).astype(dtype)
    y = np.concatenate([rng.random(200), [0.0, 1.0, 1.0, 0.0, 1.0, 0.3]]).astype(dtype)
    ref_loss, (ref_grad,) = torch_forward_backward(
        torch.nn.functional.binary_cross_entropy, [p, y], np.array(0.5), wrt=[0]
    )
    assert_matches(binary_cross_entropy(p, y), ref_loss, dtype, scale=100.0)
    ours = binary_cross_entropy_backward(0.5, p, y)
    floored = p * (1 - p) < 1e-12
    assert floored.sum() == 4  # p = 0, 1, 1e-30 and 1e-45 hit the 1e-12 floor of the denominator
    assert_matches(ours[~floored], ref_grad[~floored], dtype)
    # PyTorch keeps that floor as a float32 constant (1e-12 rounds to 9.99999996e-13), so in
    # float64 the floored gradients differ by that constant's rounding, 4e-9 relative
    np.testing.assert_allclose(ours[floored], ref_grad[floored], rtol=1e-8)


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy_with_logits_matches_torch(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(4)
    z = np.concatenate([rng.normal(size=200) * 20, EXTREMES]).astype(dtype)
    y = rng.random(z.shape).astype(dtype)
    ref_loss, (ref_grad,) = torch_forward_backward(
        torch.nn.functional.binary_cross_entropy_with_logits, [z, y], np.array(2.0), wrt=[0]
    )
    assert_matches(binary_cross_entropy_with_logits(z, y), ref_loss, dtype, scale=float(np.max(np.abs(z))))
    assert_matches(binary_cross_entropy_with_logits_backward(2.0, z, y), ref_grad, dtype)
