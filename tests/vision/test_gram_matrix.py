"""gram_matrix, style_loss, total_variation and their backwards: hand values (Gatys
et al.'s normalisation included), properties, stability, bad input, and PyTorch (einsum, mse_loss,
autograd). The content loss is snippets.mse_loss, tested with the losses."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import (
    mse_loss,
    gram_matrix,
    gram_matrix_backward,
    style_loss,
    style_loss_backward,
    total_variation,
    total_variation_backward,
)
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward


# ---------------------------------------------------------------- hand-checked values
def test_gram_hand_values() -> None:
    # channels a = [1, 0, 2], b = [0, 3, 1] over 3 positions: a.a = 5, a.b = 2, b.b = 10;
    # normalised by C M = 2 * 3 = 6
    f = np.array([[[1.0, 0.0, 2.0], [0.0, 3.0, 1.0]]])[:, :, None, :]  # (1, 2, 1, 3)
    np.testing.assert_array_equal(gram_matrix(f, normalize=False)[0], [[5, 2], [2, 10]])
    np.testing.assert_allclose(gram_matrix(f)[0], np.array([[5, 2], [2, 10]]) / 6, rtol=1e-15)
    # (N, C, *spatial): a 1-d or 3-d spatial layout gives the same G as the flattened one
    np.testing.assert_array_equal(gram_matrix(f[:, :, 0, :]), gram_matrix(f))
    np.testing.assert_array_equal(gram_matrix(f.reshape(1, 2, 3, 1, 1)), gram_matrix(f))


def test_style_loss_equals_gatys_up_to_a_constant() -> None:
    # Gatys et al. (2016), eq. 4: E = sum (G - A)^2 / (4 C^2 M^2) with unnormalised G and A (one
    # image). Ours: mean over the C^2 entries of ((G - A) / (C M))^2 = sum (G - A)^2 / (C^4 M^2):
    # Gatys's E is ours times C^2 / 4
    rng = np.random.default_rng(0)
    gen, sty = rng.normal(size=(1, 4, 3, 5)), rng.normal(size=(1, 4, 3, 5))
    c, m = 4, 15
    gatys = np.sum((gram_matrix(gen, False) - gram_matrix(sty, False)) ** 2) / (4 * c**2 * m**2)
    np.testing.assert_allclose(style_loss(gen, sty) * c**2 / 4, gatys, rtol=1e-13)


def test_style_ignores_where_and_content_does_not() -> None:
    # permuting the positions of the features leaves G unchanged: style loss 0, content loss not
    rng = np.random.default_rng(1)
    f = rng.normal(size=(2, 3, 4, 4))
    shuffled = f.reshape(2, 3, 16)[:, :, rng.permutation(16)].reshape(f.shape)
    assert style_loss(shuffled, f) < 1e-28
    assert mse_loss(shuffled, f) > 0.1  # the content loss
    # and the style image may have another size: a 2x2 tiling of f has the same normalised G
    tiled = np.tile(f, (1, 1, 2, 2))
    np.testing.assert_allclose(gram_matrix(tiled), gram_matrix(f), rtol=1e-13, atol=1e-15)
    assert style_loss(f, tiled) < 1e-28


def test_losses_hand_values() -> None:
    # style: the docstring example, G_gen = 1, G_style = 2
    assert style_loss([[[[1.0, 1.0]]]], [[[[2.0, 0.0]]]]) == 1.0


def test_total_variation_hand_values() -> None:
    # a vertical step of height 2 in a 3x4 image, 2 channels: each of the 3 rows crosses it once
    # (|2| per row and channel: 3 * 2 * 2 = 12), vertical differences are 0
    x = np.zeros((1, 2, 3, 4))
    x[:, :, :, 2:] = 2.0
    assert total_variation(x).tolist() == [12.0]
    # constant images and constant shifts: TV 0 / unchanged; one value per image
    assert total_variation(np.full((3, 1, 2, 2), 7.0)).tolist() == [0, 0, 0]
    assert total_variation(x + 5).tolist() == [12.0]
    # backward of the step: -1 on the left of the edge, +1 on the right, per row and channel;
    # equal neighbours give the subgradient 0 (torch's abs'(0))
    g = total_variation_backward([1.0], x)
    assert g[0, 0].tolist() == [[0, -1, 1, 0]] * 3


# ---------------------------------------------------------------- properties
@st.composite
def features(draw, extra: int = 0):
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 4))
    h, w = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.normal(size=(n, c, h, w)) * draw(st.sampled_from([1e-3, 1.0, 100.0])), rng


@settings(max_examples=30)
@given(features())
def test_gram_is_symmetric_psd_and_quadratic(data) -> None:
    f, rng = data
    g = gram_matrix(f)
    np.testing.assert_array_equal(g, g.transpose(0, 2, 1))
    # eigenvalues >= 0 up to rounding of sums of squares of size |f|^2
    scale = np.max(np.abs(f)) ** 2
    assert np.all(np.linalg.eigvalsh(g) >= -1e-12 * scale)
    np.testing.assert_allclose(gram_matrix(3 * f), 9 * g, rtol=1e-12, atol=1e-14 * scale)


@settings(max_examples=30)
@given(features())
def test_gram_backward_is_the_derivative_of_the_quadratic(data) -> None:
    # G is quadratic: sum(g * G(f)) = 1/2 sum(f * dF) for the backward dF of g
    f, rng = data
    g = rng.normal(size=(f.shape[0], f.shape[1], f.shape[1]))
    lhs = np.sum(g * gram_matrix(f))
    rhs = 0.5 * np.sum(f * gram_matrix_backward(g, f))
    assert abs(lhs - rhs) <= 1e-12 * (1 + np.abs(g).sum() * np.max(np.abs(f)) ** 2)


@settings(max_examples=30)
@given(features())
def test_total_variation_properties(data) -> None:
    # TV is positively homogeneous (TV(a x) = |a| TV(x)), translation invariant in value, and
    # its backward is its derivative along x: sum(x * dTV) = TV(x) (Euler's theorem, degree 1)
    x, rng = data
    tv = total_variation(x)
    np.testing.assert_allclose(total_variation(-2.5 * x), 2.5 * tv, rtol=1e-13)
    np.testing.assert_allclose(total_variation(x + 3.0), tv, rtol=1e-9, atol=1e-9)
    g = rng.normal(size=tv.shape)
    np.testing.assert_allclose(np.sum(x * total_variation_backward(g, x)), np.sum(g * tv), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_up_to_1e4(dtype) -> None:
    rng = np.random.default_rng(2)
    f = rng.choice(EXTREMES, size=(2, 3, 4, 4)).astype(dtype)
    s = rng.choice(EXTREMES, size=(2, 3, 2, 5)).astype(dtype)
    outs = [gram_matrix(f), gram_matrix_backward(np.ones((2, 3, 3), dtype), f), style_loss(f, s),
            style_loss_backward(1.0, f, s),
            total_variation(f), total_variation_backward(np.ones(2, dtype), f)]
    for v in outs:
        assert v.dtype == dtype and np.all(np.isfinite(v))


def test_nan_in_nan_out() -> None:
    f = np.ones((1, 2, 2, 2))
    f[0, 0, 0, 0] = np.nan
    g = gram_matrix(f)
    assert np.isnan(g[0, 0]).all() and not np.isnan(g[0, 1, 1])
    assert np.isnan(style_loss(f, np.ones_like(f)))
    assert np.isnan(total_variation(f)).all()


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    f = np.ones((2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"features must have shape \(N, C, H, W\) \(or \(N, C, \*spatial\)\), got shape \(3, 4\)"):
        gram_matrix(np.ones((3, 4)))
    with pytest.raises(TypeError, match="normalize must be a bool, got int"):
        gram_matrix(f, 1)
    with pytest.raises(ValueError, match=r"style_feats must have the batch size and channels \(N, C\) = \(2, 3\) of gen_feats .*got shape \(2, 4, 4, 4\)"):
        style_loss(f, np.ones((2, 4, 4, 4)))
    with pytest.raises(ValueError, match=r"gen_feats of shape \(0, 3, 4, 4\) is empty"):
        style_loss(np.ones((0, 3, 4, 4)), np.ones((0, 3, 2, 2)))
    with pytest.raises(ValueError, match=r"img must have shape \(N, C, H, W\), got shape \(4, 4\)"):
        total_variation(np.ones((4, 4)))
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2, 3, 3\)"):
        gram_matrix_backward(np.ones((2, 3)), f)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(\)"):
        style_loss_backward(np.ones(2), f, f)
    with pytest.raises(TypeError, match="features must be real-valued"):
        gram_matrix(f * 1j)


def test_empty_spatial_and_batch() -> None:
    # no positions: G = 0 (a sum over nothing), as torch's einsum; an empty batch: empty results
    assert gram_matrix(np.ones((2, 3, 0, 4))).tolist() == np.zeros((2, 3, 3)).tolist()
    assert gram_matrix(np.ones((0, 3, 2, 2))).shape == (0, 3, 3)
    assert total_variation(np.ones((0, 3, 2, 2))).shape == (0,)
    assert total_variation(np.ones((2, 3, 1, 1))).tolist() == [0, 0]


# ---------------------------------------------------------------- PyTorch
def torch_gram(t, normalize=True):
    torch = require("torch")
    n, c = t.shape[:2]
    g = torch.einsum("bchw,bdhw->bcd", t, t)
    return g / (c * t.shape[2] * t.shape[3]) if normalize else g


def torch_tv(t):
    return (t[:, :, 1:, :] - t[:, :, :-1, :]).abs().sum((1, 2, 3)) + (t[:, :, :, 1:] - t[:, :, :, :-1]).abs().sum((1, 2, 3))


def inputs(dtype, extreme, rng, shape):
    if extreme:
        return rng.choice(EXTREMES, size=shape).astype(dtype)
    return rng.normal(size=shape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("extreme", [False, True])
@pytest.mark.parametrize("normalize", [True, False])
def test_gram_matches_torch(dtype, extreme, normalize) -> None:
    rng = np.random.default_rng(3)
    f = inputs(dtype, extreme, rng, (2, 4, 5, 3))
    g = rng.normal(size=(2, 4, 4)).astype(dtype)
    ref, (dref,) = torch_forward_backward(lambda t: torch_gram(t, normalize), [f], g, [0])
    # G: sums of M = 15 products, exact to ~M eps of sum |f_c f_d| <= the Gram of |f|; the one
    # scaling by 1 / (C M) adds an ulp. dF: sums of 2 C products of |g| |f|. 16 eps of those sums
    s = 1.0 / (4 * 15) if normalize else 1.0
    assert_matches(gram_matrix(f, normalize), ref, dtype, ulps=16, scale=gram_matrix(np.abs(f), normalize))
    bound = (np.abs(g) + np.abs(g).transpose(0, 2, 1)) @ np.abs(f).reshape(2, 4, 15) * s
    assert_matches(gram_matrix_backward(g, f, normalize), dref, dtype, ulps=16, scale=bound.reshape(f.shape))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("extreme", [False, True])
def test_style_loss_matches_torch_mse(dtype, extreme) -> None:
    torch = require("torch")
    rng = np.random.default_rng(4)
    gen, sty = inputs(dtype, extreme, rng, (2, 3, 4, 5)), inputs(dtype, extreme, rng, (2, 3, 6, 3))
    ref, (dref,) = torch_forward_backward(
        lambda t: torch.nn.functional.mse_loss(torch_gram(t), torch_gram(torch.from_numpy(sty))), [gen], np.array(1.0), [0])
    # the loss is a mean of squared differences of Gram entries, each exact to 16 eps of the Gram
    # of |f| (above): the squared difference to 2 * 16 eps of (|G_gen - G_sty| (G|gen| + G|sty|)),
    # which we bound by 64 eps of (G|gen| + G|sty|)^2 averaged; the gradient by the same reasoning
    big = gram_matrix(np.abs(gen)) + gram_matrix(np.abs(sty))
    assert_matches(style_loss(gen, sty), ref, dtype, ulps=64, scale=np.mean(big * big))
    ours = style_loss_backward(1.0, gen, sty)
    bound = gram_matrix_backward(4 * big / big.size, np.abs(gen)).astype(np.float64)
    assert_matches(ours, dref, dtype, ulps=64, scale=bound)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("extreme", [False, True])
def test_total_variation_matches_torch(dtype, extreme) -> None:
    rng = np.random.default_rng(5)
    x = inputs(dtype, extreme, rng, (3, 2, 5, 6))
    if extreme:  # ties: equal neighbours, where both sides use the subgradient 0
        x[0, 0, 1] = x[0, 0, 2]
    g = rng.normal(size=3).astype(dtype)
    ref, (dref,) = torch_forward_backward(torch_tv, [x], g, [0])
    # TV: a sum of 2 * 2 * 5 * 6 = 120 absolute differences (each exact to an ulp of |a| + |b|),
    # added in different orders: 120 eps of the sum of (|a| + |b|) <= 4 sum |x| (a pixel is in at most
    # four differences) bounds it. The gradient is
    # exact: sums of at most four +-g terms
    assert_matches(total_variation(x), ref, dtype, ulps=120, scale=4 * np.abs(x).sum(axis=(1, 2, 3)))
    assert_matches(total_variation_backward(g, x), dref, dtype, ulps=4, scale=np.max(np.abs(g)))
