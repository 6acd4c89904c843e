"""Tokenization and vocabulary: text becomes a list of tokens, and tokens become integer ids.

Word mode follows NLTK's ``wordpunct_tokenize`` (runs of word characters, and runs of other
non-space characters); the vocabulary puts the reserved tokens first, then every token seen at
least ``min_freq`` times, most frequent first, ties in order of first appearance (as d2l does;
torchtext breaks ties alphabetically instead).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_class_indices, as_int

__all__ = ["tokenize", "build_vocab", "encode", "decode"]

# a word is a run of letters, digits and underscores; any other run of non-space characters
# (punctuation, symbols) is a token of its own: NLTK's WordPunctTokenizer pattern
_WORD_PUNCT = re.compile(r"\w+|[^\w\s]+")
_MODES = ("word", "whitespace", "char")


def _check_text(text: object) -> str:
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return text


def _flatten_tokens(tokens: object, name: str) -> list[str]:
    """A list of tokens, or a list of token lists (one per sentence), as one flat list of str."""
    if isinstance(tokens, str) or not isinstance(tokens, Iterable):
        raise TypeError(f"{name} must be a list of str tokens (or a list of such lists), got {type(tokens).__name__}")
    flat: list[str] = []
    for item in tokens:
        if isinstance(item, str):
            flat.append(item)
        elif isinstance(item, Iterable) and all(isinstance(t, str) for t in item):
            flat.extend(item)
        else:
            raise TypeError(f"{name} must hold str tokens (or lists of them), found {item!r}")
    return flat


# --8<-- [start:tokenize]
def tokenize(text: str, mode: str = "word") -> list[str]:
    """Split ``text`` into tokens: words and punctuation, whitespace-separated chunks, or characters.

    Parameters
    ----------
    text : str
        The text. Nothing is lower-cased or removed: normalise first if you want that.
    mode : {"word", "whitespace", "char"}, default "word"
        ``"word"``: runs of word characters (``\\w+``: letters, digits, ``_``) and runs of any
        other non-space characters, as ``nltk.tokenize.wordpunct_tokenize``; "don't" gives
        ``don ' t``. ``"whitespace"``: ``text.split()``, so punctuation stays attached
        ("cat." is one token). ``"char"``: every character, spaces included.

    Returns
    -------
    list of str
        The tokens in order; ``"".join`` of the ``"char"`` tokens is ``text`` again.

    Examples
    --------
    >>> tokenize("The cat sat. Don't!")
    ['The', 'cat', 'sat', '.', 'Don', "'", 't', '!']
    >>> tokenize("The cat sat.", mode="whitespace")
    ['The', 'cat', 'sat.']
    >>> tokenize("a b!", mode="char")
    ['a', ' ', 'b', '!']
    """
    text = _check_text(text)
    if mode == "word":
        # words and punctuation runs, whitespace dropped
        return _WORD_PUNCT.findall(text)
    if mode == "whitespace":
        # maximal runs of non-space characters
        return text.split()
    if mode == "char":
        # one token per Unicode code point
        return list(text)
    raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
# --8<-- [end:tokenize]


# --8<-- [start:build_vocab]
def build_vocab(
    tokens: Sequence[str] | Sequence[Sequence[str]],
    min_freq: int = 1,
    reserved: Sequence[str] = ("<pad>", "<unk>", "<bos>", "<eos>"),
) -> dict[str, int]:
    """A vocabulary: reserved tokens first, then the tokens seen at least ``min_freq`` times.

    Parameters
    ----------
    tokens : list of str, or list of lists of str
        A corpus already tokenized (one list per sentence, or one flat list).
    min_freq : int >= 1, default 1
        Tokens seen fewer times are left out; :func:`encode` maps them to ``"<unk>"``.
    reserved : sequence of str, default ("<pad>", "<unk>", "<bos>", "<eos>")
        Special tokens, given ids 0, 1, ... in this order whatever their counts (a reserved token
        that also occurs in the text keeps its reserved id). Must not repeat.

    Returns
    -------
    dict of str to int
        ``token -> id``, ids ``0 .. V - 1`` in insertion order. After the reserved tokens: by
        decreasing count, ties by first appearance in ``tokens`` (d2l's order; torchtext's
        ``build_vocab_from_iterator`` sorts ties alphabetically).

    Examples
    --------
    >>> # counts: the 3, cat 2, sat 1, mat 1; "sat" appears before "mat"
    >>> build_vocab(["the", "cat", "sat", "the", "mat", "the", "cat"], reserved=("<unk>",))
    {'<unk>': 0, 'the': 1, 'cat': 2, 'sat': 3, 'mat': 4}
    >>> build_vocab([["a", "b"], ["b"]], min_freq=2)
    {'<pad>': 0, '<unk>': 1, '<bos>': 2, '<eos>': 3, 'b': 4}
    """
    flat = _flatten_tokens(tokens, "tokens")
    min_freq = as_int(min_freq, "min_freq", low=1)
    reserved = _flatten_tokens(list(reserved), "reserved")
    if len(set(reserved)) != len(reserved):
        repeated = next(t for t in reserved if reserved.count(t) > 1)
        raise ValueError(f"reserved must not repeat a token, {repeated!r} occurs {reserved.count(repeated)} times")
    # Counter keeps first-appearance order, and sorted() is stable: equal counts stay in that order
    counts = Counter(flat)
    kept = [t for t, c in sorted(counts.items(), key=lambda item: -item[1]) if c >= min_freq and t not in reserved]
    return {token: i for i, token in enumerate([*reserved, *kept])}
# --8<-- [end:build_vocab]


def _check_vocab(vocab: object) -> Mapping[str, int]:
    if not isinstance(vocab, Mapping):
        raise TypeError(f"vocab must be a dict of token -> id (from build_vocab), got {type(vocab).__name__}")
    ids = sorted(vocab.values())
    if ids != list(range(len(ids))):
        raise ValueError(f"vocab must map its {len(ids)} tokens to the ids 0..{len(ids) - 1}, each once")
    return vocab


# --8<-- [start:encode]
def encode(tokens: Sequence[str], vocab: Mapping[str, int]) -> np.ndarray:
    """The id of each token; a token not in ``vocab`` becomes the id of ``"<unk>"``.

    Parameters
    ----------
    tokens : list of str, length L
    vocab : dict of str to int
        From :func:`build_vocab`: ids ``0 .. V - 1``.

    Returns
    -------
    ndarray of int64, shape (L,)
        ``vocab[token]``, or ``vocab["<unk>"]`` for unknown tokens. Without an ``"<unk>"`` entry
        an unknown token raises ``ValueError`` (it would otherwise vanish silently).

    Examples
    --------
    >>> vocab = {"<unk>": 0, "the": 1, "cat": 2}
    >>> encode(["the", "dog", "cat"], vocab)  # "dog" is unknown: id 0
    array([1, 0, 2])
    """
    vocab = _check_vocab(vocab)
    tokens = _flatten_tokens(tokens, "tokens") if not isinstance(tokens, str) else None
    if tokens is None:
        raise TypeError("tokens must be a list of str tokens, got a str: tokenize it first")
    unk = vocab.get("<unk>")
    if unk is None:
        missing = [t for t in tokens if t not in vocab]
        if missing:
            raise ValueError(f"tokens contains {missing[0]!r}, which is not in vocab, and vocab has no '<unk>'")
    # a dictionary lookup per token (unknown -> <unk>)
    return np.array([vocab.get(t, unk) for t in tokens], dtype=np.int64)
# --8<-- [end:encode]


# --8<-- [start:decode]
def decode(ids: ArrayLike, vocab: Mapping[str, int]) -> list[str]:
    """The token of each id: the inverse of :func:`encode` on tokens that are in ``vocab``.

    Parameters
    ----------
    ids : array_like of int, shape (L,)
        Ids in ``[0, V)``.
    vocab : dict of str to int
        From :func:`build_vocab`.

    Returns
    -------
    list of str, length L
        ``decode(encode(tokens, vocab), vocab) == tokens`` when every token is in ``vocab``;
        an unknown token comes back as ``"<unk>"``.

    Examples
    --------
    >>> decode([1, 0, 2], {"<unk>": 0, "the": 1, "cat": 2})
    ['the', '<unk>', 'cat']
    """
    vocab = _check_vocab(vocab)
    ids = np.asarray(ids)
    if ids.shape == (0,):
        return []  # nothing to decode (an empty list has a float dtype, but no values to check)
    if ids.ndim != 1:
        raise ValueError(f"ids must be a 1-D array of token ids (L,), got shape {ids.shape}")
    ids = as_class_indices(ids, len(vocab), "ids")
    # the inverse table: position i holds the token whose id is i
    itos = np.empty(len(vocab), dtype=object)
    itos[list(vocab.values())] = list(vocab.keys())
    return itos[ids].tolist()
# --8<-- [end:decode]
