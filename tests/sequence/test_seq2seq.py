"""seq2seq_forward, sequence_mask, masked_cross_entropy and its backward."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import (
    cross_entropy,
    gru_cell,
    masked_cross_entropy,
    masked_cross_entropy_backward,
    seq2seq_forward,
    sequence_mask,
)
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward


def make_params(rng, v_src=7, v_tgt=6, e=3, e_dec=4, h=5, scale=1.0, dtype=np.float64):
    def r(*s):
        return (rng.normal(size=s) * scale).astype(dtype)
    enc = {"embedding": r(v_src, e), "w_ih": r(3 * h, e), "w_hh": r(3 * h, h), "b_ih": r(3 * h), "b_hh": r(3 * h)}
    dec = {"embedding": r(v_tgt, e_dec), "w_ih": r(3 * h, e_dec + h), "w_hh": r(3 * h, h), "b_ih": r(3 * h),
           "b_hh": r(3 * h), "w_out": r(v_tgt, h), "b_out": r(v_tgt)}
    return enc, dec


def loop_forward(src, tgt_in, enc, dec):
    """The definition, one sequence and one step at a time, with gru_cell on batches of one."""
    out = []
    for s_row, t_row in zip(src, tgt_in):
        h = np.zeros((1, enc["w_hh"].shape[1]))
        for tok in s_row:
            h = gru_cell(enc["embedding"][tok][None], h, enc["w_ih"], enc["w_hh"], enc["b_ih"], enc["b_hh"])
        c, rows = h, []
        for tok in t_row:
            h = gru_cell(np.concatenate([dec["embedding"][tok], c[0]])[None], h,
                         dec["w_ih"], dec["w_hh"], dec["b_ih"], dec["b_hh"])
            rows.append(dec["w_out"] @ h[0] + dec["b_out"])
        out.append(rows)
    return np.array(out)


# ---------------------------------------------------------------- hand-checked values
def test_sequence_mask_by_hand() -> None:
    x = np.arange(12.0).reshape(2, 3, 2)       # a trailing feature axis is masked along with its step
    out = sequence_mask(x, [0, 2], value=-1)
    np.testing.assert_array_equal(out, [[[-1, -1], [-1, -1], [-1, -1]], [[6, 7], [8, 9], [-1, -1]]])
    np.testing.assert_array_equal(sequence_mask([[1.0, 2.0]], [2], value=-np.inf), [[1.0, 2.0]])
    assert sequence_mask([[1.0, 2.0]], [1], value=-np.inf)[0, 1] == -np.inf
    assert sequence_mask(np.ones((2, 2), np.float32), [1, 1]).dtype == np.float32


def test_masked_cross_entropy_by_hand() -> None:
    # sequence 0 has 2 valid tokens, sequence 1 has 1: three terms.
    # logits (0, 0) -> log 2; (ln 3, 0) with target 0 -> log(4/3); target 1 -> log 4
    z = np.zeros((2, 3, 2))
    z[0, 1, 0] = math.log(3)
    z[1, 0, 0] = math.log(3)
    y = np.array([[1, 0, 9], [1, 9, 9]])         # 9: padding, never checked
    expected = (math.log(2) + math.log(4 / 3) + math.log(4)) / 3
    assert math.isclose(masked_cross_entropy(z, y, [2, 1]), expected, rel_tol=1e-15)
    g = masked_cross_entropy_backward(1.0, z, y, [2, 1])
    np.testing.assert_allclose(g[0, 0], [0.5 / 3, -0.5 / 3], rtol=1e-15)
    np.testing.assert_allclose(g[0, 1], [(0.75 - 1) / 3, 0.25 / 3], rtol=1e-15)
    np.testing.assert_allclose(g[1, 0], [0.75 / 3, (0.25 - 1) / 3], rtol=1e-15)
    assert not g[0, 2].any() and not g[1, 1:].any()


def test_forward_with_zero_weights_by_hand() -> None:
    # every weight 0, b_out = (1, 2): GRU gates 1/2, candidate 0, states stay 0; logits = b_out
    rng = np.random.default_rng(0)
    enc, dec = make_params(rng, scale=0.0)
    dec["b_out"] = np.arange(1.0, 7.0)
    out = seq2seq_forward([[1, 2, 3]], [[0, 1]], enc, dec)
    np.testing.assert_array_equal(out, np.broadcast_to(np.arange(1.0, 7.0), (1, 2, 6)))


def test_context_reaches_every_decoder_step() -> None:
    # the context enters every step (initial state and concatenated input): another source
    # changes the logits at every step, not only the first
    rng = np.random.default_rng(1)
    enc, dec = make_params(rng)
    a = seq2seq_forward([[1, 2]], [[0, 0, 0]], enc, dec)
    b = seq2seq_forward([[3, 4]], [[0, 0, 0]], enc, dec)
    assert np.all(np.abs(a - b).max(axis=2) > 1e-6)


# ---------------------------------------------------------------- properties
@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 3), st.integers(0, 3), st.integers(0, 3))
def test_forward_matches_one_sequence_at_a_time(seed, n, s, t) -> None:
    rng = np.random.default_rng(seed)
    enc, dec = make_params(rng)
    src, tgt = rng.integers(0, 7, (n, s)), rng.integers(0, 6, (n, t))
    out = seq2seq_forward(src, tgt, enc, dec)
    assert out.shape == (n, t, 6)
    if t:
        np.testing.assert_allclose(out, loop_forward(src, tgt, enc, dec), rtol=1e-12, atol=1e-12)


@settings(max_examples=40)
@given(st.integers(0, 2**32 - 1))
def test_masked_loss_is_cross_entropy_of_the_valid_tokens(seed) -> None:
    rng = np.random.default_rng(seed)
    n, t, v = 3, 4, 5
    z, y = rng.normal(size=(n, t, v)) * 3, rng.integers(0, v, (n, t))
    lengths = rng.integers(0, t + 1, n)
    lengths[0] = max(lengths[0], 1)
    keep = np.arange(t) < lengths[:, None]
    assert math.isclose(masked_cross_entropy(z, y, lengths), cross_entropy(z[keep], y[keep]), rel_tol=1e-13)
    # changing anything at a padded position changes neither the loss nor the gradient
    z2, y2 = z.copy(), y.copy()
    z2[~keep] = rng.normal(size=((~keep).sum(), v)) * 100
    y2[~keep] = -100
    assert masked_cross_entropy(z2, y2, lengths) == masked_cross_entropy(z, y, lengths)
    np.testing.assert_array_equal(masked_cross_entropy_backward(1.0, z2, y2, lengths),
                                  masked_cross_entropy_backward(1.0, z, y, lengths))


# ---------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_up_to_1e4(dtype) -> None:
    rng = np.random.default_rng(2)
    enc, dec = make_params(rng, scale=1e3, dtype=dtype)          # every gate saturated
    enc = {k: np.clip(a, -1e4, 1e4) for k, a in enc.items()}
    dec = {k: np.clip(a, -1e4, 1e4) for k, a in dec.items()}
    out = seq2seq_forward(rng.integers(0, 7, (2, 4)), rng.integers(0, 6, (2, 3)), enc, dec)
    assert out.dtype == dtype and np.all(np.isfinite(out))
    z = rng.choice(EXTREMES, size=(3, 5, 4)).astype(dtype)
    y = rng.integers(0, 4, (3, 5))
    for a in [masked_cross_entropy(z, y, [5, 0, 3]), masked_cross_entropy_backward(1.0, z, y, [5, 0, 3])]:
        assert a.dtype == dtype and np.all(np.isfinite(a))


def test_nan_in_nan_out() -> None:
    z = np.zeros((1, 2, 3))
    z[0, 0, 0] = np.nan
    assert np.isnan(masked_cross_entropy(z, [[0, 0]], [1]))
    assert np.isnan(sequence_mask(z, [1])[0, 0, 0])


# ---------------------------------------------------------------- bad input
def test_rejects_bad_input() -> None:
    rng = np.random.default_rng(3)
    enc, dec = make_params(rng)
    with pytest.raises(ValueError, match=r"dec_params must be a dict with the keys .*, got \['b_hh', 'b_ih', 'embedding', 'w_hh', 'w_ih'\]"):
        seq2seq_forward([[0]], [[0]], enc, dict(enc))
    bad = {**dec, "w_ih": np.ones((15, 4))}
    with pytest.raises(ValueError, match=r"dec_params\['w_ih'\] must have shape \(3H, E_dec \+ H\) = \(3H, 9\)"):
        seq2seq_forward([[0]], [[0]], enc, bad)
    with pytest.raises(ValueError, match=r"src contains class index 7, outside the valid range \[0, 6\]"):
        seq2seq_forward([[7]], [[0]], enc, dec)
    with pytest.raises(ValueError, match=r"src \(N, S\) and tgt_in \(N, T\) must be 2-D with one batch size, got \(1, 1\) and \(2, 1\)"):
        seq2seq_forward([[0]], [[0], [1]], enc, dec)
    with pytest.raises(ValueError, match=r"valid_len contains class index 4, outside the valid range \[0, 3\]"):
        sequence_mask(np.ones((1, 3)), [4])
    with pytest.raises(ValueError, match=r"valid_len must have shape \(N,\) = \(2,\), got \(1,\)"):
        sequence_mask(np.ones((2, 3)), [1])
    with pytest.raises(ValueError, match="value must be a scalar"):
        sequence_mask(np.ones((1, 3)), [1], value=[0, 1])
    with pytest.raises(ValueError, match="valid_len must leave at least one token"):
        masked_cross_entropy(np.ones((2, 3, 4)), np.zeros((2, 3), int), [0, 0])
    with pytest.raises(ValueError, match=r"targets contains class index 4, outside the valid range \[0, 3\]"):
        masked_cross_entropy(np.ones((1, 3, 4)), [[0, 4, 9]], [2])
    with pytest.raises(ValueError, match=r"targets must have shape \(N, T\) = \(1, 3\) to match logits \(1, 3, 4\), got \(3,\)"):
        masked_cross_entropy(np.ones((1, 3, 4)), [0, 1, 2], [2])
    with pytest.raises(TypeError, match="targets must hold integer token ids, got dtype float64"):
        masked_cross_entropy(np.ones((1, 3, 4)), [[0.0, 1.0, 2.0]], [2])


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("extreme", [False, True], ids=["random", "extreme"])
def test_forward_matches_torch_gru(dtype, extreme) -> None:
    torch = require("torch")
    rng = np.random.default_rng(31)
    enc, dec = make_params(rng, scale=30.0 if extreme else 0.5, dtype=dtype)   # 30: saturated gates
    src, tgt = rng.integers(0, 7, (4, 6)), rng.integers(0, 6, (4, 5))
    tt = torch.float32 if dtype == np.float32 else torch.float64
    with torch.no_grad():
        g_enc = torch.nn.GRU(3, 5, batch_first=True, dtype=tt)
        g_dec = torch.nn.GRU(4 + 5, 5, batch_first=True, dtype=tt)
        for g, p in ((g_enc, enc), (g_dec, dec)):
            for name in ("w_ih", "w_hh", "b_ih", "b_hh"):
                getattr(g, f"{name.replace('w_', 'weight_').replace('b_', 'bias_')}_l0").copy_(torch.from_numpy(p[name]))
        _, c = g_enc(torch.from_numpy(enc["embedding"][src]))              # c: (1, N, H)
        y = torch.from_numpy(dec["embedding"][tgt])
        x = torch.cat([y, c[0][:, None, :].expand(-1, y.shape[1], -1)], dim=2)
        states, _ = g_dec(x, c)
        ref = (states @ torch.from_numpy(dec["w_out"]).T + torch.from_numpy(dec["b_out"])).numpy()
    ours = seq2seq_forward(src, tgt, enc, dec)
    # each of the S + T = 11 GRU steps rounds the state (entries in (-1, 1)) by a few eps; the
    # logits carry a state error into at most H |w_out| (sum over the H state entries) plus the
    # rounding of that sum: 16 eps per step over 11 steps, in units of H max|w_out| + max|b_out|.
    # At scale 30 the gates are saturated, hence exact; this seed puts no pre-activation within
    # rounding distance of a gate's transition (there a rounding error of eps * |pre-activation|
    # would be amplified by the gate's slope, and no such bound would hold)
    h = enc["w_hh"].shape[1]
    size = h * float(np.abs(dec["w_out"]).max()) + float(np.abs(dec["b_out"]).max())
    assert_matches(ours, ref, dtype, ulps=16 * 11, scale=size)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("extreme", [False, True], ids=["random", "extreme"])
def test_masked_cross_entropy_matches_torch(dtype, extreme) -> None:
    torch = require("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(32)
    n, t, v = 5, 7, 6
    z = rng.normal(size=(n, t, v))
    if extreme:
        z.reshape(-1)[: 3 * len(EXTREMES)] = np.tile(EXTREMES, 3)
    z = z.astype(dtype)
    y, lengths = rng.integers(0, v, (n, t)), np.array([7, 3, 0, 1, 5])
    keep = np.arange(t) < lengths[:, None]
    y_torch = torch.from_numpy(np.where(keep, y, -100).reshape(-1))

    def f(a):
        return F.cross_entropy(a.reshape(-1, v), y_torch, ignore_index=-100)

    ref, (grad,) = torch_forward_backward(f, [z], np.array(0.9), wrt=[0])
    # log-softmax of a row is exact to a few eps times its largest |logit| M; the mean of up to
    # N T such terms adds N T eps of the sum
    m = float(np.max(np.abs(z.astype(np.float64)), initial=1.0))
    assert_matches(masked_cross_entropy(z, y, lengths), ref, dtype, ulps=8 + n * t, scale=m)
    # softmax entries carry relative error ~ eps M / count of valid tokens scale the gradient
    assert_matches(masked_cross_entropy_backward(0.9, z, y, lengths), grad, dtype, ulps=8, scale=0.9 * (1 + m) / keep.sum())
