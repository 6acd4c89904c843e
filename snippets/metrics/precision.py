"""Precision, plus the label checks and per-class counting that the other metrics share.

Labels are integers (booleans count as 0/1, and whole-valued floats such as 1.0 are accepted as
scikit-learn accepts them, through ``as_labels``). The counting is done once, here: for every label in
the sorted union of ``y_true`` and ``y_pred`` it finds the true positives, the predicted positives
(TP + FP) and the actual positives (TP + FN); :mod:`snippets.metrics.recall`,
:mod:`snippets.metrics.f1_score` and :mod:`snippets.metrics.confusion_matrix` import these
private helpers.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_labels, check_same_shape

__all__ = ["precision"]

_AVERAGES = ("binary", "micro", "macro", "weighted")


def _check_labels(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Validate a pair of label arrays: integer labels (or whole-valued floats), 1-D, the same
    non-zero length."""
    y_true, y_pred = as_labels(y_true, "y_true"), as_labels(y_pred, "y_pred")
    check_same_shape(y_true, y_pred, "y_true", "y_pred")
    if y_true.ndim != 1 or y_true.size == 0:
        raise ValueError(
            "y_true and y_pred must be non-empty 1-D arrays of labels, "
            f"got shapes {y_true.shape} and {y_pred.shape}"
        )
    return y_true, y_pred


# --8<-- [start:label_indices]
def _label_indices(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, ...]:
    """The sorted union of the labels, and each sample's true and predicted label as an index
    into it."""
    labels, index = np.unique(np.concatenate([y_true, y_pred]), return_inverse=True)
    return labels, index[: y_true.size], index[y_true.size :]
# --8<-- [end:label_indices]


# --8<-- [start:class_counts]
def _class_counts(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per label (sorted union of both arrays): TP, predicted positives (TP + FP) and actual
    positives (TP + FN)."""
    labels, t, p = _label_indices(y_true, y_pred)
    k = labels.size
    tp = np.bincount(t[t == p], minlength=k)  # a hit counts for the label it hit
    predicted = np.bincount(p, minlength=k)  # column sums of the confusion matrix
    actual = np.bincount(t, minlength=k)  # row sums: the support of each label
    return labels, tp, predicted, actual
# --8<-- [end:class_counts]


# --8<-- [start:averaged_counts]
def _averaged_counts(
    y_true: ArrayLike, y_pred: ArrayLike, average: str, pos_label: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Counts (TP, TP + FP, TP + FN) as float arrays, one entry per score to average, and weights.

    ``binary``: the entry of ``pos_label``; ``micro``: the counts summed over labels (one entry);
    ``macro``: one entry per label, equal weights (None); ``weighted``: one entry per label,
    weighted by its number of true samples. Raises as scikit-learn does for ``binary``.
    """
    y_true, y_pred = _check_labels(y_true, y_pred)
    if average not in _AVERAGES:
        raise ValueError(f"average must be one of {_AVERAGES}, got {average!r}")
    if isinstance(pos_label, (bool, np.bool_)) or not isinstance(pos_label, (int, np.integer)):
        raise TypeError(f"pos_label must be an integer label, got {type(pos_label).__name__}")
    labels, *counts = _class_counts(y_true, y_pred)
    tp, predicted, actual = (c.astype(np.float64) for c in counts)
    if average == "binary":
        if labels.size > 2:
            raise ValueError(
                f"average='binary' needs at most 2 distinct labels in y_true and y_pred, found "
                f"{labels.size}: {labels}; use 'micro', 'macro' or 'weighted'"
            )
        hit = labels == pos_label
        if not hit.any():
            if labels.size == 2:
                raise ValueError(f"pos_label={pos_label} is not one of the labels {labels}")
            # a single label, not pos_label: there are no positives at all
            return np.zeros(1), np.zeros(1), np.zeros(1), None
        return tp[hit], predicted[hit], actual[hit], None
    if average == "micro":
        # pool the decisions of every label: sum the counts, then divide once
        return tp.sum(keepdims=True), predicted.sum(keepdims=True), actual.sum(keepdims=True), None
    return tp, predicted, actual, (actual if average == "weighted" else None)
# --8<-- [end:averaged_counts]


# --8<-- [start:divide_and_average]
def _divide_and_average(
    numerator: np.ndarray, denominator: np.ndarray, weights: np.ndarray | None
) -> np.float64:
    """Per-entry ratios (0.0 where the denominator is 0), then their plain or weighted mean."""
    ratio = np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)
    if weights is None:
        return np.mean(ratio)
    return np.sum(ratio * weights) / np.sum(weights)
# --8<-- [end:divide_and_average]


# --8<-- [start:precision]
def precision(
    y_true: ArrayLike, y_pred: ArrayLike, average: str = "binary", pos_label: int = 1
) -> np.float64:
    """Precision: of the samples predicted as a class, the fraction that truly belong to it.

    The same value as ``sklearn.metrics.precision_score(y_true, y_pred, average=average,
    pos_label=pos_label, zero_division=0.0)``; never warns.

    Parameters
    ----------
    y_true : array_like of int (or whole-valued float), shape (N,)
        True class labels.
    y_pred : array_like of int (or whole-valued float), shape (N,)
        Predicted class labels.
    average : {"binary", "micro", "macro", "weighted"}, default "binary"
        ``binary``: the precision of ``pos_label`` alone (at most two labels may occur).
        ``micro``: TP and FP summed over all labels first. ``macro``: the unweighted mean of
        the per-label precisions. ``weighted``: their mean weighted by each label's support.
        The labels are those present in ``y_true`` or ``y_pred``.
    pos_label : int, default 1
        The positive class for ``average="binary"``; ignored otherwise.

    Returns
    -------
    numpy.float64
        ``TP / (TP + FP)`` in [0, 1]; 0.0 for a label that is never predicted.

    Examples
    --------
    >>> # predicted 1 three times (samples 2, 3, 4), right twice: 2 / 3
    >>> round(float(precision([0, 1, 1, 0, 1], [0, 1, 1, 1, 0])), 6)
    0.666667
    >>> round(float(precision([0.0, 1.0, 1.0, 0.0, 1.0], [0.0, 1.0, 1.0, 1.0, 0.0])), 6)  # float labels
    0.666667
    """
    tp, predicted, _, weights = _averaged_counts(y_true, y_pred, average, pos_label)
    # precision = TP / (TP + FP) per entry, then averaged
    return _divide_and_average(tp, predicted, weights)
# --8<-- [end:precision]
