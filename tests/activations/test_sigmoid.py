"""sigmoid / sigmoid_backward: hand values, symmetry, bounds, limits at infinity.

The contract every element-wise activation shares (shape, dtype, stability, bad x, PyTorch in float32
and float64) is its line in tests/activations/elementwise.py."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import sigmoid, sigmoid_backward

finite64 = st.floats(-1e4, 1e4, allow_nan=False)


def test_hand_checked_values() -> None:
    # sigma(0) = 1/2; sigma(ln 3) = 1 / (1 + 1/3) = 3/4; sigma(-ln 3) = 1/4
    np.testing.assert_allclose(sigmoid([0.0, math.log(3), -math.log(3)]), [0.5, 0.75, 0.25], rtol=1e-15)
    # sigma'(x) = sigma(x)(1 - sigma(x)): 1/4 at 0 and 3/16 at ln 3
    np.testing.assert_allclose(sigmoid_backward([1.0, 2.0], [0.0, math.log(3)]), [0.25, 0.375], rtol=1e-15)


@given(arrays(np.float64, st.integers(1, 20), elements=finite64))
def test_symmetry(x: np.ndarray) -> None:
    # sigma(-x) = 1 - sigma(x), to the rounding of the subtraction
    np.testing.assert_allclose(sigmoid(-x), 1 - sigmoid(x), atol=1e-15)


@given(arrays(np.float64, st.integers(2, 20), elements=finite64, unique=True))
def test_monotone_and_bounded(x: np.ndarray) -> None:
    x = np.sort(x)
    y = sigmoid(x)
    assert np.all((y >= 0) & (y <= 1))
    assert np.all(np.diff(y) >= 0)


def test_limits_at_infinity() -> None:
    np.testing.assert_array_equal(sigmoid([-np.inf, np.inf]), [0.0, 1.0])
