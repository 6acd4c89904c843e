"""discounted_returns: hand values, properties (the recurrence, linearity, episode independence),
the blocked filter across blocks and episodes, stability, bad input; scipy.signal.lfilter on the
reversed rewards and a Python loop over steps as references."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import discounted_returns
from tests.reference import DTYPES, EXTREMES, assert_matches, require


def loop_returns(r: np.ndarray, gamma: float, dones: np.ndarray | None = None) -> np.ndarray:
    """The definition, one step at a time backward, in float64: G_t = r_t + gamma (1 - done_t) G_{t+1}."""
    r = np.asarray(r, dtype=np.float64)
    out, G = np.zeros_like(r), np.zeros(r.shape[1:])
    for t in range(len(r) - 1, -1, -1):
        G = r[t] + gamma * G * (1.0 if dones is None else 1.0 - dones[t])
        out[t] = G
    return out


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_values() -> None:
    # gamma 0.9 on 0, 0, 1: the reward 1 seen from 2, 1 and 0 steps before: 0.81, 0.9, 1
    np.testing.assert_allclose(discounted_returns([0.0, 0.0, 1.0], 0.9), [0.81, 0.9, 1.0], rtol=1e-15)
    # gamma 1: the plain sum to the end (reward-to-go); gamma 0: the rewards themselves
    np.testing.assert_array_equal(discounted_returns([1.0, 2.0, 3.0], 1.0), [6.0, 5.0, 3.0])
    np.testing.assert_array_equal(discounted_returns([1.0, 2.0, 3.0], 0.0), [1.0, 2.0, 3.0])
    # two episodes of 2 steps, gamma 0.5: 1 + 0.5 * 2 = 2, 2 | 3 + 0.5 * 4 = 5, 4
    np.testing.assert_array_equal(discounted_returns([1.0, 2.0, 3.0, 4.0], 0.5, dones=[0, 1, 0, 1]), [2.0, 2.0, 5.0, 4.0])
    # columns are independent environments, each with its own dones
    np.testing.assert_array_equal(
        discounted_returns([[1.0, 1.0], [1.0, 1.0]], 0.5, dones=[[True, False], [False, False]]), [[1.0, 1.5], [1.0, 1.0]])


def test_shapes_dtypes_and_empty() -> None:
    assert discounted_returns(np.ones((5, 2, 3), np.float32), 0.9).dtype == np.float32
    assert discounted_returns([1, 2], 0.5).dtype == np.float64
    assert discounted_returns(np.zeros((0, 3)), 0.9, dones=np.zeros((0, 3), bool)).shape == (0, 3)
    out = discounted_returns([1.0, np.nan, 1.0, 1.0], 0.5, dones=[0, 0, 1, 0])
    # the NaN reaches the steps before it in its episode only
    assert np.isnan(out[0]) and np.isnan(out[1]) and out[2] == 1.0 and out[3] == 1.0
    # an infinite reward with gamma 0 stays in its own step (weight exactly 0, not 0 * inf)
    np.testing.assert_array_equal(discounted_returns([1.0, np.inf], 0.0), [1.0, np.inf])


@pytest.mark.parametrize("shape", [(1000,), (300, 4), (50, 2000)])
def test_long_series_cross_the_blocks(shape) -> None:
    # 1000 steps span 8 blocks of 128; with 2000 columns and dones the block shrinks to 128 steps
    # (2^18 / 2000): the carry between blocks must equal the step-by-step recurrence, with and without dones
    rng = np.random.default_rng(0)
    r = rng.normal(size=shape)
    d = rng.random(shape) < 0.05
    for gamma in (0.5, 0.99, 1.0):
        np.testing.assert_allclose(discounted_returns(r, gamma), loop_returns(r, gamma), rtol=0, atol=1e-11)
        np.testing.assert_allclose(discounted_returns(r, gamma, d), loop_returns(r, gamma, d), rtol=0, atol=1e-11)


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_at_extreme_inputs(dtype) -> None:
    # weights gamma^k <= 1 and, with dones every 15 steps, at most 15 terms: |G| <= 15e4
    x = np.tile(EXTREMES, 20).astype(dtype)
    d = np.tile(np.arange(15) == 14, 20)
    for gamma in (0.0, 0.5, 1.0):
        G = discounted_returns(x, gamma, dones=d)
        assert G.dtype == dtype and np.all(np.isfinite(G)) and np.max(np.abs(G)) <= 15e4 * (1 + 1e-5)


# ---------------------------------------------------------------- properties
@settings(max_examples=40)
@given(arrays(np.float64, st.integers(1, 200), elements=st.floats(-100, 100)), st.floats(0.0, 1.0), st.data())
def test_satisfies_the_recurrence(r: np.ndarray, gamma: float, data) -> None:
    # G_t - gamma (1 - done_t) G_{t+1} = r_t at every step, and G_{T-1} = r_{T-1}
    d = data.draw(arrays(np.bool_, r.shape))
    G = discounted_returns(r, gamma, d)
    nxt = np.append(G[1:], 0.0) * ~d
    np.testing.assert_allclose(G - gamma * nxt, r, rtol=0, atol=1e-9 * len(r))


@settings(max_examples=40)
@given(arrays(np.float64, (30, 2), elements=st.floats(-10, 10)), arrays(np.float64, (30, 2), elements=st.floats(-10, 10)),
       st.floats(0.0, 1.0), st.floats(-3, 3))
def test_linear_in_the_rewards(a: np.ndarray, b: np.ndarray, gamma: float, c: float) -> None:
    np.testing.assert_allclose(discounted_returns(a + c * b, gamma), discounted_returns(a, gamma) + c * discounted_returns(b, gamma),
                               rtol=0, atol=1e-9)


@settings(max_examples=30)
@given(arrays(np.float64, st.integers(2, 60), elements=st.floats(-10, 10)), st.floats(0.0, 1.0), st.data())
def test_episodes_are_independent(r: np.ndarray, gamma: float, data) -> None:
    # a done at t splits the series: each part's returns are those of the part alone
    t = data.draw(st.integers(0, len(r) - 2))
    d = np.zeros(len(r), bool)
    d[t] = True
    G = discounted_returns(r, gamma, d)
    # (the masked block sums in another order than the unmasked one: equal to rounding, 60 terms <= 10)
    np.testing.assert_allclose(G[: t + 1], discounted_returns(r[: t + 1], gamma), rtol=0, atol=1e-12)
    np.testing.assert_allclose(G[t + 1:], discounted_returns(r[t + 1:], gamma), rtol=0, atol=1e-12)


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match=re.escape("gamma must be a finite number in [0, 1], got 1.5")):
        discounted_returns([1.0], 1.5)
    with pytest.raises(ValueError, match="rewards must have at least one axis"):
        discounted_returns(3.0, 0.5)
    with pytest.raises(ValueError, match="dones must have the same shape as rewards"):
        discounted_returns([1.0, 2.0], 0.5, dones=[True])
    with pytest.raises(ValueError, match="dones must hold 0/1 or booleans, found 2"):
        discounted_returns([1.0, 2.0], 0.5, dones=[0, 2])
    with pytest.raises(TypeError, match="rewards must be real-valued"):
        discounted_returns([1j], 0.5)


# ---------------------------------------------------------------- references
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gamma", [0.0, 0.5, 0.99, 1.0])
def test_matches_scipy_lfilter(dtype, gamma: float) -> None:
    # lfilter([1], [1, -gamma]) on the reversed rewards runs G_t = r_t + gamma G_{t+1} step by
    # step; we sum blocks of gamma^(k - t) r_k. Weights <= 1, each result rounds ~once per term
    # it adds: with gamma 1 the sum of up to 450 values up to 1e4 is exact to about 450 ulps of
    # that sum's largest partial: 4 ulps per step of the largest |G| (measured: far below)
    signal = require("scipy.signal")
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(size=300) * rng.choice([1e-3, 1.0, 100.0], size=300), np.tile(EXTREMES, 10)]).astype(dtype)
    ref = signal.lfilter([1], [1, -gamma], x.astype(np.float64)[::-1])[::-1]
    ours = discounted_returns(x, gamma)
    scale = float(np.max(np.abs(x))) * (len(x) if gamma == 1.0 else 1 / (1 - gamma))
    assert_matches(ours, ref, dtype, ulps=4, scale=scale)
    # and in the dtype itself: lfilter keeps float32 input in float32
    ref32 = signal.lfilter(np.array([1], dtype), np.array([1, -gamma], dtype), x[::-1])[::-1]
    assert_matches(ours, ref32, dtype, ulps=4, scale=scale)


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_the_loop_with_dones(dtype) -> None:
    # the definition step by step in float64, 8 environments of 400 steps with random dones and
    # extreme rewards; gamma 0.99: each G is a sum with weights <= 1 over at most its episode, so
    # rounded to a few ulps of 100 max |r| (1 / (1 - gamma) terms of weight): 4 ulps of that
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(size=(250, 8)) * 50, np.tile(EXTREMES, (8, 10)).T]).astype(dtype)
    d = rng.random(x.shape) < 0.03
    assert_matches(discounted_returns(x, 0.99, d), loop_returns(x, 0.99, d), dtype, ulps=4, scale=100 * float(np.max(np.abs(x))))
