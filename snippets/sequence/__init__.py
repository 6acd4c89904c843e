"""Sequences and language: tokens, word vectors, decoding and the scores that judge generated text."""

from snippets.sequence.beam_search import beam_search
from snippets.sequence.bleu import brevity_penalty, corpus_bleu, modified_precision
from snippets.sequence.byte_pair_encoding import bpe_encode, learn_bpe
from snippets.sequence.edit_distance import edit_distance, word_error_rate
from snippets.sequence.glove import cooccurrence_matrix, glove_loss, glove_loss_backward, glove_weight
from snippets.sequence.greedy_decoding import greedy_decode
from snippets.sequence.masked_language_modeling import mask_tokens, mlm_loss, mlm_loss_backward
from snippets.sequence.n_gram_language_model import ngram_counts, ngram_prob, sequence_log_prob
from snippets.sequence.negative_sampling import (
    negative_sampling_loss,
    negative_sampling_loss_backward,
    noise_distribution,
    sample_negatives,
)
from snippets.sequence.seq2seq import (
    masked_cross_entropy,
    masked_cross_entropy_backward,
    seq2seq_forward,
    sequence_mask,
)
from snippets.sequence.teacher_forcing import scheduled_sampling_inputs, teacher_forcing_inputs
from snippets.sequence.tokenization import build_vocab, decode, encode, tokenize
from snippets.sequence.top_k_and_top_p_sampling import sample_next_token, top_k_filter, top_p_filter
from snippets.sequence.word2vec import (
    cbow_loss,
    cbow_loss_backward,
    skipgram_pairs,
    skipgram_softmax_loss,
    skipgram_softmax_loss_backward,
)

__all__: list[str] = [
    "beam_search",
    "modified_precision",
    "brevity_penalty",
    "corpus_bleu",
    "learn_bpe",
    "bpe_encode",
    "edit_distance",
    "word_error_rate",
    "cooccurrence_matrix",
    "glove_weight",
    "glove_loss",
    "glove_loss_backward",
    "greedy_decode",
    "mask_tokens",
    "mlm_loss",
    "mlm_loss_backward",
    "ngram_counts",
    "ngram_prob",
    "sequence_log_prob",
    "noise_distribution",
    "sample_negatives",
    "negative_sampling_loss",
    "negative_sampling_loss_backward",
    "seq2seq_forward",
    "sequence_mask",
    "masked_cross_entropy",
    "masked_cross_entropy_backward",
    "teacher_forcing_inputs",
    "scheduled_sampling_inputs",
    "tokenize",
    "build_vocab",
    "encode",
    "decode",
    "top_k_filter",
    "top_p_filter",
    "sample_next_token",
    "skipgram_pairs",
    "skipgram_softmax_loss",
    "skipgram_softmax_loss_backward",
    "cbow_loss",
    "cbow_loss_backward",
]
