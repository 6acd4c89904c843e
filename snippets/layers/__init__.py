"""Layers: the building blocks networks are stacked from."""

__all__: list[str] = []
