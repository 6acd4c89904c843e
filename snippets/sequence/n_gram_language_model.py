"""N-gram language model: the probability of the next token given the n - 1 tokens before it,
estimated from counts, with add-k (Laplace, Lidstone) smoothing.

Conventions: the count of a context is the number of times it is *followed* by a token (so the
probabilities over the vocabulary sum to 1, as in NLTK's ``nltk.lm``); sequences are not padded
here (prepend n - 1 ``<bos>`` and append ``<eos>`` yourself); logs are natural (NLTK's
``logscore`` is base 2).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence

import numpy as np

from snippets._validate import as_int, as_real_scalar

__all__ = ["ngram_counts", "ngram_prob", "sequence_log_prob"]


def _sequences(tokens: object) -> list[list[Hashable]]:
    """One token list, or a list of token lists (sentences), as a list of token lists."""
    if isinstance(tokens, str) or not isinstance(tokens, Sequence):
        raise TypeError(f"tokens must be a list of tokens (or a list of such lists), got {type(tokens).__name__}")
    if tokens and all(isinstance(t, (list, tuple)) for t in tokens):
        return [list(t) for t in tokens]
    if any(isinstance(t, (list, tuple)) for t in tokens):
        raise TypeError("tokens must be a list of tokens or a list of token lists, not a mixture")
    return [list(tokens)]


def _order(counts: object) -> int | None:
    """n, read from the length of the contexts (None for a model that has counted nothing)."""
    if not isinstance(counts, Mapping):
        raise TypeError(f"counts must be the dict returned by ngram_counts, got {type(counts).__name__}")
    for context in counts:
        return len(context) + 1
    return None


def _context_total(counts: Mapping[tuple, Mapping[Hashable, int]], context: tuple, vocab_size: int) -> int:
    """c(context): how many times the context was followed by a token (checked against V)."""
    followers = counts.get(context, {})
    if len(followers) > vocab_size:
        raise ValueError(
            f"vocab_size must be at least the {len(followers)} different tokens seen after {context!r}, got {vocab_size}"
        )
    return sum(followers.values())


def _check_scoring(tokens: object, counts: object, vocab_size: object, k: object) -> tuple[list, int, int, float]:
    """The sequence to score, the model's order n, V and k, checked."""
    n = _order(counts)
    if n is None:
        raise ValueError("counts is empty: count n-grams with ngram_counts first")
    sequences = _sequences(tokens)
    if len(sequences) != 1:
        raise ValueError(f"tokens must be one sequence, got a list of {len(sequences)} sequences: score them one at a time")
    return sequences[0], n, as_int(vocab_size, "vocab_size", low=1), as_real_scalar(k, "k", low=0.0)


# --8<-- [start:ngram_counts]
def ngram_counts(tokens: Sequence[Hashable] | Sequence[Sequence[Hashable]], n: int) -> dict[tuple, Counter]:
    """Count every n-gram: for each context of n - 1 tokens, how often each token follows it.

    Parameters
    ----------
    tokens : list of tokens, or list of token lists
        One sequence, or several (sentences) whose n-grams never cross from one to the next.
        Pad each yourself, e.g. ``["<bos>"] * (n - 1) + sentence + ["<eos>"]``.
    n : int >= 1
        The order: 1 unigrams (the context is ``()``), 2 bigrams, 3 trigrams...

    Returns
    -------
    dict of tuple to collections.Counter
        ``counts[context][word]`` = c(context, word); ``sum(counts[context].values())`` is
        c(context), the number of times the context is followed by a token.

    Examples
    --------
    >>> c = ngram_counts(["a", "b", "a", "b", "a", "c"], 2)
    >>> dict(c[("a",)]), dict(c[("b",)])  # a is followed by b twice and by c once
    ({'b': 2, 'c': 1}, {'a': 2})
    """
    n = as_int(n, "n", low=1)
    grams: Counter = Counter()
    for sequence in _sequences(tokens):
        # every window of n consecutive tokens, as an n-tuple (zip of n shifted copies)
        grams.update(zip(*(sequence[j:] for j in range(n))))
    counts: dict[tuple, Counter] = {}
    for gram, count in grams.items():
        # the first n - 1 tokens are the context, the last is the word that follows it
        counts.setdefault(gram[:-1], Counter())[gram[-1]] = count
    return counts
# --8<-- [end:ngram_counts]


# --8<-- [start:ngram_prob]
def ngram_prob(
    counts: Mapping[tuple, Mapping[Hashable, int]],
    context: Sequence[Hashable],
    word: Hashable,
    vocab_size: int,
    k: float = 1.0,
) -> np.float64:
    """The add-k estimate of P(word | context) = (c(context, word) + k) / (c(context) + k V).

    Parameters
    ----------
    counts : dict
        From :func:`ngram_counts` (order n).
    context : sequence of n - 1 tokens
        The tokens just before ``word``; ``()`` for a unigram model.
    word : token
    vocab_size : int >= 1
        V, the number of different tokens that can follow (``<unk>`` and ``<eos>`` included); at
        least the number of different tokens seen after ``context``.
    k : float >= 0, default 1.0
        Pseudo-count added to every word: 1 is Laplace (add-one) smoothing, 0 < k < 1 Lidstone,
        0 the maximum-likelihood estimate c(context, word) / c(context).

    Returns
    -------
    numpy.float64
        In [0, 1]; over the V words of the vocabulary the probabilities sum to 1. An unseen
        context gives 1 / V when k > 0, and NaN (0 / 0: undefined) when k = 0.

    Examples
    --------
    >>> c = ngram_counts(["a", "b", "a", "b", "a", "c"], 2)
    >>> float(ngram_prob(c, ("a",), "b", vocab_size=3, k=1.0))  # (2 + 1) / (3 + 3)
    0.5
    >>> float(ngram_prob(c, ("a",), "a", vocab_size=3, k=0.0))  # never seen after a
    0.0
    """
    n = _order(counts)
    vocab_size = as_int(vocab_size, "vocab_size", low=1)
    k = as_real_scalar(k, "k", low=0.0)
    if isinstance(context, str) or not isinstance(context, Sequence):
        raise TypeError(f"context must be a tuple of tokens, got {type(context).__name__}")
    context = tuple(context)
    if n is not None and len(context) != n - 1:
        raise ValueError(f"context must hold n - 1 = {n - 1} tokens for counts of order n = {n}, got {len(context)}")
    total = _context_total(counts, context, vocab_size)
    if total == 0 and k == 0:
        return np.float64(np.nan)  # the maximum-likelihood estimate of an unseen context: 0 / 0
    # add k to every word's count; the V words share k V extra counts, so they still sum to 1
    return np.float64((counts.get(context, {}).get(word, 0) + k) / (total + k * vocab_size))
# --8<-- [end:ngram_prob]


# --8<-- [start:sequence_log_prob]
def sequence_log_prob(
    tokens: Sequence[Hashable], counts: Mapping[tuple, Mapping[Hashable, int]], vocab_size: int, k: float = 1.0
) -> np.float64:
    """Natural log-probability of a sequence under an n-gram model: sum_i log P(t_i | t_{i-n+1..i-1}).

    Parameters
    ----------
    tokens : list of tokens, length L
        Padded as the model was trained (n - 1 ``<bos>`` first); the first n - 1 tokens are
        context only, so L - n + 1 tokens are predicted.
    counts, vocab_size, k
        The model, as in :func:`ngram_prob` (the suggested API's ``model``, spelled out).

    Returns
    -------
    numpy.float64
        The sum of the L - n + 1 log-probabilities (0 when there are none); ``-inf`` when k = 0
        and a token has count 0 after its context. ``exp(-result / (L - n + 1))`` is the
        perplexity.

    Examples
    --------
    >>> c = ngram_counts(["a", "b", "a", "b", "a", "c"], 2)
    >>> # P(b | a) P(a | b) = (3/6) (3/5) with k = 1, V = 3: log 0.3
    >>> round(float(sequence_log_prob(["a", "b", "a"], c, vocab_size=3, k=1.0)), 6)
    -1.203973
    """
    sequence, n, vocab_size, k = _check_scoring(tokens, counts, vocab_size, k)
    totals: dict[tuple, int] = {}
    log_p = 0.0
    for i in range(n - 1, len(sequence)):
        context = tuple(sequence[i - n + 1 : i])
        if context not in totals:  # c(context), summed once per context
            totals[context] = _context_total(counts, context, vocab_size)
        if totals[context] == 0 and k == 0:
            return np.float64(np.nan)  # an unseen context under maximum likelihood: 0 / 0
        # the add-k estimate of ngram_prob; log 0 = -inf (impossible without smoothing)
        p = (counts.get(context, {}).get(sequence[i], 0) + k) / (totals[context] + k * vocab_size)
        log_p += math.log(p) if p > 0 else -math.inf
    return np.float64(log_p)
# --8<-- [end:sequence_log_prob]
