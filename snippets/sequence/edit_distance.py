"""Edit distance (Levenshtein distance) and word error rate: the cheapest way to turn one sequence into another."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from snippets._validate import as_real_scalar, propagates_nonfinite

__all__ = ["edit_distance", "word_error_rate"]


def _as_tokens(seq: Any, name: str) -> list:
    """A string as its characters; a list, tuple or 1-D array as its items (each hashable)."""
    if isinstance(seq, str):
        return list(seq)
    if isinstance(seq, np.ndarray):
        if seq.ndim != 1:
            raise ValueError(f"{name} must be a 1-D sequence of tokens, got an array of shape {seq.shape}")
        seq = seq.tolist()
    if not isinstance(seq, (list, tuple)):
        raise TypeError(f"{name} must be a string, list, tuple or 1-D array of tokens, got {type(seq).__name__}")
    for token in seq:
        try:
            hash(token)
        except TypeError:
            raise TypeError(f"{name} must hold hashable tokens, got {type(token).__name__}") from None
    return list(seq)


def _cost(value: Any, name: str) -> tuple[float, bool]:
    """A non-negative finite cost, and whether it is an integer (then the distance is an int)."""
    c = as_real_scalar(value, name, low=0.0)
    return c, isinstance(value, (int, np.integer)) and not isinstance(value, bool)


# --8<-- [start:edit_distance]
@propagates_nonfinite
def edit_distance(
    a: Sequence | str, b: Sequence | str, sub_cost: float = 1, ins_cost: float = 1, del_cost: float = 1
) -> int | float:
    """The cheapest sequence of edits that turns ``a`` into ``b`` (Levenshtein distance).

    Deleting a token of ``a`` costs ``del_cost``, inserting a token of ``b`` costs ``ins_cost``,
    replacing one token by a different one costs ``sub_cost``; equal tokens match for free.
    Wagner and Fischer's dynamic programme, one row of the table per token of ``a``; within a
    row the chain of insertions is a running minimum. Transpositions are not an edit here (that
    is Damerau's variant). A count, not a loss: no gradient.

    Parameters
    ----------
    a, b : str or sequence of hashable tokens
        A string is a sequence of characters; a list or tuple (of words, ids, ...) or a 1-D
        array is a sequence of its items.
    sub_cost, ins_cost, del_cost : float, default 1
        Finite costs ``>= 0``. ``sub_cost >= ins_cost + del_cost`` makes a substitution never
        worth it (the distance then counts insertions and deletions only).

    Returns
    -------
    int or float
        The distance: an ``int`` when all three costs are integers, else a ``float``.

    Examples
    --------
    >>> edit_distance("kitten", "sitting")  # k->s, e->i, insert g
    3
    >>> edit_distance("intention", "execution")  # Jurafsky and Martin's example
    5
    >>> edit_distance("intention", "execution", sub_cost=2.0)  # 3 substitutions now cost 6
    8.0
    >>> edit_distance(["the", "cat", "sat"], ["the", "cat", "sat", "down"])  # one inserted word
    1
    """
    x, y = _as_tokens(a, "a"), _as_tokens(b, "b")
    (sub, s_int), (ins, i_int), (dele, d_int) = (
        _cost(sub_cost, "sub_cost"), _cost(ins_cost, "ins_cost"), _cost(del_cost, "del_cost"))
    # integer costs (small enough for exact int64 sums) give an integer distance
    dtype = np.int64 if s_int and i_int and d_int and max(sub, ins, dele) <= 2.0**40 else np.float64
    # tokens as integer ids, so that rows compare as arrays
    ids: dict = {}
    xa = np.array([ids.setdefault(t, len(ids)) for t in x], dtype=np.int64)
    ya = np.array([ids.setdefault(t, len(ids)) for t in y], dtype=np.int64)
    j = np.arange(len(ya) + 1, dtype=dtype)
    # row 0: turning the empty prefix of a into b[:j] takes j insertions
    row = j * dtype(ins)
    for i, token in enumerate(xa, start=1):
        # from the row above: match / substitute (diagonal) or delete a[i-1] (vertical)
        diag = row[:-1] + np.where(ya == token, dtype(0), dtype(sub))
        t = np.concatenate([[dtype(i) * dtype(dele)], np.minimum(diag, row[1:] + dtype(dele))])
        # then insertions along the row: d[j] = min over k <= j of t[k] + (j - k) * ins
        row = np.minimum.accumulate(t - j * dtype(ins)) + j * dtype(ins)
    result = row[-1]
    return int(result) if dtype is np.int64 else float(result)
# --8<-- [end:edit_distance]


# --8<-- [start:word_error_rate]
def word_error_rate(reference: Sequence[str] | str, hypothesis: Sequence[str] | str) -> float:
    """Word error rate: word-level edit distance divided by the number of reference words.

    ``WER = (S + D + I) / N`` with unit costs, where N = ``len(reference)``. It is not bounded by
    1: a hypothesis with many inserted words scores above 1. A metric, not a loss: no gradient.

    Parameters
    ----------
    reference : list of str, or str
        The reference transcript as a list of words; a string is split on whitespace.
    hypothesis : list of str, or str
        The recognised words, the same way.

    Returns
    -------
    float
        The error rate, ``>= 0``.

    Examples
    --------
    >>> word_error_rate("the cat sat on the mat".split(), "the cat sat on mat".split())  # 1 deletion / 6
    0.16666666666666666
    >>> word_error_rate("a b", "x a y b z")  # 3 insertions over 2 reference words
    1.5
    """
    ref = reference.split() if isinstance(reference, str) else _as_tokens(reference, "reference")
    hyp = hypothesis.split() if isinstance(hypothesis, str) else _as_tokens(hypothesis, "hypothesis")
    if not ref:
        raise ValueError("reference must hold at least one word (the error rate divides by its length)")
    return edit_distance(ref, hyp) / len(ref)
# --8<-- [end:word_error_rate]
