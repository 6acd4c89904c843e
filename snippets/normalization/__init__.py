"""Normalization: rescaling activations so training behaves."""

__all__: list[str] = []
