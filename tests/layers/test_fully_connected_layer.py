"""linear / linear_backward: hand values, properties, stability, bad input, PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import linear, linear_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require

finite = st.floats(-1e4, 1e4, allow_nan=False)


def dot_scale(a: np.ndarray, b: np.ndarray, extra: float = 0.0) -> float:
    """S = max over outputs of sum_k |a_ik| |b_kj| (+ |extra|): a dot product of K terms computed in
    any order is exact to about K eps S; with K <= 4 below, two implementations differ by < 8 eps S."""
    return float(np.max(np.abs(a) @ np.abs(b), initial=0.0)) + extra


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_values() -> None:
    w = np.array([[1.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    b = np.array([10.0, -10.0])
    x = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    # row 0: (1 - 3) + 10 = 8 and 2 - 10 = -8; row 1 (zero input) gives the bias
    np.testing.assert_array_equal(linear(x, w, b), [[8.0, -8.0], [10.0, -10.0]])
    np.testing.assert_array_equal(linear(x, w), [[-2.0, 2.0], [0.0, 0.0]])
    # grad_out = ones: dx = column sums of W = (1, 1, -1) per row; dW = ones^T x = each row (1, 2, 3);
    # db = number of rows = 2
    dx, dw, db = linear_backward(np.ones((2, 2)), x, w, b)
    np.testing.assert_array_equal(dx, [[1.0, 1.0, -1.0]] * 2)
    np.testing.assert_array_equal(dw, [[1.0, 2.0, 3.0]] * 2)
    np.testing.assert_array_equal(db, [2.0, 2.0])
    assert linear_backward(np.ones((2, 2)), x, w)[2] is None


def test_shapes_of_leading_axes_and_empty_batches() -> None:
    w, b = np.ones((5, 4)), np.zeros(5)
    assert linear(np.ones(4), w, b).shape == (5,)
    assert linear(np.ones((2, 3, 4)), w, b).shape == (2, 3, 5)
    assert linear(np.ones((0, 4)), w, b).shape == (0, 5)
    dx, dw, db = linear_backward(np.ones((0, 5)), np.ones((0, 4)), w, b)
    assert dx.shape == (0, 4)
    np.testing.assert_array_equal(dw, np.zeros((5, 4)))
    np.testing.assert_array_equal(db, np.zeros(5))


# ---------------------------------------------------------------- properties
@st.composite
def layer(draw, elements=st.floats(-10, 10)):
    n, i, o = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    return [draw(arrays(np.float64, s, elements=elements)) for s in [(n, i), (o, i), (o,)]]


@given(layer(), st.floats(-10, 10))
def test_affine_in_x(args, a: float) -> None:
    # y(a x) - b = a (y(x) - b): linear in x once the bias is removed, up to rounding of S ~ 4 * 100
    x, w, b = args
    np.testing.assert_allclose(linear(a * x, w, b) - b, a * (linear(x, w, b) - b), atol=1e-11)


@given(layer())
def test_batched_equals_one_sample_at_a_time(args) -> None:
    x, w, b = args
    rows = np.stack([linear(xi, w, b) for xi in x])
    np.testing.assert_allclose(linear(x, w, b), rows, rtol=1e-14, atol=1e-12)


@given(layer())
def test_backward_is_the_transpose(args) -> None:
    # <g, W x> = <W^T g, x>: the input gradient is the adjoint of the linear part
    x, w, b = args
    g = np.ones((x.shape[0], w.shape[0]))
    dx, dw, db = linear_backward(g, x, w, b)
    np.testing.assert_allclose(np.sum(g * linear(x, w)), np.sum(dx * x), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(db, np.full(w.shape[0], x.shape[0]), rtol=0)


def test_mixed_dtypes_promote_and_integers_become_float64() -> None:
    x, w, b = np.ones((2, 3), np.float32), np.ones((4, 3), np.float32), np.ones(4, np.float32)
    assert linear(x, w, b).dtype == np.float32
    assert linear(x, w, b.astype(np.float64)).dtype == np.float64
    assert linear([[1, 2, 3]], np.ones((4, 3), dtype=int)).dtype == np.float64
    assert all(g.dtype == np.float32 for g in linear_backward(np.ones((2, 4), np.float32), x, w, b))


# ---------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", DTYPES)
@given(x=arrays(np.float64, (3, 4), elements=finite), w=arrays(np.float64, (2, 4), elements=finite))
def test_extreme_inputs_stay_finite(dtype, x: np.ndarray, w: np.ndarray) -> None:
    # |y| <= 4 * 1e4 * 1e4 + 1e4 = 4e8: far below float32's 3.4e38
    x, w, b = x.astype(dtype), w.astype(dtype), np.full(2, 1e4, dtype)
    for r in (linear(x, w, b), *linear_backward(np.full((3, 2), 1e4, dtype), x, w, b)):
        assert r.dtype == dtype and np.all(np.isfinite(r))


def test_nan_in_nan_out() -> None:
    x, w, b = np.ones((2, 3)), np.ones((4, 3)), np.zeros(4)
    x[0, 1] = np.nan
    y = linear(x, w, b)
    # a NaN feature reaches every output of its own sample, and nothing else
    assert np.all(np.isnan(y[0])) and np.all(np.isfinite(y[1]))
    dx, dw, db = linear_backward(np.ones((2, 4)), x, w, b)
    assert np.all(np.isnan(dw[:, 1])) and np.all(np.isfinite(dx)) and np.all(np.isfinite(db))


# ---------------------------------------------------------------- bad input
def test_rejects_bad_shapes_naming_argument_and_shapes() -> None:
    x, w, b = np.ones((2, 3)), np.ones((4, 3)), np.ones(4)
    with pytest.raises(ValueError, match=r"^x must have shape \(\*, in_features\) with in_features = 3 as in weight of shape \(4, 3\), got \(2, 4\)$"):
        linear(np.ones((2, 4)), w, b)
    with pytest.raises(ValueError, match=r"x must have shape \(\*, in_features\) .* got \(\)"):
        linear(1.0, w, b)
    with pytest.raises(ValueError, match=r"weight must be a 2-D array \(out_features, in_features\), got shape \(3,\)"):
        linear(x, np.ones(3), b)
    with pytest.raises(ValueError, match=r"bias must have shape \(out_features,\) = \(4,\) for weight of shape \(4, 3\), got \(3,\)"):
        linear(x, w, np.ones(3))
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2, 4\), got shape \(4, 2\)"):
        linear_backward(np.ones((4, 2)), x, w, b)


def test_rejects_complex_and_non_numeric() -> None:
    with pytest.raises(TypeError, match="weight must be real-valued"):
        linear(np.ones((2, 3)), np.ones((4, 3)) * 1j)
    with pytest.raises(TypeError, match="x must be numeric"):
        linear(np.array([["a", "b", "c"]]), np.ones((4, 3)))
    with pytest.raises(TypeError, match="bias must be numeric"):
        linear(np.ones((2, 3)), np.ones((4, 3)), np.array(list("abcd")))


# ---------------------------------------------------------------- PyTorch
def torch_linear(torch, x, w, b, g):
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    y = torch.nn.functional.linear(tx, tw, tb)
    y.backward(torch.tensor(g))
    return y.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("extreme", [False, True], ids=["random", "extreme"])
def test_matches_torch_with_leading_axes(dtype, extreme) -> None:
    torch = require("torch")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4)).astype(dtype)    # two leading axes, in_features = 4
    w, b = rng.normal(size=(4, 4)).astype(dtype), rng.normal(size=4).astype(dtype)
    g = rng.normal(size=(2, 3, 4)).astype(dtype)
    if extreme:
        x.reshape(-1)[:15] = EXTREMES
        w[0] *= dtype(1e3)
    ref_y, ref_dx, ref_dw, ref_db = torch_linear(torch, x, w, b, g)
    x2, g2 = x.reshape(-1, 4), g.reshape(-1, 4)
    # every result is a sum of at most 6 products (4 for y and dx, 6 samples for dw and db); two
    # summation orders of K terms differ by at most ~2 K eps S with S the sum of the terms' magnitudes:
    # 12 ulps of S covers K = 6
    assert_matches(linear(x, w, b), ref_y, dtype, ulps=12, scale=dot_scale(x2, w.T, np.abs(b).max()))
    dx, dw, db = linear_backward(g, x, w, b)
    assert_matches(dx, ref_dx, dtype, ulps=12, scale=dot_scale(g2, w))
    assert_matches(dw, ref_dw, dtype, ulps=12, scale=dot_scale(g2.T, x2))
    assert_matches(db, ref_db, dtype, ulps=12, scale=float(np.abs(g2).sum(0).max()))


def test_matches_nn_linear_without_bias() -> None:
    torch = require("torch")
    rng = np.random.default_rng(1)
    layer = torch.nn.Linear(4, 3, bias=False, dtype=torch.float64)
    x = rng.normal(size=(5, 4))
    w = layer.weight.detach().numpy()
    # the module and the functional form run the same kernel: the same order of summation
    assert_matches(linear(x, w), layer(torch.tensor(x)).detach().numpy(), np.float64, scale=dot_scale(x, w.T))
