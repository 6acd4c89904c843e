"""grouped_query_attention and its backward: hand values, properties, stability, bad input, and
torch.nn.functional.scaled_dot_product_attention(..., enable_gqa=True)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import (
    grouped_query_attention,
    grouped_query_attention_backward,
    scaled_dot_product_attention,
    scaled_dot_product_attention_backward,
)
from tests.attention.test_attention import assert_close, bounds
from tests.reference import DTYPES, EXTREMES, require, torch_forward_backward

gqa, gqa_backward = grouped_query_attention, grouped_query_attention_backward


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_multi_query() -> None:
    # Hq = 2 query heads, Hkv = 1 shared key/value head, E = 1 so the scale is 1/sqrt(1) = 1.
    # head 0: q = 1, scores (0, ln 3) -> weights (1/4, 3/4) -> 4/4 + 3 * 8/4 = 7
    # head 1: q = 0, scores (0, 0) -> weights (1/2, 1/2) -> (4 + 8) / 2 = 6
    q = np.array([[[[1.0]], [[0.0]]]])
    k = np.array([[[[0.0], [math.log(3)]]]])
    v = np.array([[[[4.0], [8.0]]]])
    np.testing.assert_allclose(gqa(q, k, v), [[[[7.0]], [[6.0]]]], rtol=1e-15)
    # backward with g = 1: dv = sum over the heads of P^T g = (1/4 + 1/2, 3/4 + 1/2)
    # head 0: dP = (4, 8), P.dP = 7, dS = P (dP - 7) = (-3/4, 3/4) -> dq = dS k = 3/4 ln 3,
    #         dk = dS q = (-3/4, 3/4); head 1: q = 0 so its dk is 0, dS = (1/2)((4, 8) - 6) =
    #         (-1, 1) -> dq = ln 3
    dq, dk, dv = gqa_backward(np.ones((1, 2, 1, 1)), q, k, v)
    np.testing.assert_allclose(dq, [[[[0.75 * math.log(3)]], [[math.log(3)]]]], rtol=1e-15)
    np.testing.assert_allclose(dk, [[[[-0.75], [0.75]]]], rtol=1e-15)
    np.testing.assert_allclose(dv, [[[[0.75], [1.25]]]], rtol=1e-15)


def test_consecutive_query_heads_share_a_key_value_head() -> None:
    # Hq = 4, Hkv = 2: heads 0, 1 read key/value head 0 (all values 1), heads 2, 3 read head 1
    # (all values 5), whatever the scores; a layout h % Hkv would give 1, 5, 1, 5 instead
    rng = np.random.default_rng(0)
    q, k = rng.normal(size=(1, 4, 3, 2)), rng.normal(size=(1, 2, 5, 2))
    v = np.concatenate([np.ones((1, 1, 5, 1)), np.full((1, 1, 5, 1), 5.0)], axis=1)
    out = gqa(q, k, v)
    np.testing.assert_allclose(out[0, :, :, 0], [[1.0] * 3, [1.0] * 3, [5.0] * 3, [5.0] * 3], rtol=1e-15)


def test_causal_zero_queries_give_running_means() -> None:
    # every score is 0, so query i averages the values 0..i, in every head of the group
    v = np.array([3.0, 5.0, 10.0]).reshape(1, 1, 3, 1)
    out = gqa(np.zeros((1, 3, 3, 2)), np.ones((1, 1, 3, 2)), v, is_causal=True)
    np.testing.assert_allclose(out[0, :, :, 0], [[3.0, 4.0, 6.0]] * 3, rtol=1e-15)


# ---------------------------------------------------------------- properties
@st.composite
def problems(draw, elements=st.floats(-10, 10)):
    hkv, group = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    b, length, source, e, ev = (draw(st.integers(1, 3)) for _ in range(5))
    shapes = [(b, hkv * group, length, e), (b, hkv, source, e), (b, hkv, source, ev)]
    return group, [draw(arrays(np.float64, s, elements=elements)) for s in shapes]


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(problems(), st.booleans())
def test_equals_attention_with_repeated_key_value_heads(problem, is_causal) -> None:
    # the definition: repeat each key/value head G times (repeat_interleave) and run plain attention;
    # the same products and sums in the same order, on a copy instead of a broadcast view
    group, (q, k, v) = problem
    k_rep, v_rep = np.repeat(k, group, axis=1), np.repeat(v, group, axis=1)
    np.testing.assert_allclose(gqa(q, k, v, is_causal=is_causal),
                               scaled_dot_product_attention(q, k_rep, v_rep, is_causal=is_causal),
                               rtol=1e-14, atol=1e-14)
    # the gradient of a repeated head is the sum of its copies' gradients (reordered sums of
    # at most 3 terms of size <= ~1e3 here: 1e-12 absolute is ~10 roundings of them)
    g = np.ones((*q.shape[:-1], v.shape[-1]))
    dq, dk, dv = gqa_backward(g, q, k, v, is_causal=is_causal)
    rq, rk, rv = scaled_dot_product_attention_backward(g, q, k_rep, v_rep, is_causal=is_causal)
    b, hkv = k.shape[:2]
    np.testing.assert_allclose(dq, rq, rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(dk, rk.reshape(b, hkv, group, *k.shape[2:]).sum(axis=2), rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(dv, rv.reshape(b, hkv, group, *v.shape[2:]).sum(axis=2), rtol=1e-13, atol=1e-12)


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(problems())
def test_one_query_head_per_key_value_head_is_plain_attention(problem) -> None:
    _, (q, k, v) = problem
    q = q[:, : k.shape[1]]  # Hq = Hkv: G = 1
    np.testing.assert_array_equal(gqa(q, k, v), scaled_dot_product_attention(q, k, v))


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(problems())
def test_outputs_are_convex_combinations_of_the_shared_values(problem) -> None:
    group, (q, k, v) = problem
    out = gqa(q, k, v).reshape(q.shape[0], k.shape[1], group, q.shape[2], v.shape[-1])
    lo, hi = v.min(axis=2)[:, :, None, None], v.max(axis=2)[:, :, None, None]
    slack = 1e-12 * max(1.0, float(np.abs(v).max(initial=0)))  # rounding of the weighted sum
    assert np.all(out >= lo - slack) and np.all(out <= hi + slack)


def test_mixed_dtypes_promote_and_integers_become_float64() -> None:
    rng = np.random.default_rng(1)
    q = rng.normal(size=(1, 4, 2, 3)).astype(np.float32)
    k, v = (rng.normal(size=(1, 2, 3, 3)).astype(np.float32) for _ in range(2))
    assert gqa(q, k, v).dtype == np.float32
    assert all(d.dtype == np.float32 for d in gqa_backward(np.ones((1, 4, 2, 3), np.float32), q, k, v))
    assert gqa(q, k.astype(np.float64), v).dtype == np.float64
    assert gqa(np.ones((1, 2, 1, 1), int), np.ones((1, 1, 2, 1), int), np.ones((1, 1, 2, 1), int)).dtype == np.float64


# ---------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", DTYPES)
@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(problem=problems(elements=st.floats(-1e4, 1e4)))
def test_stable_up_to_1e4(dtype, problem) -> None:
    # scores up to E * 1e8: attention subtracts the row max before exp, nothing overflows or warns
    _, (q, k, v) = problem
    q, k, v = (a.astype(dtype) for a in (q, k, v))
    g = np.ones((*q.shape[:-1], v.shape[-1]), dtype=dtype)
    for is_causal in (False, True):
        for r in (gqa(q, k, v, is_causal=is_causal), *gqa_backward(g, q, k, v, is_causal=is_causal)):
            assert r.dtype == dtype and np.all(np.isfinite(r))


def test_nan_in_a_key_spoils_only_its_group() -> None:
    rng = np.random.default_rng(2)
    q, k, v = rng.normal(size=(1, 6, 2, 2)), rng.normal(size=(1, 3, 4, 2)), rng.normal(size=(1, 3, 4, 2))
    k[0, 1, 2, 0] = np.nan  # key/value head 1 serves query heads 2 and 3
    out = gqa(q, k, v)
    assert np.all(np.isnan(out[0, 2:4])) and np.all(np.isfinite(out[0, [0, 1, 4, 5]]))


# ---------------------------------------------------------------- bad input
def test_rejects_bad_shapes_naming_argument_and_shapes() -> None:
    q, k, v = np.zeros((2, 4, 3, 5)), np.zeros((2, 2, 6, 5)), np.zeros((2, 2, 6, 7))
    with pytest.raises(ValueError, match=r"q must be a 4-D array \(B, Hq, L, E\), got shape \(4, 3, 5\)"):
        gqa(q[0], k, v)
    with pytest.raises(ValueError, match=r"k must have shape \(B, Hkv, S, E\) with B = 2 and E = 5 as in q, got \(1, 2, 6, 5\)"):
        gqa(q, k[:1], v)
    with pytest.raises(ValueError, match=r"k must have shape .* got \(2, 2, 6, 4\)"):
        gqa(q, k[..., :4], v)
    with pytest.raises(ValueError, match=r"k must have a number of heads Hkv that divides the Hq = 4 query heads, got Hkv = 3"):
        gqa(q, np.zeros((2, 3, 6, 5)), np.zeros((2, 3, 6, 7)))
    with pytest.raises(ValueError, match=r"got Hkv = 0"):
        gqa(q, k[:, :0], v[:, :0])
    with pytest.raises(ValueError, match=r"v must have shape \(B, Hkv, S, Ev\) with \(B, Hkv, S\) = \(2, 2, 6\) as in k, got \(2, 2, 5, 7\)"):
        gqa(q, k, v[:, :, :5])
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2, 4, 3, 7\), got shape \(2, 4, 3, 5\)"):
        gqa_backward(q, q, k, v)


def test_rejects_complex_non_numeric_and_bad_flags() -> None:
    q, k = np.zeros((1, 2, 3, 2)), np.zeros((1, 1, 3, 2))
    with pytest.raises(TypeError, match="k must be real-valued"):
        gqa(q, k * 1j, k)
    with pytest.raises(TypeError, match="v must be numeric"):
        gqa(q, k, np.full(k.shape, "a"))
    with pytest.raises(TypeError, match="is_causal must be a bool, got int"):
        gqa(q, k, k, is_causal=1)


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("is_causal", [False, True])
@pytest.mark.parametrize("magnitude", ["random", "extreme"])
def test_matches_torch_enable_gqa_forward_and_autograd(dtype, is_causal, magnitude) -> None:
    torch = require("torch")
    rng = np.random.default_rng(3)
    b, hq, hkv, length, source, e, ev = 2, 6, 2, 5, 7, 4, 3
    group = hq // hkv
    q, k, v = rng.normal(size=(b, hq, length, e)), rng.normal(size=(b, hkv, source, e)), rng.normal(size=(b, hkv, source, ev))
    if magnitude == "extreme":
        # scores of order 1e4 everywhere, and up to 1e8 where the inputs reach +-1e4
        q, k = q * 100, k * 100
        q[0, 0, 0], k[1, 1, 3], v[0, 1, 2, :] = EXTREMES[:4], EXTREMES[-4:], EXTREMES[5:8]
    q, k, v = (a.astype(dtype) for a in (q, k, v))
    g = rng.normal(size=(b, hq, length, ev)).astype(dtype)

    def reference(tq, tk, tv):
        return torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, is_causal=is_causal, enable_gqa=True)

    ref_out, (ref_dq, ref_dk, ref_dv) = torch_forward_backward(reference, [q, k, v], g, wrt=[0, 1, 2])
    # Tolerances: GQA is attention on the repeated heads, so per query head the error bounds of
    # tests/attention/test_attention.py `bounds` apply (out, dq, and each copy's dk, dv).
    k_rep, v_rep = np.repeat(k, group, axis=1), np.repeat(v, group, axis=1)
    s_out, s_dq, s_dk, s_dv = bounds(dtype, q, k_rep, v_rep, g, None, is_causal)
    assert_close(gqa(q, k, v, is_causal=is_causal), ref_out, dtype, scale=s_out)
    dq, dk, dv = gqa_backward(g, q, k, v, is_causal=is_causal)
    assert_close(dq, ref_dq, dtype, scale=s_dq)
    # dk, dv of a shared head sum its G copies: the copies' bounds add, and summing G numbers
    # rounds by at most G eps * sum |copy| on each side (ours and torch's): 2 G / 8 of that in
    # assert_close's units of 8 eps. The copies' sizes come from torch on the repeated heads.
    _, (_, rep_dk, rep_dv) = torch_forward_backward(
        lambda tq, tk, tv: torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, is_causal=is_causal),
        [q, k_rep, v_rep], g, wrt=[0, 1, 2])

    def summed(bound, copies, shape):
        per_copy = bound + (2 * group / 8) * np.abs(copies.astype(np.float64))
        return per_copy.reshape(b, hkv, group, *shape[2:]).sum(axis=2)

    assert_close(dk, ref_dk, dtype, scale=summed(np.broadcast_to(s_dk, k_rep.shape), rep_dk, k.shape))
    assert_close(dv, ref_dv, dtype, scale=summed(np.broadcast_to(s_dv, v_rep.shape), rep_dv, v.shape))
