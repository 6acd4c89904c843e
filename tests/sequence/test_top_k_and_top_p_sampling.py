"""top_k_filter, top_p_filter, sample_next_token: hand values, ties, properties (minimal nucleus,
kept mass >= p), stability, bad input; torch.topk and a torch nucleus filter written as Hugging
Face's (sort, softmax, cumsum) as references; sampling frequencies."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from snippets import sample_next_token, softmax, top_k_filter, top_p_filter
from tests.reference import DTYPES, EXTREMES, require

finite = st.floats(-1e4, 1e4, allow_nan=False)
logit_arrays = arrays(np.float64, array_shapes(min_dims=1, max_dims=2, max_side=7), elements=finite)


def test_hand_values() -> None:
    ninf = -np.inf
    np.testing.assert_array_equal(top_k_filter([1.0, 3.0, 2.0, 0.5], 2), [ninf, 3.0, 2.0, ninf])
    # ties at the k-th value are all kept: 3 tokens survive k = 2
    np.testing.assert_array_equal(top_k_filter([2.0, 1.0, 2.0, 2.0], 2), [2.0, ninf, 2.0, 2.0])
    np.testing.assert_array_equal(top_k_filter([1.0, 3.0], 5), [1.0, 3.0])  # k >= V keeps all
    # probabilities 0.5, 0.25, 0.125, 0.125: above-mass 0, 0.5, 0.75, 0.875
    lp = np.log([0.5, 0.25, 0.125, 0.125])
    np.testing.assert_array_equal(top_p_filter(lp, 0.7), [lp[0], lp[1], ninf, ninf])
    np.testing.assert_array_equal(top_p_filter(lp, 0.8), [lp[0], lp[1], lp[2], ninf])
    np.testing.assert_array_equal(top_p_filter(lp, 0.0), [lp[0], ninf, ninf, ninf])  # p = 0: the argmax
    np.testing.assert_array_equal(top_p_filter(lp, 0.0, min_tokens_to_keep=3), [lp[0], lp[1], lp[2], ninf])
    np.testing.assert_array_equal(top_p_filter(lp, 1.0), lp)
    # uniform over 4: half the mass is the first two by position (ties ranked by index)
    np.testing.assert_array_equal(top_p_filter(np.zeros(4), 0.5), [0.0, 0.0, ninf, ninf])
    np.testing.assert_array_equal(top_p_filter([0.0, 1.0, 1.0, 1.0], 0.4), [ninf, 1.0, 1.0, ninf])
    # rows are independent; -inf stays -inf
    np.testing.assert_array_equal(top_p_filter([[0.0, ninf], [5.0, 5.0]], 0.9), [[0.0, ninf], [5.0, 5.0]])


def test_nonfinite_logits() -> None:
    # NaN: top-k treats it as the largest (torch.topk), top-p leaves the row alone (undefined)
    out = top_k_filter([np.nan, 1.0, 2.0], 2)
    assert np.isnan(out[0]) and out[1] == -np.inf and out[2] == 2.0
    out = top_p_filter([[np.nan, 1.0, 2.0], [0.0, 0.0, 9.0]], 0.5)
    assert np.isnan(out[0, 0]) and np.array_equal(out[0, 1:], [1.0, 2.0])
    np.testing.assert_array_equal(out[1], [-np.inf, -np.inf, 9.0])
    # +inf holds all the mass, shared by the infinite logits
    np.testing.assert_array_equal(top_p_filter([np.inf, 3.0, np.inf], 0.9), [np.inf, -np.inf, np.inf])
    np.testing.assert_array_equal(top_p_filter([np.inf, 3.0, np.inf], 0.4), [np.inf, -np.inf, -np.inf])


@settings(max_examples=40, deadline=None)
@given(x=logit_arrays, k=st.integers(1, 8))
def test_top_k_properties(x: np.ndarray, k: int) -> None:
    out = top_k_filter(x, k)
    kept = out > -np.inf
    assert np.all(kept.sum(axis=-1) >= min(k, x.shape[-1]))
    np.testing.assert_array_equal(out[kept], x[kept])
    # every kept value is at least every removed one; more than k kept only through a tie
    for row, mask in zip(np.atleast_2d(x), np.atleast_2d(kept)):
        if not mask.all():
            assert row[mask].min() > row[~mask].max()
        if mask.sum() > k:
            assert np.sum(row == row[mask].min()) > 1


@settings(max_examples=40, deadline=None)
@given(x=logit_arrays, p=st.floats(0, 1), m=st.integers(1, 3))
def test_top_p_properties(x: np.ndarray, p: float, m: int) -> None:
    out = top_p_filter(x, p, min_tokens_to_keep=m)
    for row, kept in zip(np.atleast_2d(x), np.atleast_2d(out > -np.inf)):
        probs = softmax(row)
        # the kept set is a top of the ranking, covers p, and is minimal (or forced by m)
        assert kept.sum() >= min(m, row.size)
        if not kept.all():
            assert probs[kept].min() >= probs[~kept].max()
        assert probs[kept].sum() >= p - 1e-12
        smallest = probs[kept].min()
        if kept.sum() > m:
            assert probs[kept].sum() - smallest < p + 1e-12


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_up_to_1e4(dtype) -> None:
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(50, 9)) * rng.choice([1, 100, 1e4], size=(50, 1))).astype(dtype)
    for out in (top_k_filter(x, 3), top_p_filter(x, 0.9)):
        assert out.dtype == dtype and np.all(np.isfinite(out[out > -np.inf]))
    for t in (1e-300, 1e-3, 1.0, 1e3):
        ids = sample_next_token(x, temperature=t, top_k=4, top_p=0.9, rng=rng)
        assert ids.shape == (50,) and ids.dtype == np.int64
    # a tiny temperature is greedy
    np.testing.assert_array_equal(sample_next_token(x, temperature=1e-300, rng=rng), np.argmax(x, axis=1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_top_k_matches_torch_topk(dtype) -> None:
    # without ties the kept set is torch.topk's indices; with ties (the extremes repeat) torch's
    # set is inside ours and ours is every value >= torch's k-th value
    torch = require("torch")
    rng = np.random.default_rng(1)
    for trial in range(60):
        k = int(rng.integers(1, 10))
        x = rng.choice(EXTREMES, size=12) if trial % 2 else rng.normal(size=12) * 100
        x = x.astype(dtype)
        values, indices = torch.topk(torch.tensor(x), min(k, 12))
        kept = top_k_filter(x, k) > -np.inf
        ref = np.zeros(12, bool)
        ref[indices.numpy()] = True
        assert np.all(kept[ref])
        np.testing.assert_array_equal(kept, x >= values.numpy()[-1])
        if len(np.unique(x)) == 12:
            np.testing.assert_array_equal(kept, ref)


def torch_nucleus(torch, x: np.ndarray, p: float, m: int) -> np.ndarray:
    """The nucleus filter as Hugging Face writes it: sort ascending, softmax, cumulative sum; drop
    the tokens whose cumulative mass (from the least probable up) is <= 1 - p; keep the last m."""
    t = torch.tensor(x, dtype=torch.float64)
    sorted_logits, sorted_idx = torch.sort(t, descending=False, stable=True)
    cum = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    remove = cum <= 1 - p
    remove[..., -m:] = False
    mask = remove.scatter(-1, sorted_idx, remove)
    return (~mask).numpy()


@pytest.mark.parametrize("dtype", DTYPES)
def test_top_p_matches_a_torch_nucleus_filter(dtype) -> None:
    # the two rules agree except where a cumulative mass equals the threshold to rounding: those
    # draws (within 1e-9 of p) are skipped. Equal probabilities are ranked by index here and by
    # torch.sort's order there: the extreme rows (many probabilities underflow to exactly 0) use
    # min_tokens_to_keep = 1, so that no tie is forced into the kept set
    torch = require("torch")
    rng = np.random.default_rng(2)
    checked = 0
    for trial in range(120):
        x = (rng.normal(size=(3, 10)) * rng.choice([0.3, 3, 30])).astype(dtype)
        if trial % 10 == 0:
            x[0] = rng.choice(EXTREMES, size=10, replace=False)
        p, m = float(rng.uniform(0.05, 0.99)), int(rng.integers(1, 3)) if trial % 10 else 1
        probs = np.sort(softmax(x.astype(np.float64), axis=-1), axis=-1)[:, ::-1]
        if np.any(np.abs(np.cumsum(probs, axis=-1) - p) < 1e-9):
            continue
        ours = top_p_filter(x, p, min_tokens_to_keep=m)
        assert ours.dtype == dtype
        np.testing.assert_array_equal(ours > -np.inf, torch_nucleus(torch, x, p, m))
        np.testing.assert_array_equal(ours[ours > -np.inf], x[ours > -np.inf])
        checked += 1
    assert checked > 90


def test_sampling_frequencies() -> None:
    # 10 000 draws against the renormalised filtered distribution (chi-squared, fixed seed)
    stats = require("scipy.stats")
    z = np.log([0.4, 0.25, 0.15, 0.1, 0.06, 0.04])
    rng = np.random.default_rng(3)
    for kwargs, support in [({"top_k": 3}, [0, 1, 2]), ({"top_p": 0.75}, [0, 1, 2]), ({"top_p": 0.9, "temperature": 0.5}, [0, 1, 2])]:
        draws = sample_next_token(np.tile(z, (10_000, 1)), rng=rng, **kwargs)
        counts = np.bincount(draws, minlength=6)
        assert set(np.flatnonzero(counts)) == set(support)
        t = kwargs.get("temperature", 1.0)
        p = softmax(z[support] / t)
        assert stats.chisquare(counts[support], 10_000 * p).pvalue > 1e-3
    np.testing.assert_array_equal(sample_next_token([[1.0, 5.0, 2.0]], temperature=0.0), [1])


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="k must be an integer >= 1, got 0"):
        top_k_filter([1.0, 2.0], 0)
    with pytest.raises(TypeError, match="k must be an integer, got float"):
        top_k_filter([1.0, 2.0], 1.5)
    with pytest.raises(ValueError, match=r"p must be a finite number in \[0, 1\], got 1.5"):
        top_p_filter([1.0, 2.0], 1.5)
    with pytest.raises(ValueError, match="min_tokens_to_keep must be an integer >= 1"):
        top_p_filter([1.0, 2.0], 0.5, min_tokens_to_keep=0)
    with pytest.raises(ValueError, match=r"logits must have at least one token along the last axis, got shape \(\)"):
        top_k_filter(3.0, 1)
    with pytest.raises(ValueError, match=r"got shape \(2, 0\)"):
        top_p_filter(np.zeros((2, 0)), 0.5)
    with pytest.raises(TypeError, match="logits must be real-valued"):
        top_k_filter(np.array([1j, 2]), 1)
    with pytest.raises(ValueError, match=r"top_p must be a finite number in \[0, 1\], got nan"):
        sample_next_token([1.0, 2.0], top_p=np.nan)
    with pytest.raises(ValueError, match="top_k must be an integer >= 1"):
        sample_next_token([1.0, 2.0], top_k=-1)
    with pytest.raises(ValueError, match="temperature must be a finite number >= 0"):
        sample_next_token([1.0, 2.0], temperature=-1.0)
    with pytest.raises(ValueError, match="logits must not be NaN"):
        sample_next_token([np.nan, 2.0], rng=np.random.default_rng(0))
