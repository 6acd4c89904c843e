"""Initialization: how weights are drawn before training starts."""

__all__: list[str] = []
