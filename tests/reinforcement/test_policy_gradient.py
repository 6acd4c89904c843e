"""reinforce_loss / softmax_policy_gradient / gae: hand values (a two-armed bandit, Williams' score
function, the GAE limits lam = 0 and 1), properties (unbiasedness of a baseline, linearity), stability,
bad input; references: torch autograd of -mean((G - b) log pi) through log_softmax, and
scipy.signal.lfilter with gamma * lam on the TD residuals plus a Python loop for GAE."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import discounted_returns, gae, reinforce_loss, reinforce_loss_backward, softmax_policy_gradient
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward


def loop_gae(r: np.ndarray, v: np.ndarray, gamma: float, lam: float) -> np.ndarray:
    """The definition in float64, one step at a time: A_t = delta_t + gamma lam A_{t+1}."""
    r, v = np.asarray(r, np.float64), np.asarray(v, np.float64)
    out, A = np.zeros_like(r), np.zeros(r.shape[1:])
    for t in range(len(r) - 1, -1, -1):
        A = r[t] + gamma * v[t + 1] - v[t] + gamma * lam * A
        out[t] = A
    return out


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_values() -> None:
    # REINFORCE: -(3 log 0.5) / 1 = 3 log 2; the gradient w.r.t. log pi is -G / N = -3
    assert np.isclose(reinforce_loss([np.log(0.5)], [3.0]), 3 * np.log(2), rtol=1e-15)
    np.testing.assert_array_equal(reinforce_loss_backward(1.0, [np.log(0.5)], [3.0]), [-3.0])
    # a baseline equal to the returns cancels every weight
    assert reinforce_loss([-1.0, -2.0], [5.0, 5.0], baseline=5.0) == 0.0
    # two-armed bandit, theta = (log 3, 0): pi = (0.75, 0.25). Samples: arm 0 with G = 1, arm 1 with
    # G = 2: ((1 - 0.75, -0.25) * 1 + (-0.75, 1 - 0.25) * 2) / 2 = ((0.25 - 1.5) / 2, (-0.25 + 1.5) / 2)
    g = softmax_policy_gradient([[np.log(3.0), 0.0]], [0, 0], [0, 1], [1.0, 2.0])
    np.testing.assert_allclose(g, [[-0.625, 0.625]], rtol=1e-15)
    # states that were never visited get no gradient
    np.testing.assert_array_equal(softmax_policy_gradient(np.zeros((3, 2)), [1], [0], [1.0])[[0, 2]], 0.0)
    # GAE with lam = 0: the TD residuals r + gamma V' - V = (1 + 0.5 * 2 - 1, 0 + 0.5 * 4 - 2) = (1, 0)
    np.testing.assert_array_equal(gae([1.0, 0.0], [1.0, 2.0, 4.0], 0.5, 0.0), [1.0, 0.0])
    # lam = 1: G_t + gamma^(T - t) V_T - V_t: G = (1, 0), bootstrap 0.25 * 4 and 0.5 * 4: (1 + 1 - 1, 0 + 2 - 2)
    np.testing.assert_array_equal(gae([1.0, 0.0], [1.0, 2.0, 4.0], 0.5, 1.0), [1.0, 0.0])


def test_gae_limits() -> None:
    rng = np.random.default_rng(0)
    r, v = rng.normal(size=50), rng.normal(size=51)
    # lam = 1: the bootstrapped discounted return minus the value
    G = discounted_returns(r, 0.95) + 0.95 ** np.arange(50, 0, -1) * v[-1]
    np.testing.assert_allclose(gae(r, v, 0.95, 1.0), G - v[:-1], rtol=0, atol=1e-12)
    # lam = 0: one-step TD residual
    np.testing.assert_allclose(gae(r, v, 0.95, 0.0), r + 0.95 * v[1:] - v[:-1], rtol=0, atol=1e-15)


def test_shapes_dtypes_and_empty() -> None:
    x32 = np.full(4, -0.5, np.float32)
    assert reinforce_loss(x32, np.ones(4)).dtype == np.float32
    assert reinforce_loss_backward(np.float32(1), x32, np.ones(4)).dtype == np.float32
    assert softmax_policy_gradient(np.zeros((2, 3), np.float32), [0], [1], [1.0]).dtype == np.float32
    assert gae(np.ones((5, 3), np.float32), np.ones((6, 3), np.float32), 0.9, 0.95).shape == (5, 3)
    assert gae(np.ones((5, 3), np.float32), np.ones((6, 3), np.float32), 0.9, 0.95).dtype == np.float32
    assert gae(np.zeros(0), np.zeros(1), 0.9, 0.95).shape == (0,)


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_at_extreme_inputs(dtype) -> None:
    x = EXTREMES.astype(dtype)
    assert np.isfinite(reinforce_loss(-np.abs(x), x))
    assert np.all(np.isfinite(softmax_policy_gradient(np.stack([x, -x]).T, np.arange(15) % 15, np.arange(15) % 2, x)))
    A = gae(x, np.append(x, x[0]), 0.99, 0.95)
    assert A.dtype == dtype and np.all(np.isfinite(A))


# ---------------------------------------------------------------- properties
@settings(max_examples=30)
@given(arrays(np.float64, (3, 4), elements=st.floats(-5, 5)), st.floats(-10, 10))
def test_a_constant_baseline_keeps_the_expected_gradient(theta: np.ndarray, b: float) -> None:
    # E_a[grad log pi(a | s)] = 0: summing the score over every action, weighted by pi, gives the
    # exact expected gradient; a constant baseline changes it by b * E[score] = 0
    A = theta.shape[1]
    pi = np.exp(theta - theta.max(axis=1, keepdims=True))
    pi /= pi.sum(axis=1, keepdims=True)
    s = np.repeat(np.arange(3), A)
    a = np.tile(np.arange(A), 3)
    w = pi[s, a] * 3 * A                                   # importance weights: the exact expectation
    G = np.arange(s.size, dtype=float)
    exact = softmax_policy_gradient(theta, s, a, w * G)
    shifted = softmax_policy_gradient(theta, s, a, w * (G - b))
    np.testing.assert_allclose(shifted, exact, rtol=0, atol=1e-9 * (1 + abs(b)) * s.size)


@settings(max_examples=30)
@given(arrays(np.float64, st.integers(1, 80), elements=st.floats(-10, 10)), st.floats(0, 1), st.floats(0, 1), st.data())
def test_gae_recurrence(r: np.ndarray, gamma: float, lam: float, data) -> None:
    v = data.draw(arrays(np.float64, len(r) + 1, elements=st.floats(-10, 10)))
    A = gae(r, v, gamma, lam)
    delta = r + gamma * v[1:] - v[:-1]
    np.testing.assert_allclose(A - gamma * lam * np.append(A[1:], 0.0), delta, rtol=0, atol=1e-9 * len(r))


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match="returns must have the same shape as log_probs"):
        reinforce_loss([0.0, -1.0], [1.0])
    with pytest.raises(ValueError, match="baseline must have the same shape as returns"):
        reinforce_loss([0.0, -1.0], [1.0, 2.0], baseline=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="log_probs must not be empty"):
        reinforce_loss([], [])
    with pytest.raises(ValueError, match=re.escape("grad_out must have the shape of the forward output ()")):
        reinforce_loss_backward([1.0], [0.0], [1.0])
    with pytest.raises(ValueError, match="actions contains class index 3"):
        softmax_policy_gradient(np.zeros((2, 3)), [0], [3], [1.0])
    with pytest.raises(TypeError, match="states holding class indices must have an integer dtype"):
        softmax_policy_gradient(np.zeros((2, 3)), [0.0], [1], [1.0])
    with pytest.raises(ValueError, match=re.escape("returns must have shape (N,) = (1,)")):
        softmax_policy_gradient(np.zeros((2, 3)), [0], [1], [1.0, 2.0])
    with pytest.raises(ValueError, match=re.escape("values must have shape (T + 1, *) = (3,) for rewards of shape (2,), got (2,)")):
        gae([1.0, 2.0], [0.0, 0.0], 0.9, 0.9)
    with pytest.raises(ValueError, match=re.escape("lam must be a finite number in [0, 1], got 1.5")):
        gae([1.0], [0.0, 0.0], 0.9, 1.5)


# ---------------------------------------------------------------- references
@pytest.mark.parametrize("dtype", DTYPES)
def test_reinforce_matches_torch_autograd(dtype) -> None:
    # -mean((G - b) * log_softmax(theta)[s, a]) in torch, autograd for d/d log_probs and d/d theta.
    # One product per element and a mean: a few ulps of max |(G - b) log pi|; the score gradient
    # adds a softmax (rounded to a few ulps of 1) times |G|: 8 ulps of max |G| in both
    torch = require("torch")
    rng = np.random.default_rng(0)
    S, A, N = 4, 3, 200
    theta = np.concatenate([rng.normal(size=(S - 1, A)) * 3, EXTREMES[[0, 7, 14]][None]]).astype(dtype)
    s, a = rng.integers(0, S, N), rng.integers(0, A, N)
    G = np.concatenate([rng.normal(size=N - 15) * 10, EXTREMES]).astype(dtype)
    b = rng.normal(size=N).astype(dtype)

    def loss(th):
        logp = torch.log_softmax(th, dim=-1)[torch.tensor(s), torch.tensor(a)]
        return -torch.mean((torch.tensor(G) - torch.tensor(b)) * logp)

    ref, (ref_grad,) = torch_forward_backward(loss, [theta], np.array(1.0, dtype), wrt=[0])
    logp = (theta - theta.max(1, keepdims=True) - np.log(np.exp(theta - theta.max(1, keepdims=True)).sum(1, keepdims=True)))[s, a]
    scale = float(np.max(np.abs((G - b) * logp)))
    assert_matches(reinforce_loss(logp, G, b), ref, dtype, scale=scale)
    # chain rule by hand: the gradient w.r.t. log pi, then through log_softmax, against autograd
    assert_matches(-softmax_policy_gradient(theta, s, a, G - b), ref_grad, dtype, scale=float(np.max(np.abs(G - b))) / N * 8)
    lp = torch.tensor(logp, requires_grad=True)
    (-torch.mean((torch.tensor(G) - torch.tensor(b)) * lp)).backward()
    assert_matches(reinforce_loss_backward(np.array(1.0, dtype), logp, G, b), lp.grad.numpy(), dtype,
                   scale=float(np.max(np.abs(G - b))) / N)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gamma,lam", [(0.99, 0.95), (0.9, 0.0), (1.0, 1.0), (0.5, 0.5)])
def test_gae_matches_lfilter_and_the_loop(dtype, gamma: float, lam: float) -> None:
    # lfilter([1], [1, -gamma lam]) on the reversed TD residuals, and the step loop, both in float64.
    # The residual rounds to 2 ulps of max(|r|, |V|); the filter adds those with weights <= 1 over
    # up to 1 / (1 - gamma lam) steps (all 200 when gamma lam = 1): 4 ulps of that many max |delta|
    signal = require("scipy.signal")
    rng = np.random.default_rng(1)
    r = np.concatenate([rng.normal(size=185) * 10, EXTREMES]).astype(dtype)
    v = np.concatenate([rng.normal(size=186) * 10, EXTREMES[::-1]]).astype(dtype)
    delta = r.astype(np.float64) + gamma * v[1:].astype(np.float64) - v[:-1]
    ref = signal.lfilter([1], [1, -gamma * lam], delta[::-1])[::-1]
    horizon = len(r) if gamma * lam == 1 else 1 / (1 - gamma * lam)
    scale = float(np.max(np.abs(delta))) * horizon
    A = gae(r, v, gamma, lam)
    assert_matches(A, ref, dtype, ulps=4, scale=scale)
    assert_matches(A, loop_gae(r, v, gamma, lam), dtype, ulps=4, scale=scale)
