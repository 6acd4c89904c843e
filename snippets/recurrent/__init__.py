"""Recurrent networks: cells that carry a state through a sequence."""

__all__: list[str] = []
