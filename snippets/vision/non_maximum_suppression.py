"""Non-maximum suppression (NMS): keep the best-scoring box of each cluster of overlapping detections.

Greedy, as ``torchvision.ops.nms``: take the highest-scoring box left, drop every remaining box whose
IoU with it is above the threshold, repeat. Boxes are rows ``(x1, y1, x2, y2)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_labels, as_real_scalar, propagates_nonfinite
from snippets.vision.intersection_over_union import _check_boxes, _inter_union, _ratio

__all__ = ["nms", "batched_nms"]


# --8<-- [start:greedy]
def _check_detections(boxes: ArrayLike, scores: ArrayLike, iou_threshold: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Boxes (N, 4) and scores (N,), both free of NaN (boxes also finite), and the threshold."""
    b = _check_boxes(boxes, "boxes")
    s = as_float_array(scores, "scores")
    if s.shape != (b.shape[0],):
        raise ValueError(f"scores must have shape (N,) = ({b.shape[0]},) for boxes of shape {b.shape}, got {s.shape}")
    # a box with a NaN or infinite corner has no IoU to compare, a NaN score no rank
    if not np.all(np.isfinite(b)):
        raise ValueError(f"boxes must be finite, row {int(np.flatnonzero(~np.isfinite(b).all(axis=1))[0])} is not")
    if np.any(np.isnan(s)):
        raise ValueError(f"scores must not be NaN, found NaN at index {int(np.flatnonzero(np.isnan(s))[0])}")
    return b, s, as_real_scalar(iou_threshold, "iou_threshold")


def _greedy(b: np.ndarray, s: np.ndarray, groups: np.ndarray | None, iou_threshold: float) -> np.ndarray:
    """Indices kept by greedy NMS, by decreasing score; only boxes of one group suppress each other."""
    # decreasing score; equal scores in input order (a stable sort of -score)
    order = np.argsort(-s, kind="stable")
    keep = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(best)
        # IoU of the best box left with every box ranked after it
        inter, union = _inter_union(b[best : best + 1], b[rest])
        overlap = _ratio(inter, union)[0]
        # strictly above the threshold: a box at exactly the threshold survives (NaN never suppresses)
        suppressed = overlap > iou_threshold
        if groups is not None:
            suppressed &= groups[rest] == groups[best]
        order = rest[~suppressed]
    return np.array(keep, dtype=np.int64)
# --8<-- [end:greedy]


# --8<-- [start:nms]
@propagates_nonfinite
def nms(boxes: ArrayLike, scores: ArrayLike, iou_threshold: float) -> np.ndarray:
    """Greedy non-maximum suppression with ``torchvision.ops.nms``'s semantics.

    Boxes are visited by decreasing score; each one visited is kept, and every box after it whose
    IoU with it is *strictly greater* than ``iou_threshold`` is discarded. Equal scores are visited
    in input order (torchvision's sort is not stable, so its order among ties is unspecified).
    Selection only: no gradient.

    Parameters
    ----------
    boxes : array_like, shape (N, 4)
        Finite boxes ``(x1, y1, x2, y2)`` with ``x1 <= x2`` and ``y1 <= y2``.
    scores : array_like, shape (N,)
        Confidence of each box; higher is better. ±inf ranks first / last; NaN is refused.
    iou_threshold : float
        Boxes overlapping a kept box by more than this are discarded: 0 discards every box that
        overlaps a kept one at all, 1 or more discards nothing.

    Returns
    -------
    ndarray of int64, shape (K,)
        Indices into ``boxes`` of the kept boxes, by decreasing score.

    Examples
    --------
    >>> # box 1 is box 0 shifted by 0.2: overlap 1.8 x 2 = 3.6, union 4.4, IoU 0.82 > 0.5: dropped.
    >>> # Box 2 does not touch box 0 and is kept
    >>> nms([[0., 0., 2., 2.], [0.2, 0., 2.2, 2.], [3., 3., 4., 4.]], [0.9, 0.8, 0.7], 0.5)
    array([0, 2])
    >>> # IoU exactly 0.5 (overlap 1, union 2) is not above 0.5: both stay
    >>> nms([[0., 0., 2., 1.], [0., 0., 1., 1.]], [0.9, 0.8], 0.5)
    array([0, 1])
    """
    b, s, threshold = _check_detections(boxes, scores, iou_threshold)
    return _greedy(b, s, None, threshold)
# --8<-- [end:nms]


# --8<-- [start:batched_nms]
@propagates_nonfinite
def batched_nms(boxes: ArrayLike, scores: ArrayLike, idxs: ArrayLike, iou_threshold: float) -> np.ndarray:
    """Class-aware NMS, as ``torchvision.ops.batched_nms``: boxes of different ``idxs`` never suppress each other.

    The result equals running :func:`nms` on each category separately and merging the kept
    indices by decreasing score (equal scores in input order). Computed in one greedy pass that
    compares only boxes of the same category — not with torchvision's trick of shifting each
    category's boxes far apart, which rounds the coordinates.

    Parameters
    ----------
    boxes : array_like, shape (N, 4)
        Finite boxes ``(x1, y1, x2, y2)``.
    scores : array_like, shape (N,)
        Confidence of each box (NaN refused).
    idxs : array_like of int, shape (N,)
        Category (or image) of each box; any integers.
    iou_threshold : float
        As in :func:`nms`.

    Returns
    -------
    ndarray of int64, shape (K,)
        Indices of the kept boxes, by decreasing score across all categories.

    Examples
    --------
    >>> # the two overlapping boxes (IoU 0.82) belong to different classes: neither suppresses the other
    >>> batched_nms([[0., 0., 2., 2.], [0.2, 0., 2.2, 2.], [3., 3., 4., 4.]], [0.7, 0.8, 0.9], [0, 1, 0], 0.5)
    array([2, 1, 0])
    """
    b, s, threshold = _check_detections(boxes, scores, iou_threshold)
    groups = as_labels(idxs, "idxs")
    if groups.shape != s.shape:
        raise ValueError(f"idxs must have shape (N,) = ({s.size},) for boxes of shape {b.shape}, got {groups.shape}")
    return _greedy(b, s, groups, threshold)
# --8<-- [end:batched_nms]
