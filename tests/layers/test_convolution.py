"""conv2d / conv2d_backward: hand values, properties, stability, bad input, scipy and PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import conv2d, conv2d_backward
from tests.layers.shared import assert_sums_match, window_geometry
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward


# ---------------------------------------------------------------- hand-checked values
def test_hand_values_with_padding_and_stride() -> None:
    # x = [[1, 2], [3, 4]] padded by 1 -> a 4x4 grid with the image in the middle; the all-ones
    # 2x2 kernel with stride 2 sums the four 2x2 blocks of that grid, each of which holds exactly
    # one pixel of x: y = x (+ bias 0.5)
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    y = conv2d(x, np.ones((1, 1, 2, 2)), bias=[0.5], stride=2, padding=1)
    np.testing.assert_array_equal(y, x + 0.5)
    # stride 1 on the same padded grid: 3x3 sums of 2x2 blocks, e.g. the centre is 1 + 2 + 3 + 4
    y = conv2d(x, np.ones((1, 1, 2, 2)), padding=1)
    np.testing.assert_array_equal(y[0, 0], [[1, 3, 2], [4, 10, 6], [3, 7, 4]])


def test_cross_correlation_not_convolution() -> None:
    # the kernel [[0, 1]] reads the pixel to the right of each position: y[i, j] = x[i, j + 1];
    # a true convolution would flip the kernel and read x[i, j] instead
    x = np.arange(12.0).reshape(1, 1, 3, 4)
    y = conv2d(x, np.array([[[[0.0, 1.0]]]]))
    np.testing.assert_array_equal(y[0, 0], x[0, 0, :, 1:])


def test_channels_are_summed_and_filters_stacked() -> None:
    # a 1x1 convolution is a matrix product over channels at every pixel: y[:, o] = sum_c w[o, c] x[:, c]
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(6, 3, 1, 1))
    np.testing.assert_allclose(conv2d(x, w), np.einsum("oc,nchw->nohw", w[:, :, 0, 0], x), rtol=1e-13, atol=1e-14)


def test_backward_hand_values() -> None:
    # x = [[1, 2], [3, 4]], kernel [[1, 1]] (1x2), g = [[1], [10]]: y[i] = x[i, 0] + x[i, 1];
    # dx[i, j] = g[i]; dweight[0, b] = sum_i g[i] x[i, b] = (1 + 30, 2 + 40); dbias = 11
    dx, dw, db = conv2d_backward([[[[1.0], [10.0]]]], [[[[1.0, 2.0], [3.0, 4.0]]]], [[[[1.0, 1.0]]]], [0.0])
    np.testing.assert_array_equal(dx[0, 0], [[1, 1], [10, 10]])
    np.testing.assert_array_equal(dw[0, 0], [[31, 42]])
    np.testing.assert_array_equal(db, [11])
    assert conv2d_backward(np.ones((1, 1, 2, 1)), np.ones((1, 1, 2, 2)), np.ones((1, 1, 1, 2)))[2] is None


def test_backward_overlapping_windows_add_up() -> None:
    # 3x3 ones kernel, stride 1 on a 4x4 image: each pixel's gradient counts the windows covering it
    dx, _, _ = conv2d_backward(np.ones((1, 1, 2, 2)), np.zeros((1, 1, 4, 4)), np.ones((1, 1, 3, 3)))
    np.testing.assert_array_equal(dx[0, 0], [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])
    # stride 2 with a 1x1 kernel skips pixels: they get no gradient
    dx, _, _ = conv2d_backward(np.ones((1, 1, 2, 2)), np.zeros((1, 1, 4, 4)), np.ones((1, 1, 1, 1)), stride=2)
    np.testing.assert_array_equal(dx[0, 0], [[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]])


def test_matches_scipy_correlate2d() -> None:
    # an independent reference: scipy's 2-d cross-correlation, summed over input channels
    signal = require("scipy.signal")
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(2, 3, 6, 7)), rng.normal(size=(4, 3, 3, 2))
    ref = np.array([[sum(signal.correlate2d(x[n, c], w[o, c], mode="valid") for c in range(3))
                     for o in range(4)] for n in range(2)])
    np.testing.assert_allclose(conv2d(x, w), ref, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- properties
@st.composite
def problems(draw):
    n, c_in, c_out = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kernel, stride, padding, image, rng = draw(window_geometry())
    return (rng.normal(size=(n, c_in, *image)), rng.normal(size=(c_out, c_in, *kernel)),
            rng.normal(size=c_out), stride, padding)


@settings(max_examples=60)
@given(problems())
def test_backward_is_the_adjoint(problem) -> None:
    # y - b is linear in x and in weight, so the backward pass is its adjoint in each:
    # sum(g * (y - b)) = sum(x * dx) = sum(w * dweight); and dbias = sum of g per channel.
    # Tolerance: rounding of sums of at most sum|g| * max|x| * sum|w| in size
    x, w, b, stride, padding = problem
    y = conv2d(x, w, b, stride, padding)
    g = np.random.default_rng(0).normal(size=y.shape)
    dx, dw, db = conv2d_backward(g, x, w, b, stride, padding)
    inner = np.sum(g * (y - b.reshape(1, -1, 1, 1)))
    tol = 1e-12 * (1 + np.sum(np.abs(g)) * np.abs(x).max() * np.abs(w).sum())
    assert abs(np.sum(x * dx) - inner) < tol
    assert abs(np.sum(w * dw) - inner) < tol
    np.testing.assert_allclose(db, g.sum(axis=(0, 2, 3)), rtol=1e-13, atol=1e-13)


@settings(max_examples=30)
@given(problems(), st.floats(-3, 3), st.floats(-3, 3))
def test_linear_in_x(problem, a, c) -> None:
    x, w, _, stride, padding = problem
    x2 = np.random.default_rng(1).normal(size=x.shape)
    lhs = conv2d(a * x + c * x2, w, None, stride, padding)
    rhs = a * conv2d(x, w, None, stride, padding) + c * conv2d(x2, w, None, stride, padding)
    np.testing.assert_allclose(lhs, rhs, atol=1e-12 * (1 + np.abs(w).sum() * 20))


def test_translation_equivariance() -> None:
    # shifting the image by one pixel shifts the (unpadded, stride 1) output by one pixel
    rng = np.random.default_rng(2)
    x, w = rng.normal(size=(1, 2, 8, 9)), rng.normal(size=(3, 2, 3, 3))
    np.testing.assert_allclose(conv2d(x[:, :, 1:, :], w), conv2d(x, w)[:, :, 1:, :], rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_up_to_1e4(dtype) -> None:
    rng = np.random.default_rng(3)
    x = rng.choice(EXTREMES, size=(2, 3, 6, 5)).astype(dtype)
    w = rng.choice([-1e4, -1.0, 0.0, 1e-8, 1e4], size=(2, 3, 3, 3)).astype(dtype)
    b = np.array([1e4, -1e4], dtype)
    y = conv2d(x, w, b, stride=2, padding=1)
    grads = conv2d_backward(np.full(y.shape, 1e4, dtype), x, w, b, stride=2, padding=1)
    for v in (y, *grads):
        assert v.dtype == dtype and np.all(np.isfinite(v))


def test_nan_reaches_only_the_outputs_that_see_it() -> None:
    x = np.zeros((1, 1, 5, 5))
    x[0, 0, 0, 0] = np.nan
    y = conv2d(x, np.ones((1, 1, 2, 2)))
    assert np.isnan(y[0, 0, 0, 0]) and np.isnan(y).sum() == 1


def test_results_never_alias_the_inputs() -> None:
    # the windows are views of x, but every result is a fresh array: writing into one is safe
    rng = np.random.default_rng(4)
    x, w, b = rng.normal(size=(1, 1, 4, 4)), np.ones((1, 1, 2, 2)), np.zeros(1)
    g = np.ones((1, 1, 3, 3))
    for out in (conv2d(x, w, b), *conv2d_backward(g, x, w, b)):
        assert not any(np.shares_memory(out, a) for a in (x, w, b, g))


def test_empty_batch_gives_empty_outputs() -> None:
    # N = 0 images: an empty output (N, C_out, H_out, W_out), as PyTorch returns; zero gradients for
    # the weights and the bias (a sum over no samples), an empty one for x
    torch = require("torch")
    x, w, b = np.zeros((0, 2, 5, 4)), np.ones((3, 2, 2, 3)), np.ones(3)
    y = conv2d(x, w, b, stride=(2, 1), padding=1)
    assert y.shape == tuple(torch.nn.functional.conv2d(
        torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), stride=(2, 1), padding=1).shape) == (0, 3, 3, 4)
    dx, dw, db = conv2d_backward(np.zeros(y.shape), x, w, b, stride=(2, 1), padding=1)
    assert dx.shape == x.shape
    np.testing.assert_array_equal(dw, np.zeros(w.shape))
    np.testing.assert_array_equal(db, np.zeros(3))
    # and no output channel at all: (N, 0, H_out, W_out)
    assert conv2d(np.ones((2, 2, 3, 3)), np.ones((0, 2, 2, 2))).shape == (2, 0, 2, 2)


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    x, w = np.ones((1, 2, 5, 5)), np.ones((3, 2, 3, 3))
    with pytest.raises(ValueError, match=r"x must have shape \(N, C, H, W\), got shape \(2, 5, 5\)"):
        conv2d(np.ones((2, 5, 5)), w)
    with pytest.raises(ValueError, match=r"weight must have shape \(C_out, C_in, kH, kW\) with C_in = 2 \(the channels of x of shape \(1, 2, 5, 5\)\), got shape \(3, 1, 3, 3\)"):
        conv2d(x, np.ones((3, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"bias must have shape \(C_out,\) = \(3,\) for weight of shape \(3, 2, 3, 3\), got \(2,\)"):
        conv2d(x, w, np.ones(2))
    with pytest.raises(ValueError, match=r"stride must be >= 1 in both directions, got \(1, 0\)"):
        conv2d(x, w, stride=(1, 0))
    with pytest.raises(ValueError, match=r"padding must be >= 0 in both directions, got \(-1, -1\)"):
        conv2d(x, w, padding=-1)
    with pytest.raises(TypeError, match=r"stride must be an int or a pair of ints \(height, width\), got 1.5"):
        conv2d(x, w, stride=1.5)
    with pytest.raises(TypeError, match="padding must be an int or a pair of ints"):
        conv2d(x, w, padding=(1, 1, 1))
    with pytest.raises(ValueError, match=r"conv2d: kernel size \(7, 3\) is larger than the padded input \(6, 7\)"):
        conv2d(np.ones((1, 2, 4, 5)), np.ones((3, 2, 7, 3)), padding=1)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(1, 3, 3, 3\)"):
        conv2d_backward(np.ones((1, 3, 3, 2)), x, w)
    with pytest.raises(TypeError, match="weight must be real-valued"):
        conv2d(x, w * 1j)


# ---------------------------------------------------------------- PyTorch
def torch_conv2d(x, w, b, g, stride, padding):
    torch = require("torch")
    if b is None:
        y, (dx, dw) = torch_forward_backward(
            lambda a, c: torch.nn.functional.conv2d(a, c, None, stride, padding), [x, w], g, [0, 1])
        return y, dx, dw, None
    y, (dx, dw, db) = torch_forward_backward(
        lambda a, c, d: torch.nn.functional.conv2d(a, c, d, stride, padding), [x, w, b], g, [0, 1, 2])
    return y, dx, dw, db


def assert_matches_torch(x, w, b, g, stride, padding, dtype) -> None:
    """Each result against PyTorch, in units of the sum of |terms| it adds up.

    A sum of K products is exact to about eps * sum |products| (PyTorch and we add them in
    different orders, so neither is exact); those sums are our own functions applied to |inputs|:
    conv2d(|x|, |w|) + |b| for y, and conv2d_backward(|g|, |x|, |w|) for the gradients.
    """
    ref = torch_conv2d(x, w, b, g, stride, padding)
    ours = (conv2d(x, w, b, stride, padding), *conv2d_backward(g, x, w, b, stride, padding))
    absb = None if b is None else np.abs(b)
    sy = conv2d(np.abs(x), np.abs(w), absb, stride, padding)
    sdx, sdw, sdb = conv2d_backward(np.abs(g), np.abs(x), np.abs(w), absb, stride, padding)
    # per element: |ours - ref| <= 8 eps (|ref| + sum |terms|)
    assert_sums_match(("y", "dx", "dweight", "dbias"), ours, ref, (sy, sdx, sdw, sdb), dtype, 8)


GRID = [
    # (x shape, weight shape, stride, padding)
    ((2, 3, 7, 7), (4, 3, 3, 3), 1, 0),
    ((2, 3, 7, 7), (4, 3, 3, 3), 1, 1),
    ((1, 2, 9, 6), (3, 2, 2, 3), 2, 1),
    ((3, 1, 8, 11), (2, 1, 5, 2), (2, 3), (2, 0)),
    ((2, 4, 6, 5), (5, 4, 1, 1), 3, 0),
    ((1, 2, 5, 4), (2, 2, 5, 4), 1, 0),           # kernel = image: one output pixel
    ((2, 2, 10, 9), (3, 2, 4, 4), (3, 2), (1, 3)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("xs", "ws", "stride", "padding"), GRID)
@pytest.mark.parametrize("with_bias", [True, False])
def test_matches_torch(dtype, xs, ws, stride, padding, with_bias) -> None:
    rng = np.random.default_rng(5)
    x, w = rng.normal(size=xs).astype(dtype), rng.normal(size=ws).astype(dtype)
    b = rng.normal(size=ws[0]).astype(dtype) if with_bias else None
    g = rng.normal(size=conv2d(x, w, b, stride, padding).shape).astype(dtype)
    assert_matches_torch(x, w, b, g, stride, padding, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("stride", "padding"), [(1, 1), ((2, 1), (0, 2))])
def test_matches_torch_at_extremes(dtype, stride, padding) -> None:
    rng = np.random.default_rng(6)
    x = rng.choice(EXTREMES, size=(2, 3, 6, 7)).astype(dtype)
    w = (rng.normal(size=(2, 3, 3, 2)) * rng.choice([1e-3, 1, 1e3], size=(2, 3, 3, 2))).astype(dtype)
    b = np.array([1e4, -1e-8], dtype)
    g = rng.choice(EXTREMES, size=conv2d(x, w, b, stride, padding).shape).astype(dtype)
    assert_matches_torch(x, w, b, g, stride, padding, dtype)
