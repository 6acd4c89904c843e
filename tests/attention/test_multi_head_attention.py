"""multi_head_attention: hand values, properties, stability, bad input, torch.nn.MultiheadAttention."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import causal_mask, multi_head_attention, scaled_dot_product_attention
from tests.attention.test_attention import assert_close
from tests.reference import DTYPES, EXTREMES, require

mha = multi_head_attention


def weights(rng, e, dtype=np.float64, scale=None):
    """in_proj_weight (3E, E), in_proj_bias (3E,), out_proj.weight (E, E), out_proj.bias (E,)."""
    scale = 1 / math.sqrt(e) if scale is None else scale
    return [(rng.normal(size=s) * scale).astype(dtype) for s in ((3 * e, e), (3 * e,), (e, e), (e,))]


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_two_heads() -> None:
    # E = 2, H = 2, identity projections, no biases: head h is 1-D attention on feature h.
    # head 0: scores q0 k0 / sqrt(1) = (0, ln 3) -> weights (1/4, 3/4) -> 4/4 + 3 * 8/4 = 7
    # head 1: q1 = 0 -> uniform weights -> (10 + 20) / 2 = 15
    w_in, w_out = np.vstack([np.eye(2)] * 3), np.eye(2)
    q = [[[math.log(3), 0.0]]]
    k = [[[0.0, 5.0], [1.0, -5.0]]]
    v = [[[4.0, 10.0], [8.0, 20.0]]]
    np.testing.assert_allclose(mha(q, k, v, 2, w_in, None, w_out, None), [[[7.0, 15.0]]], rtol=1e-15)
    # the output bias is added last: (7 + 1, 15 - 1)
    out = mha(q, k, v, 2, w_in, np.zeros(6), w_out, np.array([1.0, -1.0]))
    np.testing.assert_allclose(out, [[[8.0, 14.0]]], rtol=1e-15)


def test_equals_the_formula_written_out_head_by_head() -> None:
    rng = np.random.default_rng(0)
    n, length, source, e, h = 2, 4, 5, 6, 3
    q, k, v = rng.normal(size=(n, length, e)), rng.normal(size=(n, source, e)), rng.normal(size=(n, source, e))
    w_in, b_in, w_out, b_out = weights(rng, e)
    (w_q, w_k, w_v), (b_q, b_k, b_v) = np.split(w_in, 3), np.split(b_in, 3)
    d = e // h
    heads = []
    for i in range(h):  # head i uses rows i*d:(i+1)*d of each projection
        rows = slice(i * d, (i + 1) * d)
        heads.append(scaled_dot_product_attention(
            q @ w_q[rows].T + b_q[rows], k @ w_k[rows].T + b_k[rows], v @ w_v[rows].T + b_v[rows]))
    expected = np.concatenate(heads, axis=-1) @ w_out.T + b_out
    # the same operations, except the projections are computed for all heads in one product
    np.testing.assert_allclose(mha(q, k, v, h, w_in, b_in, w_out, b_out), expected, rtol=1e-13, atol=1e-14)


def test_missing_biases_are_zeros() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 4))
    w_in, _, w_out, _ = weights(rng, 4)
    np.testing.assert_array_equal(mha(x, x, x, 2, w_in, None, w_out, None),
                                  mha(x, x, x, 2, w_in, np.zeros(12), w_out, np.zeros(4)))


def test_fully_masked_query_gets_the_output_bias() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(1, 3, 4))
    w_in, b_in, w_out, b_out = weights(rng, 4)
    mask = np.ones((3, 3), dtype=bool)
    mask[1] = False
    out = mha(x, x, x, 2, w_in, b_in, w_out, b_out, attn_mask=mask)
    np.testing.assert_array_equal(out[0, 1], b_out)


# ---------------------------------------------------------------- properties
@st.composite
def problems(draw, elements=st.floats(-5, 5)):
    h, d = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    n, length, source, e = draw(st.integers(1, 2)), draw(st.integers(1, 4)), draw(st.integers(1, 4)), h * d
    shapes = [(n, length, e), (n, source, e), (n, source, e), (3 * e, e), (3 * e,), (e, e), (e,)]
    return h, [draw(arrays(np.float64, s, elements=elements)) for s in shapes]


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(problems())
def test_causal_equals_the_explicit_mask(problem) -> None:
    h, (q, k, v, *w) = problem
    tril = np.tril(np.ones((q.shape[1], k.shape[1]), dtype=bool))
    np.testing.assert_array_equal(mha(q, k, v, h, *w, is_causal=True), mha(q, k, v, h, *w, attn_mask=tril))


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(problems(), st.randoms(use_true_random=False))
def test_permuting_heads_consistently_changes_nothing(problem, random) -> None:
    # the heads are interchangeable: reorder the blocks of rows of every projection and the
    # matching columns of the output projection, and the output is the same
    h, (q, k, v, w_in, b_in, w_out, b_out) = problem
    e = q.shape[2]
    d = e // h
    order = random.sample(range(h), h)
    cols = np.concatenate([np.arange(i * d, (i + 1) * d) for i in order])
    rows = np.concatenate([cols + j * e for j in range(3)])
    out = mha(q, k, v, h, w_in[rows], b_in[rows], w_out[:, cols], b_out)
    # the same sums in another order (the output projection sums the heads in a new order); inputs
    # of size <= 5 keep every intermediate below ~1e3, so 1e-9 absolute is ~1e4 roundings of it
    np.testing.assert_allclose(out, mha(q, k, v, h, w_in, b_in, w_out, b_out), rtol=1e-10, atol=1e-9)


def test_mixed_dtypes_promote_and_integers_become_float64() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    w = weights(rng, 4, dtype=np.float32)
    assert mha(x, x, x, 2, *w).dtype == np.float32
    assert mha(x, x, x, 2, w[0].astype(np.float64), *w[1:]).dtype == np.float64
    ints = [np.ones(a.shape, dtype=np.int64) for a in (x, *w)]
    assert mha(ints[0], ints[0], ints[0], 2, *ints[1:]).dtype == np.float64


# ---------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", DTYPES)
@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(x=arrays(np.float64, (2, 3, 4), elements=st.floats(-1e4, 1e4)))
def test_stable_up_to_1e4(dtype, x) -> None:
    rng = np.random.default_rng(4)
    w = weights(rng, 4, dtype=dtype, scale=1.0)
    x = x.astype(dtype)
    for is_causal in (False, True):
        out = mha(x, x, x, 2, *w, is_causal=is_causal)
        assert out.dtype == dtype and np.all(np.isfinite(out))


def test_nan_in_nan_out() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 3, 4))
    w = weights(rng, 4)
    x[0, 1, 2] = np.nan
    out = mha(x, x, x, 2, *w)
    # the NaN token is a key and a value of every query of its sequence; the other one is clean
    assert np.all(np.isnan(out[0])) and np.all(np.isfinite(out[1]))


# ---------------------------------------------------------------- bad input
def test_rejects_bad_shapes_and_types() -> None:
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 3, 4))
    w_in, b_in, w_out, b_out = weights(rng, 4)
    with pytest.raises(ValueError, match=r"query must be a 3-D array \(N, L, E\), got shape \(3, 4\)"):
        mha(x[0], x, x, 2, w_in, b_in, w_out, b_out)
    with pytest.raises(ValueError, match=r"key must have shape \(N, S, E\) with N = 2 and E = 4 as in query, got \(1, 3, 4\)"):
        mha(x, x[:1], x, 2, w_in, b_in, w_out, b_out)
    with pytest.raises(ValueError, match=r"value must have shape \(N, S, E\) = \(2, 3, 4\) for N = 2, S = 3, E = 4 \(the shape of key\), got \(2, 2, 4\)"):
        mha(x, x, x[:, :2], 2, w_in, b_in, w_out, b_out)
    with pytest.raises(ValueError, match=r"num_heads must be a positive divisor of the embedding size E = 4, got 3"):
        mha(x, x, x, 3, w_in, b_in, w_out, b_out)
    with pytest.raises(ValueError, match=r"num_heads must be a positive divisor .* got 0"):
        mha(x, x, x, 0, w_in, b_in, w_out, b_out)
    with pytest.raises(TypeError, match=r"num_heads must be an integer, got float"):
        mha(x, x, x, 2.0, w_in, b_in, w_out, b_out)
    with pytest.raises(ValueError, match=r"in_proj_weight must have shape \(3E, E\) = \(12, 4\) for embedding size E = 4, got \(4, 12\)"):
        mha(x, x, x, 2, w_in.T, b_in, w_out, b_out)
    with pytest.raises(ValueError, match=r"in_proj_bias must have shape \(3E,\) = \(12,\) for embedding size E = 4, got \(4,\)"):
        mha(x, x, x, 2, w_in, b_out, w_out, b_out)
    with pytest.raises(ValueError, match=r"out_proj_weight must have shape \(E, E\) = \(4, 4\)"):
        mha(x, x, x, 2, w_in, b_in, w_out[:3], b_out)
    with pytest.raises(ValueError, match=r"out_proj_bias must have shape \(E,\) = \(4,\)"):
        mha(x, x, x, 2, w_in, b_in, w_out, b_in)
    with pytest.raises(ValueError, match=r"attn_mask must broadcast to the scores' shape \(\.\.\., L, S\) = \(2, 2, 3, 3\), got \(3, 3, 3\)"):
        mha(x, x, x, 2, w_in, b_in, w_out, b_out, attn_mask=np.ones((3, 3, 3), dtype=bool))
    with pytest.raises(TypeError, match="out_proj_weight must be real-valued"):
        mha(x, x, x, 2, w_in, b_in, w_out * 1j, b_out)


# ---------------------------------------------------------------- PyTorch
def torch_mha(torch, q, k, v, num_heads, w, **kwargs):
    """torch.nn.MultiheadAttention(batch_first=True) with our weights copied in; its output only."""
    e = q.shape[2]
    module = torch.nn.MultiheadAttention(e, num_heads, batch_first=True, dtype=torch.from_numpy(q).dtype)
    with torch.no_grad():
        for p, value in zip((module.in_proj_weight, module.in_proj_bias, module.out_proj.weight, module.out_proj.bias), w):
            p.copy_(torch.tensor(value))
    # training mode with dropout 0 and autograd on: the module's standard (non-fused) path
    out, _ = module(*(torch.tensor(a) for a in (q, k, v)), need_weights=False, **kwargs)
    return out.detach().numpy()


def mask_kinds(kind, rng, n, h, length, source):
    """(ours, torch's keyword arguments) for each kind of mask, converted between conventions."""
    torch = require("torch")
    if kind == "none":
        return {}, {}
    if kind == "causal":
        # nn.MultiheadAttention needs the mask itself (True = blocked); is_causal is only a hint
        blocked = torch.tensor(~causal_mask(length))
        return {"is_causal": True}, {"attn_mask": blocked, "is_causal": True}
    if kind == "bool":
        mask = rng.random((length, source)) > 0.4
        mask[1] = False  # one query that may attend to nothing
        return {"attn_mask": mask}, {"attn_mask": torch.tensor(~mask)}  # the conventions are opposite
    if kind == "padding":
        keep = rng.random((n, source)) > 0.3
        keep[:, 0] = True  # every sequence keeps at least one key
        # ours broadcasts (N, 1, 1, S) over heads and queries; torch's key_padding_mask is (N, S), True = pad
        return {"attn_mask": keep[:, None, None, :]}, {"key_padding_mask": torch.tensor(~keep)}
    mask = rng.normal(size=(length, source)) * 2
    mask[rng.random((length, source)) < 0.3] = -np.inf
    mask[:, 0] = 0.0
    return {"attn_mask": mask}, {"attn_mask": torch.tensor(mask)}  # additive masks agree


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["none", "causal", "bool", "padding", "float"])
@pytest.mark.parametrize("magnitude", ["random", "extreme"])
def test_matches_torch_multihead_attention(dtype, kind, magnitude) -> None:
    torch = require("torch")
    rng = np.random.default_rng(7)
    n, length, source, e, h = 3, 5, 6, 8, 4
    self_attention = kind == "causal"
    q = rng.normal(size=(n, length, e))
    k = q.copy() if self_attention else rng.normal(size=(n, source, e))
    v = q.copy() if self_attention else rng.normal(size=(n, source, e))
    if magnitude == "extreme":  # tokens up to +-1e4: scores up to ~1e8, saturated rows
        q[0, 1, :5], k[1, 2, :5], v[2, 0, :5] = EXTREMES[:5], EXTREMES[-5:], EXTREMES[5:10]
    q, k, v = (a.astype(dtype) for a in (q, k, v))
    w = weights(rng, e, dtype=dtype)
    ours_kwargs, torch_kwargs = mask_kinds(kind, rng, n, h, q.shape[1], k.shape[1])
    if "attn_mask" in ours_kwargs and ours_kwargs["attn_mask"].dtype != np.bool_:
        ours_kwargs["attn_mask"] = ours_kwargs["attn_mask"].astype(dtype)
        torch_kwargs["attn_mask"] = torch_kwargs["attn_mask"].to(torch.from_numpy(q).dtype)
    ref = torch_mha(torch, q, k, v, h, w, **torch_kwargs)
    ours = mha(q, k, v, h, *w, **ours_kwargs)
    # The tolerance is measured, not guessed: the same problem (inputs rounded to float32) run by
    # PyTorch in float32 and in float64 shows how much float32 rounding moves each output row
    # (attention rows near a tie amplify the score errors; saturated rows do not). Rounding in
    # another order moves it by the same order: we allow 4 times that, rescaled by
    # eps(dtype) / eps32. (A worst-case bound, as in test_attention, is ~1000 times wider here.)
    as32 = {key: (val.to(torch.float32) if hasattr(val, "dtype") and val.dtype == torch.float64 else val)
            for key, val in torch_kwargs.items()}
    q32, k32, v32 = (a.astype(np.float32) for a in (q, k, v))
    w32 = [a.astype(np.float32) for a in w]
    as64 = {key: (val.to(torch.float64) if hasattr(val, "dtype") and val.dtype == torch.float32 else val)
            for key, val in as32.items()}
    measured = np.abs(torch_mha(torch, q32, k32, v32, h, w32, **as32)
                      - torch_mha(torch, *(a.astype(np.float64) for a in (q32, k32, v32)), h,
                                  [a.astype(np.float64) for a in w32], **as64))
    per_row = np.max(measured, axis=-1, keepdims=True) / np.finfo(np.float32).eps  # in units of eps
    # assert_close allows 8 eps (|ref| + scale): scale = per_row / 2 gives 4 times the measured error
    assert_close(ours, ref, dtype, scale=per_row / 2)
