"""autoencoder_forward, reconstruction_loss and their backwards; the linear autoencoder and PCA."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import (
    autoencoder_forward,
    autoencoder_forward_backward,
    reconstruction_loss,
    reconstruction_loss_backward,
    relu,
    sigmoid,
    tanh,
)
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward


def params(rng: np.random.Generator, d: int, k: int, scale: float = 1.0) -> tuple[np.ndarray, ...]:
    return (rng.normal(size=(k, d)) * scale, rng.normal(size=k), rng.normal(size=(d, k)) * scale, rng.normal(size=d))


def centred_data(rng: np.random.Generator, n: int, variances: list[float]) -> np.ndarray:
    """n samples whose principal variances are ``variances`` along a random rotation, mean 0."""
    q, _ = np.linalg.qr(rng.normal(size=(len(variances), len(variances))))
    x = rng.normal(size=(n, len(variances))) * np.sqrt(variances) @ q.T
    return x - x.mean(axis=0)


# ---------------------------------------------------------------- hand-checked values
def test_hand_values() -> None:
    # D = 2, K = 1, W_enc = (1, -1), b_enc = 0: h = relu(x1 - x2). x = (3, 1) -> h = 2; x = (1, 3) -> h = 0.
    # W_dec = (1, 2)^T, b_dec = (0, 1): x_hat = (2, 5) and (0, 1)
    x = [[3.0, 1.0], [1.0, 3.0]]
    args = ([[1.0, -1.0]], [0.0], [[1.0], [2.0]], [0.0, 1.0])
    np.testing.assert_array_equal(autoencoder_forward(x, *args), [[2.0, 5.0], [0.0, 1.0]])
    # linear (activation=None): the second sample's code is -2, x_hat = (-2, -3)
    np.testing.assert_array_equal(autoencoder_forward(x, *args, activation=None), [[2.0, 5.0], [-2.0, -3.0]])
    # tanh and sigmoid codes: tanh(2), sigmoid(2) on the first sample
    np.testing.assert_allclose(autoencoder_forward(x, *args, activation=tanh)[0], [math.tanh(2), 2 * math.tanh(2) + 1])
    s2 = 1 / (1 + math.exp(-2))
    np.testing.assert_allclose(autoencoder_forward(x, *args, activation=sigmoid)[0], [s2, 2 * s2 + 1])
    # gradient with grad_out = (1, 0) on the first sample only: dh = 1 * W_dec[0] = 1, relu passes it
    # (h = 2 > 0): dW_enc = x_1 = (3, 1), db_enc = 1, dx_1 = W_enc = (1, -1); dW_dec = g^T h = ((2), (0))
    dx, dwe, dbe, dwd, dbd = autoencoder_forward_backward([[1.0, 0.0], [0.0, 0.0]], x, *args)
    np.testing.assert_array_equal(dx, [[1.0, -1.0], [0.0, 0.0]])
    np.testing.assert_array_equal(dwe, [[3.0, 1.0]])
    np.testing.assert_array_equal(dbe, [1.0])
    np.testing.assert_array_equal(dwd, [[2.0], [0.0]])
    np.testing.assert_array_equal(dbd, [1.0, 0.0])
    # reconstruction loss: residuals (1, -2, 0, 3) -> (1 + 4 + 0 + 9) / 4 = 3.5; gradient 2 r / 4
    assert reconstruction_loss([[0.0, 2.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 4.0]]) == 3.5
    np.testing.assert_array_equal(
        reconstruction_loss_backward(1.0, [[0.0, 2.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 4.0]]), [[0.5, -1.0], [0.0, 1.5]]
    )


def test_identity_weights_reconstruct_exactly() -> None:
    # K = D, W_enc = W_dec = I, no bias, linear: x_hat = x and the loss is 0
    x = np.random.default_rng(0).normal(size=(5, 3))
    z = np.zeros(3)
    x_hat = autoencoder_forward(x, np.eye(3), z, np.eye(3), z, activation=None)
    np.testing.assert_array_equal(x_hat, x)
    assert reconstruction_loss(x, x_hat) == 0.0


# ---------------------------------------------------------------- properties
@given(st.integers(1, 5), st.integers(1, 5), st.integers(0, 2**32 - 1))
@settings(max_examples=30, deadline=None)
def test_linear_autoencoder_is_invariant_to_an_invertible_code_change(d: int, k: int, seed: int) -> None:
    # activation=None: x_hat = (x W_e^T + b_e) W_d^T + b_d is unchanged by W_e -> A W_e, b_e -> A b_e,
    # W_d -> W_d A^-1 for any invertible A (K x K): a linear autoencoder's code is defined only up to A
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(6, d))
    we, be, wd, bd = params(rng, d, k)
    a = rng.normal(size=(k, k)) + 3 * np.eye(k)
    out = autoencoder_forward(x, we, be, wd, bd, activation=None)
    moved = autoencoder_forward(x, a @ we, a @ be, wd @ np.linalg.inv(a), bd, activation=None)
    np.testing.assert_allclose(moved, out, rtol=1e-9, atol=1e-9 * max(1.0, np.abs(out).max()))


@given(st.integers(0, 2**32 - 1))
@settings(max_examples=30, deadline=None)
def test_leading_axes_are_batch_axes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, 3, 4))
    p = params(rng, 4, 2)
    np.testing.assert_allclose(autoencoder_forward(x, *p).reshape(6, 4), autoencoder_forward(x.reshape(6, 4), *p), rtol=1e-15)
    g = rng.normal(size=x.shape)
    ours = autoencoder_forward_backward(g, x, *p)
    flat = autoencoder_forward_backward(g.reshape(6, 4), x.reshape(6, 4), *p)
    np.testing.assert_allclose(ours[0].reshape(6, 4), flat[0], rtol=1e-14, atol=1e-15)
    for a, b in zip(ours[1:], flat[1:]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    # the loss is >= 0 and 0 only on a perfect reconstruction
    x_hat = autoencoder_forward(x, *p)
    assert reconstruction_loss(x, x_hat) > 0 and reconstruction_loss(x, x) == 0


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_up_to_1e4(dtype) -> None:
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(size=(8, 4)) * 1e4, EXTREMES[:12].reshape(3, 4)]).astype(dtype)
    p = [a.astype(dtype) for a in params(rng, 4, 3)]
    for act in (relu, sigmoid, tanh, None):
        out = autoencoder_forward(x, *p, activation=act)
        grads = autoencoder_forward_backward(np.ones_like(x), x, *p, activation=act)
        for v in (out, *grads):
            assert v.dtype == dtype and np.all(np.isfinite(v))
    x_hat = (x + 1e4).astype(dtype)
    for v in (reconstruction_loss(x, x_hat), reconstruction_loss_backward(1.0, x, x_hat)):
        assert v.dtype == dtype and np.all(np.isfinite(v))
    assert np.isnan(reconstruction_loss([np.nan], [0.0]))


# ---------------------------------------------------------------- the linear autoencoder and PCA
def test_pca_weights_reach_the_eckart_young_error() -> None:
    # Baldi & Hornik (1989): the best linear autoencoder with K code units projects onto the top-K
    # principal subspace. With W_dec = U_K, W_enc = U_K^T (U_K: top right singular vectors of the
    # centred data) the mean squared error is (sum of the discarded squared singular values) / (N D)
    rng = np.random.default_rng(2)
    x = centred_data(rng, 80, [9.0, 4.0, 0.5, 0.1, 0.05]) + np.arange(5.0)
    mean = x.mean(axis=0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    k = 2
    u = vt[:k]
    x_hat = autoencoder_forward(x, u, -u @ mean, u.T, mean, activation=None)
    np.testing.assert_allclose(reconstruction_loss(x, x_hat), np.sum(s[k:] ** 2) / x.size, rtol=1e-12)
    # and it is a minimum: the gradient with respect to every parameter vanishes there
    g = reconstruction_loss_backward(1.0, x, x_hat)
    for grad in autoencoder_forward_backward(g, x, u, -u @ mean, u.T, mean, activation=None)[1:]:
        np.testing.assert_allclose(grad, 0.0, atol=1e-13)


def test_trained_linear_autoencoder_spans_the_principal_subspace() -> None:
    # gradient descent from a random start (Baldi & Hornik: no local minima, only saddles), then
    # the subspace span(W_dec) is compared with scikit-learn's top-2 PCA components
    decomposition = require("sklearn.decomposition")
    rng = np.random.default_rng(3)
    x = centred_data(rng, 64, [1.0, 0.5, 0.03, 0.01])
    d, k, lr = 4, 2, 0.3
    best = np.sum(np.linalg.svd(x, compute_uv=False)[k:] ** 2) / x.size  # Eckart-Young: PCA's error
    we, be, wd, bd = (a * 0.3 for a in params(rng, d, k))
    losses = []
    for step in range(400):
        x_hat = autoencoder_forward(x, we, be, wd, bd, activation=None)
        losses.append(reconstruction_loss(x, x_hat))
        grads = autoencoder_forward_backward(reconstruction_loss_backward(1.0, x, x_hat), x, we, be, wd, bd, activation=None)
        # the loss averages over D features: step size lr per feature
        we, be, wd, bd = (p - lr * d * g for p, g in zip((we, be, wd, bd), grads[1:]))
    losses = np.array(losses)
    # the loss decreases towards the PCA error and never goes below it (it is the global minimum)
    assert np.all(np.diff(losses[50:]) <= 0) and losses.min() >= best * (1 - 1e-12)
    components = decomposition.PCA(n_components=k).fit(x).components_
    q, _ = np.linalg.qr(wd)
    # gradient descent converges linearly, slowly along the gap between the 2nd and 3rd variances
    # (0.5 vs 0.03): after 400 steps this run is at 7e-4 of the PCA error and its projection within
    # 7e-4 of PCA's (8e-6 and 2e-5 after 1500 steps); the bounds leave a factor 3
    np.testing.assert_allclose(q @ q.T, components.T @ components, atol=2e-3)
    assert losses[-1] <= best * (1 + 2e-3)
    # and numpy's SVD gives the same subspace as scikit-learn
    vt = np.linalg.svd(x, full_matrices=False)[2][:k]
    np.testing.assert_allclose(vt.T @ vt, components.T @ components, atol=1e-12)


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    x, (we, be, wd, bd) = np.zeros((2, 3)), params(np.random.default_rng(0), 3, 2)
    with pytest.raises(ValueError, match="activation must be snippets' relu, sigmoid or tanh, or None .*got <lambda>"):
        autoencoder_forward(x, we, be, wd, bd, activation=lambda v: v)
    with pytest.raises(ValueError, match=r"activation must be .* got str"):
        autoencoder_forward_backward(np.ones((2, 3)), x, we, be, wd, bd, activation="relu")
    with pytest.raises(ValueError, match=r"W_enc must have shape \(K, D\) with D = 3 as in x of shape \(2, 3\), got \(2, 4\)"):
        autoencoder_forward(x, np.zeros((2, 4)), be, wd, bd)
    with pytest.raises(ValueError, match=r"b_enc must have shape \(K,\) = \(2,\) for x of shape \(2, 3\) and W_enc"):
        autoencoder_forward(x, we, np.zeros(3), wd, bd)
    with pytest.raises(ValueError, match=r"W_dec must have shape \(D, K\) = \(3, 2\)"):
        autoencoder_forward(x, we, be, wd.T, bd)
    with pytest.raises(ValueError, match=r"b_dec must have shape \(D,\) = \(3,\)"):
        autoencoder_forward(x, we, be, wd, np.zeros(2))
    with pytest.raises(ValueError, match=r"x must have shape \(\*, D\)"):
        autoencoder_forward(1.0, we, be, wd, bd)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2, 3\)"):
        autoencoder_forward_backward(np.ones((2, 2)), x, we, be, wd, bd)
    with pytest.raises(TypeError, match="W_dec must be real-valued"):
        autoencoder_forward(x, we, be, wd.astype(complex), bd)
    with pytest.raises(ValueError, match=r"x_hat must have the same shape as x: x has shape \(2, 3\), x_hat has shape \(3, 2\)"):
        reconstruction_loss(x, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="x must not be empty"):
        reconstruction_loss_backward(1.0, np.zeros((0, 3)), np.zeros((0, 3)))


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("act", ["relu", "sigmoid", "tanh", "linear"])
def test_matches_torch(dtype, act) -> None:
    torch = require("torch")
    ours_act = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh, "linear": None}[act]
    torch_act = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "linear": lambda t: t}[act]
    rng = np.random.default_rng(4)
    x = np.concatenate([rng.normal(size=(30, 5)) * 3, EXTREMES[:10].reshape(2, 5) / 10]).astype(dtype)
    args = [x, *(a.astype(dtype) for a in params(rng, 5, 3))]
    g = rng.normal(size=x.shape).astype(dtype)
    F = torch.nn.functional
    ref, ref_grads = torch_forward_backward(
        lambda x, we, be, wd, bd: F.linear(torch_act(F.linear(x, we, be)), wd, bd), args, g, wrt=[0, 1, 2, 3, 4]
    )
    # rounding is relative to the sizes of the summands, not of the result: each output is checked
    # against the same products taken in absolute values (the usual bound for a dot product)
    a = [np.abs(v).astype(np.float64) for v in (x, *args[1:], g)]
    ax, awe, abe, awd, abd, ag = a
    ah = ax @ awe.T + abe if act in ("relu", "linear") else np.ones((len(x), 3))  # |h| <= |pre|, or <= 1
    agh = ag @ awd                                                               # |dL/dh| bound
    scales = [ah @ awd.T + abd, agh @ awe, agh.T @ ax, agh.sum(axis=0), ag.T @ ah, ag.sum(axis=0)]
    assert_matches(autoencoder_forward(*args, activation=ours_act), ref, dtype, ulps=16, scale=scales[0])
    ours = autoencoder_forward_backward(g, *args, activation=ours_act)
    for o, r, scale in zip(ours, ref_grads, scales[1:]):
        assert_matches(o, r, dtype, ulps=16, scale=scale)


@pytest.mark.parametrize("dtype", DTYPES)
def test_reconstruction_loss_matches_torch(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.normal(size=60) * 10, EXTREMES]).astype(dtype).reshape(-1, 5)
    x_hat = (x + rng.normal(size=x.shape) * 100).astype(dtype)
    ref, (grad,) = torch_forward_backward(
        lambda xh, t: torch.nn.functional.mse_loss(xh, t), [x_hat, x], np.array(0.7), wrt=[0]
    )
    # a mean of squares of residuals up to ~2e4: rounding relative to the largest square
    assert_matches(reconstruction_loss(x, x_hat), ref, dtype, scale=float(np.max((x_hat - x) ** 2)))
    assert_matches(reconstruction_loss_backward(0.7, x, x_hat), grad, dtype, scale=float(np.max(np.abs(x_hat - x))) / x.size)
