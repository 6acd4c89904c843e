"""ngram_counts / ngram_prob / sequence_log_prob: hand values, normalisation, NLTK's nltk.lm
(MLE, Laplace, Lidstone), consistency with perplexity, bad input."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import ngram_counts, ngram_prob, perplexity, sequence_log_prob
from tests.reference import require

TEXT = "the cat sat on the mat the dog sat on the log".split()


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_counts_and_probabilities() -> None:
    c = ngram_counts(TEXT, 2)
    # "the" is followed by cat, mat, dog, log once each; "sat" by "on" twice
    assert c[("the",)] == Counter({"cat": 1, "mat": 1, "dog": 1, "log": 1})
    assert c[("sat",)] == Counter({"on": 2})
    assert ("log",) not in c                              # the last token is never a context
    # V = 7 types (the cat sat on mat dog log); Laplace: (c + 1) / (c(h) + V)
    assert ngram_prob(c, ("sat",), "on", 7) == (2 + 1) / (2 + 7)
    assert ngram_prob(c, ("sat",), "the", 7) == 1 / 9
    assert ngram_prob(c, ("the",), "cat", 7, k=0.0) == 1 / 4   # MLE
    assert ngram_prob(c, ("zebra",), "cat", 7) == 1 / 7         # unseen context: uniform
    assert np.isnan(ngram_prob(c, ("zebra",), "cat", 7, k=0.0))  # 0 / 0
    # unigrams: the context is (), c(()) = 12 tokens; "the" occurs 4 times
    u = ngram_counts(TEXT, 1)
    assert list(u) == [()] and ngram_prob(u, (), "the", 7, k=0.0) == 4 / 12
    # trigram "sat on the" twice; c(sat on) = 2
    t = ngram_counts(TEXT, 3)
    assert ngram_prob(t, ("sat", "on"), "the", 7, k=0.5) == (2 + 0.5) / (2 + 0.5 * 7)


def test_hand_checked_sequence_log_prob() -> None:
    c = ngram_counts(TEXT, 2)
    # MLE: P(sat | cat) = 1, P(on | sat) = 1, P(the | on) = 1, P(log | the) = 1/4
    assert sequence_log_prob("cat sat on the log".split(), c, 7, k=0.0) == pytest.approx(math.log(0.25), abs=0)
    # an unseen bigram under MLE has probability 0: log-probability -inf
    assert sequence_log_prob(["cat", "the"], c, 7, k=0.0) == -np.inf
    # fewer than n tokens: nothing is predicted
    assert sequence_log_prob(["cat"], c, 7) == 0.0 and sequence_log_prob([], c, 7) == 0.0
    assert isinstance(sequence_log_prob(["cat", "sat"], c, 7), np.float64)


def test_sentences_do_not_share_ngrams() -> None:
    c = ngram_counts([["a", "b"], ["c", "d"]], 2)
    assert ("b",) not in c and set(c) == {("a",), ("c",)}
    assert ngram_counts([], 2) == {} and ngram_counts(["a"], 2) == {}


# ---------------------------------------------------------------- properties
corpora = st.lists(st.sampled_from("abcde"), min_size=0, max_size=30)


@settings(max_examples=30, deadline=None)
@given(corpora, st.integers(1, 3), st.sampled_from([0.0, 0.01, 0.5, 1.0, 3.0]))
def test_probabilities_sum_to_one_over_the_vocabulary(tokens: list[str], n: int, k: float) -> None:
    counts = ngram_counts(tokens, n)
    vocab = list("abcde")
    for context in [*counts, ("e",) * (n - 1)]:
        p = np.array([ngram_prob(counts, context, w, len(vocab), k) for w in vocab])
        if context not in counts and k == 0:
            assert np.all(np.isnan(p))
            continue
        assert np.all((p >= 0) & (p <= 1))
        assert abs(p.sum() - 1) < 1e-12                     # 5 terms: a few ulps
        if k > 0:                                            # add-k never gives 0
            assert p.min() > 0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from("abc"), min_size=3, max_size=30))
def test_large_k_tends_to_uniform_and_log_prob_is_a_sum(tokens: list[str]) -> None:
    counts = ngram_counts(tokens, 2)
    ctx = (tokens[0],)
    assert abs(ngram_prob(counts, ctx, "a", 3, k=1e4) - 1 / 3) < 1e-3
    # the log-probability of a sequence is the sum of its bigram log-probabilities
    pieces = sum(math.log(ngram_prob(counts, (a,), b, 3, k=0.5)) for a, b in zip(tokens, tokens[1:]))
    assert sequence_log_prob(tokens, counts, 3, k=0.5) == pytest.approx(pieces, rel=1e-12)


# ---------------------------------------------------------------- references
@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("k", [0.0, 0.1, 1.0])
def test_matches_nltk_lm(n: int, k: float) -> None:
    nltk_lm = require("nltk.lm")
    from nltk.util import ngrams

    rng = np.random.default_rng(n)
    tokens = list(rng.choice(list("abcdef"), size=200, p=[0.3, 0.25, 0.2, 0.1, 0.1, 0.05]))
    model = nltk_lm.MLE(n) if k == 0 else nltk_lm.Laplace(n) if k == 1 else nltk_lm.Lidstone(k, n)
    model.fit([list(ngrams(tokens, n))], vocabulary_text=tokens)
    vocab_size = len(model.vocab)                    # NLTK counts its <UNK> too: 7
    counts = ngram_counts(tokens, n)
    for context in list(counts)[:20]:
        for word in "abcdef":
            # the same ratio of small integers: at most one rounding apart
            assert ngram_prob(counts, context, word, vocab_size, k) == pytest.approx(
                model.score(word, list(context)), rel=2**-52, abs=0
            )
    # NLTK's logscore is in bits: ours in nats is log 2 times it
    test = tokens[:30]
    ours = sequence_log_prob(test, counts, vocab_size, k)
    bits = sum(model.logscore(test[i], test[i - n + 1 : i]) for i in range(n - 1, len(test)))
    assert ours == pytest.approx(bits * math.log(2), rel=1e-12)


def test_perplexity_agrees_with_the_perplexity_page() -> None:
    # rows of log-probabilities are logits whose softmax is the model's distribution: the
    # perplexity of the cross-entropy equals exp(-log P(sequence) / number of predictions)
    rng = np.random.default_rng(0)
    vocab = list("abcdefg")
    tokens = list(rng.choice(vocab, size=300))
    counts = ngram_counts(tokens[:250], 2)
    test = tokens[250:]
    logits = np.array([[math.log(ngram_prob(counts, (h,), w, 7, 0.5)) for w in vocab] for h in test[:-1]])
    target = np.array([vocab.index(w) for w in test[1:]])
    direct = math.exp(-sequence_log_prob(test, counts, 7, 0.5) / (len(test) - 1))
    # log_softmax of rows that already sum to 1 in probability: ~1 ulp per term over 49 terms
    assert perplexity(logits, target) == pytest.approx(direct, rel=1e-13)


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    c = ngram_counts(TEXT, 2)
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        ngram_counts(TEXT, 0)
    with pytest.raises(TypeError, match="tokens must be a list of tokens .* got str"):
        ngram_counts("the cat", 2)
    with pytest.raises(TypeError, match="not a mixture"):
        ngram_counts([["a"], "b"], 2)
    with pytest.raises(ValueError, match=r"context must hold n - 1 = 1 tokens for counts of order n = 2, got 2"):
        ngram_prob(c, ("the", "cat"), "sat", 7)
    with pytest.raises(TypeError, match="context must be a tuple of tokens, got str"):
        ngram_prob(c, "the", "cat", 7)
    with pytest.raises(ValueError, match=r"vocab_size must be at least the 4 different tokens seen after \('the',\), got 3"):
        ngram_prob(c, ("the",), "cat", 3)
    with pytest.raises(ValueError, match="k must be a finite number >= 0, got -1"):
        ngram_prob(c, ("the",), "cat", 7, k=-1.0)
    with pytest.raises(ValueError, match="k must be a finite number >= 0, got inf"):
        sequence_log_prob(TEXT, c, 7, k=np.inf)
    with pytest.raises(TypeError, match="counts must be the dict returned by ngram_counts"):
        ngram_prob([("a",)], ("a",), "b", 3)
    with pytest.raises(ValueError, match="counts is empty"):
        sequence_log_prob(["a", "b"], {}, 3)
    with pytest.raises(ValueError, match="tokens must be one sequence, got a list of 2 sequences"):
        sequence_log_prob([["a", "b"], ["c"]], c, 7)
