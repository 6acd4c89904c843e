"""policy_evaluation / value_iteration: hand values (a two-state chain, a grid corridor), the Bellman
equations as properties, bad input; references: the linear system solved with numpy.linalg.solve,
and an exhaustive search over all |A|^|S| deterministic policies evaluated exactly."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import policy_evaluation, value_iteration
from tests.reference import DTYPES, assert_matches


def random_mdp(rng: np.random.Generator, S: int, A: int, scale: float = 1.0, sparse: bool = False):
    P = rng.random((S, A, S)) ** 3
    if sparse:
        P = P * (rng.random((S, A, S)) < 0.4)
        P[..., 0] += 1e-3
    P /= P.sum(axis=2, keepdims=True)
    return P, rng.normal(size=(S, A)) * scale


def exact_values(P: np.ndarray, R: np.ndarray, pi: np.ndarray, gamma: float) -> np.ndarray:
    """V_pi = (I - gamma P_pi)^-1 R_pi, in float64: the independent reference."""
    P, R, pi = (np.asarray(a, np.float64) for a in (P, R, pi))
    P_pi = np.einsum("sa,sat->st", pi, P)
    return np.linalg.solve(np.eye(len(R)) - gamma * P_pi, np.sum(pi * R, axis=1))


def best_deterministic(P: np.ndarray, R: np.ndarray, gamma: float) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    """Evaluate all |A|^|S| deterministic policies exactly; the optimal one dominates in every state."""
    S, A = R.shape
    best, winners = None, []
    for actions in itertools.product(range(A), repeat=S):
        V = exact_values(P, R, np.eye(A)[list(actions)], gamma)
        if best is None or np.sum(V) > np.sum(best) + 1e-9:
            best, winners = V, [actions]
        elif np.sum(V) > np.sum(best) - 1e-9:
            winners.append(actions)
    return best, winners


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_values() -> None:
    # two states; action 0 stays, action 1 switches. Rewards: state 0 pays 1 for staying, state 1
    # pays 3 for staying; switching pays 0. gamma 0.5. Best: state 1 stays, V(1) = 3 / (1 - 0.5) = 6;
    # state 0: stay gives 1 / 0.5 = 2, switch gives 0 + 0.5 * 6 = 3: switch, V(0) = 3
    P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]])
    R = np.array([[1.0, 0.0], [3.0, 0.0]])
    V, policy = value_iteration(P, R, 0.5, tol=1e-14)
    np.testing.assert_allclose(V, [3.0, 6.0], rtol=1e-13)
    np.testing.assert_array_equal(policy, [1, 0])
    assert policy.dtype == np.int64
    # the uniform random policy: V0 = 0.5 + 0.5 (0.5 V0 + 0.5 V1), V1 = 1.5 + 0.5 (0.5 V1 + 0.5 V0):
    # 0.75 V0 - 0.25 V1 = 0.5 and 0.75 V1 - 0.25 V0 = 1.5: their sum gives V0 + V1 = 4, their
    # difference V0 - V1 = -1, so V0 = 1.5, V1 = 2.5
    V_rand = policy_evaluation(P, R, np.full((2, 2), 0.5), 0.5, tol=1e-14)
    np.testing.assert_allclose(V_rand, [1.5, 2.5], rtol=1e-13)
    # gamma 0: the best immediate reward
    V0, pol0 = value_iteration(P, R, 0.0)
    np.testing.assert_array_equal(V0, [1.0, 3.0])
    np.testing.assert_array_equal(pol0, [0, 0])


def test_corridor_from_the_textbook() -> None:
    # a corridor of 5 cells with an absorbing goal at the right end paying 1 on arrival (Sutton &
    # Barto's shortest-path example in miniature): V*(s) = gamma^(steps to the goal - 1)
    S, gamma = 5, 0.9
    P = np.zeros((S, 2, S))
    R = np.zeros((S, 2))
    for s in range(S - 1):
        P[s, 0, max(s - 1, 0)] = 1.0           # left
        P[s, 1, s + 1] = 1.0                   # right
    R[S - 2, 1] = 1.0                          # entering the goal
    P[S - 1, :, S - 1] = 1.0                   # the goal is absorbing, reward 0
    V, policy = value_iteration(P, R, gamma, tol=1e-14)
    np.testing.assert_allclose(V, [gamma**3, gamma**2, gamma, 1.0, 0.0], rtol=1e-13)
    np.testing.assert_array_equal(policy, [1, 1, 1, 1, 0])   # at the goal both tie: lowest index


def test_ties_go_to_the_lowest_index() -> None:
    # three identical actions, and two actions equal only in exact arithmetic (0.1 * 3 vs 0.3)
    P = np.zeros((2, 3, 2))
    P[:, :, 0] = 1.0
    V, policy = value_iteration(P, np.zeros((2, 3)), 0.9)
    np.testing.assert_array_equal(policy, [0, 0])
    P2 = np.zeros((1, 2, 1)) + 1.0
    _, policy2 = value_iteration(P2, [[0.1 + 0.2, 0.3]], 0.9)
    np.testing.assert_array_equal(policy2, [0])


def test_shapes_dtypes_and_empty() -> None:
    rng = np.random.default_rng(0)
    P, R = random_mdp(rng, 4, 3)
    V, policy = value_iteration(P.astype(np.float32), R.astype(np.float32), 0.9)
    assert V.dtype == np.float32 and policy.dtype == np.int64 and V.shape == policy.shape == (4,)
    assert policy_evaluation(P.astype(np.float32), R.astype(np.float32), np.full((4, 3), 1 / 3, np.float32), 0.9).dtype == np.float32
    assert value_iteration(np.zeros((0, 2, 0)), np.zeros((0, 2)), 0.9)[0].shape == (0,)


def test_huge_rewards_stop_at_rounding_level() -> None:
    # 1e300 rewards in float64 and 1e30 in float32: no absolute tol can be reached, the sweeps stop
    # when only rounding changes V; V = R / (1 - gamma) for a single absorbing state
    for dtype, big in ((np.float64, 1e300), (np.float32, 1e30)):
        V, _ = value_iteration(np.ones((1, 1, 1), dtype), np.full((1, 1), big, dtype), 0.9)
        np.testing.assert_allclose(V, [big / 0.1], rtol=200 * np.finfo(dtype).eps)


# ---------------------------------------------------------------- properties
@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(1, 4), st.floats(0.0, 0.95), st.integers(0, 2**32 - 1))
def test_satisfies_the_bellman_equations(S: int, A: int, gamma: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    P, R = random_mdp(rng, S, A, sparse=seed % 2 == 0)
    V, policy = value_iteration(P, R, gamma, tol=1e-12)
    Q = R + gamma * P @ V
    # optimality: V = max_a Q, to the accuracy gamma tol / (1 - gamma) and rounding
    np.testing.assert_allclose(V, Q.max(axis=1), rtol=0, atol=1e-10)
    # the greedy policy's own value equals V (it is optimal)
    np.testing.assert_allclose(exact_values(P, R, np.eye(A)[policy], gamma), V, rtol=0, atol=1e-9)
    # expectation equation for a random stochastic policy: V_pi = R_pi + gamma P_pi V_pi
    pi = rng.random((S, A)) + 0.01
    pi /= pi.sum(axis=1, keepdims=True)
    V_pi = policy_evaluation(P, R, pi, gamma, tol=1e-12)
    np.testing.assert_allclose(V_pi, np.sum(pi * R, 1) + gamma * np.einsum("sa,sat,t->s", pi, P, V_pi), rtol=0, atol=1e-10)
    # and no policy does better than the optimum
    assert np.all(V_pi <= V + 1e-9)


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    P = np.full((2, 2, 2), 0.5)
    R = np.zeros((2, 2))
    with pytest.raises(ValueError, match=re.escape("gamma must be a finite number in [0, 1), got 1.0")):
        value_iteration(P, R, 1.0)
    with pytest.raises(ValueError, match=re.escape("P[0, 1] sums to 1.5")):
        value_iteration(np.array([[[0.5, 0.5], [1.0, 0.5]], [[0.5, 0.5], [0.5, 0.5]]]), R, 0.9)
    with pytest.raises(ValueError, match="P must hold probabilities in \\[0, 1\\], found 1.5"):
        value_iteration(np.array([[[1.5, -0.5], [0.5, 0.5]], [[0.5, 0.5], [0.5, 0.5]]]), R, 0.9)
    with pytest.raises(ValueError, match=re.escape("P must have shape (S, A, S)")):
        value_iteration(np.full((2, 2, 3), 1 / 3), R, 0.9)
    with pytest.raises(ValueError, match=re.escape("R must have shape (S, A) = (2, 2)")):
        value_iteration(P, np.zeros((2, 3)), 0.9)
    with pytest.raises(ValueError, match="R must be finite, found nan at \\(1, 0\\)"):
        value_iteration(P, [[0.0, 0.0], [np.nan, 0.0]], 0.9)
    with pytest.raises(ValueError, match="policy\\[1\\] sums to 0.5"):
        policy_evaluation(P, R, [[0.5, 0.5], [0.25, 0.25]], 0.9)
    with pytest.raises(ValueError, match=re.escape("tol must be a finite number > 0, got 0.0")):
        policy_evaluation(P, R, np.full((2, 2), 0.5), 0.9, tol=0.0)
    with pytest.raises(TypeError, match="R must be real-valued"):
        value_iteration(P, R + 0j, 0.9)


# ---------------------------------------------------------------- references
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gamma", [0.0, 0.5, 0.9, 0.99])
def test_policy_evaluation_matches_the_linear_solve(dtype, gamma: float) -> None:
    # the exact V_pi from numpy.linalg.solve in float64. Iteration stops within gamma tol / (1 - gamma)
    # (tol 1e-12: < 1e-10) in float64; in float32 at rounding noise, each sweep adding ~(S + 2) ulps
    # of max |V| that the contraction sums over 1 / (1 - gamma) sweeps: ulps (S + 2) / (1 - gamma)
    rng = np.random.default_rng(int(gamma * 100))
    for scale in (1.0, 1e4):
        P, R = random_mdp(rng, 8, 3, scale, sparse=True)
        pi = rng.random((8, 3))
        pi /= pi.sum(axis=1, keepdims=True)
        P, R, pi = P.astype(dtype), R.astype(dtype), pi.astype(dtype)
        V = policy_evaluation(P, R, pi, gamma, tol=1e-12 * scale)
        ref = exact_values(P, R, pi, gamma)
        big = float(np.max(np.abs(ref)))
        if dtype == np.float64:
            np.testing.assert_allclose(V, ref, rtol=0, atol=100 * 1e-12 * scale + 1e-13 * big)
        else:
            assert_matches(V, ref, dtype, ulps=10 / (1 - gamma), scale=big)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", range(6))
def test_value_iteration_matches_exhaustive_search(dtype, seed: int) -> None:
    # all 3^5 = 243 deterministic policies of a random MDP evaluated by linalg.solve: the best one
    # (it dominates in every state) has value V*, and value_iteration's policy is one of the best
    # (in float64; float32 rounding can swap actions closer than its precision). Tolerances as above
    rng = np.random.default_rng(seed)
    gamma = [0.5, 0.9, 0.95][seed % 3]
    P, R = random_mdp(rng, 5, 3, sparse=seed % 2 == 0)
    P, R = P.astype(dtype), R.astype(dtype)
    best, winners = best_deterministic(P, R, gamma)
    V, policy = value_iteration(P, R, gamma, tol=1e-13)
    if dtype == np.float64:
        np.testing.assert_allclose(V, best, rtol=0, atol=1e-11)
        assert tuple(policy) in winners
    else:
        assert_matches(V, best, dtype, ulps=10 / (1 - gamma), scale=float(np.max(np.abs(best))))
        np.testing.assert_allclose(exact_values(P, R, np.eye(3)[policy], gamma), best, rtol=0, atol=1e-4)
