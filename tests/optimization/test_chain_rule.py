"""sigmoid_linear / sigmoid_linear_backward and compose_jacobians: the chain rule, checked."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from snippets import compose_jacobians, numerical_gradient, sigmoid, sigmoid_linear, sigmoid_linear_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward


# ---------------------------------------------------------------- hand-checked values
def test_sigmoid_linear_hand_values() -> None:
    # z = (1*1 + 2*(-1) + 1, 1*0 + 2*ln3/2 + 0) = (0, ln 3); sigmoid -> (1/2, 3/4)
    w = np.array([[1.0, -1.0], [0.0, math.log(3) / 2]])
    y = sigmoid_linear([[1.0, 2.0]], w, [1.0, 0.0])
    np.testing.assert_allclose(y, [[0.5, 0.75]], rtol=1e-15)
    # dL/dz = grad_out * sigma'(z) = (1 * 1/4, 2 * 3/16) = (1/4, 3/8)
    gx, gw, gb = sigmoid_linear_backward([[1.0, 2.0]], [[1.0, 2.0]], w, [1.0, 0.0])
    np.testing.assert_allclose(gb, [0.25, 0.375], rtol=1e-15)
    # dL/dW = dz^T x: rows (1/4)(1, 2) and (3/8)(1, 2)
    np.testing.assert_allclose(gw, [[0.25, 0.5], [0.375, 0.75]], rtol=1e-15)
    # dL/dx = dz W = 1/4 (1, -1) + 3/8 (0, ln3/2)
    np.testing.assert_allclose(gx, [[0.25, -0.25 + 0.375 * math.log(3) / 2]], rtol=1e-15)


def test_compose_jacobians_hand_values() -> None:
    # the scalar chain rule: d/dx sin(x^2) at x = 1 is cos(1) * 2
    assert compose_jacobians([[[2.0]], [[math.cos(1.0)]]])[0, 0] == 2 * math.cos(1.0)
    # shapes (3, 2) then (1, 3): a (1, 2) row, = [1 1 1] J_1 = column sums of J_1
    j1 = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(compose_jacobians([j1, np.ones((1, 3))]), [[6.0, 9.0]])
    # a single Jacobian is returned as a copy
    out = compose_jacobians([j1])
    assert out is not j1 and np.array_equal(out, j1)


# ---------------------------------------------------------------- properties
@given(st.lists(st.integers(1, 5), min_size=2, max_size=6), st.integers(0, 2**32 - 1))
def test_compose_jacobians_is_the_product_in_any_order(dims: list[int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    mats = [rng.normal(size=(dims[i + 1], dims[i])) for i in range(len(dims) - 1)]
    # right to left (forward mode) and left to right (reverse mode) give the same matrix
    forward = mats[0]
    for j in mats[1:]:
        forward = j @ forward
    reverse = mats[-1]
    for j in mats[-2::-1]:
        reverse = reverse @ j
    out = compose_jacobians(mats)
    assert out.shape == (dims[-1], dims[0])
    np.testing.assert_allclose(out, forward, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out, reverse, rtol=1e-10, atol=1e-12)


@given(st.integers(0, 2**32 - 1))
def test_backward_is_the_jacobian_transpose_times_grad_out(seed: int) -> None:
    # the vector-Jacobian product: dL/dx_flat = J^T g with J = diag(sigma'(z)) W for one example
    rng = np.random.default_rng(seed)
    x, w, b, g = rng.normal(size=(1, 3)), rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=(1, 4))
    z = (x @ w.T + b)[0]
    jac = compose_jacobians([w, np.diag(sigmoid(z) * sigmoid(-z))])
    np.testing.assert_allclose(sigmoid_linear_backward(g, x, w, b)[0][0], jac.T @ g[0], rtol=1e-12, atol=1e-15)


def test_compose_jacobians_matches_finite_differences_of_a_three_step_chain() -> None:
    # f = tanh(W2 sigmoid(W1 x)): Jacobians W1, diag(sigma'), W2, diag(tanh'), composed
    rng = np.random.default_rng(5)
    x, w1, w2 = rng.normal(size=3), rng.normal(size=(4, 3)), rng.normal(size=(2, 4))
    z1 = w1 @ x
    z2 = w2 @ sigmoid(z1)
    jac = compose_jacobians([w1, np.diag(sigmoid(z1) * sigmoid(-z1)), w2, np.diag(1 - np.tanh(z2) ** 2)])
    numeric = np.stack([numerical_gradient(lambda v, k=k: np.tanh(w2 @ sigmoid(w1 @ v))[k], x) for k in range(2)])
    np.testing.assert_allclose(jac, numeric, atol=1e-9)


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_and_dtype_kept_at_extremes(dtype) -> None:
    x = EXTREMES.astype(dtype).reshape(-1, 1)
    w = np.ones((2, 1), dtype=dtype)
    b = np.zeros(2, dtype=dtype)
    y = sigmoid_linear(x, w, b)
    grads = sigmoid_linear_backward(np.ones_like(y), x, w, b)
    for v in (y, *grads):
        assert v.dtype == dtype and np.all(np.isfinite(v))
    assert compose_jacobians([w, w.T]).dtype == dtype


def test_nan_in_nan_out() -> None:
    y = sigmoid_linear([[np.nan], [0.0]], [[1.0]], [0.0])
    assert np.isnan(y[0, 0]) and y[1, 0] == 0.5
    assert np.isnan(compose_jacobians([[[np.nan]], [[2.0]]])[0, 0])


# ---------------------------------------------------------------- bad input
def test_bad_shapes_name_the_argument_and_shapes() -> None:
    with pytest.raises(ValueError, match=r"weight must be a 2-D array .* got shape \(3,\)"):
        sigmoid_linear(np.zeros((2, 3)), np.zeros(3), np.zeros(1))
    with pytest.raises(ValueError, match=r"x must have shape \(N, in_features\) = \(N, 3\) .* \(4, 3\), got \(2, 2\)"):
        sigmoid_linear(np.zeros((2, 2)), np.zeros((4, 3)), np.zeros(4))
    with pytest.raises(ValueError, match=r"bias must have shape \(out_features,\) = \(4,\) .* got \(3,\)"):
        sigmoid_linear(np.zeros((2, 3)), np.zeros((4, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2, 4\)"):
        sigmoid_linear_backward(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((4, 3)), np.zeros(4))
    with pytest.raises(TypeError, match="x must be real-valued"):
        sigmoid_linear(np.zeros((1, 1), dtype=complex), np.zeros((1, 1)), np.zeros(1))


def test_compose_jacobians_rejects_mismatched_chains() -> None:
    with pytest.raises(ValueError, match=r"jacobians\[1\] has shape \(2, 4\), but jacobians\[0\] of shape \(3, 2\) outputs 3 values"):
        compose_jacobians([np.zeros((3, 2)), np.zeros((2, 4))])
    with pytest.raises(ValueError, match=r"jacobians\[0\] must be a 2-D array .* got shape \(3,\)"):
        compose_jacobians([np.zeros(3)])
    with pytest.raises(ValueError, match="non-empty list"):
        compose_jacobians([])
    with pytest.raises(ValueError, match="non-empty list"):
        compose_jacobians(np.zeros((2, 2, 2)))
    with pytest.raises(TypeError, match=r"jacobians\[0\] must be numeric"):
        compose_jacobians([np.array([["a"]])])


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_linear_matches_torch(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(size=(40, 3)) * 3, EXTREMES.reshape(5, 3)]).astype(dtype)
    w, b = rng.normal(size=(4, 3)).astype(dtype), rng.normal(size=4).astype(dtype)
    g = rng.normal(size=(45, 4)).astype(dtype)
    ref_y, (ref_dx, ref_dw, ref_db) = torch_forward_backward(
        lambda x, w, b: torch.sigmoid(torch.nn.functional.linear(x, w, b)), [x, w, b], g, wrt=[0, 1, 2]
    )
    # the default 8 ulps hold even on the extreme rows: sigmoid saturates there, and its slope
    # (at most 1/4) damps the rounding of z = x W^T + b instead of amplifying it
    assert_matches(sigmoid_linear(x, w, b), ref_y, dtype)
    dx, dw, db = sigmoid_linear_backward(g, x, w, b)
    assert_matches(dx, ref_dx, dtype)
    assert_matches(dw, ref_dw, dtype)
    assert_matches(db, ref_db, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_compose_jacobians_matches_torch_autograd_jacobian(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(1)
    x, w1, w2 = (rng.normal(size=s).astype(dtype) for s in [(5,), (4, 5), (3, 4)])
    z1 = w1 @ x
    s = sigmoid(z1)
    z2 = w2 @ s
    ours = compose_jacobians([w1, np.diag(s * sigmoid(-z1)), w2, np.diag(1 - np.tanh(z2) ** 2)])
    t1, t2 = torch.tensor(w1), torch.tensor(w2)
    ref = torch.autograd.functional.jacobian(lambda v: torch.tanh(t2 @ torch.sigmoid(t1 @ v)), torch.tensor(x))
    assert_matches(ours, ref.numpy(), dtype)
