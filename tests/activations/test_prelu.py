"""prelu / prelu_backward: hand values, the weight's shapes as PyTorch accepts them, the leaky-ReLU
special case, bad shapes, and PyTorch (values, dx and dweight) in float32 and float64.

prelu takes a weight, so it is not in the element-wise table (tests/activations/test_elementwise.py
lists it in NOT_ELEMENTWISE); its checks are here and its Cases in cases.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from snippets import leaky_relu, leaky_relu_backward, prelu, prelu_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)


def test_hand_checked_values() -> None:
    # channel axis 1: slopes 1/4 and 1/2 for the two columns; positives pass
    x = [[-2.0, -2.0], [3.0, -1.0]]
    np.testing.assert_array_equal(prelu(x, [0.25, 0.5]), [[-0.5, -1.0], [3.0, -0.5]])
    dx, dw = prelu_backward([[1.0, 2.0], [1.0, 2.0]], x, [0.25, 0.5])
    # dx: the slope (1 or the channel's) times grad_out; dw: sum of grad_out * x over x <= 0 per channel:
    # channel 0: 1 * -2 (3 > 0 adds nothing); channel 1: 2 * -2 + 2 * -1
    np.testing.assert_array_equal(dx, [[0.25, 1.0], [1.0, 1.0]])
    np.testing.assert_array_equal(dw, [-2.0, -6.0])
    # the kink x = 0 takes the slope weight, and adds x = 0 to dweight
    dx, dw = prelu_backward([4.0], [0.0], [0.1])
    np.testing.assert_allclose(dx, [0.4], rtol=1e-15)
    np.testing.assert_array_equal(dw, [0.0])


@given(arrays(np.float64, array_shapes(min_dims=0, max_dims=4, max_side=4), elements=finite), st.floats(0.0, 1.0))
def test_one_shared_weight_is_a_leaky_relu(x: np.ndarray, a: float) -> None:
    # a single slope (0-d or 1 element) gives leaky_relu exactly; dweight is the sum of its terms
    for weight in (np.array(a), np.array([a])):
        np.testing.assert_array_equal(prelu(x, weight), leaky_relu(x, a))
        dx, dw = prelu_backward(np.ones_like(x), x, weight)
        np.testing.assert_array_equal(dx, leaky_relu_backward(np.ones_like(x), x, a))
        assert dw.shape == weight.shape
        np.testing.assert_allclose(dw, np.sum(np.minimum(x, 0)), rtol=1e-12, atol=1e-300)


def test_weight_shapes_follow_torch() -> None:
    # (N, C, *) with C slopes; a 1-D x is ONE channel in PyTorch (C slopes for a 1-D x are refused)
    assert prelu(np.ones((2, 3, 4, 5)), np.ones(3)).shape == (2, 3, 4, 5)
    assert prelu(np.ones(7), np.ones(1)).shape == (7,)
    assert prelu(np.array(-2.0), np.array(0.5)) == -1.0
    with pytest.raises(ValueError, match=r"one per channel \(x.shape\[1\] = 1\).*\(3,\) for x of shape \(3,\)"):
        prelu(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match=r"x.shape\[1\] = 3\).*weight of shape \(2,\)"):
        prelu(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ValueError, match=r"weight must be a scalar or 1-D .*\(2, 1\)"):
        prelu(np.ones((2, 2)), np.ones((2, 1)))
    with pytest.raises(ValueError, match=r"one per channel.*for x of shape \(\)"):
        prelu(np.array(1.0), np.ones(2))
    with pytest.raises(TypeError, match="weight must be real-valued"):
        prelu(np.ones(2), np.array([1j]))
    with pytest.raises(ValueError, match=r"grad_out must have the shape .*\(2, 3\), got shape \(3,\)"):
        prelu_backward(np.ones(3), np.ones((2, 3)), np.ones(3))
    torch = require("torch")
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers and input channel size"):
        torch.nn.functional.prelu(torch.ones(3), torch.ones(3))


def test_nan_and_infinity() -> None:
    y = prelu([np.nan, -np.inf, np.inf], [0.1])
    assert np.isnan(y[0]) and y[1] == -np.inf and y[2] == np.inf
    dx, dw = prelu_backward([1.0, 1.0, 1.0], [np.nan, -1.0, np.inf], [0.1])
    assert np.isnan(dx[0]) and dx[1] == 0.1 and dx[2] == 1.0 and np.isnan(dw[0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, c", [((4, 3, 5, 2), 3), ((6, 4), 4), ((6, 4), 1), ((25,), 1)])
def test_matches_torch(dtype, shape: tuple[int, ...], c: int) -> None:
    torch = require("torch")
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape) * 10
    x.flat[: EXTREMES.size] = EXTREMES
    x = x.astype(dtype)
    w = rng.uniform(-0.5, 1.0, size=c).astype(dtype)
    g = rng.normal(size=shape).astype(dtype)
    ref_y, (ref_dx, ref_dw) = torch_forward_backward(torch.nn.functional.prelu, [x, w], g, wrt=[0, 1])
    y = prelu(x, w)
    dx, dw = prelu_backward(g, x, w)
    # y and dx are one product each (weight * x, weight * g), rounded once as in PyTorch: identical
    assert_matches(y, ref_y, dtype, ulps=0)
    assert_matches(dx, ref_dx, dtype, ulps=0)
    # dweight sums n = x.size / c products of both signs in a different order than PyTorch: the
    # error is ~n eps times the sum of |terms| (not of the result), so compare on that scale
    terms = np.where(x > 0, 0.0, np.abs(g.astype(float) * x))
    axes = tuple(a for a in range(x.ndim) if a != 1) if c > 1 else None
    n = x.size // c
    assert_matches(dw, ref_dw, dtype, ulps=n, scale=np.sum(terms, axis=axes).reshape(dw.shape))
