"""epsilon_greedy / epsilon_greedy_probs / linear_epsilon_decay: hand values, properties (rows sum to
1, the greedy action's share), empirical frequencies of the sampler against the closed-form
probabilities (fixed seed, a binomial bound), ties, bad input; no library implements the policy: the
references are the closed form eps / A + (1 - eps) [a = argmax] and a brute-force loop."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import epsilon_greedy, epsilon_greedy_probs, linear_epsilon_decay
from tests.reference import DTYPES, EXTREMES, assert_matches


def loop_probs(q: np.ndarray, eps: float) -> np.ndarray:
    """Brute force, one row at a time: eps / A everywhere, plus 1 - eps on the first maximum."""
    q = np.asarray(q, np.float64).reshape(-1, np.shape(q)[-1])
    out = np.zeros_like(q)
    for i, row in enumerate(q):
        A = len(row)
        best = 0
        for a in range(A):
            if row[a] > row[best]:
                best = a
        for a in range(A):
            out[i, a] = eps / A + (1 - eps) * (a == best)
    return out.reshape(np.shape(q))


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_values() -> None:
    # 3 actions, eps 0.3: 0.1 each, plus 0.7 on the greedy action (index 1)
    np.testing.assert_allclose(epsilon_greedy_probs([0.0, 2.0, 1.0], 0.3), [0.1, 0.8, 0.1], rtol=1e-15)
    # eps 1: uniform; eps 0: one-hot on the greedy action
    np.testing.assert_array_equal(epsilon_greedy_probs([0.0, 2.0], 1.0), [0.5, 0.5])
    np.testing.assert_array_equal(epsilon_greedy_probs([0.0, 2.0], 0.0), [0.0, 1.0])
    # a tie between actions 0 and 2: the lowest index is greedy
    np.testing.assert_allclose(epsilon_greedy_probs([3.0, 1.0, 3.0], 0.3), [0.8, 0.1, 0.1], rtol=1e-15)
    # decay: 0.5 -> 0.0 over 10 steps: at step 4, 0.5 - 0.5 * 0.4 = 0.3; also upward ramps
    assert np.isclose(linear_epsilon_decay(4, 0.5, 0.0, 10), 0.3, rtol=1e-15)
    assert linear_epsilon_decay(20, 0.5, 0.0, 10) == 0.0
    assert np.isclose(linear_epsilon_decay(5, 0.0, 1.0, 10), 0.5, rtol=1e-15)
    # epsilon 1 with a seeded generator: the draws of rng.integers, as written
    rng = np.random.default_rng(7)
    explore = rng.random(5) < 1.0
    expected = rng.integers(0, 4, size=5)
    np.testing.assert_array_equal(epsilon_greedy(np.zeros((5, 4)), 1.0, rng=np.random.default_rng(7)), expected)
    assert explore.all()


def test_shapes_dtypes_nan() -> None:
    assert epsilon_greedy_probs(np.zeros((2, 5, 3), np.float32), 0.1).dtype == np.float32
    assert epsilon_greedy_probs(np.zeros((2, 5, 3)), 0.1).shape == (2, 5, 3)
    a = epsilon_greedy(np.zeros((2, 5, 3)), 0.5, rng=np.random.default_rng(0))
    assert a.shape == (2, 5) and a.dtype == np.int64 and a.min() >= 0 and a.max() <= 2
    assert epsilon_greedy(np.zeros(3), 0.5, rng=np.random.default_rng(0)).shape == ()
    assert isinstance(linear_epsilon_decay(3, 1.0, 0.1, 10), np.floating)
    p = epsilon_greedy_probs([[1.0, np.nan], [1.0, 2.0]], 0.1)
    assert np.isnan(p[0]).all() and np.allclose(p[1], [0.05, 0.95])
    assert linear_epsilon_decay(np.inf, 1.0, 0.1, 10) == 0.1
    # extremes and infinities in q: the greedy action is the largest, +inf included
    np.testing.assert_array_equal(epsilon_greedy_probs([1e4, np.inf, -np.inf], 0.0), [0.0, 1.0, 0.0])
    assert epsilon_greedy(EXTREMES, 0.0, rng=np.random.default_rng(0)) == np.argmax(EXTREMES)


# ---------------------------------------------------------------- properties
@settings(max_examples=50)
@given(arrays(np.float64, (4, 6), elements=st.floats(-1e4, 1e4)), st.floats(0.0, 1.0))
def test_rows_are_distributions_with_the_greedy_share(q: np.ndarray, eps: float) -> None:
    p = epsilon_greedy_probs(q, eps)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    assert np.all(p >= 0)
    np.testing.assert_allclose(p[np.arange(4), q.argmax(axis=1)], 1 - eps + eps / 6, rtol=0, atol=1e-15)


@settings(max_examples=30)
@given(st.integers(0, 10**6), st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.integers(1, 10**5))
def test_decay_is_monotone_and_bounded(step: int, start: float, end: float, n: int) -> None:
    e, e_next = linear_epsilon_decay(step, start, end, n), linear_epsilon_decay(step + 1, start, end, n)
    assert min(start, end) - 1e-15 <= e <= max(start, end) + 1e-15
    assert (e_next - e) * (end - start) >= -1e-15


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match=re.escape("epsilon must be a finite number in [0, 1], got 1.5")):
        epsilon_greedy_probs([0.0, 1.0], 1.5)
    with pytest.raises(ValueError, match="q_values must have at least one action"):
        epsilon_greedy(np.zeros((3, 0)), 0.1)
    with pytest.raises(ValueError, match=re.escape("q_values must not hold NaN (no action is greedy), found one at (1, 0)")):
        epsilon_greedy([[0.0, 1.0], [np.nan, 0.0]], 0.1, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        epsilon_greedy([0.0, 1.0], 0.1, rng=0)
    with pytest.raises(ValueError, match="step must be >= 0, got -1.0"):
        linear_epsilon_decay(-1, 1.0, 0.1, 10)
    with pytest.raises(ValueError, match=re.escape("decay_steps must be an integer >= 1, got 0")):
        linear_epsilon_decay(1, 1.0, 0.1, 0)
    with pytest.raises(TypeError, match="q_values must be real-valued"):
        epsilon_greedy_probs([1j, 0.0], 0.1)


# ---------------------------------------------------------------- references
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("eps", [0.0, 0.05, 0.3, 1.0])
def test_probs_match_the_closed_form_loop(dtype, eps: float) -> None:
    # random rows, rows with ties (rounded values) and the extremes: eps / A and 1 - eps + eps / A
    # are each one or two roundings of the dtype: 2 ulps of 1
    rng = np.random.default_rng(0)
    q = np.concatenate([rng.normal(size=(100, 5)), np.round(rng.normal(size=(100, 5))), EXTREMES[:15].reshape(3, 5)]).astype(dtype)
    assert_matches(epsilon_greedy_probs(q, eps), loop_probs(q, eps), dtype, ulps=2)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sampled_frequencies_match_the_probabilities(dtype) -> None:
    # 40 000 draws from one state of 4 actions (greedy: 2), eps 0.3: each frequency is binomial with
    # sd sqrt(p (1 - p) / n) <= 0.0025; fixed seed, a bound of 5 sd (a false alarm ~1e-6)
    q = np.tile(np.array([0.1, -1.0, 2.0, 1.9], dtype), (40_000, 1))
    actions = epsilon_greedy(q, 0.3, rng=np.random.default_rng(123))
    freq = np.bincount(actions, minlength=4) / len(actions)
    p = epsilon_greedy_probs(q[0], 0.3)
    assert np.all(np.abs(freq - p) <= 5 * np.sqrt(p * (1 - p) / len(actions))), (freq, p)


def test_decay_matches_the_loop() -> None:
    # the schedule written as a loop of additions, one step at a time (float64): 1e-12
    eps, values = 1.0, []
    for _ in range(300):
        values.append(eps)
        eps = max(eps - 0.9 / 200, 0.1)
    np.testing.assert_allclose(linear_epsilon_decay(np.arange(300), 1.0, 0.1, 200), values, rtol=0, atol=1e-12)
