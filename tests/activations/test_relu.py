"""relu / relu_backward: hand values, properties, dead units, limits at infinity.

The contract every element-wise activation shares (shape, dtype, stability, bad x, PyTorch in float32
and float64) is its line in tests/activations/elementwise.py."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from snippets import relu, relu_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)
vectors = arrays(np.float64, array_shapes(min_dims=1, max_dims=3, max_side=6), elements=finite)


def test_hand_checked_values() -> None:
    # max(x, 0): negatives become 0, zero stays 0, positives pass unchanged
    np.testing.assert_array_equal(relu([-3.0, -1e-8, 0.0, 1e-8, 2.5]), [0.0, 0.0, 0.0, 1e-8, 2.5])
    # slope 0 left of the kink, 0 AT the kink (PyTorch's choice), 1 right of it; times grad_out
    np.testing.assert_array_equal(relu_backward([2.0, 3.0, 4.0], [-1.0, 0.0, 1.0]), [0.0, 0.0, 4.0])


@given(vectors)
def test_positive_and_negative_parts(x: np.ndarray) -> None:
    # x = relu(x) - relu(-x) and |x| = relu(x) + relu(-x), exactly: one of the two parts is 0
    assert np.all(relu(x) >= 0)
    np.testing.assert_array_equal(relu(x) - relu(-x), x)
    np.testing.assert_array_equal(relu(x) + relu(-x), np.abs(x))
    # idempotent: a second rectification changes nothing
    np.testing.assert_array_equal(relu(relu(x)), relu(x))


@given(vectors, st.floats(1e-3, 1e3))
def test_positive_homogeneity(x: np.ndarray, a: float) -> None:
    # relu(a x) = a relu(x) for a > 0, exactly: multiplying by a > 0 keeps every sign
    np.testing.assert_array_equal(relu(a * x), a * relu(x))


@given(vectors, st.data())
def test_backward_is_a_gate(x: np.ndarray, data) -> None:
    # the gradient is grad_out where x > 0 and exactly 0 elsewhere: it never shrinks or grows
    g = data.draw(arrays(np.float64, x.shape, elements=finite))
    out = relu_backward(g, x)
    np.testing.assert_array_equal(out[x > 0], g[x > 0])
    assert np.all(out[x <= 0] == 0)


def test_a_dead_unit_gets_no_weight_gradient() -> None:
    # a unit whose pre-activation z = X w + b is <= 0 on every input passes back exactly zero
    # gradient, so dL/dw = X^T (dL/dz) = 0 and gradient descent can never revive it
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3))
    w = rng.normal(size=3)
    b = -(np.max(x @ w) + 1.0)  # shift the bias below the largest pre-activation
    z = x @ w + b
    dz = relu_backward(rng.normal(size=64), z)
    assert np.all(relu(z) == 0)
    np.testing.assert_array_equal(x.T @ dz, np.zeros(3))
    assert np.sum(dz) == 0.0  # and the bias gets no gradient either


def test_nan_and_infinity() -> None:
    y = relu([np.nan, -np.inf, np.inf])
    assert np.isnan(y[0]) and y[1] == 0.0 and y[2] == np.inf
    # NaN in, NaN out (PyTorch would pass grad_out through a NaN; the glossary's convention wins)
    g = relu_backward([1.0, 1.0, 1.0], [np.nan, -np.inf, np.inf])
    assert np.isnan(g[0]) and g[1] == 0.0 and g[2] == 1.0
