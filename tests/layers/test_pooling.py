"""max_pool2d / avg_pool2d and their backwards: hand values, ties, padding, properties, stability,
bad input and PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward


def image(rows) -> np.ndarray:
    return np.array(rows, dtype=float)[None, None]


# ---------------------------------------------------------------- hand-checked values
def test_max_pool_hand_values() -> None:
    x = image([[1, 5, 2, 0], [3, 4, 8, 1], [0, 2, 9, 7], [6, 1, 3, 2]])
    # 2x2 tiles: max(1, 5, 3, 4) = 5, max(2, 0, 8, 1) = 8, max(0, 2, 6, 1) = 6, max(9, 7, 3, 2) = 9
    np.testing.assert_array_equal(max_pool2d(x, 2)[0, 0], [[5, 8], [6, 9]])
    # 3x3 windows with stride 1: the two rows of windows
    np.testing.assert_array_equal(max_pool2d(x, 3, stride=1)[0, 0], [[9, 9], [9, 9]])
    # kernel (1, 4): the maximum of each row
    np.testing.assert_array_equal(max_pool2d(x, (1, 4))[0, 0, :, 0], [5, 8, 9, 6])


def test_max_pool_padding_is_minus_infinity() -> None:
    # an all-negative image padded by 1: zero padding would make the border outputs 0; -inf does not
    x = -image([[1, 2], [3, 4]])
    np.testing.assert_array_equal(max_pool2d(x, 2, stride=1, padding=1)[0, 0],
                                  [[-1, -1, -2], [-1, -1, -2], [-3, -3, -4]])


def test_avg_pool_counts_the_padding() -> None:
    # count_include_pad=True: the corner window of a ones image padded by 1 holds one 1 and three 0s
    y = avg_pool2d(np.ones((1, 1, 2, 2)), 2, stride=1, padding=1)
    np.testing.assert_array_equal(y[0, 0], [[0.25, 0.5, 0.25], [0.5, 1, 0.5], [0.25, 0.5, 0.25]])


def test_max_backward_hand_values_and_ties() -> None:
    x = image([[1, 5, 2, 0], [3, 4, 8, 1], [0, 2, 9, 7], [6, 1, 3, 2]])
    g = image([[10, 20], [30, 40]])
    # each tile's gradient lands on its maximum: 5 at (0, 1), 8 at (1, 2), 6 at (3, 0), 9 at (2, 2)
    expected = np.zeros((4, 4))
    expected[0, 1], expected[1, 2], expected[3, 0], expected[2, 2] = 10, 20, 30, 40
    np.testing.assert_array_equal(max_pool2d_backward(g, x, 2)[0, 0], expected)
    # a constant window: the first cell in row-major order gets everything (PyTorch's choice)
    dx = max_pool2d_backward(image([[7.0]]), np.full((1, 1, 2, 2), 3.0), 2)
    np.testing.assert_array_equal(dx[0, 0], [[7, 0], [0, 0]])


def test_max_backward_overlapping_windows_add_up() -> None:
    # 2x2 windows with stride 1 over a 3x3 image whose centre is the maximum: all 4 windows pick it
    x = image([[0, 0, 0], [0, 1, 0], [0, 0, 0]])
    dx = max_pool2d_backward(np.ones((1, 1, 2, 2)), x, 2, stride=1)
    np.testing.assert_array_equal(dx[0, 0], [[0, 0, 0], [0, 4, 0], [0, 0, 0]])


def test_avg_backward_hand_values() -> None:
    # 2x2 windows, stride 1, on 3x3: a cell gets g / 4 from every window containing it:
    # corners 1 window, edges 2, the centre 4
    dx = avg_pool2d_backward(np.full((1, 1, 2, 2), 4.0), np.zeros((1, 1, 3, 3)), 2, stride=1)
    np.testing.assert_array_equal(dx[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    # with padding, the padding's share is lost: a 1x1 image, kernel 3, padding 1 -> g / 9
    dx = avg_pool2d_backward(np.full((1, 1, 1, 1), 9.0), np.zeros((1, 1, 1, 1)), 3, stride=1, padding=1)
    np.testing.assert_array_equal(dx, np.ones((1, 1, 1, 1)))


def test_stride_defaults_to_the_kernel() -> None:
    x = np.random.default_rng(0).normal(size=(2, 3, 6, 9))
    np.testing.assert_array_equal(max_pool2d(x, (2, 3)), max_pool2d(x, (2, 3), stride=(2, 3)))
    np.testing.assert_array_equal(avg_pool2d(x, 3), avg_pool2d(x, 3, stride=3))
    assert max_pool2d(x, (2, 3)).shape == (2, 3, 3, 3)


# ---------------------------------------------------------------- properties
@st.composite
def problems(draw):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    h, w = draw(st.integers(kh, 7)), draw(st.integers(kw, 7))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.normal(size=(draw(st.integers(1, 2)), draw(st.integers(1, 2)), h, w))
    return x, (kh, kw), (sh, sw), (ph, pw)


@settings(max_examples=60)
@given(problems())
def test_pooling_properties(problem) -> None:
    x, k, s, p = problem
    mx, av = max_pool2d(x, k, s, p), avg_pool2d(x, k, s, p)
    assert mx.shape == av.shape
    # without padding, a window's mean never exceeds its maximum
    if p == (0, 0):
        assert np.all(av <= mx + 1e-12)
    g = np.random.default_rng(1).normal(size=mx.shape)
    dmax, davg = max_pool2d_backward(g, x, k, s, p), avg_pool2d_backward(g, x, k, s, p)
    # max pooling routes each window's whole gradient to one real cell (padding <= k / 2 means every
    # window holds a real cell, and -inf padding never wins): the totals agree
    np.testing.assert_allclose(dmax.sum(), g.sum(), atol=1e-12 * (1 + np.abs(g).sum()))
    # max pooling is linear along the fixed argmax pattern: sum(g * y) = sum(dx * x)
    np.testing.assert_allclose(np.sum(dmax * x), np.sum(g * mx), atol=1e-12 * (1 + np.sum(np.abs(g * mx))))
    # average pooling is linear: its backward is the adjoint, sum(g * avg(x)) = sum(dx * x)
    np.testing.assert_allclose(np.sum(davg * x), np.sum(g * av), atol=1e-12 * (1 + np.sum(np.abs(g * av))))


@given(problems(), st.floats(-1e3, 1e3), st.floats(0.01, 100))
@settings(max_examples=30)
def test_max_pool_commutes_with_increasing_maps(problem, b, a) -> None:
    # max(a x + b) = a max(x) + b for a > 0 (padding -inf is unaffected)
    x, k, s, p = problem
    np.testing.assert_allclose(max_pool2d(a * x + b, k, s, p), a * max_pool2d(x, k, s, p) + b,
                               rtol=1e-13, atol=1e-10)


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_up_to_1e4(dtype) -> None:
    x = np.random.default_rng(2).choice(EXTREMES, size=(2, 2, 7, 6)).astype(dtype)
    for k, s, p in [(2, None, 0), (3, 1, 1), ((3, 2), (2, 1), (1, 0))]:
        outs = [max_pool2d(x, k, s, p), avg_pool2d(x, k, s, p)]
        g = np.full(outs[0].shape, 1e4, dtype)
        outs += [max_pool2d_backward(g, x, k, s, p), avg_pool2d_backward(g, x, k, s, p)]
        for v in outs:
            assert v.dtype == dtype and np.all(np.isfinite(v))


def test_nan_propagates() -> None:
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 0, 0] = np.nan
    assert np.isnan(max_pool2d(x, 2)[0, 0, 0, 0]) and np.isnan(max_pool2d(x, 2)).sum() == 1
    assert np.isnan(avg_pool2d(x, 2)[0, 0, 0, 0]) and np.isnan(avg_pool2d(x, 2)).sum() == 1


def test_non_finite_upstream_gradient_reaches_only_the_argmax() -> None:
    # the window's maximum 9 is at (1, 1): a NaN or inf gradient goes there and nowhere else (it
    # used to be multiplied by the 0/1 mask, and 0 * NaN = 0 * inf = NaN filled the whole window)
    torch = require("torch")
    x = image([[1, 2], [3, 9]])
    for bad in (np.nan, np.inf, -np.inf):
        dx = max_pool2d_backward(image([[bad]]), x, 2)
        xt = torch.from_numpy(x).requires_grad_()
        torch.nn.functional.max_pool2d(xt, 2).backward(torch.from_numpy(image([[bad]])))
        np.testing.assert_array_equal(dx, xt.grad.numpy())
        np.testing.assert_array_equal(dx[0, 0], [[0, 0], [0, bad]])


def test_empty_batch_gives_empty_outputs() -> None:
    # N = 0 images: empty outputs and gradients, as in PyTorch (it used to fail reshaping to -1)
    x = np.zeros((0, 3, 4, 4))
    for pool, backward in ((max_pool2d, max_pool2d_backward), (avg_pool2d, avg_pool2d_backward)):
        y = pool(x, 2, stride=1, padding=1)
        assert y.shape == (0, 3, 5, 5)
        assert backward(np.zeros(y.shape), x, 2, stride=1, padding=1).shape == x.shape


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    x = np.ones((1, 1, 4, 4))
    for f in (max_pool2d, avg_pool2d):
        with pytest.raises(ValueError, match=r"padding must be at most half of kernel_size, got padding=\(2, 2\) and kernel_size=\(3, 3\)"):
            f(x, 3, padding=2)
        with pytest.raises(ValueError, match=r"x must have shape \(N, C, H, W\), got shape \(4, 4\)"):
            f(np.ones((4, 4)), 2)
        with pytest.raises(ValueError, match=r"kernel_size must be >= 1 in both directions, got \(0, 2\)"):
            f(x, (0, 2))
        with pytest.raises(TypeError, match="kernel_size must be an int or a pair of ints"):
            f(x, 2.0)
        with pytest.raises(ValueError, match=r"kernel size \(5, 5\) is larger than the padded input \(4, 4\)"):
            f(x, 5)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(1, 1, 2, 2\)"):
        max_pool2d_backward(np.ones((1, 1, 3, 3)), x, 2)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(1, 1, 2, 2\)"):
        avg_pool2d_backward(np.ones((1, 1, 2, 3)), x, 2)


# ---------------------------------------------------------------- PyTorch
SETTINGS = [
    # (x shape, kernel_size, stride, padding)
    ((2, 3, 8, 8), 2, None, 0),
    ((2, 3, 7, 9), 3, 2, 1),
    ((1, 2, 9, 6), (3, 2), (2, 1), (1, 1)),
    ((2, 1, 5, 5), 3, 1, 1),
    ((1, 2, 10, 7), (4, 3), (3, 3), (2, 0)),
    ((2, 2, 6, 6), 1, 2, 0),
]


def torch_pool(kind, x, k, s, p, g):
    torch = require("torch")
    fn = torch.nn.functional.max_pool2d if kind == "max" else torch.nn.functional.avg_pool2d
    stride = k if s is None else s  # PyTorch's own default is also the kernel size
    y, (dx,) = torch_forward_backward(lambda a: fn(a, k, stride, p), [x], g, [0])
    return y, dx


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "k", "s", "p"), SETTINGS)
@pytest.mark.parametrize("inputs", ["random", "extreme", "ties"])
def test_matches_torch(dtype, shape, k, s, p, inputs) -> None:
    rng = np.random.default_rng(9)
    if inputs == "random":
        x = rng.normal(size=shape)
    elif inputs == "extreme":
        x = rng.choice(EXTREMES, size=shape)
    else:  # few distinct values: nearly every window has tied maxima
        x = rng.integers(0, 3, size=shape).astype(float)
    x = x.astype(dtype)
    out_shape = max_pool2d(x, k, s, p).shape
    g = rng.normal(size=out_shape).astype(dtype)
    # max pooling selects and routes values: identical to PyTorch bit for bit, ties included
    y_t, dx_t = torch_pool("max", x, k, s, p, g)
    np.testing.assert_array_equal(max_pool2d(x, k, s, p), y_t)
    ours = max_pool2d_backward(g, x, k, s, p)
    assert ours.dtype == dtype
    # overlapping windows that pick the same cell add their gradients, possibly in another order
    assert_matches(ours, dx_t, dtype, scale=float(np.abs(g).max()) * 4)
    # average pooling: a mean of kH kW values, summed in different orders, up to max |x|
    y_t, dx_t = torch_pool("avg", x, k, s, p, g)
    assert_matches(avg_pool2d(x, k, s, p), y_t, dtype, scale=float(np.abs(x).max()))
    assert_matches(avg_pool2d_backward(g, x, k, s, p), dx_t, dtype, scale=float(np.abs(g).max()) * 4)
