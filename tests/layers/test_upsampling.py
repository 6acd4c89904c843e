"""upsample_nearest2d / upsample_bilinear2d and their backwards: hand values, properties,
stability, bad input, and PyTorch's F.interpolate."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import (
    upsample_bilinear2d,
    upsample_bilinear2d_backward,
    upsample_nearest2d,
    upsample_nearest2d_backward,
)
from tests.layers.shared import assert_within, values
from tests.reference import DTYPES, EXTREMES, require, torch_forward_backward


# ---------------------------------------------------------------- hand-checked values
def test_nearest_hand_values() -> None:
    # factor (2, 3): every pixel becomes a 2x3 block, i.e. np.kron with a block of ones
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    np.testing.assert_array_equal(upsample_nearest2d(x, (2, 3))[0, 0], np.kron(x[0, 0], np.ones((2, 3))))
    # factor 1.5 on a row of 4: output width floor(6) = 6, sources floor(j / 1.5) = 0 0 1 2 2 3
    row = np.array([[[[10.0, 20.0, 30.0, 40.0]]]])
    np.testing.assert_array_equal(upsample_nearest2d(row, (1, 1.5))[0, 0, 0], [10, 10, 20, 30, 30, 40])
    # factor 0.5 downsamples: width 2, sources floor(j * 2) = 0, 2
    np.testing.assert_array_equal(upsample_nearest2d(row, (1, 0.5))[0, 0, 0], [10, 30])


def test_nearest_backward_hand_values() -> None:
    # row of 4 with factor 1.5: sources 0 0 1 2 2 3, so g = 1..6 gives (1 + 2, 3, 4 + 5, 6);
    # with factor 0.5 (sources 0, 2) pixels 1 and 3 get nothing
    row = np.zeros((1, 1, 1, 4))
    np.testing.assert_array_equal(upsample_nearest2d_backward(np.arange(1.0, 7.0).reshape(1, 1, 1, 6), row, (1, 1.5)),
                                  [[[[3.0, 3.0, 9.0, 6.0]]]])
    np.testing.assert_array_equal(upsample_nearest2d_backward([[[[5.0, 7.0]]]], row, (1, 0.5)), [[[[5.0, 0.0, 7.0, 0.0]]]])


def test_bilinear_hand_values() -> None:
    # 2x2 image [[0, 2], [4, 6]] to 3x3 with align_corners: the corners stay, the centre is the
    # mean 3, the edge midpoints the means of their corners: (0+2)/2 = 1, (0+4)/2 = 2, 4, 5
    x = np.array([[[[0.0, 2.0], [4.0, 6.0]]]])
    np.testing.assert_array_equal(upsample_bilinear2d(x, 3, align_corners=True)[0, 0],
                                  [[0, 1, 2], [2, 3, 4], [4, 5, 6]])
    # align_corners=False, 2 -> 4: coordinates (j + 1/2)/2 - 1/2 = -1/4 (clamped to 0), 1/4, 3/4, 5/4
    # (clamped neighbour 1): along a row [0, 2] -> 0, 0.5, 1.5, 2
    np.testing.assert_array_equal(upsample_bilinear2d(x, (2, 4))[0, 0], [[0, 0.5, 1.5, 2], [4, 4.5, 5.5, 6]])


def test_bilinear_backward_hand_values() -> None:
    # 1x2 -> 1x3 with align_corners: weights (1, 0), (1/2, 1/2), (0, 1); g = (1, 10, 100)
    # -> dx = (1 + 5, 5 + 100)
    dx = upsample_bilinear2d_backward([[[[1.0, 10.0, 100.0]]]], np.zeros((1, 1, 1, 2)), (1, 3), align_corners=True)
    np.testing.assert_array_equal(dx, [[[[6.0, 105.0]]]])


# ---------------------------------------------------------------- properties
@st.composite
def images(draw):
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.normal(size=(n, c, h, w))


@settings(max_examples=50, deadline=None)
@given(images(), st.integers(1, 4), st.integers(1, 4))
def test_nearest_integer_factor_is_repeat(x, sh, sw) -> None:
    # an integer factor repeats every row sh times and every column sw times
    np.testing.assert_array_equal(upsample_nearest2d(x, (sh, sw)), x.repeat(sh, axis=2).repeat(sw, axis=3))


@settings(max_examples=50, deadline=None)
@given(images(), st.floats(0.3, 4.0), st.floats(0.3, 4.0))
def test_nearest_backward_is_the_adjoint(x, sh, sw) -> None:
    # the output copies input values, so <g, y> = <dx, x> exactly up to float64 rounding
    if np.floor(x.shape[2] * sh) < 1 or np.floor(x.shape[3] * sw) < 1:
        return
    y = upsample_nearest2d(x, (sh, sw))
    g = np.random.default_rng(0).normal(size=y.shape)
    dx = upsample_nearest2d_backward(g, x, (sh, sw))
    assert abs(np.sum(g * y) - np.sum(dx * x)) < 1e-12 * (1 + np.abs(g).sum() * np.abs(x).max())


@settings(max_examples=50, deadline=None)
@given(images(), st.integers(1, 9), st.integers(1, 9), st.booleans())
def test_bilinear_properties(x, h_out, w_out, align) -> None:
    y = upsample_bilinear2d(x, (h_out, w_out), align)
    # a weighted mean with non-negative weights: never outside the input's range
    assert y.min() >= x.min() - 1e-12 and y.max() <= x.max() + 1e-12
    # constants are kept (the weights sum to 1)
    np.testing.assert_allclose(upsample_bilinear2d(np.full_like(x, 2.5), (h_out, w_out), align), 2.5, rtol=1e-15)
    # backward is the adjoint, and g = 1 distributes exactly h_out * w_out in total
    g = np.random.default_rng(1).normal(size=y.shape)
    dx = upsample_bilinear2d_backward(g, x, (h_out, w_out), align)
    assert abs(np.sum(g * y) - np.sum(dx * x)) < 1e-12 * (1 + np.abs(g).sum() * np.abs(x).max())
    ones = upsample_bilinear2d_backward(np.ones(y.shape), x, (h_out, w_out), align)
    np.testing.assert_allclose(ones.sum(axis=(2, 3)), h_out * w_out, rtol=1e-13)


def test_bilinear_align_corners_reproduces_a_plane() -> None:
    # with align_corners the sample points are the exact grid (H - 1)/(H_out - 1) apart, and
    # bilinear interpolation of a plane a + b i + c j is exact: the plane on the finer grid
    i, j = np.meshgrid(np.arange(4.0), np.arange(5.0), indexing="ij")
    x = (1.0 + 2.0 * i - 3.0 * j)[None, None]
    ii, jj = np.meshgrid(np.linspace(0, 3, 10), np.linspace(0, 4, 7), indexing="ij")
    np.testing.assert_allclose(upsample_bilinear2d(x, (10, 7), align_corners=True)[0, 0],
                               1.0 + 2.0 * ii - 3.0 * jj, rtol=1e-14, atol=1e-13)


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_up_to_1e4(dtype) -> None:
    rng = np.random.default_rng(3)
    x = rng.choice(EXTREMES, size=(2, 3, 5, 4)).astype(dtype)
    for y, dx in [
        (upsample_nearest2d(x, 2.5), upsample_nearest2d_backward(np.full((2, 3, 12, 10), 1e4, dtype), x, 2.5)),
        (upsample_bilinear2d(x, (9, 7)), upsample_bilinear2d_backward(np.full((2, 3, 9, 7), 1e4, dtype), x, (9, 7))),
    ]:
        assert y.dtype == dx.dtype == dtype
        assert np.all(np.isfinite(y)) and np.all(np.isfinite(dx))


def test_infinity_is_copied_not_smeared_into_nan() -> None:
    # an infinite pixel: outputs that read it with a positive weight are infinite, outputs that
    # land exactly on its finite neighbour copy that neighbour (weight 0 for the inf: no 0 * inf)
    x = np.array([[[[0.0, np.inf]]]])
    y = upsample_bilinear2d(x, (1, 3), align_corners=True)
    assert y[0, 0, 0, 0] == 0.0 and np.isposinf(y[0, 0, 0, 1:]).all()
    assert np.isposinf(upsample_nearest2d(x, 2)[0, 0, :, 2:]).all()
    dx = upsample_bilinear2d_backward([[[[np.inf, 0.0, 0.0]]]], np.zeros((1, 1, 1, 2)), (1, 3), align_corners=True)
    np.testing.assert_array_equal(dx, [[[[np.inf, 0.0]]]])


def test_empty_batch() -> None:
    x = np.zeros((0, 2, 3, 4))
    assert upsample_nearest2d(x, 2).shape == (0, 2, 6, 8)
    assert upsample_bilinear2d(x, (5, 5)).shape == (0, 2, 5, 5)
    assert upsample_bilinear2d_backward(np.zeros((0, 2, 5, 5)), x, 5).shape == x.shape


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    x = np.ones((1, 2, 3, 3))
    with pytest.raises(ValueError, match=r"x must have shape \(N, C, H, W\), got shape \(3, 3\)"):
        upsample_nearest2d(np.ones((3, 3)), 2)
    with pytest.raises(ValueError, match=r"scale_factor must be a finite number in \(0, 10000\], got 0"):
        upsample_nearest2d(x, 0)
    with pytest.raises(ValueError, match=r"scale_factor must be a finite number"):
        upsample_nearest2d(x, float("nan"))
    with pytest.raises(TypeError, match=r"scale_factor must be a number or a pair of numbers \(height, width\), got \(1, 2, 3\)"):
        upsample_nearest2d(x, (1, 2, 3))
    with pytest.raises(ValueError, match=r"scale_factor \(0.1, 0.1\) gives an empty output \(0, 0\) for input height and width \(3, 3\)"):
        upsample_nearest2d(x, 0.1)
    with pytest.raises(ValueError, match=r"size must be >= 1 in both directions, got \(0, 4\)"):
        upsample_bilinear2d(x, (0, 4))
    with pytest.raises(TypeError, match=r"size must be an int or a pair of ints"):
        upsample_bilinear2d(x, 2.0)
    with pytest.raises(TypeError, match="align_corners must be a bool, got int"):
        upsample_bilinear2d(x, 4, 1)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(1, 2, 6, 6\)"):
        upsample_nearest2d_backward(np.ones((1, 2, 6, 5)), x, 2)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(1, 2, 4, 5\)"):
        upsample_bilinear2d_backward(np.ones((1, 2, 5, 4)), x, (4, 5))
    with pytest.raises(TypeError, match="x must be real-valued"):
        upsample_bilinear2d(x * 1j, 4)


# ---------------------------------------------------------------- PyTorch
NEAREST = [((2, 3, 4, 5), 2), ((1, 2, 3, 7), 3), ((1, 1, 5, 6), (1.5, 2.7)), ((2, 1, 7, 9), (0.5, 0.75)),
           ((1, 2, 3, 3), (2.9999, 1 / 3)), ((1, 1, 4, 4), 1)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("xs", "scale"), NEAREST)
@pytest.mark.parametrize("extreme", [False, True])
def test_nearest_matches_torch(dtype, xs, scale, extreme) -> None:
    torch = require("torch")
    rng = np.random.default_rng(5)
    draw = values(rng, extreme)
    x = draw(xs).astype(dtype)
    y = upsample_nearest2d(x, scale)
    g = draw(y.shape).astype(dtype)
    ref_y, (ref_dx,) = torch_forward_backward(
        lambda a: torch.nn.functional.interpolate(a, scale_factor=scale, mode="nearest"), [x], g, [0])
    # the forward pass copies values: bit for bit (the same float32 index rule as PyTorch)
    np.testing.assert_array_equal(y, ref_y)
    # dx sums the copies' gradients (at most 3 per axis here) in some order: within 4 eps of
    # the sum of their magnitudes
    sum_abs = upsample_nearest2d_backward(np.abs(g), x, scale)
    assert_within("dx", upsample_nearest2d_backward(g, x, scale), ref_dx, sum_abs, dtype, 4)


BILINEAR = [((2, 3, 4, 5), (8, 10)), ((1, 2, 5, 3), (3, 7)), ((1, 1, 6, 4), (13, 2)), ((2, 2, 3, 3), (1, 1)),
            ((1, 1, 1, 4), (5, 9)), ((1, 2, 7, 7), (7, 7))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("xs", "size"), BILINEAR)
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("extreme", [False, True])
def test_bilinear_matches_torch(dtype, xs, size, align, extreme) -> None:
    torch = require("torch")
    rng = np.random.default_rng(6)
    draw = values(rng, extreme)
    x = draw(xs).astype(dtype)
    y = upsample_bilinear2d(x, size, align)
    g = draw(y.shape).astype(dtype)
    ref_y, (ref_dx,) = torch_forward_backward(
        lambda a: torch.nn.functional.interpolate(a, size=size, mode="bilinear", align_corners=align), [x], g, [0])
    # PyTorch computes the coordinates and weights in the input's dtype, we in float64 rounded
    # once to it: the weights differ by up to an ulp or two, and every output is a weighted sum
    # of 4 terms (every input gradient of a few dozen): 8 eps of the sum of |weight * value|
    assert_within("y", y, ref_y, upsample_bilinear2d(np.abs(x), size, align), dtype, 8)
    sum_abs = upsample_bilinear2d_backward(np.abs(g), x, size, align)
    assert_within("dx", upsample_bilinear2d_backward(g, x, size, align), ref_dx, sum_abs, dtype, 8)
