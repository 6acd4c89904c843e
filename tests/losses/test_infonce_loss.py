"""info_nce, clip_loss and their backwards."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import clip_loss, clip_loss_backward, cross_entropy, info_nce, info_nce_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)


# ---------------------------------------------------------------- hand-checked values
def test_hand_values() -> None:
    # q = keys = I (2x2), T = 1: each row's logits are (1, 0) with the positive first: log(1 + e^-1)
    eye = np.eye(2)
    assert math.isclose(info_nce(eye, eye, temperature=1.0), math.log1p(math.exp(-1)), rel_tol=1e-14)
    # lengths do not matter (normalised): scaled keys give the same loss
    assert math.isclose(info_nce(3 * eye, 0.5 * eye, temperature=1.0), math.log1p(math.exp(-1)), rel_tol=1e-14)
    # explicit shared negatives: keys (1, 0) positive, negatives (0, 1) and (-1, 0): logits (1, 0, -1) / T
    q = np.array([[1.0, 0.0]])
    neg = np.array([[0.0, 1.0], [-1.0, 0.0]])
    expected = -math.log(math.e / (math.e + 1 + math.exp(-1)))
    assert math.isclose(info_nce(q, q, neg, temperature=1.0), expected, rel_tol=1e-14)
    # the same negatives given per query (N, M, D)
    assert math.isclose(info_nce(q, q, neg[None], temperature=1.0), expected, rel_tol=1e-14)
    # CLIP with identical, orthogonal pairs: both directions log(1 + e^-1/T)
    assert math.isclose(clip_loss(eye, eye, temperature=0.5), math.log1p(math.exp(-2)), rel_tol=1e-14)


def test_in_batch_info_nce_is_cross_entropy_of_the_similarity_matrix() -> None:
    rng = np.random.default_rng(0)
    q, k = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    qn, kn = q / np.linalg.norm(q, axis=1, keepdims=True), k / np.linalg.norm(k, axis=1, keepdims=True)
    s = qn @ kn.T / 0.2
    assert math.isclose(info_nce(q, k, temperature=0.2), cross_entropy(s, np.arange(5)), rel_tol=1e-13)
    # and CLIP is the mean of that and the transposed problem
    both = (cross_entropy(s, np.arange(5)) + cross_entropy(s.T, np.arange(5))) / 2
    assert math.isclose(clip_loss(q, k, temperature=0.2), both, rel_tol=1e-13)


def test_zero_vectors_stay_finite() -> None:
    # F.normalize maps a zero vector to zero (its norm is floored at 1e-12): row 0's logits are
    # (0, 0), a loss of log 2; row 1, q = (1, 0) against keys (1, 0), (0, 1) with its positive
    # second: logits (1, 0), a loss of log(1 + e)
    q = np.array([[0.0, 0.0], [1.0, 0.0]])
    out = info_nce(q, np.eye(2), temperature=1.0)
    assert math.isclose(out, (math.log(2) + math.log1p(math.e)) / 2, rel_tol=1e-14)
    assert all(np.all(np.isfinite(g)) for g in info_nce_backward(1.0, q, np.eye(2), temperature=1.0))


# ---------------------------------------------------------------- properties
@st.composite
def embeddings(draw, elements=st.floats(-10, 10)):
    n, d = draw(st.integers(1, 5)), draw(st.integers(2, 5))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    scale = draw(elements.filter(lambda v: abs(v) > 0.1))
    return rng.normal(size=(n, d)) * scale, rng.normal(size=(n, d)), rng.normal(size=(3, d))


@settings(max_examples=50)
@given(embeddings(), st.floats(0.05, 2.0))
def test_scale_invariance_and_gradients_orthogonal(data, tau) -> None:
    q, k, neg = data
    # multiplying any embedding by a positive number changes nothing, so its gradient is orthogonal to it
    assert math.isclose(info_nce(q, k, neg, temperature=tau), info_nce(7 * q, k, 0.1 * neg, temperature=tau),
                        rel_tol=1e-9, abs_tol=1e-12)
    for x, g in zip((q, k, neg), info_nce_backward(1.0, q, k, neg, temperature=tau)):
        np.testing.assert_allclose(np.sum(x * g, axis=-1), 0, atol=1e-9 * (1 + np.abs(g).max() * np.abs(x).max()))
    for x, g in zip((q, k), clip_loss_backward(1.0, q, k, temperature=tau)):
        np.testing.assert_allclose(np.sum(x * g, axis=-1), 0, atol=1e-9 * (1 + np.abs(g).max() * np.abs(x).max()))


@settings(max_examples=50)
@given(embeddings(), st.floats(0.05, 2.0))
def test_bounded_by_log_of_the_number_of_keys_plus_the_range(data, tau) -> None:
    # logits lie in [-1/T, 1/T]: the loss lies between log(1 + (K - 1) e^-2/T) and log(K) + 2/T
    q, k, _ = data
    n = len(q)
    out = info_nce(q, k, temperature=tau)
    assert math.log1p((n - 1) * math.exp(-2 / tau)) - 1e-12 <= out <= math.log(n) + 2 / tau + 1e-12


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=embeddings(elements=finite), tau=st.sampled_from([0.01, 0.07, 1.0]))
def test_stable_up_to_1e4(dtype, data, tau) -> None:
    q, k, neg = (a.astype(dtype) for a in data)
    values = [info_nce(q, k, neg, temperature=tau), *info_nce_backward(1.0, q, k, neg, temperature=tau),
              clip_loss(q, k, temperature=tau), *clip_loss_backward(1.0, q, k, temperature=tau)]
    for v in values:
        assert v.dtype == dtype and np.all(np.isfinite(v))


def test_nan_in_nan_out() -> None:
    q = np.array([[np.nan, 0.0], [1.0, 0.0]])
    assert np.isnan(info_nce(q, np.eye(2)))
    assert np.isnan(clip_loss(q, np.eye(2)))


# ---------------------------------------------------------------- bad input
def test_rejects_bad_input() -> None:
    q = np.ones((2, 3))
    with pytest.raises(ValueError, match=r"positive_key must have shape \(N, D\) = \(2, 3\) for query of shape \(2, 3\), got \(2, 2\)"):
        info_nce(q, np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"negative_keys must have shape \(M, D\) or \(N, M, D\) with D = 3, N = 2, got \(4, 2\)"):
        info_nce(q, q, np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"query must be a non-empty 2-D array \(N, D\), got shape \(3,\)"):
        info_nce(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match=r"temperature must be a finite number > 0, got 0"):
        info_nce(q, q, temperature=0)
    with pytest.raises(ValueError, match=r"text_emb must have shape \(N, D\) = \(2, 3\)"):
        clip_loss(q, np.ones((3, 3)))
    with pytest.raises(TypeError, match="image_emb must be real-valued"):
        clip_loss(q.astype(complex), q)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(\)"):
        clip_loss_backward(np.ones(2), q, q)


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("negatives", ["in-batch", "shared", "per-query"])
@pytest.mark.parametrize("tau", [0.07, 1.0])
def test_info_nce_matches_torch(dtype, negatives, tau) -> None:
    torch = require("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(15)
    n, d, m = 8, len(EXTREMES), 5
    q = (rng.normal(size=(n, d)) * rng.choice([1e-3, 1, 1e3], size=(n, 1))).astype(dtype)
    k = rng.normal(size=(n, d)).astype(dtype)
    q[0], k[1] = EXTREMES, EXTREMES[::-1]
    neg = {"in-batch": None, "shared": rng.normal(size=(m, d)), "per-query": rng.normal(size=(n, m, d))}[negatives]
    inputs = [q, k] if neg is None else [q, k, neg.astype(dtype)]

    def f(qt, kt, nt=None):
        qh, kh = F.normalize(qt, dim=-1), F.normalize(kt, dim=-1)
        if nt is None:
            return F.cross_entropy(qh @ kh.T / tau, torch.arange(n))
        nh = F.normalize(nt, dim=-1)
        negs = qh @ nh.T if nt.ndim == 2 else torch.einsum("nd,nmd->nm", qh, nh)
        logits = torch.cat([(qh * kh).sum(-1, keepdim=True), negs], dim=1)
        return F.cross_entropy(logits / tau, torch.zeros(n, dtype=torch.long))

    ref, ref_grads = torch_forward_backward(f, inputs, np.array(1.3), wrt=list(range(len(inputs))))
    # logits are cosines / tau, sums of D products rounded to D ulps, scaled by 1 / tau
    assert_matches(info_nce(*inputs, temperature=tau), ref, dtype, ulps=2 * d, scale=1 / tau)
    for x, ours, theirs in zip(inputs, info_nce_backward(1.3, *inputs, temperature=tau), ref_grads):
        # a gradient row is (component of size 1 / tau) / ||x||: compare in units of that size
        size = 1.3 / tau / np.linalg.norm(x.astype(np.float64), axis=-1, keepdims=True)
        assert ours.dtype == dtype
        assert np.all(np.abs(ours - theirs) <= 4 * d * np.finfo(dtype).eps * size), np.max(np.abs(ours - theirs) / size)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("tau", [0.07, 1.0])
def test_clip_loss_matches_torch(dtype, tau) -> None:
    torch = require("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(16)
    n, d = 10, len(EXTREMES)
    img = (rng.normal(size=(n, d)) * rng.choice([1e-3, 1, 1e3], size=(n, 1))).astype(dtype)
    txt = rng.normal(size=(n, d)).astype(dtype)
    img[0], txt[1] = EXTREMES, EXTREMES

    def f(a, b):
        s = F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).T / tau
        labels = torch.arange(n)
        return (F.cross_entropy(s, labels) + F.cross_entropy(s.T, labels)) / 2

    ref, ref_grads = torch_forward_backward(f, [img, txt], np.array(0.7), wrt=[0, 1])
    assert_matches(clip_loss(img, txt, temperature=tau), ref, dtype, ulps=2 * d, scale=1 / tau)
    for x, ours, theirs in zip((img, txt), clip_loss_backward(0.7, img, txt, temperature=tau), ref_grads):
        size = 0.7 / tau / np.linalg.norm(x.astype(np.float64), axis=-1, keepdims=True)
        assert ours.dtype == dtype
        assert np.all(np.abs(ours - theirs) <= 4 * d * np.finfo(dtype).eps * size), np.max(np.abs(ours - theirs) / size)
