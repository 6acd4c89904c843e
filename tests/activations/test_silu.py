"""silu / silu_backward: hand values, properties, stability, bad input, PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import relu, sigmoid, silu, silu_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

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


def test_shape_is_kept_for_0d_and_empty() -> None:
    assert silu(0.5).shape == ()
    assert silu(np.zeros((2, 0))).shape == (2, 0)
    assert silu_backward(np.ones((0, 3)), np.zeros((0, 3))).shape == (0, 3)


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


@pytest.mark.parametrize("dtype", DTYPES)
@given(x=arrays(np.float64, st.integers(1, 30), elements=finite))
def test_stable_up_to_1e4(dtype, x: np.ndarray) -> None:
    x = x.astype(dtype)
    y, g = silu(x), silu_backward(np.ones_like(x), x)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(g))
    assert y.dtype == g.dtype == dtype


def test_nan_and_infinity() -> None:
    y = silu([np.nan, -np.inf, np.inf])
    assert np.isnan(y[0]) and y[1] == 0.0 and y[2] == np.inf
    g = silu_backward([1.0, 1.0, 1.0], [np.nan, -np.inf, np.inf])
    assert np.isnan(g[0]) and g[1] == 0.0 and g[2] == 1.0


@pytest.mark.parametrize("bad", [np.array([1 + 2j]), np.array(["a"]), [None]])
def test_non_numeric_or_complex_is_a_type_error(bad) -> None:
    with pytest.raises(TypeError, match="x must be"):
        silu(bad)
    with pytest.raises(TypeError, match="x must be"):
        silu_backward(np.ones(1), bad)


def test_grad_out_shape_mismatch_names_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"grad_out.*\(3,\).*\(2,\)"):
        silu_backward(np.ones(2), np.zeros(3))


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(size=485) * 10, EXTREMES]).astype(dtype).reshape(5, -1)
    grad_out = rng.normal(size=x.shape).astype(dtype)
    ref_y, (ref_dx,) = torch_forward_backward(torch.nn.functional.silu, [x], grad_out, wrt=[0])
    assert_matches(silu(x), ref_y, dtype)
    # PyTorch's gradient is g s (1 + x (1 - s)): for large x the term 1 - s has only absolute
    # accuracy eps, multiplied by x s (1 - s) ~ x e^-x <= 0.3; so the difference is absolute,
    # of the order of eps * |g| (our form s + x s s(-x) has no subtraction)
    assert_matches(silu_backward(grad_out, x), ref_dx, dtype, scale=float(np.max(np.abs(grad_out))))
