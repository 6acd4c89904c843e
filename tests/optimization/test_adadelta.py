"""adadelta_step: hand values, the functional-state contract, properties (units, the sqrt(eps) start,
the fixed point of a constant gradient), stability, bad input, and torch.optim.Adadelta step by step."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import adadelta_step
from tests.optimization.torch_steps import assert_state_matches, steps_against_torch
from tests.reference import DTYPES, EXTREMES, assert_matches, require


# ---------------------------------------------------------------- hand-checked values
def test_two_steps_by_hand() -> None:
    # rho = 0.5, eps = 1, lr = 1. Step 1, g = 6: v = 18, delta = sqrt(0 + 1) / sqrt(19) * 6,
    # u = 0.5 * 36 / 19 = 18 / 19. Step 2, g = 0: v = 9, delta = 0, u = 9 / 19: no move
    p, s = adadelta_step([1.0], [6.0], {}, rho=0.5, eps=1.0)
    np.testing.assert_allclose(p, [1 - 6 / math.sqrt(19)], rtol=1e-15)
    np.testing.assert_allclose(s["acc_delta"], [18 / 19], rtol=1e-15)
    assert s["square_avg"][0] == 18.0 and s["step"] == 1
    p2, s2 = adadelta_step(p, [0.0], s, rho=0.5, eps=1.0)
    assert p2[0] == p[0] and s2["square_avg"][0] == 9.0 and s2["step"] == 2
    np.testing.assert_allclose(s2["acc_delta"], [9 / 19], rtol=1e-15)
    # step 3, g = 3, weight decay 1/3 * p: g' = 3 + p / 3; v = 4.5 + 0.5 g'^2, u = 9/19
    g = 3 + p2[0] / 3
    p3, _ = adadelta_step(p2, [3.0], s2, rho=0.5, eps=1.0, weight_decay=1 / 3, lr=0.5)
    np.testing.assert_allclose(p3, p2 - 0.5 * math.sqrt(9 / 19 + 1) / math.sqrt(4.5 + 0.5 * g * g + 1) * g, rtol=1e-14)


def test_state_is_functional() -> None:
    param, grad = np.array([1.0, -2.0]), np.array([0.3, 0.1])
    for a in (param, grad):
        a.setflags(write=False)
    state: dict = {}
    p1, s1 = adadelta_step(param, grad, state)
    assert state == {} and set(s1) == {"step", "square_avg", "acc_delta"}
    before = {k: np.copy(v) for k, v in s1.items()}
    adadelta_step(p1, grad, s1)
    for k in s1:
        np.testing.assert_array_equal(s1[k], before[k])
    np.testing.assert_array_equal(param, [1.0, -2.0])


def test_dtypes_and_nan() -> None:
    p, s = adadelta_step(np.ones(2, np.float32), [1.0, 2.0], {}, weight_decay=0.1)
    assert p.dtype == s["square_avg"].dtype == s["acc_delta"].dtype == np.float32
    assert adadelta_step([1, 2], [1, 1], {})[0].dtype == np.float64
    p, _ = adadelta_step([1.0, 1.0], [np.nan, 1.0], {})
    # the finite coordinate: delta = sqrt(1e-6) / sqrt(0.1 + 1e-6) * 1
    assert np.isnan(p[0]) and math.isclose(p[1], 1 - 1e-3 / math.sqrt(0.1 + 1e-6), rel_tol=1e-14)


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_at_extreme_inputs(dtype) -> None:
    # squares up to 1e8 in both averages; the ratio sqrt(u + eps) / sqrt(v + eps) stays finite
    rng = np.random.default_rng(0)
    p, s = EXTREMES.astype(dtype), {}
    for _ in range(50):
        g = (EXTREMES * rng.choice([-1.0, 1.0], size=EXTREMES.size)).astype(dtype)
        p, s = adadelta_step(p, g, s, weight_decay=1e-2)
    assert p.dtype == dtype and np.all(np.isfinite(p)) and np.all(np.isfinite(s["acc_delta"]))


# ---------------------------------------------------------------- properties
@given(arrays(np.float64, st.integers(1, 6), elements=st.floats(1e-2, 1e3)), st.floats(0.0, 0.99), st.floats(1e-8, 1e-2))
def test_first_step_is_sqrt_eps_times_the_normalised_gradient(g: np.ndarray, rho: float, eps: float) -> None:
    # u = 0 before the first step: delta = sqrt(eps) g / sqrt((1 - rho) g^2 + eps), which lies
    # below sqrt(eps / (1 - rho)) in size whatever g is: Adadelta starts with tiny steps
    p, _ = adadelta_step(np.zeros_like(g), g, {}, rho=rho, eps=eps)
    np.testing.assert_allclose(-p, math.sqrt(eps) * g / np.sqrt((1 - rho) * g * g + eps), rtol=1e-13)
    assert np.all(-p <= math.sqrt(eps / (1 - rho)) * (1 + 1e-14))


@given(st.floats(1e-3, 1e2), st.floats(0.0, 0.99), st.floats(1e-8, 1e-2), st.floats(0.0, 1.0))
def test_constant_gradient_fixed_point_and_approach(g: float, rho: float, eps: float, frac: float) -> None:
    # with the same g forever, v -> g^2, and then u = rho u + (1 - rho) delta^2 with
    # delta^2 = (u + eps) g^2 / (g^2 + eps): the fixed point solves u (g^2 + eps) = (u + eps) g^2,
    # u* = g^2, where delta = g. Started there, nothing changes and the step is lr * g
    fixed = {"step": 5, "square_avg": [g * g], "acc_delta": [g * g]}
    p, s = adadelta_step([0.0], [g], fixed, rho=rho, eps=eps)
    np.testing.assert_allclose(-p, [g], rtol=1e-14)
    np.testing.assert_allclose(s["acc_delta"], [g * g], rtol=1e-14)
    # started below it (u = frac g^2, v = g^2), u grows toward g^2 and never passes it
    u0 = frac * g * g
    _, s = adadelta_step([0.0], [g], {"step": 5, "square_avg": [g * g], "acc_delta": [u0]}, rho=rho, eps=eps)
    assert u0 * (1 - 1e-14) <= s["acc_delta"][0] <= g * g * (1 + 1e-14)


@given(arrays(np.float64, (10, 3), elements=st.floats(-100, 100)), st.floats(0.0, 0.99))
def test_averages_stay_between_zero_and_the_largest_square(grads: np.ndarray, rho: float) -> None:
    # v is a convex combination of 0 and the squared gradients seen; the same for u and delta^2
    p, s = np.zeros(3), {}
    max_g2, max_d2 = np.zeros(3), np.zeros(3)
    for g in grads:
        q, s = adadelta_step(p, g, s, rho=rho)
        max_g2, max_d2 = np.maximum(max_g2, g * g), np.maximum(max_d2, (q - p) ** 2)
        assert np.all(s["square_avg"] >= 0) and np.all(s["square_avg"] <= max_g2 * (1 + 1e-14))
        assert np.all(s["acc_delta"] >= 0) and np.all(s["acc_delta"] <= max_d2 * (1 + 1e-14))
        p = q


def test_the_step_has_the_parameter_s_units() -> None:
    # Zeiler §3.2: multiply the loss by c (gradients by c): the first step is unchanged when eps is
    # negligible, the ratio RMS[delta] / RMS[g] absorbs the scale. Plain SGD's step would scale by c.
    g = np.array([0.5, -2.0, 3.0])
    p1, _ = adadelta_step(np.zeros(3), g, {}, eps=1e-12)
    p2, _ = adadelta_step(np.zeros(3), 1e3 * g, {}, eps=1e-12)
    np.testing.assert_allclose(p1, p2, rtol=1e-6)  # the eps terms differ at 1e-12 / g^2 relative


def test_state_is_validated() -> None:
    cases = [
        ({"step": 1.5}, TypeError, r"state\['step'\] must be an integer, got float"),
        ({"step": 2, "square_avg": [1.0]}, ValueError, r"state has step = 2 but no 'acc_delta'"),
        ({"step": 1, "square_avg": [1.0], "acc_delta": [-1.0]}, ValueError, r"state\['acc_delta'\] .* cannot be negative"),
        ({"step": 1, "square_avg": [[1.0]], "acc_delta": [1.0]}, ValueError,
         r"state\['square_avg'\] must have the shape of param \(1,\), got \(1, 1\)"),
    ]
    for state, error, match in cases:
        with pytest.raises(error, match=match):
            adadelta_step([1.0], [1.0], state)


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match=re.escape("eps must be a finite number > 0, got 0.0")):
        adadelta_step([1.0], [1.0], {}, eps=0.0)
    with pytest.raises(ValueError, match=re.escape("rho must be a finite number in [0, 1], got 1.1")):
        adadelta_step([1.0], [1.0], {}, rho=1.1)
    with pytest.raises(ValueError, match="weight_decay must be a finite number >= 0"):
        adadelta_step([1.0], [1.0], {}, weight_decay=-1.0)
    with pytest.raises(ValueError, match=r"grad must have the same shape as param"):
        adadelta_step(np.ones(3), np.ones(2), {})
    with pytest.raises(TypeError, match="lr must be a real number"):
        adadelta_step([1.0], [1.0], {}, lr=None)


# ---------------------------------------------------------------- PyTorch, step by step
CONFIGS = [
    dict(),
    dict(lr=0.1, rho=0.95),
    dict(lr=0.5, eps=1e-4, weight_decay=0.1),
    dict(lr=2.0, rho=0.3, eps=1e-8, weight_decay=0.01),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()) or "defaults")
@pytest.mark.parametrize("source", ["random", "quadratic"])
def test_matches_torch_adadelta_every_step(dtype, config: dict, source: str) -> None:
    # torch's operations in torch's order (mul + addcmul, add eps then sqrt, div then mul, add with
    # alpha -lr); what is left is torch's fused multiply-adds, which the harness's running-max
    # scale covers (tests/optimization/torch_steps.py), 150 steps
    for state, ref_state in steps_against_torch("Adadelta", adadelta_step, config, dtype, source):
        assert_state_matches(state, ref_state, ("square_avg", "acc_delta"), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch_on_extreme_gradients(dtype) -> None:
    # EXTREMES as gradients with random signs, 30 steps from EXTREMES; every quantity is a few
    # roundings from torch's, so 8 ulps of the largest |p| (1e4) and of each state's largest entry
    torch = require("torch")
    rng = np.random.default_rng(1)
    p = EXTREMES.astype(dtype)
    t = torch.tensor(p.copy(), requires_grad=True)
    opt = torch.optim.Adadelta([t], lr=1.0, rho=0.9, weight_decay=1e-3)
    s: dict = {}
    for _ in range(30):
        g = (EXTREMES * rng.choice([-1.0, 1.0], size=EXTREMES.size)).astype(dtype)
        t.grad = torch.tensor(g)
        opt.step()
        p, s = adadelta_step(p, g, s, lr=1.0, rho=0.9, weight_decay=1e-3)
        assert_matches(p, t.detach().numpy(), dtype, scale=1e4)
        for key in ("square_avg", "acc_delta"):
            ref = opt.state[t][key].numpy()
            assert_matches(s[key], ref, dtype, scale=float(np.max(ref)))
