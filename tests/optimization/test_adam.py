"""adam_step / adamw_step: hand values, bias correction, AMSGrad, decoupled decay, the
functional-state contract, stability, bad input, and torch.optim.Adam / AdamW step by step."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import adam_step, adamw_step
from tests.optimization.torch_steps import assert_state_matches, steps_against_torch
from tests.reference import DTYPES, EXTREMES


# ---------------------------------------------------------------- hand-checked values
def test_two_steps_by_hand() -> None:
    # betas (0.5, 0.75), eps 0, lr 0.1. Step 1, g = 2: m = 1, v = 1, m_hat = 1 / 0.5 = 2,
    # v_hat = 1 / 0.25 = 4 -> step 0.1 * 2 / 2 = 0.1. Step 2, g = 0: m = 0.5, v = 0.75,
    # m_hat = 0.5 / 0.75 = 2/3, v_hat = 0.75 / (1 - 0.5625) = 12/7 -> step 0.1 * (2/3) / sqrt(12/7)
    kw = dict(lr=0.1, betas=(0.5, 0.75), eps=0.0)
    p, s = adam_step([1.0], [2.0], {}, **kw)
    np.testing.assert_allclose(p, [0.9], rtol=1e-15)
    assert s["exp_avg"][0] == 1.0 and s["exp_avg_sq"][0] == 1.0 and s["step"] == 1
    p, s = adam_step(p, [0.0], s, **kw)
    np.testing.assert_allclose(p, [0.9 - 0.1 * (2 / 3) / math.sqrt(12 / 7)], rtol=1e-14)
    assert s["step"] == 2 and set(s) == {"step", "exp_avg", "exp_avg_sq"}


def test_amsgrad_keeps_the_largest_second_moment() -> None:
    # g = 2 then g = 0 with beta2 = 0.5: v = 2 then 1; the maximum stays 2
    kw = dict(lr=0.1, betas=(0.5, 0.5), eps=0.0, amsgrad=True)
    p, s = adam_step([0.0], [2.0], {}, **kw)
    p, s = adam_step(p, [0.0], s, **kw)
    assert s["exp_avg_sq"][0] == 1.0 and s["max_exp_avg_sq"][0] == 2.0
    # step 1 moves by lr = 0.1 (m_hat = 2, v_hat = 4); step 2: m = 0.5, m_hat = 0.5 / 0.75,
    # denominator sqrt(max v) / sqrt(1 - 0.25) = sqrt(2) / sqrt(0.75)
    np.testing.assert_allclose(p, [-0.1 - 0.1 * (0.5 / 0.75) / (math.sqrt(2) / math.sqrt(0.75))], rtol=1e-14)


def test_adamw_decay_is_decoupled_and_adam_decay_is_not() -> None:
    # a huge gradient on coordinate 0 and a tiny one on coordinate 1, both weights equal to 1:
    # AdamW shrinks both by the same factor (1 - lr wd) before its step; Adam's L2 term
    # wd * w is swamped by the big gradient on coordinate 0 and dominates on coordinate 1
    w, g = np.array([1.0, 1.0]), np.array([1e3, 1e-6])
    p_w, _ = adamw_step(w, g, {}, lr=0.1, weight_decay=0.5, eps=0.0)
    p_plain, _ = adamw_step(w, g, {}, lr=0.1, weight_decay=0.0, eps=0.0)
    np.testing.assert_allclose(p_w, p_plain - 0.1 * 0.5 * w, rtol=1e-15)  # (1 - lr wd) w - lr * sign
    p_a, _ = adam_step(w, g, {}, lr=0.1, weight_decay=0.5, eps=0.0)
    np.testing.assert_allclose(p_a, [0.9, 0.9], rtol=1e-15)  # first step: lr * sign(g + wd w)


def test_state_is_functional() -> None:
    param, grad = np.array([1.0, -2.0]), np.array([0.3, 0.1])
    for a in (param, grad):
        a.setflags(write=False)
    state: dict = {}
    p1, s1 = adamw_step(param, grad, state, amsgrad=True)
    assert state == {} and set(s1) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    before = {k: np.copy(v) for k, v in s1.items()}
    adamw_step(p1, grad, s1, amsgrad=True)
    for k in s1:
        np.testing.assert_array_equal(s1[k], before[k])
    np.testing.assert_array_equal(param, [1.0, -2.0])


def test_dtypes_and_nan() -> None:
    p, s = adam_step(np.ones(2, np.float32), [1.0, 2.0], {}, amsgrad=True)
    assert p.dtype == s["exp_avg"].dtype == s["exp_avg_sq"].dtype == s["max_exp_avg_sq"].dtype == np.float32
    assert adamw_step([1, 2], [1, 1], {})[0].dtype == np.float64
    p, _ = adam_step([1.0, 1.0], [np.nan, 1.0], {})
    assert np.isnan(p[0]) and math.isclose(p[1], 0.999, rel_tol=1e-10)  # 1 - lr * 1 / (1 + eps)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn", [adam_step, adamw_step])
def test_stable_at_extreme_inputs(dtype, fn) -> None:
    # gradients up to 1e4 (squares 1e8) and tiny ones (1e-8, squares 1e-16, still normal in
    # float32): the bias-corrected ratio stays of order 1, nothing overflows or warns
    rng = np.random.default_rng(0)
    p, s = EXTREMES.astype(dtype), {}
    for _ in range(50):
        g = (EXTREMES * rng.choice([-1.0, 1.0], size=EXTREMES.size)).astype(dtype)
        p, s = fn(p, g, s, lr=1e-3, weight_decay=1e-2, amsgrad=True)
    assert p.dtype == dtype and np.all(np.isfinite(p))


# ---------------------------------------------------------------- properties
@given(arrays(np.float64, st.integers(1, 6), elements=st.floats(1e-3, 1e3)), st.floats(0.0, 0.99), st.floats(0.0, 0.999))
def test_first_step_is_lr_times_the_sign(g: np.ndarray, b1: float, b2: float) -> None:
    # bias correction makes m_hat = g and v_hat = g^2 exactly in exact arithmetic: a step of lr
    sign = np.where(np.arange(g.size) % 2, -1.0, 1.0)
    p, _ = adam_step(np.zeros_like(g), sign * g, {}, lr=0.01, betas=(b1, b2), eps=0.0)
    np.testing.assert_allclose(p, -0.01 * sign, rtol=1e-12)


@given(arrays(np.float64, (8, 3), elements=st.floats(1e-3, 10)), st.data(), st.floats(1e-3, 1e3))
def test_invariant_to_rescaling_the_gradients(grads: np.ndarray, data, c: float) -> None:
    grads = grads * data.draw(arrays(np.float64, grads.shape, elements=st.sampled_from([-1.0, 1.0])))  # |g| >= 1e-3: g^2 is normal
    # with eps = 0, m scales by c and sqrt(v) by c: the steps are unchanged (Kingma & Ba, §2.1)
    p, q, s, t = np.zeros(3), np.zeros(3), {}, {}
    for g in grads:
        p, s = adam_step(p, g, s, lr=0.01, eps=0.0, amsgrad=True)
        q, t = adam_step(q, c * g, t, lr=0.01, eps=0.0, amsgrad=True)
    np.testing.assert_allclose(p, q, rtol=1e-10, atol=1e-14)


def cauchy_schwarz_bound(k: int, b1: float, b2: float) -> float:
    """max |m_hat| / sqrt(v_hat) after k steps: m_hat = sum w_j g_j / sum w, v_hat = sum u_j g_j^2 / sum u,
    and by Cauchy-Schwarz |sum w_j g_j| <= sqrt(sum w_j^2 / u_j * sum u_j g_j^2)."""
    j = np.arange(k)
    w, u = (1 - b1) * b1 ** (k - 1 - j), (1 - b2) * b2 ** (k - 1 - j)
    return math.sqrt(np.sum(w**2 / u) * np.sum(u)) / np.sum(w)


@given(arrays(np.float64, (10, 4), elements=st.floats(1e-3, 10)), st.data())
def test_step_size_is_bounded(grads: np.ndarray, data) -> None:
    grads = grads * data.draw(arrays(np.float64, grads.shape, elements=st.sampled_from([-1.0, 1.0])))
    # Kingma & Ba §2.1: the step is "approximately bounded" by lr. Exactly: at most lr times the
    # Cauchy-Schwarz bound, which is 1 on the first step and stays close to 1 for (0.9, 0.999)
    p, s = np.zeros(4), {}
    for k, g in enumerate(grads, start=1):
        p_new, s = adam_step(p, g, s, lr=0.01, eps=0.0)
        assert np.all(np.abs(p_new - p) <= 0.01 * cauchy_schwarz_bound(k, 0.9, 0.999) * (1 + 1e-12))
        p = p_new
    assert cauchy_schwarz_bound(1, 0.9, 0.999) == 1.0 and cauchy_schwarz_bound(10, 0.9, 0.999) < 1.1


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn", [adam_step, adamw_step])
@pytest.mark.parametrize("amsgrad", [False, True])
def test_eps_zero_and_underflowing_gradients_give_finite_steps(dtype, fn, amsgrad: bool) -> None:
    # |g| = 1e-200 (float64) or 1e-25 (float32): (1 - beta2) g^2 underflows to 0, and with the
    # documented eps = 0 the step used to be m / 0 = -inf (PyTorch gives -inf too, and NaN for g = 0)
    tiny = 1e-200 if dtype == np.float64 else 1e-25
    g = np.array([tiny, -tiny, 0.0, 1.0], dtype=dtype)
    p, s = fn(np.ones(4, dtype), g, {}, lr=0.1, eps=0.0, weight_decay=0.0, amsgrad=amsgrad)
    # step 1: m_hat / sqrt(v_hat) = g / |g|, a step of lr against the sign, whatever |g| is; a
    # coordinate with no gradient does not move (the limit eps -> 0 of 0 / (0 + eps)). The step
    # is one division of roundings near 1: a few units of the dtype's precision
    assert p.dtype == dtype
    np.testing.assert_allclose(p, [0.9, 1.1, 1.0, 0.9], rtol=4 * np.finfo(dtype).eps)
    # later steps stay finite. The normal coordinate keeps the Cauchy-Schwarz bound. The tiny ones
    # do not: the squares of the earlier gradients underflowed to 0 in state["exp_avg_sq"], so
    # v_hat is (1 - b2) g_k^2 / (1 - b2^k) alone, and with |g_j| <= |g_k| (the gradients grow
    # here) |m_hat| <= |g_k|: the step is at most lr sqrt((1 - b2^k) / (1 - b2)), not -inf
    for k in range(2, 8):
        q, s = fn(p, g * k, s, lr=0.1, eps=0.0, weight_decay=0.0, amsgrad=amsgrad)
        step = np.abs(q - p).astype(np.float64)
        assert np.all(np.isfinite(q))
        assert step[3] <= 0.1 * cauchy_schwarz_bound(k, 0.9, 0.999) * (1 + 8 * np.finfo(dtype).eps)
        assert np.all(step[:2] <= 0.1 * math.sqrt((1 - 0.999**k) / (1 - 0.999)) * (1 + 8 * np.finfo(dtype).eps))
        p = q


def test_state_is_validated() -> None:
    # each used to fail inside Python or numpy, or to step silently with a wrong bias correction
    cases = [
        ({"step": "a"}, TypeError, r"state\['step'\] must be an integer, got str"),
        ({"step": 1.5}, TypeError, r"state\['step'\] must be an integer, got float"),
        ({"step": -1}, ValueError, r"state\['step'\] must be an integer >= 0, got -1"),  # was ZeroDivisionError
        ({"step": 3}, ValueError, r"state has step = 3 but no 'exp_avg', 'exp_avg_sq'"),
        ({"step": 1, "exp_avg": [0.1], "exp_avg_sq": [-1.0]}, ValueError,
         r"state\['exp_avg_sq'\] is a running average of squared gradients and cannot be negative, found -1.0"),
        ({"step": 1, "exp_avg": [0.1], "exp_avg_sq": [1.0], "max_exp_avg_sq": [-2.0]}, ValueError,
         r"state\['max_exp_avg_sq'\] .* cannot be negative"),
    ]
    for state, error, match in cases:
        for fn in (adam_step, adamw_step):
            with pytest.raises(error, match=match):
                fn([1.0], [1.0], state, amsgrad=True)


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match=re.escape("betas[1] must be in [0, 1), got 1.0")):
        adam_step([1.0], [1.0], {}, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match=r"betas\[0\] must be a finite number in \[0, 1\], got -0.1"):
        adam_step([1.0], [1.0], {}, betas=(-0.1, 0.9))
    with pytest.raises(TypeError, match=r"betas must be a pair \(beta1, beta2\), got 0.9"):
        adam_step([1.0], [1.0], {}, betas=0.9)
    with pytest.raises(TypeError, match="amsgrad must be a bool"):
        adamw_step([1.0], [1.0], {}, amsgrad=None)
    with pytest.raises(ValueError, match="weight_decay must be a finite number >= 0"):
        adamw_step([1.0], [1.0], {}, weight_decay=-0.01)
    with pytest.raises(ValueError, match=r"state\['exp_avg'\] must have the shape of param \(1,\), got \(3,\)"):
        adam_step([1.0], [1.0], {"step": 1, "exp_avg": np.zeros(3), "exp_avg_sq": np.zeros(1)})
    with pytest.raises(ValueError, match=r"grad must have the same shape as param"):
        adam_step(np.ones((2, 2)), np.ones(4), {})


# ---------------------------------------------------------------- PyTorch, step by step
CONFIGS = [
    dict(),
    dict(lr=0.01, betas=(0.8, 0.99)),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, amsgrad=True),
    dict(lr=0.003, betas=(0.3, 0.9), eps=1e-6, weight_decay=0.01, amsgrad=True),  # beta1 < 0.5: other lerp branch
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()) or "defaults")
@pytest.mark.parametrize("which", ["Adam", "AdamW"])
@pytest.mark.parametrize("source", ["random", "quadratic"])
def test_matches_torch_every_step(dtype, config: dict, which: str, source: str) -> None:
    ours = adam_step if which == "Adam" else adamw_step
    # the same operations in torch's order (lerp, mul + addcmul, sqrt / bias correction + eps,
    # addcdiv with the step size, Python-float bias corrections); what is left is torch's fused
    # multiply-adds, which the harness's running-max scale covers (see tests/optimization/torch_steps.py)
    for state, ref_state in steps_against_torch(which, ours, config, dtype, source):
        assert_state_matches(state, ref_state, ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"), dtype)
