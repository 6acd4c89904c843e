"""step_lr / cosine_annealing_lr / linear_warmup_lr: hand values, shapes (int or array steps),
properties, bad input, and PyTorch's schedulers stepping a real optimizer."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from snippets import cosine_annealing_lr, linear_warmup_lr, step_lr
from tests.reference import assert_matches, require

EPS = np.finfo(np.float64).eps


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_values() -> None:
    # StepLR: 0.1 for steps 0..9, 0.01 for 10..19, 0.001 from 20 (gamma 0.1, step_size 10)
    np.testing.assert_allclose(step_lr([0, 9, 10, 19, 20], 0.1, 10), [0.1, 0.1, 0.01, 0.01, 0.001], rtol=1e-15)
    # cosine: t = T/3 -> cos(pi/3) = 1/2 -> eta_min + (lr0 - eta_min) * 3/4; t = T -> eta_min
    assert math.isclose(cosine_annealing_lr(10, 1.0, 30, eta_min=0.2), 0.2 + 0.8 * 0.75, rel_tol=1e-15)
    assert math.isclose(cosine_annealing_lr(30, 1.0, 30, eta_min=0.2), 0.2, rel_tol=1e-15)
    # past t_max the cosine rises again: t = 2 T is back at lr0
    assert math.isclose(cosine_annealing_lr(60, 1.0, 30, eta_min=0.2), 1.0, rel_tol=1e-15)
    # warm-up: 0.3 * 3/10 at step 3, lr0 from step 10 on
    np.testing.assert_allclose(linear_warmup_lr([0, 3, 10, 11], 0.3, 10), [0.0, 0.09, 0.3, 0.3], rtol=1e-15)


@pytest.mark.parametrize("fn,kwargs", [(step_lr, dict(lr0=0.1, step_size=3)),
                                       (cosine_annealing_lr, dict(lr0=0.1, t_max=7)),
                                       (linear_warmup_lr, dict(lr0=0.1, warmup_steps=5))])
def test_int_or_array_steps(fn, kwargs) -> None:
    one = fn(4, **kwargs)
    assert isinstance(one, np.float64)
    many = fn(np.arange(12).reshape(3, 4), **kwargs)
    assert many.shape == (3, 4) and many.dtype == np.float64
    assert many[1, 0] == one
    assert fn(np.int32(4), **kwargs) == one and fn(4.0, **kwargs) == one
    assert fn(np.zeros(0, dtype=int), **kwargs).shape == (0,)


# ---------------------------------------------------------------- properties
@given(st.integers(0, 5000), st.floats(1e-6, 10), st.integers(50, 1000), st.floats(0.01, 0.99))  # <= 100 drops: no underflow
def test_step_lr_is_piecewise_constant_and_decreasing(t: int, lr0: float, size: int, gamma: float) -> None:
    a, b = step_lr([t, t + 1], lr0, size, gamma)
    assert b <= a
    assert (a == b) == ((t + 1) % size != 0)  # it drops only at multiples of step_size


@given(st.integers(1, 10**4), st.floats(1e-6, 10), st.floats(0, 1), st.data())
def test_cosine_stays_between_eta_min_and_lr0_and_is_symmetric(t_max: int, lr0: float, frac: float, data) -> None:
    eta_min = frac * lr0
    t = data.draw(st.integers(0, t_max))
    lr = cosine_annealing_lr(t, lr0, t_max, eta_min)
    assert eta_min * (1 - 1e-12) <= lr <= lr0 * (1 + 1e-12)
    # cos(pi t / T) = -cos(pi (T - t) / T): the two halves mirror each other about the midpoint
    mirror = cosine_annealing_lr(t_max - t, lr0, t_max, eta_min)
    assert math.isclose(lr + mirror, lr0 + eta_min, rel_tol=1e-12, abs_tol=1e-12 * lr0)


@given(st.integers(1, 10**4), st.floats(1e-6, 10))
def test_warmup_is_linear_then_flat(warmup: int, lr0: float) -> None:
    t = np.arange(0, 2 * warmup + 1)
    lr = linear_warmup_lr(t, lr0, warmup)
    np.testing.assert_allclose(np.diff(lr[: warmup + 1]), lr0 / warmup, rtol=1e-9)
    assert np.all(lr[warmup:] == lr0)


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match="step must hold non-negative whole numbers"):
        step_lr(-1, 0.1, 10)
    with pytest.raises(ValueError, match="step must hold non-negative whole numbers"):
        cosine_annealing_lr([0, 1.5], 0.1, 10)
    with pytest.raises(TypeError, match="step must be an integer or an array of integers, got dtype bool"):
        linear_warmup_lr(True, 0.1, 10)
    with pytest.raises(ValueError, match="step_size must be an integer >= 1, got 0"):
        step_lr(1, 0.1, 0)
    with pytest.raises(TypeError, match="t_max must be an integer"):
        cosine_annealing_lr(1, 0.1, 10.0)
    with pytest.raises(ValueError, match="warmup_steps must be an integer >= 1, got 0"):
        linear_warmup_lr(1, 0.1, 0)
    with pytest.raises(ValueError, match=re.escape("lr0 must be a finite number >= 0, got -0.1")):
        step_lr(1, -0.1, 10)
    with pytest.raises(ValueError, match="eta_min must be a finite number >= 0"):
        cosine_annealing_lr(1, 0.1, 10, eta_min=-1.0)


# ---------------------------------------------------------------- PyTorch schedulers
def torch_schedule(make_scheduler, lr0: float, steps: int) -> np.ndarray:
    """The learning rate of a real torch optimizer after 0, 1, ..., steps scheduler steps."""
    torch = require("torch")
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr0)
    scheduler = make_scheduler(torch.optim.lr_scheduler, opt)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(steps):
        p.grad = torch.ones(1)
        opt.step()
        scheduler.step()
        lrs.append(opt.param_groups[0]["lr"])
    return np.array(lrs)


@pytest.mark.parametrize(("lr0", "size", "gamma"), [(0.1, 30, 0.1), (1.0, 7, 0.5), (3e-4, 1, 0.9)])
def test_step_lr_matches_torch(lr0: float, size: int, gamma: float) -> None:
    ref = torch_schedule(lambda s, opt: s.StepLR(opt, step_size=size, gamma=gamma), lr0, 100)
    # torch multiplies by gamma at every drop (lr0 * gamma * gamma ...), we raise gamma to a
    # power: each multiplication rounds once, so after k drops the two differ by <= k/2 ulps;
    # the largest k here is 100 (step_size 1), hence 64 ulps
    assert_matches(step_lr(np.arange(101), lr0, size, gamma), ref, np.float64, ulps=64, scale=0)


@pytest.mark.parametrize(("t_max", "lr0", "eta_min"), [(100, 0.1, 0.0), (37, 1.0, 1e-3), (1000, 3e-4, 1e-6), (10, 0.5, 0.1)])
def test_cosine_matches_torch_recursive_scheduler(t_max: int, lr0: float, eta_min: float) -> None:
    # CosineAnnealingLR computes each rate from the previous one (a ratio of 1 + cos terms), so
    # rounding errors of size ~eps * lr0 accumulate over the steps: after t steps they are bounded
    # by ~t * eps * lr0 (measured: < 5 eps lr0 over the first t_max steps, < 50 over 3 t_max)
    steps = 3 * t_max
    ref = torch_schedule(lambda s, opt: s.CosineAnnealingLR(opt, T_max=t_max, eta_min=eta_min), lr0, steps)
    ours = cosine_annealing_lr(np.arange(steps + 1), lr0, t_max, eta_min)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=(steps + 2) * EPS * lr0)
    np.testing.assert_allclose(ours[: t_max + 1], ref[: t_max + 1], rtol=0, atol=8 * EPS * lr0)


def test_cosine_matches_the_documented_closed_form() -> None:
    # the formula in PyTorch's CosineAnnealingLR documentation, written with the math module:
    # the same operations, so agreement to rounding (scale lr0: the sum eta_min + ... rounds to it)
    closed = [0.01 + (0.2 - 0.01) * (1 + math.cos(math.pi * t / 50)) / 2 for t in range(151)]
    assert_matches(cosine_annealing_lr(np.arange(151), 0.2, 50, 0.01), closed, np.float64, scale=0.2)


@pytest.mark.parametrize(("lr0", "warmup"), [(0.1, 5), (1.0, 1000), (3e-4, 1)])
def test_linear_warmup_matches_torch_lambda_lr(lr0: float, warmup: int) -> None:
    # LinearLR cannot start at 0 (its start_factor must be > 0), so the warm-up is torch's
    # LambdaLR with the factor min(1, t / warmup): the same two operations, the same rounding
    ref = torch_schedule(lambda s, opt: s.LambdaLR(opt, lambda t: min(1.0, t / warmup)), lr0, 2 * warmup + 3)
    assert_matches(linear_warmup_lr(np.arange(2 * warmup + 4), lr0, warmup), ref, np.float64, ulps=1, scale=0)


def test_warmup_then_cosine_matches_torch_sequential_lr() -> None:
    # the usual combination: linear warm-up for W steps, then cosine over the rest; torch's
    # SequentialLR switches schedulers at the milestone and restarts the second one's count
    W, T, lr0 = 10, 90, 0.5
    ref = torch_schedule(lambda s, opt: s.SequentialLR(opt, [s.LambdaLR(opt, lambda t: min(1.0, t / W)),
                                                              s.CosineAnnealingLR(opt, T_max=T)], milestones=[W]), lr0, W + T)
    t = np.arange(W + T + 1)
    ours = np.where(t < W, linear_warmup_lr(t, lr0, W), cosine_annealing_lr(np.maximum(t - W, 0), lr0, T))
    np.testing.assert_allclose(ours, ref, rtol=0, atol=(T + 2) * EPS * lr0)  # cosine part: see above
