"""edit_distance and word_error_rate: textbook values, Dijkstra over edit scripts as an independent
reference, nltk.edit_distance, properties (a metric), costs, stability and bad input."""

from __future__ import annotations

import heapq
import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import edit_distance, word_error_rate
from tests.reference import require


def cheapest_edit_script(a: str, b: str, sub: float = 1, ins: float = 1, dele: float = 1) -> float:
    """Dijkstra over strings: from ``a``, apply single edits (delete a position, insert a symbol of
    ``b`` anywhere, replace a position by a symbol of ``b``) until ``b`` is reached. The definition
    itself, with no dynamic programme over prefixes."""
    alphabet = sorted(set(b))
    best = {a: 0.0}
    queue = [(0.0, a)]
    while queue:
        cost, s = heapq.heappop(queue)
        if s == b:
            return cost
        if cost > best.get(s, math.inf):
            continue
        moves = [(s[:i] + s[i + 1:], dele) for i in range(len(s))]
        if len(s) < len(b):
            moves += [(s[:i] + c + s[i:], ins) for i in range(len(s) + 1) for c in alphabet]
        moves += [(s[:i] + c + s[i + 1:], sub) for i in range(len(s)) for c in alphabet if c != s[i]]
        for t, step in moves:
            if cost + step < best.get(t, math.inf):
                best[t] = cost + step
                heapq.heappush(queue, (cost + step, t))
    raise AssertionError("unreachable")


def test_textbook_values() -> None:
    # Levenshtein's classic: kitten -> sitting: k->s, e->i, insert g
    assert edit_distance("kitten", "sitting") == 3
    # Jurafsky and Martin, Speech and Language Processing, ch. 2: intention -> execution is 5 with
    # unit costs; 8 when a substitution costs 2 (d, s, s, i, s: 1 + 2 + 2 + 1 + 2)
    assert edit_distance("intention", "execution") == 5
    assert edit_distance("intention", "execution", sub_cost=2) == 8
    assert edit_distance("", "abc") == 3 and edit_distance("abc", "") == 3 and edit_distance("", "") == 0
    assert edit_distance("abc", "abc") == 0
    # costs: only insertions (ins 2) or only deletions (del 0.5)
    assert edit_distance("ab", "abcd", ins_cost=2) == 4
    assert edit_distance("abcd", "ab", del_cost=0.5) == 1.0
    # a substitution dearer than delete + insert is never used: ab -> cb is then 2 (del a, ins c)
    assert edit_distance("ab", "cb", sub_cost=5) == 2
    # tokens: words, ids, arrays
    assert edit_distance("the cat sat".split(), "the bat sat down".split()) == 2
    assert edit_distance((1, 2, 3), (1, 3)) == 1
    assert edit_distance(np.array([1, 2, 3]), [3, 2, 1]) == 2
    # int costs give an int, float costs a float
    assert isinstance(edit_distance("ab", "b"), int) and isinstance(edit_distance("ab", "b", sub_cost=1.0), float)


def test_word_error_rate_values() -> None:
    # one deleted word out of six
    assert word_error_rate("the cat sat on the mat".split(), "the cat sat on mat".split()) == 1 / 6
    # S + D + I over N: "a b c d" -> "a x c" is one substitution and one deletion: 2 / 4
    assert word_error_rate(["a", "b", "c", "d"], ["a", "x", "c"]) == 0.5
    # insertions push it above 1; strings are split on whitespace
    assert word_error_rate("a b", "x a y b z") == 1.5
    assert word_error_rate("a  b\n", ["a", "b"]) == 0.0


@pytest.mark.parametrize("costs", [(1, 1, 1), (2, 1, 1), (1, 2, 3), (0.5, 1.5, 1.0), (3, 1, 1)])
def test_matches_the_cheapest_edit_script(costs) -> None:
    # every pair of strings of length <= 3 over {x, y, z} against Dijkstra over edit scripts;
    # costs are sums of at most 6 binary fractions: both sides are exact
    sub, ins, dele = costs
    words = ["".join(w) for n in range(4) for w in itertools.product("xyz", repeat=n)]
    rng = np.random.default_rng(0)
    for a, b in zip(rng.choice(words, 150), rng.choice(words, 150)):
        ref = cheapest_edit_script(a, b, sub, ins, dele)
        assert edit_distance(a, b, sub, ins, dele) == ref, (a, b)


def test_matches_nltk() -> None:
    # nltk.edit_distance (unit insertions and deletions, any substitution cost) on random words
    # and word lists of up to 12 tokens
    nltk_distance = require("nltk.metrics.distance").edit_distance
    rng = np.random.default_rng(1)
    for trial in range(300):
        a = rng.choice(list("abcd"), size=rng.integers(0, 12)).tolist()
        b = rng.choice(list("abcd"), size=rng.integers(0, 12)).tolist()
        sub = int(rng.integers(0, 4))
        assert edit_distance(a, b, sub_cost=sub) == nltk_distance(a, b, substitution_cost=sub)
        assert edit_distance("".join(a), "".join(b)) == nltk_distance("".join(a), "".join(b))


words = st.lists(st.sampled_from(["a", "b", "c"]), max_size=8)


@settings(max_examples=80, deadline=None)
@given(a=words, b=words, c=words)
def test_metric_properties(a, b, c) -> None:
    d = edit_distance(a, b)
    assert d == edit_distance(b, a)  # symmetric with equal insertion and deletion costs
    assert (d == 0) == (a == b)
    assert abs(len(a) - len(b)) <= d <= max(len(a), len(b))
    assert edit_distance(a, c) <= d + edit_distance(b, c)  # triangle inequality
    # swapping insertion and deletion costs is reading the edit backwards
    assert edit_distance(a, b, ins_cost=2, del_cost=3) == edit_distance(b, a, ins_cost=3, del_cost=2)
    # appending the same token changes nothing
    assert edit_distance(a + ["z"], b + ["z"]) == d


def test_stable_and_fast_on_long_inputs() -> None:
    # costs up to 1e4 and 2000-token sequences: exact integers, no warning
    rng = np.random.default_rng(2)
    a, b = rng.integers(0, 5, 2000).tolist(), rng.integers(0, 5, 1500).tolist()
    d = edit_distance(a, b, sub_cost=10_000, ins_cost=10_000, del_cost=10_000)
    assert d == 10_000 * edit_distance(a, b)
    assert edit_distance(a, a[::2]) == 1000  # deleting every other token
    # free substitutions: only the 500 surplus tokens of a cost anything
    assert edit_distance(a, b, sub_cost=0, del_cost=1e4) == 500 * 1e4


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="sub_cost must be a finite number >= 0, got -1"):
        edit_distance("a", "b", sub_cost=-1)
    with pytest.raises(ValueError, match="ins_cost must be a finite number >= 0, got inf"):
        edit_distance("a", "b", ins_cost=np.inf)
    with pytest.raises(ValueError, match="del_cost must be a finite number >= 0, got nan"):
        edit_distance("a", "b", del_cost=np.nan)
    with pytest.raises(TypeError, match="a must be a string, list, tuple or 1-D array of tokens, got int"):
        edit_distance(5, "b")
    with pytest.raises(TypeError, match="b must hold hashable tokens, got list"):
        edit_distance("a", [["x"], ["y"]])
    with pytest.raises(ValueError, match=r"a must be a 1-D sequence of tokens, got an array of shape \(2, 2\)"):
        edit_distance(np.zeros((2, 2)), "b")
    with pytest.raises(ValueError, match="reference must hold at least one word"):
        word_error_rate("", "a b")
    with pytest.raises(TypeError, match="hypothesis must be a string, list, tuple"):
        word_error_rate("a b", 3)
