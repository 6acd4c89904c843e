"""beam_search: hand values, the exhaustive search over every sequence (itertools.product) as the
reference in float32 and float64, length penalty, properties, stability and bad input."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import beam_search, greedy_decode, log_softmax
from tests.reference import DTYPES, EXTREMES, assert_matches


def random_lm(seed: int, vocab: int, scale: float = 1.5, dtype=np.float64, eos: int | None = None):
    """A toy language model: next-token log-probabilities are a fixed random function of the prefix.
    With ``eos`` given, that token is forbidden (-inf): the model never ends a sequence."""
    def step(prefix: np.ndarray) -> np.ndarray:
        lp = log_softmax(np.random.default_rng([seed, *map(int, prefix)]).normal(size=vocab) * scale)
        if eos is not None:
            lp[eos] = -np.inf
        return lp.astype(dtype)
    return step


def exhaustive(step, bos: int, eos: int, vocab: int, max_len: int, alpha: float = 0.0):
    """Every sequence a decoder can output: ending with eos at any length <= max_len (eos nowhere
    before), or of length max_len without eos. Returns the best penalised score and all scores."""
    scores = {}
    for length in range(1, max_len + 1):
        for seq in itertools.product(range(vocab), repeat=length):
            if eos in seq[:-1] or (length < max_len and seq[-1] != eos):
                continue
            total = math.fsum(float(step(np.array([bos, *seq[:t]]))[seq[t]]) for t in range(length))
            if total > -math.inf:
                scores[seq] = (total, total / length**alpha)
    return max(s for _, s in scores.values()), scores


def test_hand_values() -> None:
    # the docstring's model: first "a" 0.5 / "b" 0.4 / eos 0.1; after "a" eos 0.4; after "b" eos 0.9
    def step(prefix):
        if len(prefix) == 1:
            return np.log([0.1, 0.5, 0.4])
        return np.log([0.4, 0.3, 0.3]) if prefix[1] == 1 else np.log([0.9, 0.05, 0.05])
    ids, logp = beam_search(step, 3, 0, 1, 2)  # one beam: greedy, a eos = 0.5 * 0.4
    assert ids == [1, 0] and math.isclose(logp, math.log(0.2), rel_tol=1e-15)
    ids, logp = beam_search(step, 3, 0, 2, 2)  # two beams keep b: b eos = 0.4 * 0.9
    assert ids == [2, 0] and math.isclose(logp, math.log(0.36), rel_tol=1e-15)
    # max_len 1: eos (0.1) is finished, a (0.5) and b (0.4) are cut unfinished; they compete: a
    assert beam_search(step, 3, 0, 3, 1)[0] == [1]
    assert beam_search(step, 3, 0, 3, 0) == ([], 0.0)
    # a short finished hypothesis beats longer ones at length_penalty 0, not at 1:
    # eos first: 0.45 (length 1); a a eos: 0.55 * 0.9 * 0.9 = 0.4455 at length 3 -> per token
    # log(0.45) = -0.799 < log(0.4455) / 3 = -0.270
    def short(prefix):
        if len(prefix) == 1:
            return np.log([0.45, 0.55])
        return np.log([0.1, 0.9]) if len(prefix) == 2 else np.log([0.9, 0.1])
    assert beam_search(short, 2, 0, 2, 3)[0] == [0]
    ids, logp = beam_search(short, 2, 0, 2, 3, length_penalty=1.0)
    assert ids == [1, 1, 0] and math.isclose(logp, math.log(0.55 * 0.9 * 0.9), rel_tol=1e-15)
    # the beam shrinks when a hypothesis finishes: with beam 1, finishing ends the search
    calls = []
    beam_search(lambda p: (calls.append(len(p)), np.log([0.6, 0.4]))[1], 5, 0, 1, 4)
    assert calls == [1]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("alpha", [0.0, 0.6, 1.0, 2.0])
@pytest.mark.parametrize("with_eos", [True, False])
def test_a_wide_beam_is_the_exhaustive_search(dtype, alpha: float, with_eos: bool) -> None:
    # beam_size >= V ** max_len prunes nothing: the result is the exact best sequence, finished
    # and unfinished hypotheses competing. Without eos (forbidden) every output has max_len tokens.
    # The reference sums the same float32/64 log-probabilities exactly (fsum) then rounds; ours
    # sums in float64: at most 3 terms, so the totals agree to an ulp of float64 before the cast.
    vocab, max_len = 3, 3
    for seed in range(6):
        step = random_lm(seed, vocab, dtype=dtype, eos=None if with_eos else 0)
        best, scores = exhaustive(step, vocab, 0, vocab, max_len, alpha)
        ids, logp = beam_search(step, vocab, 0, vocab**max_len, max_len, length_penalty=alpha)
        assert logp.dtype == dtype
        total, penalised = scores[tuple(ids)]
        assert penalised == best  # the exact maximum (no tie among random scores decides it)
        assert_matches(logp, total, dtype, ulps=1)
        if not with_eos:
            assert len(ids) == max_len and 0 not in ids


@pytest.mark.parametrize("dtype", DTYPES)
def test_exhaustive_on_extreme_scores(dtype) -> None:
    # log-probabilities from the extremes (+-1e4, exp's edge, exact ties): ties can make several
    # sequences optimal, so the check is the score, recomputed along the returned ids
    rng = np.random.default_rng(0)
    vocab, max_len = 4, 3
    for trial in range(8):
        table = {}

        def step(prefix, table=table):
            key = tuple(int(v) for v in prefix)
            if key not in table:
                table[key] = log_softmax(rng.choice(EXTREMES, size=vocab).astype(dtype))
            return table[key]
        best, scores = exhaustive(step, 9, 1, vocab, max_len)
        ids, logp = beam_search(step, 9, 1, vocab**max_len, max_len)
        assert scores[tuple(ids)][1] == best
        assert_matches(logp, scores[tuple(ids)][0], dtype, ulps=1)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31), vocab=st.integers(2, 5), beam=st.integers(1, 6),
       max_len=st.integers(1, 5), alpha=st.sampled_from([0.0, 1.0]))
def test_properties(seed: int, vocab: int, beam: int, max_len: int, alpha: float) -> None:
    step = random_lm(seed, vocab)
    ids, logp = beam_search(step, vocab, 0, beam, max_len, length_penalty=alpha)
    assert 1 <= len(ids) <= max_len and 0 not in ids[:-1]
    assert len(ids) == max_len or ids[-1] == 0
    # the reported total is the sequence's own log-probability
    again = math.fsum(float(step(np.array([vocab, *ids[:t]]))[ids[t]]) for t in range(len(ids)))
    assert math.isclose(logp, again, rel_tol=1e-12, abs_tol=1e-12)
    # one beam is greedy decoding
    assert beam_search(step, vocab, 0, 1, max_len)[0] == greedy_decode(step, vocab, 0, max_len)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scale", [1.0, 1e4])
def test_stable_up_to_1e4(dtype, scale: float) -> None:
    # raw scores up to 1e4 (the sum of a few stays far from overflow): no warning, finite totals
    for seed in range(4):
        step = lambda p, seed=seed: (np.random.default_rng([seed, *map(int, p)]).normal(size=4) * scale).astype(dtype)  # noqa: E731
        ids, logp = beam_search(step, 4, 0, 3, 6, length_penalty=1.0)
        assert np.isfinite(logp) and logp.dtype == dtype


def test_bad_input() -> None:
    ok = lambda p: np.log([0.5, 0.5])  # noqa: E731
    with pytest.raises(ValueError, match="beam_size must be an integer >= 1, got 0"):
        beam_search(ok, 0, 1, 0, 3)
    with pytest.raises(TypeError, match="beam_size must be an integer, got float"):
        beam_search(ok, 0, 1, 2.0, 3)
    for bad in (np.nan, np.inf, 11.0, 1e300):
        with pytest.raises(ValueError, match=r"length_penalty must be a finite number in \[-10, 10\]"):
            beam_search(ok, 0, 1, 2, 3, length_penalty=bad)
    with pytest.raises(TypeError, match="length_penalty must be a real number"):
        beam_search(ok, 0, 1, 2, 3, length_penalty="1")
    with pytest.raises(ValueError, match=r"eos_id must be a token of the vocabulary \[0, 2\), got 5"):
        beam_search(ok, 0, 5, 2, 3)
    with pytest.raises(ValueError, match="max_len must be an integer >= 0"):
        beam_search(ok, 0, 1, 2, -1)
    with pytest.raises(TypeError, match="step_fn must be callable"):
        beam_search(None, 0, 1, 2, 3)
    with pytest.raises(ValueError, match="step_fn must return log-probabilities without NaN"):
        beam_search(lambda p: np.array([0.0, np.nan]), 0, 1, 2, 3)
    with pytest.raises(ValueError, match=r"step_fn must return shape \(2,\)"):
        beam_search(lambda p: np.zeros(2 if len(p) == 1 else 3), 0, 1, 2, 3)
