"""tanh / tanh_backward: hand values, properties, accuracy of the derivative, limits at infinity.

The contract every element-wise activation shares (shape, dtype, stability, bad x, PyTorch in float32
and float64) is its line in tests/activations/elementwise.py."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import sigmoid, tanh, tanh_backward
from tests.reference import DTYPES

finite = st.floats(-1e4, 1e4, allow_nan=False)


def exact_sech2(x: float) -> float:
    """sech(x)^2 = 4 / (e^x + e^-x)^2 in 60-digit decimal arithmetic, rounded once to float64."""
    with localcontext() as ctx:
        ctx.prec = 60
        d = Decimal(x)  # exact: every float is a finite decimal
        return float(4 / (d.exp() + (-d).exp()) ** 2)


def test_hand_checked_values() -> None:
    # tanh(ln 3) = (3 - 1/3) / (3 + 1/3) = (8/3) / (10/3) = 4/5, and tanh is odd
    np.testing.assert_allclose(tanh([0.0, math.log(3), -math.log(3)]), [0.0, 0.8, -0.8], rtol=1e-15)
    # derivative 1 - tanh^2: 1 at 0, 1 - 16/25 = 9/25 at +-ln 3; times grad_out 2 -> 18/25
    np.testing.assert_allclose(
        tanh_backward([1.0, 1.0, 2.0], [0.0, math.log(3), -math.log(3)]), [1.0, 0.36, 0.72], rtol=1e-15
    )


@given(arrays(np.float64, st.integers(1, 20), elements=finite))
def test_odd_bounded_and_zero_centred(x: np.ndarray) -> None:
    y = tanh(x)
    assert np.all(np.abs(y) <= 1)
    np.testing.assert_array_equal(tanh(-x), -y)  # odd: the output is centred on 0


@given(arrays(np.float64, st.integers(2, 20), elements=finite, unique=True))
def test_monotone(x: np.ndarray) -> None:
    assert np.all(np.diff(tanh(np.sort(x))) >= 0)


@given(arrays(np.float64, st.integers(1, 20), elements=finite))
def test_is_a_rescaled_sigmoid(x: np.ndarray) -> None:
    # tanh(x) = 2 sigma(2x) - 1; sigma is good to a few ulps relative, so 2 sigma - 1 is good to a
    # few ulps of 1 in absolute terms (it cancels near x = 0, where tanh itself is tiny)
    np.testing.assert_allclose(tanh(x), 2 * sigmoid(2 * x) - 1, rtol=0, atol=1e-15)


@given(arrays(np.float64, st.integers(1, 20), elements=finite))
def test_derivative_is_even_in_0_1_and_agrees_with_1_minus_tanh_squared(x: np.ndarray) -> None:
    d = tanh_backward(np.ones_like(x), x)
    assert np.all((d >= 0) & (d <= 1))
    np.testing.assert_array_equal(tanh_backward(np.ones_like(x), -x), d)
    # the textbook form is accurate in ABSOLUTE terms: about one eps (measured 0.72 eps), plus
    # ours' ~2 ulps of d <= 1, so the two agree to 4 eps absolute
    np.testing.assert_allclose(d, 1 - tanh(x) ** 2, rtol=0, atol=4 * np.finfo(np.float64).eps)


@pytest.mark.parametrize("dtype", DTYPES)
def test_derivative_is_accurate_relative_to_its_size(dtype) -> None:
    # where 1 - tanh^2 has already cancelled to 0, ours keeps a relative error of a few ulps.
    # Measured maximum: 1.9 ulps in both dtypes; 4 ulps leaves room for other libm/SIMD exps.
    eps = np.finfo(dtype).eps
    x = np.concatenate([np.linspace(-50, 50, 401), [1e-8, 5.0, 9.5, 12.0, 19.5, 30.0]]).astype(dtype)
    exact = np.array([exact_sech2(float(v)) for v in x])
    keep = exact > np.finfo(dtype).tiny  # below the normal range there is no relative precision left
    ours = tanh_backward(np.ones_like(x), x).astype(np.float64)
    np.testing.assert_allclose(ours[keep], exact[keep], rtol=4 * eps, atol=0)
    # the naive form loses everything there: e.g. at x = 12 (float32) or 19.5 (float64) it gives 0
    far = dtype(12.0 if dtype == np.float32 else 19.5)
    assert 1 - tanh(far) ** 2 == 0 and tanh_backward(dtype(1), far) > 0


def test_nan_and_infinity() -> None:
    y = tanh([np.nan, -np.inf, np.inf])
    assert np.isnan(y[0]) and y[1] == -1.0 and y[2] == 1.0
    g = tanh_backward([1.0, 1.0, 1.0], [np.nan, -np.inf, np.inf])
    assert np.isnan(g[0]) and g[1] == 0.0 and g[2] == 0.0
