"""cosine_embedding_loss and its backward."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import cosine_embedding_loss, cosine_embedding_loss_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)


# ---------------------------------------------------------------- hand-checked values
def test_hand_values() -> None:
    x1 = np.array([[1.0, 0.0], [1.0, 0.0], [3.0, 4.0], [1.0, 1.0]])
    x2 = np.array([[1.0, 1.0], [-2.0, 0.0], [6.0, 8.0], [1.0, -1.0]])
    # cosines: 1/sqrt 2, -1, 1, 0 (the 1e-12 in each squared norm changes them by ~1e-12 at most)
    y = np.array([1, 1, -1, -1])
    # similar: 1 - cos = 1 - 1/sqrt 2 and 2; dissimilar: max(0, cos - 0) = 1 and 0
    expected = [1 - 1 / math.sqrt(2), 2.0, 1.0, 0.0]
    np.testing.assert_allclose(cosine_embedding_loss(x1, x2, y, reduction="none"), expected, rtol=1e-11, atol=1e-11)
    # margin 0.5: the dissimilar pair at cos 1 costs 0.5
    np.testing.assert_allclose(cosine_embedding_loss(x1[2:3], x2[2:3], [-1], margin=0.5), 0.5, rtol=1e-11)
    # margin -0.5: even the orthogonal pair (cos 0) costs 0.5
    np.testing.assert_allclose(cosine_embedding_loss(x1[3:], x2[3:], [-1], margin=-0.5), 0.5, rtol=1e-11)
    # gradient of 1 - cos at x1 = (1, 0), x2 = (1, 1): -(x2 / (n1 n2) - cos x1 / n1^2)
    #   = -((1, 1) / sqrt 2 - (1 / sqrt 2)(1, 0)) = (0, -1 / sqrt 2)
    g1, _ = cosine_embedding_loss_backward(np.ones(1), x1[:1], x2[:1], [1], reduction="none")
    np.testing.assert_allclose(g1, [[0.0, -1 / math.sqrt(2)]], atol=1e-11)
    # a zero vector: its squared norm is 1e-12, so cos = 0 (PyTorch's EPSILON), no NaN
    assert cosine_embedding_loss([[0.0, 0.0]], [[1.0, 2.0]], [1]) == 1.0


def test_single_pair_without_batch_axis() -> None:
    out = cosine_embedding_loss([3.0, 4.0], [6.0, 8.0], 1, reduction="none")
    assert out.shape == () and abs(out) < 1e-12


# ---------------------------------------------------------------- properties
@st.composite
def pairs(draw, elements=st.floats(-100, 100)):
    n, d = draw(st.integers(1, 5)), draw(st.integers(1, 6))
    x1 = draw(arrays(np.float64, (n, d), elements=elements))
    x2 = draw(arrays(np.float64, (n, d), elements=elements))
    y = draw(arrays(np.int64, (n,), elements=st.sampled_from([-1, 1])))
    return x1, x2, y


@given(pairs(), st.floats(-1, 1))
def test_bounds(data, margin) -> None:
    x1, x2, y = data
    losses = cosine_embedding_loss(x1, x2, y, margin=margin, reduction="none")
    # 1 - cos lies in [0, 2]; max(0, cos - margin) in [0, 1 - margin]. A parallel pair's cosine
    # may round to 1 + 2^-52 (as in PyTorch, which does not clamp it), so 1 - cos may be -2e-16
    assert np.all(losses >= -4e-16) and np.all(losses <= np.where(y == 1, 2, 1 - margin) + 1e-12)


@given(pairs(), st.floats(0.01, 100))
def test_scale_invariance(data, scale) -> None:
    x1, x2, y = data
    # the cosine ignores length, as long as the 1e-12 in the squared norm is negligible
    assume(np.all(np.sum(x1 * x1, axis=1) * min(scale, 1) ** 2 > 1e-2) and np.all(np.sum(x2 * x2, axis=1) > 1e-2))
    np.testing.assert_allclose(
        cosine_embedding_loss(scale * x1, x2, y, reduction="none"),
        cosine_embedding_loss(x1, x2, y, reduction="none"), atol=1e-9,
    )
    # and so the gradient has no component along x1 (or x2)
    g1, g2 = cosine_embedding_loss_backward(np.ones(len(y)), x1, x2, y, reduction="none")
    np.testing.assert_allclose(np.sum(g1 * x1, axis=1), 0, atol=1e-9)
    np.testing.assert_allclose(np.sum(g2 * x2, axis=1), 0, atol=1e-9)


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=pairs(elements=finite))
def test_stable_up_to_1e4(dtype, data) -> None:
    x1, x2, y = data
    x1, x2 = x1.astype(dtype), x2.astype(dtype)
    for v in (cosine_embedding_loss(x1, x2, y, margin=0.2), *cosine_embedding_loss_backward(1.0, x1, x2, y, margin=0.2)):
        assert v.dtype == dtype and np.all(np.isfinite(v))


def test_nan_in_nan_out() -> None:
    assert np.isnan(cosine_embedding_loss([[np.nan, 1.0]], [[1.0, 1.0]], [-1]))
    assert all(np.isnan(g).all() for g in cosine_embedding_loss_backward(1.0, [[np.nan, 1.0]], [[1.0, 1.0]], [-1]))


# ---------------------------------------------------------------- bad input
def test_rejects_bad_input() -> None:
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match=r"y must hold 1 \(similar\) or -1 \(dissimilar\), found 0"):
        cosine_embedding_loss(x, x, [1, 0])
    with pytest.raises(ValueError, match=r"y must have shape \(N,\) = \(2,\) for x1 of shape \(2, 3\), got \(3,\)"):
        cosine_embedding_loss(x, x, [1, 1, 1])
    with pytest.raises(ValueError, match=r"x2 must have the same shape as x1"):
        cosine_embedding_loss(x, np.ones((2, 4)), [1, 1])
    with pytest.raises(ValueError, match=r"x1 must be embeddings \(D,\) or \(N, D\)"):
        cosine_embedding_loss(np.ones((2, 0)), np.ones((2, 0)), [1, 1])
    with pytest.raises(ValueError, match="margin must be a finite number"):
        cosine_embedding_loss(x, x, [1, 1], margin=np.inf)
    with pytest.raises(ValueError, match="y must hold class labels"):
        cosine_embedding_loss(x, x, [1.0, 0.5])
    with pytest.raises(TypeError, match="x1 must be real-valued"):
        cosine_embedding_loss(x.astype(complex), x, [1, 1])
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(\)"):
        cosine_embedding_loss_backward(np.ones(2), x, x, [1, 1])


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("margin", [0.0, 0.3, -0.4])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_matches_torch(dtype, margin, reduction) -> None:
    torch = require("torch")
    rng = np.random.default_rng(8)
    d = len(EXTREMES)
    size = rng.choice([1e-3, 1, 1e3], size=(16, 1))
    x1, x2 = ((rng.normal(size=(16, d)) * size).astype(dtype) for _ in range(2))
    x1[0], x2[1], x2[2], x1[3] = EXTREMES, EXTREMES[::-1], -x1[2], 0.0  # x2[2] = -x1[2]: cos = -1
    x2[4] = 3 * x1[4]  # cos = 1
    y = rng.choice([-1, 1], size=16)
    g = rng.normal(size=16) if reduction == "none" else np.array(1.3)
    ref, ref_grads = torch_forward_backward(
        lambda a, b, t: torch.nn.functional.cosine_embedding_loss(a, b, t, margin=margin, reduction=reduction),
        [x1, x2, y], g, wrt=[0, 1],
    )
    kw = dict(margin=margin, reduction=reduction)
    # cos is a ratio of sums of D products: relative error ~ D ulps of the terms' size (the norm
    # product), so a cosine near 0 (or 1 - cos near 0) is exact only to D * eps absolutely
    assert_matches(cosine_embedding_loss(x1, x2, y, **kw), ref, dtype, ulps=2 * d, scale=16 if reduction == "sum" else 1)
    # each gradient component is a difference of two terms of size |g| / |x_k| (the quotient rule):
    # where they cancel (cos = +-1, an extremum) only that size sets the error, so compare in units of it
    g_rows = np.broadcast_to(np.abs(g) / (16 if reduction == "mean" else 1), (16,))
    for ours, theirs, x in zip(cosine_embedding_loss_backward(g, x1, x2, y, **kw), ref_grads, (x1, x2)):
        term = g_rows / np.sqrt(np.sum(x.astype(np.float64) ** 2, axis=1) + 1e-12)
        assert ours.dtype == dtype
        err = np.abs(ours.astype(np.float64) - theirs) / term[:, None]
        assert np.max(err) <= 4 * d * np.finfo(dtype).eps, np.max(err) / np.finfo(dtype).eps
