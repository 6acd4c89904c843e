"""additive_attention and its backward: hand values, properties, stability, bad input, and the same
expression in torch (torch.tanh, torch.softmax, autograd), values and gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import additive_attention, additive_attention_backward
from tests.attention.test_attention import assert_close
from tests.reference import DTYPES, EXTREMES, require, torch_forward_backward

add, add_backward = additive_attention, additive_attention_backward


def problem(rng, n=2, lq=3, s=4, dq=3, dk=2, dv=2, h=5, dtype=np.float64):
    shapes = [(n, lq, dq), (n, s, dk), (n, s, dv), (h, dq), (h, dk), (1, h)]
    return [rng.normal(size=sh).astype(dtype) for sh in shapes]


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_scores() -> None:
    # h = 1, all weights 1: scores tanh(q + k_j). q = 0, keys (0, atanh(1/2)): scores (0, 1/2),
    # weights (1, e^(1/2)) / (1 + e^(1/2)); values (0, 10) -> 10 e^0.5 / (1 + e^0.5)
    w = [[1.0]]
    out = add([[[0.0]]], [[[0.0], [math.atanh(0.5)]]], [[[0.0], [10.0]]], w, w, w)
    np.testing.assert_allclose(out, [[[10 * math.exp(0.5) / (1 + math.exp(0.5))]]], rtol=1e-15)
    # two hidden units with output weights (1, -1) and equal projections cancel: all scores 0,
    # so the output is the mean of the values, whatever the query and keys
    w2 = np.ones((2, 1))
    out = add([[[3.0]]], [[[-1.0], [2.0], [5.0]]], [[[1.0], [2.0], [6.0]]], w2, w2, [[1.0, -1.0]])
    np.testing.assert_allclose(out, [[[3.0]]], rtol=1e-15)


def test_valid_lens_per_sequence_and_per_query() -> None:
    rng = np.random.default_rng(0)
    q, k, v, *w = problem(rng)
    # valid_lens (N,): keys beyond are ignored, so they can be anything
    out = add(q, k, v, *w, valid_lens=[2, 4])
    np.testing.assert_array_equal(out[0], add(q[:1], k[:1, :2], v[:1, :2], *w)[0])
    # (N, Lq): one length per query; 0 gives 0 (a query that may see no key)
    out = add(q, k, v, *w, valid_lens=[[1, 0, 4], [4, 4, 4]])
    np.testing.assert_array_equal(out[0, 1], 0.0)
    np.testing.assert_allclose(out[0, 0], v[0, 0], rtol=1e-15)  # one key: weight 1


# ---------------------------------------------------------------- properties
@st.composite
def problems(draw, elements=st.floats(-5, 5)):
    n, lq, s, dq, dk, dv, h = (draw(st.integers(1, 3)) for _ in range(7))
    shapes = [(n, lq, dq), (n, s, dk), (n, s, dv), (h, dq), (h, dk), (1, h)]
    arrays_ = [draw(arrays(np.float64, sh, elements=elements)) for sh in shapes]
    lens = draw(arrays(np.int64, (n,), elements=st.integers(0, s)))
    return arrays_, lens


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(problems(), st.randoms(use_true_random=False))
def test_permuting_keys_with_values_changes_nothing(prob, random) -> None:
    (q, k, v, *w), _ = prob
    perm = np.array(random.sample(range(k.shape[1]), k.shape[1]))
    # the same terms summed in another order: scores |s| <= sum |w_v| <= 15, values <= 5
    np.testing.assert_allclose(add(q, k[:, perm], v[:, perm], *w), add(q, k, v, *w), rtol=1e-12, atol=1e-12)


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(problems())
def test_outputs_are_convex_combinations_of_the_visible_values(prob) -> None:
    (q, k, v, *w), lens = prob
    out = add(q, k, v, *w, valid_lens=lens)
    for b in range(len(lens)):
        if lens[b] == 0:
            np.testing.assert_array_equal(out[b], 0.0)
            continue
        lo, hi = v[b, : lens[b]].min(axis=0), v[b, : lens[b]].max(axis=0)
        assert np.all(out[b] >= lo - 1e-12) and np.all(out[b] <= hi + 1e-12)


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(problems())
def test_masked_keys_get_no_gradient(prob) -> None:
    (q, k, v, *w), lens = prob
    grads = add_backward(np.ones((q.shape[0], q.shape[1], v.shape[2])), q, k, v, *w, valid_lens=lens)
    hidden = np.arange(k.shape[1])[None, :] >= lens[:, None]
    np.testing.assert_array_equal(grads[1][hidden], 0.0)
    np.testing.assert_array_equal(grads[2][hidden], 0.0)


def test_dtypes() -> None:
    rng = np.random.default_rng(1)
    args = problem(rng, dtype=np.float32)
    assert add(*args).dtype == np.float32
    assert all(g.dtype == np.float32 for g in add_backward(np.ones((2, 3, 2), np.float32), *args))
    assert add(args[0].astype(np.float64), *args[1:]).dtype == np.float64
    ones = [np.ones(a.shape, dtype=int) for a in args]
    assert add(*ones).dtype == np.float64


# ---------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", DTYPES)
@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(q=arrays(np.float64, (2, 3, 3), elements=st.floats(-1e4, 1e4)),
       k=arrays(np.float64, (2, 4, 2), elements=st.floats(-1e4, 1e4)))
def test_stable_up_to_1e4(dtype, q, k) -> None:
    # tanh saturates: scores stay within sum |w_v|, the softmax cannot overflow
    rng = np.random.default_rng(4)
    _, _, v, *w = problem(rng, dtype=dtype)
    q, k = q.astype(dtype), k.astype(dtype)
    for r in (add(q, k, v, *w), *add_backward(np.ones((2, 3, 2), dtype), q, k, v, *w, valid_lens=[1, 3])):
        assert r.dtype == dtype and np.all(np.isfinite(r))


def test_nan_in_nan_out() -> None:
    rng = np.random.default_rng(5)
    q, k, v, *w = problem(rng)
    q[0, 1, 0] = np.nan
    out = add(q, k, v, *w)
    assert np.all(np.isnan(out[0, 1])) and np.all(np.isfinite(out[0, [0, 2]])) and np.all(np.isfinite(out[1]))


# ---------------------------------------------------------------- bad input
def test_rejects_bad_arguments() -> None:
    rng = np.random.default_rng(6)
    q, k, v, wq, wk, wv = problem(rng)
    with pytest.raises(ValueError, match=r"queries must be a 3-D array \(N, Lq, Dq\), got shape \(3, 3\)"):
        add(q[0], k, v, wq, wk, wv)
    with pytest.raises(ValueError, match=r"keys must have shape \(N, S, Dk\) with N = 2 as in queries, got \(1, 4, 2\)"):
        add(q, k[:1], v, wq, wk, wv)
    with pytest.raises(ValueError, match=r"values must have shape \(N, S, Dv\) with \(N, S\) = \(2, 4\) as in keys, got \(2, 3, 2\)"):
        add(q, k, v[:, :3], wq, wk, wv)
    with pytest.raises(ValueError, match=r"w_q must have shape \(h, Dq\) = \(5, 3\) for Dq = 3 \(queries\), got \(5, 2\)"):
        add(q, k, v, wk, wk, wv)
    with pytest.raises(ValueError, match=r"w_k must have shape \(h, Dk\) = \(5, 2\) .* got \(5, 3\)"):
        add(q, k, v, wq, wq, wv)
    with pytest.raises(ValueError, match=r"w_v must have shape \(1, h\) = \(1, 5\) for h = 5 \(w_q\), got \(5,\)"):
        add(q, k, v, wq, wk, wv[0])
    with pytest.raises(ValueError, match=r"valid_lens must have shape \(N,\) = \(2,\) or \(N, Lq\) = \(2, 3\), got \(3,\)"):
        add(q, k, v, wq, wk, wv, valid_lens=[1, 2, 3])
    with pytest.raises(ValueError, match=r"valid_lens must be >= 0, got -1"):
        add(q, k, v, wq, wk, wv, valid_lens=[-1, 2])
    with pytest.raises(ValueError, match=r"valid_lens"):
        add(q, k, v, wq, wk, wv, valid_lens=[1.5, 2])
    with pytest.raises(TypeError, match="w_v must be real-valued"):
        add(q, k, v, wq, wk, wv * 1j)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2, 3, 2\), got shape \(2, 3, 3\)"):
        add_backward(q, q, k, v, wq, wk, wv)


# ---------------------------------------------------------------- PyTorch
def torch_additive(torch, valid_lens):
    """The same expression in torch: tanh of the broadcast sum, masked softmax, weighted values."""
    def f(q, k, v, w_q, w_k, w_v):
        t = torch.tanh((q @ w_q.T).unsqueeze(2) + (k @ w_k.T).unsqueeze(1))
        scores = (t @ w_v.T).squeeze(-1)
        if valid_lens is not None:
            allowed = torch.arange(k.shape[1])[None, None, :] < torch.tensor(valid_lens)[:, None, None]
            scores = scores.masked_fill(~allowed, float("-inf"))
        return torch.softmax(scores, dim=-1) @ v
    return f


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("magnitude", ["random", "extreme"])
def test_matches_torch_autograd(dtype, masked, magnitude) -> None:
    torch = require("torch")
    rng = np.random.default_rng(7)
    args = problem(rng, n=3, lq=4, s=6, dq=5, dk=3, dv=4, h=8)
    if magnitude == "extreme":  # saturated tanh units; scores stay within sum |w_v|
        args[0][0, 1, :5], args[1][1, 2, :3], args[2][2, 0, :4] = EXTREMES[:5], EXTREMES[-3:], EXTREMES[5:9]
    args = [a.astype(dtype) for a in args]
    g = rng.normal(size=(3, 4, 4)).astype(dtype)
    lens = [2, 6, 4] if masked else None
    ref, ref_grads = torch_forward_backward(torch_additive(torch, lens), args, g, wrt=range(6))
    # scores are bounded by sum |w_v| (tanh), so the softmax is well conditioned: the tolerance is
    # 8 times PyTorch's own float32 error (its float32 result minus its float64 result on the same
    # float32 inputs), per array, rescaled to the dtype, as in test_cross_attention
    eps32 = np.finfo(np.float32).eps
    as32 = [a.astype(np.float32) for a in args]
    r32, g32 = torch_forward_backward(torch_additive(torch, lens), as32, g.astype(np.float32), wrt=range(6))
    r64, g64 = torch_forward_backward(torch_additive(torch, lens), [a.astype(np.float64) for a in as32],
                                      g.astype(np.float32).astype(np.float64), wrt=range(6))
    assert_close(add(*args, valid_lens=lens), ref, dtype, scale=np.max(np.abs(r32 - r64)) / eps32)
    for a, b, s32, s64 in zip(add_backward(g, *args, valid_lens=lens), ref_grads, g32, g64):
        assert_close(a, b, dtype, scale=np.max(np.abs(s32 - s64)) / eps32)
