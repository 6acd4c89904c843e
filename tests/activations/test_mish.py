"""mish / mish_backward: hand values, the defining formula, bounds, the minimum, limits at infinity.

The contract every element-wise activation shares (shape, dtype, stability, bad x, PyTorch in float32
and float64) is its line in tests/activations/elementwise.py."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import mish, mish_backward, relu, sigmoid, softplus

finite = st.floats(-1e4, 1e4, allow_nan=False)


def test_hand_checked_values() -> None:
    # softplus(0) = ln 2 and tanh(ln 2) = (4 - 1) / (4 + 1) = 3/5: mish(0) = 0, slope 3/5 + 0
    # at 1: tanh(ln(1 + e)) = ((1 + e)^2 - 1) / ((1 + e)^2 + 1); at -1 the same with 1 + 1/e
    def t(w: float) -> float:
        return ((1 + w) ** 2 - 1) / ((1 + w) ** 2 + 1)

    e = math.e
    np.testing.assert_allclose(mish([0.0, 1.0, -1.0]), [0.0, t(e), -t(1 / e)], rtol=1e-15)
    np.testing.assert_allclose(mish_backward([1.0, 2.0], [0.0, 0.0]), [0.6, 1.2], rtol=1e-15)


@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-30, 30)))
def test_equals_the_defining_composition(x: np.ndarray) -> None:
    # x tanh(softplus(x)) composed from the package's softplus and numpy's tanh: tanh is
    # well-conditioned (relative condition <= 1 here), so a few ulps apart
    np.testing.assert_allclose(mish(x), x * np.tanh(softplus(x)), rtol=1e-15, atol=1e-300)
    # the backward in PyTorch's form t + x s (1 - t^2): its 1 - t^2 cancels for large x
    # (absolute error ~eps, times |x| s <= 30), hence the absolute tolerance
    t, s = np.tanh(softplus(x)), sigmoid(x)
    np.testing.assert_allclose(mish_backward(np.ones_like(x), x), t + x * s * (1 - t * t), rtol=1e-14, atol=1e-13)


@given(arrays(np.float64, st.integers(1, 20), elements=finite))
def test_between_min_and_relu_and_above_its_minimum(x: np.ndarray) -> None:
    # 0 < tanh(softplus(x)) < 1 puts x tanh(...) between min(x, 0) and relu(x); the global minimum
    # is -0.3088434 (at x = -1.1924, the root of the derivative; see the grid test below)
    y = mish(x)
    assert np.all(y <= relu(x)) and np.all(y >= np.minimum(x, 0)) and np.all(y >= -0.3088435)


def test_minimum_on_a_grid() -> None:
    grid = np.linspace(-3, 0, 300_001)
    y = mish(grid)
    i = np.argmin(y)
    # the derivative changes sign there (from negative to positive)
    # a grid step of 1e-5 puts the sampled minimum within f''/2 * 1e-10 of the true one
    assert abs(y[i] + 0.30884341) < 1e-8 and abs(grid[i] + 1.19243) < 1e-4
    assert mish_backward(np.ones(1), grid[i - 10 : i - 9])[0] < 0 < mish_backward(np.ones(1), grid[i + 10 : i + 11])[0]


def test_nan_and_infinity() -> None:
    y = mish([np.nan, -np.inf, np.inf])
    assert np.isnan(y[0]) and y[1] == 0.0 and y[2] == np.inf
    g = mish_backward([1.0, 1.0, 1.0], [np.nan, -np.inf, np.inf])
    assert np.isnan(g[0]) and g[1] == 0.0 and g[2] == 1.0


def test_far_left_tail_keeps_relative_accuracy() -> None:
    # for x -> -inf, tanh(softplus(x)) = w (w + 2) / (w (w + 2) + 2) = w (1 + O(w)) with w = e^x,
    # so mish(x) = x e^x to relative O(e^x) (< 1e-13 here): no underflow to 0 before x e^x does
    x = np.array([-30.0, -100.0, -700.0])
    np.testing.assert_allclose(mish(x), x * np.exp(x), rtol=1e-12)
