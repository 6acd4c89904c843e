"""Sequences and language: tokens, word vectors, decoding and the scores that judge generated text."""

__all__: list[str] = []
