"""Training: the vocabulary of the training loop and of judging a model."""

__all__: list[str] = []
