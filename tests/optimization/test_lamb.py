"""trust_ratio / lamb_step: hand values, the trust ratio's invariances, the functional-state contract,
stability, bad input; LAMB against the paper's algorithm written in torch, and, with the trust ratio
fixed at 1, against torch.optim.AdamW step by step."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import snippets.optimization.lamb as lamb_module
from snippets import lamb_step, trust_ratio
from tests.optimization.torch_steps import assert_state_matches, start_and_gradients
from tests.reference import DTYPES, EXTREMES, assert_matches, require


# ---------------------------------------------------------------- hand-checked values
def test_trust_ratio_by_hand() -> None:
    # ||(1, 2, 2)|| = 3 and ||(0, 0, 0.75)|| = 0.75: ratio 4; zero norms give 1
    assert trust_ratio([1.0, 2.0, 2.0], [0.0, 0.0, 0.75]) == 4.0
    assert trust_ratio([0.0, 0.0], [1.0, 1.0]) == 1.0 and trust_ratio([1.0, 1.0], [0.0, 0.0]) == 1.0
    assert trust_ratio(np.float32([6.0, 8.0]), [0.6, 0.8]).dtype == np.float32  # 10 / 1


def test_two_lamb_steps_by_hand() -> None:
    # betas (0.5, 0.75), eps 0, lr 0.1, wd 0.5, w = (3, 4), g = (2, -2) then (0, 0).
    # Step 1: r = sign(g) = (1, -1); u = (1, -1) + 0.5 (3, 4) = (2.5, 1); ratio 5 / sqrt(7.25)
    w = np.array([3.0, 4.0])
    p, s = lamb_step(w, [2.0, -2.0], {}, lr=0.1, betas=(0.5, 0.75), eps=0.0, weight_decay=0.5)
    u = np.array([2.5, 1.0])
    np.testing.assert_allclose(p, w - 0.1 * 5 / math.sqrt(7.25) * u, rtol=1e-15)
    # step 2, g = 0: m = (0.5, -0.5), m_hat = m / 0.75; v = 0.75 (1, 1), v_hat = v / (1 - 0.5625)
    # r = (2/3, -2/3) / sqrt(12/7); u = r + 0.5 p
    q, s = lamb_step(p, [0.0, 0.0], s, lr=0.1, betas=(0.5, 0.75), eps=0.0, weight_decay=0.5)
    r = np.array([2 / 3, -2 / 3]) / math.sqrt(12 / 7)
    u = r + 0.5 * p
    np.testing.assert_allclose(q, p - 0.1 * np.linalg.norm(p) / np.linalg.norm(u) * u, rtol=1e-14)
    assert s["step"] == 2 and set(s) == {"step", "exp_avg", "exp_avg_sq"}


def test_state_is_functional_and_dtypes() -> None:
    param, grad = np.array([1.0, -2.0]), np.array([0.3, 0.1])
    for a in (param, grad):
        a.setflags(write=False)
    state: dict = {}
    p1, s1 = lamb_step(param, grad, state)
    assert state == {}
    before = {k: np.copy(v) for k, v in s1.items()}
    lamb_step(p1, grad, s1)
    for k in s1:
        np.testing.assert_array_equal(s1[k], before[k])
    p, s = lamb_step(np.ones(3, np.float32), [1.0, 2.0, 3.0], {})
    assert p.dtype == s["exp_avg"].dtype == s["exp_avg_sq"].dtype == np.float32
    assert lamb_step([1, 2], [1, 1], {})[0].dtype == np.float64


def test_nan_propagates() -> None:
    # one NaN gradient makes the update's norm NaN: the whole layer's step is NaN (one ratio per layer)
    p, _ = lamb_step([1.0, 1.0], [np.nan, 1.0], {})
    assert np.all(np.isnan(p))


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_at_extreme_inputs(dtype) -> None:
    # weights and gradients up to 1e4; the norms are taken in units of the largest entry, so
    # nothing is squared beyond 1 and nothing overflows, even for float32
    rng = np.random.default_rng(0)
    p, s = EXTREMES.astype(dtype), {}
    for _ in range(50):
        g = (EXTREMES * rng.choice([-1.0, 1.0], size=EXTREMES.size)).astype(dtype)
        p, s = lamb_step(p, g, s, lr=1e-3)
    assert p.dtype == dtype and np.all(np.isfinite(p))
    # tiny norms: squaring 1e-200 underflows to 0 (a naive ratio would be 1 / 0)
    assert math.isclose(trust_ratio(np.ones(8), np.full(8, 1e-200)), 1e200, rel_tol=1e-14)
    # huge but finite norms: ||w|| of 1e30-sized float32 entries overflows if squared directly
    big = np.full(4, 1e30, np.float32)
    assert trust_ratio(big, big / 1e6) == np.float32(1e6) or math.isclose(trust_ratio(big, big / 1e6), 1e6, rel_tol=1e-6)


# ---------------------------------------------------------------- properties
entries = st.one_of(st.just(0.0), st.floats(1e-3, 1e3), st.floats(-1e3, -1e-3))  # numpy's norm squares them


@given(arrays(np.float64, st.integers(1, 8), elements=entries),
       arrays(np.float64, 8, elements=entries), st.floats(1e-3, 1e3), st.floats(1e-3, 1e3))
def test_trust_ratio_scales_and_is_positive(w: np.ndarray, u8: np.ndarray, a: float, b: float) -> None:
    u = u8[: w.size]
    ratio = trust_ratio(w, u)
    if np.any(w) and np.any(u):
        # (a w, b u) -> (a / b) * ratio, and the ratio is the quotient of the two 2-norms
        assert math.isclose(trust_ratio(a * w, b * u), a / b * ratio, rel_tol=1e-12)
        assert math.isclose(ratio, np.linalg.norm(w) / np.linalg.norm(u), rel_tol=1e-12)
    else:
        assert ratio == 1.0


@given(arrays(np.float64, (6, 5), elements=st.floats(-10, 10)), st.floats(1e-4, 1e-1))
def test_every_step_has_length_lr_times_the_weight_norm(grads: np.ndarray, lr: float) -> None:
    # ||lr * ratio * u|| = lr ||w|| / ||u|| * ||u|| = lr ||w||: the layer moves by a fixed fraction of
    # its own size, whatever the gradient's scale (LARS's point), unless u = 0 (then no move)
    p, s = np.linspace(-1.0, 2.0, 5), {}
    for g in grads:
        q, s = lamb_step(p, g, s, lr=lr)
        np.testing.assert_allclose(np.linalg.norm(q - p), lr * np.linalg.norm(p), rtol=1e-12)
        p = q


@given(arrays(np.float64, (5, 4), elements=st.floats(1e-3, 10)), st.floats(1e-3, 1e3))
def test_invariant_to_rescaling_the_gradients(grads: np.ndarray, c: float) -> None:
    # with eps = 0 the Adam ratio r is scale-free, and so is the trust ratio: the same steps
    p, q, s, t = np.ones(4), np.ones(4), {}, {}
    for g in grads:
        p, s = lamb_step(p, g, s, lr=0.01, eps=0.0)
        q, t = lamb_step(q, c * g, t, lr=0.01, eps=0.0)
    np.testing.assert_allclose(p, q, rtol=1e-10)


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"update must have the same shape as param"):
        trust_ratio([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match=re.escape("betas[1] must be in [0, 1), got 1.0")):
        lamb_step([1.0], [1.0], {}, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="weight_decay must be a finite number >= 0"):
        lamb_step([1.0], [1.0], {}, weight_decay=-0.1)
    with pytest.raises(ValueError, match=r"state has step = 2 but no 'exp_avg', 'exp_avg_sq'"):
        lamb_step([1.0], [1.0], {"step": 2})
    with pytest.raises(ValueError, match=r"grad must have the same shape as param"):
        lamb_step([1.0], [1.0, 2.0], {})
    with pytest.raises(TypeError, match="update"):
        trust_ratio([1.0], ["a"])


# ---------------------------------------------------------------- references
def torch_lamb(p0: np.ndarray, grads: np.ndarray, lr: float, betas, eps: float, wd: float) -> list[np.ndarray]:
    """LAMB as You et al. write it (Algorithm 2, phi = identity), in torch, one array per step."""
    torch = require("torch")
    x = torch.tensor(p0)
    m, v, out = torch.zeros_like(x), torch.zeros_like(x), []
    for k, g in enumerate(grads, start=1):
        g = torch.tensor(g)
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        r = (m / (1 - betas[0] ** k)) / ((v / (1 - betas[1] ** k)).sqrt() + eps)
        u = r + wd * x
        wn, un = torch.linalg.vector_norm(x), torch.linalg.vector_norm(u)
        ratio = wn / un if wn > 0 and un > 0 else torch.tensor(1.0, dtype=x.dtype)
        x = x - lr * ratio * u
        out.append(x.numpy().copy())
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("config", [dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-6, wd=0.01),
                                    dict(lr=0.02, betas=(0.3, 0.9), eps=1e-8, wd=0.1)], ids=["defaults", "other"])
def test_matches_the_paper_s_algorithm_in_torch(dtype, config: dict) -> None:
    # 150 steps on the random gradients of the shared harness (sizes 1e-3 .. 100). Both sides do
    # the same arithmetic, but torch's norm and the moments round in another order (fused
    # multiply-adds, a norm without scaling): 8 ulps of the running maximum of |p|, as for Adam
    p0, grads, _ = start_and_gradients(dtype)
    ref = torch_lamb(p0, grads, config["lr"], config["betas"], config["eps"], config["wd"])
    p, s, p_max = p0, {}, float(np.max(np.abs(p0)))
    for g, r in zip(grads, ref):
        p, s = lamb_step(p, g, s, lr=config["lr"], betas=config["betas"], eps=config["eps"], weight_decay=config["wd"])
        p_max = max(p_max, float(np.max(np.abs(r))))
        assert_matches(p, r, dtype, scale=p_max)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("config", [dict(), dict(lr=0.01, weight_decay=0.1), dict(lr=0.003, betas=(0.3, 0.9), eps=1e-8)],
                         ids=["defaults", "wd", "betas"])
@pytest.mark.parametrize("source", ["random", "quadratic"])
def test_with_trust_ratio_one_it_is_adamw(monkeypatch, dtype, config: dict, source: str) -> None:
    # fix the trust ratio at 1: x - lr (r + wd x) = (1 - lr wd) x - lr r, AdamW's step in exact
    # arithmetic. torch.optim.AdamW's eps defaults to 1e-8, ours to 1e-6: both get them explicitly
    torch = require("torch")
    monkeypatch.setattr(lamb_module, "trust_ratio", lambda param, update: param.dtype.type(1.0))
    full = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.01) | config
    p0, fixed, H = start_and_gradients(dtype)
    t = torch.tensor(p0.copy(), requires_grad=True)
    opt = torch.optim.AdamW([t], **full)
    p, s = p0, {}
    for k in range(len(fixed)):
        g = fixed[k] if source == "random" else H @ p
        # every step starts from our point: the two forms round differently ((1 - lr wd) x versus
        # x - lr wd x, lr / bc1 before or after the division), about an ulp of |p| per step, which
        # would otherwise add up over the 150 steps (measured up to 35 ulps in float32 at step ~100);
        # from the same point one step agrees to the default 8 ulps of max |p|
        with torch.no_grad():
            t.copy_(torch.tensor(p))
        t.grad = torch.tensor(g)
        opt.step()
        p, s = lamb_step(p, g, s, **full)
        assert_matches(p, t.detach().numpy(), dtype, scale=float(np.max(np.abs(p))))
        assert_state_matches(s, opt.state[t], ("exp_avg", "exp_avg_sq"), dtype)
