"""Sequences and language: tokens, word vectors, decoding and the scores that judge generated text."""

from snippets.sequence.word2vec import (
    cbow_loss,
    cbow_loss_backward,
    skipgram_pairs,
    skipgram_softmax_loss,
    skipgram_softmax_loss_backward,
)

__all__: list[str] = [
    "skipgram_pairs",
    "skipgram_softmax_loss",
    "skipgram_softmax_loss_backward",
    "cbow_loss",
    "cbow_loss_backward",
]
