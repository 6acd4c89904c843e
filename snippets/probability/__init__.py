"""Probability: the quantities deep learning borrows from statistics and information theory."""

__all__: list[str] = []
