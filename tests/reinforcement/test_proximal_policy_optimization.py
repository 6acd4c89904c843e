"""ppo_clip_loss / ppo_clip_loss_backward / approx_kl: hand values (the clip cases of Schulman et al.'s
figure 1), properties (the pessimistic bound, zero gradient outside the clip range, KL estimator >= 0
and exact under enumeration), overflow, bad input; torch autograd of
-torch.minimum(r A, torch.clamp(r, 1 - eps, 1 + eps) A).mean() for values and gradients."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import approx_kl, ppo_clip_loss, ppo_clip_loss_backward, reinforce_loss
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

LN = np.log


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_values() -> None:
    # eps 0.2, one sample each (the six cases of the paper's figure 1):
    # A = 1:  r = 1.5 -> min(1.5, 1.2) = 1.2 (clipped, no gradient); r = 0.5 -> min(0.5, 0.8) = 0.5 (gradient r A = 0.5)
    # A = -1: r = 1.5 -> min(-1.5, -1.2) = -1.5 (gradient -1.5); r = 0.5 -> min(-0.5, -0.8) = -0.8 (clipped)
    # r = 1 (inside): r A, gradient r A
    cases = [(1.5, 1.0, 1.2, 0.0), (0.5, 1.0, 0.5, 0.5), (1.5, -1.0, -1.5, -1.5), (0.5, -1.0, -0.8, 0.0),
             (1.0, 1.0, 1.0, 1.0), (1.0, -1.0, -1.0, -1.0)]
    for r, A, objective, grad_of_objective in cases:
        assert np.isclose(ppo_clip_loss([LN(r)], [0.0], [A]), -objective, rtol=1e-15, atol=0)
        assert np.isclose(ppo_clip_loss_backward(1.0, [LN(r)], [0.0], [A])[0], -grad_of_objective, rtol=1e-15, atol=0)
    # the mean over samples: (1.2 + 0.5) / 2
    assert np.isclose(ppo_clip_loss([LN(1.5), LN(0.5)], [0.0, 0.0], [1.0, 1.0]), -0.85, rtol=1e-15)
    # approx_kl: r = 1/2: (0.5 - 1) - ln 0.5 = ln 2 - 0.5 = 0.19315; identical policies: 0
    assert np.isclose(approx_kl([LN(0.5)], [0.0]), LN(2) - 0.5, rtol=1e-15)
    assert approx_kl([-1.0, -2.0], [-1.0, -2.0]) == 0.0


def test_equals_the_policy_gradient_at_the_old_policy() -> None:
    # at logp_new = logp_old every ratio is 1 (inside the range): the gradient w.r.t. logp_new is the
    # REINFORCE gradient with the advantages as weights (d r / d logp = r = 1)
    rng = np.random.default_rng(0)
    logp, A = -rng.random(20), rng.normal(size=20)
    np.testing.assert_allclose(ppo_clip_loss_backward(1.0, logp, logp, A), -A / 20, rtol=1e-15)
    assert np.isclose(ppo_clip_loss(logp, logp, A), -np.mean(A), rtol=1e-14)
    # (the values differ from reinforce_loss's, whose surrogate is log pi, not the ratio)
    assert not np.isclose(ppo_clip_loss(logp, logp, A), reinforce_loss(logp, A))


def test_overflow_and_zero_advantage() -> None:
    # log-ratio 1e4 overflows exp: with A > 0 the clipped term is the minimum (finite), with A < 0
    # the loss is +inf (its true value e^10000 overflows too), with A = 0 the sample adds 0
    assert np.isclose(ppo_clip_loss([1e4], [0.0], [1.0]), -1.2, rtol=1e-15)
    assert ppo_clip_loss([1e4], [0.0], [-1.0]) == np.inf
    assert ppo_clip_loss([1e4, 0.0], [0.0, 0.0], [0.0, 1.0]) == -0.5
    assert ppo_clip_loss_backward(1.0, [1e4], [0.0], [1.0])[0] == 0.0
    assert approx_kl([1e4], [0.0]) == np.inf
    # far below: the ratio underflows to 0, finite everywhere
    assert np.isclose(ppo_clip_loss([-1e4], [0.0], [1.0]), 0.0) and np.isclose(ppo_clip_loss([-1e4], [0.0], [-1.0]), 0.8)
    assert np.isclose(approx_kl([-1e4], [0.0]), 1e4 - 1, rtol=1e-15)


def test_shapes_and_dtypes() -> None:
    x = np.full((2, 3), -0.5, np.float32)
    assert ppo_clip_loss(x, x, np.ones((2, 3))).dtype == np.float32
    assert ppo_clip_loss_backward(np.float32(1.0), x, x, np.ones((2, 3))).shape == (2, 3)
    assert approx_kl(x, x.astype(np.float64)).dtype == np.float32
    assert ppo_clip_loss([-1, 0], [0, 0], [1, 1]).dtype == np.float64


# ---------------------------------------------------------------- properties
@settings(max_examples=50)
@given(arrays(np.float64, 10, elements=st.floats(-3, 3)), arrays(np.float64, 10, elements=st.floats(-5, 5)), st.floats(0.0, 0.5))
def test_pessimistic_bound(log_ratio: np.ndarray, A: np.ndarray, eps: float) -> None:
    # the clipped objective is never above the unclipped one: loss >= -mean(r A)
    assert ppo_clip_loss(log_ratio, np.zeros(10), A, eps) >= -np.mean(np.exp(log_ratio) * A) - 1e-12
    # samples whose ratio moved past the range in the advantage's direction get no gradient
    g = ppo_clip_loss_backward(1.0, log_ratio, np.zeros(10), A, eps)
    r = np.exp(log_ratio)
    done = ((A > 0) & (r > 1 + eps)) | ((A < 0) & (r < 1 - eps))
    assert np.all(g[done] == 0.0)
    np.testing.assert_allclose(g[~done], -r[~done] * A[~done] / 10, rtol=1e-15)


@settings(max_examples=50)
@given(arrays(np.float64, 6, elements=st.floats(-10, 10)), arrays(np.float64, 6, elements=st.floats(-10, 10)))
def test_k3_is_exact_under_enumeration(z_old: np.ndarray, z_new: np.ndarray) -> None:
    # sum over all actions of pi_old(a) ((r - 1) - log r) = KL(pi_old || pi_new) exactly (sum pi_old r = 1);
    # approx_kl is the same sum when each action appears in proportion: weight the terms instead
    lo = z_old - np.log(np.sum(np.exp(z_old - z_old.max()))) - z_old.max()
    ln = z_new - np.log(np.sum(np.exp(z_new - z_new.max()))) - z_new.max()
    p = np.exp(lo)
    kl = np.sum(p * (lo - ln))
    per_action = np.array([approx_kl([ln[a]], [lo[a]]) for a in range(6)])
    assert np.all(per_action >= 0)
    assert np.isclose(np.sum(p * per_action), kl, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match="logp_old must have the same shape as logp_new"):
        ppo_clip_loss([0.0, 0.0], [0.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="advantages must have the same shape as logp_new"):
        ppo_clip_loss([0.0, 0.0], [0.0, 0.0], [1.0])
    with pytest.raises(ValueError, match=re.escape("clip_eps must be a finite number in [0, 1], got -0.1")):
        ppo_clip_loss([0.0], [0.0], [1.0], clip_eps=-0.1)
    with pytest.raises(ValueError, match="logp_new must not be empty"):
        approx_kl([], [])
    with pytest.raises(ValueError, match=re.escape("grad_out must have the shape of the forward output ()")):
        ppo_clip_loss_backward([1.0, 1.0], [0.0], [0.0], [1.0])
    with pytest.raises(TypeError, match="advantages must be real-valued"):
        ppo_clip_loss([0.0], [0.0], [1j])


# ---------------------------------------------------------------- references
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("clip_eps", [0.1, 0.2, 0.3])
def test_matches_torch_autograd(dtype, clip_eps: float) -> None:
    # -torch.minimum(r A, torch.clamp(r, 1 - eps, 1 + eps) A).mean() with autograd w.r.t. logp_new.
    # Random log-probabilities around the old ones (ratios on both sides of the range, some exactly
    # on its edges and at 1) and extreme advantages (A != 0: torch gives NaN for 0 * inf, we give 0).
    # The same operations in the same order: exp, products, a mean of N terms: 4 ulps of max |r A|
    torch = require("torch")
    rng = np.random.default_rng(int(clip_eps * 10))
    N = 300
    old = -rng.random(N) * 3
    new = old + rng.normal(size=N) * 0.3
    new[:3] = old[:3] + np.log([1 + clip_eps, 1 - clip_eps, 1.0])
    A = np.concatenate([rng.normal(size=N - 14) * 5, EXTREMES[EXTREMES != 0]])
    new, old, A = new.astype(dtype), old.astype(dtype), A.astype(dtype)

    def torch_loss(ln, lo, adv):
        r = torch.exp(ln - lo)
        return -torch.minimum(r * adv, torch.clamp(r, 1 - clip_eps, 1 + clip_eps) * adv).mean()

    ref, (ref_grad,) = torch_forward_backward(torch_loss, [new, old, A], np.array(1.0, dtype), wrt=[0])
    scale = float(np.max(np.abs(np.exp(new.astype(np.float64) - old) * A)))
    assert_matches(ppo_clip_loss(new, old, A, clip_eps), ref, dtype, ulps=4, scale=scale)
    assert_matches(ppo_clip_loss_backward(np.array(1.0, dtype), new, old, A, clip_eps), ref_grad, dtype, ulps=4, scale=scale / N)


@pytest.mark.parametrize("dtype", DTYPES)
def test_approx_kl_matches_torch(dtype) -> None:
    # SB3 / CleanRL: ((ratio - 1) - log_ratio).mean() in torch; ours uses expm1, more accurate
    # for tiny log-ratios: compared at log-ratios where exp(x) - 1 loses nothing (|x| >= 0.01)
    # and the mean of 300 terms: 8 ulps of the largest term
    torch = require("torch")
    rng = np.random.default_rng(5)
    lr = rng.choice([-1, 1], 300) * (0.01 + rng.random(300) * 3)
    lr = np.concatenate([lr, [-20.0, 20.0, -88.0, 80.0]]).astype(dtype)
    old = (-rng.random(lr.size) * 5).astype(dtype)
    new = (old + lr).astype(dtype)
    t_lr = torch.tensor(new) - torch.tensor(old)
    ref = ((torch.exp(t_lr) - 1) - t_lr).mean().numpy()
    terms = np.expm1(new.astype(np.float64) - old) - (new.astype(np.float64) - old)
    assert_matches(approx_kl(new, old), ref, dtype, ulps=8, scale=float(np.max(np.abs(terms))))
