"""ctc_loss and its backward."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import ctc_loss, ctc_loss_backward, log_softmax
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward


def collapse(path, blank=0):
    """CTC's many-to-one map: merge repeated labels, then drop blanks."""
    return tuple(k for k, _ in itertools.groupby(path) if k != blank)


def brute_force_nll(lp: np.ndarray, target, blank=0) -> float:
    """-log of the sum, over all C^T frame-by-frame paths that collapse to ``target``, of the
    product of their probabilities (lp: (T, C) for one sequence)."""
    t_len, c = lp.shape
    total = 0.0
    for path in itertools.product(range(c), repeat=t_len):
        if collapse(path, blank) == tuple(target):
            total += math.exp(sum(lp[t, k] for t, k in enumerate(path)))
    return -math.log(total) if total > 0 else math.inf


# ---------------------------------------------------------------- hand-checked values
def test_hand_values() -> None:
    # uniform over (blank, a) for 2 frames: "a" comes from aa, -a, a-: p = 3/4
    lp = np.log(np.full((2, 1, 2), 0.5))
    assert math.isclose(ctc_loss(lp, [[1]], [2], [1]), -math.log(0.75), rel_tol=1e-15)
    # the empty target: only the all-blank path, p = 1/4
    assert math.isclose(ctc_loss(lp, [[1]], [2], [0]), math.log(4), rel_tol=1e-15)
    # "aa" needs a blank between the two a's: 3 frames at least; in 2 frames it is impossible
    assert ctc_loss(lp, [[1, 1]], [2], [2]) == np.inf
    assert ctc_loss(lp, [[1, 1]], [2], [2], zero_infinity=True) == 0.0
    # 3 frames, uniform over 2 classes: "aa" only as a-a: p = 1/8
    lp3 = np.log(np.full((3, 1, 2), 0.5))
    assert math.isclose(ctc_loss(lp3, [[1, 1]], [3], [2], reduction="sum"), math.log(8), rel_tol=1e-15)
    # mean divides by the target length 2 first
    assert math.isclose(ctc_loss(lp3, [[1, 1]], [3], [2]), math.log(8) / 2, rel_tol=1e-15)
    # gradient: the one path a-a occupies (a, blank, a) with certainty -> -1 there
    expected = np.array([[[0.0, -1.0]], [[-1.0, 0.0]], [[0.0, -1.0]]])
    np.testing.assert_array_equal(ctc_loss_backward(np.ones(1), lp3, [[1, 1]], [3], [2], reduction="none"), expected)


def test_input_lengths_cut_the_sequences() -> None:
    # frames beyond input_lengths are ignored: values there change nothing, and get gradient 0
    rng = np.random.default_rng(0)
    lp = log_softmax(rng.normal(size=(5, 2, 3)), axis=2)
    other = lp.copy()
    other[3:, 0] = -50.0  # sequence 0 uses 3 frames
    args = ([[1, 2], [2, 2]], [3, 5], [2, 2])
    np.testing.assert_array_equal(ctc_loss(lp, *args, reduction="none"), ctc_loss(other, *args, reduction="none"))
    assert np.all(ctc_loss_backward(np.ones(2), lp, *args, reduction="none")[3:, 0] == 0)


@pytest.mark.parametrize("seed", range(4))
def test_matches_brute_force_sum_over_alignments(seed) -> None:
    rng = np.random.default_rng(seed)
    t_len, c = 5, 3
    lp = log_softmax(rng.normal(size=(t_len, 4, c)), axis=2)
    targets = np.array([[1, 2, 1], [2, 2, 0], [1, 0, 0], [1, 1, 2]])  # includes a repeat
    target_lengths = np.array([3, 2, 1, 3])
    blank = 0
    losses = ctc_loss(lp, targets, [5, 5, 4, 5], target_lengths, blank=blank, reduction="none")
    for n, (length, frames) in enumerate(zip(target_lengths, [5, 5, 4, 5])):
        expected = brute_force_nll(lp[:frames, n], targets[n, :length], blank)
        assert math.isclose(losses[n], expected, rel_tol=1e-12)


def test_another_blank_index() -> None:
    # the same problem with classes relabelled so that the blank is the last index
    rng = np.random.default_rng(1)
    lp = log_softmax(rng.normal(size=(4, 1, 3)), axis=2)
    moved = lp[:, :, [1, 2, 0]]  # old class k is now k - 1, old blank 0 is now 2
    assert math.isclose(ctc_loss(moved, [[0, 1]], [4], [2], blank=2), ctc_loss(lp, [[1, 2]], [4], [2]), rel_tol=1e-14)


# ---------------------------------------------------------------- properties
@st.composite
def ctc_problems(draw, scale=st.floats(0.1, 10)):
    t_len, n, c = draw(st.integers(1, 6)), draw(st.integers(1, 3)), draw(st.integers(2, 4))
    s = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    lp = log_softmax(rng.normal(size=(t_len, n, c)) * draw(scale), axis=2)
    targets = rng.integers(1, c, size=(n, s))
    return lp, targets, rng.integers(1, t_len + 1, size=n), rng.integers(0, s + 1, size=n)


@settings(max_examples=50)
@given(ctc_problems())
def test_loss_non_negative_and_occupancies_sum_to_one(problem) -> None:
    lp, targets, in_len, tg_len = problem
    losses = ctc_loss(lp, targets, in_len, tg_len, reduction="none")
    assert np.all(losses >= -1e-12)  # p <= 1: the alignments are disjoint events
    grad = ctc_loss_backward(np.ones(len(in_len)), lp, targets, in_len, tg_len, reduction="none")
    frames = np.arange(lp.shape[0])[:, None] < in_len[None, :]
    feasible = np.isfinite(losses)[None, :] & frames
    # at each frame a path emits exactly one label: the posterior occupancies sum to 1
    np.testing.assert_allclose(grad.sum(axis=2)[feasible], -1.0, rtol=1e-9)
    np.testing.assert_array_equal(grad[~frames], 0.0)


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=25)
@given(problem=ctc_problems(scale=st.sampled_from([1.0, 100.0, 1e4])))
def test_stable_up_to_1e4(dtype, problem) -> None:
    # logits up to 1e4 give log-probabilities down to -2e4; no warning, nothing NaN
    lp, targets, in_len, tg_len = problem
    lp = lp.astype(dtype)
    loss = ctc_loss(lp, targets, in_len, tg_len, zero_infinity=True)
    grad = ctc_loss_backward(1.0, lp, targets, in_len, tg_len, zero_infinity=True)
    assert loss.dtype == dtype and grad.dtype == dtype
    assert np.isfinite(loss) and np.all(np.isfinite(grad))


def test_nan_in_nan_out() -> None:
    lp = np.log(np.full((2, 1, 2), 0.5))
    lp[0, 0, 1] = np.nan
    assert np.isnan(ctc_loss(lp, [[1]], [2], [1]))
    assert np.isnan(ctc_loss_backward(1.0, lp, [[1]], [2], [1])).any()


def test_impossible_target_has_nan_gradient_unless_zeroed() -> None:
    lp = np.log(np.full((2, 1, 2), 0.5))
    assert np.isnan(ctc_loss_backward(1.0, lp, [[1, 1]], [2], [2])).all()
    np.testing.assert_array_equal(ctc_loss_backward(1.0, lp, [[1, 1]], [2], [2], zero_infinity=True), 0.0)


# ---------------------------------------------------------------- bad input
def test_rejects_bad_input() -> None:
    lp = np.zeros((4, 2, 3))
    ok = dict(targets=[[1, 2], [2, 1]], input_lengths=[4, 3], target_lengths=[2, 1])
    with pytest.raises(ValueError, match=r"log_probs must be a non-empty 3-D array \(T, N, C\), got shape \(4, 3\)"):
        ctc_loss(np.zeros((4, 3)), **ok)
    with pytest.raises(ValueError, match=r"targets must be padded label sequences \(N, S\) = \(2, S\)"):
        ctc_loss(lp, [1, 2, 2], [4, 3], [2, 1])
    with pytest.raises(ValueError, match="targets contains class index 3"):
        ctc_loss(lp, [[1, 3], [2, 1]], [4, 3], [2, 1])
    with pytest.raises(ValueError, match="targets must not contain the blank label 0"):
        ctc_loss(lp, [[1, 0], [2, 1]], [4, 3], [2, 1])
    ctc_loss(lp, [[1, 0], [2, 1]], [4, 3], [1, 1])  # a blank in the padding is fine
    with pytest.raises(ValueError, match=r"input_lengths must lie in \[1, 4\], found 5"):
        ctc_loss(lp, ok["targets"], [5, 3], [2, 1])
    with pytest.raises(ValueError, match=r"target_lengths must lie in \[0, 2\], found 3"):
        ctc_loss(lp, ok["targets"], [4, 3], [3, 1])
    with pytest.raises(ValueError, match=r"input_lengths must be 2 integers \(one per sequence\), got float64"):
        ctc_loss(lp, ok["targets"], [4.0, 3.0], [2, 1])
    with pytest.raises(ValueError, match=r"blank must be an integer in \[0, 2\], got 3"):
        ctc_loss(lp, **ok, blank=3)
    with pytest.raises(TypeError, match="zero_infinity must be a bool"):
        ctc_loss(lp, **ok, zero_infinity=1)
    with pytest.raises(ValueError, match="reduction must be"):
        ctc_loss(lp, **ok, reduction="batchmean")
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2,\)"):
        ctc_loss_backward(1.0, lp, **ok, reduction="none")


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_matches_torch(dtype, reduction, zero_infinity) -> None:
    torch = require("torch")
    rng = np.random.default_rng(9)
    t_len, n, c, s = 12, 5, 6, 4
    logits = rng.normal(size=(t_len, n, c)) * rng.choice([0.5, 3, 30], size=(1, n, 1))
    logits[:, 0, :] = rng.choice(EXTREMES, size=(t_len, c))  # log-probabilities down to -2e4
    logits = logits.astype(dtype)
    targets = rng.integers(1, c, size=(n, s))
    targets[1] = [2, 2, 2, 2]  # repeats need blanks between them: 7 frames at least
    in_len = np.array([12, 11, 9, 12, 3])
    tg_len = np.array([4, 4, 3, 0, 4])  # the last is impossible: 4 labels in 3 frames -> inf
    g = rng.normal(size=n) if reduction == "none" else np.array(0.8)

    def f(z, tg, il, tl):
        return torch.nn.functional.ctc_loss(torch.log_softmax(z, dim=2), tg, il, tl, blank=0,
                                            reduction=reduction, zero_infinity=zero_infinity)

    ref, (ref_dz,) = torch_forward_backward(f, [logits, targets, in_len, tg_len], g, wrt=[0])
    lp = log_softmax(logits, axis=2)
    kw = dict(reduction=reduction, zero_infinity=zero_infinity)
    ours = ctc_loss(lp, targets, in_len, tg_len, **kw)
    # the loss is a log-sum-exp recursion over T frames of log-probabilities as large as 2e4
    # in magnitude: each step rounds to a few ulps of the running sum
    scale = float(np.max(np.abs(lp[np.isfinite(lp)])))
    assert_matches(ours, ref, dtype, ulps=4 * t_len, scale=scale)
    # the gradient through the log-softmax (which cancels PyTorch's extra exp(log_probs) term):
    # dz = dlp - softmax * sum_c dlp
    dlp = ctc_loss_backward(g, lp, targets, in_len, tg_len, **kw)
    with np.errstate(invalid="ignore"):  # the impossible sequence's NaN rows, when not zeroed
        dz = dlp - np.exp(lp) * dlp.sum(axis=2, keepdims=True)
    # occupancies are exp(alpha + beta - lp + nll): the exponent is a sum of log-probabilities
    # as large as the sequence's largest |lp| (2e4 for sequence 0), rounded over T steps, so its
    # absolute error, which is the occupancy's relative error, is ~T ulps of that size
    g_n = np.broadcast_to(np.abs(g), (n,)) / (n * np.maximum(tg_len, 1) if reduction == "mean" else 1)
    for i in range(n):
        size = float(np.max(np.abs(lp[:, i][np.isfinite(lp[:, i])]))) * g_n[i]
        assert_matches(dz[:, i], ref_dz[:, i], dtype, ulps=4 * t_len, scale=size)


@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_gradient_convention(dtype) -> None:
    # PyTorch's gradient with respect to log_probs is ours plus g_n * exp(log_probs) on the used
    # frames: the gradient with respect to the logits of a log-softmax, not to log_probs
    torch = require("torch")
    rng = np.random.default_rng(10)
    lp = log_softmax(rng.normal(size=(6, 3, 4)), axis=2).astype(dtype)
    targets, in_len, tg_len = rng.integers(1, 4, size=(3, 2)), np.array([6, 5, 4]), np.array([2, 1, 2])
    g = rng.normal(size=3)
    _, (ref,) = torch_forward_backward(
        lambda *a: torch.nn.functional.ctc_loss(*a, reduction="none"), [lp, targets, in_len, tg_len], g, wrt=[0])
    used = (np.arange(6)[:, None] < in_len)[:, :, None]
    expected = ctc_loss_backward(g, lp, targets, in_len, tg_len, reduction="none") + used * g[None, :, None] * np.exp(lp)
    assert_matches(expected.astype(dtype), ref, dtype, ulps=16)
