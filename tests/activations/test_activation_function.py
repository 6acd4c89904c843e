"""activation_slope / saturation_fraction: hand values, agreement with each backward, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import (
    activation_slope,
    gelu,
    leaky_relu,
    numerical_gradient,
    relu,
    saturation_fraction,
    sigmoid,
    silu,
    softmax_backward,
    tanh,
)
from tests.reference import DTYPES

FORWARDS = {"sigmoid": sigmoid, "tanh": tanh, "relu": relu, "leaky_relu": leaky_relu, "gelu": gelu, "silu": silu}
NAMES = (*FORWARDS, "softmax")
finite = st.floats(-1e4, 1e4, allow_nan=False)


def test_hand_checked_values() -> None:
    # slopes at 0: sigmoid 1/4, tanh 1, relu 0 (PyTorch's kink value), leaky 0.01, gelu Phi(0) = 1/2,
    # silu sigma(0) = 1/2; softmax of two equal scores: p = 1/2, p (1 - p) = 1/4
    expected = {"sigmoid": 0.25, "tanh": 1.0, "relu": 0.0, "leaky_relu": 0.01, "gelu": 0.5, "silu": 0.5}
    for name, value in expected.items():
        np.testing.assert_allclose(activation_slope(name, [0.0]), [value], rtol=1e-15)
    np.testing.assert_array_equal(activation_slope("softmax", [[0.0, 0.0]]), [[0.25, 0.25]])
    # relu: slope 0 on the negative half, so x = (-2, -1, 1, 2) is half saturated at any threshold
    assert saturation_fraction("relu", [-2.0, -1.0, 1.0, 2.0]) == 0.5
    # leaky relu's slope 0.01 is not below 0.01, so nothing saturates; below 0.02, the negatives do
    assert saturation_fraction("leaky_relu", [-2.0, -1.0, 1.0, 2.0]) == 0.0
    assert saturation_fraction("leaky_relu", [-2.0, -1.0, 1.0, 2.0], threshold=0.02) == 0.5
    # sigmoid slope at +-10 is ~4.5e-5 < 0.01, at 0 and 1 it is 0.25 and 0.197: 2 of 4
    assert saturation_fraction("sigmoid", [0.0, 1.0, 10.0, -10.0]) == 0.5
    # softmax with one dominant score: p ~ (1, 0, 0), all three diagonal slopes below 0.01
    assert saturation_fraction("softmax", [[20.0, 0.0, 0.0]]) == 1.0


@pytest.mark.parametrize("name", FORWARDS)
def test_slope_matches_finite_differences(name) -> None:
    rng = np.random.default_rng(0)
    x = rng.choice([-1.0, 1.0], size=20) * rng.uniform(0.1, 4.0, size=20)  # away from relu's kink
    numeric = numerical_gradient(lambda v: np.sum(FORWARDS[name](v)), x)
    np.testing.assert_allclose(activation_slope(name, x), numeric, rtol=1e-6, atol=1e-9)


def test_softmax_slope_is_the_jacobian_diagonal() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 4))
    # column i of the Jacobian is softmax_backward(e_i, x) (the Jacobian is symmetric): take [i]
    diag = np.stack(
        [np.array([softmax_backward(np.eye(4)[i], row)[i] for i in range(4)]) for row in x]
    )
    np.testing.assert_allclose(activation_slope("softmax", x), diag, rtol=1e-14)
    assert np.all(activation_slope("softmax", x) <= 0.25)


@pytest.mark.parametrize("name", NAMES)
@given(x=arrays(np.float64, st.integers(1, 30), elements=finite), t=st.floats(0, 2))
def test_fraction_is_a_proportion_and_grows_with_the_threshold(name, x: np.ndarray, t: float) -> None:
    low, high = saturation_fraction(name, x, t), saturation_fraction(name, x, t + 0.5)
    assert 0.0 <= low <= high <= 1.0
    assert saturation_fraction(name, x, 0.0) == 0.0  # no |slope| is below 0
    # the count is exact: a multiple of 1 / x.size
    assert np.isclose(low * x.size, round(low * x.size))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_dtypes_and_extremes(name, dtype) -> None:
    x = np.array([-1e4, -50.0, 0.0, 50.0, 1e4], dtype=dtype)
    slope = activation_slope(name, x)
    assert slope.dtype == dtype and np.all(np.isfinite(slope))
    result = saturation_fraction(name, x)
    assert isinstance(result, np.float64)
    assert activation_slope(name, [1, 2]).dtype == np.float64


def test_bounded_activations_saturate_for_large_inputs() -> None:
    # |x| in [10, 20]: sigmoid and tanh are flat, relu and gelu/silu are flat only on the left
    x = np.concatenate([np.linspace(-20, -10, 50), np.linspace(10, 20, 50)])
    assert saturation_fraction("sigmoid", x) == 1.0
    assert saturation_fraction("tanh", x) == 1.0
    for name in ("relu", "gelu", "silu"):
        assert saturation_fraction(name, x) == 0.5
    assert saturation_fraction("leaky_relu", x) == 0.0


def test_nan_in_nan_out() -> None:
    assert np.isnan(activation_slope("tanh", [np.nan])[0])
    assert np.isnan(saturation_fraction("tanh", [0.0, np.nan]))


def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"name must be one of sigmoid, tanh, .*softmax; got 'swish'"):
        activation_slope("swish", [0.0])
    with pytest.raises(TypeError, match="name must be a string, got function"):
        saturation_fraction(sigmoid, [0.0])
    with pytest.raises(ValueError, match=r"x must not be empty, got shape \(0,\)"):
        saturation_fraction("relu", [])
    with pytest.raises(ValueError, match="threshold must be a finite number >= 0, got -0.1"):
        saturation_fraction("relu", [1.0], threshold=-0.1)
    with pytest.raises(TypeError, match="threshold must be a real number, got str"):
        saturation_fraction("relu", [1.0], threshold="0.1")
    with pytest.raises(TypeError, match="x must be"):
        activation_slope("relu", np.array(["a"]))
