"""The ROC curve of a binary scorer and the area under it (ROC AUC), from one sort of the scores.

Both functions sort the scores once, in decreasing order, and count the positives and negatives
ranked at or above every distinct score; the curve and the area are read off those counts.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_labels, check_same_shape

__all__ = ["roc_curve", "roc_auc_score"]


# --8<-- [start:check_binary_scores]
def _check_binary_scores(
    y_true: ArrayLike, scores: ArrayLike, *, need_negative: bool = True, metric: str = "ROC"
) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``(y_true, scores)``; return the mask of positive samples and the array to rank by.

    Labels must be {0, 1}, {-1, 1} or booleans (1 / True is positive; 0.0 and 1.0 count as 0
    and 1), both classes present (with ``need_negative=False``, at least one positive: the
    precision-recall curve of ``metric`` needs no negative);
    scores real, finite and of the same 1-D shape. Integer scores are ranked as integers, so
    that values too close to tell apart in float64 still rank apart (as in scikit-learn).
    """
    labels = np.asarray(y_true)
    if labels.dtype.kind not in "biuf":
        kind = "complex" if labels.dtype.kind == "c" else "non-numeric"
        raise TypeError(f"y_true must hold binary labels (0/1, -1/1 or booleans), got {kind} dtype {labels.dtype}")
    if labels.dtype.kind == "f":
        # whole-valued floats (0.0, 1.0) are labels too, as for every metric; 0.5 or NaN is not
        labels = as_labels(labels, "y_true")
    raw = np.asarray(scores)
    values = as_float_array(raw, "scores")
    check_same_shape(labels, values, "y_true", "scores")
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError(
            f"y_true and scores must be non-empty 1-D arrays, got shapes {labels.shape} and {values.shape}"
        )
    finite = np.isfinite(values)
    if not finite.all():
        raise ValueError(
            f"scores must be finite, found {values[~finite][0]} at index {np.flatnonzero(~finite)[0]}: "
            "NaN and infinity cannot be ranked"
        )
    classes = np.unique(labels)
    if not (np.isin(classes, (0, 1)).all() or np.isin(classes, (-1, 1)).all()):
        raise ValueError(
            f"y_true must hold binary labels in {{0, 1}} or {{-1, 1}} (or booleans), with 1 the "
            f"positive class; found labels {classes}. Pass y_true == <your positive label>"
        )
    if classes.size < 2 and need_negative:
        raise ValueError(
            f"y_true contains only the label {classes[0]}: {metric} needs both classes "
            "(at least one positive and one negative sample)"
        )
    if classes[-1] != 1:
        raise ValueError(
            f"y_true contains only the label {classes[0]}: {metric} needs at least one positive "
            "sample (label 1), or recall is 0/0"
        )
    return labels == 1, (raw if raw.dtype.kind in "iu" else values)
# --8<-- [end:check_binary_scores]


# --8<-- [start:ranked_counts]
def _ranked_counts(positive: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort by decreasing score; for every distinct score t, the number of positives (TP) and of
    negatives (FP) scoring >= t, and t itself (in the dtype of ``key``)."""
    order = np.argsort(key, kind="stable")[::-1]  # decreasing scores; O(N log N)
    s, pos = key[order], positive[order]
    # the last sample of each run of equal scores: a threshold there admits the whole run
    last = np.flatnonzero(np.append(s[1:] != s[:-1], True))
    tps = np.cumsum(pos, dtype=np.int64)[last]  # positives ranked at or above the threshold
    fps = last + 1 - tps  # the rest of those ranked at or above it are negatives
    return tps, fps, s[last]
# --8<-- [end:ranked_counts]


# --8<-- [start:roc_curve]
def roc_curve(y_true: ArrayLike, scores: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ROC curve: false and true positive rates of the rule ``score >= t`` for every ``t``.

    The same arrays as ``sklearn.metrics.roc_curve(y_true, scores)`` with its defaults
    (``drop_intermediate=True``: points on a straight segment between two others are dropped;
    the first threshold is ``inf``, where nothing is predicted positive).

    Parameters
    ----------
    y_true : array_like, shape (N,)
        Binary labels: {0, 1}, {-1, 1} or booleans, with 1 (True) the positive class. Other
        label sets raise ``ValueError``; compare with your positive label first
        (``y_true == "spam"``). Both classes must occur: with one class, one of the two rates
        is 0/0. scikit-learn then warns and returns NaN; here that is a ``ValueError`` naming
        ``y_true``, since a NaN curve is never what the caller wants.
    scores : array_like, shape (N,)
        Real, finite scores; a higher score means "more likely positive" (probabilities,
        logits, margins). Only their order matters.

    Returns
    -------
    fpr : numpy.ndarray of float64, shape (K,)
        ``FP / (FP + TN)`` at each threshold, non-decreasing from 0 to 1.
    tpr : numpy.ndarray of float64, shape (K,)
        ``TP / (TP + FN)`` at each threshold, non-decreasing from 0 to 1.
    thresholds : numpy.ndarray of float64, shape (K,)
        Decreasing: ``inf``, then distinct score values (float64 whatever the score dtype).
        The rates are ratios of counts, so they are float64 for every input dtype.

    Examples
    --------
    >>> # decreasing scores 0.8 (+), 0.4 (-), 0.35 (+), 0.1 (-): lowering the threshold past
    >>> # each one adds a TP or an FP; 2 positives and 2 negatives give steps of 1/2
    >>> fpr, tpr, thresholds = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> fpr.tolist(), tpr.tolist()
    ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0])
    >>> thresholds.tolist()
    [inf, 0.8, 0.4, 0.35, 0.1]
    """
    positive, key = _check_binary_scores(y_true, scores)
    tps, fps, thresholds = _ranked_counts(positive, key)
    if tps.size > 2:
        # keep the two ends and every corner: a point whose second difference is zero in both
        # counts lies on the segment joining its neighbours and adds nothing to the curve
        corner = (np.diff(fps, 2) != 0) | (np.diff(tps, 2) != 0)
        keep = np.concatenate([[True], corner, [True]])
        tps, fps, thresholds = tps[keep], fps[keep], thresholds[keep]
    # start at (0, 0): a threshold above every score predicts nothing positive
    tps = np.concatenate([[0], tps]).astype(np.float64)
    fps = np.concatenate([[0], fps]).astype(np.float64)
    thresholds = np.concatenate([[np.inf], thresholds.astype(np.float64)])
    # rates: divide by the totals, the counts at the lowest threshold
    return fps / fps[-1], tps / tps[-1], thresholds
# --8<-- [end:roc_curve]


# --8<-- [start:roc_auc_score]
def roc_auc_score(y_true: ArrayLike, scores: ArrayLike) -> np.float64:
    """Area under the ROC curve: the probability that a random positive outscores a random
    negative, ties counting one half.

    The same value as ``sklearn.metrics.roc_auc_score(y_true, scores)`` for binary labels;
    equal to the Mann-Whitney statistic ``U / (n_pos * n_neg)``. Computed from exact integer
    counts and one division, so it is the correctly rounded pairwise count for N up to 1e8
    (scikit-learn integrates the rates with the trapezoid rule, a few ulps away).

    Parameters
    ----------
    y_true : array_like, shape (N,)
        Binary labels {0, 1}, {-1, 1} or booleans, 1 (True) positive; both classes must occur
        (``ValueError`` otherwise, where scikit-learn warns and returns NaN).
    scores : array_like, shape (N,)
        Real, finite scores, higher meaning "more likely positive". Only their order matters.

    Returns
    -------
    numpy.float64
        In [0, 1]: 1 when every positive outscores every negative, 0.5 for uninformative
        scores, below 0.5 when the scores are reversed.

    Examples
    --------
    >>> # positives score 0.5 and 0.9, negatives 0.2 and 0.5: of the 4 (positive, negative)
    >>> # pairs, 3 are won and (0.5, 0.5) is tied -> (3 + 1/2) / 4
    >>> float(roc_auc_score([0, 1, 0, 1], [0.2, 0.5, 0.5, 0.9]))
    0.875
    """
    positive, key = _check_binary_scores(y_true, scores)
    tps, fps, _ = _ranked_counts(positive, key)
    # trapezoids in counts: the dn negatives of one score level lie below tps_before positives
    # (each pair won) and tie with the level's own new positives (each pair half won), so
    # dn * tps_before + dn * dp / 2 = dn * (tps_before + tps) / 2; sum twice that, exactly
    dn = np.diff(fps, prepend=0)
    tps_before = np.concatenate([[0], tps[:-1]])
    twice_u = np.sum(dn * (tps_before + tps))
    # one division of two exact integers: U / (n_pos * n_neg)
    return np.float64(twice_u) / np.float64(2 * tps[-1] * fps[-1])
# --8<-- [end:roc_auc_score]
