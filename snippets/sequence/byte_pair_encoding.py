"""Byte-pair encoding (BPE): learn subword units by repeatedly merging the most frequent pair of
adjacent symbols (Sennrich, Haddow and Birch, 2016), then segment words by replaying the merges.

Conventions (libraries differ): words start as characters followed by an end-of-word symbol
``"</w>"`` (the paper's; GPT-2 marks the start of a word instead); a tie between equally frequent
pairs goes to the pair met first when scanning the words in the order given and each word from
left to right (what the paper's reference code does on Python 3.7+); a word is encoded by merging,
again and again, the adjacent pair with the earliest-learned merge (subword-nmt's and GPT-2's rule).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from snippets._validate import as_int

__all__ = ["learn_bpe", "bpe_encode"]


def _check_word(word: object, name: str) -> str:
    if not isinstance(word, str):
        raise TypeError(f"{name} must be a str, got {type(word).__name__}")
    if not word:
        raise ValueError(f"{name} must be a non-empty str, got ''")
    return word


def _check_marker(end_of_word: object) -> str:
    if not isinstance(end_of_word, str):
        raise TypeError(f"end_of_word must be a str ('' for none), got {type(end_of_word).__name__}")
    return end_of_word


def _symbols(word: str, end_of_word: str) -> tuple[str, ...]:
    """The starting segmentation: one symbol per character, then the end-of-word symbol."""
    return (*word, end_of_word) if end_of_word else tuple(word)


def _merge(symbols: tuple[str, ...], pair: tuple[str, str]) -> tuple[str, ...]:
    """Replace every occurrence of ``pair`` by its concatenation, left to right, never overlapping."""
    out: list[str] = []
    i = 0
    while i < len(symbols):
        if i + 1 < len(symbols) and symbols[i] == pair[0] and symbols[i + 1] == pair[1]:
            out.append(pair[0] + pair[1])
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return tuple(out)


# --8<-- [start:learn_bpe]
def learn_bpe(word_freqs: Mapping[str, int], num_merges: int, end_of_word: str = "</w>") -> list[tuple[str, str]]:
    """Learn ``num_merges`` BPE merge operations from a dictionary of word counts.

    Parameters
    ----------
    word_freqs : dict of str to int
        Each word of the training corpus (already split on whitespace) with its count >= 1.
    num_merges : int >= 0
        How many merges to learn: the subword vocabulary is the characters plus one symbol per
        merge. Learning stops early when no word has two symbols left.
    end_of_word : str, default "</w>"
        Appended to every word as a symbol of its own, so that a suffix ("est</w>") and the same
        letters inside a word ("est" in "estimate") become different units. ``""``: no marker.

    Returns
    -------
    list of (str, str)
        The merges in the order learned. Each is the pair of adjacent symbols with the largest
        total count at that step, ties going to the pair met first (words in the order of
        ``word_freqs``, each read left to right).

    Notes
    -----
    Pair counts are recomputed after every merge: O(num_merges x corpus symbols), as the paper's
    reference code; fast implementations update only the pairs next to each merge. Counting,
    not a differentiable function: there is no backward.

    Examples
    --------
    The dictionary of Sennrich et al. (2016): "e s" occurs 6 + 3 = 9 times, in "newest" and
    "widest", as do "s t" and "t </w>"; the pair met first wins.

    >>> learn_bpe({"low": 5, "lower": 2, "newest": 6, "widest": 3}, 4)
    [('e', 's'), ('es', 't'), ('est', '</w>'), ('l', 'o')]
    """
    if not isinstance(word_freqs, Mapping):
        raise TypeError(f"word_freqs must be a dict of word -> count, got {type(word_freqs).__name__}")
    num_merges = as_int(num_merges, "num_merges", low=0)
    end_of_word = _check_marker(end_of_word)
    words = [_symbols(_check_word(w, "each word of word_freqs"), end_of_word) for w in word_freqs]
    counts = [as_int(c, f"word_freqs[{w!r}]", low=1) for w, c in word_freqs.items()]
    merges: list[tuple[str, str]] = []
    for _ in range(num_merges):
        # count every adjacent pair, weighted by its word's count; a dict keeps first-seen order
        pairs: dict[tuple[str, str], int] = {}
        for symbols, count in zip(words, counts):
            for pair in zip(symbols, symbols[1:]):
                pairs[pair] = pairs.get(pair, 0) + count
        if not pairs:
            break  # every word is a single symbol: nothing left to merge
        # the most frequent pair; max() keeps the first of equal counts
        best = max(pairs, key=pairs.__getitem__)
        merges.append(best)
        # apply the merge to every word of the corpus
        words = [_merge(symbols, best) for symbols in words]
    return merges
# --8<-- [end:learn_bpe]


# --8<-- [start:bpe_encode]
def bpe_encode(word: str, merges: Sequence[tuple[str, str]], end_of_word: str = "</w>") -> list[str]:
    """Segment ``word`` into subword units with learned merges.

    Parameters
    ----------
    word : str
        One word (no whitespace handling: split the text first).
    merges : sequence of (str, str)
        From :func:`learn_bpe`, in the order learned; earlier merges have priority.
    end_of_word : str, default "</w>"
        The marker the merges were learned with.

    Returns
    -------
    list of str
        The units; ``"".join`` of them is ``word + end_of_word``. Starting from characters,
        the adjacent pair whose merge was learned earliest is merged (all its occurrences, left
        to right) until no adjacent pair has a merge. Characters never seen in training stay
        single symbols: map them to ``<unk>`` or start from bytes (byte-level BPE).

    Examples
    --------
    With the first 8 merges of the paper's dictionary, the unseen word "lowest" is "low" + "est</w>":

    >>> merges = [("e", "s"), ("es", "t"), ("est", "</w>"), ("l", "o"), ("lo", "w"),
    ...           ("n", "e"), ("ne", "w"), ("new", "est</w>")]
    >>> bpe_encode("lowest", merges)
    ['low', 'est</w>']
    """
    word = _check_word(word, "word")
    end_of_word = _check_marker(end_of_word)
    if isinstance(merges, str) or not isinstance(merges, Sequence):
        raise TypeError(f"merges must be a list of (str, str) pairs from learn_bpe, got {type(merges).__name__}")
    rank: dict[tuple[str, str], int] = {}
    for i, pair in enumerate(merges):
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and all(isinstance(s, str) for s in pair)):
            raise TypeError(f"merges must hold (str, str) pairs, found {pair!r} at index {i}")
        rank.setdefault((pair[0], pair[1]), i)  # a repeated merge keeps its first (highest) priority
    symbols = _symbols(word, end_of_word)
    while len(symbols) > 1:
        # the adjacent pair learned earliest; pairs without a merge rank last
        best = min(zip(symbols, symbols[1:]), key=lambda pair: rank.get(pair, len(merges)))
        if best not in rank:
            break  # no adjacent pair can be merged
        symbols = _merge(symbols, best)
    return list(symbols)
# --8<-- [end:bpe_encode]
