"""Regularization: what keeps a model from memorising its training set."""

__all__: list[str] = []
