"""adagrad_step: hand values, the functional-state contract, properties (the 1/sqrt(k) decay, scale
invariance, the sign-like first step), stability, bad input, and torch.optim.Adagrad step by step."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import adagrad_step
from tests.optimization.torch_steps import assert_state_matches, steps_against_torch
from tests.reference import DTYPES, EXTREMES, assert_matches, require


# ---------------------------------------------------------------- hand-checked values
def test_two_steps_by_hand() -> None:
    # eps = 0, lr = 0.3. Step 1, g = (3, 4): s = (9, 16), steps 0.3 * 3/3 and 0.3 * 4/4.
    # Step 2, g = (4, 3): s = (25, 25), steps 0.3 * 4/5 = 0.24 and 0.3 * 3/5 = 0.18
    p, s = adagrad_step([1.0, 2.0], [3.0, 4.0], {}, lr=0.3, eps=0.0)
    np.testing.assert_allclose(p, [0.7, 1.7], rtol=1e-15)
    np.testing.assert_array_equal(s["sum"], [9.0, 16.0])
    p, s = adagrad_step(p, [4.0, 3.0], s, lr=0.3, eps=0.0)
    np.testing.assert_allclose(p, [0.7 - 0.24, 1.7 - 0.18], rtol=1e-15)
    assert s["step"] == 2 and set(s) == {"step", "sum"}
    np.testing.assert_array_equal(s["sum"], [25.0, 25.0])


def test_lr_decay_weight_decay_and_initial_accumulator_by_hand() -> None:
    # initial sum 7, g = 3 plus weight decay 0.5 * param 2 = 4: s = 7 + 16 = 23 -> step lr * 4 / sqrt(23)
    p, s = adagrad_step([2.0], [3.0], {}, lr=0.1, weight_decay=0.5, initial_accumulator_value=7.0, eps=0.0)
    np.testing.assert_allclose(p, [2.0 - 0.1 * 4 / math.sqrt(23)], rtol=1e-15)
    # the initial value is read on the first step only: later the state's sum is used
    q, t = adagrad_step(p, [0.0], s, lr=0.1, initial_accumulator_value=1e6, eps=0.0)
    assert t["sum"][0] == 23.0 and q[0] == p[0]
    # lr_decay 1: the rate at step k is lr / k. Three unit gradients, eps = 0: steps 1/1, 1/(2 sqrt 2), 1/(3 sqrt 3)
    p, s = np.zeros(1), {}
    for _ in range(3):
        p, s = adagrad_step(p, [1.0], s, lr=1.0, lr_decay=1.0, eps=0.0)
    np.testing.assert_allclose(p, [-(1 + 1 / (2 * math.sqrt(2)) + 1 / (3 * math.sqrt(3)))], rtol=1e-15)


def test_state_is_functional() -> None:
    param, grad = np.array([1.0, -2.0]), np.array([0.3, 0.1])
    for a in (param, grad):
        a.setflags(write=False)
    state: dict = {}
    p1, s1 = adagrad_step(param, grad, state)
    assert state == {} and set(s1) == {"step", "sum"}
    before = {k: np.copy(v) for k, v in s1.items()}
    adagrad_step(p1, grad, s1)
    for k in s1:
        np.testing.assert_array_equal(s1[k], before[k])
    np.testing.assert_array_equal(param, [1.0, -2.0])


def test_dtypes_and_nan() -> None:
    p, s = adagrad_step(np.ones(2, np.float32), [1.0, 2.0], {}, weight_decay=0.1)
    assert p.dtype == s["sum"].dtype == np.float32
    assert adagrad_step([1, 2], [1, 1], {})[0].dtype == np.float64
    p, _ = adagrad_step([1.0, 1.0], [np.nan, 1.0], {})
    assert np.isnan(p[0]) and math.isclose(p[1], 1 - 0.01 / (1 + 1e-10), rel_tol=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_at_extreme_inputs(dtype) -> None:
    # gradients up to 1e4 add 1e8 per step to the sum: 50 steps stay far below float32's overflow
    rng = np.random.default_rng(0)
    p, s = EXTREMES.astype(dtype), {}
    for _ in range(50):
        g = (EXTREMES * rng.choice([-1.0, 1.0], size=EXTREMES.size)).astype(dtype)
        p, s = adagrad_step(p, g, s, lr=0.1, lr_decay=0.01, weight_decay=1e-2)
    assert p.dtype == dtype and np.all(np.isfinite(p)) and np.all(np.isfinite(s["sum"]))


# ---------------------------------------------------------------- properties
@given(arrays(np.float64, st.integers(1, 6), elements=st.floats(1e-3, 1e3)), st.floats(1e-4, 1.0))
def test_first_step_is_lr_times_the_sign(g: np.ndarray, lr: float) -> None:
    # s = g^2 on the first step, so with eps = 0 every coordinate moves by exactly lr
    sign = np.where(np.arange(g.size) % 2, -1.0, 1.0)
    p, _ = adagrad_step(np.zeros_like(g), sign * g, {}, lr=lr, eps=0.0)
    np.testing.assert_allclose(p, -lr * sign, rtol=1e-15)


@given(st.floats(1e-3, 1e3), st.integers(2, 60))
def test_constant_gradient_steps_shrink_like_one_over_sqrt_k(g: float, k: int) -> None:
    # the same gradient k times: s = k g^2, so step k has length lr / sqrt(k) (Duchi et al.'s decay)
    p, s = np.zeros(1), {}
    for _ in range(k - 1):
        p, s = adagrad_step(p, [g], s, lr=0.1, eps=0.0)
    q, _ = adagrad_step(p, [g], s, lr=0.1, eps=0.0)
    np.testing.assert_allclose(p - q, [0.1 / math.sqrt(k)], rtol=1e-12)


@given(arrays(np.float64, (8, 3), elements=st.floats(1e-3, 10)), st.data(), st.floats(1e-3, 1e3))
def test_invariant_to_rescaling_the_gradients(grads: np.ndarray, data, c: float) -> None:
    grads = grads * data.draw(arrays(np.float64, grads.shape, elements=st.sampled_from([-1.0, 1.0])))
    # with eps = 0 and no initial accumulator, g -> c g scales sqrt(s) by c too: the same steps
    p, q, s, t = np.zeros(3), np.zeros(3), {}, {}
    for g in grads:
        p, s = adagrad_step(p, g, s, lr=0.01, eps=0.0)
        q, t = adagrad_step(q, c * g, t, lr=0.01, eps=0.0)
    np.testing.assert_allclose(p, q, rtol=1e-10, atol=1e-14)


@given(arrays(np.float64, (10, 4), elements=st.floats(-100, 100)))
def test_sum_never_decreases_and_steps_are_bounded_by_lr(grads: np.ndarray) -> None:
    # s only accumulates squares; |g_k| <= sqrt(s_k) so no step exceeds lr (eps >= 0 only shrinks it)
    p, s, old = np.zeros(4), {}, np.zeros(4)
    for g in grads:
        q, s = adagrad_step(p, g, s, lr=0.05)
        assert np.all(s["sum"] >= old) and np.all(np.abs(q - p) <= 0.05 * (1 + 1e-15))
        p, old = q, s["sum"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_eps_zero_and_underflowing_gradients_give_finite_steps(dtype) -> None:
    # |g| = 1e-200 (float64) or 1e-25 (float32): g^2 underflows to 0, and with eps = 0 the step
    # would be g / 0 = inf (PyTorch gives inf too, and NaN for g = 0). The root of the sum is
    # formed in units of |g| instead: the first step is lr * sign(g); no gradient, no step
    tiny = 1e-200 if dtype == np.float64 else 1e-25
    g = np.array([tiny, -tiny, 0.0, 1.0], dtype=dtype)
    p, s = adagrad_step(np.ones(4, dtype), g, {}, lr=0.1, eps=0.0)
    assert p.dtype == dtype
    np.testing.assert_allclose(p, [0.9, 1.1, 1.0, 0.9], rtol=4 * np.finfo(dtype).eps)
    for k in range(2, 8):
        # the underflowed squares are gone from the state (s = 0 there), so each later tiny step
        # is lr * sign(g) again, while the normal coordinate's step is lr * k / sqrt(sum j^2)
        q, s = adagrad_step(p, g * k, s, lr=0.1, eps=0.0)
        assert np.all(np.isfinite(q))
        np.testing.assert_allclose((q - p)[:3], [-0.1, 0.1, 0.0], rtol=8 * np.finfo(dtype).eps)
        expected = 0.1 * k / math.sqrt(sum(j * j for j in range(1, k + 1)))
        np.testing.assert_allclose(p[3] - q[3], expected, rtol=16 * np.finfo(dtype).eps)
        p = q


def test_state_is_validated() -> None:
    cases = [
        ({"step": "a"}, TypeError, r"state\['step'\] must be an integer, got str"),
        ({"step": -1}, ValueError, r"state\['step'\] must be an integer >= 0, got -1"),
        ({"step": 3}, ValueError, r"state has step = 3 but no 'sum'"),
        ({"step": 1, "sum": [-1.0]}, ValueError, r"state\['sum'\] .* cannot be negative, found -1.0"),
        ({"step": 1, "sum": [1.0, 2.0]}, ValueError, r"state\['sum'\] must have the shape of param \(1,\), got \(2,\)"),
    ]
    for state, error, match in cases:
        with pytest.raises(error, match=match):
            adagrad_step([1.0], [1.0], state)


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"grad must have the same shape as param"):
        adagrad_step([1.0], [1.0, 2.0], {})
    with pytest.raises(ValueError, match=re.escape("lr_decay must be a finite number >= 0, got -0.1")):
        adagrad_step([1.0], [1.0], {}, lr_decay=-0.1)
    with pytest.raises(ValueError, match="initial_accumulator_value must be a finite number >= 0"):
        adagrad_step([1.0], [1.0], {}, initial_accumulator_value=-1.0)
    with pytest.raises(ValueError, match="lr must be a finite number >= 0"):
        adagrad_step([1.0], [1.0], {}, lr=np.inf)
    with pytest.raises(TypeError, match="eps must be a real number"):
        adagrad_step([1.0], [1.0], {}, eps="1e-10")
    with pytest.raises(TypeError, match="state must be a dict"):
        adagrad_step([1.0], [1.0], None)
    with pytest.raises(TypeError, match="grad"):
        adagrad_step([1.0], [1j], {})


# ---------------------------------------------------------------- PyTorch, step by step
CONFIGS = [
    dict(),
    dict(lr=0.1, lr_decay=0.01),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.1, initial_accumulator_value=0.5, eps=1e-8),
    dict(lr=0.3, lr_decay=0.1, weight_decay=0.01, initial_accumulator_value=0.1, eps=0.0),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()) or "defaults")
@pytest.mark.parametrize("source", ["random", "quadratic"])
def test_matches_torch_adagrad_every_step(dtype, config: dict, source: str) -> None:
    # the same operations in torch's order (addcmul into the sum, sqrt + eps, addcdiv with -clr,
    # clr in Python floats); what is left is torch's fused multiply-adds, which the harness's
    # running-max scale covers (tests/optimization/torch_steps.py), 150 steps
    for state, ref_state in steps_against_torch("Adagrad", adagrad_step, config, dtype, source):
        assert_state_matches(state, ref_state, ("sum",), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch_on_extreme_gradients(dtype) -> None:
    # EXTREMES as gradients (|g| from 0 and 1e-8 to 1e4), with random signs, 30 steps from EXTREMES:
    # each step is one rounding of g / sqrt(s) times lr, so the default 8 ulps of max |p| hold
    torch = require("torch")
    rng = np.random.default_rng(1)
    p = EXTREMES.astype(dtype)
    t = torch.tensor(p.copy(), requires_grad=True)
    opt = torch.optim.Adagrad([t], lr=0.5, weight_decay=1e-3)
    s: dict = {}
    for _ in range(30):
        g = (EXTREMES * rng.choice([-1.0, 1.0], size=EXTREMES.size)).astype(dtype)
        t.grad = torch.tensor(g)
        opt.step()
        p, s = adagrad_step(p, g, s, lr=0.5, weight_decay=1e-3)
        assert_matches(p, t.detach().numpy(), dtype, scale=1e4)
        assert_matches(s["sum"], opt.state[t]["sum"].numpy(), dtype, scale=float(np.max(s["sum"])))
