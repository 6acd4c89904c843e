"""conv_transpose2d / conv_transpose2d_backward: hand values, the adjoint identity with conv2d,
stability, bad input, and PyTorch's conv_transpose2d."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import conv2d, conv2d_backward, conv_transpose2d, conv_transpose2d_backward
from tests.layers.shared import assert_sums_match
from tests.reference import DTYPES, EXTREMES, require, torch_forward_backward


# ---------------------------------------------------------------- hand-checked values
def test_hand_values_stride_2_tiles_the_kernel() -> None:
    # x = [[1, 2], [3, 4]], all-ones 2x2 kernel, stride 2: each pixel becomes a 2x2 block of its
    # value (non-overlapping copies): nearest-neighbour upsampling by 2, plus the bias 0.5
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    y = conv_transpose2d(x, np.ones((1, 1, 2, 2)), bias=[0.5], stride=2)
    np.testing.assert_array_equal(y[0, 0], np.kron(x[0, 0], np.ones((2, 2))) + 0.5)


def test_hand_values_overlap_and_padding() -> None:
    # the same x with stride 1 and a 2x2 ones kernel: the 3x3 full grid counts the copies that
    # overlap, [[1, 3, 2], [4, 10, 6], [3, 7, 4]] (the centre gets all four pixels: 1+2+3+4);
    # padding 1 cuts one row/column from each side, leaving the centre 10
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    np.testing.assert_array_equal(conv_transpose2d(x, np.ones((1, 1, 2, 2)))[0, 0], [[1, 3, 2], [4, 10, 6], [3, 7, 4]])
    np.testing.assert_array_equal(conv_transpose2d(x, np.ones((1, 1, 2, 2)), padding=1), [[[[10.0]]]])


def test_output_padding_adds_a_bottom_row_of_bias() -> None:
    # 1x1 input 5, 1x1 kernel 2, stride 2: full grid (1 - 1) * 2 + 1 = 1 -> [[10]]; output_padding
    # (1, 0) keeps one more row, which no copy reaches: only the bias 1 there
    y = conv_transpose2d([[[[5.0]]]], [[[[2.0]]]], bias=[1.0], stride=2, output_padding=(1, 0))
    np.testing.assert_array_equal(y, [[[[11.0], [1.0]]]])


def test_channels_are_mixed_by_the_weight() -> None:
    # 1x1 kernels: at every pixel y[:, o] = sum_c x[:, c] * weight[c, o] (weight is (C_in, C_out))
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(3, 6, 1, 1))
    np.testing.assert_allclose(conv_transpose2d(x, w), np.einsum("co,nchw->nohw", w[:, :, 0, 0], x), rtol=1e-13, atol=1e-14)


def test_backward_hand_values() -> None:
    # x = [[1, 2]], kernel [[1, 1]], stride 1: y = [1, 3, 2]; g = [1, 10, 100]:
    # dx[j] = sum_b k[b] g[j + b] = (1 + 10, 10 + 100); dweight[b] = sum_j x[j] g[j + b]
    # = (1*1 + 2*10, 1*10 + 2*100); dbias = 111
    dx, dw, db = conv_transpose2d_backward([[[[1.0, 10.0, 100.0]]]], [[[[1.0, 2.0]]]], [[[[1.0, 1.0]]]], [0.0])
    np.testing.assert_array_equal(dx, [[[[11.0, 110.0]]]])
    np.testing.assert_array_equal(dw, [[[[21.0, 210.0]]]])
    np.testing.assert_array_equal(db, [111.0])
    assert conv_transpose2d_backward(np.ones((1, 1, 1, 3)), np.ones((1, 1, 1, 2)), np.ones((1, 1, 1, 2)))[2] is None


# ---------------------------------------------------------------- properties
@st.composite
def problems(draw):
    n, c_in, c_out = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    oph, opw = draw(st.integers(0, sh - 1)), draw(st.integers(0, sw - 1))
    h, w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    # padding small enough for a positive output size
    ph = draw(st.integers(0, max(0, ((h - 1) * sh + kh + oph - 1) // 2)))
    pw = draw(st.integers(0, max(0, ((w - 1) * sw + kw + opw - 1) // 2)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return (rng.normal(size=(n, c_in, h, w)), rng.normal(size=(c_in, c_out, kh, kw)), rng.normal(size=c_out),
            (sh, sw), (ph, pw), (oph, opw))


@settings(max_examples=60, deadline=None)
@given(problems())
def test_adjoint_of_conv2d(problem) -> None:
    # <conv_transpose2d(v, w), u> = <v, conv2d(u, w)> for the same weight tensor read as conv2d's
    # (C_out, C_in, kH, kW): conv2d maps C_out -> C_in channels and the output size back to the
    # input size; and conv_transpose2d(v) is conv2d_backward's dx for the upstream gradient v.
    # Tolerance: float64 rounding of sums of |products|, 1e-12 of their total size
    v, w, b, stride, padding, op = problem
    y = conv_transpose2d(v, w, None, stride, padding, op)
    u = np.random.default_rng(1).normal(size=y.shape)
    back = conv2d(u, w, None, stride, padding)
    assert back.shape == v.shape
    tol = 1e-12 * (1 + np.abs(u).sum() * np.abs(w).sum() * np.abs(v).max())
    assert abs(np.sum(y * u) - np.sum(v * back)) < tol
    np.testing.assert_allclose(y, conv2d_backward(v, u, w, None, stride, padding)[0], rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(problems())
def test_backward_is_the_adjoint(problem) -> None:
    # y - b is linear in x and in weight: sum(g * (y - b)) = sum(x * dx) = sum(w * dweight)
    x, w, b, stride, padding, op = problem
    y = conv_transpose2d(x, w, b, stride, padding, op)
    g = np.random.default_rng(0).normal(size=y.shape)
    dx, dw, db = conv_transpose2d_backward(g, x, w, b, stride, padding, op)
    inner = np.sum(g * (y - b.reshape(1, -1, 1, 1)))
    tol = 1e-12 * (1 + np.abs(g).sum() * np.abs(w).sum() * np.abs(x).max())
    assert abs(np.sum(x * dx) - inner) < tol
    assert abs(np.sum(w * dw) - inner) < tol
    np.testing.assert_allclose(db, g.sum(axis=(0, 2, 3)), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_up_to_1e4(dtype) -> None:
    rng = np.random.default_rng(3)
    x = rng.choice(EXTREMES, size=(2, 3, 4, 5)).astype(dtype)
    w = rng.choice([-1e4, -1.0, 0.0, 1e-8, 1e4], size=(3, 2, 3, 3)).astype(dtype)
    b = np.array([1e4, -1e4], dtype)
    y = conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1)
    grads = conv_transpose2d_backward(np.full(y.shape, 1e4, dtype), x, w, b, 2, 1, 1)
    for v in (y, *grads):
        assert v.dtype == dtype and np.all(np.isfinite(v))


def test_nan_reaches_only_its_patch() -> None:
    # a NaN pixel spreads over the kernel-sized patch it is scattered onto, and nowhere else
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 0, 0] = np.nan
    y = conv_transpose2d(x, np.ones((1, 1, 2, 2)), stride=2)
    assert np.isnan(y[0, 0, :2, :2]).all() and np.isnan(y).sum() == 4


def test_empty_batch() -> None:
    # N = 0: empty output, as PyTorch; zero weight and bias gradients (sums over no samples)
    x, w, b = np.zeros((0, 2, 3, 4)), np.ones((2, 3, 2, 3)), np.ones(3)
    y = conv_transpose2d(x, w, b, 2, 1, 1)
    assert y.shape == (0, 3, 5, 8)
    dx, dw, db = conv_transpose2d_backward(np.zeros(y.shape), x, w, b, 2, 1, 1)
    assert dx.shape == x.shape
    np.testing.assert_array_equal(dw, np.zeros(w.shape))
    np.testing.assert_array_equal(db, np.zeros(3))


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    x, w = np.ones((1, 2, 3, 3)), np.ones((2, 4, 3, 3))
    with pytest.raises(ValueError, match=r"x must have shape \(N, C, H, W\), got shape \(2, 3, 3\)"):
        conv_transpose2d(np.ones((2, 3, 3)), w)
    with pytest.raises(ValueError, match=r"weight must have shape \(C_in, C_out, kH, kW\) with C_in = 2 \(the channels of x of shape \(1, 2, 3, 3\)\), got shape \(4, 2, 3, 3\)"):
        conv_transpose2d(x, np.ones((4, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"bias must have shape \(C_out,\) = \(4,\) for weight of shape \(2, 4, 3, 3\), got \(2,\)"):
        conv_transpose2d(x, w, np.ones(2))
    with pytest.raises(ValueError, match=r"output_padding must be smaller than stride in both directions, got output_padding=\(1, 1\) and stride=\(1, 1\)"):
        conv_transpose2d(x, w, output_padding=1)
    with pytest.raises(ValueError, match=r"output_padding must be >= 0 in both directions"):
        conv_transpose2d(x, w, stride=2, output_padding=-1)
    with pytest.raises(ValueError, match=r"stride must be >= 1 in both directions, got \(0, 0\)"):
        conv_transpose2d(x, w, stride=0)
    with pytest.raises(TypeError, match=r"padding must be an int or a pair of ints"):
        conv_transpose2d(x, w, padding="same")
    with pytest.raises(ValueError, match=r"conv_transpose2d: the output size \(H_out, W_out\) = \(-1, -1\) is not positive"):
        conv_transpose2d(x, w, padding=3)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(1, 4, 5, 5\)"):
        conv_transpose2d_backward(np.ones((1, 4, 3, 3)), x, w)
    with pytest.raises(TypeError, match="weight must be real-valued"):
        conv_transpose2d(x, w * 1j)


# ---------------------------------------------------------------- PyTorch
def assert_matches_torch(x, w, b, g, stride, padding, op, dtype) -> float:
    """Each result against PyTorch, per element within 8 eps of (|ref| + sum of |terms|).

    Every output, and every gradient, is a sum of products (PyTorch adds them in another order);
    a sum is exact to about eps * sum |products|, which is our own function applied to |inputs|.
    Returns the worst absolute error.
    """
    torch = require("torch")
    wrt = [0, 1] if b is None else [0, 1, 2]
    ref_y, ref_grads = torch_forward_backward(
        lambda a, k, *bias: torch.nn.functional.conv_transpose2d(
            a, k, bias[0] if bias else None, stride, padding, op),
        [x, w] + ([] if b is None else [b]), g, wrt)
    ours = (conv_transpose2d(x, w, b, stride, padding, op), *conv_transpose2d_backward(g, x, w, b, stride, padding, op))
    absb = None if b is None else np.abs(b)
    sums = (conv_transpose2d(np.abs(x), np.abs(w), absb, stride, padding, op),
            *conv_transpose2d_backward(np.abs(g), np.abs(x), np.abs(w), absb, stride, padding, op))
    ref = (ref_y, *ref_grads) if b is not None else (ref_y, *ref_grads, None)
    return assert_sums_match(("y", "dx", "dweight", "dbias"), ours, ref, sums, dtype, 8)


GRID = [
    # (x shape, weight shape, stride, padding, output_padding)
    ((2, 3, 4, 4), (3, 2, 3, 3), 1, 0, 0),
    ((2, 3, 4, 4), (3, 2, 3, 3), 2, 1, 1),        # the usual "double the size" layer
    ((1, 2, 5, 3), (2, 4, 4, 4), 2, 1, 0),        # 4x4 kernel, stride 2, padding 1: exactly 2x
    ((3, 1, 3, 4), (1, 2, 2, 3), (3, 2), (0, 1), (2, 1)),
    ((2, 4, 3, 3), (4, 3, 1, 1), 3, 0, 2),        # 1x1 kernel: pixels spread apart, zeros between
    ((1, 2, 2, 2), (2, 2, 5, 4), (1, 2), (2, 1), (0, 1)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("xs", "ws", "stride", "padding", "op"), GRID)
def test_matches_torch(dtype, xs, ws, stride, padding, op) -> None:
    rng = np.random.default_rng(5)
    x, w = rng.normal(size=xs).astype(dtype), rng.normal(size=ws).astype(dtype)
    b = rng.normal(size=ws[1]).astype(dtype)
    y = conv_transpose2d(x, w, b, stride, padding, op)
    for bias in (b, None):
        assert_matches_torch(x, w, bias, rng.normal(size=y.shape).astype(dtype), stride, padding, op, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("stride", "padding", "op"), [(1, 1, 0), ((2, 3), (0, 2), (1, 2))])
def test_matches_torch_at_extremes(dtype, stride, padding, op) -> None:
    rng = np.random.default_rng(6)
    x = rng.choice(EXTREMES, size=(2, 3, 4, 5)).astype(dtype)
    w = (rng.normal(size=(3, 2, 3, 3)) * rng.choice([1e-3, 1, 1e3], size=(3, 2, 3, 3))).astype(dtype)
    b = np.array([1e4, -1e-8], dtype)
    g = rng.choice(EXTREMES, size=conv_transpose2d(x, w, b, stride, padding, op).shape).astype(dtype)
    assert_matches_torch(x, w, b, g, stride, padding, op, dtype)
