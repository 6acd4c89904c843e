"""rmsprop_step: hand values, the functional-state contract, properties (scale invariance, the
sign-like first step), stability, bad input, and torch.optim.RMSprop step by step."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import rmsprop_step
from tests.optimization.torch_steps import assert_state_matches, steps_against_torch
from tests.reference import DTYPES, EXTREMES

finite = st.floats(-1e4, 1e4, allow_nan=False)


# ---------------------------------------------------------------- hand-checked values
def test_two_steps_by_hand() -> None:
    # alpha = 0.5, eps = 0. Step 1: v = 0.5 * 4 = 2, p = 1 - 0.1 * 2 / sqrt(2) = 1 - 0.1 sqrt(2)
    # Step 2 (g = 0): v = 1, the step is 0 - the RMS only scales gradients, it never moves alone
    p, s = rmsprop_step([1.0], [2.0], {}, lr=0.1, alpha=0.5, eps=0.0)
    assert math.isclose(p[0], 1 - 0.1 * math.sqrt(2), rel_tol=1e-15) and s["square_avg"][0] == 2.0
    p2, s2 = rmsprop_step(p, [0.0], s, lr=0.1, alpha=0.5, eps=0.0)
    assert p2[0] == p[0] and s2["square_avg"][0] == 1.0 and s2["step"] == 2


def test_centered_and_momentum_by_hand() -> None:
    # alpha = 0.5, g = 2: v = 2, mean = 1, v - mean^2 = 1, so the step is 0.1 * 2 / 1 = 0.2;
    # with momentum the buffer is g / avg = 2 on the first step (from 0)
    p, s = rmsprop_step([1.0], [2.0], {}, lr=0.1, alpha=0.5, eps=0.0, centered=True, momentum=0.9)
    np.testing.assert_allclose(p, [0.8], rtol=1e-15)
    assert s["grad_avg"][0] == 1.0 and s["momentum_buffer"][0] == 2.0
    # second step, g = 2 again: v = 3, mean = 1.5, var = 0.75; buf = 0.9 * 2 + 2 / sqrt(0.75)
    p, s = rmsprop_step(p, [2.0], s, lr=0.1, alpha=0.5, eps=0.0, centered=True, momentum=0.9)
    np.testing.assert_allclose(s["momentum_buffer"], [1.8 + 2 / math.sqrt(0.75)], rtol=1e-15)
    np.testing.assert_allclose(p, [0.8 - 0.1 * (1.8 + 2 / math.sqrt(0.75))], rtol=1e-15)


def test_state_is_functional_and_keys_are_documented() -> None:
    param, grad = np.array([1.0, -2.0]), np.array([0.3, 0.1])
    for a in (param, grad):
        a.setflags(write=False)
    state: dict = {}
    p1, s1 = rmsprop_step(param, grad, state, momentum=0.5, centered=True)
    assert state == {} and set(s1) == {"step", "square_avg", "grad_avg", "momentum_buffer"}
    before = {k: np.copy(v) for k, v in s1.items()}
    rmsprop_step(p1, grad, s1, momentum=0.5, centered=True)
    for k in s1:
        np.testing.assert_array_equal(s1[k], before[k])
    assert set(rmsprop_step(param, grad, {})[1]) == {"step", "square_avg"}


def test_dtypes_and_nan() -> None:
    p, s = rmsprop_step(np.ones(2, np.float32), [1.0, 2.0], {}, momentum=0.9, centered=True)
    assert p.dtype == s["square_avg"].dtype == s["grad_avg"].dtype == s["momentum_buffer"].dtype == np.float32
    assert rmsprop_step([1, 2], [1, 1], {})[0].dtype == np.float64
    p, _ = rmsprop_step([1.0, 1.0], [np.nan, 1.0], {})
    assert np.isnan(p[0]) and np.isfinite(p[1])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("centered", [False, True])
def test_stable_at_extreme_inputs(dtype, centered: bool) -> None:
    # gradients up to 1e4 square to 1e8: far from float32's overflow; steps stay finite, no warning
    rng = np.random.default_rng(0)
    p, s = EXTREMES.astype(dtype), {}
    for _ in range(50):
        g = (EXTREMES * rng.choice([-1.0, 1.0], size=EXTREMES.size)).astype(dtype)
        p, s = rmsprop_step(p, g, s, lr=1e-3, momentum=0.9, weight_decay=1e-4, centered=centered)
    assert p.dtype == dtype and np.all(np.isfinite(p))


# ---------------------------------------------------------------- properties
@given(arrays(np.float64, st.integers(1, 6), elements=st.floats(0.01, 100)), st.floats(0.1, 1e3), st.floats(0.0, 0.999))
def test_first_step_has_length_lr_over_sqrt_one_minus_alpha(g: np.ndarray, c: float, alpha: float) -> None:
    # v = (1 - alpha) g^2, so with eps = 0 the first step is lr * sign(g) / sqrt(1 - alpha):
    # the same for every coordinate, whatever its gradient's size (c rescales g)
    p, _ = rmsprop_step(np.zeros_like(g), c * g, {}, lr=0.01, alpha=alpha, eps=0.0)
    np.testing.assert_allclose(p, -0.01 / math.sqrt(1 - alpha), rtol=1e-12)


@given(arrays(np.float64, (6, 3), elements=st.floats(1e-3, 10)), st.data(), st.floats(1e-3, 1e3))
def test_invariant_to_rescaling_the_loss(grads: np.ndarray, data, c: float) -> None:
    grads = grads * data.draw(arrays(np.float64, grads.shape, elements=st.sampled_from([-1.0, 1.0])))  # |g| >= 1e-3: g^2 is normal
    # with eps = 0, multiplying every gradient by c > 0 multiplies sqrt(v) by c too: same steps
    p, q, s, t = np.zeros(3), np.zeros(3), {}, {}
    for g in grads:
        p, s = rmsprop_step(p, g, s, lr=0.01, eps=0.0)
        q, t = rmsprop_step(q, c * g, t, lr=0.01, eps=0.0)
    np.testing.assert_allclose(p, q, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("config", [dict(), dict(centered=True), dict(momentum=0.9), dict(centered=True, momentum=0.5)],
                         ids=["plain", "centered", "momentum", "centered-momentum"])
def test_eps_zero_and_underflowing_gradients_give_finite_steps(dtype, config: dict) -> None:
    # |g| = 1e-200 (float64) or 1e-25 (float32): (1 - alpha) g^2 underflows to 0, and with the
    # documented eps = 0 the step used to be g / 0 = -inf (PyTorch gives -inf too, NaN for g = 0)
    tiny = 1e-200 if dtype == np.float64 else 1e-25
    g = np.array([tiny, -tiny, 0.0, 1.0], dtype=dtype)
    p, s = rmsprop_step(np.ones(4, dtype), g, {}, lr=0.1, alpha=0.75, eps=0.0, **config)
    # step 1 is the same for every non-zero gradient, whatever its size: lr sign(g) / sqrt(1 - alpha)
    # plain (= 0.2), and lr sign(g) / sqrt((1 - alpha) alpha) centered; no gradient, no step
    step = 0.1 / math.sqrt(0.25 * (0.75 if config.get("centered") else 1.0))
    assert p.dtype == dtype
    np.testing.assert_allclose(p, [1 - step, 1 + step, 1.0, 1 - step], rtol=4 * np.finfo(dtype).eps)
    for k in range(2, 8):
        p, s = rmsprop_step(p, g * k, s, lr=0.1, alpha=0.75, eps=0.0, **config)
        assert np.all(np.isfinite(p))


def test_state_is_validated() -> None:
    with pytest.raises(TypeError, match=r"state\['step'\] must be an integer, got str"):
        rmsprop_step([1.0], [1.0], {"step": "1"})
    with pytest.raises(ValueError, match=r"state\['step'\] must be an integer >= 0, got -2"):
        rmsprop_step([1.0], [1.0], {"step": -2, "square_avg": [1.0]})
    with pytest.raises(ValueError, match="state has step = 2 but no 'square_avg'"):
        rmsprop_step([1.0], [1.0], {"step": 2})
    with pytest.raises(ValueError, match=r"state\['square_avg'\] .* cannot be negative, found -0.5"):
        rmsprop_step([1.0], [1.0], {"step": 1, "square_avg": [-0.5]})


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"grad must have the same shape as param: param has shape \(1,\), grad has shape \(2,\)"):
        rmsprop_step([1.0], [1.0, 2.0], {})
    with pytest.raises(ValueError, match=r"alpha must be a finite number in \[0, 1\], got 1.5"):
        rmsprop_step([1.0], [1.0], {}, alpha=1.5)
    with pytest.raises(ValueError, match="eps must be a finite number >= 0"):
        rmsprop_step([1.0], [1.0], {}, eps=-1e-8)
    with pytest.raises(TypeError, match="centered must be a bool"):
        rmsprop_step([1.0], [1.0], {}, centered="yes")
    with pytest.raises(ValueError, match=r"state\['square_avg'\] must have the shape of param \(1,\), got \(2,\)"):
        rmsprop_step([1.0], [1.0], {"step": 1, "square_avg": np.ones(2)})
    with pytest.raises(TypeError, match="state must be a dict"):
        rmsprop_step([1.0], [1.0], [])


# ---------------------------------------------------------------- PyTorch, step by step
CONFIGS = [
    dict(),
    dict(lr=0.001, alpha=0.9),
    dict(lr=0.01, weight_decay=0.1, eps=1e-6),
    dict(lr=0.01, momentum=0.9),
    dict(lr=0.003, centered=True),
    dict(lr=0.01, alpha=0.95, momentum=0.5, centered=True, weight_decay=0.01),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()) or "defaults")
@pytest.mark.parametrize("source", ["random", "quadratic"])
def test_matches_torch_rmsprop_every_step(dtype, config: dict, source: str) -> None:
    # our operations are torch's, in torch's order (addcmul, addcdiv, lerp); what is left is
    # torch's fused multiply-adds, which the harness's running-max scale covers (torch_steps.py)
    for state, ref_state in steps_against_torch("RMSprop", rmsprop_step, config, dtype, source):
        assert_state_matches(state, ref_state, ("square_avg", "grad_avg", "momentum_buffer"), dtype)
