"""decode_step and its backward (KV cache): hand values, token-by-token decoding against causal
attention on the whole sequence, stability, bad input, and torch
(F.scaled_dot_product_attention(is_causal=True) on the full sequence; autograd of one step)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import (
    decode_step,
    decode_step_backward,
    scaled_dot_product_attention,
    scaled_dot_product_attention_backward,
)
from tests.attention.test_attention import assert_close, bounds
from tests.reference import DTYPES, EXTREMES, require, torch_forward_backward


def weights(rng, e, dtype=np.float64, scale=None):
    """w_q, w_k, w_v, w_o, each (E, E), entries of size ~1/sqrt(E) unless ``scale`` is given."""
    return [(rng.normal(size=(e, e)) * (1 / math.sqrt(e) if scale is None else scale)).astype(dtype) for _ in range(4)]


def empty(n, h, d, dtype=np.float64):
    return np.zeros((n, h, 0, d), dtype=dtype), np.zeros((n, h, 0, d), dtype=dtype)


def decode(x, w, h):
    """Feed x (N, L, E) one position at a time from empty caches; the outputs (N, L, E) and caches."""
    n, length, e = x.shape
    k, v = empty(n, h, e // h, x.dtype)
    outs = []
    for t in range(length):
        out, k, v = decode_step(x[:, t], k, v, *w, h)
        outs.append(out)
    return (np.stack(outs, axis=1) if outs else np.zeros((n, 0, e), x.dtype)), k, v


def full_causal(x, w, h):
    """Causal multi-head self-attention over the whole sequence, with the same weights."""
    w_q, w_k, w_v, w_o = w
    n, length, e = x.shape

    def split(t):
        return t.reshape(n, length, h, e // h).transpose(0, 2, 1, 3)

    out = scaled_dot_product_attention(split(x @ w_q.T), split(x @ w_k.T), split(x @ w_v.T), is_causal=True)
    return out.transpose(0, 2, 1, 3).reshape(n, length, e) @ w_o.T


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_three_steps() -> None:
    # E = 1, H = 1, identity weights: key = value = query = the token, scale 1/sqrt(1) = 1.
    # step 0, token 0: only itself -> 0. step 1, token ln 3: keys (0, ln 3), scores (0, ln^2 3)
    # -> weights (1, 3^ln 3) / (1 + 3^ln 3), out = ln 3 * 3^ln 3 / (1 + 3^ln 3).
    # step 2, token 0: query 0 -> uniform over (0, ln 3, 0) -> ln 3 / 3
    w = [np.ones((1, 1))] * 4
    r = 3 ** math.log(3)
    out, _, _ = decode(np.array([[[0.0], [math.log(3)], [0.0]]]), w, 1)
    np.testing.assert_allclose(out.ravel(), [0.0, math.log(3) * r / (1 + r), math.log(3) / 3], rtol=1e-15)


def test_the_first_step_returns_its_own_value() -> None:
    # with an empty cache the only position is the token itself: weight 1, out = x w_v^T w_o^T
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(3, 4)), weights(rng, 4)
    out, k, v = decode_step(x, *empty(3, 2, 2), *w, 2)
    np.testing.assert_allclose(out, x @ w[2].T @ w[3].T, rtol=1e-14, atol=1e-15)
    assert k.shape == v.shape == (3, 2, 1, 2)
    np.testing.assert_array_equal(k.reshape(3, 4), x @ w[1].T)  # head h's slice of the key


# ---------------------------------------------------------------- properties
@st.composite
def sequences(draw, elements=st.floats(-5, 5)):
    h, d = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    n, length = draw(st.integers(1, 2)), draw(st.integers(1, 5))
    e = h * d
    x = draw(arrays(np.float64, (n, length, e), elements=elements))
    w = [draw(arrays(np.float64, (e, e), elements=elements)) for _ in range(4)]
    return h, x, w


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(sequences())
def test_decoding_token_by_token_equals_causal_attention_on_the_sequence(problem) -> None:
    # the definition of the cache: same projections, same scores, same sums (per row), only
    # computed row by row; inputs <= 5 and weights <= 5 keep intermediates below ~1e4
    h, x, w = problem
    out, k, v = decode(x, w, h)
    np.testing.assert_allclose(out, full_causal(x, w, h), rtol=1e-12, atol=1e-9)
    # the final caches hold every position's key and value, head by head
    n, length, e = x.shape
    # (one row at a time or all rows in one product: BLAS may sum the E <= 6 terms of size <= 25
    # in another order, a few roundings of ~100)
    np.testing.assert_allclose(k, (x @ w[1].T).reshape(n, length, h, e // h).transpose(0, 2, 1, 3), rtol=1e-14, atol=1e-13)


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(sequences(), st.data())
def test_the_backward_of_the_last_step_is_attention_s(problem, data) -> None:
    # with no upstream gradient for the returned caches, the cache gradients are attention's
    # dk, dv for the cached positions of the one query row
    h, x, w = problem
    n, length, e = x.shape
    _, k, v = decode(x[:, :-1], w, h)
    g = data.draw(arrays(np.float64, (n, e), elements=st.floats(-5, 5)))
    zeros = np.zeros((n, h, length, e // h))
    dx, dk, dv, *_ = decode_step_backward(g, zeros, zeros, x[:, -1], k, v, *w, h)
    q = (x[:, -1] @ w[0].T).reshape(n, h, 1, e // h)
    k_all = np.concatenate([k, (x[:, -1] @ w[1].T).reshape(n, h, 1, e // h)], axis=2)
    v_all = np.concatenate([v, (x[:, -1] @ w[2].T).reshape(n, h, 1, e // h)], axis=2)
    _, rk, rv = scaled_dot_product_attention_backward((g @ w[3]).reshape(n, h, 1, e // h), q, k_all, v_all)
    np.testing.assert_array_equal(dk, rk[:, :, :-1])
    np.testing.assert_array_equal(dv, rv[:, :, :-1])


def test_inputs_are_not_modified_and_dtypes() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 4)).astype(np.float32)
    w = weights(rng, 4, np.float32)
    k, v = rng.normal(size=(2, 2, 3, 2)).astype(np.float32), rng.normal(size=(2, 2, 3, 2)).astype(np.float32)
    k.setflags(write=False)
    out, k2, v2 = decode_step(x, k, v, *w, 2)
    assert out.dtype == k2.dtype == v2.dtype == np.float32 and k2.shape == (2, 2, 4, 2)
    np.testing.assert_array_equal(k2[:, :, :3], k)  # the old cache is copied, not overwritten
    assert decode_step(x.astype(np.float64), k, v, *w, 2)[0].dtype == np.float64
    assert decode_step(np.ones((1, 1), int), np.ones((1, 1, 1, 1), int), np.ones((1, 1, 1, 1), int),
                       *[np.ones((1, 1), int)] * 4, 1)[0].dtype == np.float64


# ---------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", DTYPES)
@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(x=arrays(np.float64, (2, 4, 4), elements=st.floats(-1e4, 1e4)))
def test_stable_up_to_1e4(dtype, x) -> None:
    w = weights(np.random.default_rng(4), 4, dtype, scale=1.0)
    x = x.astype(dtype)
    out, k, v = decode(x, w, 2)
    assert out.dtype == dtype and np.all(np.isfinite(out)) and np.all(np.isfinite(k))
    g = np.ones((2, 4), dtype)
    grads = decode_step_backward(g, np.ones(k.shape, dtype), np.ones(v.shape, dtype), x[:, -1], k[:, :, :-1], v[:, :, :-1], *w, 2)
    assert all(r.dtype == dtype and np.all(np.isfinite(r)) for r in grads)


def test_nan_in_the_cache_spoils_its_sequence_only() -> None:
    rng = np.random.default_rng(5)
    x, w = rng.normal(size=(2, 4)), weights(rng, 4)
    k, v = rng.normal(size=(2, 2, 3, 2)), rng.normal(size=(2, 2, 3, 2))
    v[0, 1, 2, 0] = np.nan  # a NaN value of head 1 in sequence 0: mixed into that head's output
    out, _, _ = decode_step(x, k, v, *w, 2)
    assert np.all(np.isnan(out[0])) and np.all(np.isfinite(out[1]))  # w_o mixes the heads


# ---------------------------------------------------------------- bad input
def test_rejects_bad_shapes_and_types() -> None:
    rng = np.random.default_rng(6)
    x, w = rng.normal(size=(2, 4)), weights(rng, 4)
    k = np.zeros((2, 2, 3, 2))
    with pytest.raises(ValueError, match=r"x_t must be a 2-D array \(N, E\): one new token per sequence, got shape \(2, 1, 4\)"):
        decode_step(x[:, None], k, k, *w, 2)
    with pytest.raises(ValueError, match=r"num_heads must be a positive divisor of the embedding size E = 4, got 3"):
        decode_step(x, k, k, *w, 3)
    with pytest.raises(TypeError, match=r"num_heads must be an integer, got float"):
        decode_step(x, k, k, *w, 2.0)
    with pytest.raises(ValueError, match=r"k_cache must have shape \(N, H, T, E/H\) with N = 2, H = 2, E/H = 2, got \(2, 4, 3, 1\)"):
        decode_step(x, k.reshape(2, 4, 3, 1), k, *w, 2)
    with pytest.raises(ValueError, match=r"v_cache must have shape \(N, H, T, E/H\) = \(2, 2, 3, 2\) for the shape of k_cache, got \(2, 2, 2, 2\)"):
        decode_step(x, k, k[:, :, :2], *w, 2)
    with pytest.raises(ValueError, match=r"w_o must have shape \(E, E\) = \(4, 4\) for E = 4, got \(4, 3\)"):
        decode_step(x, k, k, *w[:3], w[3][:, :3], 2)
    with pytest.raises(TypeError, match="w_k must be real-valued"):
        decode_step(x, k, k, w[0], w[1] * 1j, w[2], w[3], 2)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2, 2, 4, 2\), got shape \(2, 2, 3, 2\)"):
        decode_step_backward(x, k, k, x, k, k, *w, 2)


# ---------------------------------------------------------------- PyTorch
def torch_decode_step(torch, h):
    """The same step in torch, its three outputs flattened into one vector for autograd."""
    def step(x, k_cache, v_cache, w_q, w_k, w_v, w_o):
        n, e = x.shape
        heads = lambda t: t.reshape(n, h, 1, e // h)  # noqa: E731
        k = torch.cat([k_cache, heads(x @ w_k.T)], dim=2)
        v = torch.cat([v_cache, heads(x @ w_v.T)], dim=2)
        out = torch.nn.functional.scaled_dot_product_attention(heads(x @ w_q.T), k, v).reshape(n, e) @ w_o.T
        return torch.cat([out.flatten(), k.flatten(), v.flatten()])
    return step


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("magnitude", ["random", "extreme"])
def test_token_by_token_matches_torch_causal_attention_on_the_full_sequence(dtype, magnitude) -> None:
    torch = require("torch")
    rng = np.random.default_rng(7)
    n, length, e, h = 2, 6, 8, 2
    x = rng.normal(size=(n, length, e))
    if magnitude == "extreme":  # tokens up to +-1e4: scores up to ~1e8, saturated rows
        x[0, 2, :5], x[1, 4, :5] = EXTREMES[:5], EXTREMES[-5:]
    x = x.astype(dtype)
    w = weights(rng, e, dtype)
    out, _, _ = decode(x, w, h)

    def reference(tx, wq, wk, wv, wo):
        def split(t):
            return t.reshape(n, length, h, e // h).transpose(1, 2)
        att = torch.nn.functional.scaled_dot_product_attention(split(tx @ wq.T), split(tx @ wk.T), split(tx @ wv.T), is_causal=True)
        return att.transpose(1, 2).reshape(n, length, e) @ wo.T

    ref = reference(*(torch.tensor(a) for a in (x, *w))).numpy()
    # Row t of the decoded output is one query row of the causal attention: attention's row
    # bounds (tests/attention/test_attention.py `bounds`) with the projections' |terms|, carried
    # through w_o: (2 |head output| + s) |w_o| (its error, and one more rounding of the product)
    scale = output_scale(dtype, x, w, h)
    assert_close(out, ref, dtype, scale=scale)


def output_scale(dtype, x, w, h):
    w_q, w_k, w_v, w_o = (np.asarray(a, dtype=np.float64) for a in w)
    x = np.asarray(x, dtype=np.float64)
    n, length, e = x.shape

    def split(t):
        return t.reshape(n, length, h, e // h).transpose(0, 2, 1, 3)

    q, k, v = split(x @ w_q.T), split(x @ w_k.T), split(x @ w_v.T)
    abs_qkv = tuple(split(np.abs(x) @ np.abs(m).T) for m in (w_q, w_k, w_v))
    s_out = bounds(dtype, q, k, v, np.ones(q.shape), None, True, None, abs_qkv)[0]
    att = scaled_dot_product_attention(q, k, v, is_causal=True)
    u = (2 * np.abs(att) + s_out).transpose(0, 2, 1, 3).reshape(n, length, e)
    return u @ np.abs(w_o).T


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("magnitude", ["random", "extreme"])
def test_one_step_matches_torch_autograd(dtype, magnitude) -> None:
    torch = require("torch")
    rng = np.random.default_rng(8)
    n, t, e, h = 2, 4, 8, 2
    x, w = rng.normal(size=(n, e)), weights(rng, e)
    k, v = rng.normal(size=(n, h, t, e // h)), rng.normal(size=(n, h, t, e // h))
    if magnitude == "extreme":
        x[0, :5], k[1, 0, 2, :4], v[0, 1, 1, :4] = EXTREMES[:5], EXTREMES[-4:], EXTREMES[4:8]
    x, k, v, w = x.astype(dtype), k.astype(dtype), v.astype(dtype), [a.astype(dtype) for a in w]
    g = [rng.normal(size=s).astype(dtype) for s in ((n, e), (n, h, t + 1, e // h), (n, h, t + 1, e // h))]
    inputs = [x, k, v, *w]
    flat_g = np.concatenate([a.ravel() for a in g])
    ref, ref_grads = torch_forward_backward(torch_decode_step(torch, h), inputs, flat_g, wrt=range(7))
    out, k2, v2 = decode_step(*inputs, h)
    # the caches are copies plus one projection; the output and all gradients are held to 8
    # times PyTorch's own float32 error (its float32 result minus its float64 result on the same
    # float32 inputs), rescaled to the dtype, as in test_cross_attention's ordinary inputs; a
    # saturated row (the extreme case) makes the attention weights exact, so the same measure
    # still applies there (checked: the largest ratio to it is below 1)
    as32 = [a.astype(np.float32) for a in inputs]
    r32, g32 = torch_forward_backward(torch_decode_step(torch, h), as32, flat_g.astype(np.float32), wrt=range(7))
    r64, g64 = torch_forward_backward(torch_decode_step(torch, h), [a.astype(np.float64) for a in as32],
                                      flat_g.astype(np.float32).astype(np.float64), wrt=range(7))
    eps32 = np.finfo(np.float32).eps
    ours_flat = np.concatenate([out.ravel(), k2.ravel(), v2.ravel()])
    assert_close(ours_flat, ref, dtype, scale=np.max(np.abs(r32 - r64)) / eps32)
    for a, b, s32, s64 in zip(decode_step_backward(*g, *inputs, h), ref_grads, g32, g64):
        assert_close(a, b, dtype, scale=np.max(np.abs(s32 - s64)) / eps32)


def test_first_step_gradients_match_finite_differences() -> None:
    # T = 0 (empty caches) is not in tests/attention/cases.py: the generic dtype test passes
    # arguments as nested lists, and an empty (N, H, 0, d) array does not survive that round trip
    from tests.gradcheck import check_gradient

    rng = np.random.default_rng(9)
    x, w = rng.normal(size=(2, 4)), weights(rng, 4)
    k, v = empty(2, 2, 2)
    check_gradient(decode_step, decode_step_backward, [x, k, v, *w], wrt=range(7), kwargs={"num_heads": 2})
