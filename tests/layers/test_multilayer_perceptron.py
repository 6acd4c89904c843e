"""mlp: hand values, properties, stability, bad input, torch.nn.Sequential."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import linear, mlp, mlp_forward, relu
from tests.reference import DTYPES, EXTREMES, assert_matches, require


def layers(rng: np.random.Generator, widths: list[int], dtype=np.float64):
    """Weights (out, in) ~ N(0, 1/in) and biases ~ N(0, 0.1^2) for consecutive widths."""
    ws = [(rng.normal(size=(o, i)) / np.sqrt(i)).astype(dtype) for i, o in zip(widths[:-1], widths[1:])]
    bs = [(rng.normal(size=o) * 0.1).astype(dtype) for o in widths[1:]]
    return ws, bs


def error_bound(x: np.ndarray, ws, bs) -> float:
    """Bound on |ours - reference| / eps for the output, for any two summation orders.

    Layer l's pre-activations are exact to K_l eps S_l (K_l = in_features, S_l = max |h| |W|^T + |b|);
    an error e entering layer l leaves it at most e * max_j sum_k |W_jk|; every activation used is
    1-Lipschitz and rounds its output once, adding eps * |phi(z)| <= eps * (1 + |z|).
    """
    h, bound = np.abs(np.asarray(x, np.float64)), 0.0
    for l, (w, b) in enumerate(zip(ws, bs)):
        w, b = np.abs(np.asarray(w, np.float64)), np.abs(np.asarray(b, np.float64))
        s = h @ w.T + b                      # bounds |z| elementwise
        bound = bound * float(w.sum(axis=1).max()) + w.shape[1] * float(s.max())
        if l < len(ws) - 1:
            h = s + 1                        # |phi(z)| <= 1 + |z| for relu, tanh and sigmoid
            bound += float(h.max())          # the activation's own rounding
    return bound


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_values() -> None:
    # hidden units relu(x) and relu(-x), summed: |x|; then a second hidden layer relu(|x| - 1) scaled by 2
    ws = [np.array([[1.0], [-1.0]]), np.array([[1.0, 1.0]]), np.array([[2.0]])]
    bs = [np.zeros(2), np.array([-1.0]), np.array([0.5])]
    x = np.array([[-3.0], [0.5], [2.0]])
    # |x| - 1 = (2, -0.5, 1) -> relu (2, 0, 1) -> 2 * that + 0.5
    np.testing.assert_array_equal(mlp(x, ws, bs), [[4.5], [0.5], [2.5]])
    # tanh between layers: tanh(0) = 0 for x = 0, so the output is the last bias
    np.testing.assert_array_equal(mlp([[0.0]], ws, [np.zeros(2), np.zeros(1), np.array([0.5])], "tanh"), [[0.5]])
    # sigmoid(0) = 1/2 for both hidden units at x = 0: 1/2 + 1/2 = 1
    assert mlp([[0.0]], ws[:2], [np.zeros(2), np.zeros(1)], "sigmoid").item() == 1.0


def test_one_layer_is_linear_and_two_match_the_backpropagation_network() -> None:
    rng = np.random.default_rng(0)
    ws, bs = layers(rng, [3, 5, 4])
    x = rng.normal(size=(6, 3))
    np.testing.assert_array_equal(mlp(x, ws[:1], bs[:1]), linear(x, ws[0], bs[0]))
    params = {"W1": ws[0], "b1": bs[0], "W2": ws[1], "b2": bs[1]}
    # the same products and sums in the same order: identical results
    np.testing.assert_array_equal(mlp(x, ws, bs), mlp_forward(params, x))


def test_leading_axes_and_dtypes() -> None:
    rng = np.random.default_rng(1)
    ws, bs = layers(rng, [3, 4, 2], np.float32)
    assert mlp(np.ones((2, 5, 3), np.float32), ws, bs).shape == (2, 5, 2)
    assert mlp(np.ones(3, np.float32), ws, bs).dtype == np.float32
    assert mlp(np.ones(3), ws, bs).dtype == np.float64
    assert mlp([[1, 2, 3]], [np.ones((2, 3), int)], [np.zeros(2, int)]).dtype == np.float64


# ---------------------------------------------------------------- properties
@given(
    arrays(np.float64, (4, 3), elements=st.floats(-100, 100)),
    st.floats(0.01, 100),
    st.integers(0, 2**32 - 1),
)
def test_relu_network_without_biases_is_positively_homogeneous(x, a, seed) -> None:
    # relu(a z) = a relu(z) for a > 0, so with zero biases mlp(a x) = a mlp(x), up to rounding
    ws, bs = layers(np.random.default_rng(seed), [3, 5, 5, 2])
    bs = [np.zeros_like(b) for b in bs]
    np.testing.assert_allclose(mlp(a * x, ws, bs), a * mlp(x, ws, bs), rtol=1e-12, atol=1e-10 * a)


@given(arrays(np.float64, (3, 2), elements=st.floats(-1e4, 1e4)), st.sampled_from(["relu", "tanh", "sigmoid"]))
def test_rows_are_independent(x, activation) -> None:
    ws, bs = layers(np.random.default_rng(2), [2, 6, 3])
    rows = np.stack([mlp(xi, ws, bs, activation) for xi in x])
    np.testing.assert_allclose(mlp(x, ws, bs, activation), rows, rtol=1e-13, atol=1e-9)


# ---------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_extreme_inputs_stay_finite(dtype, activation) -> None:
    rng = np.random.default_rng(3)
    ws, bs = layers(rng, [15, 8, 8, 3], dtype)
    y = mlp(np.stack([EXTREMES, -EXTREMES]).astype(dtype), ws, bs, activation)
    assert y.dtype == dtype and np.all(np.isfinite(y))


def test_nan_in_nan_out() -> None:
    ws, bs = layers(np.random.default_rng(4), [3, 4, 2])
    x = np.ones((2, 3))
    x[1, 0] = np.nan
    y = mlp(x, ws, bs, "tanh")
    assert np.all(np.isfinite(y[0])) and np.all(np.isnan(y[1]))


# ---------------------------------------------------------------- bad input
def test_rejects_bad_layers_naming_argument_and_shapes() -> None:
    ws, bs = layers(np.random.default_rng(5), [3, 4, 2])
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match=r"^weights\[1\] must have in_features = 4 to follow weights\[0\] of shape \(4, 3\), got shape \(2, 5\)$"):
        mlp(x, [ws[0], np.ones((2, 5))], bs)
    with pytest.raises(ValueError, match=r"weights\[0\] must have in_features = 2 to follow x of shape \(2, 2\), got shape \(4, 3\)"):
        mlp(np.ones((2, 2)), ws, bs)
    with pytest.raises(ValueError, match=r"biases\[1\] must have shape \(out_features,\) = \(2,\) for weights\[1\] of shape \(2, 4\), got \(4,\)"):
        mlp(x, ws, [bs[0], np.ones(4)])
    with pytest.raises(ValueError, match=r"weights\[0\] must be a 2-D array \(out_features, in_features\), got shape \(3,\)"):
        mlp(x, [np.ones(3)], [np.ones(1)])
    with pytest.raises(ValueError, match=r"got 2 weights and 1 biases"):
        mlp(x, ws, bs[:1])
    with pytest.raises(ValueError, match=r"got 0 weights and 0 biases"):
        mlp(x, [], [])
    with pytest.raises(ValueError, match=r"activation must be one of \['relu', 'sigmoid', 'tanh'\], got 'gelu'"):
        mlp(x, ws, bs, "gelu")


def test_rejects_wrong_types() -> None:
    ws, bs = layers(np.random.default_rng(6), [3, 2])
    with pytest.raises(TypeError, match="activation must be a string"):
        mlp(np.ones(3), ws, bs, relu)
    with pytest.raises(TypeError, match="weights must be a list with one array per layer, got ndarray"):
        mlp(np.ones(3), ws[0], bs)
    with pytest.raises(TypeError, match=r"weights\[0\] must be real-valued"):
        mlp(np.ones(3), [ws[0] * 1j], bs)


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("depth", [1, 2, 4])
@pytest.mark.parametrize("extreme", [False, True], ids=["random", "extreme"])
def test_matches_torch_sequential(dtype, activation, depth, extreme) -> None:
    torch = require("torch")
    rng = np.random.default_rng(7)
    widths = [15, *[6] * (depth - 1), 3]
    ws, bs = layers(rng, widths, dtype)
    x = rng.normal(size=(5, 15)).astype(dtype)
    if extreme:
        x[0] = EXTREMES
    modules = []
    for l, (w, b) in enumerate(zip(ws, bs)):
        lin = torch.nn.Linear(w.shape[1], w.shape[0], dtype=torch.from_numpy(w).dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w))
            lin.bias.copy_(torch.from_numpy(b))
        modules.append(lin)
        if l < depth - 1:
            modules.append({"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}[activation]())
    with torch.no_grad():
        ref = torch.nn.Sequential(*modules)(torch.from_numpy(x)).numpy()
    # both sides differ only in summation order and in the activations' last bits: error_bound is
    # one side's worst case (rounding of every layer, carried through the later ones); 2 for two sides
    assert_matches(mlp(x, ws, bs, activation), ref, dtype, ulps=2, scale=error_bound(x, ws, bs))
