"""gaussian_kl, elbo and their backwards: hand values, properties, precision near the prior,
stability, bad input, and PyTorch (torch.distributions, F.binary_cross_entropy_with_logits)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import elbo, elbo_backward, gaussian_kl, gaussian_kl_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward


# ---------------------------------------------------------------- hand-checked values
def test_hand_values() -> None:
    # q = prior: 0; one dimension with mu = 1, var 1: (1 + 1 - 1 - 0) / 2 = 1/2
    assert gaussian_kl([0.0, 0.0, 0.0], [0.0, 0.0, 0.0]) == 0.0
    assert gaussian_kl([1.0], [0.0]) == 0.5
    # mu = 0, var = e: (e - 1 - 1) / 2; var = 1/e: (1/e - 1 + 1) / 2
    assert math.isclose(gaussian_kl([0.0], [1.0]), (math.e - 2) / 2, rel_tol=1e-15)
    assert math.isclose(gaussian_kl([0.0], [-1.0]), math.exp(-1) / 2, rel_tol=1e-15)
    # rows: one value per row, summed over the last axis
    np.testing.assert_allclose(gaussian_kl([[1.0, 2.0], [0.0, 0.0]], np.zeros((2, 2))), [2.5, 0.0], rtol=1e-15)
    # backward: dmu = mu, dlogvar = (e^v - 1) / 2 = ((e - 1) / 2, (1/e - 1) / 2), times grad_out 2
    dmu, dlv = gaussian_kl_backward(2.0, [3.0, -1.0], [1.0, -1.0])
    np.testing.assert_allclose(dmu, [6.0, -2.0], rtol=1e-15)
    np.testing.assert_allclose(dlv, [math.e - 1, math.exp(-1) - 1], rtol=1e-15)
    # ELBO: pixels x = (1, 0) with logits (ln 3, ln 3): log p = ln(3/4) + ln(1/4); KL of mu = 1: 1/2
    value = elbo([1.0, 0.0], [math.log(3), math.log(3)], [1.0], [0.0])
    assert math.isclose(value, math.log(0.75) + math.log(0.25) - 0.5, rel_tol=1e-15)
    # beta = 4 weights the KL four times; beta = 0 leaves the reconstruction alone
    assert math.isclose(elbo([1.0, 0.0], [0.0, 0.0], [1.0], [0.0], beta=4.0), -2 * math.log(2) - 2.0, rel_tol=1e-15)
    assert math.isclose(elbo([1.0, 0.0], [0.0, 0.0], [1.0], [0.0], beta=0.0), -2 * math.log(2), rel_tol=1e-15)
    # its gradient: x - sigmoid(l) = (1 - 3/4, 0 - 3/4); -mu; -(e^0 - 1) / 2 = 0
    dl, dmu, dlv = elbo_backward(1.0, [1.0, 0.0], [math.log(3), math.log(3)], [1.0], [0.0])
    np.testing.assert_allclose(dl, [0.25, -0.75], rtol=1e-15)
    np.testing.assert_array_equal(dmu, [-1.0])
    np.testing.assert_array_equal(dlv, [0.0])


# ---------------------------------------------------------------- properties
finite = st.floats(-30, 30, allow_nan=False)


@settings(max_examples=40)
@given(st.integers(1, 6).flatmap(lambda n: st.tuples(arrays(np.float64, n, elements=finite), arrays(np.float64, n, elements=finite))))
def test_kl_is_a_sum_of_non_negative_terms(ml) -> None:
    mu, logvar = ml
    value = gaussian_kl(mu, logvar)
    per_dim = [gaussian_kl(mu[i : i + 1], logvar[i : i + 1]) for i in range(len(mu))]
    assert value >= 0 and all(v >= 0 for v in per_dim)
    assert math.isclose(value, math.fsum(per_dim), rel_tol=1e-13, abs_tol=1e-300)
    # only the prior itself has KL 0 (or a q so close to it that mu^2 / 2 + logvar^2 / 4 underflows)
    if value == 0:
        assert np.all(np.abs(mu) < 1e-150) and np.all(np.abs(logvar) < 1e-150)
    if np.all(mu == 0) and np.all(logvar == 0):
        assert value == 0


@settings(max_examples=30)
@given(arrays(np.float64, 4, elements=st.floats(-5, 5)), arrays(np.float64, 4, elements=st.floats(-5, 5)))
def test_kl_against_the_gaussian_integral(mu, logvar) -> None:
    # an independent route: KL = E_q[log q(z) - log p(z)] = -H(q) + E_q[-log p(z)], with the entropy
    # of N(m, s^2) = (1 + log 2 pi s^2) / 2 and E_q[z^2 / 2 + log(2 pi) / 2] = (m^2 + s^2 + log 2 pi) / 2
    entropy = 0.5 * (1 + np.log(2 * np.pi) + logvar)
    cross = 0.5 * (mu**2 + np.exp(logvar) + np.log(2 * np.pi))
    # that formula cancels terms as large as e^5 + 25: an absolute error of eps times them
    assert math.isclose(gaussian_kl(mu, logvar), np.sum(cross - entropy), rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_precise_near_the_prior(dtype) -> None:
    # posterior collapse: mu and logvar of 1e-5 .. 0.5, where e^v - 1 - v ~ v^2 / 2 is the whole
    # term; the reference is the same formula in long double with expm1 (64-bit mantissa on x86)
    rng = np.random.default_rng(0)
    mu = (rng.normal(size=(200, 3)) * 10.0 ** rng.uniform(-5, -0.3, size=(200, 1))).astype(dtype)
    logvar = (rng.normal(size=(200, 3)) * 10.0 ** rng.uniform(-5, -0.3, size=(200, 1))).astype(dtype)
    m, v = mu.astype(np.longdouble), logvar.astype(np.longdouble)
    ref = 0.5 * np.sum(m * m + (np.expm1(v) - v), axis=-1)
    if np.finfo(np.longdouble).eps < np.finfo(np.float64).eps / 100:
        # a few roundings of each non-negative term, relative to the sum: ulps, no absolute slack
        ours = gaussian_kl(mu, logvar)
        np.testing.assert_allclose(ours, ref.astype(dtype), rtol=8 * np.finfo(dtype).eps, atol=0)
    # the naive formula loses everything there: compare at logvar = 1e-5, mu = 0
    v32 = np.array([1e-5], dtype=dtype)
    naive = 0.5 * (np.exp(v32) - 1 - v32)
    v = float(v32[0])
    exact = 0.5 * (v**2 / 2 + v**3 / 6 + v**4 / 24)  # the series; the next term is 1e-15 of these
    assert math.isclose(gaussian_kl(np.zeros(1, dtype), v32), exact, rel_tol=4 * float(np.finfo(dtype).eps))
    # the reason for the series: a million ulps off (1e-6 relative in float64; float32's is 100 %)
    assert abs(float(naive[0]) - exact) > 1e6 * float(np.finfo(dtype).eps) * exact


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_up_to_1e4(dtype) -> None:
    mu = np.array([[1e4, -1e4], [0.0, 1e-8]], dtype=dtype)
    logvar = np.array([[-1e4, 20.0], [-88.0, 1e-8]], dtype=dtype)
    value = gaussian_kl(mu, logvar)
    dmu, dlv = gaussian_kl_backward(np.ones(2), mu, logvar)
    for a in (value, dmu, dlv):
        assert a.dtype == dtype and np.all(np.isfinite(a))
    # logvar = -1e4: the variance underflows to 0 and the term is -1 - logvar = 9999
    assert math.isclose(value[0], 0.5 * (2e8 + 9999 + math.expm1(20) - 20), rel_tol=1e-6)
    # a variance beyond the float range: the divergence and its slope are inf, without a warning
    assert gaussian_kl([0.0], np.array([1e4], dtype=dtype)) == np.inf
    assert gaussian_kl_backward(1.0, [0.0], np.array([1e4], dtype=dtype))[1][0] == np.inf
    # the ELBO stays finite for logits of +-1e4 (no sigmoid is formed)
    x = np.array([[1.0, 0.0, 1.0, 0.0]])
    l = np.array([[1e4, -1e4, -1e4, 1e4]], dtype=dtype)
    np.testing.assert_allclose(elbo(x, l, np.zeros((1, 1), dtype), np.zeros((1, 1), dtype)), [-2e4], rtol=1e-6)


def test_nan_in_nan_out() -> None:
    assert np.isnan(gaussian_kl([np.nan, 0.0], [0.0, 0.0]))
    assert np.isnan(gaussian_kl([0.0, 0.0], [np.nan, 0.0]))
    assert np.isnan(elbo([1.0], [np.nan], [0.0], [0.0]))


def test_empty_batch() -> None:
    assert gaussian_kl(np.zeros((0, 3)), np.zeros((0, 3))).shape == (0,)
    assert gaussian_kl(np.zeros((2, 0)), np.zeros((2, 0))).tolist() == [0.0, 0.0]  # no latent dims


# ---------------------------------------------------------------- bad input
def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match=r"logvar must have the same shape as mu: mu has shape \(2,\), logvar has shape \(3,\)"):
        gaussian_kl([0.0, 0.0], [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"at least one dimension .* got shape \(\)"):
        gaussian_kl(0.0, 0.0)
    with pytest.raises(TypeError, match="logvar must be real-valued"):
        gaussian_kl([0.0], [1j])
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2,\)"):
        gaussian_kl_backward(1.0, np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="x must hold probabilities in \\[0, 1\\], found 2.0"):
        elbo([2.0, 0.0], [0.0, 0.0], [0.0], [0.0])
    with pytest.raises(ValueError, match=r"x_recon_logits must have the same shape as x"):
        elbo([1.0, 0.0], [0.0], [0.0], [0.0])
    with pytest.raises(ValueError, match=r"share their batch shape .* \(3, 2\), mu has shape \(2, 1\)"):
        elbo(np.zeros((3, 2)), np.zeros((3, 2)), np.zeros((2, 1)), np.zeros((2, 1)))
    with pytest.raises(ValueError, match="beta must be a finite number >= 0, got -1"):
        elbo([1.0], [0.0], [0.0], [0.0], beta=-1.0)


# ---------------------------------------------------------------- PyTorch
def gaussians(dtype, rng):
    """Rows of (mu, logvar): random, extreme means and log-variances (EXTREMES cut to where
    exp(logvar) is finite in float32), and values near the prior."""
    mu = rng.normal(size=(40, 6)) * rng.choice([1e-4, 1, 30], size=(40, 1))
    logvar = rng.normal(size=(40, 6)) * rng.choice([1e-4, 1, 10], size=(40, 1))
    ext = EXTREMES[np.abs(EXTREMES) <= 100]
    mu[:2, : len(ext) // 2] = ext[: len(ext) // 2]
    logvar[2, :] = [-80.0, -20.0, -1e-8, 1e-8, 20.0, 80.0]
    return mu.astype(dtype), logvar.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gaussian_kl_matches_torch(dtype) -> None:
    torch = require("torch")
    from torch.distributions import Normal, kl_divergence

    rng = np.random.default_rng(2)
    mu, logvar = gaussians(dtype, rng)
    g = rng.normal(size=40)
    ref, (ref_dmu, ref_dlv) = torch_forward_backward(
        lambda m, v: kl_divergence(Normal(m, (0.5 * v).exp()), Normal(torch.zeros_like(m), torch.ones_like(m))).sum(-1),
        [mu, logvar], g, wrt=[0, 1],
    )
    # torch forms (std / 1)^2 and its log, then var - 1 - log var: each rounding is relative to the
    # terms mu^2, e^v, 1 and |v| it adds up, so the error is eps times their sum, row by row
    m, v = mu.astype(np.float64), logvar.astype(np.float64)
    scale = np.sum(m * m + np.exp(v) + 1 + np.abs(v), axis=-1)
    assert_matches(gaussian_kl(mu, logvar), ref, dtype, scale=scale)
    dmu, dlv = gaussian_kl_backward(g.astype(dtype), mu, logvar)
    assert_matches(dmu, ref_dmu, dtype)
    # torch's d/dv goes through std = e^{v/2} and var = std^2: (var - 1) / 2 with var rounded twice,
    # an error of eps * e^v next to ours from expm1
    assert_matches(dlv, ref_dlv, dtype, scale=np.abs(g)[:, None] * (np.exp(v) + 1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_elbo_matches_torch(dtype) -> None:
    torch = require("torch")
    from torch.distributions import Normal, kl_divergence

    rng = np.random.default_rng(3)
    x = (rng.random((40, 8)) < 0.4).astype(dtype)
    x[:10] = rng.random((10, 8))  # grey levels too
    logits = (rng.normal(size=(40, 8)) * rng.choice([1, 10, 100], size=(40, 1))).astype(dtype)
    logits[0] = [-1e4, -1e3, -100, -20, 20, 100, 1e3, 1e4]
    mu, logvar = gaussians(dtype, rng)
    g = rng.normal(size=40)
    beta = 0.5

    def torch_elbo(l, m, v):
        rec = torch.nn.functional.binary_cross_entropy_with_logits(l, torch.tensor(x), reduction="none").sum(-1)
        kl = kl_divergence(Normal(m, (0.5 * v).exp()), Normal(torch.zeros_like(m), torch.ones_like(m))).sum(-1)
        return -rec - beta * kl

    ref, (ref_dl, ref_dmu, ref_dlv) = torch_forward_backward(torch_elbo, [logits, mu, logvar], g, wrt=[0, 1, 2])
    m, v, l = mu.astype(np.float64), logvar.astype(np.float64), logits.astype(np.float64)
    # both sides add up D + Z terms of sizes |l| and mu^2 + e^v + 1 + |v|: eps times their sum
    scale = np.sum(np.abs(l) + 1, axis=-1) + np.sum(m * m + np.exp(v) + 1 + np.abs(v), axis=-1)
    assert_matches(elbo(x, logits, mu, logvar, beta=beta), ref, dtype, scale=scale)
    dl, dmu, dlv = elbo_backward(g.astype(dtype), x, logits, mu, logvar, beta=beta)
    assert_matches(dl, ref_dl, dtype, scale=np.abs(g)[:, None])  # |x - sigmoid(l)| <= 1, times g
    assert_matches(dmu, ref_dmu, dtype)
    assert_matches(dlv, ref_dlv, dtype, scale=np.abs(g)[:, None] * (np.exp(v) + 1))
