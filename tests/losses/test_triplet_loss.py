"""triplet_margin_loss and its backward."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import triplet_margin_loss, triplet_margin_loss_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)


# ---------------------------------------------------------------- hand-checked values
def test_hand_values() -> None:
    a = np.array([[0.0, 0.0], [1.0, 1.0]])
    pos = np.array([[3.0, 4.0], [1.0, 2.0]])
    neg = np.array([[0.0, 5.5], [4.0, 5.0]])
    # row 1: d(a, p) = 5 (3-4-5 triangle), d(a, n) = 5.5 -> 5 - 5.5 + 1 = 0.5
    # row 2: d(a, p) = 1, d(a, n) = |(3, 4)| = 5 -> 1 - 5 + 1 < 0 -> 0
    np.testing.assert_allclose(triplet_margin_loss(a, pos, neg, eps=0.0, reduction="none"), [0.5, 0.0], rtol=1e-15)
    assert triplet_margin_loss(a, pos, neg, eps=0.0) == 0.25
    # margin 5: 5 - 5.5 + 5 = 4.5 and 1 - 5 + 5 = 1
    assert triplet_margin_loss(a, pos, neg, margin=5.0, eps=0.0, reduction="sum") == 5.5
    # p = 1 (Manhattan): row 1: 7 - 5.5 + 1 = 2.5; row 2: 1 - 7 + 1 < 0
    np.testing.assert_allclose(triplet_margin_loss(a, pos, neg, p=1, eps=0.0, reduction="none"), [2.5, 0.0])
    # swap, row 1: d(p, n) = |(3, -1.5)| = sqrt(11.25) < 5.5; row 2: d(p, n) = |(-3, -3)| = sqrt 18 < 5 -> 1 - sqrt 18 + 1 < 0
    np.testing.assert_allclose(
        triplet_margin_loss(a, pos, neg, eps=0.0, swap=True, reduction="none"), [6 - math.sqrt(11.25), 0.0], rtol=1e-15
    )
    # eps is added to every component: identical points are sqrt(D) * eps apart for p = 2
    x = np.zeros((1, 4))
    assert math.isclose(triplet_margin_loss(x, x, x + 10, margin=0.0, eps=0.5, reduction="sum"), 0.0)
    assert math.isclose(triplet_margin_loss(x, x, x, margin=0.0, eps=0.5), 0.0, abs_tol=1e-15)  # 1 - 1 + 0


def test_hand_gradients() -> None:
    # row 1 of test_hand_values: unit vectors u(a - p) = -(0.6, 0.8), u(a - n) = (0, -5.5) / 5.5
    a, pos, neg = np.array([[0.0, 0.0]]), np.array([[3.0, 4.0]]), np.array([[0.0, 5.5]])
    da, dp, dn = triplet_margin_loss_backward(1.0, a, pos, neg, eps=0.0)
    np.testing.assert_allclose(da, [[-0.6, 0.2]], rtol=1e-15)
    np.testing.assert_allclose(dp, [[0.6, 0.8]], rtol=1e-15)
    np.testing.assert_allclose(dn, [[0.0, -1.0]], rtol=1e-15)
    # swap: the negative distance is d(p, n) with u(p - n) = (3, -1.5) / sqrt(11.25); the anchor
    # only sees the positive term, the positive gets -u(a - p) - u(p - n), the negative +u(p - n)
    u = np.array([3.0, -1.5]) / math.sqrt(11.25)
    da, dp, dn = triplet_margin_loss_backward(1.0, a, pos, neg, eps=0.0, swap=True)
    np.testing.assert_allclose(da, [[-0.6, -0.8]], rtol=1e-15)
    np.testing.assert_allclose(dp, [[0.6, 0.8]] - u, rtol=1e-15)
    np.testing.assert_allclose(dn, [u], rtol=1e-15)
    # p = 1: the gradient of |v|_1 is sign(v)
    da, dp, dn = triplet_margin_loss_backward(1.0, a, pos, neg, p=1, eps=0.0)
    np.testing.assert_array_equal(da, [[-1.0, 0.0]])  # sign(-3, -4) - sign(0, -5.5) = (-1, -1) - (0, -1)


def test_single_triplet_without_batch_axis() -> None:
    out = triplet_margin_loss([0.0, 0.0], [3.0, 4.0], [0.0, 5.5], eps=0.0, reduction="none")
    assert out.shape == () and out == 0.5


# ---------------------------------------------------------------- properties
@st.composite
def triplets(draw, elements=st.floats(-100, 100)):
    n, d = draw(st.integers(1, 5)), draw(st.integers(1, 6))
    return tuple(draw(arrays(np.float64, (n, d), elements=elements)) for _ in range(3))


@given(triplets(), st.sampled_from([1.0, 2.0, 3.0]))
def test_non_negative_and_swap_never_lowers_the_loss(t, p) -> None:
    a, pos, neg = t
    plain = triplet_margin_loss(a, pos, neg, p=p, reduction="none")
    swapped = triplet_margin_loss(a, pos, neg, p=p, swap=True, reduction="none")
    assert np.all(plain >= 0) and np.all(swapped >= plain)


@given(triplets(), st.sampled_from([1.0, 2.0, 3.0]), st.booleans())
def test_gradients_sum_to_zero(t, p, swap) -> None:
    # moving all three points together changes no difference, so the three gradients cancel
    grads = triplet_margin_loss_backward(1.0, *t, p=p, swap=swap)
    np.testing.assert_allclose(sum(grads), 0.0, atol=1e-12)


@given(triplets(), st.floats(-50, 50))
def test_translation_invariance(t, shift) -> None:
    a, pos, neg = t
    np.testing.assert_allclose(
        triplet_margin_loss(a + shift, pos + shift, neg + shift, reduction="none"),
        triplet_margin_loss(a, pos, neg, reduction="none"), atol=1e-9,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@given(t=triplets(elements=finite), p=st.sampled_from([1.0, 2.0, 3.0, 7.0]))
def test_stable_up_to_1e4(dtype, t, p) -> None:
    # |x| <= 1e4: differences up to 2e4, and 2e4 ** 7 would overflow float32 without the scaling
    a, pos, neg = (x.astype(dtype) for x in t)
    values = [triplet_margin_loss(a, pos, neg, p=p, swap=True),
              *triplet_margin_loss_backward(1.0, a, pos, neg, p=p, swap=True)]
    for v in values:
        assert v.dtype == dtype and np.all(np.isfinite(v))


def test_nan_in_nan_out() -> None:
    x = np.zeros((1, 3))
    assert np.isnan(triplet_margin_loss(x, x + np.nan, x))
    assert all(np.isnan(g).any() for g in triplet_margin_loss_backward(1.0, x, x + np.nan, x))


# ---------------------------------------------------------------- bad input
def test_rejects_bad_input() -> None:
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"positive must have the same shape as anchor.*\(2, 3\).*\(2, 4\)"):
        triplet_margin_loss(x, np.zeros((2, 4)), x)
    with pytest.raises(ValueError, match=r"negative must have the same shape as anchor"):
        triplet_margin_loss(x, x, np.zeros(3))
    with pytest.raises(ValueError, match=r"anchor must be embeddings \(D,\) or \(N, D\).*\(2, 3, 1\)"):
        triplet_margin_loss(np.zeros((2, 3, 1)), np.zeros((2, 3, 1)), np.zeros((2, 3, 1)))
    with pytest.raises(ValueError, match=r"p must be a finite number > 0, got 0"):
        triplet_margin_loss(x, x, x, p=0)
    with pytest.raises(ValueError, match="margin must be a finite number"):
        triplet_margin_loss(x, x, x, margin=np.nan)
    with pytest.raises(TypeError, match="swap must be a bool"):
        triplet_margin_loss(x, x, x, swap=1)
    with pytest.raises(ValueError, match="reduction must be"):
        triplet_margin_loss(x, x, x, reduction="avg")
    with pytest.raises(TypeError, match="negative must be real-valued"):
        triplet_margin_loss(x, x, x.astype(complex))
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2,\)"):
        triplet_margin_loss_backward(1.0, x, x, x, reduction="none")


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_matches_torch(dtype, p, swap, reduction) -> None:
    torch = require("torch")
    rng = np.random.default_rng(7)
    d = len(EXTREMES)
    size = rng.choice([0.01, 1, 100], size=(10, 1))
    a, pos, neg = ((rng.normal(size=(10, d)) * size).astype(dtype) for _ in range(3))
    a[0], pos[1], neg[2], neg[3] = EXTREMES, EXTREMES[::-1], EXTREMES, 0.0
    pos[3] = a[3]  # the positive on the anchor: only the eps keeps its distance from 0
    g = rng.normal(size=10) if reduction == "none" else np.array(0.7)
    ref, ref_grads = torch_forward_backward(
        lambda *t: torch.nn.functional.triplet_margin_loss(*t, margin=2.0, p=p, swap=swap, reduction=reduction),
        [a, pos, neg], g, wrt=[0, 1, 2],
    )
    kw = dict(margin=2.0, p=p, swap=swap, reduction=reduction)
    # the loss is a difference of two norms as large as 2e4: exact to a few ulps of that size
    big = 2 * float(max(np.abs(a).max(), np.abs(pos).max(), np.abs(neg).max())) * d
    assert_matches(triplet_margin_loss(a, pos, neg, **kw), ref, dtype, scale=big)
    # the gradients are components of (|v| / ||v||)^(p-1): relative error of a few ulps, but
    # torch rounds v / ||v|| as a quotient and we as ratio ** (p - 1): allow 32 ulps
    for ours, theirs in zip(triplet_margin_loss_backward(g, a, pos, neg, **kw), ref_grads):
        assert_matches(ours, theirs, dtype, ulps=32)
