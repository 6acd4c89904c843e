"""ema / ema_backward / ema_update: hand values, properties (weights, constants, linearity), the
blocked filter across blocks, stability, bad input; scipy.signal.lfilter for the series, torch autograd
for the gradient, and torch.optim.swa_utils.AveragedModel with get_ema_multi_avg_fn for the weights."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import ema, ema_backward, ema_update
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_values() -> None:
    # decay 0.5 on 2, 0, 4: s = 1, 0.5, 2.25; corrected by 1 - 0.5^t = 0.5, 0.75, 0.875
    np.testing.assert_allclose(ema([2.0, 0.0, 4.0], 0.5), [1.0, 0.5, 2.25], rtol=1e-15)
    np.testing.assert_allclose(ema([2.0, 0.0, 4.0], 0.5, bias_correction=True), [2.0, 0.5 / 0.75, 2.25 / 0.875], rtol=1e-15)
    # decay 0: no memory, the values themselves
    np.testing.assert_array_equal(ema([3.0, -1.0, 7.0], 0.0), [3.0, -1.0, 7.0])
    # columns are independent series
    np.testing.assert_allclose(ema([[2.0, 4.0], [0.0, 4.0]], 0.5), [[1.0, 2.0], [0.5, 3.0]], rtol=1e-15)
    # ema_update: 0.9 * 10 + 0.1 * 0 = 9; decay 1 keeps the average, 0 copies the weights
    np.testing.assert_allclose(ema_update([10.0], [0.0], 0.9), [9.0], rtol=1e-15)
    assert ema_update([1.0], [5.0], 1.0)[0] == 1.0 and ema_update([1.0], [5.0], 0.0)[0] == 5.0


def test_shapes_dtypes_and_empty() -> None:
    assert ema(np.ones((5, 2, 3), np.float32), 0.9).dtype == np.float32
    assert ema([1, 2], 0.5).dtype == np.float64
    assert ema(np.zeros((0, 3)), 0.9).shape == (0, 3)
    assert ema_update(np.ones(2, np.float32), [1.0, 2.0], 0.5).dtype == np.float32
    assert ema_backward(np.ones((4, 2)), np.ones((4, 2)), 0.3).shape == (4, 2)
    out = ema([1.0, np.nan, 1.0], 0.5)
    assert out[0] == 0.5 and np.isnan(out[1]) and np.isnan(out[2])  # NaN stays in the memory


def test_long_series_cross_the_blocks() -> None:
    # 1000 steps (8 blocks of 128): the carry between blocks must make it equal to the recurrence
    x = np.random.default_rng(0).normal(size=1000)
    s, rec = 0.0, []
    for v in x:
        s = 0.99 * s + 0.01 * v
        rec.append(s)
    np.testing.assert_allclose(ema(x, 0.99), rec, rtol=0, atol=1e-14)


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_at_extreme_inputs(dtype) -> None:
    # weights are powers of decay <= 1: nothing grows, values up to 1e4 stay below 1e4
    x = np.tile(EXTREMES, 20).astype(dtype)
    for decay in (0.0, 0.5, 0.999):
        s = ema(x, decay, bias_correction=True)
        assert s.dtype == dtype and np.all(np.isfinite(s)) and np.max(np.abs(s)) <= 1e4 * (1 + 1e-5)


# ---------------------------------------------------------------- properties
@given(st.integers(1, 400), st.floats(0.0, 0.999), st.floats(-1e3, 1e3))
def test_bias_corrected_average_of_a_constant_is_the_constant(T: int, decay: float, c: float) -> None:
    # the corrected weights (1 - d) d^(t - j) / (1 - d^t) sum to 1: a constant series averages to itself
    np.testing.assert_allclose(ema(np.full(T, c), decay, bias_correction=True), c, rtol=1e-11, atol=1e-12)


@given(arrays(np.float64, st.integers(1, 300), elements=st.floats(-100, 100)), st.floats(0.0, 0.999))
def test_stays_within_the_range_of_the_values(x: np.ndarray, decay: float) -> None:
    # a convex combination (bias-corrected) of the values seen so far
    s = ema(x, decay, bias_correction=True)
    lo, hi = np.minimum.accumulate(x), np.maximum.accumulate(x)
    assert np.all(s >= lo - 1e-9) and np.all(s <= hi + 1e-9)


@given(arrays(np.float64, (50, 2), elements=st.floats(-10, 10)), arrays(np.float64, (50, 2), elements=st.floats(-10, 10)),
       st.floats(0.0, 0.99))
def test_backward_is_the_adjoint(x: np.ndarray, g: np.ndarray, decay: float) -> None:
    # <ema(x), g> = <x, ema_backward(g)> for a linear map (with and without the correction)
    for corrected in (False, True):
        lhs = np.sum(ema(x, decay, corrected) * g)
        rhs = np.sum(x * ema_backward(g, x, decay, corrected))
        assert math.isclose(lhs, rhs, rel_tol=1e-10, abs_tol=1e-9)


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match=re.escape("decay must be a finite number in [0, 1), got 1.0")):
        ema([1.0], 1.0)
    with pytest.raises(ValueError, match="values must have at least one axis"):
        ema(3.0, 0.5)
    with pytest.raises(TypeError, match="bias_correction must be a bool"):
        ema([1.0], 0.5, bias_correction=1)
    with pytest.raises(ValueError, match=re.escape("decay must be a finite number in [0, 1], got 1.5")):
        ema_update([1.0], [1.0], 1.5)
    with pytest.raises(ValueError, match="params must have the same shape as avg_params"):
        ema_update([1.0], [1.0, 2.0], 0.5)
    with pytest.raises(ValueError, match="grad_out"):
        ema_backward(np.ones(3), np.ones(4), 0.5)


# ---------------------------------------------------------------- references
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("decay", [0.0, 0.3, 0.9, 0.999])
def test_matches_scipy_lfilter(dtype, decay: float) -> None:
    # lfilter runs the recurrence s_t = d s_{t-1} + (1 - d) x_t step by step; we sum blocks of
    # decay^(t - j) x_j. Both are weighted sums with weights <= 1 of values up to 1e4 (random and
    # EXTREMES): each rounds ~once per step, the errors decay with the weights, so they stay within
    # a few ulps of the largest |x| (measured <= 4): 8 ulps of max |x|
    signal = require("scipy.signal")
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(size=300) * rng.choice([1e-3, 1.0, 100.0], size=300), np.tile(EXTREMES, 10)]).astype(dtype)
    x2 = np.stack([x, x[::-1]], axis=1)
    ref = signal.lfilter([1 - decay], [1, -decay], x2, axis=0)
    assert_matches(ema(x2, decay), ref.astype(dtype), dtype, scale=float(np.max(np.abs(x))))


@pytest.mark.parametrize("dtype", DTYPES)
def test_values_and_gradient_match_torch_autograd(dtype) -> None:
    # the recurrence written in torch (a loop over steps), autograd for the gradient; 150 steps
    # of random values, decay 0.95, with the bias correction: 8 ulps of max |x| and of max |g|
    rng = np.random.default_rng(1)
    x = (rng.normal(size=(150, 3)) * 10).astype(dtype)
    g = rng.normal(size=(150, 3)).astype(dtype)

    def torch_ema(v):
        s, out = v[0] * 0, []
        for t in range(v.shape[0]):
            s = 0.95 * s + 0.05 * v[t]
            out.append(s / (1 - 0.95 ** (t + 1)))
        return require("torch").stack(out)

    ref, (ref_grad,) = torch_forward_backward(torch_ema, [x], g, wrt=[0])
    assert_matches(ema(x, 0.95, bias_correction=True), ref, dtype, scale=float(np.max(np.abs(x))))
    assert_matches(ema_backward(g, x, 0.95, bias_correction=True), ref_grad, dtype, scale=float(np.max(np.abs(g))))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("decay", [0.9, 0.999])
def test_ema_update_matches_torch_averaged_model(dtype, decay: float) -> None:
    # AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay)): its first update_parameters
    # copies the weights, each later one lerps toward them with weight 1 - decay, as ema_update.
    # 100 updates after SGD steps on random gradients; the same lerp: 2 ulps of max |w|
    torch = require("torch")
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    rng = np.random.default_rng(2)
    model = torch.nn.Linear(5, 4, bias=False).to(torch.float64 if dtype == np.float64 else torch.float32)
    averaged = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    avg = None
    for _ in range(100):
        model.weight.grad = torch.tensor(rng.normal(size=(4, 5)).astype(dtype))
        opt.step()
        averaged.update_parameters(model)
        w = model.weight.detach().numpy()
        avg = w.copy() if avg is None else ema_update(avg, w, decay)
        ref = averaged.module.weight.detach().numpy()
        assert_matches(avg, ref, dtype, ulps=2, scale=float(np.max(np.abs(ref))))
