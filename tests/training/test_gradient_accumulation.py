"""accumulate_gradients: hand values, equality with the full-batch gradient for any split, bad
input, PyTorch's .grad accumulated over micro-batches."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from snippets import accumulate_gradients, iterate_minibatches
from tests.reference import EXTREMES, assert_matches, require


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def least_squares(X: np.ndarray, y: np.ndarray):
    """grad_fn of the mean loss (x_i.w - y_i)^2 / 2 over idx: X_idx^T (X_idx w - y_idx) / |idx|."""
    return lambda w, idx: X[idx].T @ (X[idx] @ w - y[idx]) / len(idx)


# ---------------------------------------------------------------- hand-checked values
def test_hand_values() -> None:
    # loss_i = (w - y_i)^2 / 2: the mean gradient over idx is w - mean(y[idx])
    y = np.array([1.0, 2.0, 3.0, 6.0])
    grad_fn = lambda w, idx: w - y[idx].mean()  # noqa: E731
    # sizes 3 and 1: 3/4 * (0 - 2) + 1/4 * (0 - 6) = -3, the full mean gradient 0 - 3
    out = accumulate_gradients(grad_fn, np.array(0.0), [np.array([0, 1, 2]), np.array([3])])
    assert isinstance(out, np.ndarray) and out.shape == () and out == -3.0
    # two equal halves at w = 1: 1/2 * (1 - 1.5) + 1/2 * (1 - 4.5) = -2 = 1 - 3
    assert accumulate_gradients(grad_fn, 1.0, [[0, 1], [2, 3]]) == -2.0
    # one micro-batch is just grad_fn itself
    assert accumulate_gradients(grad_fn, 2.0, [[3]]) == -4.0


def test_dtype_follows_params() -> None:
    X, y = rng(1).normal(size=(6, 2)), rng(2).normal(size=6)
    f = least_squares(X, y)
    assert accumulate_gradients(f, np.zeros(2, np.float32), [[0, 1, 2], [3, 4, 5]]).dtype == np.float32
    assert accumulate_gradients(f, np.zeros(2), [[0, 1, 2], [3, 4, 5]]).dtype == np.float64
    assert accumulate_gradients(f, [0, 0], [[0, 1, 2], [3, 4, 5]]).dtype == np.float64


def test_params_are_not_modified() -> None:
    X, y = rng(1).normal(size=(6, 2)), rng(2).normal(size=6)
    w = np.ones(2)
    w.setflags(write=False)
    accumulate_gradients(least_squares(X, y), w, [[0, 1], [2, 3, 4, 5]])
    np.testing.assert_array_equal(w, [1.0, 1.0])


# ---------------------------------------------------------------- properties
@given(st.integers(1, 120), st.integers(1, 50), st.integers(0, 2**32 - 1))
def test_any_split_gives_the_full_batch_gradient(n: int, micro: int, seed: int) -> None:
    g = rng(seed)
    X, y, w = g.normal(size=(n, 3)), g.normal(size=n), g.normal(size=3)
    f = least_squares(X, y)
    # micro-batches of `micro` samples, the last one shorter: the size weights make it exact
    batches = list(iterate_minibatches(n, micro, rng=g))
    np.testing.assert_allclose(accumulate_gradients(f, w, batches), f(w, np.arange(n)), rtol=1e-10, atol=1e-12)


@given(st.integers(0, 2**32 - 1))
def test_order_of_micro_batches_does_not_matter(seed: int) -> None:
    g = rng(seed)
    X, y, w = g.normal(size=(30, 2)), g.normal(size=30), g.normal(size=2)
    batches = list(iterate_minibatches(30, 7, rng=g))
    a = accumulate_gradients(least_squares(X, y), w, batches)
    b = accumulate_gradients(least_squares(X, y), w, batches[::-1])
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_the_plain_mean_of_unequal_micro_batches_is_biased() -> None:
    # (loss_k / K).backward() with sizes 9 and 1: the lone sample weighs as much as the nine others
    y = np.array([0.0] * 9 + [10.0])
    grad_fn = lambda w, idx: w - y[idx].mean()  # noqa: E731
    batches = [np.arange(9), np.array([9])]
    plain = np.mean([grad_fn(0.0, b) for b in batches])  # (0 + -10) / 2 = -5
    assert plain == -5.0 and accumulate_gradients(grad_fn, 0.0, batches) == -1.0  # 0 - mean(y)


def test_stability_at_large_values() -> None:
    # inputs up to 1e4: per-sample gradients up to ~1e12 stay finite in float32 and float64
    for dtype in (np.float32, np.float64):
        X = np.array([[1e4, -1e4], [1.0, 2.0], [-1e4, 3.0]], dtype=dtype)
        y = np.array([1e4, -1e4, 0.0], dtype=dtype)
        out = accumulate_gradients(least_squares(X, y), np.full(2, 1e4, dtype), [[0, 1], [2]])
        assert out.dtype == dtype and np.all(np.isfinite(out))
    # NaN from one micro-batch makes the whole gradient NaN, as in .grad
    nan_grad = lambda w, idx: np.full(2, np.nan) if 0 in idx else np.ones(2)  # noqa: E731
    assert np.all(np.isnan(accumulate_gradients(nan_grad, np.zeros(2), [[0], [1]])))


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    f = lambda w, idx: w  # noqa: E731
    with pytest.raises(ValueError, match="micro_batches must hold at least one micro-batch"):
        accumulate_gradients(f, np.zeros(2), [])
    with pytest.raises(ValueError, match=r"micro_batches\[1\] must be a non-empty 1-D array of indices, got shape \(0,\)"):
        accumulate_gradients(f, np.zeros(2), [[0], []])
    with pytest.raises(ValueError, match=r"micro_batches\[0\] must hold class labels"):
        accumulate_gradients(f, np.zeros(2), [[0.5]])
    with pytest.raises(TypeError, match="micro_batches must be a list of index arrays, got ndarray"):
        accumulate_gradients(f, np.zeros(2), np.array([[0, 1]]))
    with pytest.raises(TypeError, match="grad_fn must be callable"):
        accumulate_gradients("grad", np.zeros(2), [[0]])
    with pytest.raises(ValueError, match=r"grad_fn must return shape \(2,\), got \(3,\)"):
        accumulate_gradients(lambda w, idx: np.zeros(3), np.zeros(2), [[0]])
    with pytest.raises(TypeError, match="params must be real-valued"):
        accumulate_gradients(f, np.zeros(2, complex), [[0]])


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_torch_grad_accumulation(dtype) -> None:
    torch = require("torch")
    g = rng(3)
    # a two-layer tanh network on 50 samples, inputs with EXTREMES mixed in (tanh saturates)
    X = g.normal(size=(50, 4)).astype(dtype)
    X[:15, 0] = EXTREMES.astype(dtype)
    y = g.normal(size=50).astype(dtype)
    W1, w2 = g.normal(size=(8, 4)).astype(dtype) * 0.5, g.normal(size=8).astype(dtype)
    params = np.concatenate([W1.ravel(), w2])

    def torch_loss(p, idx):  # mean squared error of the network on the samples idx
        W1_t, w2_t = p[:32].reshape(8, 4), p[32:]
        pred = torch.tanh(torch.tensor(X[idx]) @ W1_t.T) @ w2_t
        return 0.5 * torch.mean((pred - torch.tensor(y[idx])) ** 2)

    def grad_fn(p, idx):  # the mean-loss gradient of one micro-batch, from torch autograd
        t = torch.tensor(p, requires_grad=True)
        torch_loss(t, idx).backward()
        return t.grad.numpy()

    batches = list(iterate_minibatches(50, 16, rng=g))  # 16, 16, 16 and 2 samples
    ours = accumulate_gradients(grad_fn, params, batches)

    # PyTorch's recipe: (loss_k * B_k / B).backward() for each micro-batch, summed in .grad
    t = torch.tensor(params, requires_grad=True)
    for idx in batches:
        (torch_loss(t, idx) * (len(idx) / 50)).backward()
    # and the full batch in one backward
    full = torch.tensor(params, requires_grad=True)
    torch_loss(full, np.arange(50)).backward()
    # same micro-batch gradients, same weights: sums of 4 terms in another order, a few ulps of
    # the largest term; against the full batch the mean over 50 samples is also reassociated
    # (pairwise vs blocked sums of terms up to 1e4 * |grad|): ulps of the gradient's scale
    scale = float(np.max(np.abs(full.grad.numpy())))
    assert_matches(ours, t.grad.numpy(), dtype, ulps=8, scale=scale)
    assert_matches(ours, full.grad.numpy(), dtype, ulps=64, scale=scale)
