"""cooccurrence_matrix, glove_weight, glove_loss and its backward."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import cooccurrence_matrix, glove_loss, glove_loss_backward, glove_weight
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward


def brute_force_cooccurrence(ids, v, w, weighted=True):
    """The definition, one (position, position) pair at a time."""
    x = np.zeros((v, v))
    for i in range(len(ids)):
        for j in range(len(ids)):
            if 1 <= abs(i - j) <= w:
                x[ids[i], ids[j]] += 1 / abs(i - j) if weighted else 1
    return x


def params(rng, v, d, scale=1.0, dtype=np.float64):
    return [(rng.normal(size=s) * scale).astype(dtype) for s in [(v, d), (v, d), (v,), (v,)]]


# ---------------------------------------------------------------- hand-checked values
def test_cooccurrence_by_hand() -> None:
    # "a b c a" (0 1 2 0), window 3: (a,b) at 1 and 2 -> 1 + 1/2; (a,c) at 2 and 1 -> 1/2 + 1;
    # (b,c) at 1 -> 1; (a,a) at 3 -> 1/3 in both directions
    x = cooccurrence_matrix([0, 1, 2, 0], 3, 3)
    np.testing.assert_allclose(x, [[2 / 3, 1.5, 1.5], [1.5, 0, 1], [1.5, 1, 0]], rtol=1e-15)
    # plain counts: every pair 1
    np.testing.assert_array_equal(cooccurrence_matrix([0, 1, 2, 0], 3, 3, distance_weighting=False),
                                  [[2, 2, 2], [2, 0, 1], [2, 1, 0]])
    # window 1 over "a b": one pair, both directions
    np.testing.assert_array_equal(cooccurrence_matrix([0, 1], 2, 1), [[0, 1], [1, 0]])
    # empty and one-token corpora co-occur nothing
    assert not cooccurrence_matrix(np.array([], int), 3, 2).any() and not cooccurrence_matrix([1], 3, 2).any()


def test_weight_by_hand() -> None:
    # (x / 100)^(3/4): 1 -> 100^-0.75 = 10^-1.5; 16/81 of x_max = 16.0 with x_max = 81 -> (16/81)^(3/4) = 8/27
    np.testing.assert_allclose(glove_weight([1.0]), [10 ** -1.5], rtol=1e-15)
    np.testing.assert_allclose(glove_weight([16.0], x_max=81.0), [8 / 27], rtol=1e-15)
    # alpha = 1: linear up to x_max; alpha = 0: 1 for every count that occurs, still 0 at 0 (not 0^0)
    np.testing.assert_allclose(glove_weight([0.0, 5.0, 20.0], x_max=10.0, alpha=1.0), [0, 0.5, 1], rtol=1e-15)
    np.testing.assert_array_equal(glove_weight([0.0, 0.5, 20.0], alpha=0.0), [0, 1, 1])
    assert glove_weight(np.float32(3.0)).dtype == np.float32


def test_loss_by_hand() -> None:
    # V = 2, D = 1: w = (1, 2), w~ = (1, -1), biases 0; X = [[e, 0], [1, e^-2]]:
    # scores [[1, -1], [2, -2]]; residuals (1 - 1, absent, 2 - 0, -2 + 2) = (0, -, 2, 0);
    # only (1, 0) contributes: f(1) * 4 = 4 * 100^-0.75
    w, wt = np.array([[1.0], [2.0]]), np.array([[1.0], [-1.0]])
    x = np.array([[math.e, 0.0], [1.0, math.exp(-2)]])
    z = np.zeros(2)
    assert math.isclose(glove_loss(w, wt, z, z, x), 4 * 100 ** -0.75, rel_tol=1e-14)
    # gradient: E[1, 0] = 2 f(1) * 2 = 4 f(1), all other entries 0
    e = 4 * 100 ** -0.75
    dw, dwt, db, dbt = glove_loss_backward(1.0, w, wt, z, z, x)
    np.testing.assert_allclose(dw, [[0], [e * 1.0]], rtol=1e-14)   # E @ w~: row 1 gets E[1,0] w~_0
    np.testing.assert_allclose(dwt, [[e * 2.0], [0]], rtol=1e-14)  # E.T @ w: row 0 gets E[1,0] w_1
    np.testing.assert_allclose(db, [0, e], rtol=1e-14)
    np.testing.assert_allclose(dbt, [e, 0], rtol=1e-14)


def test_exact_fit_has_zero_loss_and_gradient() -> None:
    # X = exp(W W~^T + b + b~) is fitted exactly by its own parameters
    rng = np.random.default_rng(0)
    w, wt, b, bt = params(rng, 5, 3, scale=0.5)
    x = np.exp(w @ wt.T + b[:, None] + bt[None, :])
    assert glove_loss(w, wt, b, bt, x) < 1e-28
    for g in glove_loss_backward(1.0, w, wt, b, bt, x):
        np.testing.assert_allclose(g, 0, atol=1e-14)


# ---------------------------------------------------------------- properties
@settings(max_examples=50)
@given(st.lists(st.integers(0, 4), max_size=14), st.integers(1, 5), st.booleans())
def test_cooccurrence_matches_brute_force_and_is_symmetric(ids, w, weighted) -> None:
    x = cooccurrence_matrix(np.array(ids, dtype=np.int64), 5, w, distance_weighting=weighted)
    np.testing.assert_allclose(x, brute_force_cooccurrence(ids, 5, w, weighted), rtol=1e-14)
    np.testing.assert_array_equal(x, x.T)


@settings(max_examples=40)
@given(st.integers(0, 2**32 - 1))
def test_loss_is_symmetric_in_words_and_contexts_and_nonnegative(seed) -> None:
    rng = np.random.default_rng(seed)
    w, wt, b, bt = params(rng, 6, 2)
    x = rng.integers(0, 4, (6, 6)) * rng.random((6, 6)) * 50      # many zeros, counts up to 150
    loss = glove_loss(w, wt, b, bt, x)
    assert loss >= 0
    # transposing X swaps the roles of the two tables and the two biases
    assert math.isclose(glove_loss(wt, w, bt, b, x.T), loss, rel_tol=1e-12)
    # a zero count contributes nothing: changing the vectors' scores there changes nothing
    grads = glove_loss_backward(1.0, w, wt, b, bt, x)
    absent = x == 0
    np.testing.assert_allclose(grads[2], np.sum(np.where(absent, 0, 2 * glove_weight(x) * (w @ wt.T + b[:, None] + bt - np.log(np.where(absent, 1, x)))), axis=1), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_up_to_1e4(dtype) -> None:
    rng = np.random.default_rng(2)
    w, wt = rng.choice(EXTREMES, size=(2, 5, 3)).astype(dtype)
    b, bt = rng.choice(EXTREMES, size=(2, 5)).astype(dtype)
    x = rng.choice([0.0, 1e-8, 1.0, 1e4], size=(5, 5)).astype(dtype)
    for out in [glove_loss(w, wt, b, bt, x), *glove_loss_backward(1.0, w, wt, b, bt, x), glove_weight(x)]:
        assert out.dtype == dtype and np.all(np.isfinite(out))


def test_nan_and_inf_counts() -> None:
    w, z = np.ones((2, 1)), np.zeros(2)
    x = np.array([[1.0, np.nan], [0.0, 1.0]])
    assert np.isnan(glove_loss(w, w, z, z, x))
    x[0, 1] = np.inf   # f = 1, residual -inf: the loss overflows to inf
    assert glove_loss(w, w, z, z, x) == np.inf


# ---------------------------------------------------------------- bad input
def test_rejects_bad_input() -> None:
    w, z = np.ones((2, 1)), np.zeros(2)
    with pytest.raises(ValueError, match=r"token_ids contains id 3, outside the vocabulary \[0, 2\]"):
        cooccurrence_matrix([0, 3], 3, 1)
    with pytest.raises(TypeError, match="token_ids must hold integer token ids"):
        cooccurrence_matrix([0.0], 3, 1)
    with pytest.raises(ValueError, match="window_size must be an integer >= 1, got 0"):
        cooccurrence_matrix([0], 3, 0)
    with pytest.raises(TypeError, match="distance_weighting must be a bool"):
        cooccurrence_matrix([0], 3, 1, distance_weighting=1)
    with pytest.raises(ValueError, match="x must hold non-negative counts, found -1.0"):
        glove_weight([-1.0])
    with pytest.raises(ValueError, match=r"x_max must be a finite number > 0, got 0"):
        glove_weight([1.0], x_max=0)
    with pytest.raises(ValueError, match=r"X must have shape \(V, V\) = \(2, 2\) for W of shape \(2, 1\), got \(2, 3\)"):
        glove_loss(w, w, z, z, np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"b_tilde must have shape \(V,\) = \(2,\) for W of shape \(2, 1\), got \(3,\)"):
        glove_loss(w, w, z, np.zeros(3), np.ones((2, 2)))
    with pytest.raises(ValueError, match="X must hold non-negative co-occurrence counts, found -2.0"):
        glove_loss(w, w, z, z, [[1.0, -2.0], [0.0, 0.0]])


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("extreme", [False, True], ids=["random", "extreme"])
def test_matches_torch(dtype, extreme) -> None:
    torch = require("torch")
    rng = np.random.default_rng(23)
    v, d = 15, 4
    w, wt, b, bt = params(rng, v, d, dtype=dtype)
    x = (rng.integers(0, 3, (v, v)) * rng.random((v, v)) * 200).astype(dtype)   # zeros, and counts beyond x_max
    if extreme:
        b[:] = EXTREMES / 10          # residuals up to ~1e3
        x[0] = np.abs(EXTREMES)       # counts from 0 to 1e4, 1e-8 included (log = -18.4)
    x64 = x.astype(np.float64)
    present = torch.from_numpy(x64 != 0)

    def f(a, at, bb, bbt):
        xt = torch.from_numpy(x).to(a.dtype)
        fx = torch.where(present, torch.clamp(xt / 100.0, max=1.0) ** 0.75, torch.zeros_like(xt))
        logx = torch.log(torch.where(present, xt, torch.ones_like(xt)))
        r = torch.where(present, a @ at.T + bb[:, None] + bbt[None, :] - logx, torch.zeros_like(xt))
        return (fx * r * r).sum()

    ref, grads = torch_forward_backward(f, [w, wt, b, bt], np.array(1.1), wrt=[0, 1, 2, 3])
    # a residual is a sum of D + 3 terms, exact to ~(D + 3) eps times their magnitude M; the loss
    # sums V^2 terms f r^2, each with relative error ~2 (D + 3) eps M / |r|: bound it by
    # 2 (D + 3) eps * sum(f |r| M) plus the summation's V^2 eps * loss
    w64, wt64, b64, bt64 = (a.astype(np.float64) for a in (w, wt, b, bt))
    mag = np.abs(w64) @ np.abs(wt64).T + np.abs(b64)[:, None] + np.abs(bt64) + np.abs(np.log(np.where(x64 > 0, x64, 1)))
    fx = np.where(x64 > 0, np.minimum(x64 / 100, 1) ** 0.75, 0)
    r = np.where(x64 > 0, w64 @ wt64.T + b64[:, None] + bt64 - np.log(np.where(x64 > 0, x64, 1)), 0)
    loss_scale = float(np.sum(fx * np.abs(r) * mag) + np.sum(fx * r * r))
    assert_matches(glove_loss(w, wt, b, bt, x), ref, dtype, ulps=4 * (d + 3) + v, scale=loss_scale)
    # gradient entries are sums of V terms 2 f r x: in units of 2 * 1.1 * sum_j f |r| max|x| ... the
    # same bound per row, taken over the largest row
    row = float(np.max(np.sum(fx * (np.abs(r) + mag), axis=1) + np.sum(fx * (np.abs(r) + mag), axis=0)))
    x_max = float(max(np.abs(w64).max(), np.abs(wt64).max(), 1.0))
    for ours, theirs in zip(glove_loss_backward(1.1, w, wt, b, bt, x), grads):
        assert_matches(ours, theirs, dtype, ulps=4 * (d + 3) + v, scale=2.2 * row * x_max)
