"""hardsigmoid / hardswish and their backwards: hand values, the relation to relu6 and to the smooth
sigmoid / swish, the kinks exactly as PyTorch, limits.

The contract every element-wise activation shares (shape, dtype, stability, bad x, PyTorch in float32
and float64) is their lines in tests/activations/elementwise.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import hardsigmoid, hardsigmoid_backward, hardswish, hardswish_backward, relu6, sigmoid, silu
from tests.reference import DTYPES, require, torch_forward_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)
vectors = arrays(np.float64, st.integers(1, 20), elements=finite)


def test_hand_checked_values() -> None:
    # hardsigmoid = relu6(x + 3) / 6: 0 at -4, 3/6 at 0, 4.5/6 at 1.5, 1 at 3 and beyond
    np.testing.assert_array_equal(hardsigmoid([-4.0, 0.0, 1.5, 3.0, 9.0]), [0.0, 0.5, 0.75, 1.0, 1.0])
    # hardswish = x hardsigmoid(x): -1.5 * 1.5/6 = -3/8 (the minimum), 1 * 4/6 = 2/3, 4 * 1
    np.testing.assert_allclose(hardswish([-4.0, -1.5, 0.0, 1.0, 4.0]), [0.0, -0.375, 0.0, 2 / 3, 4.0], rtol=1e-15)
    # slopes: 1/6 inside (-3, 3); hardswish' = x/3 + 1/2 inside: 1/2 at 0, 0 at -1.5, 1 at 1.5
    np.testing.assert_allclose(hardsigmoid_backward([6.0, 6.0], [0.0, 3.5]), [1.0, 0.0], rtol=1e-15)
    np.testing.assert_allclose(hardswish_backward([1.0] * 4, [-1.5, 0.0, 1.5, 4.0]), [0.0, 0.5, 1.0, 1.0], atol=1e-16)


@given(vectors)
def test_built_on_relu6_and_hardswish_is_x_times_hardsigmoid(x: np.ndarray) -> None:
    np.testing.assert_array_equal(hardsigmoid(x), relu6(x + 3) / 6)
    # x * (r / 6) and (x * r) / 6 differ by the order of two roundings: 1 ulp
    np.testing.assert_allclose(hardswish(x), x * hardsigmoid(x), rtol=3e-16, atol=1e-300)
    assert np.all((hardsigmoid(x) >= 0) & (hardsigmoid(x) <= 1)) and np.all(hardswish(x) >= -0.375)


def test_close_to_the_smooth_functions_they_replace() -> None:
    # relu6(x + 3) / 6 follows the sigmoid with slope 1/6 instead of 1/4 at 0: measured on a fine
    # grid the gaps are 0.0692 (at x = +-1.317) and 0.1423 (at x = -3, where silu(-3) = -0.142)
    x = np.linspace(-8, 8, 16001)
    assert np.max(np.abs(hardsigmoid(x) - sigmoid(x))) < 0.07
    assert np.max(np.abs(hardswish(x) - silu(x))) < 0.143


@pytest.mark.parametrize("dtype", DTYPES)
def test_kinks_match_torch_exactly(dtype) -> None:
    # PyTorch: hardsigmoid' is 0 at -3 and 3; hardswish' is 0 at -3 and 1 at 3 (it tests x <= -3,
    # x < 3); next to the kinks the interior formulas
    torch = require("torch")
    F = torch.nn.functional
    x = np.array([-3.0, 3.0, np.nextafter(-3.0, 0), np.nextafter(3.0, 0), -0.0, 0.0, 1.5, -1.5], dtype)
    g = np.arange(1, 9, dtype=dtype)
    for ours, ours_backward, ref in [(hardsigmoid, hardsigmoid_backward, F.hardsigmoid),
                                     (hardswish, hardswish_backward, F.hardswish)]:
        ref_y, (ref_dx,) = torch_forward_backward(ref, [x], g, wrt=[0])
        np.testing.assert_array_equal(ours(x), ref_y)
        # exact, except PyTorch's float64 hardsigmoid slope float32(1/6) (see the test below)
        off = 2.0**-25 if ours is hardsigmoid and dtype == np.float64 else 0.0
        np.testing.assert_allclose(ours_backward(g, x), ref_dx, rtol=off, atol=0)


def test_torch_hardsigmoid_gradient_uses_a_float32_sixth_in_float64() -> None:
    # measured: PyTorch's float64 backward is grad * float32(1/6), 2^-25 relative off 1/6; ours is
    # grad * (1/6) in float64, the correctly rounded slope
    torch = require("torch")
    g = np.array([1.0, 3.0, 7.0])
    _, (ref_dx,) = torch_forward_backward(torch.nn.functional.hardsigmoid, [np.zeros(3)], g, wrt=[0])
    np.testing.assert_array_equal(ref_dx, g * float(np.float32(1 / 6)))
    np.testing.assert_array_equal(hardsigmoid_backward(g, np.zeros(3)), g * (1 / 6))


def test_nan_and_infinity() -> None:
    for f, f_backward, right in [(hardsigmoid, hardsigmoid_backward, 1.0), (hardswish, hardswish_backward, np.inf)]:
        y = f([np.nan, -np.inf, np.inf])
        assert np.isnan(y[0]) and y[1] == 0.0 and y[2] == right
        g = f_backward([1.0, 1.0, 1.0], [np.nan, -np.inf, np.inf])
        assert np.isnan(g[0]) and g[1] == 0.0 and g[2] == (0.0 if f is hardsigmoid else 1.0)
