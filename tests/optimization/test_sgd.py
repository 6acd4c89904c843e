"""sgd_step / minibatch_sgd: hand values, the functional-state contract, properties, bad input,
and torch.optim.SGD step by step (momentum, dampening, weight decay, Nesterov)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import batch_indices, gradient_descent, minibatch_sgd, sgd_step
from tests.optimization.torch_steps import steps_against_torch
from tests.reference import DTYPES, EXTREMES, assert_matches, require

finite = st.floats(-1e4, 1e4, allow_nan=False)


# ---------------------------------------------------------------- hand-checked values
def test_plain_step() -> None:
    # 1 - 0.5 * 2 = 0 and 2 - 0.5 * (-4) = 4; plain SGD keeps no state
    p, s = sgd_step([1.0, 2.0], [2.0, -4.0], {}, lr=0.5)
    np.testing.assert_array_equal(p, [0.0, 4.0])
    assert s == {}


def test_momentum_dampening_and_weight_decay_by_hand() -> None:
    # wd = 0.5: g = grad + 0.5 p. Step 1: p = 2, g = 1 + 1 = 2, buffer = g = 2 (undamped on the
    # first step), p = 2 - 0.25 * 2 = 1.5. Step 2: g = 1 + 0.75 = 1.75,
    # buffer = 0.5 * 2 + (1 - 0.5) * 1.75 = 1.875, p = 1.5 - 0.25 * 1.875 = 1.03125
    kw = dict(lr=0.25, momentum=0.5, dampening=0.5, weight_decay=0.5)
    p, s = sgd_step([2.0], [1.0], {}, **kw)
    assert p[0] == 1.5 and s["momentum_buffer"][0] == 2.0
    p, s = sgd_step(p, [1.0], s, **kw)
    assert p[0] == 1.03125 and s["momentum_buffer"][0] == 1.875


def test_nesterov_by_hand() -> None:
    # step 1: b = g = 1, direction g + 0.5 b = 1.5, p = 0 - 0.1 * 1.5 = -0.15
    # step 2: b = 0.5 + 1 = 1.5, direction 1 + 0.75 = 1.75, p = -0.15 - 0.175 = -0.325
    p, s = sgd_step([0.0], [1.0], {}, lr=0.1, momentum=0.5, nesterov=True)
    np.testing.assert_allclose(p, [-0.15], rtol=1e-15)
    p, s = sgd_step(p, [1.0], s, lr=0.1, momentum=0.5, nesterov=True)
    np.testing.assert_allclose(p, [-0.325], rtol=1e-15)
    assert s["momentum_buffer"][0] == 1.5


def test_state_is_functional() -> None:
    # the given param, grad and state are never written to; a new dict and new arrays come back
    param, grad = np.array([1.0, 2.0]), np.array([0.5, -0.5])
    for a in (param, grad):
        a.setflags(write=False)
    state: dict = {}
    p1, s1 = sgd_step(param, grad, state, lr=0.1, momentum=0.9)
    assert state == {} and s1 is not state
    buf = s1["momentum_buffer"]
    buf_before = buf.copy()
    p2, s2 = sgd_step(p1, grad, s1, lr=0.1, momentum=0.9)
    np.testing.assert_array_equal(s1["momentum_buffer"], buf_before)  # old state untouched
    assert s2["momentum_buffer"] is not buf and not np.shares_memory(s2["momentum_buffer"], grad)
    assert not np.shares_memory(p1, param) and not np.shares_memory(s1["momentum_buffer"], grad)
    np.testing.assert_array_equal(param, [1.0, 2.0])


def test_dtypes() -> None:
    p32 = np.ones(3, dtype=np.float32)
    p, s = sgd_step(p32, np.ones(3), {}, lr=0.1, momentum=0.9)  # grad is cast to param's dtype
    assert p.dtype == s["momentum_buffer"].dtype == np.float32
    p, _ = sgd_step([1, 2], [1, 1], {}, lr=1)
    assert p.dtype == np.float64 and p.tolist() == [0.0, 1.0]
    assert sgd_step(np.float64(1.0), 1.0, {}, lr=0.5)[0].shape == ()


def test_nan_in_nan_out() -> None:
    p, s = sgd_step([1.0, 1.0], [np.nan, 1.0], {}, lr=0.1, momentum=0.9)
    assert np.isnan(p[0]) and np.isnan(s["momentum_buffer"][0]) and p[1] == 0.9


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_at_extreme_inputs(dtype) -> None:
    # params and gradients up to 1e4: one step is a multiply-add, finite with no warning
    p = EXTREMES.astype(dtype)
    g = EXTREMES[::-1].astype(dtype)
    state: dict = {}
    for _ in range(50):
        p, state = sgd_step(p, g, state, lr=1e-3, momentum=0.9, weight_decay=1e-2, nesterov=True)
    assert p.dtype == dtype and np.all(np.isfinite(p))


# ---------------------------------------------------------------- properties
@given(arrays(np.float64, st.integers(1, 8), elements=finite), st.data(), st.floats(0, 1), st.floats(0.01, 0.99))
def test_momentum_buffer_is_a_geometric_sum(p0: np.ndarray, data, lr: float, mu: float) -> None:
    # with dampening 0 and no weight decay, b_k = sum_{j<=k} mu^(k-j) g_j and
    # p_k = p_0 - lr * sum_j b_j: the closed form of the heavy-ball recursion
    grads = data.draw(arrays(np.float64, (5, p0.size), elements=st.floats(-100, 100)))
    p, s = p0, {}
    for g in grads:
        p, s = sgd_step(p, g, s, lr=lr, momentum=mu)
    weights = mu ** np.arange(4, -1, -1)
    np.testing.assert_allclose(s["momentum_buffer"], weights @ grads, rtol=1e-12, atol=1e-10)
    bufs = np.array([(mu ** np.arange(k, -1, -1)) @ grads[: k + 1] for k in range(5)])
    scale = np.max(np.abs(p0), initial=0) + lr * np.max(np.abs(bufs), initial=0) * 5
    np.testing.assert_allclose(p, p0 - lr * bufs.sum(axis=0), rtol=1e-12, atol=1e-13 * (scale + 1))


@given(arrays(np.float64, st.integers(1, 8), elements=finite), st.data(), st.floats(0, 1), st.floats(0, 1))
def test_weight_decay_is_the_l2_gradient(p0: np.ndarray, data, lr: float, wd: float) -> None:
    # weight_decay wd is the same as adding wd * param to the gradient
    g = data.draw(arrays(np.float64, p0.shape, elements=finite))
    a, _ = sgd_step(p0, g, {}, lr=lr, weight_decay=wd)
    b, _ = sgd_step(p0, g + wd * p0, {}, lr=lr)
    np.testing.assert_array_equal(a, b)


def test_minibatch_sgd_with_one_batch_is_gradient_descent() -> None:
    # B >= N: one batch holding every index per epoch; with an order-independent gradient
    # (sorted indices) every step is a full-batch step
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3)), rng.normal(size=20)

    def batch_grad(w, idx):
        idx = np.sort(idx)
        return X[idx].T @ (X[idx] @ w - y[idx]) / len(idx)

    path = minibatch_sgd(batch_grad, np.zeros(3), 20, 32, 10, np.random.default_rng(1), lr=0.1)
    full = gradient_descent(lambda w: batch_grad(w, np.arange(20)), np.zeros(3), lr=0.1, steps=10)
    np.testing.assert_array_equal(path, full)


def test_minibatch_sgd_visits_each_sample_once_per_epoch() -> None:
    seen: list[np.ndarray] = []

    def record(x, idx):
        seen.append(np.asarray(idx).copy())
        return np.zeros_like(x)

    path = minibatch_sgd(record, np.zeros(2), 10, 4, 3, np.random.default_rng(2), lr=0.1)
    # ceil(10 / 4) = 3 steps per epoch: batches of 4, 4, 2; 3 epochs -> 9 steps
    assert path.shape == (10, 2)
    assert [len(i) for i in seen] == [4, 4, 2] * 3
    for e in range(3):
        np.testing.assert_array_equal(np.sort(np.concatenate(seen[3 * e : 3 * e + 3])), np.arange(10))
    assert not all(np.array_equal(a, b) for a, b in zip(seen[:3], seen[3:6]))  # reshuffled


def test_minibatch_sgd_is_batch_indices_plus_sgd_step() -> None:
    rng_data = np.random.default_rng(3)
    X, y = rng_data.normal(size=(13, 2)), rng_data.normal(size=13)
    grad = lambda w, idx: X[idx].T @ (X[idx] @ w - y[idx]) / len(idx)  # noqa: E731
    path = minibatch_sgd(grad, np.ones(2), 13, 5, 2, np.random.default_rng(4), lr=0.05, momentum=0.9, nesterov=True)
    rng, w, s, manual = np.random.default_rng(4), np.ones(2), {}, [np.ones(2)]
    for _ in range(2):
        for idx in batch_indices(13, 5, rng):
            w, s = sgd_step(w, grad(w, idx), s, 0.05, momentum=0.9, nesterov=True)
            manual.append(w)
    np.testing.assert_array_equal(path, np.stack(manual))


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match=re.escape("grad must have the same shape as param: param has shape (2,), grad has shape (3,)")):
        sgd_step([1.0, 2.0], [1.0, 2.0, 3.0], {}, lr=0.1)
    with pytest.raises(TypeError, match="state must be a dict"):
        sgd_step([1.0], [1.0], None, lr=0.1)
    with pytest.raises(ValueError, match=r"state\['momentum_buffer'\] must have the shape of param \(2,\), got \(3,\)"):
        sgd_step([1.0, 2.0], [1.0, 2.0], {"momentum_buffer": np.zeros(3)}, lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="lr must be a finite number >= 0, got -0.1"):
        sgd_step([1.0], [1.0], {}, lr=-0.1)
    with pytest.raises(ValueError, match="momentum must be a finite number >= 0"):
        sgd_step([1.0], [1.0], {}, lr=0.1, momentum=-0.5)
    with pytest.raises(ValueError, match="weight_decay must be a finite number >= 0"):
        sgd_step([1.0], [1.0], {}, lr=0.1, weight_decay=-1)
    with pytest.raises(TypeError, match="nesterov must be a bool"):
        sgd_step([1.0], [1.0], {}, lr=0.1, momentum=0.9, nesterov=1)
    with pytest.raises(TypeError, match="param must be real-valued"):
        sgd_step([1j], [1.0], {}, lr=0.1)
    with pytest.raises(ValueError, match="grad_fn must return shape"):
        minibatch_sgd(lambda x, idx: np.ones(3), [0.0], 4, 2, 1, np.random.default_rng(0), lr=0.1)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        minibatch_sgd(lambda x, idx: x, [0.0], 4, 2, 1, 0, lr=0.1)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got 0"):
        minibatch_sgd(lambda x, idx: x, [0.0], 4, 0, 1, np.random.default_rng(0), lr=0.1)


@pytest.mark.parametrize(("momentum", "dampening"), [(0.0, 0.0), (0.9, 0.1)])
def test_nesterov_validation_matches_torch(momentum: float, dampening: float) -> None:
    # torch.optim.SGD refuses nesterov without momentum or with dampening; so do we
    torch = require("torch")
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=momentum, dampening=dampening, nesterov=True)
    with pytest.raises(ValueError, match=re.escape(f"nesterov momentum requires momentum > 0 and dampening = 0, got momentum={momentum}, dampening={dampening}")):
        sgd_step([1.0], [1.0], {}, lr=0.1, momentum=momentum, dampening=dampening, nesterov=True)


# ---------------------------------------------------------------- PyTorch, step by step
CONFIGS = [
    dict(lr=0.01),
    dict(lr=0.01, momentum=0.9),
    dict(lr=0.05, momentum=0.5, dampening=0.3, weight_decay=0.01),
    dict(lr=0.01, momentum=0.9, nesterov=True),
    dict(lr=0.02, momentum=0.99, weight_decay=0.1, nesterov=True),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
@pytest.mark.parametrize("source", ["random", "quadratic"])
def test_matches_torch_sgd_every_step(dtype, config: dict, source: str) -> None:
    # the parameters are compared in the harness (tests/optimization/torch_steps.py); the
    # momentum buffer accumulates rounding like p, so it gets the same running-max scale
    b_max = 0.0
    for state, ref_state in steps_against_torch("SGD", sgd_step, config, dtype, source):
        if "momentum" in config:
            buf = ref_state["momentum_buffer"].numpy()
            b_max = max(b_max, float(np.max(np.abs(buf))))
            assert_matches(state["momentum_buffer"], buf, dtype, scale=b_max)
