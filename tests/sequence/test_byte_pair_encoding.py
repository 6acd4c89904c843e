"""learn_bpe / bpe_encode: the paper's worked examples, an independent string-and-regex
implementation (the algorithm as Sennrich et al. print it), properties and bad input.

No library reference is installed (subword-nmt, tokenizers and sentencepiece are not in the
[ref] extras), so the slow reference below is written here, differently: space-joined strings
rewritten with a regular expression instead of tuples of symbols.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import bpe_encode, learn_bpe

PAPER = {"low": 5, "lower": 2, "newest": 6, "widest": 3}


def reference_learn_bpe(word_freqs: dict[str, int], num_merges: int) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """Sennrich et al.'s Algorithm 1 on strings: 'l o w </w>' -> 'lo w </w>' -> ...
    Returns the merges and each word's final segmentation (space-separated)."""
    vocab = {word: " ".join(word) + " </w>" for word in word_freqs}
    merges = []
    for _ in range(num_merges):
        stats: dict[tuple[str, str], int] = defaultdict(int)
        for word, segmented in vocab.items():
            symbols = segmented.split()
            for i in range(len(symbols) - 1):
                stats[symbols[i], symbols[i + 1]] += word_freqs[word]
        if not stats:
            break
        best = max(stats, key=stats.get)
        merges.append(best)
        # the bigram as whole symbols: not preceded or followed by a non-space character
        pattern = re.compile(r"(?<!\S)" + re.escape(" ".join(best)) + r"(?!\S)")
        vocab = {word: pattern.sub("".join(best), segmented) for word, segmented in vocab.items()}
    return merges, vocab


def replay_merges(word: str, merges: list[tuple[str, str]]) -> list[str]:
    """Segment by applying every merge once, in the order learned (how training segmented)."""
    segmented = " ".join(word) + " </w>"
    for pair in merges:
        segmented = re.sub(r"(?<!\S)" + re.escape(" ".join(pair)) + r"(?!\S)", "".join(pair), segmented)
    return segmented.split()


# ---------------------------------------------------------------- the paper
def test_sennrich_algorithm_1_dictionary() -> None:
    # derived by hand: "e s", "s t", "t </w>" all count 6 + 3 = 9, "e s" is met first (in "newest");
    # then "l o" and "lo w" (5 + 2 = 7), then "n e", "ne w", "new est</w>" (6), "low </w>" (5)
    # and "w i" (3, before "i d" and "d est</w>" in "widest")
    assert learn_bpe(PAPER, 10) == [
        ("e", "s"), ("es", "t"), ("est", "</w>"), ("l", "o"), ("lo", "w"),
        ("n", "e"), ("ne", "w"), ("new", "est</w>"), ("low", "</w>"), ("w", "i"),
    ]
    merges = learn_bpe(PAPER, 10)
    assert bpe_encode("newest", merges) == ["newest</w>"]
    assert bpe_encode("lower", merges) == ["low", "e", "r", "</w>"]
    assert bpe_encode("lowest", merges) == ["low", "est</w>"]           # unseen: known units
    assert bpe_encode("wider", merges) == ["wi", "d", "e", "r", "</w>"]


def test_sennrich_figure_1_segments_lower_as_low_er() -> None:
    # Figure 1: {low, lowest, newer, wider} learns r·, lo, low, er· (its ties broken in another
    # order than ours); with those merges the unseen "lower" is "low er·"
    assert bpe_encode("lower", [("r", "</w>"), ("l", "o"), ("lo", "w"), ("e", "r</w>")]) == ["low", "er</w>"]
    # our tie-breaking: every pair counts 1 or 2; "l o" (2) is met first, then "lo w" (2), then in
    # "newer" "e r" (2) before "r </w>" (2), then "er </w>" (2): another route to the same units
    ours = learn_bpe({"low": 1, "lowest": 1, "newer": 1, "wider": 1}, 4)
    assert ours == [("l", "o"), ("lo", "w"), ("e", "r"), ("er", "</w>")]
    assert bpe_encode("lower", ours) == ["low", "er</w>"]


def test_merges_stop_when_nothing_is_left_to_merge() -> None:
    # "ab" -> a b </w>: two merges make it one symbol; a third has no pair to use
    assert learn_bpe({"ab": 3}, 5) == [("a", "b"), ("ab", "</w>")]
    assert learn_bpe({"ab": 3}, 0) == []
    assert learn_bpe({}, 3) == []
    # without an end-of-word marker, a one-letter word has no pair at all
    assert learn_bpe({"a": 4}, 2, end_of_word="") == []
    assert bpe_encode("ab", [("a", "b")], end_of_word="") == ["ab"]


def test_repeated_symbols_merge_left_to_right() -> None:
    # "aaa": the pair (a, a) occurs twice, overlapping; it counts 2 per word and merges once: aa a
    assert learn_bpe({"aaa": 1}, 1, end_of_word="") == [("a", "a")]
    assert bpe_encode("aaa", [("a", "a")], end_of_word="") == ["aa", "a"]
    assert bpe_encode("aaaa", [("a", "a")], end_of_word="") == ["aa", "aa"]
    assert bpe_encode("aaaa", [("a", "a"), ("aa", "aa")], end_of_word="") == ["aaaa"]


# ---------------------------------------------------------------- the independent implementation
corpora = st.dictionaries(st.text(alphabet="abcd", min_size=1, max_size=7), st.integers(1, 20), max_size=8)


@settings(max_examples=50, deadline=None)
@given(corpora, st.integers(0, 25))
def test_matches_the_string_implementation(word_freqs: dict[str, int], num_merges: int) -> None:
    merges = learn_bpe(word_freqs, num_merges)
    ref_merges, segmented = reference_learn_bpe(word_freqs, num_merges)
    assert merges == ref_merges
    for word, seg in segmented.items():
        # encoding a training word reproduces the segmentation training ended with
        assert bpe_encode(word, merges) == seg.split()
        assert bpe_encode(word, merges) == replay_merges(word, merges)


@settings(max_examples=60, deadline=None)
@given(corpora, st.integers(0, 25), st.text(alphabet="abcde", min_size=1, max_size=10))
def test_units_concatenate_to_the_word(word_freqs: dict[str, int], num_merges: int, word: str) -> None:
    merges = learn_bpe(word_freqs, num_merges)
    units = bpe_encode(word, merges)
    assert "".join(units) == word + "</w>"
    # every unit is a character, the marker, or a symbol some merge created
    created = {a + b for a, b in merges}
    assert all(len(u) == 1 or u == "</w>" or u in created for u in units)
    # more merges never make the segmentation longer on the training words
    for w in word_freqs:
        assert len(bpe_encode(w, merges)) <= len(bpe_encode(w, merges[: len(merges) // 2]))


def test_end_of_word_marker_separates_suffixes() -> None:
    corpus = {"est": 10, "estate": 1}
    # e s (11), es t (11), then est </w> (10): the word "est" is one unit, distinct from the prefix
    with_marker = learn_bpe(corpus, 3)
    assert with_marker == [("e", "s"), ("es", "t"), ("est", "</w>")]
    assert bpe_encode("est", with_marker) == ["est</w>"]
    assert bpe_encode("estate", with_marker) == ["est", "a", "t", "e", "</w>"]
    # without the marker the word "est" and the start of "estate" are the same unit
    without = learn_bpe(corpus, 2, end_of_word="")
    assert bpe_encode("est", without, end_of_word="") == ["est"]
    assert bpe_encode("estate", without, end_of_word="") == ["est", "a", "t", "e"]


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(TypeError, match="word_freqs must be a dict of word -> count, got list"):
        learn_bpe(["low"], 2)
    with pytest.raises(ValueError, match=r"word_freqs\['low'\] must be an integer >= 1, got 0"):
        learn_bpe({"low": 0}, 2)
    with pytest.raises(TypeError, match=r"word_freqs\['low'\] must be an integer, got float"):
        learn_bpe({"low": 2.0}, 2)
    with pytest.raises(ValueError, match="each word of word_freqs must be a non-empty str"):
        learn_bpe({"": 2}, 2)
    with pytest.raises(ValueError, match="num_merges must be an integer >= 0, got -1"):
        learn_bpe(PAPER, -1)
    with pytest.raises(TypeError, match="end_of_word must be a str"):
        learn_bpe(PAPER, 1, end_of_word=None)
    with pytest.raises(TypeError, match="word must be a str, got list"):
        bpe_encode(["low"], [])
    with pytest.raises(ValueError, match="word must be a non-empty str"):
        bpe_encode("", [])
    with pytest.raises(TypeError, match=r"merges must hold \(str, str\) pairs, found 'e s' at index 0"):
        bpe_encode("lowest", ["e s"])
    with pytest.raises(TypeError, match="merges must be a list of .* got str"):
        bpe_encode("lowest", "e s")
