"""gumbel_softmax / gumbel_softmax_backward / gumbel_max_sample: hand values, properties, stability,
bad input, PyTorch (values, gradients, hard-mode semantics) and sampling frequencies (scipy)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from snippets import gumbel_max_sample, gumbel_softmax, gumbel_softmax_backward, softmax
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)
noise = st.floats(-5, 40, allow_nan=False)  # where Gumbel(0, 1) draws land (P(G > 40) ~ 4e-18)


def test_hand_checked_values() -> None:
    # logits (1, 2) + noise (1, 0) = (2, 2): equal scores, (1/2, 1/2)
    np.testing.assert_allclose(gumbel_softmax([1.0, 2.0], gumbels=[1.0, 0.0]), [0.5, 0.5], rtol=1e-15)
    # (0, 0) + (ln 3, 0) at tau = 1/2: softmax(2 ln 3, 0) = (9, 1) / 10
    np.testing.assert_allclose(gumbel_softmax([0.0, 0.0], tau=0.5, gumbels=[math.log(3), 0.0]), [0.9, 0.1], rtol=1e-15)
    # hard: scores (2, 1, 0.5) -> one-hot of the first, exactly
    np.testing.assert_array_equal(gumbel_softmax([0.0, 1.0, 0.5], hard=True, gumbels=[2.0, 0.0, 0.0]), [1.0, 0.0, 0.0])
    # backward at y = (1/2, 1/2), tau = 2, g = (1, 0): y (g - g.y) / tau = (1/2 * 1/2, -1/2 * 1/2) / 2
    np.testing.assert_allclose(
        gumbel_softmax_backward([1.0, 0.0], [1.0, 2.0], tau=2.0, gumbels=[1.0, 0.0]), [0.125, -0.125], rtol=1e-15
    )
    # the straight-through gradient of the hard sample is the soft one
    np.testing.assert_array_equal(
        gumbel_softmax_backward([1.0, 0.0], [1.0, 2.0], tau=2.0, hard=True, gumbels=[1.0, 0.0]), [0.125, -0.125]
    )


def test_axis_shapes_and_seeds() -> None:
    logits = np.arange(24.0).reshape(2, 3, 4) / 10
    y = gumbel_softmax(logits, axis=1, rng=np.random.default_rng(0))
    assert y.shape == (2, 3, 4)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-15)
    # the same seed gives the same sample; the noise is what rng.gumbel draws
    again = gumbel_softmax(logits, axis=1, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(y, again)
    g = np.random.default_rng(0).gumbel(size=logits.shape)
    np.testing.assert_allclose(gumbel_softmax(logits, axis=1, gumbels=g), y, rtol=1e-15)
    hard = gumbel_softmax(logits, hard=True, axis=1, gumbels=g)
    np.testing.assert_array_equal(hard.sum(axis=1), 1.0)
    np.testing.assert_array_equal(np.argmax(hard, axis=1), np.argmax(logits + g, axis=1))
    assert gumbel_softmax(2.0, gumbels=0.5) == 1.0  # one category: probability 1
    assert gumbel_max_sample(np.zeros((5, 0, 2)) - 1, axis=0, rng=np.random.default_rng(0)).shape == (0, 2)


@given(arrays(np.float64, array_shapes(min_dims=1, max_dims=2, max_side=6), elements=finite), st.data())
def test_simplex_and_temperature_limits(logits: np.ndarray, data) -> None:
    g = data.draw(arrays(np.float64, logits.shape, elements=noise))
    tau = data.draw(st.floats(0.05, 20))
    y = gumbel_softmax(logits, tau=tau, gumbels=g)
    assert np.all(y >= 0)
    np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=1e-12)
    # the soft sample is softmax((logits + g) / tau); its argmax is the hard sample's 1
    np.testing.assert_allclose(y, softmax((logits + g) / tau), atol=1e-12)
    hard = gumbel_softmax(logits, tau=tau, hard=True, gumbels=g)
    np.testing.assert_array_equal(np.argmax(hard, axis=-1), np.argmax(y, axis=-1))
    # tau -> 0 gives the hard sample itself (gaps of scores >= 1e-3 at tau = 1e-6: exp(-1000) = 0)
    s = np.sort(logits + g, axis=-1)
    if s.shape[-1] == 1 or np.all(s[..., -1] - s[..., -2] > 1e-3):
        np.testing.assert_array_equal(gumbel_softmax(logits, tau=1e-6, gumbels=g), hard)


@pytest.mark.parametrize("dtype", DTYPES)
@given(logits=arrays(np.float64, array_shapes(min_dims=1, max_dims=2, max_side=6), elements=finite),
       tau=st.sampled_from([1e-3, 0.1, 1.0, 1e3]))
def test_stable_up_to_1e4(dtype, logits: np.ndarray, tau: float) -> None:
    x = logits.astype(dtype)
    g = np.random.default_rng(0).gumbel(size=x.shape).astype(dtype)
    for y in (gumbel_softmax(x, tau=tau, gumbels=g), gumbel_softmax(x, tau=tau, hard=True, gumbels=g),
              gumbel_softmax_backward(np.ones_like(x), x, tau=tau, gumbels=g)):
        assert y.dtype == dtype and np.all(np.isfinite(y))
    # a tiny temperature sends the scores to -inf, whose exp is 0: no overflow warning; the
    # gradient, at most |g| / (2 tau), stays finite down to tau = 1e-30 even in float32
    assert np.all(np.isfinite(gumbel_softmax(x, tau=1e-300, gumbels=g)))
    assert np.all(np.isfinite(gumbel_softmax_backward(np.ones_like(x), x, tau=1e-30, gumbels=g)))


def test_nan_poisons_its_slice_only() -> None:
    for hard in (False, True):
        y = gumbel_softmax([[np.nan, 0.0], [1.0, 1.0]], hard=hard, gumbels=np.zeros((2, 2)))
        assert np.all(np.isnan(y[0])) and not np.any(np.isnan(y[1]))


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="tau must be a finite number > 0, got 0"):
        gumbel_softmax([1.0, 2.0], tau=0.0)
    with pytest.raises(ValueError, match=r"gumbels must have the same shape as logits: .*\(3,\).*\(2,\)"):
        gumbel_softmax([1.0, 2.0, 3.0], gumbels=[0.0, 0.0])
    with pytest.raises(TypeError, match="hard must be a bool"):
        gumbel_softmax([1.0, 2.0], hard=1)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        gumbel_softmax([1.0, 2.0], rng=0)
    with pytest.raises(ValueError, match=r"at least one category along axis 1, got shape \(2, 0\)"):
        gumbel_softmax(np.zeros((2, 0)))
    with pytest.raises(ValueError, match="gumbels must be given to gumbel_softmax_backward"):
        gumbel_softmax_backward([1.0, 0.0], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"grad_out must have the shape .*\(2,\)"):
        gumbel_softmax_backward([1.0], [1.0, 2.0], gumbels=[0.0, 0.0])
    with pytest.raises(ValueError, match="logits must not be NaN or \\+inf .* found nan"):
        gumbel_max_sample([np.nan, 0.0])
    with pytest.raises(ValueError, match="logits along axis 0 must not all be -inf"):
        gumbel_max_sample([-np.inf, -np.inf])
    with pytest.raises(TypeError, match="logits must be real-valued"):
        gumbel_softmax(np.array([1j, 0]))


def extreme_logits(dtype, rng: np.random.Generator) -> np.ndarray:
    x = rng.normal(size=(10, len(EXTREMES))) * rng.choice([1, 10, 1000], size=(10, 1))
    x[0] = EXTREMES
    x[1] = EXTREMES[::-1]
    x[2, 3] = 1e4
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("tau", [0.1, 1.0, 10.0])
@pytest.mark.parametrize("axis", [-1, 0])
def test_soft_sample_and_gradient_match_torch(dtype, tau: float, axis: int) -> None:
    torch = require("torch")
    rng = np.random.default_rng(5)
    x = extreme_logits(dtype, rng)
    g = rng.gumbel(size=x.shape).astype(dtype)
    grad_out = rng.normal(size=x.shape).astype(dtype)
    ref_y, (ref_dx,) = torch_forward_backward(
        lambda t: torch.softmax((t + torch.tensor(g)) / tau, dim=axis), [x], grad_out, wrt=[0]
    )
    # PyTorch rounds a = (x + g) / tau before subtracting the max (ours subtracts first): each
    # exponent a_i - a_max carries an absolute error up to delta = eps * max|a| (two roundings of
    # eps / 2 * max|a|), which moves p_i by at most p_i (1 - p_i) delta <= delta / 4; plus a few eps
    # of softmax's own rounding on both sides
    max_a = float(np.max(np.abs((x.astype(np.float64) + g) / tau)))
    assert_matches(gumbel_softmax(x, tau=tau, gumbels=g, axis=axis), ref_y, dtype, ulps=1, scale=max_a / 4 + 8)
    # the gradient p (grad_out - sum grad_out p) / tau: the p errors above move it by at most
    # max|grad_out| * delta / tau, plus a few eps of max|grad_out| / tau of its own
    ours = gumbel_softmax_backward(grad_out, x, tau=tau, gumbels=g, axis=axis)
    assert_matches(ours, ref_dx, dtype, ulps=1, scale=float(np.max(np.abs(grad_out))) / tau * (max_a + 16))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("tau", [0.5, 1.0, 5.0])
def test_hard_mode_matches_torch_gumbel_softmax(dtype, tau: float) -> None:
    # the real F.gumbel_softmax, with its own noise: drawing -log(Exp(1)) after the same seed
    # reproduces that noise, which is then handed to ours as `gumbels`
    torch = require("torch")
    x = np.random.default_rng(6).normal(size=(20, 7)).astype(dtype) * 3
    grad_out = np.random.default_rng(7).normal(size=x.shape).astype(dtype)
    torch.manual_seed(0)
    g = (-torch.empty_like(torch.tensor(x)).exponential_().log()).numpy()
    torch.manual_seed(0)
    ref_y, (ref_dx,) = torch_forward_backward(
        lambda t: torch.nn.functional.gumbel_softmax(t, tau=tau, hard=True, dim=-1), [x], grad_out, wrt=[0]
    )
    ours = gumbel_softmax(x, tau=tau, hard=True, gumbels=g)
    # PyTorch's y_hard - y_soft + y_soft is one-hot up to one rounding of y_soft (<= 1): eps
    assert_matches(ours, ref_y, dtype, ulps=1)
    assert np.all((ours == 0) | (ours == 1))  # ours is exactly one-hot
    # the straight-through gradient is the soft gradient; O(1) scores, rows of 7 terms
    assert_matches(gumbel_softmax_backward(grad_out, x, tau=tau, hard=True, gumbels=g), ref_dx, dtype,
                   scale=4 * float(np.max(np.abs(grad_out))) / tau)


def test_gumbel_max_frequencies_match_softmax() -> None:
    # 40 000 draws of 5 categories: a chi-squared goodness-of-fit test against softmax(logits);
    # the seed is fixed, so the p-value is a fixed number, far from a rejection at 1e-3
    stats = require("scipy.stats")
    logits = np.array([1.0, 0.0, -1.0, 2.0, -np.inf])
    p = softmax(logits)
    draws = gumbel_max_sample(np.tile(logits, (40_000, 1)), rng=np.random.default_rng(0))
    counts = np.bincount(draws, minlength=5)
    assert counts[4] == 0  # a -inf logit is never drawn
    result = stats.chisquare(counts[:4], 40_000 * p[:4])
    assert result.pvalue > 1e-3, result
    # the hard Gumbel-softmax sample draws the same categorical distribution, for any tau
    hard = gumbel_softmax(np.tile(logits[:4], (40_000, 1)), tau=3.0, hard=True, rng=np.random.default_rng(1))
    assert stats.chisquare(hard.sum(axis=0), 40_000 * p[:4]).pvalue > 1e-3
