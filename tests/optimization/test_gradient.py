"""numerical_gradient (gradient_descent has its own file, test_gradient_descent.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import numerical_gradient


def test_numerical_gradient_of_known_functions() -> None:
    # f(x) = sum x^2 -> 2x ;  f(x, y) = x y -> (y, x) ; f = sin(x0) -> (cos x0, 0)
    np.testing.assert_allclose(numerical_gradient(lambda v: np.sum(v**2), [1.0, -3.0]), [2.0, -6.0], atol=1e-9)
    np.testing.assert_allclose(numerical_gradient(lambda v: v[0] * v[1], [2.0, 5.0]), [5.0, 2.0], atol=1e-9)
    np.testing.assert_allclose(numerical_gradient(lambda v: np.sin(v[0, 0]), np.zeros((2, 2))), [[1, 0], [0, 0]], atol=1e-9)


@given(arrays(np.float64, st.integers(1, 6), elements=st.floats(-3, 3)))
def test_matches_the_analytic_gradient_of_a_quadratic(x: np.ndarray) -> None:
    a = np.arange(1.0, x.size + 1)
    # f = sum a x^2 / 2 + sum x -> grad = a x + 1; a quadratic has f''' = 0, so only rounding remains
    f = lambda v: np.sum(a * v**2) / 2 + np.sum(v)  # noqa: E731
    np.testing.assert_allclose(numerical_gradient(f, x), a * x + 1, atol=1e-8)


def test_input_is_untouched_and_float32_is_differenced_in_float64() -> None:
    x = np.array([1.0, 2.0], dtype=np.float32)
    x.setflags(write=False)
    g = numerical_gradient(lambda v: np.sum(v**3), x)
    assert g.dtype == np.float64 and g.shape == x.shape
    np.testing.assert_allclose(g, 3 * x.astype(np.float64) ** 2, rtol=1e-8)


def test_numerical_gradient_bad_input() -> None:
    with pytest.raises(ValueError, match="f must return a scalar"):
        numerical_gradient(lambda v: v, [1.0, 2.0])
    with pytest.raises(ValueError, match="eps must be a finite number > 0, got 0.0"):
        numerical_gradient(np.sum, [1.0], eps=0.0)
    with pytest.raises(TypeError, match="x must be"):
        numerical_gradient(np.sum, ["a"])


def test_bad_eps_and_callables_are_named() -> None:
    # these used to surface as numpy's own errors ("ufunc 'isfinite' not supported", "The truth
    # value of an array ... is ambiguous", "'int' object is not callable"), naming no argument
    for eps in ("a", [1e-6, 1e-6], None):
        with pytest.raises(TypeError, match="eps must be a real number"):
            numerical_gradient(np.sum, [1.0], eps=eps)
    for eps in (np.nan, np.inf, -1e-6):
        with pytest.raises(ValueError, match="eps must be a finite number > 0"):
            numerical_gradient(np.sum, [1.0], eps=eps)
    with pytest.raises(TypeError, match="f must be callable"):
        numerical_gradient(3, [1.0])
    for result in ("a", None, [[1.0], [1.0, 2.0]]):
        with pytest.raises(TypeError, match="f must return"):
            numerical_gradient(lambda v, r=result: r, [1.0])

