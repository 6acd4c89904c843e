"""patchify / patch_embed and their backwards: hand values, round trips, properties, bad input,
and PyTorch's F.conv2d with stride = patch size (values and autograd gradients)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import conv2d, patch_embed, patch_embed_backward, patchify, patchify_backward
from tests.layers.shared import assert_sums_match
from tests.reference import DTYPES, EXTREMES, require, torch_forward_backward


# ---------------------------------------------------------------- hand-checked values
def test_patch_order_and_flattening() -> None:
    # a 4x4 image 0..15 in 2x2 patches: patch 0 is the top-left block (0, 1, 4, 5), patch 1 the
    # top-right (2, 3, 6, 7), patch 2 the bottom-left (8, 9, 12, 13): row-major over the grid
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    t = patchify(x, 2)
    assert t.shape == (1, 4, 4)
    assert t[0].tolist() == [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]]
    # two channels: each patch lists channel 0's pixels, then channel 1's ((C, pH, pW) order)
    x2 = np.stack([x[0, 0], 100 + x[0, 0]])[None]
    assert patchify(x2, 2)[0, 0].tolist() == [0, 1, 4, 5, 100, 101, 104, 105]
    # non-square patches (1, 4): each row of the image is one token
    np.testing.assert_array_equal(patchify(x, (1, 4))[0], x[0, 0])


def test_embed_hand_values() -> None:
    # 1-channel 2x4 image, 2x2 patches, D = 1, all-ones filter: each token is its patch's sum
    # (0 + 1 + 4 + 5 = 10 and 2 + 3 + 6 + 7 = 18) plus the bias 0.5
    x = np.arange(8.0).reshape(1, 1, 2, 4)
    assert patch_embed(x, np.ones((1, 1, 2, 2)), [0.5], 2).tolist() == [[[10.5], [18.5]]]
    # backward with g = [[1], [10]]: dx = g of each pixel's patch; dw = 1 * patch0 + 10 * patch1;
    # db = 11
    dx, dw, db = patch_embed_backward([[[1.0], [10.0]]], x, np.ones((1, 1, 2, 2)), [0.5], 2)
    assert dx[0, 0].tolist() == [[1, 1, 10, 10], [1, 1, 10, 10]]
    assert dw[0, 0].tolist() == [[0 + 20, 1 + 30], [4 + 60, 5 + 70]]
    assert db.tolist() == [11]
    assert patch_embed_backward(np.ones((1, 2, 1)), x, np.ones((1, 1, 2, 2)), None, 2)[2] is None


def test_equals_patchify_then_linear_and_strided_conv2d() -> None:
    # the two readings of the same layer: a linear map on flattened patches, and the package's own
    # conv2d with stride = kernel = patch size, flattened to tokens
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(2, 3, 6, 8)), rng.normal(size=(5, 3, 3, 2)), rng.normal(size=5)
    ours = patch_embed(x, w, b, (3, 2))
    np.testing.assert_allclose(ours, patchify(x, (3, 2)) @ w.reshape(5, -1).T + b, rtol=1e-13, atol=1e-13)
    conv = conv2d(x, w, b, stride=(3, 2))
    np.testing.assert_allclose(ours, conv.reshape(2, 5, -1).transpose(0, 2, 1), rtol=1e-13, atol=1e-13)


def test_empty_batch_and_no_embedding_dimension() -> None:
    assert patchify(np.zeros((0, 3, 4, 4)), 2).shape == (0, 4, 12)
    y = patch_embed(np.zeros((0, 3, 4, 4)), np.ones((5, 3, 2, 2)), np.ones(5), 2)
    assert y.shape == (0, 4, 5)
    dx, dw, db = patch_embed_backward(y, np.zeros((0, 3, 4, 4)), np.ones((5, 3, 2, 2)), np.ones(5), 2)
    assert dx.shape == (0, 3, 4, 4) and not dw.any() and not db.any()
    assert patch_embed(np.ones((2, 3, 4, 4)), np.ones((0, 3, 2, 2)), None, 2).shape == (2, 4, 0)


# ---------------------------------------------------------------- properties
@st.composite
def problems(draw):
    ph, pw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    n, c, d = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    rows, cols = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.normal(size=(n, c, rows * ph, cols * pw))
    return x, rng.normal(size=(d, c, ph, pw)), rng.normal(size=d), (ph, pw), rng


@settings(max_examples=40)
@given(problems())
def test_patchify_is_a_permutation(problem) -> None:
    # every pixel appears exactly once, and the backward (unpatchify) undoes it exactly
    x, _, _, p, _ = problem
    t = patchify(x, p)
    assert sorted(t.ravel().tolist()) == sorted(x.ravel().tolist())
    np.testing.assert_array_equal(patchify_backward(t, x, p), x)
    np.testing.assert_array_equal(patchify(patchify_backward(t, x, p), p), t)


@settings(max_examples=40)
@given(problems())
def test_backward_is_the_adjoint(problem) -> None:
    # tokens - b is linear in x and in w: sum(g * (y - b)) = sum(x * dx) = sum(w * dw);
    # rounding of sums of |g| |x| |w| sized terms
    x, w, b, p, rng = problem
    y = patch_embed(x, w, b, p)
    g = rng.normal(size=y.shape)
    dx, dw, db = patch_embed_backward(g, x, w, b, p)
    inner = np.sum(g * (y - b))
    tol = 1e-12 * (1 + np.abs(g).sum() * np.abs(x).max() * np.abs(w).sum())
    assert abs(np.sum(x * dx) - inner) < tol and abs(np.sum(w * dw) - inner) < tol
    np.testing.assert_allclose(db, g.sum(axis=(0, 1)), rtol=1e-13, atol=1e-13)


def test_permuting_patches_permutes_tokens() -> None:
    # no position information: swapping two patches of the image swaps their tokens and nothing else
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(1, 2, 4, 4)), rng.normal(size=(3, 2, 2, 2))
    swapped = x.copy()
    swapped[:, :, :2, :2], swapped[:, :, 2:, 2:] = x[:, :, 2:, 2:], x[:, :, :2, :2]
    np.testing.assert_array_equal(patch_embed(swapped, w, None, 2)[0], patch_embed(x, w, None, 2)[0, [3, 1, 2, 0]])


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_up_to_1e4(dtype) -> None:
    rng = np.random.default_rng(2)
    x = rng.choice(EXTREMES, size=(2, 3, 4, 6)).astype(dtype)
    w = rng.choice([-1e4, -1.0, 0.0, 1e-8, 1e4], size=(4, 3, 2, 3)).astype(dtype)
    b = np.array([1e4, -1e4, 0, 1], dtype)
    y = patch_embed(x, w, b, (2, 3))
    grads = patch_embed_backward(np.full(y.shape, 1e4, dtype), x, w, b, (2, 3))
    for v in (y, *grads, patchify(x, (2, 3))):
        assert v.dtype == dtype and np.all(np.isfinite(v))


def test_nan_stays_in_its_patch() -> None:
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 3, 0] = np.nan  # bottom-left patch (index 2)
    y = patch_embed(x, np.ones((2, 1, 2, 2)), None, 2)
    assert np.isnan(y[0, 2]).all() and not np.isnan(y[0, [0, 1, 3]]).any()


def test_results_never_alias_the_inputs() -> None:
    # a single patch covering the whole image is a pure reshape: still a fresh array
    x = np.arange(4.0).reshape(1, 1, 2, 2)
    t = patchify(x, 2)
    assert not np.shares_memory(t, x)
    assert not np.shares_memory(patchify_backward(t, x, 2), t)


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    x, w = np.ones((1, 3, 4, 6)), np.ones((5, 3, 2, 2))
    with pytest.raises(ValueError, match=r"images must have shape \(N, C, H, W\), got shape \(3, 4, 6\)"):
        patchify(np.ones((3, 4, 6)), 2)
    with pytest.raises(ValueError, match=r"images of shape \(1, 3, 4, 6\) do not split into whole patches of patch_size \(4, 4\): H = 4 and W = 6"):
        patchify(x, 4)
    with pytest.raises(ValueError, match=r"patch_size must be >= 1 in both directions, got \(0, 2\)"):
        patchify(x, (0, 2))
    with pytest.raises(TypeError, match="patch_size must be an int or a pair of ints"):
        patchify(x, 2.0)
    with pytest.raises(ValueError, match=r"weight must have shape \(D, C, pH, pW\) = \(D, 3, 2, 3\) for images of shape \(1, 3, 4, 6\) and patch_size \(2, 3\), got shape \(5, 3, 2, 2\)"):
        patch_embed(x, w, None, (2, 3))
    with pytest.raises(ValueError, match=r"bias must have shape \(D,\) = \(5,\) for weight of shape \(5, 3, 2, 2\), got \(4,\)"):
        patch_embed(x, w, np.ones(4), 2)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(1, 6, 5\)"):
        patch_embed_backward(np.ones((1, 6, 4)), x, w, None, 2)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(1, 6, 12\)"):
        patchify_backward(np.ones((1, 12, 6)), x, 2)
    with pytest.raises(TypeError, match="images must be real-valued"):
        patchify(x * 1j, 2)


# ---------------------------------------------------------------- PyTorch
def torch_patch_embed(x, w, b, g, p):
    """F.conv2d with stride = kernel = patch size, flattened to (N, L, D) as ViT implementations do."""
    torch = require("torch")
    f = torch.nn.functional.conv2d
    if b is None:
        y, (dx, dw) = torch_forward_backward(
            lambda a, c: f(a, c, None, stride=p).flatten(2).transpose(1, 2), [x, w], g, [0, 1])
        return y, dx, dw, None
    y, (dx, dw, db) = torch_forward_backward(
        lambda a, c, e: f(a, c, e, stride=p).flatten(2).transpose(1, 2), [x, w, b], g, [0, 1, 2])
    return y, dx, dw, db


GRID = [
    # (images shape, weight shape = (D, C, pH, pW))
    ((2, 3, 8, 8), (6, 3, 4, 4)),
    ((1, 1, 6, 9), (4, 1, 3, 3)),
    ((3, 2, 4, 6), (5, 2, 2, 3)),
    ((2, 3, 5, 5), (7, 3, 5, 5)),  # one patch: the whole image
    ((2, 4, 3, 4), (3, 4, 1, 1)),  # 1x1 patches: a per-pixel linear map
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("xs", "ws"), GRID)
@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("extreme", [False, True])
def test_matches_torch(dtype, xs, ws, with_bias, extreme) -> None:
    rng = np.random.default_rng(3)
    draw = (lambda s: rng.choice(EXTREMES, size=s)) if extreme else (lambda s: rng.normal(size=s))
    x, w = draw(xs).astype(dtype), (rng.normal(size=ws) * (100 if extreme else 1)).astype(dtype)
    b = draw(ws[0]).astype(dtype) if with_bias else None
    p = ws[2:]
    g = draw(patch_embed(x, w, b, p).shape).astype(dtype)
    ref = torch_patch_embed(x, w, b, g, p)
    ours = (patch_embed(x, w, b, p), *patch_embed_backward(g, x, w, b, p))
    # each result is a sum of products, exact to about eps * sum |products| (torch adds in its
    # own order): those sums are our functions applied to |inputs|; 8 eps of them (+ |ref|)
    absb = None if b is None else np.abs(b)
    sums = (patch_embed(np.abs(x), np.abs(w), absb, p), *patch_embed_backward(np.abs(g), np.abs(x), np.abs(w), absb, p))
    assert_sums_match(("tokens", "dimages", "dweight", "dbias"), ours, ref, sums, dtype, 8)
    # and patchify's backward is exact: a rearrangement, no arithmetic
    t = patchify(x, p)
    np.testing.assert_array_equal(patchify_backward(t, x, p), x)
