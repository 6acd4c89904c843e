"""elu / celu and their backwards: hand values, bounds, the slope at 0, limits, bad alpha, and
PyTorch for the alphas the shared table leaves out.

The contract every element-wise activation shares (shape, dtype, stability, bad x, PyTorch in float32
and float64) is its line in tests/activations/elementwise.py."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import celu, celu_backward, elu, elu_backward, relu
from tests.activations.test_elementwise import reference_inputs
from tests.reference import DTYPES, require, torch_forward_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)
vectors = arrays(np.float64, st.integers(1, 20), elements=finite)


def test_hand_checked_values() -> None:
    # elu: alpha (e^x - 1) for x <= 0: e^-1 - 1 at -1, 2 (e^-2 - 1) at -2 with alpha 2; x for x > 0
    e1, e2 = math.exp(-1), math.exp(-2)
    np.testing.assert_allclose(elu([-1.0, 0.0, 2.0]), [e1 - 1, 0.0, 2.0], rtol=1e-15)
    np.testing.assert_allclose(elu([-2.0, 3.0], alpha=2.0), [2 * (e2 - 1), 3.0], rtol=1e-15)
    # slope alpha e^x on the left, alpha AT 0 (PyTorch's choice: the left slope), 1 on the right
    np.testing.assert_allclose(elu_backward([1.0, 1.0, 5.0], [-2.0, 0.0, 1.0], alpha=2.0), [2 * e2, 2.0, 5.0], rtol=1e-15)
    # celu: alpha (e^(x/alpha) - 1): 2 (e^(-4/2) - 1) at -4 with alpha 2; slope e^(x/alpha): e^-2
    np.testing.assert_allclose(celu([-4.0, 1.5], alpha=2.0), [2 * (e2 - 1), 1.5], rtol=1e-15)
    np.testing.assert_allclose(celu_backward([1.0, 3.0], [-4.0, 0.0], alpha=2.0), [e2, 3.0], rtol=1e-15)


@given(vectors, st.floats(0.01, 1.0))
def test_elu_lies_between_the_line_and_relu(x: np.ndarray, alpha: float) -> None:
    # e^x - 1 >= x, so for 0 < alpha <= 1 on x <= 0: alpha (e^x - 1) >= max(x, -alpha); and < 0
    y, lower = elu(x, alpha), np.maximum(x, -alpha)
    assert np.all(y >= lower - 4e-16 * np.abs(lower)) and np.all(y <= relu(x))  # one rounding of slack


@given(vectors, st.floats(0.1, 10.0))
def test_celu_is_a_rescaled_elu(x: np.ndarray, alpha: float) -> None:
    # celu(x, a) = a elu(x / a, 1): the definition, up to the rounding of x / a and of the product
    np.testing.assert_allclose(celu(x, alpha), alpha * elu(x / alpha), rtol=4e-16, atol=1e-300)
    np.testing.assert_array_equal(celu(x, 1.0), elu(x, 1.0))  # alpha = 1: the same function
    np.testing.assert_array_equal(celu_backward(np.ones_like(x), x, 1.0), elu_backward(np.ones_like(x), x, 1.0))


def test_slope_at_zero_elu_jumps_unless_alpha_is_one_celu_never() -> None:
    tiny = np.array([-1e-12, 0.0, 1e-12])
    for alpha in (0.5, 1.0, 3.0):
        # elu's left slope alpha e^0 = alpha meets the right slope 1 only for alpha = 1
        np.testing.assert_allclose(elu_backward(np.ones(3), tiny, alpha), [alpha, alpha, 1.0], rtol=1e-11)
        # celu's left slope e^(0 / alpha) = 1 for every alpha: continuously differentiable
        np.testing.assert_allclose(celu_backward(np.ones(3), tiny, alpha), [1.0, 1.0, 1.0], rtol=1e-11)


def test_nan_and_infinity() -> None:
    for f, f_backward in [(elu, elu_backward), (celu, celu_backward)]:
        y = f([np.nan, -np.inf, np.inf], alpha=2.0)
        assert np.isnan(y[0]) and y[1] == -2.0 and y[2] == np.inf  # saturates at -alpha
        g = f_backward([1.0, 1.0, 1.0], [np.nan, -np.inf, np.inf], alpha=2.0)
        assert np.isnan(g[0]) and g[1] == 0.0 and g[2] == 1.0


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("alpha", [3.0, 0.7])
def test_celu_matches_torch_for_alphas_that_are_not_powers_of_two(alpha: float, dtype) -> None:
    torch = require("torch")
    x, grad_out = reference_inputs(dtype)
    ref_y, (ref_dx,) = torch_forward_backward(lambda t: torch.nn.functional.celu(t, alpha), [x], grad_out, wrt=[0])
    ours_y, ours_dx = celu(x, alpha), celu_backward(grad_out, x, alpha)
    assert ours_y.dtype == dtype and ours_dx.dtype == dtype
    eps = np.finfo(dtype).eps
    u = np.abs(x.astype(float)) / alpha
    # PyTorch's exponent is x * (1/alpha) (1/alpha rounded, then the product: up to eps relative),
    # ours x / alpha (eps/2): e^u turns that into up to |u| eps relative; expm1, exp and the
    # products add ~2 eps on each side (measured: 30 eps at x = -100, alpha = 3, float32)
    bound_y = (4 + u) * eps * np.abs(ref_y.astype(float)) + np.finfo(dtype).tiny
    assert np.all(np.abs(ours_y.astype(float) - ref_y) <= bound_y)
    # PyTorch's backward takes 1 / float32(alpha) (derivatives.yaml: 1.0 / alpha.toFloat()): in float64
    # that is off by up to 2^-24 relative, so its slope is off by (1 + |u|) 2^-24 (at x = 0 it is
    # (1 / float32(0.7)) * 0.7 = 1 + 2.4e-8 instead of 1). Ours is exp(x / alpha) throughout
    off = 2.0**-24 if float(np.float32(alpha)) != alpha else 0.0
    bound_dx = ((4 + u) * eps + (1 + u) * off) * np.abs(ref_dx.astype(float)) + np.finfo(dtype).tiny
    assert np.all(np.abs(ours_dx.astype(float) - ref_dx) <= bound_dx)


def test_torch_celu_gradient_at_zero_is_not_one_for_alpha_07() -> None:
    # the deviation the docstring mentions, measured: ours is exactly 1 (e^0), PyTorch's is not
    torch = require("torch")
    _, (ref_dx,) = torch_forward_backward(lambda t: torch.nn.functional.celu(t, 0.7), [np.zeros(1)], np.ones(1), wrt=[0])
    assert ref_dx[0] == pytest.approx((1 / float(np.float32(0.7))) * 0.7, rel=1e-15) and ref_dx[0] != 1.0
    assert celu_backward(np.ones(1), np.zeros(1), 0.7)[0] == 1.0


def test_bad_alpha() -> None:
    with pytest.raises(ValueError, match=r"alpha must be a finite number > 0, got 0"):
        celu([1.0], alpha=0.0)
    with pytest.raises(ValueError, match=r"alpha must be a finite number > 0, got -1"):
        celu_backward([1.0], [1.0], alpha=-1.0)
    with pytest.raises(ValueError, match=r"alpha must be a finite number .*got nan"):
        elu([1.0], alpha=float("nan"))
    with pytest.raises(TypeError, match="alpha must be a real number, got list"):
        elu_backward([1.0], [1.0], alpha=[1.0])
