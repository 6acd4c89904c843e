"""silu / silu_backward: hand values, bounds, the product rule, limits at infinity.

The contract every element-wise activation shares (shape, dtype, stability, bad x, PyTorch in float32
and float64) is its line in tests/activations/elementwise.py."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import relu, sigmoid, silu, silu_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)


def test_hand_checked_values() -> None:
    # sigma(ln 3) = 3/4, sigma(-ln 3) = 1/4: silu(+-ln 3) = +-ln 3 * (3/4 or 1/4)
    l3 = math.log(3)
    np.testing.assert_allclose(silu([0.0, l3, -l3]), [0.0, 0.75 * l3, -0.25 * l3], rtol=1e-15)
    # s + x s (1 - s): 1/2 at 0; 3/4 + ln 3 * 3/16 at ln 3; 1/4 - ln 3 * 3/16 at -ln 3
    np.testing.assert_allclose(
        silu_backward([1.0, 1.0, 2.0], [0.0, l3, -l3]),
        [0.5, 0.75 + 3 * l3 / 16, 2 * (0.25 - 3 * l3 / 16)],
        rtol=1e-15,
    )


@given(arrays(np.float64, st.integers(1, 20), elements=finite))
def test_odd_part_is_the_identity(x: np.ndarray) -> None:
    # sigma(x) + sigma(-x) = 1, so silu(x) - silu(-x) = x (up to the rounding of both products)
    np.testing.assert_allclose(silu(x) - silu(-x), x, rtol=4e-16, atol=1e-300)


@given(arrays(np.float64, st.integers(1, 20), elements=finite))
def test_between_min_and_relu(x: np.ndarray) -> None:
    # 0 <= sigma <= 1 puts x sigma(x) between min(x, 0) and relu(x); the global minimum is
    # x* sigma(x*) at the root of 1 + x(1 - sigma(x)) = 0, x* = -1.2785 (value -0.2785)
    y = silu(x)
    assert np.all(y <= relu(x)) and np.all(y >= np.minimum(x, 0))
    assert np.all(y >= -0.27846455)


@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-50, 50)))
def test_backward_is_product_rule(x: np.ndarray) -> None:
    # the other common form, s (1 + x (1 - s)), agrees where 1 - s keeps its precision (|x| <= 50)
    s = sigmoid(x)
    np.testing.assert_allclose(silu_backward(np.ones_like(x), x), s * (1 + x * (1 - s)), rtol=1e-12, atol=1e-13)


def test_nan_and_infinity() -> None:
    y = silu([np.nan, -np.inf, np.inf])
    assert np.isnan(y[0]) and y[1] == 0.0 and y[2] == np.inf
    g = silu_backward([1.0, 1.0, 1.0], [np.nan, -np.inf, np.inf])
    assert np.isnan(g[0]) and g[1] == 0.0 and g[2] == 1.0
