"""The confusion matrix: every (true label, predicted label) pair counted.

The label checks and the numbering of labels are shared with precision, recall and F1; they live
in :mod:`snippets.metrics.precision` (one place), and this module imports them.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets.metrics.precision import _check_labels, _label_indices

__all__ = ["confusion_matrix"]


# --8<-- [start:confusion_matrix]
def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike) -> np.ndarray:
    """Count every (true label, predicted label) pair.

    The same matrix as ``sklearn.metrics.confusion_matrix(y_true, y_pred)``.

    Parameters
    ----------
    y_true : array_like of int (or whole-valued float), shape (N,)
        True class labels (booleans count as 0 and 1).
    y_pred : array_like of int (or whole-valued float), shape (N,)
        Predicted class labels.

    Returns
    -------
    ndarray of int64, shape (K, K)
        ``C[i, j]`` = number of samples whose true label is the i-th and predicted label the
        j-th of the K labels present in ``y_true`` or ``y_pred``, in sorted order. Rows sum to
        each label's support, columns to how often it was predicted, the whole matrix to N.

    Examples
    --------
    >>> # true 0 predicted 0 once, true 0 predicted 1 once, true 1 predicted 1 twice
    >>> confusion_matrix([0, 0, 1, 1], [0, 1, 1, 1])
    array([[1, 1],
           [0, 2]])
    >>> confusion_matrix([0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 1.0, 1.0])  # whole-valued floats: the same
    array([[1, 1],
           [0, 2]])
    """
    y_true, y_pred = _check_labels(y_true, y_pred)
    labels, t, p = _label_indices(y_true, y_pred)
    k = labels.size
    # each pair (i, j) gets its own bin i * K + j; count them all in one pass
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k).astype(np.int64, copy=False)
# --8<-- [end:confusion_matrix]
