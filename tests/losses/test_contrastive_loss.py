"""contrastive_loss and its backward."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import contrastive_loss, contrastive_loss_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)


# ---------------------------------------------------------------- hand-checked values
def test_hand_values() -> None:
    # distances 5 (3-4-5), 0.5 and 2 (to within the 1e-6 eps on each component)
    x1 = np.zeros((3, 2))
    x2 = np.array([[3.0, 4.0], [0.3, 0.4], [0.0, 2.0]])
    # similar: d^2 / 2 = 12.5; dissimilar inside the margin 1: (1 - 0.5)^2 / 2 = 0.125; beyond: 0
    out = contrastive_loss(x1, x2, [1, 0, 0], reduction="none")
    np.testing.assert_allclose(out, [12.5, 0.125, 0.0], rtol=1e-5)
    # margin 3: the third pair costs (3 - 2)^2 / 2 = 0.5
    np.testing.assert_allclose(contrastive_loss(x1, x2, [1, 0, 0], margin=3.0, reduction="sum"), 12.5 + 3.125 + 0.5, rtol=1e-5)
    # gradients: similar: v = x1 - x2 = (-3, -4); dissimilar: -(1 - 0.5) v / 0.5 = -v = (0.3, 0.4)
    g1, g2 = contrastive_loss_backward(np.ones(3), x1, x2, [1, 0, 0], reduction="none")
    np.testing.assert_allclose(g1, [[-3.0, -4.0], [0.3, 0.4], [0.0, 0.0]], atol=1e-5)
    np.testing.assert_array_equal(g2, -g1)


def test_the_eps_is_pytorchs() -> None:
    # identical points: d = ||(1e-6, 1e-6)|| = sqrt(2) 1e-6, so a similar pair costs 1e-12
    x = np.ones((1, 2))
    assert math.isclose(contrastive_loss(x, x, [1]), 1e-12, rel_tol=1e-9)
    # and a dissimilar pair (1 - sqrt(2) 1e-6)^2 / 2
    assert math.isclose(contrastive_loss(x, x, [0]), (1 - math.sqrt(2) * 1e-6) ** 2 / 2, rel_tol=1e-14)


# ---------------------------------------------------------------- properties
@st.composite
def pairs(draw, elements=st.floats(-100, 100)):
    n, d = draw(st.integers(1, 5)), draw(st.integers(1, 6))
    x1 = draw(arrays(np.float64, (n, d), elements=elements))
    x2 = draw(arrays(np.float64, (n, d), elements=elements))
    return x1, x2, draw(arrays(np.int64, (n,), elements=st.integers(0, 1)))


@given(pairs(), st.floats(0, 10))
def test_bounds_and_translation_invariance(data, margin) -> None:
    x1, x2, y = data
    losses = contrastive_loss(x1, x2, y, margin=margin, reduction="none")
    # a dissimilar pair costs at most margin^2 / 2
    assert np.all(losses >= 0) and np.all(np.where(y == 0, losses <= margin**2 / 2 + 1e-12, True))
    np.testing.assert_allclose(contrastive_loss(x1 + 7, x2 + 7, y, margin=margin, reduction="none"), losses,
                               rtol=1e-9, atol=1e-9)
    g1, g2 = contrastive_loss_backward(np.ones(len(y)), x1, x2, y, margin=margin, reduction="none")
    np.testing.assert_array_equal(g1, -g2)


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=pairs(elements=finite))
def test_stable_up_to_1e4(dtype, data) -> None:
    x1, x2, y = data
    x1, x2 = x1.astype(dtype), x2.astype(dtype)
    for v in (contrastive_loss(x1, x2, y, margin=5.0), *contrastive_loss_backward(1.0, x1, x2, y, margin=5.0)):
        assert v.dtype == dtype and np.all(np.isfinite(v))


def test_nan_in_nan_out() -> None:
    assert np.isnan(contrastive_loss([[np.nan, 0.0]], [[0.0, 0.0]], [0]))
    assert all(np.isnan(g).all() for g in contrastive_loss_backward(1.0, [[np.nan, 0.0]], [[0.0, 0.0]], [0]))


# ---------------------------------------------------------------- bad input
def test_rejects_bad_input() -> None:
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"y must hold 1 \(similar\) or 0 \(dissimilar\), found -1"):
        contrastive_loss(x, x, [1, -1])
    with pytest.raises(ValueError, match=r"y must have shape \(N,\) = \(2,\) for x1 of shape \(2, 3\), got \(1,\)"):
        contrastive_loss(x, x, [1])
    with pytest.raises(ValueError, match="x2 must have the same shape as x1"):
        contrastive_loss(x, np.zeros((2, 2)), [1, 0])
    with pytest.raises(ValueError, match=r"margin must be a finite number >= 0, got -1"):
        contrastive_loss(x, x, [1, 0], margin=-1)
    with pytest.raises(ValueError, match="reduction must be"):
        contrastive_loss(x, x, [1, 0], reduction="max")
    with pytest.raises(TypeError, match="x2 must be real-valued"):
        contrastive_loss(x, x.astype(complex), [1, 0])
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(\)"):
        contrastive_loss_backward(np.ones(2), x, x, [1, 0])


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("margin", [1.0, 50.0])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_matches_the_formula_in_torch(dtype, margin, reduction) -> None:
    torch = require("torch")
    rng = np.random.default_rng(14)
    d = len(EXTREMES)
    size = rng.choice([0.01, 1, 10], size=(20, 1))
    x1, x2 = ((rng.normal(size=(20, d)) * size).astype(dtype) for _ in range(2))
    x1[0], x2[1], x2[2] = EXTREMES, EXTREMES[::-1], x1[2]  # huge distances, and a pair at distance ~eps
    y = rng.integers(0, 2, size=20)
    y[2] = 0
    g = rng.normal(size=20) if reduction == "none" else np.array(0.9)

    def f(a, b, t):
        dist = torch.nn.functional.pairwise_distance(a, b)
        losses = 0.5 * (t * dist**2 + (1 - t) * torch.clamp(margin - dist, min=0) ** 2)
        return {"none": losses, "mean": losses.mean(), "sum": losses.sum()}[reduction]

    ref, ref_grads = torch_forward_backward(f, [x1, x2, y.astype(dtype)], g, wrt=[0, 1])
    kw = dict(margin=margin, reduction=reduction)
    # d^2 / 2 of distances up to 2e4 * sqrt(D): relative rounding of a few ulps, absolute when
    # the mean adds large and small terms
    big = float(np.max(np.abs(x1 - x2))) ** 2 * d
    assert_matches(contrastive_loss(x1, x2, y, **kw), ref, dtype, ulps=16, scale=big if reduction != "none" else 1)
    for ours, theirs in zip(contrastive_loss_backward(g, x1, x2, y, **kw), ref_grads):
        # components of v (up to 2e4) times a coefficient: a few ulps of the row's largest |v|
        assert_matches(ours, theirs, dtype, ulps=16, scale=float(np.max(np.abs(x1 - x2))) * float(np.max(np.abs(g))))
