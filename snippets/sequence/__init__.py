"""Sequences and language: tokens, word vectors, decoding and the scores that judge generated text."""

from snippets.sequence.beam_search import beam_search
from snippets.sequence.bleu import brevity_penalty, corpus_bleu, modified_precision
from snippets.sequence.edit_distance import edit_distance, word_error_rate
from snippets.sequence.greedy_decoding import greedy_decode
from snippets.sequence.top_k_and_top_p_sampling import sample_next_token, top_k_filter, top_p_filter

__all__: list[str] = [
    "beam_search",
    "modified_precision",
    "brevity_penalty",
    "corpus_bleu",
    "edit_distance",
    "word_error_rate",
    "greedy_decode",
    "top_k_filter",
    "top_p_filter",
    "sample_next_token",
]
