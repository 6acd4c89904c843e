"""kl_divergence and its backward: hand values, properties, stability, bad input, scipy and PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import kl_divergence, kl_divergence_backward
from tests.reference import DTYPES, assert_matches, require, torch_forward_backward


# ---------------------------------------------------------------- hand-checked values
def test_hand_values() -> None:
    # p = (1/2, 1/2), q = (1/4, 3/4): 1/2 ln 2 + 1/2 ln(2/3) = 1/2 ln(4/3)
    assert math.isclose(kl_divergence([0.5, 0.5], [0.25, 0.75]), 0.5 * math.log(4 / 3), rel_tol=1e-15)
    # and the other way round: 1/4 ln(1/2) + 3/4 ln(3/2) -- not symmetric
    assert math.isclose(kl_divergence([0.25, 0.75], [0.5, 0.5]), 0.25 * math.log(0.5) + 0.75 * math.log(1.5), rel_tol=1e-15)
    # 0 log 0 = 0: a point mass against the uniform distribution on 4 outcomes is log 4
    assert math.isclose(kl_divergence([0.0, 0.0, 1.0, 0.0], [0.25] * 4), math.log(4), rel_tol=1e-15)
    # p = 0 where q = 0 contributes nothing; p > 0 where q = 0 makes the divergence infinite
    assert kl_divergence([0.0, 1.0], [0.0, 1.0]) == 0.0
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == np.inf
    # rows along axis -1 by default; axis 0 sums down the columns
    pq = np.array([[0.5, 0.5], [0.5, 0.5]])
    np.testing.assert_array_equal(kl_divergence(pq, pq), [0.0, 0.0])
    np.testing.assert_allclose(kl_divergence([[1.0, 0.5], [0.0, 0.5]], [[0.5, 0.5], [0.5, 0.5]], axis=0), [math.log(2), 0.0], rtol=1e-15)


def test_backward_hand_values() -> None:
    # dp = log(p/q) + 1 = (ln 2 + 1, ln(2/3) + 1); dq = -p/q = (-2, -2/3); grad_out 3 scales both
    dp, dq = kl_divergence_backward(3.0, [0.5, 0.5], [0.25, 0.75])
    np.testing.assert_allclose(dp, 3 * np.array([math.log(2) + 1, math.log(2 / 3) + 1]), rtol=1e-15)
    np.testing.assert_allclose(dq, 3 * np.array([-2.0, -2 / 3]), rtol=1e-15)
    # the boundary conventions: p = 0 -> dp = -inf, dq = 0 (even for q = 0); q = 0 < p -> inf, -inf
    dp, dq = kl_divergence_backward(1.0, [0.0, 0.0, 1.0], [0.5, 0.0, 0.0])
    np.testing.assert_array_equal(dp, [-np.inf, -np.inf, np.inf])
    np.testing.assert_array_equal(dq, [0.0, 0.0, -np.inf])
    # one upstream gradient per row, repeated along the axis
    dp, dq = kl_divergence_backward([1.0, 2.0], np.full((2, 2), 0.5), np.full((2, 2), 0.5))
    np.testing.assert_array_equal(dp, [[1.0, 1.0], [2.0, 2.0]])
    np.testing.assert_array_equal(dq, [[-1.0, -1.0], [-2.0, -2.0]])


# ---------------------------------------------------------------- properties
def distributions(n: int, zeros: bool = True):
    """A strategy for one probability vector of length n (some entries exactly 0 when ``zeros``)."""
    low = 0.0 if zeros else 1e-3
    return arrays(np.float64, n, elements=st.floats(low, 1.0)).filter(lambda a: a.sum() > 0).map(lambda a: a / a.sum())


@given(st.integers(1, 8).flatmap(lambda n: st.tuples(distributions(n), distributions(n, zeros=False))))
def test_gibbs_inequality(pq) -> None:
    # KL >= 0, with equality iff p = q (rounding aside)
    p, q = pq
    assert kl_divergence(p, q) >= -1e-15
    assert abs(kl_divergence(p, p)) <= 1e-15


@given(st.integers(1, 8).flatmap(lambda n: st.tuples(distributions(n), distributions(n, zeros=False))))
def test_gradient_identities(pq) -> None:
    # sum_i q_i * dKL/dq_i = -sum_i p_i = -1 for a normalised p
    p, q = pq
    _, dq = kl_divergence_backward(1.0, p, q)
    assert math.isclose(np.sum(q * dq), -1.0, rel_tol=1e-12)


@given(st.integers(2, 6).flatmap(lambda n: st.tuples(distributions(n), distributions(n, zeros=False))))
def test_axis_is_a_transpose(pq) -> None:
    p, q = pq
    p2, q2 = np.stack([p, q]), np.stack([q, q])
    np.testing.assert_array_equal(kl_divergence(p2.T, q2.T, axis=0), kl_divergence(p2, q2))


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_at_extremes(dtype) -> None:
    info = np.finfo(dtype)
    # ratios that overflow (1 / tiny), underflow (tiny / 1) and subnormal probabilities
    p = np.array([[1.0, info.smallest_subnormal], [info.smallest_subnormal, 1.0], [0.5, 0.5]], dtype=dtype)
    q = np.array([[info.smallest_subnormal, 1.0], [1.0, info.smallest_subnormal], [1e-4, 1.0]], dtype=dtype)
    value = kl_divergence(p, q)
    dp, dq = kl_divergence_backward(np.ones(3), p, q)
    assert value.dtype == dtype and dp.dtype == dtype and dq.dtype == dtype
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(dp))
    # KL of (1, s) against (s, 1) is about -log s = 745.1 (float64) or 103.3 (float32)
    assert math.isclose(value[0], -math.log(float(info.smallest_subnormal)), rel_tol=1e-6)


def test_nan_in_nan_out() -> None:
    assert np.isnan(kl_divergence([np.nan, 0.5], [0.5, 0.5]))
    assert np.isnan(kl_divergence([0.5, 0.5], [np.nan, 0.5]))
    assert np.isnan(kl_divergence([0.0, 1.0], [np.nan, 1.0]))  # 0 log(0 / nan) is not 0


def test_inputs_are_not_modified() -> None:
    p, q = np.array([0.0, 1.0]), np.array([0.5, 0.5])
    p.setflags(write=False)
    q.setflags(write=False)
    kl_divergence(p, q)
    kl_divergence_backward(1.0, p, q)


# ---------------------------------------------------------------- bad input
def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match=r"q must have the same shape as p: p has shape \(2,\), q has shape \(3,\)"):
        kl_divergence([0.5, 0.5], [0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match=r"at least one dimension .* got shape \(\)"):
        kl_divergence(1.0, 1.0)
    with pytest.raises(ValueError, match=r"axis 2 is out of range for an input of shape \(2, 2\)"):
        kl_divergence(np.full((2, 2), 0.5), np.full((2, 2), 0.5), axis=2)
    with pytest.raises(TypeError, match="axis must be an integer"):
        kl_divergence([0.5, 0.5], [0.5, 0.5], axis=0.0)
    with pytest.raises(ValueError, match="p must hold non-negative probabilities, found -0.5"):
        kl_divergence([1.5, -0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match="q must hold non-negative probabilities, found -0.1"):
        kl_divergence([0.5, 0.5], [1.1, -0.1])
    with pytest.raises(TypeError, match="q must be real-valued"):
        kl_divergence([0.5, 0.5], [0.5j, 0.5])
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2,\), got shape \(\)"):
        kl_divergence_backward(1.0, np.full((2, 2), 0.5), np.full((2, 2), 0.5))


# ---------------------------------------------------------------- scipy and PyTorch
def reference_inputs(dtype, rng):
    """Rows of probabilities: random, peaked (entries down to 1e-30), with exact zeros in p and
    in q (where p is also 0), and with p > 0 where q = 0 (infinite divergence)."""
    p = rng.random((30, 6)) ** rng.choice([1, 4, 20], size=(30, 1))
    q = rng.random((30, 6)) ** rng.choice([1, 4, 20], size=(30, 1))
    p[:5, 0] = 0.0
    p[5:8, 1] = q[5:8, 1] = 0.0
    q[8:10, 2] = 0.0
    p, q = p / p.sum(axis=1, keepdims=True), q / q.sum(axis=1, keepdims=True)
    return p.astype(dtype), q.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [-1, 0])
def test_matches_scipy(dtype, axis) -> None:
    stats = require("scipy.stats")
    p, q = reference_inputs(dtype, np.random.default_rng(6))
    if axis == 0:
        p, q = p.T, q.T
    ours = kl_divergence(p, q, axis=axis)
    # scipy re-normalises in float64; our inputs already sum to 1 to within a few ulps of dtype,
    # so the two differ by that normalisation, relative to the size of the terms |p log(p/q)| <= ~70
    ref = stats.entropy(p.astype(np.float64), q.astype(np.float64), axis=axis)
    assert np.array_equal(np.isinf(ours), np.isinf(ref)) and np.isinf(ref).sum() == 2
    finite = np.isfinite(ref)
    assert_matches(ours[finite], ref[finite], dtype, scale=float(np.max(ref[finite])))


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch_kl_div(dtype) -> None:
    torch = require("torch")
    p, q = reference_inputs(dtype, np.random.default_rng(7))
    keep = np.all(q > 0, axis=1)  # torch's log(0) = -inf times p = 0 gives nan, not 0; compared apart
    p, q = p[keep], q[keep]
    # torch.nn.functional.kl_div(input, target) takes log q FIRST and p second: KL(target || exp(input))
    ref, (ref_dp, ref_dq) = torch_forward_backward(
        lambda p_, q_: torch.nn.functional.kl_div(q_.log(), p_, reduction="none").sum(-1),
        [p, q], np.full(p.shape[0], 0.5), wrt=[0, 1],
    )
    # torch computes p log p - p log q (two logs, a difference): exact only to eps * |log q|
    scale = float(np.max(np.abs(np.log(q))))
    assert_matches(kl_divergence(p, q), ref, dtype, scale=scale)
    dp, dq = kl_divergence_backward(np.full(p.shape[0], 0.5), p, q)
    nonzero = p > 0  # torch's gradient with respect to p is nan where p = 0 (ours is -inf)
    assert np.all(np.isnan(ref_dp[~nonzero])) and np.all(dp[~nonzero] == -np.inf)
    assert_matches(dp[nonzero], ref_dp[nonzero], dtype, scale=scale)
    assert_matches(dq, ref_dq, dtype)
