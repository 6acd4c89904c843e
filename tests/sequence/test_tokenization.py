"""tokenize / build_vocab / encode / decode: hand values, properties, bad input, NLTK and Counter."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import build_vocab, decode, encode, tokenize
from tests.reference import require


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_tokens() -> None:
    # word mode: \w+ runs and runs of other non-space characters ("..." stays one token)
    assert tokenize("Hi, you... 3.5 km!") == ["Hi", ",", "you", "...", "3", ".", "5", "km", "!"]
    assert tokenize("snake_case x2") == ["snake_case", "x2"]           # _ and digits are word characters
    assert tokenize("Hi, you...", mode="whitespace") == ["Hi,", "you..."]
    assert tokenize("ab c", mode="char") == ["a", "b", " ", "c"]
    assert tokenize("") == [] and tokenize("   ", mode="whitespace") == [] and tokenize("", mode="char") == []
    assert tokenize("北京 café") == ["北京", "café"]                      # \w is Unicode-aware


def test_hand_checked_vocab_and_ids() -> None:
    corpus = [["to", "be", "or", "not", "to", "be"], ["to", "do"]]
    # counts: to 3, be 2, or 1, not 1, do 1; ties in first-appearance order: or, not, do
    vocab = build_vocab(corpus)
    assert list(vocab) == ["<pad>", "<unk>", "<bos>", "<eos>", "to", "be", "or", "not", "do"]
    assert list(vocab.values()) == list(range(9))
    assert list(build_vocab(corpus, min_freq=2, reserved=())) == ["to", "be"]
    # ids: to 4, be 5, "is" unknown -> <unk> = 1
    np.testing.assert_array_equal(encode(["to", "be", "is"], vocab), [4, 5, 1])
    assert decode(np.array([4, 5, 1]), vocab) == ["to", "be", "<unk>"]
    # a reserved token in the text keeps its reserved id and is not counted again
    assert build_vocab(["<eos>", "a", "<eos>"], reserved=("<eos>",)) == {"<eos>": 0, "a": 1}


def test_shapes_and_dtypes() -> None:
    vocab = build_vocab(["a"])
    out = encode([], vocab)
    assert out.dtype == np.int64 and out.shape == (0,)
    assert decode([], vocab) == [] and decode(np.zeros(0, np.int64), vocab) == []
    assert encode(["a"], vocab).dtype == np.int64
    assert decode(np.array([4], np.uint8), vocab) == ["a"]


# ---------------------------------------------------------------- properties
words = st.text(alphabet=st.sampled_from("abc .,!'\n"), max_size=40)


@settings(max_examples=40)
@given(words)
def test_char_tokens_join_back_and_word_tokens_cover_the_non_space_text(text: str) -> None:
    assert "".join(tokenize(text, mode="char")) == text
    # dropping whitespace loses nothing else: the tokens are the text's non-space characters
    assert "".join(tokenize(text)) == "".join(text.split())
    assert "".join(tokenize(text, mode="whitespace")) == "".join(text.split())


@settings(max_examples=40)
@given(st.lists(st.lists(st.sampled_from(["a", "b", "c", "d", "<unk>"]), max_size=8), max_size=5), st.integers(1, 4))
def test_vocab_counts_agree_with_counter_and_round_trip(corpus: list[list[str]], min_freq: int) -> None:
    vocab = build_vocab(corpus, min_freq=min_freq)
    counts = Counter(t for sentence in corpus for t in sentence)
    reserved = ["<pad>", "<unk>", "<bos>", "<eos>"]
    # exactly the reserved tokens and the tokens counted at least min_freq times, each once
    assert list(vocab)[:4] == reserved
    assert set(vocab) - set(reserved) == {t for t, c in counts.items() if c >= min_freq} - set(reserved)
    kept = [t for t in vocab if t not in reserved]
    assert [counts[t] for t in kept] == sorted((counts[t] for t in kept), reverse=True)
    # round trip for known tokens; unknown ones come back as <unk>
    for sentence in corpus:
        back = decode(encode(sentence, vocab), vocab)
        assert back == [t if t in vocab else "<unk>" for t in sentence]


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"mode must be one of \('word', 'whitespace', 'char'\), got 'bpe'"):
        tokenize("a", mode="bpe")
    with pytest.raises(TypeError, match="text must be a str, got list"):
        tokenize(["a b"])
    with pytest.raises(TypeError, match="tokens must be a list of str tokens .* got str"):
        build_vocab("the cat")
    with pytest.raises(TypeError, match="tokens must hold str tokens .* found 3"):
        build_vocab(["a", 3])
    with pytest.raises(ValueError, match="min_freq must be an integer >= 1, got 0"):
        build_vocab(["a"], min_freq=0)
    with pytest.raises(ValueError, match="reserved must not repeat a token, '<pad>' occurs 2 times"):
        build_vocab(["a"], reserved=("<pad>", "<pad>"))
    with pytest.raises(ValueError, match="tokens contains 'b', which is not in vocab, and vocab has no '<unk>'"):
        encode(["a", "b"], {"a": 0})
    with pytest.raises(TypeError, match="tokens must be a list of str tokens, got a str"):
        encode("a", {"a": 0})
    with pytest.raises(TypeError, match="vocab must be a dict"):
        encode(["a"], ["a"])
    with pytest.raises(ValueError, match=r"vocab must map its 2 tokens to the ids 0..1"):
        decode([0], {"a": 0, "b": 2})
    with pytest.raises(ValueError, match=r"ids contains class index 2, outside the valid range \[0, 1\]"):
        decode([0, 2], {"a": 0, "b": 1})
    with pytest.raises(TypeError, match="ids holding class indices must have an integer dtype, got float64"):
        decode([0.0], {"a": 0})
    with pytest.raises(ValueError, match=r"ids must be a 1-D array of token ids \(L,\), got shape \(1, 1\)"):
        decode([[0]], {"a": 0})


# ---------------------------------------------------------------- references
def test_word_mode_matches_nltk_wordpunct_tokenize() -> None:
    tokenize_ref = require("nltk.tokenize").wordpunct_tokenize
    rng = np.random.default_rng(0)
    alphabet = list("abcXYZ019_ .,;:!?'\"-()\t\néüß北京$%&")
    texts = ["".join(rng.choice(alphabet, size=n)) for n in rng.integers(0, 60, size=200)]
    texts += ["Don't stop -- it's 3.14!", "e-mail: a_b@c.org", "« quoted » ... (yes)", ""]
    for text in texts:
        assert tokenize(text) == tokenize_ref(text), text


def test_whitespace_mode_matches_nltk_whitespace_tokenizer() -> None:
    tokenize_ref = require("nltk.tokenize").WhitespaceTokenizer().tokenize
    for text in ["a  b\tc\nd ", "  ", "x.y, z!"]:
        assert tokenize(text, mode="whitespace") == tokenize_ref(text)
