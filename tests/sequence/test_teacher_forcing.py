"""teacher_forcing_inputs / scheduled_sampling_inputs: hand values, properties, the share of
ground-truth tokens checked statistically, bad input, and a teacher-forced GRU decoder whose loss
equals torch.nn.GRU's on the target sequence shifted in torch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import cross_entropy, embedding, gru_cell, scheduled_sampling_inputs, teacher_forcing_inputs
from tests.reference import DTYPES, assert_matches, require


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_shift() -> None:
    # each row: <bos> = 1, then the targets without their last token
    np.testing.assert_array_equal(teacher_forcing_inputs([[4, 5, 2], [6, 2, 0]], 1), [[1, 4, 5], [1, 6, 2]])
    np.testing.assert_array_equal(teacher_forcing_inputs([7], 0), [0])             # T = 1: only <bos>
    assert teacher_forcing_inputs(np.zeros((3, 0), np.int64), 1).shape == (3, 0)    # T = 0: nothing
    out = teacher_forcing_inputs(np.array([[[3, 4]], [[5, 6]]], np.int32), 9)      # (2, 1, 2): time last
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, [[[9, 3]], [[9, 5]]])


def test_hand_checked_scheduled_sampling() -> None:
    y, yhat = np.array([[4, 5, 6, 2]]), np.array([[4, 8, 6, 3]])
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(scheduled_sampling_inputs(y, yhat, 1, 1.0, rng), [[1, 4, 5, 6]])
    np.testing.assert_array_equal(scheduled_sampling_inputs(y, yhat, 1, 0.0, rng), [[1, 4, 8, 6]])
    # any p: positions where target and prediction agree are certain (steps 1 and 3 here)
    out = scheduled_sampling_inputs(y, yhat, 1, 0.5, rng)
    assert out[0, 0] == 1 and out[0, 1] == 4 and out[0, 3] == 6 and out[0, 2] in (5, 8)
    # the same seed, the same coins
    a = scheduled_sampling_inputs(y, yhat, 1, 0.5, np.random.default_rng(3))
    np.testing.assert_array_equal(a, scheduled_sampling_inputs(y, yhat, 1, 0.5, np.random.default_rng(3)))


# ---------------------------------------------------------------- properties
token_arrays = arrays(np.int64, st.tuples(st.integers(1, 4), st.integers(1, 7)), elements=st.integers(0, 20))


@settings(max_examples=30, deadline=None)
@given(token_arrays, st.integers(0, 20))
def test_shift_properties(y: np.ndarray, bos: int) -> None:
    x = teacher_forcing_inputs(y, bos)
    assert x.shape == y.shape
    np.testing.assert_array_equal(x[:, 0], bos)
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])          # shifted by exactly one step
    np.testing.assert_array_equal(teacher_forcing_inputs(y[None], bos)[0], x)   # leading axes pass through


@settings(max_examples=30, deadline=None)
@given(token_arrays, token_arrays, st.floats(0, 1), st.integers(0, 2**32 - 1))
def test_every_input_is_the_truth_or_the_prediction(y: np.ndarray, yhat: np.ndarray, p: float, seed: int) -> None:
    if y.shape != yhat.shape:
        yhat = np.resize(yhat, y.shape)
    x = scheduled_sampling_inputs(y, yhat, 1, p, np.random.default_rng(seed))
    assert x.shape == y.shape and np.all(x[:, 0] == 1)
    assert np.all((x[:, 1:] == y[:, :-1]) | (x[:, 1:] == yhat[:, :-1]))
    np.testing.assert_array_equal(scheduled_sampling_inputs(y, y, 1, p, np.random.default_rng(seed)), teacher_forcing_inputs(y, 1))


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_share_of_ground_truth_is_p(p: float) -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 50, size=(200, 101))
    yhat = (y + 1) % 50                                      # never equal to the truth
    x = scheduled_sampling_inputs(y, yhat, 99, p, rng)
    truth = (x[:, 1:] == y[:, :-1]).mean()
    n = 200 * 100
    # a binomial proportion: within 5 standard errors of p
    assert abs(truth - p) < 5 * math.sqrt(p * (1 - p) / n)
    # the coins are per token, not per sequence: rows mix both sources
    per_row = (x[:, 1:] == y[:, :-1]).mean(axis=1)
    assert np.all((per_row > 0) & (per_row < 1))


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(TypeError, match="targets holding token ids must have an integer dtype, got float64"):
        teacher_forcing_inputs([1.0, 2.0], 0)
    with pytest.raises(ValueError, match=r"targets must have a time axis: shape \(\*, T\), got shape \(\)"):
        teacher_forcing_inputs(3, 0)
    with pytest.raises(ValueError, match="bos_id must be an integer >= 0, got -1"):
        teacher_forcing_inputs([1, 2], -1)
    with pytest.raises(TypeError, match="bos_id must be an integer, got float"):
        teacher_forcing_inputs([1, 2], 1.0)
    with pytest.raises(ValueError, match=r"predictions must have the same shape as targets: targets has shape \(1, 3\), predictions has shape \(1, 2\)"):
        scheduled_sampling_inputs([[1, 2, 3]], [[1, 2]], 0, 0.5)
    with pytest.raises(ValueError, match=r"p must be a finite number in \[0, 1\], got 1.5"):
        scheduled_sampling_inputs([[1, 2]], [[1, 2]], 0, 1.5)
    with pytest.raises(TypeError, match="predictions holding token ids must have an integer dtype"):
        scheduled_sampling_inputs([[1, 2]], [[0.3, 0.7]], 0, 0.5)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        scheduled_sampling_inputs([[1, 2]], [[1, 2]], 0, 0.5, rng=42)


# ---------------------------------------------------------------- PyTorch: a teacher-forced GRU decoder
def decoder_loss(targets, bos, emb, w_ih, w_hh, b_ih, b_hh, w_out, b_out):
    """Mean cross-entropy of a GRU decoder fed teacher_forcing_inputs(targets)."""
    x = embedding(teacher_forcing_inputs(targets, bos), emb)          # (B, T, E)
    h = np.zeros((targets.shape[0], w_hh.shape[1]), emb.dtype)
    logits = []
    for t in range(targets.shape[1]):
        h = gru_cell(x[:, t], h, w_ih, w_hh, b_ih, b_hh)
        logits.append(h @ w_out.T + b_out)
    logits = np.stack(logits, axis=1)                                  # (B, T, V)
    return cross_entropy(logits.reshape(-1, w_out.shape[0]), targets.reshape(-1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_teacher_forced_loss_equals_torch_gru_on_the_shifted_targets(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(0)
    b, t, v, e, h = 3, 6, 9, 4, 5
    targets = rng.integers(3, v, size=(b, t))
    targets[:, -1] = 2                                                # <eos>
    params = [rng.normal(size=s).astype(dtype) for s in [(v, e), (3 * h, e), (3 * h, h), (3 * h,), (3 * h,), (v, h), (v,)]]
    ours = decoder_loss(targets, 1, *params)

    emb, w_ih, w_hh, b_ih, b_hh, w_out, b_out = (torch.tensor(a) for a in params)
    gru = torch.nn.GRU(e, h, batch_first=True).to(emb.dtype)
    with torch.no_grad():
        for name, value in [("weight_ih_l0", w_ih), ("weight_hh_l0", w_hh), ("bias_ih_l0", b_ih), ("bias_hh_l0", b_hh)]:
            getattr(gru, name).copy_(value)
        y = torch.tensor(targets)
        shifted = torch.cat([torch.full((b, 1), 1), y[:, :-1]], dim=1)    # the shift, done in torch
        out, _ = gru(torch.nn.functional.embedding(shifted, emb))
        logits = out @ w_out.T + b_out
        ref = torch.nn.functional.cross_entropy(logits.reshape(-1, v), y.reshape(-1)).numpy()
    # 6 recurrent steps of O(1) matrix products (length <= 5), sigmoid and tanh, then a log-softmax
    # over 9 logits: a few roundings per step and per reduction, relative to the loss's own size;
    # measured 0 ulps in float32 and 0.9 in float64, so 16 leaves room for another BLAS order
    assert_matches(ours, ref, dtype, ulps=16, scale=float(abs(ref)))
