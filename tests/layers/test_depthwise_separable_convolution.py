"""depthwise_conv2d / depthwise_separable_conv2d and their backwards: hand values, properties,
stability, bad input, and PyTorch's grouped convolution."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import (
    conv2d,
    depthwise_conv2d,
    depthwise_conv2d_backward,
    depthwise_separable_conv2d,
    depthwise_separable_conv2d_backward,
)
from tests.layers.shared import assert_sums_match, window_geometry
from tests.reference import DTYPES, EXTREMES, require, torch_forward_backward


# ---------------------------------------------------------------- hand-checked values
def test_hand_values_channels_stay_apart() -> None:
    # channel 0 = ones, channel 1 = 2 * ones (3x3); kernels: all-ones 2x2 and [[1, 0], [0, -1]].
    # channel 0: every 2x2 window sums four ones = 4 (+ bias 1 = 5);
    # channel 1: top-left minus bottom-right of a constant image = 0 (+ bias -1 = -1)
    x = np.stack([np.ones((3, 3)), 2 * np.ones((3, 3))])[None]
    w = np.array([np.ones((2, 2)), [[1.0, 0.0], [0.0, -1.0]]])[:, None]
    y = depthwise_conv2d(x, w, bias=[1.0, -1.0])
    np.testing.assert_array_equal(y[0, 0], np.full((2, 2), 5.0))
    np.testing.assert_array_equal(y[0, 1], np.full((2, 2), -1.0))


def test_hand_values_padding_and_stride() -> None:
    # 1 channel, x = [[1, 2], [3, 4]] padded by 1 -> 4x4; all-ones 2x2 kernel with stride 2 covers
    # the four 2x2 blocks, each holding exactly one pixel of x: y = x
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    np.testing.assert_array_equal(depthwise_conv2d(x, np.ones((1, 1, 2, 2)), stride=2, padding=1), x)


def test_backward_hand_values() -> None:
    # one channel, x = [[1, 2, 3]], kernel [[1, 1]], g = [[1, 10]]: y = (1 + 2, 2 + 3);
    # dx = (1, 1 + 10, 10) (the middle pixel is in both windows); dweight = (1*1 + 10*2, 1*2 + 10*3)
    dx, dw, db = depthwise_conv2d_backward([[[[1.0, 10.0]]]], [[[[1.0, 2.0, 3.0]]]], [[[[1.0, 1.0]]]], [0.0])
    np.testing.assert_array_equal(dx, [[[[1.0, 11.0, 10.0]]]])
    np.testing.assert_array_equal(dw, [[[[21.0, 32.0]]]])
    np.testing.assert_array_equal(db, [11.0])
    assert depthwise_conv2d_backward(np.ones((1, 1, 1, 2)), np.ones((1, 1, 1, 3)), np.ones((1, 1, 1, 2)))[2] is None


def test_separable_hand_values() -> None:
    # two channels of constants 1 and 2 (2x2), depthwise 1x1 kernels 3 and 5 -> 3 and 10;
    # pointwise rows (1, 1) and (1, -1): output channels 13 and -7 everywhere
    x = np.stack([np.ones((2, 2)), 2 * np.ones((2, 2))])[None]
    y = depthwise_separable_conv2d(x, [[[[3.0]]], [[[5.0]]]], np.array([[1.0, 1.0], [1.0, -1.0]])[:, :, None, None])
    np.testing.assert_array_equal(y[0, 0], np.full((2, 2), 13.0))
    np.testing.assert_array_equal(y[0, 1], np.full((2, 2), -7.0))


def test_is_a_full_convolution_with_a_block_diagonal_weight() -> None:
    # depthwise = conv2d whose weight (C, C, kH, kW) is zero off the diagonal c_out == c_in;
    # separable = conv2d with weight pw[o, c] * dw[c] summed over c (rank-structured kernel)
    rng = np.random.default_rng(0)
    x, dw, pw = rng.normal(size=(2, 3, 6, 5)), rng.normal(size=(3, 1, 3, 2)), rng.normal(size=(4, 3, 1, 1))
    full = np.zeros((3, 3, 3, 2))
    full[np.arange(3), np.arange(3)] = dw[:, 0]
    np.testing.assert_allclose(depthwise_conv2d(x, dw, None, 2, 1), conv2d(x, full, None, 2, 1), rtol=1e-13, atol=1e-13)
    combined = np.einsum("oc,cab->ocab", pw[:, :, 0, 0], dw[:, 0])
    np.testing.assert_allclose(depthwise_separable_conv2d(x, dw, pw, 2, 1), conv2d(x, combined, None, 2, 1),
                               rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- properties
@st.composite
def problems(draw):
    n, c, c_out = draw(st.integers(1, 2)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    kernel, stride, padding, image, rng = draw(window_geometry())
    return (rng.normal(size=(n, c, *image)), rng.normal(size=(c, 1, *kernel)), rng.normal(size=c),
            rng.normal(size=(c_out, c, 1, 1)), stride, padding)


@settings(max_examples=40, deadline=None)
@given(problems())
def test_backward_is_the_adjoint(problem) -> None:
    # y - b is linear in x and in weight, so the backward is its adjoint in each:
    # sum(g * (y - b)) = sum(x * dx) = sum(w * dweight). Tolerance: 1e-12 of the largest sum of
    # |products| involved (float64 rounding of sums of at most a few hundred terms)
    x, w, b, pw, stride, padding = problem
    y = depthwise_conv2d(x, w, b, stride, padding)
    g = np.random.default_rng(0).normal(size=y.shape)
    dx, dw, db = depthwise_conv2d_backward(g, x, w, b, stride, padding)
    inner = np.sum(g * (y - b.reshape(1, -1, 1, 1)))
    tol = 1e-12 * (1 + np.sum(np.abs(g)) * np.abs(x).max() * np.abs(w).max() * w[0, 0].size)
    assert abs(np.sum(x * dx) - inner) < tol
    assert abs(np.sum(w * dw) - inner) < tol
    np.testing.assert_allclose(db, g.sum(axis=(0, 2, 3)), rtol=1e-13, atol=1e-13)
    # the separable layer is bilinear: linear in x, in dw and in pw, each with the others fixed
    ys = depthwise_separable_conv2d(x, w, pw, stride, padding)
    gs = np.random.default_rng(1).normal(size=ys.shape)
    inner = np.sum(gs * ys)
    tol = 1e-12 * (1 + np.sum(np.abs(gs)) * np.abs(x).max() * np.abs(w).max() * w[0, 0].size * np.abs(pw).sum())
    for a, da in zip((x, w, pw), depthwise_separable_conv2d_backward(gs, x, w, pw, stride, padding)):
        assert da.shape == a.shape
        assert abs(np.sum(a * da) - inner) < tol


def test_channel_permutation_equivariance() -> None:
    # permuting the channels of x together with the filters permutes the output channels
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(2, 4, 5, 5)), rng.normal(size=(4, 1, 3, 3)), rng.normal(size=4)
    perm = np.array([2, 0, 3, 1])
    np.testing.assert_array_equal(depthwise_conv2d(x[:, perm], w[perm], b[perm], 1, 1),
                                  depthwise_conv2d(x, w, b, 1, 1)[:, perm])


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_up_to_1e4(dtype) -> None:
    rng = np.random.default_rng(3)
    x = rng.choice(EXTREMES, size=(2, 3, 6, 5)).astype(dtype)
    w = rng.choice([-1e4, -1.0, 0.0, 1e-8, 1e4], size=(3, 1, 3, 3)).astype(dtype)
    pw = rng.choice([-1.0, 0.5, 1e-3], size=(2, 3, 1, 1)).astype(dtype)
    b = np.array([1e4, -1e4, 0.0], dtype)
    y = depthwise_conv2d(x, w, b, stride=2, padding=1)
    outs = (y, *depthwise_conv2d_backward(np.full(y.shape, 1e4, dtype), x, w, b, stride=2, padding=1))
    ys = depthwise_separable_conv2d(x, w, pw, 2, 1)
    outs += (ys, *depthwise_separable_conv2d_backward(np.full(ys.shape, 1e4, dtype), x, w, pw, 2, 1))
    for v in outs:
        assert v.dtype == dtype and np.all(np.isfinite(v))


def test_nan_stays_in_its_channel() -> None:
    x = np.zeros((1, 2, 4, 4))
    x[0, 0, 0, 0] = np.nan
    y = depthwise_conv2d(x, np.ones((2, 1, 2, 2)))
    assert np.isnan(y[0, 0, 0, 0]) and np.isnan(y).sum() == 1


def test_empty_batch() -> None:
    # N = 0: empty outputs, as PyTorch returns; zero weight and bias gradients (a sum over nothing)
    x, w, b = np.zeros((0, 2, 5, 4)), np.ones((2, 1, 2, 3)), np.ones(2)
    y = depthwise_conv2d(x, w, b, (2, 1), 1)
    assert y.shape == (0, 2, 3, 4)
    dx, dw, db = depthwise_conv2d_backward(np.zeros(y.shape), x, w, b, (2, 1), 1)
    assert dx.shape == x.shape
    np.testing.assert_array_equal(dw, np.zeros(w.shape))
    np.testing.assert_array_equal(db, np.zeros(2))
    assert depthwise_separable_conv2d(x, w, np.ones((3, 2, 1, 1)), (2, 1), 1).shape == (0, 3, 3, 4)


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    x, w = np.ones((1, 2, 5, 5)), np.ones((2, 1, 3, 3))
    with pytest.raises(ValueError, match=r"x must have shape \(N, C, H, W\), got shape \(2, 5, 5\)"):
        depthwise_conv2d(np.ones((2, 5, 5)), w)
    with pytest.raises(ValueError, match=r"weight must have shape \(C, 1, kH, kW\) with C = 2 \(the channels of x of shape \(1, 2, 5, 5\)\), got shape \(2, 2, 3, 3\)"):
        depthwise_conv2d(x, np.ones((2, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"weight must have shape \(C, 1, kH, kW\) with C = 2"):
        depthwise_conv2d(x, np.ones((3, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"bias must have shape \(C,\) = \(2,\) for weight of shape \(2, 1, 3, 3\), got \(3,\)"):
        depthwise_conv2d(x, w, np.ones(3))
    with pytest.raises(ValueError, match=r"stride must be >= 1 in both directions, got \(0, 1\)"):
        depthwise_conv2d(x, w, stride=(0, 1))
    with pytest.raises(TypeError, match="padding must be an int or a pair of ints"):
        depthwise_conv2d(x, w, padding=0.5)
    with pytest.raises(ValueError, match=r"depthwise_conv2d: kernel size \(3, 3\) is larger than the padded input \(2, 2\)"):
        depthwise_conv2d(np.ones((1, 2, 2, 2)), w)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(1, 2, 3, 3\)"):
        depthwise_conv2d_backward(np.ones((1, 2, 3, 2)), x, w)
    with pytest.raises(ValueError, match=r"dw_weight must have shape \(C, 1, kH, kW\) with C = 2"):
        depthwise_separable_conv2d(x, np.ones((2, 2, 3, 3)), np.ones((4, 2, 1, 1)))
    with pytest.raises(ValueError, match=r"pw_weight must have shape \(C_out, C, 1, 1\) with C = 2 \(the channels of x\), got shape \(4, 2, 3, 3\)"):
        depthwise_separable_conv2d(x, w, np.ones((4, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(1, 4, 3, 3\)"):
        depthwise_separable_conv2d_backward(np.ones((1, 2, 3, 3)), x, w, np.ones((4, 2, 1, 1)))
    with pytest.raises(TypeError, match="weight must be real-valued"):
        depthwise_conv2d(x, w * 1j)


# ---------------------------------------------------------------- PyTorch
def assert_depthwise_matches_torch(x, w, b, g, stride, padding, dtype) -> None:
    torch = require("torch")
    c = x.shape[1]
    wrt = [0, 1] if b is None else [0, 1, 2]
    ref_y, ref_grads = torch_forward_backward(
        lambda a, k, *bias: torch.nn.functional.conv2d(a, k, bias[0] if bias else None, stride, padding, groups=c),
        [x, w] + ([] if b is None else [b]), g, wrt)
    ours = (depthwise_conv2d(x, w, b, stride, padding), *depthwise_conv2d_backward(g, x, w, b, stride, padding))
    absb = None if b is None else np.abs(b)
    sums = (depthwise_conv2d(np.abs(x), np.abs(w), absb, stride, padding),
            *depthwise_conv2d_backward(np.abs(g), np.abs(x), np.abs(w), absb, stride, padding))
    ref = (ref_y, *ref_grads) if b is not None else (ref_y, *ref_grads, None)
    # 8 eps: a sum of at most kH kW (y, dx) or N H_out W_out (dweight) products, well below 8
    # ulps of sum |products| in practice for either order of addition
    assert_sums_match(("y", "dx", "dweight", "dbias"), ours, ref, sums, dtype, 8)


def assert_separable_matches_torch(x, dw, pw, g, stride, padding, dtype) -> None:
    torch = require("torch")
    c = x.shape[1]
    ref_y, ref_grads = torch_forward_backward(
        lambda a, k, p: torch.nn.functional.conv2d(
            torch.nn.functional.conv2d(a, k, None, stride, padding, groups=c), p),
        [x, dw, pw], g, [0, 1, 2])
    ours = (depthwise_separable_conv2d(x, dw, pw, stride, padding),
            *depthwise_separable_conv2d_backward(g, x, dw, pw, stride, padding))
    sums = (depthwise_separable_conv2d(np.abs(x), np.abs(dw), np.abs(pw), stride, padding),
            *depthwise_separable_conv2d_backward(np.abs(g), np.abs(x), np.abs(dw), np.abs(pw), stride, padding))
    # two sums in a row: the depthwise sum's rounding (8 eps as above) carried through the
    # pointwise sum, plus that sum's own; 16 eps of the chained sum of |terms|
    assert_sums_match(("y", "dx", "ddw", "dpw"), ours, (ref_y, *ref_grads), sums, dtype, 16)


GRID = [
    # (x shape, kernel (kH, kW), stride, padding)
    ((2, 3, 7, 7), (3, 3), 1, 0),
    ((2, 3, 7, 7), (3, 3), 1, 1),
    ((1, 4, 9, 6), (2, 3), 2, 1),
    ((3, 2, 8, 11), (5, 2), (2, 3), (2, 0)),
    ((2, 5, 6, 5), (1, 1), 3, 0),
    ((1, 2, 5, 4), (5, 4), 1, 0),          # kernel = image: one output pixel
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("xs", "k", "stride", "padding"), GRID)
def test_matches_torch(dtype, xs, k, stride, padding) -> None:
    rng = np.random.default_rng(5)
    c = xs[1]
    x, w = rng.normal(size=xs).astype(dtype), rng.normal(size=(c, 1, *k)).astype(dtype)
    b = rng.normal(size=c).astype(dtype)
    y = depthwise_conv2d(x, w, b, stride, padding)
    for bias in (b, None):
        assert_depthwise_matches_torch(x, w, bias, rng.normal(size=y.shape).astype(dtype), stride, padding, dtype)
    pw = rng.normal(size=(3, c, 1, 1)).astype(dtype)
    g = rng.normal(size=(y.shape[0], 3, *y.shape[2:])).astype(dtype)
    assert_separable_matches_torch(x, w, pw, g, stride, padding, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("stride", "padding"), [(1, 1), ((2, 1), (0, 2))])
def test_matches_torch_at_extremes(dtype, stride, padding) -> None:
    rng = np.random.default_rng(6)
    x = rng.choice(EXTREMES, size=(2, 3, 6, 7)).astype(dtype)
    w = (rng.normal(size=(3, 1, 3, 2)) * rng.choice([1e-3, 1, 1e3], size=(3, 1, 3, 2))).astype(dtype)
    b = np.array([1e4, -1e-8, 0.0], dtype)
    y = depthwise_conv2d(x, w, b, stride, padding)
    assert_depthwise_matches_torch(x, w, b, rng.choice(EXTREMES, size=y.shape).astype(dtype), stride, padding, dtype)
    pw = rng.choice([-1.0, 1e-3, 2.0], size=(2, 3, 1, 1)).astype(dtype)
    g = rng.choice(EXTREMES, size=(2, 2, *y.shape[2:])).astype(dtype)
    assert_separable_matches_torch(x, w, pw, g, stride, padding, dtype)
