"""Metrics: numbers that say how good a model is."""

__all__: list[str] = []
