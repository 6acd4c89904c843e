"""BLEU: the geometric mean of clipped n-gram precisions against reference translations, times a brevity penalty."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_int, propagates_nonfinite
from snippets.sequence.edit_distance import _as_tokens

__all__ = ["modified_precision", "brevity_penalty", "corpus_bleu"]


def _ngram_rows(ids: np.ndarray, n: int) -> np.ndarray:
    """The n-grams of a sequence of token ids as the rows of an (L - n + 1, n) array (none if L < n)."""
    if len(ids) < n:
        return np.empty((0, n), dtype=np.int64)
    return np.lib.stride_tricks.sliding_window_view(ids, n)


def _clipped_counts(hyp: np.ndarray, refs: list[np.ndarray], n: int) -> tuple[int, int]:
    """Papineni's clipped n-gram matches of one hypothesis and its number of n-grams."""
    h = _ngram_rows(hyp, n)
    if len(h) == 0:
        return 0, 0
    rows = [h, *(_ngram_rows(r, n) for r in refs)]
    source = np.repeat(np.arange(len(rows)), [len(r) for r in rows])
    # one id per distinct n-gram across the hypothesis and all references
    _, gram = np.unique(np.concatenate(rows), axis=0, return_inverse=True)
    counts = np.zeros((len(rows), int(gram.max()) + 1), dtype=np.int64)
    np.add.at(counts, (source, gram.ravel()), 1)
    # clip each hypothesis count by the largest count of that n-gram in any one reference
    clipped = np.minimum(counts[0], counts[1:].max(axis=0, initial=0))
    return int(clipped.sum()), len(h)


def _encode(hypothesis: Any, references: Any, where: str) -> tuple[np.ndarray, list[np.ndarray]]:
    """Token sequences as integer ids (one shared vocabulary), checked."""
    hyp = _as_tokens(hypothesis, f"hypothesis{where}")
    if isinstance(references, str) or not isinstance(references, (list, tuple)) or len(references) == 0:
        raise ValueError(f"references{where} must be a non-empty list of reference token lists, "
                         f"got {type(references).__name__}")
    refs = [_as_tokens(r, f"references{where}") for r in references]
    vocab: dict = {}
    encode = lambda seq: np.array([vocab.setdefault(t, len(vocab)) for t in seq], dtype=np.int64)  # noqa: E731
    return encode(hyp), [encode(r) for r in refs]


# --8<-- [start:modified_precision]
def modified_precision(hypothesis: Sequence, references: Sequence[Sequence], n: int) -> float:
    """Papineni et al.'s modified n-gram precision of one hypothesis.

    Each n-gram of the hypothesis counts as a match at most as many times as it occurs in the
    single reference where it occurs most (the count is *clipped*); the matches are divided by
    the number of n-grams of the hypothesis (at least 1, as NLTK does). A count: no gradient.

    Parameters
    ----------
    hypothesis : sequence of hashable tokens
        The candidate translation, e.g. a list of words (a string is a sequence of characters).
    references : list of sequences of tokens
        One or more reference translations.
    n : int
        The n-gram order, ``>= 1``.

    Returns
    -------
    float
        The modified precision in ``[0, 1]``.

    Examples
    --------
    >>> # Papineni et al. (2002), example 2: "the" 7 times; at most 2 in one reference
    >>> refs = ["the cat is on the mat".split(), "there is a cat on the mat".split()]
    >>> modified_precision(["the"] * 7, refs, 1)  # 2 / 7
    0.2857142857142857
    """
    n = as_int(n, "n", low=1)
    hyp, refs = _encode(hypothesis, references, "")
    clipped, total = _clipped_counts(hyp, refs, n)
    return clipped / max(total, 1)
# --8<-- [end:modified_precision]


# --8<-- [start:brevity_penalty]
def brevity_penalty(c: int, r: int) -> float:
    """BLEU's brevity penalty: 1 if ``c > r``, else ``exp(1 - r / c)`` (0 for ``c = 0``).

    Papineni's argument order ``(c, r)``; NLTK's ``brevity_penalty`` takes ``(r, c)``.

    Parameters
    ----------
    c : int
        Total hypothesis length, ``>= 0``.
    r : int
        Effective reference length (the sum of the closest reference lengths), ``>= 0``.

    Returns
    -------
    float
        The penalty in ``[0, 1]``.

    Examples
    --------
    >>> brevity_penalty(12, 10)  # longer than the reference: no penalty
    1.0
    >>> round(brevity_penalty(10, 12), 6)  # exp(1 - 12/10) = exp(-0.2)
    0.818731
    """
    c = as_int(c, "c", low=0)
    r = as_int(r, "r", low=0)
    if c > r:
        return 1.0
    return 0.0 if c == 0 else float(np.exp(1.0 - r / c))
# --8<-- [end:brevity_penalty]


# --8<-- [start:corpus_bleu]
@propagates_nonfinite
def corpus_bleu(
    list_of_references: Sequence[Sequence[Sequence]],
    hypotheses: Sequence[Sequence],
    max_n: int = 4,
    weights: ArrayLike | None = None,
) -> float:
    """Corpus-level BLEU, as NLTK's ``corpus_bleu`` without smoothing.

    Clipped matches and n-gram counts are summed over the corpus per order (a hypothesis adds at
    least 1 to every count, as in NLTK); c sums the hypothesis lengths and r the closest
    reference lengths (the shorter on a tie). ``BP * exp(sum_n w_n log p_n)``, exactly 0.0 when
    a ``p_n`` with ``w_n > 0`` is 0 (NLTK warns and gives ~1e-77). A metric: no gradient.

    Parameters
    ----------
    list_of_references : list of lists of token sequences
        One or more references per hypothesis.
    hypotheses : list of token sequences
        The system outputs (lists of words, ids, ...).
    max_n : int, default 4
        The largest n-gram order, ``>= 1``.
    weights : array_like of shape (max_n,), optional
        Finite weights ``>= 0`` of the log precisions; uniform ``1 / max_n`` by default.

    Returns
    -------
    float
        BLEU in ``[0, 1]``.

    Examples
    --------
    >>> refs = [["the cat is on the mat".split()]]
    >>> corpus_bleu(refs, ["the cat is on the mat".split()])  # identical: every precision 1
    1.0
    >>> # unigrams 5/5, bigrams 3/4; 5 words for 6: BP = exp(1 - 6/5)
    >>> round(corpus_bleu(refs, ["the cat on the mat".split()], max_n=2), 6)  # exp(-0.2) * sqrt(3/4)
    0.709042
    >>> round(corpus_bleu(refs, ["the cat on the mat".split()], weights=[0.5, 0.5, 0.0, 0.0]), 6)
    0.709042
    """
    if isinstance(hypotheses, str) or not isinstance(hypotheses, (list, tuple)):
        raise TypeError(f"hypotheses must be a list of token sequences, got {type(hypotheses).__name__}")
    if isinstance(list_of_references, str) or not isinstance(list_of_references, (list, tuple)):
        raise TypeError(f"list_of_references must be a list (one entry per hypothesis), "
                        f"got {type(list_of_references).__name__}")
    if len(list_of_references) != len(hypotheses):
        raise ValueError(f"list_of_references must have one entry per hypothesis: "
                         f"{len(list_of_references)} references for {len(hypotheses)} hypotheses")
    max_n = as_int(max_n, "max_n", low=1)
    if weights is None:
        w = np.full(max_n, 1.0 / max_n)
    else:
        w = as_float_array(weights, "weights").astype(np.float64)
        if w.shape != (max_n,) or not np.all(np.isfinite(w) & (w >= 0)):
            raise ValueError(f"weights must be {max_n} finite numbers >= 0 (one per n-gram order), got {w}")
    matches, counts = np.zeros(max_n, dtype=np.int64), np.zeros(max_n, dtype=np.int64)
    c = r = 0
    for k, (refs, hyp) in enumerate(zip(list_of_references, hypotheses)):
        h, rs = _encode(hyp, refs, f"[{k}]")
        for n in range(1, max_n + 1):
            clipped, total = _clipped_counts(h, rs, n)
            matches[n - 1] += clipped
            counts[n - 1] += max(total, 1)  # NLTK: at least 1 per hypothesis
        # the reference closest in length (the shorter one on a tie)
        lengths = np.array([len(x) for x in rs])
        c += len(h)
        r += int(lengths[np.lexsort((lengths, np.abs(lengths - len(h))))[0]])
    if len(hypotheses) == 0 or matches[0] == 0 or np.any((matches == 0) & (w > 0)):
        return 0.0  # a zero precision with positive weight: the geometric mean is 0
    # geometric mean of the precisions (orders with weight 0 are left out), times the penalty
    used = w > 0
    log_p = np.log(matches[used].astype(np.float64) / counts[used])
    return float(brevity_penalty(c, r) * np.exp(np.sum(w[used] * log_p)))
# --8<-- [end:corpus_bleu]
