"""posterior / log_posterior and their backwards: hand values, properties, stability, bad input,
scipy (softmax of the log form) and PyTorch autograd."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import log_posterior, log_posterior_backward, posterior, posterior_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

positive = st.floats(1e-6, 1e4, allow_nan=False)
finite = st.floats(-1e4, 1e4, allow_nan=False)


def test_hand_checked_values() -> None:
    # the medical test: prior 1 % sick, sensitivity 90 %, false-positive rate 5 %:
    # p(sick | +) = 0.01 * 0.9 / (0.01 * 0.9 + 0.99 * 0.05) = 0.009 / 0.0585 = 2/13
    np.testing.assert_allclose(posterior([0.99, 0.01], [0.05, 0.9]), [11 / 13, 2 / 13], rtol=1e-15)
    # a uniform prior: the posterior is the normalised likelihood (1, 3) / 4
    np.testing.assert_allclose(posterior([1.0, 1.0], [0.2, 0.6]), [0.25, 0.75], rtol=1e-15)
    # two observations in a row = one update with the product of the likelihoods:
    # prior (1/2, 1/2), likelihoods (1/3, 2/3) twice -> (1/9, 4/9) / (5/9) = (1/5, 4/5)
    once = posterior([0.5, 0.5], [1 / 3, 2 / 3])
    np.testing.assert_allclose(posterior(once, [1 / 3, 2 / 3]), [0.2, 0.8], rtol=1e-15)
    # log form: log(1/2) + (log 1, log 3) -> posterior (1/4, 3/4), even shifted by -1000
    np.testing.assert_allclose(log_posterior(np.log([0.5, 0.5]), [-1000.0, -1000 + math.log(3)]),
                               np.log([0.25, 0.75]), rtol=1e-13)
    # a zero prior stays zero (Cromwell's rule); in log form it is -inf
    np.testing.assert_array_equal(posterior([0.0, 1.0], [5.0, 1e-3]), [0.0, 1.0])
    assert log_posterior([-np.inf, 0.0], [3.0, -2.0])[0] == -np.inf


def test_backward_hand_values() -> None:
    # q = (1/2, 1/2), Z = 1, g = (1, 0): dL/dw = (1/2, -1/2); times likelihood (1, 1), prior (1/2, 1/2)
    dp, dl = posterior_backward([1.0, 0.0], [0.5, 0.5], [1.0, 1.0])
    np.testing.assert_allclose(dp, [0.5, -0.5], rtol=1e-15)
    np.testing.assert_allclose(dl, [0.25, -0.25], rtol=1e-15)
    # log form: g - q sum(g) = (1, 0) - (1/2, 1/2) for both arguments
    dlp, dll = log_posterior_backward([1.0, 0.0], [0.0, 0.0], [0.0, 0.0])
    np.testing.assert_allclose(dlp, [0.5, -0.5], rtol=1e-15)
    np.testing.assert_allclose(dll, [0.5, -0.5], rtol=1e-15)


def test_broadcast_prior_over_a_batch() -> None:
    prior = np.array([0.2, 0.3, 0.5])
    lik = np.random.default_rng(0).random((4, 3))
    post = posterior(prior, lik)
    assert post.shape == (4, 3)
    for n in range(4):
        np.testing.assert_allclose(post[n], posterior(prior, lik[n]), rtol=1e-15)
    dp, dl = posterior_backward(np.ones((4, 3)), prior, lik)
    assert dp.shape == (3,) and dl.shape == (4, 3)
    dlp, dll = log_posterior_backward(np.ones((4, 3)), np.log(prior), np.log(lik))
    assert dlp.shape == (3,) and dll.shape == (4, 3)


@given(arrays(np.float64, (3, 4), elements=positive), arrays(np.float64, (3, 4), elements=positive), st.floats(1e-3, 1e3))
def test_posterior_properties(prior: np.ndarray, lik: np.ndarray, c: float) -> None:
    q = posterior(prior, lik)
    np.testing.assert_allclose(q.sum(axis=-1), 1.0, rtol=1e-12)
    # scaling the prior or the likelihood by a constant changes nothing (only ratios matter)
    np.testing.assert_allclose(posterior(c * prior, lik), q, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(posterior(prior, c * lik), q, rtol=1e-12, atol=1e-300)
    # the log form gives the same posterior
    np.testing.assert_allclose(np.exp(log_posterior(np.log(prior), np.log(lik))), q, rtol=1e-10, atol=1e-300)
    # axis: the transposed problem along axis 0
    np.testing.assert_allclose(posterior(prior.T, lik.T, axis=0), q.T, rtol=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
@given(lp=arrays(np.float64, (3, 5), elements=finite), ll=arrays(np.float64, (3, 5), elements=finite))
def test_log_form_stable_up_to_1e4(dtype, lp: np.ndarray, ll: np.ndarray) -> None:
    a, b = lp.astype(dtype), ll.astype(dtype)
    for y in (log_posterior(a, b), *log_posterior_backward(np.ones_like(a), a, b)):
        assert y.dtype == dtype and np.all(np.isfinite(y))
    q = posterior(np.abs(a) + 1, np.abs(b) + 1)  # up to 1e4 in the weights: no overflow
    assert q.dtype == dtype and np.all(np.isfinite(q))


def test_underflowing_likelihoods_need_the_log_form() -> None:
    # 2000 observations with likelihood 0.4 vs 0.5 each: 0.4^2000 ~ 1e-796 and 0.5^2000 ~ 1e-602
    # both underflow to 0, so the linear form has no evidence left
    with pytest.raises(ValueError, match="evidence .* is 0 .* use log_posterior"):
        posterior([0.5, 0.5], [0.4**2000, 0.5**2000])
    lp = log_posterior(np.log([0.5, 0.5]), 2000 * np.log([0.4, 0.5]))
    # hand value: p(h0 | x) = 1 / (1 + 1.25^2000), log = -2000 ln 1.25 (1.25^-2000 ~ 1e-194 is negligible)
    np.testing.assert_allclose(lp, [-2000 * math.log(1.25), 0.0], rtol=1e-14, atol=1e-190)


def test_nan_in_nan_out() -> None:
    q = posterior([[np.nan, 1.0], [1.0, 1.0]], [1.0, 1.0])
    assert np.all(np.isnan(q[0])) and np.allclose(q[1], 0.5)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="prior must hold finite non-negative numbers, found -0.5"):
        posterior([-0.5, 1.5], [1.0, 1.0])
    with pytest.raises(ValueError, match="likelihood must hold finite non-negative numbers, found inf"):
        posterior([0.5, 0.5], [np.inf, 1.0])
    with pytest.raises(ValueError, match=r"prior and likelihood must broadcast together, got shapes \(3,\) and \(2,\)"):
        posterior([0.2, 0.3, 0.5], [1.0, 1.0])
    with pytest.raises(ValueError, match="evidence .* is 0"):
        posterior([1.0, 0.0], [0.0, 1.0])
    with pytest.raises(ValueError, match=r"at least one hypothesis along axis 1, got shape \(2, 0\)"):
        log_posterior(np.zeros((2, 0)), np.zeros((2, 0)))
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2,\)"):
        posterior_backward([1.0], [0.5, 0.5], [1.0, 1.0])
    with pytest.raises(TypeError, match="log_likelihood must be real-valued"):
        log_posterior([0.0, 0.0], np.array([1j, 0]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_form_matches_scipy_softmax(dtype) -> None:
    special = require("scipy.special")
    rng = np.random.default_rng(1)
    lp = np.log(rng.dirichlet(np.ones(len(EXTREMES)), size=6)).astype(dtype)
    ll = (rng.normal(size=(6, len(EXTREMES))) * rng.choice([1, 100, 1e4], size=(6, 1))).astype(dtype)
    ll[0] = EXTREMES
    # exp(log posterior) is a softmax of s = lp + ll. Rounding s in the input dtype moves each
    # exponent s_h - s_max by up to delta = eps * max|s|, hence p_h by at most delta / 4; plus a
    # few eps of the log-softmax and exp roundings (the reference adds in float64)
    max_s = float(np.max(np.abs(lp.astype(np.float64) + ll)))
    ref = special.softmax(lp.astype(np.float64) + ll.astype(np.float64), axis=-1)
    assert_matches(np.exp(log_posterior(lp, ll)), ref, dtype, ulps=1, scale=max_s / 4 + 8)


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch_autograd(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(2)
    prior = rng.dirichlet(np.ones(5)).astype(dtype)                                  # shared, (5,)
    lik = (rng.random((8, 5)) * rng.choice([1e-3, 1, 1e3], size=(8, 1))).astype(dtype)  # (8, 5)
    g = rng.normal(size=(8, 5)).astype(dtype)
    ref, (ref_dp, ref_dl) = torch_forward_backward(
        lambda p, ell: (p * ell) / (p * ell).sum(dim=-1, keepdim=True), [prior, lik], g, wrt=[0, 1]
    )
    # a product and a quotient by a sum of 5: a few roundings, relative to the probabilities <= 1
    assert_matches(posterior(prior, lik), ref, dtype, ulps=8)
    dp, dl = posterior_backward(g, prior, lik)
    # dL/dw = (g - g.q) / Z is O(|g| / Z): compare each row relative to that
    evidence = (prior.astype(np.float64) * lik).sum(axis=-1, keepdims=True)
    eps = np.finfo(dtype).eps
    bound = 16 * eps * np.max(np.abs(g)) / evidence
    assert dl.dtype == dtype and np.all(np.abs(dl - ref_dl) <= bound * prior)
    # dL/dprior sums 8 rows of dL/dw * likelihood (each O(|g| * lik / Z) <= O(|g| / prior))
    assert dp.dtype == dtype and np.all(np.abs(dp - ref_dp) <= 8 * 16 * eps * np.max(np.abs(g)) / prior)
    lp, ll = np.log(prior), np.log(lik)
    ref_lp, (ref_dlp, ref_dll) = torch_forward_backward(
        lambda a, b: torch.log_softmax(a + b, dim=-1), [lp, ll], g, wrt=[0, 1]
    )
    scale = float(np.max(np.abs(lp.astype(np.float64) + ll)))
    assert_matches(log_posterior(lp, ll), ref_lp, dtype, scale=scale)  # x - logsumexp(x): eps * max|x|
    dlp, dll = log_posterior_backward(g, lp, ll)
    assert_matches(dll, ref_dll, dtype, scale=4 * float(np.max(np.abs(g))))
    assert_matches(dlp, ref_dlp, dtype, ulps=16, scale=8 * 4 * float(np.max(np.abs(g))))  # a sum of 8 rows
