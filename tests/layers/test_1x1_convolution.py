"""conv1x1 / conv1x1_backward: hand values, equivalences (conv2d, linear per pixel, einsum),
stability, bad input, and PyTorch's conv2d with a 1x1 kernel."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import conv1x1, conv1x1_backward, conv2d, linear, linear_backward
from tests.layers.shared import assert_sums_match, assert_within, values
from tests.reference import DTYPES, EXTREMES, require, torch_forward_backward


# ---------------------------------------------------------------- hand-checked values
def test_hand_values() -> None:
    # pixel values (x0, x1) = (1, 2) and (3, 4); weight rows (1, 1), (2, -1), bias (0, 5):
    # output 0 = x0 + x1 = 3, 7; output 1 = 2 x0 - x1 + 5 = 5, 7
    x = np.array([[[[1.0, 3.0]], [[2.0, 4.0]]]])                    # (1, 2, 1, 2)
    y = conv1x1(x, np.array([[1.0, 1.0], [2.0, -1.0]])[:, :, None, None], [0.0, 5.0])
    np.testing.assert_array_equal(y, [[[[3.0, 7.0]], [[5.0, 7.0]]]])


def test_backward_hand_values() -> None:
    # the same x and weight, g = ones: dx[c] = sum_o w[o, c] = (1 + 2, 1 - 1) at each pixel;
    # dweight[o, c] = sum over the 2 pixels of x[c] = (1 + 3, 2 + 4) for both rows; dbias = 2 each
    x = np.array([[[[1.0, 3.0]], [[2.0, 4.0]]]])
    dx, dw, db = conv1x1_backward(np.ones((1, 2, 1, 2)), x, np.array([[1.0, 1.0], [2.0, -1.0]])[:, :, None, None], [0.0, 5.0])
    np.testing.assert_array_equal(dx, [[[[3.0, 3.0]], [[0.0, 0.0]]]])
    np.testing.assert_array_equal(dw[:, :, 0, 0], [[4.0, 6.0], [4.0, 6.0]])
    np.testing.assert_array_equal(db, [2.0, 2.0])
    assert conv1x1_backward(np.ones((1, 1, 1, 1)), np.ones((1, 1, 1, 1)), np.ones((1, 1, 1, 1)))[2] is None


# ---------------------------------------------------------------- properties
@st.composite
def problems(draw):
    n, c_in, c_out = draw(st.integers(0, 3)), draw(st.integers(1, 5)), draw(st.integers(1, 5))
    h, w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.normal(size=(n, c_in, h, w)), rng.normal(size=(c_out, c_in, 1, 1)), rng.normal(size=c_out)


@settings(max_examples=60, deadline=None)
@given(problems())
def test_equals_conv2d_and_linear_per_pixel(problem) -> None:
    # three routes to the same numbers: conv2d with the 1x1 kernel; a linear layer applied to the
    # (N*H*W, C_in) matrix of pixels; einsum over the channel axis. Tolerance: float64 rounding of
    # sums of C_in <= 5 products of normal numbers
    x, w, b = problem
    y = conv1x1(x, w, b)
    np.testing.assert_allclose(y, conv2d(x, w, b), rtol=1e-12, atol=1e-12)
    n, c_in, h, wd = x.shape
    c_out = w.shape[0]
    pixels = x.transpose(0, 2, 3, 1).reshape(n * h * wd, c_in)    # sizes spelled out: N may be 0
    per_pixel = linear(pixels, w[:, :, 0, 0], b).reshape(n, h, wd, c_out).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(y, per_pixel, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(y, np.einsum("oc,nchw->nohw", w[:, :, 0, 0], x) + b[:, None, None], rtol=1e-12, atol=1e-12)
    # and the gradients are the linear layer's, with every pixel a row of the batch
    g = np.random.default_rng(1).normal(size=y.shape)
    dx, dw, db = conv1x1_backward(g, x, w, b)
    g_rows = g.transpose(0, 2, 3, 1).reshape(n * h * wd, c_out)
    ldx, ldw, ldb = linear_backward(g_rows, pixels, w[:, :, 0, 0], b)
    np.testing.assert_allclose(dx, ldx.reshape(n, h, wd, c_in).transpose(0, 3, 1, 2), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dw[:, :, 0, 0], ldw, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(db, ldb, rtol=1e-12, atol=1e-12)


def test_pixels_are_independent() -> None:
    # permuting the pixels of the input permutes those of the output the same way
    rng = np.random.default_rng(2)
    x, w = rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(4, 3, 1, 1))
    perm = rng.permutation(20)
    shuffled = x.reshape(2, 3, 20)[:, :, perm].reshape(x.shape)
    np.testing.assert_array_equal(conv1x1(shuffled, w), conv1x1(x, w).reshape(2, 4, 20)[:, :, perm].reshape(2, 4, 4, 5))


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_up_to_1e4(dtype) -> None:
    rng = np.random.default_rng(3)
    x = rng.choice(EXTREMES, size=(2, 3, 4, 5)).astype(dtype)
    w = rng.choice([-1e4, -1.0, 0.0, 1e-8, 1e4], size=(2, 3, 1, 1)).astype(dtype)
    b = np.array([1e4, -1e4], dtype)
    for v in (conv1x1(x, w, b), *conv1x1_backward(np.full((2, 2, 4, 5), 1e4, dtype), x, w, b)):
        assert v.dtype == dtype and np.all(np.isfinite(v))


def test_nan_stays_at_its_pixel() -> None:
    x = np.zeros((1, 3, 4, 4))
    x[0, 1, 2, 3] = np.nan
    y = conv1x1(x, np.ones((2, 3, 1, 1)))
    assert np.isnan(y[0, :, 2, 3]).all() and np.isnan(y).sum() == 2


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    x = np.ones((1, 3, 4, 4))
    with pytest.raises(ValueError, match=r"weight must have shape \(C_out, C_in, 1, 1\), got shape \(2, 3, 3, 3\)"):
        conv1x1(x, np.ones((2, 3, 3, 3)))
    with pytest.raises(ValueError, match=r"weight must have shape \(C_out, C_in, kH, kW\) with C_in = 3"):
        conv1x1(x, np.ones((2, 4, 1, 1)))
    with pytest.raises(ValueError, match=r"x must have shape \(N, C, H, W\), got shape \(3, 4, 4\)"):
        conv1x1(np.ones((3, 4, 4)), np.ones((2, 3, 1, 1)))
    with pytest.raises(ValueError, match=r"bias must have shape \(C_out,\) = \(2,\)"):
        conv1x1(x, np.ones((2, 3, 1, 1)), np.ones(3))
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(1, 2, 4, 4\)"):
        conv1x1_backward(np.ones((1, 3, 4, 4)), x, np.ones((2, 3, 1, 1)))
    with pytest.raises(TypeError, match="x must be real-valued"):
        conv1x1(x * 1j, np.ones((2, 3, 1, 1)))


# ---------------------------------------------------------------- PyTorch
GRID = [((2, 3, 5, 4), 6), ((1, 16, 3, 3), 4), ((3, 1, 2, 7), 2), ((2, 8, 1, 1), 8)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("xs", "c_out"), GRID)
@pytest.mark.parametrize("extreme", [False, True])
def test_matches_torch(dtype, xs, c_out, extreme) -> None:
    torch = require("torch")
    rng = np.random.default_rng(5)
    draw = values(rng, extreme)
    x = draw(xs).astype(dtype)
    w = rng.normal(size=(c_out, xs[1], 1, 1)).astype(dtype)
    b = rng.normal(size=c_out).astype(dtype)
    g = draw((xs[0], c_out, *xs[2:])).astype(dtype)
    ref_y, ref_grads = torch_forward_backward(lambda a, k, c: torch.nn.functional.conv2d(a, k, c), [x, w, b], g, [0, 1, 2])
    ours = (conv1x1(x, w, b), *conv1x1_backward(g, x, w, b))
    # the einsum identity of terms-next, on PyTorch's side too
    ein = torch.einsum("oc,bchw->bohw", torch.tensor(w[:, :, 0, 0]), torch.tensor(x)) + torch.tensor(b)[:, None, None]
    sums = (conv1x1(np.abs(x), np.abs(w), np.abs(b)), *conv1x1_backward(np.abs(g), np.abs(x), np.abs(w), np.abs(b)))
    # sums of products added in different orders: within 8 eps of (|ref| + sum |products|)
    assert_sums_match(("y", "dx", "dweight", "dbias"), ours, (ref_y, *ref_grads), sums, dtype, 8)
    assert_within("einsum y", ein.numpy(), ref_y, np.abs(ref_y) + sums[0].astype(np.float64), dtype, 8)
