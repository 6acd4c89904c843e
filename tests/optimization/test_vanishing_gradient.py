"""layer_gradient_norms: gradient sizes through a deep stack."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from snippets import layer_gradient_norms, numerical_gradient, relu, sigmoid
from tests.reference import DTYPES, assert_matches, require

ACTIVATIONS = ["tanh", "sigmoid", "relu", "linear"]


def stack(rng, depth, width, scale, n_in=None):
    """Weights of std scale / sqrt(fan_in) for a stack of equal widths."""
    dims = [n_in or width] + [width] * depth
    return [rng.normal(size=(dims[i + 1], dims[i])) * scale / math.sqrt(dims[i]) for i in range(depth)]


# ---------------------------------------------------------------- hand-checked values
def test_hand_values() -> None:
    # linear, W = 3 then 0.5: back from 1 -> 1 * 0.5 -> 0.5 * 3
    np.testing.assert_array_equal(layer_gradient_norms([[1.0]], [[[3.0]], [[0.5]]], [[1.0]], "linear"), [1.5, 0.5, 1.0])
    # sigmoid at z = 0 has slope 1/4: one layer of weight 1 turns 1 into 1/4, then 1/4 * sigmoid'(sigmoid(0))
    s = sigmoid(0.5) * sigmoid(-0.5)   # the second layer's input is h_1 = 1/2, so z_2 = 1/2
    np.testing.assert_allclose(
        layer_gradient_norms([[0.0]], [[[1.0]], [[1.0]]], [[1.0]], "sigmoid"), [s / 4, s, 1.0], rtol=1e-15
    )
    # relu: a unit with negative pre-activation blocks the gradient entirely
    np.testing.assert_array_equal(layer_gradient_norms([[-1.0]], [[[1.0]]], [[5.0]], "relu"), [0.0, 5.0])
    # the Frobenius norm over the batch: grad_out (3, 4) -> 5
    np.testing.assert_allclose(
        layer_gradient_norms([[1.0], [1.0]], [[[1.0]]], [[3.0], [4.0]], "linear"), [5.0, 5.0], rtol=1e-15
    )


# ---------------------------------------------------------------- properties
@given(st.integers(0, 2**32 - 1), st.sampled_from(ACTIVATIONS))
def test_input_norm_matches_finite_differences(seed: int, activation: str) -> None:
    rng = np.random.default_rng(seed)
    ws = stack(rng, 3, 4, 1.5)
    x = rng.normal(size=(2, 4))
    x = np.where(np.abs(x) < 0.05, 0.05, x)  # keep relu's pre-activations off the kink (mostly)
    g = rng.normal(size=(2, 4))
    acts = {"tanh": np.tanh, "sigmoid": sigmoid, "relu": relu, "linear": lambda z: z}

    def loss(v):
        h = v
        for w in ws:
            h = acts[activation](h @ w.T)
        return np.sum(g * h)

    zs, h = [], x
    for w in ws:
        zs.append(h @ w.T)
        h = acts[activation](zs[-1])
    if activation == "relu" and min(np.abs(z).min() for z in zs) < 1e-4:
        return  # a pre-activation within the finite-difference step of the kink: not checkable
    numeric = numerical_gradient(loss, x)
    np.testing.assert_allclose(layer_gradient_norms(x, ws, g, activation)[0], np.linalg.norm(numeric), rtol=1e-7, atol=1e-9)


@given(st.integers(0, 2**32 - 1))
def test_linear_orthogonal_layers_keep_the_norm(seed: int) -> None:
    # an orthogonal W preserves the Frobenius norm of g W exactly (up to rounding)
    rng = np.random.default_rng(seed)
    ws = [np.linalg.qr(rng.normal(size=(5, 5)))[0] for _ in range(10)]
    norms = layer_gradient_norms(rng.normal(size=(3, 5)), ws, rng.normal(size=(3, 5)), "linear")
    np.testing.assert_allclose(norms, norms[-1], rtol=1e-12)


def test_sigmoid_vanishes_and_large_relu_explodes() -> None:
    rng = np.random.default_rng(0)
    x, g = rng.normal(size=(16, 64)), rng.normal(size=(16, 64))
    # sigmoid' <= 1/4: with weights of std 1/sqrt(n) each layer shrinks the gradient at least ~4x
    vanished = layer_gradient_norms(x, stack(rng, 20, 64, 1.0), g, "sigmoid")
    assert vanished[0] / vanished[-1] < 4.0**-15
    # relu with std 2/sqrt(n): E[(w relu')^2] n = 4 / 2 = 2 per layer, so the norm grows ~sqrt(2)^20
    exploded = layer_gradient_norms(x, stack(rng, 20, 64, 2.0), g, "relu")
    assert exploded[0] / exploded[-1] > 2.0**7


@pytest.mark.parametrize("dtype", DTYPES)
def test_overflow_is_reported_as_inf_without_warnings(dtype) -> None:
    # 400 linear layers of weight 10: 10^400 overflows both dtypes; pytest would fail on a warning
    ws = [np.full((1, 1), 10.0, dtype=dtype)] * 400
    norms = layer_gradient_norms(np.ones((1, 1), dtype=dtype), ws, np.ones((1, 1), dtype=dtype), "linear")
    assert norms.dtype == dtype and norms[-1] == 1 and np.isinf(norms[0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_overflow_is_inf_not_nan_with_mixed_signs(dtype) -> None:
    # W = c H with H = [[1, 1], [1, -1]]: H^T H = 2 I, so each layer back multiplies the gradient's
    # norm by c sqrt 2 exactly: ||dL/dh_l|| = sqrt 2 (c sqrt 2)^(L - l). Once that passes the
    # dtype's range, the gradient holds inf of both signs, and the next product inf - inf used
    # to make the reported norm NaN instead of the documented inf
    log2_c = 330 if dtype == np.float64 else 40
    w = (2.0**log2_c * np.array([[1.0, 1.0], [1.0, -1.0]])).astype(dtype)
    L = 6
    norms = layer_gradient_norms(np.ones((1, 2), dtype), [w] * L, np.ones((1, 2), dtype), "linear")
    # the exact norms in log2 (the largest is beyond float64 too): 1/2 + (L - l) (log2 c + 1/2)
    log2_exact = 0.5 + np.arange(L, -1, -1.0) * (log2_c + 0.5)
    representable = log2_exact < np.log2(np.finfo(dtype).max)
    assert norms.dtype == dtype and not representable.all() and representable[-3:].all()
    np.testing.assert_array_equal(norms[~representable], np.inf)
    np.testing.assert_allclose(norms[representable], 2.0 ** log2_exact[representable], rtol=4 * np.finfo(dtype).eps)
    # relu through the same stack: no NaN either, the overflowing norms are inf
    relu_norms = layer_gradient_norms(np.ones((1, 2), dtype), [w] * L, np.ones((1, 2), dtype), "relu")
    assert not np.isnan(relu_norms).any() and np.isinf(relu_norms[0])


def test_dtype_and_nan() -> None:
    ws = [np.eye(2, dtype=np.float32)]
    assert layer_gradient_norms(np.ones((1, 2), dtype=np.float32), ws, np.ones((1, 2), dtype=np.float32)).dtype == np.float32
    assert layer_gradient_norms([[1, 2]], [np.eye(2, dtype=int)], [[1, 1]]).dtype == np.float64
    assert np.isnan(layer_gradient_norms([[np.nan]], [[[1.0]]], [[1.0]])[0])


def test_inputs_are_not_modified() -> None:
    x, w, g = np.ones((2, 3)), np.ones((3, 3)), np.ones((2, 3))
    for a in (x, w, g):
        a.setflags(write=False)
    layer_gradient_norms(x, [w, w], g, "relu")


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"activation must be one of \['linear', 'relu', 'sigmoid', 'tanh'\], got 'gelu'"):
        layer_gradient_norms(np.ones((1, 1)), [np.ones((1, 1))], np.ones((1, 1)), "gelu")
    with pytest.raises(TypeError, match="activation must be a string"):
        layer_gradient_norms(np.ones((1, 1)), [np.ones((1, 1))], np.ones((1, 1)), None)
    with pytest.raises(ValueError, match=r"weights\[1\] must have shape \(D_2, 4\) to follow weights\[0\] .* got \(4, 3\)"):
        layer_gradient_norms(np.ones((1, 2)), [np.ones((4, 2)), np.ones((4, 3))], np.ones((1, 4)))
    with pytest.raises(ValueError, match=r"weights\[0\] must have shape \(D_1, 2\) to follow x .* got \(3,\)"):
        layer_gradient_norms(np.ones((1, 2)), [np.ones(3)], np.ones((1, 3)))
    with pytest.raises(ValueError, match="non-empty list"):
        layer_gradient_norms(np.ones((1, 2)), [], np.ones((1, 2)))
    with pytest.raises(ValueError, match=r"x must be a 2-D array \(N, D_0\), got shape \(2,\)"):
        layer_gradient_norms(np.ones(2), [np.ones((2, 2))], np.ones((1, 2)))
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(1, 4\)"):
        layer_gradient_norms(np.ones((1, 2)), [np.ones((4, 2))], np.ones((1, 2)))


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("scale", [0.5, 1.0, 2.0])
def test_matches_torch_autograd(dtype, activation, scale) -> None:
    torch = require("torch")
    rng = np.random.default_rng(3)
    ws = [w.astype(dtype) for w in stack(rng, 12, 16, scale, n_in=8)]
    x, g = rng.normal(size=(5, 8)).astype(dtype), rng.normal(size=(5, 16)).astype(dtype)
    fns = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "linear": lambda z: z}
    hs = [torch.tensor(x, requires_grad=True)]
    for w in ws:
        hs.append(fns[activation](hs[-1] @ torch.tensor(w).T))
        hs[-1].retain_grad()
    hs[-1].backward(torch.tensor(g))
    ref = np.array([torch.linalg.vector_norm(h.grad).item() for h in hs])
    ours = layer_gradient_norms(x, ws, g, activation)
    # relu / linear / sigmoid agree to within 6 ulps. Saturated tanh (scale 2) differs by up to 14:
    # PyTorch's backward forms 1 - tanh(z)^2, which loses relative precision as |tanh| -> 1, while
    # tanh_backward uses the exact 4u / (1 + u)^2 (see the tanh page); 32 ulps leaves a margin of 2
    assert_matches(ours, ref, dtype, ulps=32)
