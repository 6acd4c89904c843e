"""Detection mean average precision (mAP): match detections to ground-truth boxes by IoU, then
average the interpolated precision over recall, classes and IoU thresholds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_real_scalar
from snippets.vision.intersection_over_union import _check_boxes, box_iou

__all__ = ["match_detections", "detection_average_precision", "mean_average_precision"]

_INTERPOLATIONS = ("all-point", "101-point", "none")


def _finite_boxes(boxes: ArrayLike, name: str) -> np.ndarray:
    """Finite (K, 4) boxes (x1, y1, x2, y2) with x1 <= x2 and y1 <= y2; an empty list is (0, 4)."""
    b = as_float_array(boxes, name)
    if b.size == 0:
        b = b.reshape(0, 4)
    if not np.all(np.isfinite(b)):
        raise ValueError(f"{name} must hold finite coordinates, found {b[~np.isfinite(b)][0]}")
    return _check_boxes(b, name)  # shape (K, 4), no inverted box


def _check_scores(scores: ArrayLike, n: int | None, name: str = "scores") -> np.ndarray:
    """Finite 1-d scores, n of them (one per box) unless n is None."""
    s = as_float_array(scores, name)
    if s.ndim != 1 or (n is not None and s.shape[0] != n):
        raise ValueError(f"{name} must have shape ({'D' if n is None else n},), one per detection, got shape {s.shape}")
    if not np.all(np.isfinite(s)):
        raise ValueError(f"{name} must be finite to be ranked, found {s[~np.isfinite(s)][0]}")
    return s


def _check_match(
    pred_boxes: ArrayLike, scores: ArrayLike, gt_boxes: ArrayLike, iou_threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, np.ndarray]:
    """Checked boxes, scores and threshold, and the (P, G) IoU matrix (NaN is refused)."""
    pred = _finite_boxes(pred_boxes, "pred_boxes")
    s = _check_scores(scores, pred.shape[0])
    gt = _finite_boxes(gt_boxes, "gt_boxes")
    t = as_real_scalar(iou_threshold, "iou_threshold", low=0.0, high=1.0)
    iou = box_iou(pred, gt).astype(np.float64) if gt.shape[0] and pred.shape[0] else np.zeros((pred.shape[0], gt.shape[0]))
    if np.isnan(iou).any():
        raise ValueError("IoU is undefined (NaN) for some pair of pred_boxes and gt_boxes: degenerate boxes of zero area")
    return pred, s, gt, t, iou


# --8<-- [start:match_detections]
def match_detections(
    pred_boxes: ArrayLike, scores: ArrayLike, gt_boxes: ArrayLike, iou_threshold: float = 0.5
) -> np.ndarray:
    """Greedy matching of one image's detections of one class to its ground-truth boxes (COCO rule).

    By decreasing score (ties: input order), each detection takes the still-unmatched box of
    highest IoU if that IoU is ``>= iou_threshold``; otherwise (a duplicate, a poor fit) it is a
    false positive. Counting: no gradient.

    Parameters
    ----------
    pred_boxes : array_like, shape (P, 4)
        Detections (x1, y1, x2, y2).
    scores : array_like, shape (P,)
    gt_boxes : array_like, shape (G, 4)
    iou_threshold : float in [0, 1], default 0.5

    Returns
    -------
    numpy.ndarray of int64, shape (P,)
        The ground-truth index each detection matched, or -1.

    Examples
    --------
    >>> # gt box [0, 0, 10, 10]; a detection [0, 0, 10, 5] (IoU 1/2) at score 0.9, and an exact
    >>> # duplicate [0, 0, 10, 10] at 0.8: the higher score claims the box first
    >>> match_detections([[0.0, 0, 10, 5], [0, 0, 10, 10]], [0.9, 0.8], [[0.0, 0, 10, 10]])
    array([ 0, -1])
    """
    pred, s, gt, t, iou = _check_match(pred_boxes, scores, gt_boxes, iou_threshold)
    matched = np.full(pred.shape[0], -1, dtype=np.int64)
    free = np.ones(gt.shape[0], dtype=bool)
    # one pass in score order, a loop over detections: each choice depends on those before it
    for p in np.argsort(-s, kind="stable"):
        candidates = np.where(free & (iou[p] >= t), iou[p], -1.0)
        if gt.shape[0] and candidates.max() >= 0:
            g = int(np.argmax(candidates))
            matched[p], free[g] = g, False
    return matched
# --8<-- [end:match_detections]


def _check_ap(scores: ArrayLike, is_tp: ArrayLike, num_gt: object, interpolation: str) -> tuple[np.ndarray, np.ndarray]:
    s = _check_scores(scores, None)
    tp = np.asarray(is_tp)
    if tp.dtype != bool or tp.shape != s.shape:
        raise ValueError(f"is_tp must be booleans of the shape of scores {s.shape}, got {tp.dtype} of shape {tp.shape}")
    if isinstance(num_gt, (bool, np.bool_)) or not isinstance(num_gt, (int, np.integer)) or num_gt < max(int(tp.sum()), 1):
        raise ValueError(f"num_gt must be an integer >= 1 and >= the {int(tp.sum())} true positives, got {num_gt!r}")
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {_INTERPOLATIONS}, got {interpolation!r}")
    return s, tp


# --8<-- [start:detection_average_precision]
def detection_average_precision(
    scores: ArrayLike, is_tp: ArrayLike, num_gt: int, interpolation: str = "all-point"
) -> np.float64:
    """AP of one class from its detections pooled over the images, ranked by score (ties: input order).

    With ``P_k = TP_k / k`` and ``R_k = TP_k / num_gt`` after the k-th detection:
    ``"all-point"`` (VOC 2010+) sums ``(R_k - R_{k-1}) max_{j >= k} P_j``; ``"101-point"``
    (COCO) averages that envelope at recall 0, 0.01, ..., 1; ``"none"`` sums
    ``(R_k - R_{k-1}) P_k`` (scikit-learn's rule, but ties are not merged).

    Parameters
    ----------
    scores : array_like, shape (D,)
    is_tp : array_like of bool, shape (D,)
        ``match_detections(...) >= 0`` for each detection.
    num_gt : int >= 1
        Ground-truth boxes of the class in all images, found or not.
    interpolation : {"all-point", "101-point", "none"}, default "all-point"

    Returns
    -------
    numpy.float64 in [0, 1]

    Examples
    --------
    >>> # ranked TP, FP, TP with 3 ground-truth boxes: (R, P) = (1/3, 1), (1/3, 1/2), (2/3, 2/3);
    >>> # the envelope at the second TP is 2/3: AP = 1/3 * 1 + 1/3 * 2/3 = 5/9
    >>> round(float(detection_average_precision([0.9, 0.8, 0.7], [True, False, True], 3)), 6)
    0.555556
    """
    s, tp = _check_ap(scores, is_tp, num_gt, interpolation)
    # cumulative true positives down the ranking; precision after each detection
    tps = np.cumsum(tp[np.argsort(-s, kind="stable")])
    precision = tps / np.arange(1, tps.size + 1)
    recall = tps / num_gt
    if interpolation == "none":
        return np.float64(np.sum(np.diff(recall, prepend=0.0) * precision))
    # the envelope: the best precision at this recall or any higher one
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    if interpolation == "all-point":
        return np.float64(np.sum(np.diff(recall, prepend=0.0) * envelope))
    # 101-point: at each level r the envelope at the first rank whose recall reaches r (0 beyond)
    levels = np.linspace(0.0, 1.0, 101)
    first = np.searchsorted(recall, levels, side="left")
    padded = np.append(envelope, 0.0)
    return np.float64(np.mean(padded[first]))
# --8<-- [end:detection_average_precision]


def _check_thresholds(preds_by_class: Mapping, gts_by_class: Mapping, iou_thresholds: Sequence[float]) -> list[float]:
    if set(preds_by_class) != set(gts_by_class):
        raise ValueError(
            f"preds_by_class and gts_by_class must have the same classes, got "
            f"{sorted(map(str, preds_by_class))} and {sorted(map(str, gts_by_class))}"
        )
    thresholds = [as_real_scalar(t, "iou_thresholds", low=0.0, high=1.0) for t in iou_thresholds]
    if not thresholds:
        raise ValueError("iou_thresholds must hold at least one threshold, got none")
    return thresholds


def _check_class(c: object, images: Sequence, truths: Sequence) -> tuple[list, list[np.ndarray]]:
    """One class's checked (boxes, scores) per image and ground-truth boxes per image."""
    if len(images) != len(truths):
        raise ValueError(f"class {c!r}: preds_by_class has {len(images)} images, gts_by_class {len(truths)}")
    gts = [_finite_boxes(g, f"gts_by_class[{c!r}][{i}]") for i, g in enumerate(truths)]
    preds = []
    for i, (b, s) in enumerate(images):
        b = _finite_boxes(b, f"preds_by_class[{c!r}][{i}] boxes")
        preds.append((b, _check_scores(s, b.shape[0], f"preds_by_class[{c!r}][{i}] scores")))
    return preds, gts


def _match_in_class(c: object, boxes: np.ndarray, scores: np.ndarray, gt: np.ndarray, threshold: float) -> np.ndarray:
    try:
        return match_detections(boxes, scores, gt, threshold)
    except ValueError as error:  # degenerate boxes: say which class they belong to
        raise ValueError(f"preds_by_class / gts_by_class, class {c!r}: {error}") from None


# --8<-- [start:mean_average_precision]
def mean_average_precision(
    preds_by_class: Mapping[object, Sequence[tuple[ArrayLike, ArrayLike]]],
    gts_by_class: Mapping[object, Sequence[ArrayLike]],
    iou_thresholds: Sequence[float] = (0.5,),
    interpolation: str = "all-point",
) -> tuple[np.float64, np.ndarray]:
    """Detection mAP: each image matched by :func:`match_detections`, AP per class and IoU threshold
    by :func:`detection_average_precision`, averaged. ``(0.5,)`` is VOC's mAP@0.5,
    ``np.linspace(0.5, 0.95, 10)`` with ``"101-point"`` COCO's mAP@[.5:.95]. Classes without
    ground truth get NaN and are left out of the mean, as in COCO.

    Parameters
    ----------
    preds_by_class : mapping class -> sequence (one per image) of (boxes (P_i, 4), scores (P_i,))
    gts_by_class : mapping class -> sequence (the same images) of boxes (G_i, 4)
    iou_thresholds : sequence of float in [0, 1], default (0.5,)
    interpolation : {"all-point", "101-point", "none"}, default "all-point"

    Returns
    -------
    mAP : numpy.float64
    ap : numpy.ndarray of float64, shape (K, T)
        AP per class (keys in ``sorted`` order) and threshold.

    Examples
    --------
    >>> # class "a": one image, a perfect hit (AP 1); class "b": one gt, one detection off by
    >>> # half its width (IoU 1/3 < 0.5): AP 0. mAP = (1 + 0) / 2
    >>> preds = {"a": [([[0.0, 0, 2, 2]], [0.9])], "b": [([[1.0, 0, 3, 2]], [0.8])]}
    >>> gts = {"a": [[[0.0, 0, 2, 2]]], "b": [[[0.0, 0, 2, 2]]]}
    >>> m, ap = mean_average_precision(preds, gts)
    >>> float(m), ap.tolist()
    (0.5, [[1.0], [0.0]])
    """
    thresholds = _check_thresholds(preds_by_class, gts_by_class, iou_thresholds)
    classes = sorted(gts_by_class, key=str)
    ap = np.full((len(classes), len(thresholds)), np.nan)
    for k, c in enumerate(classes):
        preds, gts = _check_class(c, preds_by_class[c], gts_by_class[c])
        num_gt = sum(g.shape[0] for g in gts)
        if num_gt == 0:
            continue  # no ground truth: AP undefined, left out of the mean
        scores = np.concatenate([s.astype(np.float64) for _, s in preds] + [np.zeros(0)])
        for t, threshold in enumerate(thresholds):
            # match image by image, then rank all detections of the class together
            hits = [_match_in_class(c, b, s, g, threshold) >= 0 for (b, s), g in zip(preds, gts)]
            is_tp = np.concatenate(hits + [np.zeros(0, dtype=bool)])
            ap[k, t] = detection_average_precision(scores, is_tp, num_gt, interpolation)
    scored = ap[~np.isnan(ap[:, 0])]
    if scored.size == 0:
        raise ValueError("gts_by_class holds no ground-truth box in any class: mAP is undefined")
    return np.float64(scored.mean()), ap
# --8<-- [end:mean_average_precision]
