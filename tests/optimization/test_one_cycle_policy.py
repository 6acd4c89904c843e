"""one_cycle_lr / cyclic_lr: hand values, shapes, properties (peak, ends, symmetry, periodicity), bad
input, and PyTorch's OneCycleLR and CyclicLR driving a real optimizer, over the whole run."""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from snippets import cyclic_lr, one_cycle_lr
from tests.reference import assert_matches, require

EPS = np.finfo(np.float64).eps


# ---------------------------------------------------------------- hand-checked values
def test_one_cycle_by_hand() -> None:
    # T = 100, pct 0.3: start 1/25 = 0.04 at step 0, peak 1 at step 29, final 0.04 / 1e4 = 4e-6 at 99
    lr = one_cycle_lr([0, 29, 99], 100, 1.0)
    np.testing.assert_allclose(lr, [0.04, 1.0, 4e-6], rtol=1e-15)
    # T = 21, pct 1/3: the peak is at step 6, so step 3 is halfway up, where the cosine's value
    # is the mean of the two ends, (0.04 + 1) / 2
    assert math.isclose(one_cycle_lr(3, 21, 1.0, pct_start=1 / 3), 0.52, rel_tol=1e-15)
    # linear, T = 10, pct 0.5: the peak is at step 4 and the end at step 9, so step 6 is 2/5 of the
    # way down from 1 to 4e-6: 1 - 0.4 * (1 - 4e-6)
    assert math.isclose(one_cycle_lr(6, 10, 1.0, pct_start=0.5, anneal_strategy="linear"), 1 - 0.4 * (1 - 4e-6), rel_tol=1e-15)


def test_three_phase_by_hand() -> None:
    # T = 20, pct 0.25: up to step 4, back down to the start rate at step 8, then to the final rate at 19
    lr = one_cycle_lr([0, 4, 8, 19], 20, 0.5, pct_start=0.25, anneal_strategy="linear", three_phase=True)
    # PyTorch's linear form (end - start) * pct + start cancels at pct = 1: the final 2e-6 comes
    # out of 0.02 - 0.02 and is exact only to an ulp of 0.02 (as in torch), hence atol = eps * 0.02
    np.testing.assert_allclose(lr, [0.02, 0.5, 0.02, 0.02 / 1e4], rtol=1e-15, atol=EPS * 0.02)
    # the second phase mirrors the first: step 2 and step 6 are both halfway
    a, b = one_cycle_lr([2, 6], 20, 0.5, pct_start=0.25, three_phase=True)
    assert math.isclose(a, b, rel_tol=1e-15) and math.isclose(a, 0.26, rel_tol=1e-15)


def test_cyclic_by_hand() -> None:
    # up 3 steps, down 1: 0, 1/3, 2/3, 1, 0 of the height 0.9, then the same again
    lr = cyclic_lr(np.arange(9), 0.1, 1.0, step_size_up=3, step_size_down=1)
    np.testing.assert_allclose(lr, [0.1, 0.4, 0.7, 1.0, 0.1, 0.4, 0.7, 1.0, 0.1], rtol=1e-15)
    # exp_range: the height at step t is multiplied by gamma^t: at the peak t = 2, 0.5^2
    assert math.isclose(cyclic_lr(2, 0.0, 1.0, 2, mode="exp_range", gamma=0.5), 0.25, rel_tol=1e-15)
    # triangular2: the third peak (t = 10 with cycles of 4) is a quarter as high
    assert math.isclose(cyclic_lr(10, 0.0, 1.0, 2, mode="triangular2"), 0.25, rel_tol=1e-15)


def test_zero_length_phase_gets_its_end_value() -> None:
    # pct_start * T = 1 puts the peak at step 0: PyTorch raises ZeroDivisionError there; the
    # phase's end value is max_lr (and pct_start = 1 leaves no room to come down: step T gets min_lr)
    assert one_cycle_lr(0, 10, 1.0, pct_start=0.1) == 1.0
    assert math.isclose(one_cycle_lr(10, 10, 1.0, pct_start=1.0), 4e-6, rel_tol=1e-15)


@pytest.mark.parametrize("fn,kwargs", [(one_cycle_lr, dict(total_steps=40, max_lr=0.1)),
                                       (cyclic_lr, dict(base_lr=0.01, max_lr=0.1, step_size_up=5))])
def test_int_or_array_steps(fn, kwargs) -> None:
    one = fn(4, **kwargs)
    assert isinstance(one, np.float64)
    many = fn(np.arange(12).reshape(3, 4), **kwargs)
    assert many.shape == (3, 4) and many.dtype == np.float64 and many[1, 0] == one
    assert fn(np.int32(4), **kwargs) == one and fn(4.0, **kwargs) == one
    assert fn(np.zeros(0, dtype=int), **kwargs).shape == (0,)


# ---------------------------------------------------------------- properties
@given(st.integers(2, 5000), st.floats(0.05, 0.95), st.floats(1e-6, 10), st.sampled_from(["cos", "linear"]),
       st.floats(1.5, 100), st.floats(1.5, 1e5))
def test_one_cycle_stays_between_min_and_peak(T: int, pct: float, max_lr: float, ann: str, div: float, fdiv: float) -> None:
    # every optimizer step (0 .. T - 1) lies between the final rate and the peak; the rate
    # rises to the peak phase, then never rises again. Each rate is a difference of numbers up to
    # max_lr (PyTorch's formulas), exact to a few ulps of max_lr, not of the tiny final rate
    tol = 4 * EPS * max_lr
    lr = one_cycle_lr(np.arange(T), T, max_lr, pct, ann, div, fdiv)
    lo = max_lr / div / fdiv
    assert np.all(lr >= lo - tol) and np.all(lr <= max_lr + tol)
    peak = int(np.argmax(lr))
    assert np.all(np.diff(lr[: peak + 1]) >= -tol)
    assert np.all(np.diff(lr[peak:]) <= tol)
    assert math.isclose(lr[-1], lo, rel_tol=1e-12, abs_tol=tol) or pct * T - 1 >= T - 1


@given(st.integers(1, 50), st.integers(1, 50), st.integers(0, 500), st.floats(0, 1), st.floats(1e-3, 1))
def test_cyclic_is_periodic_and_bounded(up: int, down: int, t: int, base_frac: float, max_lr: float) -> None:
    base = base_frac * max_lr
    a, b = cyclic_lr([t, t + up + down], base, max_lr, up, down)
    assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)  # period up + down
    assert base * (1 - 1e-12) <= a <= max_lr * (1 + 1e-12)
    assert math.isclose(cyclic_lr(up, base, max_lr, up, down), max_lr, rel_tol=1e-12)  # the top at t = up


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match=re.escape("step must be at most total_steps = 10 (as OneCycleLR), got 11")):
        one_cycle_lr([0, 11], 10, 0.1)
    with pytest.raises(ValueError, match="anneal_strategy must be 'cos' or 'linear', got 'cosine'"):
        one_cycle_lr(0, 10, 0.1, anneal_strategy="cosine")
    with pytest.raises(ValueError, match=re.escape("pct_start must be a finite number in [0, 1], got 1.5")):
        one_cycle_lr(0, 10, 0.1, pct_start=1.5)
    with pytest.raises(ValueError, match="div_factor must be a finite number > 0, got 0"):
        one_cycle_lr(0, 10, 0.1, div_factor=0)
    with pytest.raises(ValueError, match="total_steps must be an integer >= 1, got 0"):
        one_cycle_lr(0, 0, 0.1)
    with pytest.raises(TypeError, match="three_phase must be a bool"):
        one_cycle_lr(0, 10, 0.1, three_phase=1)
    with pytest.raises(ValueError, match="step must hold non-negative whole numbers"):
        one_cycle_lr(-1, 10, 0.1)
    with pytest.raises(ValueError, match="mode must be 'triangular', 'triangular2' or 'exp_range', got 'exp'"):
        cyclic_lr(0, 0.1, 1.0, mode="exp")
    with pytest.raises(ValueError, match="step_size_down must be an integer >= 1, got 0"):
        cyclic_lr(0, 0.1, 1.0, step_size_down=0)
    with pytest.raises(ValueError, match=re.escape("gamma must be a finite number in (0, 1], got 0.0")):
        cyclic_lr(0, 0.1, 1.0, mode="exp_range", gamma=0.0)
    with pytest.raises(ValueError, match="base_lr must be a finite number >= 0"):
        cyclic_lr(0, -0.1, 1.0)


# ---------------------------------------------------------------- PyTorch schedulers
def torch_schedule(make_scheduler, steps: int) -> np.ndarray:
    """The learning rate of a real torch optimizer after 0, 1, ..., steps scheduler steps."""
    torch = require("torch")
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)  # momentum: both schedulers cycle it too
    scheduler = make_scheduler(torch.optim.lr_scheduler, opt)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(steps):
        p.grad = torch.ones(1)
        opt.step()
        scheduler.step()
        lrs.append(opt.param_groups[0]["lr"])
    return np.array(lrs)


ONE_CYCLE = list(itertools.product([1, 7, 100, 1000], [0.0, 0.25, 0.3, 0.5, 0.9], ["cos", "linear"], [False, True]))


@pytest.mark.parametrize(("total", "pct", "ann", "three"), ONE_CYCLE)
def test_one_cycle_matches_torch(total: int, pct: float, ann: str, three: bool) -> None:
    # the full sequence, including the extra scheduler step at total_steps that PyTorch allows.
    # Same operations in the same order (Python floats for the phase ends and rates, then
    # end + (start - end) / 2 * (cos + 1)); np.cos may differ from math.cos by an ulp of a number
    # <= 2 multiplied by max_lr: 4 ulps of max_lr (measured: bit for bit here)
    ref = torch_schedule(lambda s, opt: s.OneCycleLR(opt, max_lr=0.5, total_steps=total, pct_start=pct,
                                                     anneal_strategy=ann, three_phase=three,
                                                     div_factor=7.0, final_div_factor=100.0), total)
    ours = one_cycle_lr(np.arange(total + 1), total, 0.5, pct, ann, 7.0, 100.0, three)
    assert_matches(ours, ref, np.float64, ulps=4, scale=0.5)


def test_one_cycle_matches_torch_defaults() -> None:
    ref = torch_schedule(lambda s, opt: s.OneCycleLR(opt, max_lr=3e-3, total_steps=500), 500)
    assert_matches(one_cycle_lr(np.arange(501), 500, 3e-3), ref, np.float64, ulps=4, scale=3e-3)


CYCLIC = list(itertools.product([1, 5, 20], [None, 1, 13], ["triangular", "triangular2", "exp_range"]))


@pytest.mark.parametrize(("up", "down", "mode"), CYCLIC)
def test_cyclic_matches_torch(up: int, down, mode: str) -> None:
    # 300 steps (many cycles). The same operations in torch's order; gamma ** t in numpy's pow and
    # Python's may differ by an ulp, times a height <= max_lr: 4 ulps of max_lr (measured < 1)
    ref = torch_schedule(lambda s, opt: s.CyclicLR(opt, base_lr=0.01, max_lr=0.3, step_size_up=up,
                                                   step_size_down=down, mode=mode, gamma=0.99), 300)
    ours = cyclic_lr(np.arange(301), 0.01, 0.3, up, down, mode, 0.99)
    assert_matches(ours, ref, np.float64, ulps=4, scale=0.3)
