"""modified_precision, brevity_penalty, corpus_bleu: Papineni et al. (2002) worked examples, NLTK's
corpus_bleu (no smoothing) on random corpora, properties and bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import brevity_penalty, corpus_bleu, modified_precision

# Papineni et al. (2002), section 2.1: the three references and two candidates of example 1 (the
# paper counts case-insensitively: lower-cased here)
REF1 = "It is a guide to action that ensures that the military will forever heed Party commands".lower().split()
REF2 = "It is the guiding principle which guarantees the military forces always being under the command of the Party".lower().split()
REF3 = "It is the practical guide for the army always to heed the directions of the party".lower().split()
CAND1 = "It is a guide to action which ensures that the military always obeys the commands of the party".lower().split()
CAND2 = "It is to insure the troops forever hearing the activity guidebook that party direct".lower().split()


def test_papineni_worked_examples() -> None:
    # example 2: "the the the the the the the" -> unigram precision 2/7 (clipped by reference 1)
    refs = ["the cat is on the mat".split(), "there is a cat on the mat".split()]
    assert modified_precision(["the"] * 7, refs, 1) == 2 / 7
    # example 1: candidate 1 matches 17 of its 18 unigrams ("obeys" is in no reference);
    # candidate 2 matches 8 of 14 unigrams, and 1 of 13 bigrams ("It is")
    assert modified_precision(CAND1, [REF1, REF2, REF3], 1) == 17 / 18
    assert modified_precision(CAND2, [REF1, REF2, REF3], 1) == 8 / 14
    assert modified_precision(CAND2, [REF1, REF2, REF3], 2) == 1 / 13
    # candidate 1's bigram precision is 10/17 (the paper's example 1 figure)
    assert modified_precision(CAND1, [REF1, REF2, REF3], 2) == 10 / 17


def test_hand_values() -> None:
    refs = [["the cat is on the mat".split()]]
    assert corpus_bleu(refs, ["the cat is on the mat".split()]) == 1.0
    # unigrams 5/5, bigrams 3/4, c = 5, r = 6: exp(1 - 6/5) * (3/4)^(1/2)
    assert math.isclose(corpus_bleu(refs, ["the cat on the mat".split()], max_n=2),
                        math.exp(-0.2) * math.sqrt(0.75), rel_tol=1e-15)
    # a zero 4-gram precision with weight 1/4: exactly 0
    assert corpus_bleu(refs, ["the cat on the mat".split()]) == 0.0
    assert corpus_bleu(refs, [["dog"]]) == 0.0
    # brevity penalty
    assert brevity_penalty(12, 10) == 1.0 and brevity_penalty(10, 10) == 1.0 and brevity_penalty(0, 3) == 0.0
    assert math.isclose(brevity_penalty(10, 12), math.exp(-0.2), rel_tol=1e-15)
    # the closest reference length, the shorter on a tie: hypothesis 4 words, references 3 and 5 -> r = 3
    two = [["a b c".split(), "a b c d e".split()]]
    assert corpus_bleu(two, ["a b c d".split()], max_n=1) == 1.0  # c = 4 > r = 3: no penalty
    # corpus level: counts are summed before dividing, not the sentence scores averaged
    corpus = corpus_bleu([[["a", "b"]], [["c", "d", "e", "f"]]], [["a", "b"], ["c", "d", "x", "y"]], max_n=1)
    assert math.isclose(corpus, 4 / 6, rel_tol=1e-15)


def random_corpus(rng, n_sent: int, vocab: int, short: bool = False):
    refs, hyps = [], []
    for _ in range(n_sent):
        k = int(rng.integers(1, 4))
        refs.append([rng.integers(0, vocab, rng.integers(1, 15)).tolist() for _ in range(k)])
        length = rng.integers(0, 5) if short else rng.integers(1, 16)
        # a hypothesis copies pieces of a reference and adds noise
        base = refs[-1][0]
        hyp = [t if rng.random() < 0.7 else int(rng.integers(0, vocab)) for t in base][: max(int(length), 0)]
        hyps.append(hyp + rng.integers(0, vocab, max(0, int(length) - len(hyp))).tolist())
    return refs, hyps


@pytest.mark.parametrize("short", [False, True])
@pytest.mark.parametrize("max_n", [1, 2, 4])
def test_matches_nltk(short: bool, max_n: int) -> None:
    # random token corpora, 1-3 references per hypothesis, short hypotheses (brevity penalty,
    # hypotheses shorter than n) against nltk.translate.bleu_score.corpus_bleu without smoothing.
    # Both compute each log p_n from the exact integer ratio: they agree to a few float64 ulps
    # (NLTK sums with math.fsum). Where a precision is 0, NLTK warns and returns
    # exp(w log(2.2e-308)) ~ 1e-77 times the rest; the contract is 0.0.
    from tests.reference import require
    bleu_score = require("nltk.translate.bleu_score")
    rng = np.random.default_rng(max_n + 10 * short)
    weights = (1.0 / max_n,) * max_n
    for trial in range(40):
        refs, hyps = random_corpus(rng, int(rng.integers(1, 6)), int(rng.choice([3, 8, 30])), short)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = bleu_score.corpus_bleu(refs, hyps, weights=weights)
        ours = corpus_bleu(refs, hyps, max_n=max_n)
        if ref < 1e-70:
            assert ours == 0.0
        else:
            assert math.isclose(ours, ref, rel_tol=8 * np.finfo(np.float64).eps), (ours, ref)


def test_matches_nltk_on_papineni_example_and_weights() -> None:
    from tests.reference import require
    bleu_score = require("nltk.translate.bleu_score")
    refs = [[REF1, REF2, REF3]] * 2
    hyps = [CAND1, CAND2]
    for weights in [(0.25, 0.25, 0.25, 0.25), (0.5, 0.5, 0.0, 0.0), (0.1, 0.2, 0.3, 0.4)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = bleu_score.corpus_bleu(refs, hyps, weights=weights)
        assert math.isclose(corpus_bleu(refs, hyps, weights=list(weights)), ref, rel_tol=1e-14)
    # candidate 1 alone: BLEU-4 as NLTK gives it
    ref = bleu_score.corpus_bleu([[REF1, REF2, REF3]], [CAND1])
    assert math.isclose(corpus_bleu([[REF1, REF2, REF3]], [CAND1]), ref, rel_tol=1e-14)


tokens = st.lists(st.integers(0, 3), min_size=1, max_size=10)


@settings(max_examples=50, deadline=None)
@given(refs=st.lists(tokens, min_size=1, max_size=3), hyp=tokens)
def test_properties(refs, hyp) -> None:
    score = corpus_bleu([refs], [hyp], max_n=2)
    assert 0.0 <= score <= 1.0
    # a hypothesis equal to one of its references scores 1 when it is the closest-length one
    if hyp in refs and min(refs, key=lambda r: (abs(len(r) - len(hyp)), len(r))) == hyp and len(hyp) >= 2:
        assert math.isclose(corpus_bleu([refs], [hyp], max_n=2), 1.0)
    # the precisions are permutation invariant in the references
    assert corpus_bleu([refs[::-1]], [hyp], max_n=2) == score
    for n in (1, 2):
        assert 0.0 <= modified_precision(hyp, refs, n) <= 1.0


def test_bad_input() -> None:
    refs = [["a b c".split()]]
    with pytest.raises(ValueError, match="list_of_references must have one entry per hypothesis: 1 references for 2"):
        corpus_bleu(refs, [["a"], ["b"]])
    with pytest.raises(TypeError, match="hypotheses must be a list of token sequences, got str"):
        corpus_bleu(refs, "a b c")
    with pytest.raises(ValueError, match=r"references\[0\] must be a non-empty list"):
        corpus_bleu([[]], [["a"]])
    with pytest.raises(ValueError, match="max_n must be an integer >= 1, got 0"):
        corpus_bleu(refs, [["a"]], max_n=0)
    with pytest.raises(ValueError, match="weights must be 4 finite numbers >= 0"):
        corpus_bleu(refs, [["a"]], weights=[0.5, 0.5])
    with pytest.raises(ValueError, match="weights must be 2 finite numbers >= 0"):
        corpus_bleu(refs, [["a"]], max_n=2, weights=[np.nan, 0.5])
    with pytest.raises(TypeError, match=r"hypothesis\[1\] must hold hashable tokens"):
        corpus_bleu(refs * 2, [["a"], [["b"]]])
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        modified_precision(["a"], [["a"]], 0)
    with pytest.raises(ValueError, match="c must be an integer >= 0, got -1"):
        brevity_penalty(-1, 3)
    with pytest.raises(TypeError, match="r must be an integer, got float"):
        brevity_penalty(3, 2.5)
