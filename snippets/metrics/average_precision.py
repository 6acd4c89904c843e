"""The precision-recall curve of a binary scorer and its average precision (AP), from one sort.

Both functions rank the samples by decreasing score once (the same counts as the ROC curve) and
read precision and recall off the number of positives and negatives at or above every distinct
score.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets.metrics.roc_auc import _check_binary_scores, _ranked_counts

__all__ = ["precision_recall_curve", "average_precision"]


# --8<-- [start:precision_recall_curve]
def precision_recall_curve(y_true: ArrayLike, scores: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision and recall of the rule ``score >= t`` at every distinct score ``t``.

    The same arrays as ``sklearn.metrics.precision_recall_curve(y_true, scores)`` with its
    defaults: ordered by *increasing* threshold (so recall falls from 1), every distinct score
    kept, and a final point (precision 1, recall 0) with no threshold.

    Parameters
    ----------
    y_true : array_like, shape (N,)
        Binary labels {0, 1}, {-1, 1} or booleans, 1 (True) the positive class. At least one
        positive must occur (recall is 0/0 without one: scikit-learn warns and sets recall to 1;
        here that is a ``ValueError`` naming ``y_true``); negatives may be absent.
    scores : array_like, shape (N,)
        Real, finite scores, higher meaning "more likely positive". Only their order matters.

    Returns
    -------
    precision : numpy.ndarray of float64, shape (K + 1,)
        ``TP / (TP + FP)`` at each threshold, then 1.
    recall : numpy.ndarray of float64, shape (K + 1,)
        ``TP / (TP + FN)`` at each threshold (non-increasing, from 1), then 0.
    thresholds : numpy.ndarray, shape (K,)
        The K distinct scores in increasing order, in the scores' dtype (as scikit-learn).

    Examples
    --------
    >>> # by decreasing score: 0.8 (+), 0.4 (-), 0.35 (+), 0.1 (-). At t = 0.8 one sample is
    >>> # flagged, a positive: P = 1/1, R = 1/2; at 0.4: P = 1/2, R = 1/2; at 0.35: P = 2/3, R = 1;
    >>> # at 0.1: P = 2/4, R = 1. Listed by increasing threshold, then the point (1, 0)
    >>> precision, recall, thresholds = precision_recall_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> precision.round(4).tolist(), recall.tolist()
    ([0.5, 0.6667, 0.5, 1.0, 1.0], [1.0, 1.0, 0.5, 0.5, 0.0])
    >>> thresholds.tolist()
    [0.1, 0.35, 0.4, 0.8]
    """
    positive, key = _check_binary_scores(y_true, scores, need_negative=False, metric="precision-recall")
    # TP and FP at every distinct score, by decreasing score
    tps, fps, thresholds = _ranked_counts(positive, key)
    # precision: TP over everything flagged (TP + FP >= 1); recall: TP over all positives
    precision = tps / (tps + fps)
    recall = tps / tps[-1]
    # increasing thresholds, then the end point (1, 0) where nothing is flagged
    return np.append(precision[::-1], 1.0), np.append(recall[::-1], 0.0), thresholds[::-1]
# --8<-- [end:precision_recall_curve]


# --8<-- [start:average_precision]
def average_precision(y_true: ArrayLike, scores: ArrayLike) -> np.float64:
    """Average precision: the precision at each threshold weighted by the recall it adds.

    ``AP = sum_k (R_k - R_{k-1}) P_k`` over thresholds by decreasing score, with R_0 = 0: the
    mean, over the positives, of the precision at the threshold that admits each one (tied
    samples share one threshold). The same value as
    ``sklearn.metrics.average_precision_score(y_true, scores)`` (no interpolation); computed as
    ``sum_k dTP_k * P_k / n_pos`` from exact integer counts.

    Parameters
    ----------
    y_true : array_like, shape (N,)
        Binary labels {0, 1}, {-1, 1} or booleans, 1 (True) positive; at least one positive
        (``ValueError`` otherwise, where scikit-learn warns and returns 0).
    scores : array_like, shape (N,)
        Real, finite scores, higher meaning "more likely positive". Only their order matters.

    Returns
    -------
    numpy.float64
        In (0, 1]: 1 when every positive outscores every negative; about the fraction of
        positives for scores that ignore the labels.

    Examples
    --------
    >>> # decreasing scores 0.8 (+), 0.4 (-), 0.35 (+), 0.1 (-): the first positive is admitted
    >>> # at precision 1/1, the second at precision 2/3; each adds recall 1/2:
    >>> # AP = (1 + 2/3) / 2 = 5/6
    >>> round(float(average_precision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])), 6)
    0.833333
    """
    positive, key = _check_binary_scores(y_true, scores, need_negative=False, metric="average precision")
    tps, fps, _ = _ranked_counts(positive, key)
    # the recall each threshold adds is dTP / n_pos; weight the precision there by it
    d_tp = np.diff(tps, prepend=0)
    return np.float64(np.sum(d_tp * (tps / (tps + fps))) / tps[-1])
# --8<-- [end:average_precision]
