"""greedy_decode: hand values, ties, properties (argmax at every step, beam_search with one beam,
sampling at temperature 0), stability, bad input and a PyTorch argmax loop."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import beam_search, greedy_decode, log_softmax, sample_with_temperature
from tests.reference import DTYPES, EXTREMES, require


def random_lm(seed: int, vocab: int, scale: float = 1.0, dtype=np.float64):
    """A toy language model: the next-token log-probabilities are a fixed random function of the
    whole prefix (a generator seeded by the prefix ids)."""
    def step(prefix: np.ndarray) -> np.ndarray:
        logits = np.random.default_rng([seed, *map(int, prefix)]).normal(size=vocab) * scale
        return log_softmax(logits).astype(dtype)
    return step


def slow_greedy(step, bos: int, eos: int, max_len: int) -> list[int]:
    """The definition, written out: max over the tokens by a Python loop, first index on ties."""
    out = [bos]
    while len(out) - 1 < max_len:
        scores = list(step(np.array(out)))
        best = 0
        for v in range(1, len(scores)):
            if scores[v] > scores[best]:
                best = v
        out.append(best)
        if best == eos:
            break
    return out[1:]


def test_hand_values() -> None:
    # a table indexed by position: argmax 1, 1, then 2 (eos) -> [1, 1, 2]; cut at 2 tokens -> [1, 1]
    table = np.log([[0.1, 0.6, 0.3], [0.1, 0.5, 0.4], [0.1, 0.2, 0.7]])
    step = lambda prefix: table[len(prefix) - 1]  # noqa: E731
    assert greedy_decode(step, 0, 2, 5) == [1, 1, 2]
    assert greedy_decode(step, 0, 2, 2) == [1, 1]
    assert greedy_decode(step, 0, 2, 0) == []
    # eos at the first step: the output is just [eos]
    assert greedy_decode(lambda p: np.log([0.2, 0.8]), 5, 1, 10) == [1]
    # a tie goes to the smaller id (as np.argmax / torch.argmax): 0.4 = 0.4 -> token 1, never 2
    assert greedy_decode(lambda p: np.log([0.2, 0.4, 0.4]), 0, 0, 3) == [1, 1, 1]
    # -inf forbids a token; unnormalised scores give the same argmax
    assert greedy_decode(lambda p: np.array([-np.inf, 3.0, 7.0]), 0, 1, 2) == [2, 2]
    # the prefix passed to step_fn starts with bos and grows by the chosen token
    seen = []
    greedy_decode(lambda p: (seen.append(p.tolist()), np.log([0.3, 0.7]))[1], 9, 0, 3)
    assert seen == [[9], [9, 1], [9, 1, 1]]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31), vocab=st.integers(2, 6), max_len=st.integers(0, 6), eos=st.integers(0, 5))
def test_properties(seed: int, vocab: int, max_len: int, eos: int) -> None:
    eos = eos % vocab
    step = random_lm(seed, vocab)
    ids = greedy_decode(step, vocab, eos, max_len)
    assert ids == slow_greedy(step, vocab, eos, max_len)
    assert len(ids) <= max_len and eos not in ids[:-1]
    assert len(ids) == max_len or (ids and ids[-1] == eos)
    # beam search with one beam is greedy decoding
    if max_len:
        assert beam_search(step, vocab, eos, 1, max_len)[0] == ids
    # so is sampling at temperature 0, one step at a time
    prefix = [vocab]
    for token in ids:
        assert int(sample_with_temperature(step(np.array(prefix)), 0.0)) == token
        prefix.append(token)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scale", [1.0, 100.0, 1e4])
def test_stable_up_to_1e4(dtype, scale: float) -> None:
    # scores as large as 1e4 in magnitude, raw or log-softmaxed: no warning, the argmax path
    for seed in range(5):
        ids = greedy_decode(random_lm(seed, 5, scale, dtype), 5, 0, 8)
        assert ids == slow_greedy(random_lm(seed, 5, scale, dtype), 5, 0, 8)


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_a_torch_argmax_loop(dtype) -> None:
    # the reference: the same loop with torch.log_softmax and torch.argmax (first maximum on ties)
    torch = require("torch")
    rng = np.random.default_rng(0)
    vocab, max_len = len(EXTREMES), 6
    for trial in range(20):
        # logits per position drawn from the extremes (ties, +-1e4, exp's overflow edge) or normal
        table = rng.choice(EXTREMES, size=(max_len, vocab)) if trial % 2 else rng.normal(size=(max_len, vocab)) * 10
        table = table.astype(dtype)
        lp = log_softmax(table, axis=1)
        eos = int(rng.integers(vocab))
        ours = greedy_decode(lambda p: lp[len(p) - 1], 0, eos, max_len)
        ref, t_lp = [], torch.log_softmax(torch.tensor(table), dim=1)
        for t in range(max_len):
            token = int(torch.argmax(t_lp[t]))
            ref.append(token)
            if token == eos:
                break
        assert ours == ref


def test_bad_input() -> None:
    ok = lambda p: np.log([0.5, 0.5])  # noqa: E731
    with pytest.raises(TypeError, match="step_fn must be callable"):
        greedy_decode([0.5, 0.5], 0, 1, 3)
    with pytest.raises(ValueError, match="bos_id must be an integer >= 0, got -1"):
        greedy_decode(ok, -1, 1, 3)
    with pytest.raises(TypeError, match="eos_id must be an integer, got float"):
        greedy_decode(ok, 0, 1.0, 3)
    with pytest.raises(ValueError, match="max_len must be an integer >= 0, got -2"):
        greedy_decode(ok, 0, 1, -2)
    with pytest.raises(ValueError, match=r"eos_id must be a token of the vocabulary \[0, 2\), got 2"):
        greedy_decode(ok, 0, 2, 3)
    with pytest.raises(ValueError, match="step_fn must return log-probabilities without NaN or \\+inf, got nan"):
        greedy_decode(lambda p: np.array([np.nan, 0.0]), 0, 1, 3)
    with pytest.raises(ValueError, match="got inf for token 1"):
        greedy_decode(lambda p: np.array([0.0, np.inf]), 0, 1, 3)
    with pytest.raises(ValueError, match="every token log-probability -inf"):
        greedy_decode(lambda p: np.full(3, -np.inf), 0, 1, 3)
    with pytest.raises(ValueError, match=r"step_fn must return a non-empty 1-D array .* got shape \(2, 2\)"):
        greedy_decode(lambda p: np.zeros((2, 2)), 0, 1, 3)
    with pytest.raises(ValueError, match=r"step_fn must return shape \(2,\) .* got shape \(3,\) for a prefix of length 2"):
        greedy_decode(lambda p: np.log([0.9, 0.1]) if len(p) == 1 else np.zeros(3), 0, 1, 3)
    with pytest.raises(TypeError, match="step_fn must return real numbers"):
        greedy_decode(lambda p: "abc", 0, 1, 3)
