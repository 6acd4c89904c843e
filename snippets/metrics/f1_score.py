"""The F1 score (harmonic mean of precision and recall) and its weighted form, the F-beta score."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from snippets.metrics.precision import _averaged_counts, _divide_and_average

__all__ = ["f1_score", "fbeta_score"]


def _check_beta(beta: object) -> float:
    """``beta`` as a Python float: a finite positive real number."""
    real = (int, float, np.integer, np.floating)
    if isinstance(beta, (bool, np.bool_)) or not isinstance(beta, real):
        raise TypeError(f"beta must be a real number, got {type(beta).__name__}")
    beta = float(beta)
    if not (math.isfinite(beta) and beta > 0):
        raise ValueError(f"beta must be finite and > 0, got {beta}")
    return beta


# --8<-- [start:error_weights]
def _error_weights(beta: float) -> tuple[float, float]:
    """The weights ``(b^2, 1) / (1 + b^2)`` of FN and FP, each to full relative precision.

    Written in terms of ``b^2`` for ``b <= 1`` and of ``1 / b^2`` for ``b > 1``, so nothing
    overflows; an underflow to 0 gives the right limit (precision as b -> 0, recall as b -> inf).
    """
    if beta <= 1:
        b2 = beta * beta
        return b2 / (1 + b2), 1 / (1 + b2)
    inv_b2 = (1 / beta) ** 2
    return 1 / (1 + inv_b2), inv_b2 / (1 + inv_b2)
# --8<-- [end:error_weights]


# --8<-- [start:fbeta_score]
def fbeta_score(
    y_true: ArrayLike, y_pred: ArrayLike, beta: float, average: str = "binary", pos_label: int = 1
) -> np.float64:
    """F-beta score: a weighted harmonic mean of precision and recall (beta > 1 favours recall).

    The value of ``sklearn.metrics.fbeta_score(y_true, y_pred, beta=beta, average=average,
    pos_label=pos_label, zero_division=0.0)`` (bit for bit at beta = 1, within a few units in
    the last place otherwise, and never above 1); never warns.

    Parameters
    ----------
    y_true : array_like of int (or whole-valued float), shape (N,)
        True class labels.
    y_pred : array_like of int (or whole-valued float), shape (N,)
        Predicted class labels.
    beta : float
        Finite and > 0. ``beta = 1`` is F1; ``beta > 1`` favours recall, ``beta < 1`` precision.
    average : {"binary", "micro", "macro", "weighted"}, default "binary"
        As in :func:`precision`. ``macro`` and ``weighted`` average the per-label F-beta scores
        (not the F-beta of averaged precision and recall).
    pos_label : int, default 1
        The positive class for ``average="binary"``; ignored otherwise.

    Returns
    -------
    numpy.float64
        ``(1 + beta^2) TP / ((1 + beta^2) TP + beta^2 FN + FP)``, evaluated as
        ``TP / (TP + (beta^2 FN + FP) / (1 + beta^2))``, in [0, 1]; 0.0 for a label that is
        neither present nor predicted.

    Examples
    --------
    >>> # TP = 1, FN = 3, FP = 0; beta = 2: 5 * 1 / (5 * 1 + 4 * 3 + 0) = 5 / 17
    >>> round(float(fbeta_score([1, 1, 1, 1, 0], [1, 0, 0, 0, 0], beta=2)), 6)
    0.294118
    >>> round(float(fbeta_score([1.0, 1.0, 1.0, 1.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0], beta=2.0)), 6)
    0.294118
    """
    w_fn, w_fp = _error_weights(_check_beta(beta))
    tp, predicted, actual, weights = _averaged_counts(y_true, y_pred, average, pos_label)
    # F = TP / (TP + weighted mean of the errors): FN weighs b^2 / (1 + b^2), FP 1 / (1 + b^2).
    # The denominator is at least TP, so F <= 1 exactly, and F = 1 when there are no errors.
    return _divide_and_average(tp, tp + w_fn * (actual - tp) + w_fp * (predicted - tp), weights)
# --8<-- [end:fbeta_score]


# --8<-- [start:f1_score]
def f1_score(
    y_true: ArrayLike, y_pred: ArrayLike, average: str = "binary", pos_label: int = 1
) -> np.float64:
    """F1 score: the harmonic mean ``2 P R / (P + R)`` of precision and recall.

    The same value as ``sklearn.metrics.f1_score(y_true, y_pred, average=average,
    pos_label=pos_label, zero_division=0.0)``; never warns.

    Parameters
    ----------
    y_true : array_like of int (or whole-valued float), shape (N,)
        True class labels.
    y_pred : array_like of int (or whole-valued float), shape (N,)
        Predicted class labels.
    average : {"binary", "micro", "macro", "weighted"}, default "binary"
        As in :func:`precision`; ``macro`` and ``weighted`` average the per-label F1 scores.
    pos_label : int, default 1
        The positive class for ``average="binary"``; ignored otherwise.

    Returns
    -------
    numpy.float64
        ``2 TP / (2 TP + FP + FN)`` in [0, 1]; true negatives play no part.

    Examples
    --------
    >>> # TP = 1, FN = 3, FP = 0: 2 / (2 + 0 + 3); P = 1, R = 1/4, 2PR/(P+R) = 0.5/1.25
    >>> float(f1_score([1, 1, 1, 1, 0], [1, 0, 0, 0, 0]))
    0.4
    >>> float(f1_score([1.0, 1.0, 1.0, 1.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0]))  # float labels: the same
    0.4
    """
    # F1 is F-beta with beta = 1: precision and recall weigh the same
    return fbeta_score(y_true, y_pred, 1.0, average=average, pos_label=pos_label)
# --8<-- [end:f1_score]
