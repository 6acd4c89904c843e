"""Metrics: numbers that say how good a model is."""

from snippets.metrics.f1_score import f1_score, fbeta_score
from snippets.metrics.confusion_matrix import confusion_matrix
from snippets.metrics.precision import precision
from snippets.metrics.recall import recall

__all__ = ["precision", "confusion_matrix", "recall", "f1_score", "fbeta_score"]

from snippets.metrics.accuracy import accuracy, top_k_accuracy  # noqa: E402

__all__ += ["accuracy", "top_k_accuracy"]

from snippets.metrics.perplexity import perplexity  # noqa: E402

__all__ += ["perplexity"]

from snippets.metrics.roc_auc import roc_auc_score, roc_curve  # noqa: E402

__all__ += ["roc_curve", "roc_auc_score"]

from snippets.metrics.average_precision import average_precision, precision_recall_curve  # noqa: E402

__all__ += ["precision_recall_curve", "average_precision"]

from snippets.metrics.expected_calibration_error import (  # noqa: E402
    expected_calibration_error,
    fit_temperature,
    reliability_bins,
)

__all__ += ["reliability_bins", "expected_calibration_error", "fit_temperature"]
