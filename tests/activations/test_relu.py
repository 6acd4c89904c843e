"""relu / relu_backward: hand values, properties, dead units, stability, bad input, PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from snippets import relu, relu_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)
vectors = arrays(np.float64, array_shapes(min_dims=1, max_dims=3, max_side=6), elements=finite)


def test_hand_checked_values() -> None:
    # max(x, 0): negatives become 0, zero stays 0, positives pass unchanged
    np.testing.assert_array_equal(relu([-3.0, -1e-8, 0.0, 1e-8, 2.5]), [0.0, 0.0, 0.0, 1e-8, 2.5])
    # slope 0 left of the kink, 0 AT the kink (PyTorch's choice), 1 right of it; times grad_out
    np.testing.assert_array_equal(relu_backward([2.0, 3.0, 4.0], [-1.0, 0.0, 1.0]), [0.0, 0.0, 4.0])


def test_shape_is_kept_for_0d_and_empty() -> None:
    assert relu(-1.0).shape == () and relu(2.0) == 2.0
    assert relu(np.zeros((2, 0))).shape == (2, 0)
    assert relu_backward(np.ones((0, 3)), np.zeros((0, 3))).shape == (0, 3)


def test_integers_and_lists_become_float64() -> None:
    assert relu([1, -2]).dtype == np.float64
    assert relu(np.array([1, -2], dtype=np.float32)).dtype == np.float32


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


@pytest.mark.parametrize("dtype", DTYPES)
@given(x=arrays(np.float64, st.integers(1, 30), elements=finite))
def test_stable_up_to_1e4(dtype, x: np.ndarray) -> None:
    x = x.astype(dtype)
    y, g = relu(x), relu_backward(np.ones_like(x), x)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(g))
    assert y.dtype == g.dtype == dtype


def test_nan_and_infinity() -> None:
    y = relu([np.nan, -np.inf, np.inf])
    assert np.isnan(y[0]) and y[1] == 0.0 and y[2] == np.inf
    # NaN in, NaN out (PyTorch would pass grad_out through a NaN; the glossary's convention wins)
    g = relu_backward([1.0, 1.0, 1.0], [np.nan, -np.inf, np.inf])
    assert np.isnan(g[0]) and g[1] == 0.0 and g[2] == 1.0


def test_inputs_are_not_modified() -> None:
    x = np.array([-1.0, 2.0])
    x.setflags(write=False)
    relu(x), relu_backward(np.ones(2), x)
    np.testing.assert_array_equal(x, [-1.0, 2.0])


@pytest.mark.parametrize("bad", [np.array([1 + 2j]), np.array(["a"]), [None]])
def test_non_numeric_or_complex_is_a_type_error(bad) -> None:
    with pytest.raises(TypeError, match="x must be"):
        relu(bad)
    with pytest.raises(TypeError, match="x must be"):
        relu_backward(np.ones(1), bad)


def test_grad_out_shape_mismatch_names_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"grad_out.*\(3,\).*\(2,\)"):
        relu_backward(np.ones(2), np.zeros(3))


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(size=485) * 10, EXTREMES]).astype(dtype).reshape(5, -1)
    grad_out = rng.normal(size=x.shape).astype(dtype)
    ref_y, (ref_dx,) = torch_forward_backward(torch.relu, [x], grad_out, wrt=[0])
    # relu and its gradient only select values (max, gate): no rounding, so no tolerance at all
    assert_matches(relu(x), ref_y, dtype, ulps=0)
    assert_matches(relu_backward(grad_out, x), ref_dx, dtype, ulps=0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gradient_at_zero_matches_torch(dtype) -> None:
    torch = require("torch")
    x = np.array([-0.0, 0.0], dtype=dtype)
    _, (ref_dx,) = torch_forward_backward(torch.relu, [x], np.ones(2, dtype=dtype), wrt=[0])
    np.testing.assert_array_equal(ref_dx, [0.0, 0.0])
    np.testing.assert_array_equal(relu_backward(np.ones(2, dtype=dtype), x), ref_dx)
