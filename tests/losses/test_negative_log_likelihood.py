"""nll_loss and its backward: hand values, properties, stability, bad input, PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import cross_entropy, cross_entropy_backward, log_softmax, log_softmax_backward, nll_loss, nll_loss_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)


# ---------------------------------------------------------------- hand-checked values
def test_hand_values() -> None:
    # rows log(1/2, 1/2) and log(3/4, 1/4), targets 0 and 1: -(ln 1/2 + ln 1/4) / 2 = (3/2) ln 2
    log_probs = np.log([[0.5, 0.5], [0.75, 0.25]])
    assert math.isclose(nll_loss(log_probs, [0, 1]), 1.5 * math.log(2), rel_tol=1e-15)
    # exact binary fractions: picks -1 and -3 -> (1 + 3) / 2 = 2; the other entries never matter
    assert nll_loss([[-1.0, 5.0], [7.0, -3.0]], [0, 1]) == 2.0
    # gradient: -1/N at the picked entries, 0 elsewhere; with grad_out = 3, N = 2: -1.5
    np.testing.assert_array_equal(nll_loss_backward(3.0, np.zeros((2, 3)), [1, 1]), [[0, -1.5, 0], [0, -1.5, 0]])


# ---------------------------------------------------------------- properties
@st.composite
def inputs_and_targets(draw, elements=finite):
    n, c = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    x = draw(arrays(np.float64, (n, c), elements=elements))
    target = draw(arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    return x, target


@given(inputs_and_targets())
def test_cross_entropy_is_nll_of_log_softmax(data) -> None:
    # the same picked numbers, negated and averaged the same way: equal bit for bit
    logits, target = data
    assert nll_loss(log_softmax(logits, axis=1), target) == cross_entropy(logits, target)


@given(inputs_and_targets(elements=st.floats(-20, 20)))
def test_chain_rule_gives_cross_entropy_backward(data) -> None:
    logits, target = data
    chained = log_softmax_backward(nll_loss_backward(1.0, log_softmax(logits, axis=1), target), logits, axis=1)
    np.testing.assert_allclose(chained, cross_entropy_backward(1.0, logits, target), atol=1e-15)


@given(inputs_and_targets())
def test_gradient_has_one_entry_per_row(data) -> None:
    x, target = data
    grad = nll_loss_backward(1.0, x, target)
    assert np.count_nonzero(grad) == target.size
    np.testing.assert_array_equal(grad.sum(axis=1), np.full(target.size, -1.0 / target.size))


@given(inputs_and_targets(elements=st.floats(-50, 0)))
def test_non_negative_for_log_probabilities(data) -> None:
    # entries <= 0 (log-probabilities) give a loss >= 0
    assert nll_loss(*data) >= 0


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=inputs_and_targets())
def test_dtype_and_finite(dtype, data) -> None:
    x, target = data
    x = x.astype(dtype)
    for v in (nll_loss(x, target), nll_loss_backward(1.0, x, target)):
        assert v.dtype == dtype and np.all(np.isfinite(v))


def test_nan_in_nan_out() -> None:
    assert np.isnan(nll_loss([[np.nan, 0.0]], [0]))
    # like torch, an entry that is not picked never reaches the loss
    assert nll_loss([[np.nan, -1.0]], [1]) == 1.0


def test_inputs_are_not_modified() -> None:
    x, t = np.log([[0.5, 0.5]]), np.array([1])
    x.setflags(write=False)
    t.setflags(write=False)
    nll_loss(x, t)
    nll_loss_backward(1.0, x, t)


# ---------------------------------------------------------------- bad input
def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match=r"log_probs must be a non-empty 2-D array \(N, C\), got shape \(3,\)"):
        nll_loss(np.zeros(3), [0])
    with pytest.raises(ValueError, match=r"log_probs must be a non-empty 2-D array \(N, C\), got shape \(2, 0\)"):
        nll_loss(np.zeros((2, 0)), [0, 0])
    with pytest.raises(ValueError, match=r"target must hold one class index per row, shape \(2,\) for log_probs \(2, 3\), got shape \(3,\)"):
        nll_loss(np.zeros((2, 3)), [0, 1, 2])
    with pytest.raises(ValueError, match=r"got shape \(2, 3\)"):
        nll_loss(np.zeros((2, 3)), np.zeros((2, 3), dtype=int))
    with pytest.raises(ValueError, match=r"target contains class index 3, outside the valid range \[0, 2\]"):
        nll_loss(np.zeros((2, 3)), [0, 3])
    with pytest.raises(TypeError, match="integer dtype, got float64"):
        nll_loss(np.zeros((2, 3)), [0.0, 1.0])
    with pytest.raises(TypeError, match="log_probs must be real-valued"):
        nll_loss(np.zeros((2, 3), dtype=complex), [0, 1])
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(\)"):
        nll_loss_backward(np.ones(2), np.zeros((2, 3)), [0, 1])


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(5)
    logits = (rng.normal(size=(40, len(EXTREMES))) * rng.choice([1, 10, 1000], size=(40, 1))).astype(dtype)
    logits[0], logits[1] = EXTREMES, EXTREMES[::-1]
    log_probs = log_softmax(logits, axis=1)  # realistic inputs, down to about -2e4
    log_probs[2] = EXTREMES  # and arbitrary reals: nll_loss does not care
    target = rng.integers(0, logits.shape[1], size=40)
    target[:2] = [0, 14]  # pick the extremes -1e4 and 1e4
    ref_loss, (ref_grad,) = torch_forward_backward(
        torch.nn.functional.nll_loss, [log_probs, target], np.array(0.7), wrt=[0]
    )
    # a mean of numbers as large as max|log_probs|: its rounding is relative to that size
    assert_matches(nll_loss(log_probs, target), ref_loss, dtype, scale=float(np.max(np.abs(log_probs))))
    assert_matches(nll_loss_backward(0.7, log_probs, target), ref_grad, dtype)
