"""cross_attention and its backward: hand values, properties, stability, bad input, and
torch.nn.MultiheadAttention(bias=False, kdim=, vdim=) (its functional form, for the gradients)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import (
    cross_attention,
    cross_attention_backward,
    multi_head_attention,
    scaled_dot_product_attention,
    scaled_dot_product_attention_backward,
)
from tests.attention.test_attention import assert_close, bounds
from tests.reference import DTYPES, EXTREMES, require, torch_forward_backward

cross, cross_backward = cross_attention, cross_attention_backward


def weights(rng, e, ec, dtype=np.float64, scale=None):
    """w_q (E, E), w_k (E, Ec), w_v (E, Ec), w_o (E, E), entries of size ~1/sqrt(fan-in)."""
    return [(rng.normal(size=s) * (1 / math.sqrt(s[1]) if scale is None else scale)).astype(dtype)
            for s in ((e, e), (e, ec), (e, ec), (e, e))]


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_two_heads_reading_a_longer_context() -> None:
    # E = 2, H = 2, identity projections (Ec = E = 2): head h is 1-D attention on feature h.
    # one query x = (ln 3, 0); three context rows c = (0, 7), (1, 8), (0, -9).
    # head 0: scores x0 c0 / sqrt(1) = (0, ln 3, 0) -> weights (1/5, 3/5, 1/5) -> values
    #         (0, 1, 0): 3/5; head 1: x1 = 0 -> uniform -> (7 + 8 - 9) / 3 = 2
    eye = np.eye(2)
    x = [[[math.log(3), 0.0]]]
    c = [[[0.0, 7.0], [1.0, 8.0], [0.0, -9.0]]]
    np.testing.assert_allclose(cross(x, c, eye, eye, eye, eye, 2), [[[0.6, 2.0]]], rtol=1e-15)
    # padding the middle row: head 0 weights (1/2, 1/2) on values (0, 0) -> 0; head 1: (7 - 9) / 2
    out = cross(x, c, eye, eye, eye, eye, 2, key_padding_mask=[[False, True, False]])
    np.testing.assert_allclose(out, [[[0.0, -1.0]]], atol=1e-15)


def test_a_fully_padded_context_gives_zeros() -> None:
    # PyTorch 2.13's nn.MultiheadAttention returns 0 for such a sequence (no biases here)
    rng = np.random.default_rng(0)
    x, c = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 6))
    pad = np.zeros((2, 5), dtype=bool)
    pad[1] = True
    out = cross(x, c, *weights(rng, 4, 6), 2, key_padding_mask=pad)
    np.testing.assert_array_equal(out[1], 0.0)
    assert np.all(np.isfinite(out[0]))


# ---------------------------------------------------------------- properties
@st.composite
def problems(draw, elements=st.floats(-5, 5), ec=None):
    h, d = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    n, length, source = draw(st.integers(1, 2)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    e = h * d
    ec = draw(st.integers(1, 4)) if ec is None else e
    shapes = [(n, length, e), (n, source, ec), (e, e), (e, ec), (e, ec), (e, e)]
    pad = draw(arrays(np.bool_, (n, source)))
    return h, [draw(arrays(np.float64, s, elements=elements)) for s in shapes], pad


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(problems(ec="E"))
def test_equals_multi_head_attention_with_keys_and_values_from_the_context(problem) -> None:
    # with Ec = E it is multi_head_attention(x, context, context) with the three projections
    # stacked and the padding mask converted to attention's True = may attend: the same operations
    h, (x, c, w_q, w_k, w_v, w_o), pad = problem
    ours = cross(x, c, w_q, w_k, w_v, w_o, h, key_padding_mask=pad)
    mha = multi_head_attention(x, c, c, h, np.vstack([w_q, w_k, w_v]), None, w_o, None, attn_mask=~pad[:, None, None, :])
    np.testing.assert_allclose(ours, mha, rtol=1e-13, atol=1e-13)


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(problems(), st.randoms(use_true_random=False))
def test_queries_do_not_interact_and_context_order_does_not_matter(problem, random) -> None:
    h, (x, c, *w), pad = problem
    out = cross(x, c, *w, h, key_padding_mask=pad)
    # reorder the queries: the outputs are reordered, each computed from its own query alone
    order = np.array(random.sample(range(x.shape[1]), x.shape[1]))
    np.testing.assert_allclose(cross(x[:, order], c, *w, h, key_padding_mask=pad), out[:, order], rtol=1e-13, atol=1e-13)
    # reorder the context with its mask: the same weighted sums in another order (inputs <= 5,
    # sums <= ~1e3: 1e-10 absolute is ~1e3 roundings)
    perm = np.array(random.sample(range(c.shape[1]), c.shape[1]))
    np.testing.assert_allclose(cross(x, c[:, perm], *w, h, key_padding_mask=pad[:, perm]), out, rtol=1e-11, atol=1e-10)


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(problems(), st.data())
def test_padded_context_rows_have_no_effect_and_get_no_gradient(problem, data) -> None:
    h, (x, c, *w), pad = problem
    noise = data.draw(arrays(np.float64, c.shape, elements=st.floats(-5, 5)))
    changed = np.where(pad[..., None], noise, c)  # only the padded rows change
    np.testing.assert_array_equal(cross(x, changed, *w, h, key_padding_mask=pad), cross(x, c, *w, h, key_padding_mask=pad))
    grads = cross_backward(np.ones(x.shape), x, c, *w, h, key_padding_mask=pad)
    np.testing.assert_array_equal(grads[1][pad], 0.0)


def test_mixed_dtypes_promote_and_integers_become_float64() -> None:
    rng = np.random.default_rng(1)
    x, c = rng.normal(size=(2, 3, 4)).astype(np.float32), rng.normal(size=(2, 5, 6)).astype(np.float32)
    w = weights(rng, 4, 6, dtype=np.float32)
    assert cross(x, c, *w, 2).dtype == np.float32
    assert all(g.dtype == np.float32 for g in cross_backward(np.ones(x.shape, np.float32), x, c, *w, 2))
    assert cross(x, c.astype(np.float64), *w, 2).dtype == np.float64
    ones = [np.ones(a.shape, dtype=int) for a in (x, c, *w)]
    assert cross(*ones, 2).dtype == np.float64


# ---------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", DTYPES)
@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(x=arrays(np.float64, (2, 3, 4), elements=st.floats(-1e4, 1e4)),
       c=arrays(np.float64, (2, 5, 3), elements=st.floats(-1e4, 1e4)))
def test_stable_up_to_1e4(dtype, x, c) -> None:
    w = weights(np.random.default_rng(4), 4, 3, dtype=dtype, scale=1.0)
    x, c = x.astype(dtype), c.astype(dtype)
    pad = np.zeros((2, 5), dtype=bool)
    pad[0, 1:] = True
    for mask in (None, pad):
        results = [cross(x, c, *w, 2, key_padding_mask=mask),
                   *cross_backward(np.ones(x.shape, dtype), x, c, *w, 2, key_padding_mask=mask)]
        for r in results:
            assert r.dtype == dtype and np.all(np.isfinite(r))


def test_nan_in_nan_out() -> None:
    rng = np.random.default_rng(5)
    x, c = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4))
    w = weights(rng, 4, 4)
    c[0, 2, 1] = np.nan
    out = cross(x, c, *w, 2)
    # a NaN context row is a key and a value of every query of its sequence; the other is clean
    assert np.all(np.isnan(out[0])) and np.all(np.isfinite(out[1]))
    pad = np.zeros((2, 5), dtype=bool)
    pad[0, 2] = True  # ... unless it is padded: its NaN value still meets a weight of 0, 0 * NaN = NaN
    assert np.all(np.isnan(cross(x, c, *w, 2, key_padding_mask=pad)[0]))


# ---------------------------------------------------------------- bad input
def test_rejects_bad_shapes_and_types() -> None:
    rng = np.random.default_rng(6)
    x, c = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 6))
    w_q, w_k, w_v, w_o = weights(rng, 4, 6)
    with pytest.raises(ValueError, match=r"x must be a 3-D array \(N, L, E\), got shape \(3, 4\)"):
        cross(x[0], c, w_q, w_k, w_v, w_o, 2)
    with pytest.raises(ValueError, match=r"context must have shape \(N, S, Ec\) with N = 2 as in x, got \(1, 5, 6\)"):
        cross(x, c[:1], w_q, w_k, w_v, w_o, 2)
    with pytest.raises(ValueError, match=r"num_heads must be a positive divisor of the embedding size E = 4, got 3"):
        cross(x, c, w_q, w_k, w_v, w_o, 3)
    with pytest.raises(TypeError, match=r"num_heads must be an integer, got float"):
        cross(x, c, w_q, w_k, w_v, w_o, 2.0)
    with pytest.raises(ValueError, match=r"w_q must have shape \(E, E\) = \(4, 4\) for E = 4 \(x\) and Ec = 6 \(context\), got \(4, 6\)"):
        cross(x, c, w_k, w_k, w_v, w_o, 2)
    with pytest.raises(ValueError, match=r"w_k must have shape \(E, Ec\) = \(4, 6\) .* got \(6, 4\)"):
        cross(x, c, w_q, w_k.T, w_v, w_o, 2)
    with pytest.raises(ValueError, match=r"w_v must have shape \(E, Ec\) = \(4, 6\) .* got \(4, 4\)"):
        cross(x, c, w_q, w_k, w_q, w_o, 2)
    with pytest.raises(ValueError, match=r"w_o must have shape \(E, E\) = \(4, 4\) .* got \(4, 6\)"):
        cross(x, c, w_q, w_k, w_v, w_v, 2)
    with pytest.raises(ValueError, match=r"key_padding_mask must have shape \(N, S\) = \(2, 5\) as x and context, got \(5,\)"):
        cross(x, c, w_q, w_k, w_v, w_o, 2, key_padding_mask=np.zeros(5, dtype=bool))
    with pytest.raises(TypeError, match=r"key_padding_mask must be a boolean array \(True = padding\), got dtype float64"):
        cross(x, c, w_q, w_k, w_v, w_o, 2, key_padding_mask=np.zeros((2, 5)))
    with pytest.raises(TypeError, match="context must be real-valued"):
        cross(x, c * 1j, w_q, w_k, w_v, w_o, 2)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2, 3, 4\), got shape \(2, 3, 6\)"):
        cross_backward(np.zeros((2, 3, 6)), x, c, w_q, w_k, w_v, w_o, 2)


# ---------------------------------------------------------------- PyTorch
def torch_cross(torch, num_heads, pad):
    """nn.MultiheadAttention(bias=False, kdim=Ec, vdim=Ec, batch_first=True)'s computation as a
    function of (x, context, w_q, w_k, w_v, w_o): its functional form, which the module calls,
    in its (T, N, E) layout; training mode with dropout 0 (the standard, non-fused path)."""
    f = torch.nn.functional

    def run(x, c, w_q, w_k, w_v, w_o):
        e = x.shape[-1]
        out, _ = f.multi_head_attention_forward(
            x.transpose(0, 1), c.transpose(0, 1), c.transpose(0, 1), e, num_heads,
            None, None, None, None, False, 0.0, w_o, None, training=True,
            key_padding_mask=None if pad is None else torch.tensor(pad), need_weights=False,
            use_separate_proj_weight=True, q_proj_weight=w_q, k_proj_weight=w_k, v_proj_weight=w_v)
        return out.transpose(0, 1)

    return run


def test_the_functional_form_is_the_module() -> None:
    # the reference below calls the function nn.MultiheadAttention calls; check that it is so
    torch = require("torch")
    rng = np.random.default_rng(8)
    x, c = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 6))
    w = weights(rng, 4, 6)
    module = torch.nn.MultiheadAttention(4, 2, bias=False, kdim=6, vdim=6, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        for p, value in zip((module.q_proj_weight, module.k_proj_weight, module.v_proj_weight, module.out_proj.weight), w):
            p.copy_(torch.tensor(value))
    ref, _ = module(torch.tensor(x), torch.tensor(c), torch.tensor(c), need_weights=False)
    functional = torch_cross(torch, 2, None)(*(torch.tensor(a) for a in (x, c, *w)))
    # the same formula; the module lays its inputs out differently in memory, so its products
    # may sum in another order: a few roundings of numbers of size ~1
    np.testing.assert_allclose(functional.detach().numpy(), ref.detach().numpy(), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("padded", [False, True])
@pytest.mark.parametrize("magnitude", ["random", "extreme"])
def test_matches_torch_multihead_attention_values_and_gradients(dtype, padded, magnitude) -> None:
    torch = require("torch")
    rng = np.random.default_rng(7)
    n, length, source, e, ec, h = 3, 4, 6, 8, 5, 2
    x, c = rng.normal(size=(n, length, e)), rng.normal(size=(n, source, ec))
    if magnitude == "extreme":  # tokens up to +-1e4: scores up to ~1e8, saturated rows
        x[0, 1, :5], c[1, 2, :5], c[2, 0, :5] = EXTREMES[:5], EXTREMES[-5:], EXTREMES[5:10]
    x, c = x.astype(dtype), c.astype(dtype)
    w = weights(rng, e, ec, dtype=dtype)
    g = rng.normal(size=(n, length, e)).astype(dtype)
    pad = None
    if padded:
        pad = rng.random((n, source)) < 0.4
        pad[:, 0] = False  # every sequence keeps a position
    inputs = [x, c, *w]
    ref_out, ref_grads = torch_forward_backward(torch_cross(torch, h, pad), inputs, g, wrt=range(6))
    scales = error_scales(dtype, x, c, w, g, h, pad)
    assert_close(cross(x, c, *w, h, key_padding_mask=pad), ref_out, dtype, scale=scales[0])
    ours = [cross(x, c, *w, h, key_padding_mask=pad), *cross_backward(g, x, c, *w, h, key_padding_mask=pad)]
    for a, b, s in zip(ours[1:], ref_grads, scales[1:]):
        assert_close(a, b, dtype, scale=s)
    if magnitude == "random":
        # the bound above is a worst case, ~1e3 times the errors seen on ordinary inputs; there,
        # also hold every result to 8 times PyTorch's own float32 error (measured as its float32
        # result minus its float64 result on the same float32 inputs), rescaled to the dtype
        eps32 = np.finfo(np.float32).eps
        as32 = [a.astype(np.float32) for a in inputs]
        out32, grads32 = torch_forward_backward(torch_cross(torch, h, pad), as32, g.astype(np.float32), wrt=range(6))
        out64, grads64 = torch_forward_backward(torch_cross(torch, h, pad), [a.astype(np.float64) for a in as32],
                                                g.astype(np.float32).astype(np.float64), wrt=range(6))
        for a, b, r32, r64 in zip(ours, [ref_out, *ref_grads], [out32, *grads32], [out64, *grads64]):
            assert_close(a, b, dtype, scale=np.max(np.abs(r32 - r64)) / eps32)


def error_scales(dtype, x, c, w, g, h, pad) -> list[np.ndarray]:
    """What the rounding errors of (out, dx, dcontext, dw_q, dw_k, dw_v, dw_o) are relative to,
    for ``assert_close`` (|error| <= 8 eps (|ref| + scale)).

    Attention's row-by-row bounds (tests/attention/test_attention.py `bounds`, with the sums of
    |terms| that the projections were computed from) give scales s for the heads' output and for
    dq, dk, dv. A linear map y = u W then carries an error of 8 eps (|u| + s) through |W|, and
    rounds once more by 8 eps |u| |W|: scale (2 |u| + s) |W|, and likewise for the weight
    gradients, sums over batch and positions of (2 |u| + s) times |input|. The magnitudes |u| are
    those of the float64 computation. (A scale measured from PyTorch's own float32 error, as in
    test_multi_head_attention, does not carry over to float64 here: in a saturated row PyTorch's
    float64 dx keeps a rounding residue of ~1e-8 where the exact value is ~1e-45, which float32
    never shows, since its weights underflow to exactly 0.)
    """
    x, c, g = (np.asarray(a, dtype=np.float64) for a in (x, c, g))
    w_q, w_k, w_v, w_o = (np.asarray(a, dtype=np.float64) for a in w)
    n, length, e = x.shape
    d = e // h

    def split(t):
        return t.reshape(t.shape[0], t.shape[1], h, d).transpose(0, 2, 1, 3)

    def merge(t):
        return t.transpose(0, 2, 1, 3).reshape(t.shape[0], t.shape[2], -1)

    q, k, v = split(x @ w_q.T), split(c @ w_k.T), split(c @ w_v.T)
    abs_qkv = (split(np.abs(x) @ np.abs(w_q).T), split(np.abs(c) @ np.abs(w_k).T), split(np.abs(c) @ np.abs(w_v).T))
    mask = None if pad is None else ~pad[:, None, None, :]
    g_heads = split(g @ w_o)
    # the heads' upstream gradient g w_o is itself rounded, by up to 8 eps |g| |w_o|; `bounds`
    # uses only |g|, so passing |g w_o| + |g| |w_o| covers that error in every term it enters
    g_bound = np.abs(g_heads) + split(np.abs(g) @ np.abs(w_o))
    s_out, s_dq, s_dk, s_dv = bounds(dtype, q, k, v, g_bound, mask, False, None, abs_qkv)
    heads = scaled_dot_product_attention(q, k, v, attn_mask=mask)
    dq, dk, dv = scaled_dot_product_attention_backward(g_heads, q, k, v, attn_mask=mask)
    u = [merge(2 * np.abs(t) + np.broadcast_to(s, t.shape))
         for t, s in ((heads, s_out), (dq, s_dq), (dk, s_dk), (dv, s_dv))]
    u_out, u_dq, u_dk, u_dv = u
    return [
        u_out @ np.abs(w_o).T,
        u_dq @ np.abs(w_q),
        u_dk @ np.abs(w_k) + u_dv @ np.abs(w_v),
        np.einsum("nle,nlf->ef", u_dq, np.abs(x)),
        np.einsum("nse,nsf->ef", u_dk, np.abs(c)),
        np.einsum("nse,nsf->ef", u_dv, np.abs(c)),
        np.einsum("nle,nlf->ef", 2 * np.abs(g), u_out),
    ]
