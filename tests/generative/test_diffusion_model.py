"""Diffusion (DDPM): the two schedules against their papers' formulas and loop implementations,
q_sample against the composed one-step process (exact moments and Monte Carlo), ddpm_step against the
posterior mean q(x_{t-1} | x_t, x_0), the whole sampler on a Gaussian with its exact denoiser, and the
loss against torch.nn.functional.mse_loss."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import cosine_beta_schedule, ddpm_step, diffusion_loss, diffusion_loss_backward, linear_beta_schedule, q_sample
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward


# ---------------------------------------------------------------- schedules
def test_linear_schedule() -> None:
    # DDPM: 1000 steps from 1e-4 to 0.02; increments of (0.02 - 1e-4) / 999
    b = linear_beta_schedule(1000)
    assert b.shape == (1000,) and b.dtype == np.float64
    assert b[0] == 1e-4 and b[-1] == 0.02
    np.testing.assert_allclose(np.diff(b), (0.02 - 1e-4) / 999, rtol=1e-9)
    np.testing.assert_array_equal(linear_beta_schedule(1, 0.1, 0.3), [0.1])
    # alpha_bar_T = prod(1 - beta) ~ exp(-sum beta) = exp(-10.05): about 4e-5, nearly pure noise
    assert 3e-5 < np.prod(1 - b) < 5e-5


def cosine_loop(T: int, s: float = 0.008, max_beta: float = 0.999) -> list[float]:
    """An independent transcription of Nichol & Dhariwal's betas_for_alpha_bar: a Python loop over
    steps with math.cos, alpha_bar(t) = cos((t + s) / (1 + s) * pi / 2)^2 on t in [0, 1]."""
    def alpha_bar(u: float) -> float:
        return math.cos((u + s) / (1 + s) * math.pi / 2) ** 2

    return [min(1 - alpha_bar((i + 1) / T) / alpha_bar(i / T), max_beta) for i in range(T)]


@pytest.mark.parametrize("T", [1, 2, 10, 1000, 4000])
@pytest.mark.parametrize("s", [0.0, 0.008, 0.5])
def test_cosine_schedule_matches_the_loop(T: int, s: float) -> None:
    ours, ref = cosine_beta_schedule(T, s=s), np.array(cosine_loop(T, s))
    # the same formula evaluated once vectorised and once with math.cos: the ratio f(t) / f(t - 1)
    # comes from two cosines and their squares, a few ulps each (relative ~8 eps), and 1 - ratio keeps
    # that as an absolute error: atol 8 eps (1.8e-15), next to a few ulps of beta itself
    np.testing.assert_allclose(ours, ref, rtol=1e-14, atol=8 * np.finfo(np.float64).eps)
    assert ours[-1] == 0.999  # f(T) = cos(pi / 2)^2 ~ 0: the last beta is clipped
    assert np.all((ours > 0) & (ours <= 0.999))


def test_cosine_alpha_bar_follows_the_cosine() -> None:
    # before the clip, cumprod(1 - beta) telescopes to f(t) / f(0)
    T, s = 1000, 0.008
    ab = np.cumprod(1 - cosine_beta_schedule(T, s))
    t = np.arange(1, T + 1) / T
    f = np.cos((t + s) / (1 + s) * np.pi / 2) ** 2 / math.cos(s / (1 + s) * math.pi / 2) ** 2
    np.testing.assert_allclose(ab[:-1], f[:-1], rtol=1e-9)
    # halfway the cosine schedule keeps far more signal than the linear one (the point of the paper)
    ab_lin = np.cumprod(1 - linear_beta_schedule(T))
    assert ab[499] > 0.45 and ab_lin[499] < 0.1


def test_schedules_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="T must be an integer >= 1, got -5"):
        linear_beta_schedule(-5)
    with pytest.raises(ValueError, match="T must be an integer >= 1, got 0"):
        cosine_beta_schedule(0)
    with pytest.raises(TypeError, match="T must be an integer, got float"):
        cosine_beta_schedule(10.0)
    with pytest.raises(ValueError, match=r"beta_end must be a finite number in \(0, 1\), got 1.5"):
        linear_beta_schedule(10, 1e-4, 1.5)
    with pytest.raises(ValueError, match=r"s must be a finite number in \[0, 1\], got -0.1"):
        cosine_beta_schedule(10, s=-0.1)


# ---------------------------------------------------------------- q_sample
def test_q_sample_hand_values_and_broadcasting() -> None:
    ac = np.array([0.64, 0.36])
    x0 = np.ones((2, 3, 2))
    noise = np.stack([np.ones((3, 2)), -np.ones((3, 2))])
    # one step per example, broadcast over the remaining (3, 2): 0.8 + 0.6 and 0.6 - 0.8
    x = q_sample(x0, np.array([0, 1]), noise, ac)
    np.testing.assert_allclose(x[0], 1.4, rtol=1e-15)
    np.testing.assert_allclose(x[1], -0.2, rtol=1e-14)
    # one step for all
    np.testing.assert_allclose(q_sample(x0, 1, noise, ac)[0], 1.4, rtol=1e-15)
    assert q_sample(np.ones((2, 1), np.float32), [0, 0], np.ones((2, 1), np.float32), ac).dtype == np.float32


def test_q_sample_is_the_composed_one_step_process() -> None:
    # exact moments: x_t = sqrt(1 - b_t) x_{t-1} + sqrt(b_t) e_t has mean m_t = sqrt(1 - b_t) m_{t-1}
    # and variance v_t = (1 - b_t) v_{t-1} + b_t; from x_0 (variance 0) they are sqrt(ab_t) x_0, 1 - ab_t
    betas = cosine_beta_schedule(200)
    m, v, means, variances = 1.0, 0.0, [], []
    for b in betas:
        m, v = math.sqrt(1 - b) * m, (1 - b) * v + b
        means.append(m)
        variances.append(v)
    ab = np.cumprod(1 - betas)
    ones = np.ones((200, 1))
    np.testing.assert_allclose(q_sample(ones, np.arange(200), np.zeros((200, 1)), ab)[:, 0], means, rtol=1e-12, atol=1e-15)
    # q_sample's variance is (1 - ab)^2 scaled noise: compare its coefficient squared
    coeff = q_sample(np.zeros((200, 1)), np.arange(200), ones, ab)[:, 0]
    np.testing.assert_allclose(coeff**2, variances, rtol=1e-12)
    # Monte Carlo: 20 000 chains of 50 linear-schedule steps from x_0 = 2 against 20 000 q_samples at t = 49
    rng = np.random.default_rng(0)
    betas = linear_beta_schedule(50, 1e-3, 0.05)
    x = np.full(20_000, 2.0)
    for b in betas:
        x = math.sqrt(1 - b) * x + math.sqrt(b) * rng.standard_normal(20_000)
    jump = q_sample(np.full((20_000, 1), 2.0), 49, rng.standard_normal((20_000, 1)), np.cumprod(1 - betas))[:, 0]
    # two sample means of variance ~0.7 / 20 000 each: their difference within 5 standard errors
    assert abs(x.mean() - jump.mean()) < 5 * math.sqrt(2 * 0.7 / 20_000)
    assert abs(x.var() / jump.var() - 1) < 0.05


def test_q_sample_rejects_bad_input() -> None:
    ac = np.array([0.9, 0.5])
    with pytest.raises(ValueError, match=r"t must lie in \[0, 1\] for a schedule of 2 steps, found 2"):
        q_sample(np.zeros((2, 3)), [0, 2], np.zeros((2, 3)), ac)
    with pytest.raises(ValueError, match=r"found -1"):
        q_sample(np.zeros((2, 3)), -1, np.zeros((2, 3)), ac)
    with pytest.raises(TypeError, match="t must hold integer time steps, got dtype float64"):
        q_sample(np.zeros((2, 3)), [0.0, 1.0], np.zeros((2, 3)), ac)
    with pytest.raises(ValueError, match=r"t must have shape \(\) or \(N,\) = \(2,\)"):
        q_sample(np.zeros((2, 3)), [0, 1, 1], np.zeros((2, 3)), ac)
    with pytest.raises(ValueError, match="noise must have the same shape as x0"):
        q_sample(np.zeros((2, 3)), 0, np.zeros((2, 2)), ac)
    with pytest.raises(ValueError, match=r"alphas_cumprod must hold probabilities in \[0, 1\], found 1.5"):
        q_sample(np.zeros((2, 3)), 0, np.zeros((2, 3)), [1.5, 0.5])


@pytest.mark.parametrize("dtype", DTYPES)
def test_q_sample_stable_up_to_1e4(dtype) -> None:
    x0 = EXTREMES.reshape(15, 1).astype(dtype)
    noise = EXTREMES[::-1].reshape(15, 1).astype(dtype)
    ac = np.cumprod(1 - linear_beta_schedule(1000))
    x = q_sample(x0, np.linspace(0, 999, 15).astype(int), noise, ac)  # steps 0 .. 999
    assert x.dtype == dtype and np.all(np.isfinite(x))


# ---------------------------------------------------------------- ddpm_step
@settings(max_examples=30)
@given(st.integers(1, 99), st.sampled_from(["beta", "posterior"]), st.integers(0, 2**32 - 1))
def test_ddpm_step_mean_is_the_posterior_mean(t: int, variance: str, seed: int) -> None:
    # with the true noise as eps_pred, the step's mean is the mean of q(x_{t-1} | x_t, x_0):
    # sqrt(ab_{t-1}) b_t / (1 - ab_t) x_0 + sqrt(a_t) (1 - ab_{t-1}) / (1 - ab_t) x_t  (Ho et al., eq. 7)
    rng = np.random.default_rng(seed)
    betas = linear_beta_schedule(100, 1e-3, 0.05)
    ab = np.cumprod(1 - betas)
    x0, eps = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    x_t = q_sample(x0, t, eps, ab)
    posterior_mean = (math.sqrt(ab[t - 1]) * betas[t] / (1 - ab[t])) * x0 + (math.sqrt(1 - betas[t]) * (1 - ab[t - 1]) / (1 - ab[t])) * x_t
    np.testing.assert_allclose(ddpm_step(x_t, t, eps, betas, np.zeros((4, 3)), variance=variance), posterior_mean, rtol=1e-10, atol=1e-10)
    # the noise enters with sigma_t = sqrt(beta_t) or the posterior's sqrt(beta~_t)
    z = rng.normal(size=(4, 3))
    spread = ddpm_step(x_t, t, eps, betas, z, variance=variance) - ddpm_step(x_t, t, eps, betas, np.zeros((4, 3)), variance=variance)
    var = betas[t] if variance == "beta" else (1 - ab[t - 1]) / (1 - ab[t]) * betas[t]
    np.testing.assert_allclose(spread, math.sqrt(var) * z, rtol=1e-9, atol=1e-12)


def test_ddpm_step_last_step_adds_no_noise_and_recovers_x0() -> None:
    # at t = 0, x_0 = (x_1 - sqrt(1 - ab_0) eps) / sqrt(ab_0) exactly when eps_pred is the noise
    betas = linear_beta_schedule(10)
    x0, eps = np.array([[0.3, -1.2]]), np.array([[0.5, 2.0]])
    x_1 = q_sample(x0, 0, eps, np.cumprod(1 - betas))
    np.testing.assert_allclose(ddpm_step(x_1, 0, eps, betas, np.full((1, 2), 100.0)), x0, rtol=1e-12)


def test_sampler_reaches_the_data_distribution() -> None:
    # data N(m, s^2): x_t ~ N(sqrt(ab) m, ab s^2 + 1 - ab), and the exact noise predictor is
    # E[eps | x_t] = sqrt(1 - ab) (x_t - sqrt(ab) m) / (ab s^2 + 1 - ab). The full chain from
    # N(0, 1) with it should end near N(m, s^2); 20 000 chains, 1000 steps
    m, s = 1.5, 0.5
    betas = linear_beta_schedule(1000)
    ab = np.cumprod(1 - betas)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((20_000, 1))
    for t in range(999, -1, -1):
        eps_hat = math.sqrt(1 - ab[t]) * (x - math.sqrt(ab[t]) * m) / (ab[t] * s**2 + 1 - ab[t])
        x = ddpm_step(x, t, eps_hat, betas, rng.standard_normal(x.shape))
    # the discretisation leaves a small bias: mean within 0.02, std within 3 %
    assert abs(x.mean() - m) < 0.02 and abs(x.std() / s - 1) < 0.03


def test_ddpm_step_rejects_bad_input() -> None:
    betas = np.array([0.1, 0.2])
    with pytest.raises(ValueError, match=r"t must be an integer in \[0, 1\], got 2"):
        ddpm_step(np.zeros((1, 2)), 2, np.zeros((1, 2)), betas, np.zeros((1, 2)))
    with pytest.raises(ValueError, match="variance must be 'beta' or 'posterior', got 'fixed'"):
        ddpm_step(np.zeros((1, 2)), 1, np.zeros((1, 2)), betas, np.zeros((1, 2)), variance="fixed")
    with pytest.raises(ValueError, match="eps_pred must have the same shape as x_t"):
        ddpm_step(np.zeros((1, 2)), 1, np.zeros((2, 2)), betas, np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"betas must have shape \(T,\) with T >= 1 and values in \(0, 1\]"):
        ddpm_step(np.zeros((1, 2)), 0, np.zeros((1, 2)), [0.0, 0.1], np.zeros((1, 2)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_ddpm_step_dtype_and_stability(dtype) -> None:
    betas = linear_beta_schedule(1000)
    x = EXTREMES.reshape(15, 1).astype(dtype)
    for t in (0, 1, 999):
        y = ddpm_step(x, t, x[::-1], betas, x, variance="posterior")
        assert y.dtype == dtype and np.all(np.isfinite(y))


# ---------------------------------------------------------------- the loss
def test_loss_hand_values() -> None:
    assert diffusion_loss([[0.5, -1.0]], [[0.0, 1.0]]) == 2.125
    np.testing.assert_array_equal(diffusion_loss_backward(2.0, [[0.5, -1.0]], [[0.0, 1.0]]), [[1.0, -4.0]])
    with pytest.raises(ValueError, match=r"eps_pred must not be empty"):
        diffusion_loss(np.zeros((0, 3)), np.zeros((0, 3)))
    with pytest.raises(ValueError, match=r"noise must have the same shape as eps_pred"):
        diffusion_loss(np.zeros((2, 3)), np.zeros((3, 2)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_loss_matches_torch(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(2)
    pred = (rng.normal(size=(8, 15)) * rng.choice([1, 100], size=(8, 1))).astype(dtype)
    pred[0] = EXTREMES
    noise = rng.normal(size=(8, 15)).astype(dtype)
    ref, (ref_d,) = torch_forward_backward(lambda p, n: torch.nn.functional.mse_loss(p, n), [pred, noise], np.array(0.7), wrt=[0])
    # a mean of 120 squares as large as 1e8: the sums' rounding is eps times the largest square
    assert_matches(diffusion_loss(pred, noise), ref, dtype, ulps=32, scale=1.0)
    assert_matches(diffusion_loss_backward(0.7, pred, noise), ref_d, dtype)
