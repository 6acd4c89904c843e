"""skipgram_pairs, skipgram_softmax_loss, cbow_loss and their backwards."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import (
    cbow_loss,
    cbow_loss_backward,
    cross_entropy,
    skipgram_pairs,
    skipgram_softmax_loss,
    skipgram_softmax_loss_backward,
)
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward


def brute_force_pairs(ids, w):
    """The definition, one pair at a time: positions i, j with 1 <= |i - j| <= w."""
    pairs = []
    for i in range(len(ids)):
        for j in range(i - w, i + w + 1):
            if j != i and 0 <= j < len(ids):
                pairs.append((ids[i], ids[j]))
    return pairs


# ---------------------------------------------------------------- hand-checked values
def test_pairs_by_hand() -> None:
    # "a b c" (ids 0 1 2), window 2: a sees b, c; b sees a, c; c sees a, b -- 6 pairs, offset order
    centers, contexts = skipgram_pairs([0, 1, 2], 2)
    assert list(zip(centers.tolist(), contexts.tolist())) == [(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1)]
    # L tokens, window w >= L - 1: every ordered pair of distinct positions, L (L - 1)
    assert len(skipgram_pairs(np.arange(5), 10)[0]) == 20
    # count formula: 2 sum_{d=1}^{w} (L - d) for w < L; L = 10, w = 3: 2 (9 + 8 + 7) = 48
    assert len(skipgram_pairs(np.zeros(10, int), 3)[0]) == 48
    # no pairs from one token or none
    assert skipgram_pairs([4], 3)[0].shape == (0,) and skipgram_pairs(np.array([], int), 1)[1].shape == (0,)


def test_loss_hand_values() -> None:
    # all vectors zero: logits 0 for every word, the loss is log V exactly (V = 5)
    z = np.zeros((5, 3))
    assert math.isclose(skipgram_softmax_loss([0, 3], [1, 1], z, z), math.log(5), rel_tol=1e-15)
    assert math.isclose(cbow_loss([[0, 1], [2, 3]], [4, 0], z, z), math.log(5), rel_tol=1e-15)
    # gradient at zero vectors: dlogits = (1/V - onehot)/N, times W_out = 0: dW_in = 0;
    # dW_out = dlogits.T @ v = 0 as well since v = 0
    d_in, d_out = skipgram_softmax_loss_backward(1.0, [0], [1], z, z)
    assert not d_in.any() and not d_out.any()
    # V = 2, D = 1, v_0 = 2, u = (1, -1): logits (2, -2); the target 1 costs log(1 + e^4)
    w_in, w_out = np.array([[2.0], [0.0]]), np.array([[1.0], [-1.0]])
    assert math.isclose(skipgram_softmax_loss([0], [1], w_in, w_out), math.log1p(math.exp(4)), rel_tol=1e-15)
    # dlogits = (p0, p1 - 1) with p0 = 1/(1 + e^-4): dv_0 = p0 * 1 + (p1 - 1) * (-1) = 2 p0
    p0 = 1 / (1 + math.exp(-4))
    d_in, d_out = skipgram_softmax_loss_backward(1.0, [0], [1], w_in, w_out)
    np.testing.assert_allclose(d_in, [[2 * p0], [0.0]], rtol=1e-15)
    np.testing.assert_allclose(d_out, [[2 * p0], [-2 * p0]], rtol=1e-15)


def test_cbow_with_one_context_is_skipgram_with_roles_swapped() -> None:
    # C = 1: h is the single context vector, predicting the center = skip-gram on (context -> center)
    rng = np.random.default_rng(0)
    w_in, w_out = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    ctx, cen = rng.integers(0, 6, 9), rng.integers(0, 6, 9)
    assert cbow_loss(ctx[:, None], cen, w_in, w_out) == skipgram_softmax_loss(ctx, cen, w_in, w_out)
    for a, b in zip(cbow_loss_backward(1.0, ctx[:, None], cen, w_in, w_out),
                    skipgram_softmax_loss_backward(1.0, ctx, cen, w_in, w_out)):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- properties
@settings(max_examples=60)
@given(st.lists(st.integers(0, 4), max_size=12), st.integers(1, 5))
def test_pairs_match_the_brute_force_definition(ids, w) -> None:
    centers, contexts = skipgram_pairs(np.array(ids, dtype=np.int64), w)
    assert list(zip(centers.tolist(), contexts.tolist())) == brute_force_pairs(ids, w)
    assert centers.dtype == np.int64


@settings(max_examples=40)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(1, 4))
def test_skipgram_is_cross_entropy_and_gradients_conserve_mass(seed, n, c) -> None:
    rng = np.random.default_rng(seed)
    v, d = 7, 3
    w_in, w_out = rng.normal(size=(v, d)), rng.normal(size=(v, d))
    cen, ctx = rng.integers(0, v, n), rng.integers(0, v, n)
    loss = skipgram_softmax_loss(cen, ctx, w_in, w_out)
    assert math.isclose(loss, cross_entropy(w_in[cen] @ w_out.T, ctx), rel_tol=1e-13)
    d_in, d_out = skipgram_softmax_loss_backward(1.0, cen, ctx, w_in, w_out)
    # rows of words that are never a center get nothing
    np.testing.assert_array_equal(d_in[np.setdiff1d(np.arange(v), cen)], 0.0)
    # softmax - onehot sums to 0 per pair: the output gradients sum to 0 over the vocabulary
    np.testing.assert_allclose(d_out.sum(axis=0), 0.0, atol=1e-12)
    # CBOW: the gradient of the average is shared equally by the C contexts: total mass C * dh / C
    ctxs = rng.integers(0, v, (n, c))
    d_in_c, d_out_c = cbow_loss_backward(1.0, ctxs, cen, w_in, w_out)
    np.testing.assert_allclose(d_out_c.sum(axis=0), 0.0, atol=1e-12)
    h = w_in[ctxs].mean(axis=1)
    p = np.exp(h @ w_out.T - (h @ w_out.T).max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(n), cen] -= 1
    np.testing.assert_allclose(d_in_c.sum(axis=0), (p @ w_out).sum(axis=0) / n, atol=1e-12)


# ---------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_up_to_1e4(dtype) -> None:
    rng = np.random.default_rng(3)
    w_in = (rng.normal(size=(6, 4)) * 1e4).clip(-1e4, 1e4).astype(dtype)
    w_out = (rng.normal(size=(6, 4)) * 1e4).clip(-1e4, 1e4).astype(dtype)
    cen, ctx = rng.integers(0, 6, 8), rng.integers(0, 6, 8)
    ctxs = rng.integers(0, 6, (8, 3))
    values = [skipgram_softmax_loss(cen, ctx, w_in, w_out), *skipgram_softmax_loss_backward(1.0, cen, ctx, w_in, w_out),
              cbow_loss(ctxs, cen, w_in, w_out), *cbow_loss_backward(1.0, ctxs, cen, w_in, w_out)]
    for v in values:
        assert v.dtype == dtype and np.all(np.isfinite(v))


def test_nan_in_nan_out() -> None:
    w = np.ones((3, 2))
    w[0, 0] = np.nan
    assert np.isnan(skipgram_softmax_loss([0], [1], w, np.ones((3, 2))))
    assert np.isnan(cbow_loss([[0, 1]], [2], w, np.ones((3, 2))))


# ---------------------------------------------------------------- bad input
def test_rejects_bad_input() -> None:
    w = np.ones((4, 2))
    with pytest.raises(TypeError, match="token_ids must hold integer token ids, got dtype float64"):
        skipgram_pairs([1.0, 2.0], 1)
    with pytest.raises(ValueError, match=r"window_size must be an integer >= 1, got 0"):
        skipgram_pairs([1, 2], 0)
    with pytest.raises(ValueError, match=r"token_ids must be a 1-D sequence of token ids, got shape \(1, 2\)"):
        skipgram_pairs([[1, 2]], 1)
    with pytest.raises(ValueError, match=r"W_out must have the shape of W_in \(V, D\) = \(4, 2\), got \(4, 3\)"):
        skipgram_softmax_loss([0], [1], w, np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"context contains class index 4, outside the valid range \[0, 3\]"):
        skipgram_softmax_loss([0], [4], w, w)
    with pytest.raises(ValueError, match=r"center and context must be non-empty 1-D arrays of one shape \(N,\), got \(2,\) and \(1,\)"):
        skipgram_softmax_loss([0, 1], [1], w, w)
    with pytest.raises(ValueError, match=r"contexts must be a non-empty 2-D array \(N, C\) and center 1-D \(N,\), got \(2,\) and \(1,\)"):
        cbow_loss([0, 1], [1], w, w)
    with pytest.raises(TypeError, match="W_in must be real-valued"):
        cbow_loss([[0]], [1], w * 1j, w)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(\)"):
        cbow_loss_backward(np.ones(1), [[0]], [1], w, w)


# ---------------------------------------------------------------- PyTorch
def _inputs(dtype, extreme):
    rng = np.random.default_rng(17)
    v, d, n = 15, 6, 40
    w_in, w_out = rng.normal(size=(v, d)), rng.normal(size=(v, d))
    if extreme:
        w_in[:, 0], w_out[:, 1] = EXTREMES / 100, EXTREMES[::-1] / 100   # logits up to ~1e4
    return rng.integers(0, v, n), rng.integers(0, v, n), rng.integers(0, v, (n, 4)), w_in.astype(dtype), w_out.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("extreme", [False, True], ids=["random", "extreme"])
def test_skipgram_matches_torch(dtype, extreme) -> None:
    torch = require("torch")
    F = torch.nn.functional
    cen, ctx, _, w_in, w_out = _inputs(dtype, extreme)

    def f(a, b):
        return F.cross_entropy(a[torch.from_numpy(cen)] @ b.T, torch.from_numpy(ctx))

    ref, (g_in, g_out) = torch_forward_backward(f, [w_in, w_out], np.array(1.7), wrt=[0, 1])
    # logits are dot products of D terms, each exact to eps |u||v|; the loss is a difference of a
    # logsumexp and a logit, so its error is ~ D eps times the largest |logit| (S)
    s = float(np.max(np.abs(w_in[cen].astype(np.float64) @ w_out.T.astype(np.float64))))
    assert_matches(skipgram_softmax_loss(cen, ctx, w_in, w_out), ref, dtype, ulps=4 * w_in.shape[1], scale=s)
    d_in, d_out = skipgram_softmax_loss_backward(1.7, cen, ctx, w_in, w_out)
    # softmax probabilities carry the logits' absolute error eps D S as a relative one; a gradient
    # row sums N such terms times |W|: compare in units of 1.7 * max|W| * (1 + S)
    w_max = float(max(np.abs(w_in).max(), np.abs(w_out).max()))
    assert_matches(d_in, g_in, dtype, ulps=8 * w_in.shape[1], scale=1.7 * w_max * (1 + s))
    assert_matches(d_out, g_out, dtype, ulps=8 * w_in.shape[1], scale=1.7 * w_max * (1 + s))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("extreme", [False, True], ids=["random", "extreme"])
def test_cbow_matches_torch(dtype, extreme) -> None:
    torch = require("torch")
    F = torch.nn.functional
    cen, _, ctxs, w_in, w_out = _inputs(dtype, extreme)

    def f(a, b):
        h = a[torch.from_numpy(ctxs)].mean(dim=1)
        return F.cross_entropy(h @ b.T, torch.from_numpy(cen))

    ref, (g_in, g_out) = torch_forward_backward(f, [w_in, w_out], np.array(0.6), wrt=[0, 1])
    h = w_in[ctxs].astype(np.float64).mean(axis=1)
    s = float(np.max(np.abs(h @ w_out.T.astype(np.float64))))
    assert_matches(cbow_loss(ctxs, cen, w_in, w_out), ref, dtype, ulps=4 * w_in.shape[1], scale=s)
    d_in, d_out = cbow_loss_backward(0.6, ctxs, cen, w_in, w_out)
    w_max = float(max(np.abs(w_in).max(), np.abs(w_out).max()))
    assert_matches(d_in, g_in, dtype, ulps=8 * w_in.shape[1], scale=0.6 * w_max * (1 + s))
    assert_matches(d_out, g_out, dtype, ulps=8 * w_in.shape[1], scale=0.6 * w_max * (1 + s))
