"""Sequences and language: tokens, word vectors, decoding and the scores that judge generated text."""

from snippets.sequence.byte_pair_encoding import bpe_encode, learn_bpe
from snippets.sequence.masked_language_modeling import mask_tokens, mlm_loss, mlm_loss_backward
from snippets.sequence.n_gram_language_model import ngram_counts, ngram_prob, sequence_log_prob
from snippets.sequence.teacher_forcing import scheduled_sampling_inputs, teacher_forcing_inputs
from snippets.sequence.tokenization import build_vocab, decode, encode, tokenize

__all__: list[str] = [
    "tokenize",
    "build_vocab",
    "encode",
    "decode",
    "learn_bpe",
    "bpe_encode",
    "ngram_counts",
    "ngram_prob",
    "sequence_log_prob",
    "mask_tokens",
    "mlm_loss",
    "mlm_loss_backward",
    "teacher_forcing_inputs",
    "scheduled_sampling_inputs",
]
