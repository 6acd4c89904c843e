"""Accuracy (the fraction of correct predictions) and top-k accuracy (the true class among the k best)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_class_indices, as_float_array, as_labels
from snippets.metrics.precision import _check_labels

__all__ = ["accuracy", "top_k_accuracy"]


# --8<-- [start:accuracy]
def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> np.float64:
    """Fraction of samples whose predicted label equals the true label.

    The same value as ``sklearn.metrics.accuracy_score(y_true, y_pred)``.

    Parameters
    ----------
    y_true : array_like of int (or whole-valued float), shape (N,)
        True class labels (booleans count as 0 and 1; 2.0 counts as 2, while 2.5 or NaN raise
        ``ValueError``, as in scikit-learn).
    y_pred : array_like of int (or whole-valued float), shape (N,)
        Predicted class labels.

    Returns
    -------
    numpy.float64
        ``#{n : y_true[n] == y_pred[n]} / N`` in [0, 1].

    Examples
    --------
    >>> float(accuracy([0, 1, 2, 2], [0, 2, 2, 2]))  # 3 of 4 right
    0.75
    >>> # float labels with whole values (what a model's predict often returns) count as integers
    >>> float(accuracy([0.0, 1.0, 2.0, 2.0], [0.0, 2.0, 2.0, 2.0]))
    0.75
    """
    y_true, y_pred = _check_labels(y_true, y_pred)
    # the mean of the indicator of a hit: correct / N, one division
    return np.mean(y_true == y_pred)
# --8<-- [end:accuracy]


# --8<-- [start:top_k_accuracy]
def top_k_accuracy(y_true: ArrayLike, scores: ArrayLike, k: int) -> np.float64:
    """Fraction of samples whose true class is among the ``k`` highest-scoring classes.

    The same value as ``sklearn.metrics.top_k_accuracy_score(y_true, scores, k=k,
    labels=range(C))`` for C >= 3 classes, ties included: among equal scores the class with the
    larger index ranks higher (scikit-learn's stable ascending sort, reversed). scikit-learn
    also accepts 1-D scores for binary problems, where it thresholds them; here scores are
    always (N, C), and C = 2 is ranked like any other C.

    Parameters
    ----------
    y_true : array_like of int (or whole-valued float), shape (N,)
        True class indices in ``[0, C)``.
    scores : array_like, shape (N, C)
        Any scores that order the classes (logits, probabilities); NaN is rejected.
    k : int
        At least 1. ``k >= C`` always gives 1.0.

    Returns
    -------
    numpy.float64
        The fraction of rows in which fewer than ``k`` classes rank above the true class.

    Examples
    --------
    >>> # row 0: true class 2 has the 2nd highest score -> hit for k = 2; row 1: true class 0
    >>> # is 3rd -> miss; 1 of 2
    >>> float(top_k_accuracy([2, 0], [[0.5, 0.1, 0.4], [0.1, 0.5, 0.4]], k=2))
    0.5
    """
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"k must be an integer, got {type(k).__name__}")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    scores = as_float_array(scores, "scores")
    if scores.ndim != 2 or scores.shape[0] == 0 or scores.shape[1] == 0:
        raise ValueError(
            f"scores must be a non-empty 2-D array (N, C) of class scores, got shape {scores.shape}"
        )
    if np.isnan(scores).any():
        raise ValueError("scores must not contain NaN: the ranking of the classes is undefined")
    n, c = scores.shape
    y = as_labels(y_true, "y_true")
    if y.shape != (n,):
        raise ValueError(f"y_true must have shape ({n},) to match scores {scores.shape}, got shape {y.shape}")
    y = as_class_indices(y, c, "y_true")
    true_score = scores[np.arange(n), y][:, None]
    # classes ranked above the true one: a higher score, or an equal score and a larger index
    above = (scores > true_score) | ((scores == true_score) & (np.arange(c) > y[:, None]))
    # a hit when fewer than k classes outrank the true class
    return np.mean(np.sum(above, axis=1) < k)
# --8<-- [end:top_k_accuracy]
