"""reparameterize / reparameterize_backward / pathwise_grad / score_function_grad: hand values,
properties, stability, bad input, PyTorch (autograd and Normal.rsample), and both estimators against
the exact gradient of E[x^2] and of E[cos x]."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import pathwise_grad, reparameterize, reparameterize_backward, score_function_grad
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

# three-point Gauss-Hermite draws: mean 0, E[eps^2] = 1, E[eps^3] = 0, E[eps^4] = 3, so that averages
# of polynomials of degree <= 5 in eps equal their Gaussian expectations exactly
GH3 = np.array([math.sqrt(3), -math.sqrt(3), 0.0, 0.0, 0.0, 0.0])


# ---------------------------------------------------------------- hand-checked values
def test_hand_values() -> None:
    # sigma = exp(0 / 2) = 1 and exp(ln 4 / 2) = 2: z = mu + sigma eps = (1 + 0.5, 0 + 1)
    np.testing.assert_array_equal(reparameterize([1.0, 0.0], [0.0, math.log(4.0)], [0.5, 0.5]), [1.5, 1.0])
    # eps = 0 gives the mean exactly, even for a standard deviation that overflows
    assert reparameterize(3.0, 1e4, 0.0) == 3.0
    # backward: dmu = g; dlogvar = g sigma eps / 2 = 3 * 2 * (-1) / 2
    dmu, dlv = reparameterize_backward(3.0, 0.5, math.log(4.0), -1.0)
    assert dmu == 3.0 and math.isclose(dlv, -3.0, rel_tol=1e-15)
    # K = 3 samples of one Gaussian (eps of shape (3, 2), mu and logvar of shape (2,)): summed
    dmu, dlv = reparameterize_backward(np.ones((3, 2)), np.zeros(2), np.zeros(2), [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    np.testing.assert_array_equal(dmu, [3.0, 3.0])
    np.testing.assert_array_equal(dlv, [4.5, 6.0])  # (1 + 3 + 5) / 2, (2 + 4 + 6) / 2


def test_estimators_are_exact_on_moment_matched_draws() -> None:
    # E[x^2] = mu^2 + sigma^2: gradient (2 mu, 2 sigma). Pathwise: mean 2(mu + s e) = 2 mu, and
    # mean 2(mu + s e) e = 2 s E[e^2]. Score: the averages need E[e] = E[e^3] = 0, E[e^2] = 1, E[e^4] = 3
    mu, sigma = np.array([1.0, -0.5]), np.array([2.0, 0.3])
    eps = np.column_stack([GH3, GH3[::-1]])
    g_mu, g_sigma = pathwise_grad(lambda x: 2 * x, mu, sigma, eps)
    np.testing.assert_allclose(g_mu, 2 * mu, rtol=1e-15)
    np.testing.assert_allclose(g_sigma, 2 * sigma, rtol=1e-15)
    # f(x) = sum of squares: its score estimate for each coordinate sees the other's x^2 as noise,
    # whose mean against a centred score is 0 only on average; one coordinate at a time is exact
    for i in range(2):
        g_mu, g_sigma = score_function_grad(lambda x: x[:, 0] ** 2, mu[i : i + 1], sigma[i : i + 1], (mu[i] + sigma[i] * eps[:, i])[:, None])
        np.testing.assert_allclose(g_mu, [2 * mu[i]], rtol=1e-14)
        np.testing.assert_allclose(g_sigma, [2 * sigma[i]], rtol=1e-14)


# ---------------------------------------------------------------- properties and statistics
@settings(max_examples=40)
@given(arrays(np.float64, 3, elements=st.floats(-100, 100)), arrays(np.float64, 3, elements=st.floats(-20, 20)),
       arrays(np.float64, (4, 3), elements=st.floats(-5, 5)))
def test_sample_is_an_affine_function_of_eps(mu, logvar, eps) -> None:
    z = reparameterize(mu, logvar, eps)
    sigma = np.exp(logvar / 2)
    np.testing.assert_allclose(z, mu + sigma * eps, rtol=1e-15, atol=1e-13 * np.max(np.abs(mu)))
    # standardising recovers the noise
    np.testing.assert_allclose((z - mu) / sigma, eps, rtol=1e-9, atol=1e-9 * (1 + np.max(np.abs(mu) / sigma)))
    # dlogvar = (z - mu) / 2, summed over the 4 draws; dmu = the number of draws
    dmu, dlv = reparameterize_backward(np.ones((4, 3)), mu, logvar, eps)
    np.testing.assert_array_equal(dmu, 4.0)
    np.testing.assert_allclose(dlv, np.sum(sigma * eps, axis=0) / 2, rtol=1e-12, atol=1e-300)


def test_both_estimators_are_unbiased_for_e_cos() -> None:
    # E[cos x] for x ~ N(mu, s^2) is cos(mu) e^{-s^2/2}: gradient (-sin(mu) e^{-s^2/2}, -s cos(mu) e^{-s^2/2}).
    # 200 000 draws: standard errors below 0.003 (pathwise) and 0.01 (score); tolerance 5 of them
    mu, sigma = np.array([0.7]), np.array([0.5])
    damp = math.exp(-0.125)
    exact = (-math.sin(0.7) * damp, -0.5 * math.cos(0.7) * damp)
    eps = np.random.default_rng(0).standard_normal((200_000, 1))
    g_mu, g_sigma = pathwise_grad(lambda x: -np.sin(x), mu, sigma, eps)
    assert abs(g_mu[0] - exact[0]) < 0.015 and abs(g_sigma[0] - exact[1]) < 0.015
    g_mu, g_sigma = score_function_grad(lambda x: np.cos(x[:, 0]), mu, sigma, mu + sigma * eps)
    assert abs(g_mu[0] - exact[0]) < 0.05 and abs(g_sigma[0] - exact[1]) < 0.05


def test_reparameterized_samples_have_the_right_moments() -> None:
    # 100 000 samples of N(2, e^{-1}): sample mean within 5 standard errors, variance within 5 %
    eps = np.random.default_rng(1).standard_normal(100_000)
    z = reparameterize(2.0, -1.0, eps)
    assert abs(z.mean() - 2.0) < 5 * math.exp(-0.5) / math.sqrt(1e5)
    assert abs(z.var() / math.exp(-1.0) - 1) < 0.05


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_up_to_1e4(dtype) -> None:
    mu = np.array([1e4, -1e4, 0.0, 0.0, 5.0], dtype=dtype)
    logvar = np.array([-1e4, 1e-8, 150.0, -150.0, 0.0], dtype=dtype)
    eps = np.array([1e4, -1e4, 1e-30, 1e4, -1e-8], dtype=dtype)
    z = reparameterize(mu, logvar, eps)
    dmu, dlv = reparameterize_backward(np.ones(5), mu, logvar, eps)
    for a in (z, dmu, dlv):
        assert a.dtype == dtype and np.all(np.isfinite(a))
    # sigma = e^75 overflows float32 but sigma * 1e-30 = e^75 1e-30 = 3.7e2 does not: taken through logs
    assert math.isclose(z[2], math.exp(75) * float(np.asarray(1e-30, dtype)), rel_tol=1e-5)
    # a product beyond the range is inf, without a warning
    assert reparameterize(0.0, np.array(1e4, dtype), np.array(2.0, dtype)) == np.inf


def test_nan_in_nan_out() -> None:
    assert np.isnan(reparameterize(np.nan, 0.0, 1.0))
    assert np.isnan(reparameterize(0.0, np.nan, 1.0))
    assert np.isnan(reparameterize(0.0, 0.0, np.nan))
    assert np.isnan(pathwise_grad(lambda x: x, [np.nan], [1.0], [[1.0]])[0][0])


# ---------------------------------------------------------------- bad input
def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match=r"mu, logvar and eps must broadcast together: mu has shape \(2,\), logvar has shape \(3,\)"):
        reparameterize([0.0, 0.0], [0.0, 0.0, 0.0], 0.0)
    with pytest.raises(TypeError, match="eps must be real-valued"):
        reparameterize(0.0, 0.0, 1j)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2, 3\)"):
        reparameterize_backward(np.ones(3), np.zeros(3), np.zeros(3), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="sigma must hold standard deviations > 0, found 0.0"):
        pathwise_grad(lambda x: x, [0.0], [0.0], [[1.0]])
    with pytest.raises(ValueError, match=r"sigma must have the same shape as mu"):
        pathwise_grad(lambda x: x, [0.0], [1.0, 1.0], [[1.0]])
    with pytest.raises(ValueError, match=r"eps must have shape \(K, \*mu.shape\) with K >= 1 draws, got \(3,\) for mu of shape \(2,\)"):
        pathwise_grad(lambda x: x, [0.0, 0.0], [1.0, 1.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"samples must have shape \(K, \*mu.shape\) = \(2, 2\)"):
        score_function_grad(lambda x: x[:, 0], [0.0, 0.0], [1.0, 1.0], np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"K >= 1 draws, got \(0, 1\)"):
        score_function_grad(lambda x: x[:, 0], [0.0], [1.0], np.zeros((0, 1)))
    with pytest.raises(TypeError, match="f_grad must be callable"):
        pathwise_grad(None, [0.0], [1.0], [[1.0]])
    with pytest.raises(ValueError, match=r"f must return shape \(2,\), got \(2, 1\)"):
        score_function_grad(lambda x: x, [0.0], [1.0], [[1.0], [2.0]])
    with pytest.raises(ValueError, match=r"f_grad must return shape \(2, 1\), got \(2,\)"):
        pathwise_grad(lambda x: x[:, 0], [0.0], [1.0], [[1.0], [2.0]])


# ---------------------------------------------------------------- PyTorch
def gaussians(dtype, rng):
    mu = rng.normal(size=(3, 12)) * rng.choice([1e-3, 1, 100], size=(1, 12))
    logvar = rng.normal(size=(3, 12)) * 4
    ext = EXTREMES[np.abs(EXTREMES) <= 100]  # exp(100 / 2) is finite in float32
    logvar[0, : len(ext)] = ext
    mu[1, : len(ext)] = ext
    return mu.astype(dtype), logvar.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch_autograd(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(3)
    mu, logvar = gaussians(dtype, rng)
    eps = rng.standard_normal((5, 3, 12)).astype(dtype)  # 5 samples of each Gaussian
    g = rng.normal(size=eps.shape).astype(dtype)
    ref, (ref_dmu, ref_dlv) = torch_forward_backward(lambda m, v: m + torch.exp(0.5 * v) * torch.tensor(eps), [mu, logvar], g, wrt=[0, 1])
    # the same operations in the same order: mu + sigma eps rounds at most twice (sigma's exp and the
    # product, then the sum): a few eps of |mu| + |sigma eps|
    sigma_eps = np.exp(0.5 * logvar.astype(np.float64)) * np.abs(eps)
    assert_matches(reparameterize(mu, logvar, eps), ref, dtype, scale=np.abs(mu) + sigma_eps)
    dmu, dlv = reparameterize_backward(g, mu, logvar, eps)
    assert_matches(dmu, ref_dmu, dtype, scale=np.sum(np.abs(g), axis=0))  # a sum of 5 upstream values
    assert_matches(dlv, ref_dlv, dtype, scale=np.sum(np.abs(g) * sigma_eps, axis=0))


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_normal_rsample(dtype) -> None:
    # torch.distributions.Normal(mu, std).rsample() draws eps = torch.randn and returns mu + eps * std;
    # the same seed gives us the same eps
    torch = require("torch")
    mu, logvar = gaussians(dtype, np.random.default_rng(4))
    torch.manual_seed(0)
    eps = torch.randn(mu.shape, dtype=torch.float32 if dtype == np.float32 else torch.float64).numpy()
    torch.manual_seed(0)
    ref = torch.distributions.Normal(torch.tensor(mu), torch.exp(0.5 * torch.tensor(logvar))).rsample().numpy()
    assert_matches(reparameterize(mu, logvar, eps), ref, dtype, scale=np.abs(mu) + np.exp(0.5 * logvar.astype(np.float64)) * np.abs(eps))


@pytest.mark.parametrize("dtype", DTYPES)
def test_pathwise_matches_torch_autograd_of_the_monte_carlo_mean(dtype) -> None:
    # the pathwise estimator is what autograd computes for mean_k f(mu + sigma eps_k)
    torch = require("torch")
    rng = np.random.default_rng(5)
    mu, sigma = rng.normal(size=4).astype(dtype), rng.uniform(0.1, 3, size=4).astype(dtype)
    eps = rng.standard_normal((300, 4)).astype(dtype)
    _, (ref_mu, ref_sigma) = torch_forward_backward(
        lambda m, s: torch.mean(torch.sum(torch.sin(m + s * torch.tensor(eps)) * (m + s * torch.tensor(eps)), dim=1)),
        [mu, sigma], np.array(1.0), wrt=[0, 1])
    ours = pathwise_grad(lambda x: np.sin(x) + x * np.cos(x), mu, sigma, eps)  # d/dx [x sin x]
    # means of 300 terms of size up to ~|x| + 1 (times |eps| < 4): eps times a few of that
    scale = float(np.max(np.abs(mu) + 3 * sigma) + 1) * 4
    assert_matches(ours[0], ref_mu, dtype, ulps=16, scale=scale)
    assert_matches(ours[1], ref_sigma, dtype, ulps=16, scale=scale)


@pytest.mark.parametrize("dtype", DTYPES)
def test_score_function_matches_torch_log_prob_surrogate(dtype) -> None:
    # the score-function estimator is autograd of the surrogate mean_k f(x_k).detach() * log N(x_k; mu, sigma)
    torch = require("torch")
    rng = np.random.default_rng(6)
    mu, sigma = rng.normal(size=3).astype(dtype), rng.uniform(0.2, 2, size=3).astype(dtype)
    x = (mu + sigma * rng.standard_normal((400, 3))).astype(dtype)

    def f(v):
        return np.sum(np.abs(v), axis=1)  # not differentiable at 0: the score function does not care

    fx = torch.tensor(f(x.astype(np.float64)).astype(dtype))
    _, (ref_mu, ref_sigma) = torch_forward_backward(
        lambda m, s: torch.mean(fx * torch.distributions.Normal(m, s).log_prob(torch.tensor(x)).sum(1)),
        [mu, sigma], np.array(1.0), wrt=[0, 1])
    ours = score_function_grad(f, mu, sigma, x)
    # means of 400 terms f(x) * score, |f| <= ~10, |score| <= ~30 / sigma: eps times their size
    scale = float(np.max(f(x)) * np.max(np.abs((x - mu) / sigma) ** 2 + 1) / np.min(sigma))
    assert_matches(ours[0], ref_mu, dtype, ulps=16, scale=scale)
    assert_matches(ours[1], ref_sigma, dtype, ulps=16, scale=scale)
