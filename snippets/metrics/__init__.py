"""Metrics: numbers that say how good a model is."""

from snippets.metrics.f1_score import f1_score, fbeta_score
from snippets.metrics.precision import confusion_matrix, precision
from snippets.metrics.recall import recall

__all__ = ["precision", "confusion_matrix", "recall", "f1_score", "fbeta_score"]
