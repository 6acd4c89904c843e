"""The block-by-block evaluation behind the element-wise activations (snippets/activations/_blocks.py):
results do not depend on where the blocks fall, on the input's memory layout or on its size."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from snippets import (
    gelu,
    gelu_backward,
    leaky_relu,
    leaky_relu_backward,
    relu,
    relu_backward,
    sigmoid,
    sigmoid_backward,
    silu,
    silu_backward,
    tanh,
    tanh_backward,
)
from snippets.activations._blocks import BLOCK, aligned_empty, map_blocks
from tests.reference import DTYPES, EXTREMES

GELU_BLOCK = importlib.import_module("snippets.activations.gelu")._BLOCK
PAIRS = {
    "sigmoid": (sigmoid, sigmoid_backward),
    "tanh": (tanh, tanh_backward),
    "relu": (relu, relu_backward),
    "leaky_relu": (leaky_relu, leaky_relu_backward),
    "gelu": (gelu, gelu_backward),
    "silu": (silu, silu_backward),
}


def test_map_blocks_covers_every_element_once_with_a_ragged_last_block() -> None:
    n = 2 * BLOCK + 5
    seen = np.zeros(n)

    def kernel(out: np.ndarray, x: np.ndarray, scratch: np.ndarray) -> None:
        assert out.size == x.size == scratch.size <= BLOCK
        np.add(x, 1.0, out=scratch)
        np.copyto(out, scratch)

    out = map_blocks(kernel, np.empty(n), seen, scratch=1)
    np.testing.assert_array_equal(out, np.ones(n))
    # 0-d and empty arrays: one block of one element, and no block at all
    assert map_blocks(lambda o, x: np.negative(x, out=o), np.empty(()), np.array(2.0)) == -2.0
    assert map_blocks(kernel, np.empty((3, 0)), np.empty((3, 0)), scratch=1).shape == (3, 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int8])
def test_aligned_empty_starts_on_a_cache_line(dtype) -> None:
    for shape in [1, 7, (3, 5), (2, BLOCK)]:
        a = aligned_empty(shape, dtype)
        assert a.ctypes.data % 64 == 0 and a.dtype == dtype and a.flags.c_contiguous
        assert a.shape == ((shape,) if isinstance(shape, int) else shape)


@pytest.mark.parametrize("name", PAIRS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_blocks_do_not_change_any_value(name, dtype) -> None:
    # element-wise functions: the result for an element must not depend on which block it falls
    # in, so one call on a long array (several blocks, a ragged last one) equals calls on pieces
    # cut elsewhere, bit for bit; the extremes and NaN are placed on both sides of block edges
    forward, backward = PAIRS[name]
    rng = np.random.default_rng(0)
    n = 2 * max(BLOCK, GELU_BLOCK) + 11
    x = (rng.normal(scale=5.0, size=n)).astype(dtype)
    g = rng.normal(size=n).astype(dtype)
    for edge in (BLOCK, GELU_BLOCK):
        x[edge - len(EXTREMES) : edge] = EXTREMES
        x[edge : edge + 3] = [np.nan, np.inf, -np.inf]
    cuts = [0, 1, 777, BLOCK - 3, BLOCK + 9000, n]
    y, dx = forward(x), backward(g, x)
    np.testing.assert_array_equal(y, np.concatenate([forward(x[a:b]) for a, b in zip(cuts, cuts[1:])]))
    np.testing.assert_array_equal(dx, np.concatenate([backward(g[a:b], x[a:b]) for a, b in zip(cuts, cuts[1:])]))
    # a strided (non-contiguous) view and a 2-d Fortran-ordered copy give the same values too
    np.testing.assert_array_equal(forward(x[::3]), y[::3])
    np.testing.assert_array_equal(backward(g[::3], x[::3]), dx[::3])
    grid = np.asfortranarray(x[: 100 * 7].reshape(100, 7))
    np.testing.assert_array_equal(forward(grid), y[:700].reshape(100, 7))


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_backward_is_an_exact_gate_even_for_infinite_gradients(dtype) -> None:
    # the bitwise gate keeps grad_out's bits where x > 0 and gives +0 elsewhere, without computing
    # inf * 0 (NaN): PyTorch's threshold_backward gives the same
    x = np.array([-1.0, -0.0, 0.0, 2.0, 3.0, np.nan], dtype=dtype)
    g = np.array([np.inf, -np.inf, np.nan, -np.inf, -5e-39, 1.0], dtype=dtype)
    out = relu_backward(g, x)
    np.testing.assert_array_equal(out[:5], np.array([0.0, 0.0, 0.0, -np.inf, g[4]], dtype=dtype))
    assert not np.signbit(out[:3]).any() and np.isnan(out[5]) and out.dtype == dtype


@pytest.mark.parametrize("slope", [0.0, 0.01, 1.0, -0.5, 1.5, 3.3])
@pytest.mark.parametrize("dtype", DTYPES)
def test_leaky_relu_backward_slope_is_exact_for_any_slope(slope, dtype) -> None:
    # 1 right of 0, the slope at and left of 0 (rounded once to the dtype, as PyTorch), NaN for NaN,
    # whether the factor comes from max(sign(x), slope) (0 <= slope <= 1) or from the masked copy
    x = np.array([-2.0, -0.0, 0.0, 3.0, np.nan], dtype=dtype)
    g = np.array([3.0, 5.0, 7.0, 11.0, 1.0], dtype=dtype)
    out = leaky_relu_backward(g, x, negative_slope=slope)
    s = dtype(slope)
    np.testing.assert_array_equal(out[:4], [3 * s, 5 * s, 7 * s, 11.0])
    assert np.isnan(out[4]) and out.dtype == dtype
    # the forward: max(x, slope x) for slope <= 1, min for slope > 1: x right of 0, slope x left
    np.testing.assert_array_equal(leaky_relu(x, slope)[[0, 3]], [-2 * s, 3.0])
