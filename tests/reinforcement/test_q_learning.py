"""q_learning_update / q_learning: hand values (Watkins' update, the terminal target), properties (a
contraction toward the target, alpha 0 and 1), bad input; references: the update written as a
Python loop over a random sequence of transitions, and, on small deterministic MDPs, convergence to
Q* = R + gamma P V* from value_iteration (fixed seeds)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import q_learning, q_learning_update, value_iteration
from tests.reference import DTYPES, EXTREMES, assert_matches


def grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    """A deterministic n x n grid, cost 1 per step, absorbing free goal in the last cell."""
    S = n * n
    moves = [(-1, 0), (0, 1), (1, 0), (0, -1)]
    P, R = np.zeros((S, 4, S)), np.full((S, 4), -1.0)
    for s in range(S):
        i, j = divmod(s, n)
        for a, (di, dj) in enumerate(moves):
            P[s, a, min(max(i + di, 0), n - 1) * n + min(max(j + dj, 0), n - 1)] = 1.0
    P[S - 1], R[S - 1] = np.eye(S)[[S - 1] * 4], 0.0
    return P, R


def q_star(P: np.ndarray, R: np.ndarray, gamma: float) -> np.ndarray:
    V, _ = value_iteration(P.astype(np.float64), R.astype(np.float64), gamma, tol=1e-14)
    return R + gamma * P @ V


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_values() -> None:
    Q = np.array([[1.0, 2.0], [3.0, -1.0]])
    # target 0.5 + 0.8 * max(3, -1) = 2.9; Q[0, 0] = 1 + 0.1 * (2.9 - 1) = 1.19
    np.testing.assert_allclose(q_learning_update(Q, 0, 0, 0.5, 1, False, 0.1, 0.8), [[1.19, 2.0], [3.0, -1.0]], rtol=1e-15)
    # at a terminal the target is the reward: Q[1, 1] = -1 + 0.5 * (2 - (-1)) = 0.5
    np.testing.assert_allclose(q_learning_update(Q, 1, 1, 2.0, 0, True, 0.5, 0.8), [[1.0, 2.0], [3.0, 0.5]], rtol=1e-15)
    # alpha 1 replaces the entry by the target; alpha 0 leaves the table alone
    assert q_learning_update(Q, 0, 1, 1.0, 0, False, 1.0, 0.5)[0, 1] == 1.0 + 0.5 * 2.0
    np.testing.assert_array_equal(q_learning_update(Q, 0, 1, 1.0, 0, False, 0.0, 0.5), Q)
    # Q is never modified
    assert Q[0, 0] == 1.0 and Q[1, 1] == -1.0


def test_converges_on_a_two_state_chain_by_hand() -> None:
    # state 0 --a1 (r 1)--> state 1 (absorbing, r 0); a0 stays in 0 with r 0. gamma 0.5:
    # V*(1) = 0; Q*(0, 1) = 1, Q*(0, 0) = 0 + 0.5 * 1 = 0.5; Q*(1, .) = 0
    P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]])
    R = np.array([[0.0, 1.0], [0.0, 0.0]])
    Q = q_learning(P, R, 200, 0.5, 0.5, 1.0, np.random.default_rng(0), steps=5)
    np.testing.assert_allclose(Q, [[0.5, 1.0], [0.0, 0.0]], rtol=0, atol=1e-12)


def test_shapes_dtypes_and_nonfinite() -> None:
    Q32 = np.zeros((3, 2), np.float32)
    assert q_learning_update(Q32, 0, 1, 1.0, 2, False, 0.5, 0.9).dtype == np.float32
    P, R = grid(2)
    assert q_learning(P.astype(np.float32), R.astype(np.float32), 2, 0.5, 0.9, 0.5, np.random.default_rng(0)).dtype == np.float32
    assert q_learning(P, R, 0, 0.5, 0.9, 0.5, np.random.default_rng(0)).shape == (4, 4)
    # a NaN reward makes its entry NaN; an infinite one its entry infinite
    assert np.isnan(q_learning_update(np.zeros((2, 2)), 0, 0, np.nan, 1, False, 0.5, 0.9)[0, 0])
    assert q_learning_update(np.zeros((2, 2)), 0, 0, np.inf, 1, False, 0.5, 0.9)[0, 0] == np.inf


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_at_extreme_inputs(dtype) -> None:
    # values up to 1e4 and rewards up to 1e4: the new entry is a convex combination of the old one
    # and the target (|target| <= 1e4 + gamma 1e4): finite
    Q = np.resize(EXTREMES, (5, 3)).astype(dtype)
    for r in (-1e4, 1e4):
        new = q_learning_update(Q, 2, 1, r, 4, False, 0.7, 0.99)
        assert new.dtype == dtype and np.all(np.isfinite(new))


# ---------------------------------------------------------------- properties
@settings(max_examples=25)
@given(arrays(np.float64, (4, 3), elements=st.floats(-100, 100)), st.integers(0, 3), st.integers(0, 2), st.floats(-10, 10),
       st.integers(0, 3), st.booleans(), st.floats(0, 1), st.floats(0, 1))
def test_moves_a_fraction_alpha_toward_the_target(Q, s, a, r, s_next, done, alpha, gamma) -> None:
    new = q_learning_update(Q, s, a, r, s_next, done, alpha, gamma)
    target = r if done else r + gamma * Q[s_next].max()
    # only (s, a) changes, and its distance to the target shrinks by 1 - alpha
    others = np.ones_like(Q, bool)
    others[s, a] = False
    np.testing.assert_array_equal(new[others], Q[others])
    assert abs(new[s, a] - target) <= (1 - alpha) * abs(Q[s, a] - target) + 1e-12


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    Q = np.zeros((3, 2))
    with pytest.raises(ValueError, match=re.escape("a must be an integer in [0, 1], got 2")):
        q_learning_update(Q, 0, 2, 1.0, 1, False, 0.5, 0.9)
    with pytest.raises(ValueError, match=re.escape("s_next must be an integer in [0, 2], got 3")):
        q_learning_update(Q, 0, 1, 1.0, 3, False, 0.5, 0.9)
    with pytest.raises(TypeError, match="done must be a bool"):
        q_learning_update(Q, 0, 1, 1.0, 1, 0, 0.5, 0.9)
    with pytest.raises(ValueError, match="r must be a scalar reward"):
        q_learning_update(Q, 0, 1, [1.0, 2.0], 1, False, 0.5, 0.9)
    with pytest.raises(ValueError, match=re.escape("alpha must be a finite number in [0, 1], got 1.5")):
        q_learning_update(Q, 0, 1, 1.0, 1, False, 1.5, 0.9)
    with pytest.raises(ValueError, match=re.escape("Q must have shape (S, A)")):
        q_learning_update(np.zeros(3), 0, 0, 1.0, 1, False, 0.5, 0.9)
    P, R = grid(2)
    with pytest.raises(ValueError, match=re.escape("gamma must be a finite number in [0, 1), got 1.0")):
        q_learning(P, R, 3, 0.5, 1.0, 0.1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="episodes must be an integer >= 0"):
        q_learning(P, R, -1, 0.5, 0.9, 0.1, np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        q_learning(P, R, 1, 0.5, 0.9, 0.1, rng=3)


# ---------------------------------------------------------------- references
@pytest.mark.parametrize("dtype", DTYPES)
def test_update_matches_the_loop(dtype) -> None:
    # 300 random transitions applied in sequence by q_learning_update and by the update written
    # out in float64; one multiply-add per step on values that stay below max |r| / (1 - gamma):
    # each step rounds once and the contraction damps old errors: 8 ulps of that bound
    rng = np.random.default_rng(0)
    S, A, gamma, alpha = 5, 3, 0.9, 0.3
    Q, ref = np.zeros((S, A), dtype), np.zeros((S, A))
    for _ in range(300):
        s, a, s2 = rng.integers(S), rng.integers(A), rng.integers(S)
        r, done = dtype(rng.normal() * 100), bool(rng.random() < 0.1)
        Q = q_learning_update(Q, s, a, r, s2, done, alpha, gamma)
        target = float(r) + (0.0 if done else gamma * ref[s2].max())
        ref[s, a] += alpha * (target - ref[s, a])
    assert_matches(Q, ref, dtype, ulps=8, scale=1000 * 4 / (1 - gamma))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n,seed", [(2, 0), (3, 1)])
def test_q_learning_converges_to_q_star(dtype, n: int, seed: int) -> None:
    # a deterministic grid, uniformly random behaviour (epsilon 1: off-policy learning of the greedy
    # values), alpha 0.5: every entry contracts to its fixed point Q* = R + gamma P V* (value_iteration
    # in float64); 400 episodes of 10 steps visit each pair hundreds of times: float64 reaches Q* to
    # rounding (1e-9), float32 to the rounding of its updates: 64 ulps of max |Q*| (measured <= 8)
    P, R = grid(n)
    Q = q_learning(P.astype(dtype), R.astype(dtype), 400, 0.5, 0.9, 1.0, np.random.default_rng(seed), steps=10)
    ref = q_star(P, R, 0.9)
    if dtype == np.float64:
        np.testing.assert_allclose(Q, ref, rtol=0, atol=1e-9)
    else:
        assert_matches(Q, ref, dtype, ulps=64, scale=float(np.max(np.abs(ref))))
    # its greedy policy is optimal: evaluated exactly it reaches V*
    V_star = ref.max(axis=1)
    np.testing.assert_allclose(ref[np.arange(n * n), Q.argmax(axis=1)], V_star, rtol=0, atol=1e-5)
