"""Recall (sensitivity, true positive rate): of the samples of a class, the fraction found."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets.metrics.precision import _averaged_counts, _divide_and_average

__all__ = ["recall"]


# --8<-- [start:recall]
def recall(
    y_true: ArrayLike, y_pred: ArrayLike, average: str = "binary", pos_label: int = 1
) -> np.float64:
    """Recall: of the samples that truly belong to a class, the fraction predicted as that class.

    The same value as ``sklearn.metrics.recall_score(y_true, y_pred, average=average,
    pos_label=pos_label, zero_division=0.0)``; never warns.

    Parameters
    ----------
    y_true : array_like of int (or whole-valued float), shape (N,)
        True class labels.
    y_pred : array_like of int (or whole-valued float), shape (N,)
        Predicted class labels.
    average : {"binary", "micro", "macro", "weighted"}, default "binary"
        ``binary``: the recall of ``pos_label`` alone (at most two labels may occur).
        ``micro``: TP and FN summed over all labels first. ``macro``: the unweighted mean of
        the per-label recalls. ``weighted``: their mean weighted by each label's support.
        The labels are those present in ``y_true`` or ``y_pred``.
    pos_label : int, default 1
        The positive class for ``average="binary"``; ignored otherwise.

    Returns
    -------
    numpy.float64
        ``TP / (TP + FN)`` in [0, 1]; 0.0 for a label that never occurs in ``y_true``.

    Examples
    --------
    >>> # three true 1s (samples 1, 2, 4), two of them predicted 1: 2 / 3
    >>> round(float(recall([0, 1, 1, 0, 1], [0, 1, 1, 1, 0])), 6)
    0.666667
    >>> round(float(recall([0.0, 1.0, 1.0, 0.0, 1.0], [0.0, 1.0, 1.0, 1.0, 0.0])), 6)  # float labels
    0.666667
    """
    tp, _, actual, weights = _averaged_counts(y_true, y_pred, average, pos_label)
    # recall = TP / (TP + FN) per entry, then averaged
    return _divide_and_average(tp, actual, weights)
# --8<-- [end:recall]
