"""GAN losses (discriminator, generator in both forms, WGAN critic) and the optimal discriminator."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import (
    binary_cross_entropy_with_logits,
    discriminator_loss,
    discriminator_loss_backward,
    generator_loss,
    generator_loss_backward,
    optimal_discriminator,
    wgan_critic_loss,
    wgan_critic_loss_backward,
)
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)
batches = arrays(np.float64, st.integers(1, 12), elements=finite)


# ---------------------------------------------------------------- hand-checked values
def test_hand_values() -> None:
    # logit ln 3 is D = sigmoid(ln 3) = 3/4. Real at ln 3, fake at -ln 3 (D = 1/4):
    # -log(3/4) - log(1 - 1/4) = 2 log(4/3)
    r, f = [math.log(3)], [-math.log(3)]
    assert math.isclose(discriminator_loss(r, f), 2 * math.log(4 / 3), rel_tol=1e-15)
    # gradients: sigmoid(ln 3) - 1 = -1/4 for the real logit, sigmoid(-ln 3) = 1/4 for the fake one
    d_real, d_fake = discriminator_loss_backward(1.0, r, f)
    np.testing.assert_allclose(d_real, [-0.25], rtol=1e-15)
    np.testing.assert_allclose(d_fake, [0.25], rtol=1e-15)
    # generator at D(G(z)) = 1/4: non-saturating -log(1/4) = ln 4, gradient (1/4 - 1) = -3/4;
    # minimax log(1 - 1/4) = -log(4/3), gradient -1/4
    assert math.isclose(generator_loss(f), math.log(4), rel_tol=1e-15)
    assert math.isclose(generator_loss(f, non_saturating=False), -math.log(4 / 3), rel_tol=1e-15)
    np.testing.assert_allclose(generator_loss_backward(1.0, f), [-0.75], rtol=1e-15)
    np.testing.assert_allclose(generator_loss_backward(1.0, f, non_saturating=False), [-0.25], rtol=1e-15)
    # each batch is averaged on its own: 3 real logits at 0 and 1 fake at 0 is still ln 2 + ln 2
    assert math.isclose(discriminator_loss(np.zeros(3), np.zeros(1)), 2 * math.log(2), rel_tol=1e-15)
    # WGAN: mean(fake) - mean(real) = (1 + 2) / 2 - (4 + 6 + 8) / 3 = 1.5 - 6
    assert wgan_critic_loss([4.0, 6.0, 8.0], [1.0, 2.0]) == -4.5
    d_real, d_fake = wgan_critic_loss_backward(2.0, [4.0, 6.0, 8.0], [1.0, 2.0])
    np.testing.assert_array_equal(d_real, np.full(3, -2 / 3))
    np.testing.assert_array_equal(d_fake, [1.0, 1.0])
    # D* = p / (p + q): 0.2 / (0.2 + 0.6) = 1/4; 1 where only the data has mass
    np.testing.assert_allclose(optimal_discriminator([0.2, 0.5], [0.6, 0.0]), [0.25, 1.0], rtol=1e-15)


def test_the_paper_s_saturation() -> None:
    # Goodfellow et al. (2014), section 3: early in training D rejects the fakes, D(G(z)) ~ 0.
    # A logit of -20 is D = 2e-9: the minimax gradient is -D / N (vanishing), the non-saturating
    # one -(1 - D) / N (full strength). Both push the fake logit up.
    z = np.array([-20.0])
    minimax = generator_loss_backward(1.0, z, non_saturating=False)[0]
    ns = generator_loss_backward(1.0, z)[0]
    assert -3e-9 < minimax < 0 and math.isclose(ns, -1.0, rel_tol=1e-8)


# ---------------------------------------------------------------- properties
@given(batches, batches)
@settings(max_examples=40)
def test_equals_two_binary_cross_entropies(real: np.ndarray, fake: np.ndarray) -> None:
    expected = binary_cross_entropy_with_logits(real, np.ones_like(real)) + binary_cross_entropy_with_logits(
        fake, np.zeros_like(fake)
    )
    scale = max(np.max(np.abs(real)), np.max(np.abs(fake)), 1.0)
    np.testing.assert_allclose(discriminator_loss(real, fake), expected, rtol=1e-14, atol=1e-14 * scale)
    # the non-saturating generator loss is the discriminator's loss on the fakes with the label flipped
    np.testing.assert_allclose(generator_loss(fake), binary_cross_entropy_with_logits(fake, np.ones_like(fake)),
                               rtol=1e-14, atol=1e-14 * scale)
    np.testing.assert_allclose(generator_loss(fake, non_saturating=False),
                               -binary_cross_entropy_with_logits(fake, np.zeros_like(fake)),
                               rtol=1e-14, atol=1e-14 * scale)


@given(batches)
@settings(max_examples=40)
def test_signs_and_the_logit_identity(fake: np.ndarray) -> None:
    # softplus(-z) - softplus(z) = -z: the two generator losses differ by the mean logit
    ns, mm = generator_loss(fake), generator_loss(fake, non_saturating=False)
    assert ns >= 0 and mm <= 0
    np.testing.assert_allclose(ns + mm, -np.mean(fake), rtol=1e-12, atol=1e-12 * max(1.0, np.max(np.abs(fake))))
    # both gradients point the same way (raise the fake logits); magnitudes (1 - D) and D sum to 1 / N
    g_ns, g_mm = generator_loss_backward(1.0, fake), generator_loss_backward(1.0, fake, non_saturating=False)
    assert np.all(g_ns <= 0) and np.all(g_mm <= 0)
    np.testing.assert_allclose(g_ns + g_mm, -1.0 / fake.size, rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@given(real=batches, fake=batches)
@settings(max_examples=25)
def test_stable_up_to_1e4(dtype, real: np.ndarray, fake: np.ndarray) -> None:
    real, fake = real.astype(dtype), fake.astype(dtype)
    values = [
        discriminator_loss(real, fake), *discriminator_loss_backward(1.0, real, fake),
        generator_loss(fake), generator_loss_backward(1.0, fake),
        generator_loss(fake, non_saturating=False), generator_loss_backward(1.0, fake, non_saturating=False),
        wgan_critic_loss(real, fake), *wgan_critic_loss_backward(1.0, real, fake),
    ]
    for v in values:
        assert v.dtype == dtype and np.all(np.isfinite(v))


def test_infinite_logits_give_the_limits() -> None:
    inf = np.inf
    # certain and right: 0; certain and wrong: inf (the BCE's limits, not NaN)
    assert discriminator_loss([inf], [-inf]) == 0.0
    assert discriminator_loss([-inf], [-inf]) == inf and discriminator_loss([inf], [inf]) == inf
    assert generator_loss([inf]) == 0.0 and generator_loss([-inf], non_saturating=False) == 0.0
    assert generator_loss([inf], non_saturating=False) == -inf
    np.testing.assert_array_equal(discriminator_loss_backward(1.0, [inf], [-inf]), ([0.0], [0.0]))
    assert np.isnan(discriminator_loss([np.nan], [0.0])) and np.isnan(generator_loss([np.nan]))


@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(0, 1e4)), st.data())
@settings(max_examples=40)
def test_optimal_discriminator_is_symmetric_and_in_0_1(p: np.ndarray, data) -> None:
    q = data.draw(arrays(np.float64, p.shape, elements=st.floats(0, 1e4)))
    d = optimal_discriminator(p, q)
    assert np.all((d >= 0) & (d <= 1))
    # swapping the roles of data and generator turns D* into 1 - D*
    np.testing.assert_allclose(optimal_discriminator(q, p), 1 - d, atol=1e-15)
    # equal densities: D* = 1/2 (the generator has won)
    np.testing.assert_array_equal(optimal_discriminator(p, p), np.full(p.shape, 0.5))


def test_optimal_discriminator_extremes() -> None:
    # densities near the top of the float range: p + q would overflow, the ratio does not
    np.testing.assert_array_equal(optimal_discriminator([1e308, 1e308, 5e-324], [1e308, 1.0, 0.0]), [0.5, 1.0, 1.0])
    d = optimal_discriminator(np.array([3.0, 0.0], np.float32), np.array([1.0, 0.0], np.float32))
    assert d.dtype == np.float32 and d.tolist() == [0.75, 0.5]
    assert np.isnan(optimal_discriminator([np.nan], [1.0])[0])


def test_optimal_discriminator_maximises_the_value_pointwise() -> None:
    # an exhaustive search: on each point, p log D + q log(1 - D) over a fine grid of D never
    # beats D*, and the grid's best D is within one grid step of D*
    rng = np.random.default_rng(0)
    p, q = rng.random(50), rng.random(50)
    grid = np.linspace(1e-4, 1 - 1e-4, 20001)
    values = p[:, None] * np.log(grid) + q[:, None] * np.log1p(-grid)
    d = optimal_discriminator(p, q)
    best = p * np.log(d) + q * np.log1p(-d)
    assert np.all(values.max(axis=1) <= best + 1e-12)
    np.testing.assert_allclose(grid[values.argmax(axis=1)], d, atol=grid[1] - grid[0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_value_at_d_star_is_the_jensen_shannon_identity(dtype) -> None:
    # Goodfellow et al. (2014), Theorem 1: V(D*, G) = -log 4 + 2 JS(p_data || p_g), natural logs.
    # scipy's jensenshannon returns the distance, the square root of the divergence.
    distance = require("scipy.spatial.distance")
    rng = np.random.default_rng(1)
    for k in (2, 5, 40):
        p, q = rng.random(k) ** 3, rng.random(k) ** 3
        p[0] = 0.0  # a point only the generator reaches: log D* = log 0 has weight p = 0
        p, q = (p / p.sum()).astype(dtype), (q / q.sum()).astype(dtype)
        d = optimal_discriminator(p, q)
        on_p, on_q = p > 0, q > 0
        value = np.sum(p[on_p] * np.log(d[on_p])) + np.sum(q[on_q] * np.log1p(-d[on_q]))
        js = distance.jensenshannon(p.astype(np.float64), q.astype(np.float64)) ** 2
        # a sum of k terms of size <= log 4 each, rounded in the dtype: a few ulps of log 4 per term
        assert_matches(value, -math.log(4) + 2 * js, dtype, ulps=4 * k, scale=math.log(4))


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"real_logits must not be empty .*shape \(0,\)"):
        discriminator_loss(np.zeros(0), [0.0])
    with pytest.raises(ValueError, match=r"fake_logits must not be empty .*shape \(2, 0\)"):
        discriminator_loss_backward(1.0, [0.0], np.zeros((2, 0)))
    with pytest.raises(ValueError, match="fake_logits must not be empty"):
        generator_loss([])
    with pytest.raises(ValueError, match="real_scores must not be empty"):
        wgan_critic_loss([], [1.0])
    with pytest.raises(TypeError, match="fake_logits must be real-valued"):
        generator_loss(np.array([1j]))
    with pytest.raises(TypeError, match="non_saturating must be a bool, got int"):
        generator_loss([0.0], non_saturating=0)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(\)"):
        generator_loss_backward(np.ones(2), [0.0, 0.0])
    with pytest.raises(ValueError, match=r"p_g must have the same shape as p_data.*\(2,\).*\(3,\)"):
        optimal_discriminator([0.1, 0.2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="p_data must hold finite non-negative densities, found -0.1"):
        optimal_discriminator([-0.1], [0.2])
    with pytest.raises(ValueError, match="p_g must hold finite non-negative densities, found inf"):
        optimal_discriminator([0.1], [np.inf])


# ---------------------------------------------------------------- PyTorch
def _logits(dtype) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    real = np.concatenate([rng.normal(size=150) * 20, EXTREMES]).astype(dtype)
    fake = np.concatenate([rng.normal(size=90) * 20, EXTREMES[::-1]]).astype(dtype)
    return real, fake


@pytest.mark.parametrize("dtype", DTYPES)
def test_discriminator_loss_matches_torch(dtype) -> None:
    torch = require("torch")
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    real, fake = _logits(dtype)
    ref, (g_real, g_fake) = torch_forward_backward(
        lambda r, f: bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f)), [real, fake], np.array(1.5), wrt=[0, 1]
    )
    # two means of terms as large as max|logit| = 1e4: rounding relative to that size
    assert_matches(discriminator_loss(real, fake), ref, dtype, scale=1e4)
    d_real, d_fake = discriminator_loss_backward(1.5, real, fake)
    assert_matches(d_real, g_real, dtype)
    assert_matches(d_fake, g_fake, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("non_saturating", [True, False])
def test_generator_loss_matches_torch(dtype, non_saturating) -> None:
    torch = require("torch")
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    _, fake = _logits(dtype)
    if non_saturating:
        fn = lambda f: bce(f, torch.ones_like(f))  # noqa: E731
    else:
        fn = lambda f: -bce(f, torch.zeros_like(f))  # noqa: E731
    ref, (grad,) = torch_forward_backward(fn, [fake], np.array(-0.5), wrt=[0])
    assert_matches(generator_loss(fake, non_saturating=non_saturating), ref, dtype, scale=1e4)
    assert_matches(generator_loss_backward(-0.5, fake, non_saturating=non_saturating), grad, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_wgan_critic_loss_matches_torch(dtype) -> None:
    torch = require("torch")
    real, fake = _logits(dtype)
    ref, (g_real, g_fake) = torch_forward_backward(
        lambda r, f: f.mean() - r.mean(), [real, fake], np.array(2.0), wrt=[0, 1]
    )
    # two means of numbers up to 1e4 in magnitude: rounding relative to that size
    assert_matches(wgan_critic_loss(real, fake), ref, dtype, scale=1e4)
    d_real, d_fake = wgan_critic_loss_backward(2.0, real, fake)
    assert_matches(d_real, g_real, dtype)
    assert_matches(d_fake, g_fake, dtype)
