"""leaky_relu / leaky_relu_backward: hand values, properties, limits, bad negative_slope.

The contract every element-wise activation shares (shape, dtype, stability, bad x, PyTorch in float32
and float64) is its line in tests/activations/elementwise.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from snippets import leaky_relu, leaky_relu_backward, relu

finite = st.floats(-1e4, 1e4, allow_nan=False)
vectors = arrays(np.float64, array_shapes(min_dims=1, max_dims=3, max_side=6), elements=finite)


def test_hand_checked_values() -> None:
    # x > 0 passes through; x <= 0 is scaled by the slope: -3 * 0.01 = -0.03, -4 * 0.25 = -1
    np.testing.assert_allclose(leaky_relu([-3.0, 0.0, 2.5]), [-0.03, 0.0, 2.5], rtol=1e-15)
    np.testing.assert_array_equal(leaky_relu([-4.0, 4.0], negative_slope=0.25), [-1.0, 4.0])
    # slope 0.25 left of and AT the kink (PyTorch's choice), 1 right of it; times grad_out
    np.testing.assert_array_equal(
        leaky_relu_backward([2.0, 4.0, 8.0], [-1.0, 0.0, 1.0], negative_slope=0.25), [0.5, 1.0, 8.0]
    )


@given(vectors, st.floats(0.0, 1.0))
def test_slope_zero_is_relu_and_slope_one_is_identity(x: np.ndarray, a: float) -> None:
    np.testing.assert_array_equal(leaky_relu(x, negative_slope=0.0), relu(x))
    np.testing.assert_array_equal(leaky_relu(x, negative_slope=1.0), x)
    # for 0 <= a <= 1 the function is max(x, a x), exactly (one of the two is chosen, no rounding
    # beyond the product a x itself)
    np.testing.assert_array_equal(leaky_relu(x, negative_slope=a), np.maximum(x, a * x))


@given(vectors, st.floats(1e-3, 1e3), st.floats(0.0, 1.0))
def test_positive_homogeneity(x: np.ndarray, c: float, a: float) -> None:
    # leaky_relu(c x) = c leaky_relu(x) for c > 0: up to the rounding of the two products
    np.testing.assert_allclose(leaky_relu(c * x, a), c * leaky_relu(x, a), rtol=4e-16, atol=1e-300)


@given(vectors, st.data())
def test_backward_scales_by_one_or_the_slope(x: np.ndarray, data) -> None:
    g = data.draw(arrays(np.float64, x.shape, elements=finite))
    out = leaky_relu_backward(g, x, negative_slope=0.1)
    np.testing.assert_array_equal(out[x > 0], g[x > 0])
    np.testing.assert_array_equal(out[x <= 0], g[x <= 0] * 0.1)


def test_negative_units_still_get_gradient() -> None:
    # unlike relu, a unit whose pre-activation is negative on every input still passes gradient
    z = -np.linspace(1.0, 5.0, 5)
    np.testing.assert_allclose(leaky_relu_backward(np.ones(5), z), np.full(5, 0.01), rtol=1e-15)


def test_nan_and_infinity() -> None:
    y = leaky_relu([np.nan, -np.inf, np.inf])
    assert np.isnan(y[0]) and y[1] == -np.inf and y[2] == np.inf
    g = leaky_relu_backward([1.0, 1.0, 1.0], [np.nan, -np.inf, np.inf])
    assert np.isnan(g[0]) and g[1] == 0.01 and g[2] == 1.0


def test_bad_negative_slope() -> None:
    with pytest.raises(TypeError, match="negative_slope must be a real number, got str"):
        leaky_relu([1.0], negative_slope="0.1")
    with pytest.raises(TypeError, match="negative_slope must be a real number, got ndarray"):
        leaky_relu([1.0], negative_slope=np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="negative_slope must be a finite number .*got nan"):
        leaky_relu_backward([1.0], [1.0], negative_slope=float("nan"))
