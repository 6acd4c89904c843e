"""noise_distribution, sample_negatives, negative_sampling_loss and its backward."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import (
    binary_cross_entropy_with_logits,
    negative_sampling_loss,
    negative_sampling_loss_backward,
    noise_distribution,
    sample_negatives,
)
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward


def softplus(x: float) -> float:
    return math.log1p(math.exp(x)) if x < 30 else x + math.log1p(math.exp(-x))


# ---------------------------------------------------------------- hand-checked values
def test_noise_distribution_by_hand() -> None:
    # counts 1, 16, 81, 0: ^(3/4) gives 1, 8, 27, 0 (exact powers of fourth powers), total 36
    np.testing.assert_allclose(noise_distribution([1, 16, 81, 0]), [1 / 36, 8 / 36, 27 / 36, 0], rtol=1e-15)
    # power 1 is the unigram distribution, power 0 uniform over the words that occur
    np.testing.assert_allclose(noise_distribution([1, 3, 0], power=1.0), [0.25, 0.75, 0.0], rtol=1e-15)
    np.testing.assert_array_equal(noise_distribution([5, 3, 0, 1], power=0.0), [1 / 3, 1 / 3, 0, 1 / 3])
    # scaling the counts changes nothing (they are divided by their maximum first)
    np.testing.assert_allclose(noise_distribution([2e4, 32e4]), noise_distribution([1, 16]), rtol=1e-15)


def test_loss_by_hand() -> None:
    # all vectors zero: every score is 0, each of the 1 + K terms costs log 2
    z = np.zeros((3, 4, 2))
    assert math.isclose(negative_sampling_loss(z[:, 0], z[:, 0], z), 5 * math.log(2), rel_tol=1e-15)
    # one pair, D = 2: v = (1, 1), u_o = (1, 0) -> score 1; negatives (0, 2), (-1, -1) -> 2, -2
    v, u, neg = np.array([[1.0, 1.0]]), np.array([[1.0, 0.0]]), np.array([[[0.0, 2.0], [-1.0, -1.0]]])
    expected = softplus(-1) + softplus(2) + softplus(-2)
    assert math.isclose(negative_sampling_loss(v, u, neg), expected, rel_tol=1e-14)
    # derivatives: true score -sigma(-1), negatives sigma(2), sigma(-2)
    s = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    dv, du, dn = negative_sampling_loss_backward(1.0, v, u, neg)
    np.testing.assert_allclose(dv, [[-s(-1) * 1 + s(2) * 0 + s(-2) * -1, -s(-1) * 0 + s(2) * 2 + s(-2) * -1]], rtol=1e-14)
    np.testing.assert_allclose(du, [[-s(-1), -s(-1)]], rtol=1e-14)
    np.testing.assert_allclose(dn, [[[s(2), s(2)], [s(-2), s(-2)]]], rtol=1e-14)


def test_loss_is_binary_cross_entropy_summed_over_the_k_plus_1_pairs() -> None:
    # label 1 for the true pair, 0 for the noise pairs: the package's BCE-with-logits (a mean over
    # the N (1 + K) scores) times (1 + K)
    rng = np.random.default_rng(0)
    v, u, neg = rng.normal(size=(6, 3)), rng.normal(size=(6, 3)), rng.normal(size=(6, 4, 3))
    scores = np.concatenate([np.sum(u * v, -1)[:, None], np.einsum("nkd,nd->nk", neg, v)], axis=1)
    labels = np.zeros_like(scores)
    labels[:, 0] = 1
    assert math.isclose(negative_sampling_loss(v, u, neg), 5 * binary_cross_entropy_with_logits(scores, labels), rel_tol=1e-13)


def test_sampling_edge_cases() -> None:
    rng = np.random.default_rng(1)
    assert sample_negatives([0.5, 0.5], 0, rng).shape == (0,)
    out = sample_negatives([0.2, 0.0, 0.8], (30, 5), rng)
    assert out.shape == (30, 5) and out.dtype == np.int64 and not np.any(out == 1)
    # a draw of u * total rounding up to total must not return V: force it with a generator stub
    class Top(np.random.Generator):
        def random(self, size=None):  # noqa: ARG002 - the largest double below 1
            return np.full(size, np.nextafter(1.0, 0.0))
    top = Top(np.random.PCG64(0))
    assert sample_negatives([0.3, 0.7, 0.0], 3, top).tolist() == [1, 1, 1]
    # the same seed gives the same draws
    assert np.array_equal(sample_negatives([0.1, 0.9], 10, np.random.default_rng(5)),
                          sample_negatives([0.1, 0.9], 10, np.random.default_rng(5)))


# ---------------------------------------------------------------- properties
@settings(max_examples=30)
@given(arrays(np.float64, st.integers(1, 8), elements=st.floats(0, 1e4)), st.floats(0, 2))
def test_noise_distribution_is_a_distribution_and_flattens_with_smaller_power(counts, power) -> None:
    if not counts.any():
        return
    p = noise_distribution(counts, power)
    assert math.isclose(p.sum(), 1.0, rel_tol=1e-12) and np.all(p >= 0)
    assert np.all(p[counts == 0] == 0)
    # frequent words keep more mass than rare ones; a smaller power moves mass towards rare words
    order = np.argsort(counts, kind="stable")
    assert np.all(np.diff(p[order]) >= -1e-15)
    top = np.argmax(counts)
    assert noise_distribution(counts, power / 2)[top] <= p[top] * (1 + 1e-12)


@settings(max_examples=25)
@given(st.integers(0, 2**32 - 1), st.integers(1, 5), st.integers(1, 4))
def test_gradients_point_the_right_way(seed, n, k) -> None:
    # d loss / d score is negative for the true pair (raise it) and positive for noise (lower it);
    # a small step against the gradient lowers the loss
    rng = np.random.default_rng(seed)
    v, u, neg = rng.normal(size=(n, 3)), rng.normal(size=(n, 3)), rng.normal(size=(n, k, 3))
    grads = negative_sampling_loss_backward(1.0, v, u, neg)
    before = negative_sampling_loss(v, u, neg)
    after = negative_sampling_loss(*(x - 1e-3 * g for x, g in zip((v, u, neg), grads)))
    assert after < before
    # the context gradient is the center vector times the (negative) true-score derivative
    ratio = np.sum(grads[1] * v, axis=1)
    assert np.all(ratio <= 0)


# ---------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_up_to_1e4(dtype) -> None:
    rng = np.random.default_rng(2)
    v = rng.choice(EXTREMES, size=(5, 3)).astype(dtype)
    u = rng.choice(EXTREMES, size=(5, 3)).astype(dtype)
    neg = rng.choice(EXTREMES, size=(5, 4, 3)).astype(dtype)
    for out in [negative_sampling_loss(v, u, neg), *negative_sampling_loss_backward(1.0, v, u, neg)]:
        assert out.dtype == dtype and np.all(np.isfinite(out))
    assert noise_distribution(np.array([1e4, 1.0, 0.0], dtype)).dtype == dtype


def test_nan_in_nan_out() -> None:
    assert np.isnan(negative_sampling_loss([[np.nan]], [[1.0]], [[[1.0]]]))
    assert np.all(np.isnan(noise_distribution([1.0, np.nan])))


# ---------------------------------------------------------------- bad input
def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="counts must be non-negative, found -1.0"):
        noise_distribution([-1.0, 2.0])
    with pytest.raises(ValueError, match="counts must not all be zero"):
        noise_distribution([0, 0])
    with pytest.raises(ValueError, match=r"power must be a finite number >= 0, got -1"):
        noise_distribution([1, 2], power=-1)
    with pytest.raises(ValueError, match=r"dist must hold probabilities in \[0, 1\], found 2.0"):
        sample_negatives([2.0, 0.0], 3)
    with pytest.raises(ValueError, match="dist must hold finite probabilities with a positive sum"):
        sample_negatives([0.0, 0.0], 3)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        sample_negatives([1.0], 3, rng=0)
    with pytest.raises(TypeError, match="k must be an integer, got float"):
        sample_negatives([1.0], 3.0)
    with pytest.raises(ValueError, match=r"context_vec must have shape \(N, D\) = \(2, 3\) for center_vec of shape \(2, 3\), got \(2, 2\)"):
        negative_sampling_loss(np.ones((2, 3)), np.ones((2, 2)), np.ones((2, 1, 3)))
    with pytest.raises(ValueError, match=r"negative_vecs must have shape \(N, K, D\) with N, D = \(2, 3\), got \(2, 3\)"):
        negative_sampling_loss(np.ones((2, 3)), np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(TypeError, match="center_vec must be real-valued"):
        negative_sampling_loss(np.ones((1, 1)) * 1j, np.ones((1, 1)), np.ones((1, 1, 1)))


# ---------------------------------------------------------------- references
def test_sample_frequencies_follow_the_distribution() -> None:
    # 20 000 draws from a Zipf-like noise distribution at a fixed seed: Pearson's chi-square
    # statistic below 43.82, the 0.999 quantile of chi-square with 19 degrees of freedom (standard
    # tables), and every observed frequency within 5 standard errors of its probability
    dist = noise_distribution(1 / np.arange(1, 21))
    draws = sample_negatives(dist, 20_000, np.random.default_rng(3))
    observed = np.bincount(draws, minlength=20)
    expected = 20_000 * dist
    assert np.sum((observed - expected) ** 2 / expected) < 43.82
    assert np.all(np.abs(observed / 20_000 - dist) <= 5 * np.sqrt(dist * (1 - dist) / 20_000))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("extreme", [False, True], ids=["random", "extreme"])
def test_loss_matches_torch(dtype, extreme) -> None:
    torch = require("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(21)
    n, k, d = 12, 5, 4
    v, u, neg = rng.normal(size=(n, d)), rng.normal(size=(n, d)), rng.normal(size=(n, k, d))
    if extreme:   # scores from -1e4 to 1e4: saturated sigmoids on both sides
        v[:, 0] = EXTREMES[:n] / 100
        u[:, 0] = 100.0
        neg[:, :, 0] = rng.choice([-100.0, 100.0], size=(n, k))
    v, u, neg = v.astype(dtype), u.astype(dtype), neg.astype(dtype)

    def f(a, b, c):
        pos = (a * b).sum(-1)
        negs = torch.einsum("nkd,nd->nk", c, a)
        return (-F.logsigmoid(pos) - F.logsigmoid(-negs).sum(-1)).mean()

    ref, grads = torch_forward_backward(f, [v, u, neg], np.array(0.8), wrt=[0, 1, 2])
    # each score is a sum of D products, exact to ~D eps times S = max |score| (up to 1e4 here);
    # softplus passes that absolute error through with slope <= 1, and 1 + K of them are summed
    s = float(np.max(np.abs(np.concatenate([np.sum(u * v, -1, dtype=np.float64),
                                             np.einsum("nkd,nd->nk", neg, v, dtype=np.float64).ravel()]))))
    assert_matches(negative_sampling_loss(v, u, neg), ref, dtype, ulps=2 * d * (1 + k), scale=max(s, 1.0))
    # a gradient entry is a sum of <= 1 + K sigmoids times a vector entry, each sigmoid exact to
    # eps times its argument's error (slope <= 1/4 of D eps S): scale = 0.8 / N * max|x| * (1 + K) * (1 + S)
    x_max = float(max(np.abs(v).max(), np.abs(u).max(), np.abs(neg).max()))
    for ours, theirs in zip(negative_sampling_loss_backward(0.8, v, u, neg), grads):
        assert_matches(ours, theirs, dtype, ulps=2 * d, scale=0.8 / n * x_max * (1 + k) * (1 + s))
