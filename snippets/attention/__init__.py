"""Attention: letting each position of a sequence look at the others."""

__all__: list[str] = []
