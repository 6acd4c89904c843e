"""Anchor boxes: reference boxes tiled over a feature map, and their assignment to ground-truth boxes.

``multibox_prior`` lays out anchors as in *Dive into Deep Learning* (§14.4): at every cell of an
H x W feature map, n + m - 1 boxes of n sizes and m aspect ratios, in coordinates normalised to the
image. ``assign_anchor_to_bbox`` gives each anchor a ground-truth box (or none) by IoU.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_int, as_real_scalar, propagates_nonfinite
from snippets.vision.intersection_over_union import _check_boxes, _inter_union, _ratio

__all__ = ["multibox_prior", "assign_anchor_to_bbox"]


def _positive_list(values: ArrayLike, name: str) -> np.ndarray:
    """A non-empty 1-d array of positive, finite numbers."""
    v = as_float_array(values, name)
    if v.ndim != 1 or v.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-d sequence, got shape {v.shape}")
    bad = ~(np.isfinite(v) & (v > 0))
    if np.any(bad):
        raise ValueError(f"{name} must hold positive finite numbers, found {v[bad][0]}")
    return v


# --8<-- [start:multibox_prior]
@propagates_nonfinite
def multibox_prior(feature_h: int, feature_w: int, sizes: ArrayLike, ratios: ArrayLike) -> np.ndarray:
    """Anchor boxes centred on every cell of a feature map, in d2l's layout.

    At each of the ``H x W`` cells, centred at ``((j + 0.5) / W, (i + 0.5) / H)``, the pairs
    ``(s_1, r_1), ..., (s_n, r_1), (s_1, r_2), ..., (s_1, r_m)``; pair (s, r) has width
    ``s sqrt(r) H / W`` and height ``s / sqrt(r)`` (fractions of the image's width and height).
    No gradient: a fixed grid.

    Parameters
    ----------
    feature_h, feature_w : int
        Height H and width W of the feature map (>= 1).
    sizes : sequence of float, shape (n,)
        Anchor scales, fractions of the image height (positive; usually in (0, 1]).
    ratios : sequence of float, shape (m,)
        Aspect ratios width / height (positive).

    Returns
    -------
    ndarray, shape (H * W * (n + m - 1), 4)
        Anchors ``(x1, y1, x2, y2)`` in normalised image coordinates (the image is [0, 1] x [0, 1];
        anchors at the border may reach outside it), cell by cell in row-major order, the
        ``n + m - 1`` anchors of a cell consecutive. float64 unless ``sizes`` and ``ratios`` are
        float32.

    Examples
    --------
    >>> # a 1 x 2 map: cell centres (0.25, 0.5) and (0.75, 0.5). Size 0.5, ratio 1: width
    >>> # 0.5 * 1/2 = 0.25 of the image width, height 0.5; ratio 4: width 0.5 * 2 / 2 = 0.5, height 0.25
    >>> multibox_prior(1, 2, [0.5], [1.0, 4.0])
    array([[0.125, 0.25 , 0.375, 0.75 ],
           [0.   , 0.375, 0.5  , 0.625],
           [0.625, 0.25 , 0.875, 0.75 ],
           [0.5  , 0.375, 1.   , 0.625]])
    """
    h, w = as_int(feature_h, "feature_h", low=1), as_int(feature_w, "feature_w", low=1)
    s, r = _positive_list(sizes, "sizes"), _positive_list(ratios, "ratios")
    dtype = np.result_type(s, r)
    # the n + m - 1 (size, ratio) pairs: every size with r_1, then s_1 with r_2 ... r_m
    pair_s = np.concatenate([s, np.full(r.size - 1, s[0])])
    pair_r = np.concatenate([np.full(s.size, r[0]), r[1:]])
    # half sides as fractions of the image: width s sqrt(r) H / W, height s / sqrt(r)
    half = np.stack([pair_s * np.sqrt(pair_r) * h / w, pair_s / np.sqrt(pair_r)], axis=1) / 2
    # cell centres, row-major: ((j + 0.5) / W, (i + 0.5) / H)
    cy, cx = np.meshgrid((np.arange(h) + 0.5) / h, (np.arange(w) + 0.5) / w, indexing="ij")
    centres = np.stack([cx.ravel(), cy.ravel()], axis=1)[:, None, :]
    boxes = np.concatenate([centres - half, centres + half], axis=2)
    return boxes.reshape(-1, 4).astype(dtype, copy=False)
# --8<-- [end:multibox_prior]


# --8<-- [start:assign_anchor_to_bbox]
@propagates_nonfinite
def assign_anchor_to_bbox(gt_boxes: ArrayLike, anchors: ArrayLike, iou_threshold: float = 0.5) -> np.ndarray:
    """The ground-truth box each anchor is responsible for, or -1 (background), as d2l's function.

    Rule 1: an anchor whose largest IoU is ``>= iou_threshold`` takes that box (the first on a
    tie). Rule 2, overriding it, ``min(A, G)`` times: the largest IoU left assigns its anchor to its
    box, and both leave the matrix, so every box gets an anchor even if none overlaps it well
    (d2l loops G times, which for G > A reassigns anchor 0). A search: no gradient.

    Parameters
    ----------
    gt_boxes, anchors : array_like, shape (G, 4) and (A, 4)
        Finite xyxy boxes; anchors of positive width and height (so every IoU is defined).
    iou_threshold : float, default 0.5
        The IoU from which an anchor takes its best box in rule 1.

    Returns
    -------
    ndarray of int64, shape (A,)
        For each anchor, the index of its ground-truth box, or -1.

    Examples
    --------
    >>> # anchor 0 = box 0 (IoU 1); anchor 1 overlaps box 0 by 0.5 (>= 0.5: rule 1 gives it box 0);
    >>> # anchor 2 touches nothing. Box 1 overlaps only anchor 2, by 1/4 < 0.5, so rule 2 gives
    >>> # it anchor 2: its best anchor once anchor 0 (taken by box 0, IoU 1) has left
    >>> assign_anchor_to_bbox([[0., 0., 2., 2.], [5., 5., 6., 6.]],
    ...                       [[0., 0., 2., 2.], [0., 0., 2., 1.], [5., 5., 7., 7.]])
    array([0, 0, 1])
    """
    gt = _check_boxes(gt_boxes, "gt_boxes")
    anc = _check_boxes(anchors, "anchors")
    for b, name in ((gt, "gt_boxes"), (anc, "anchors")):
        if not np.all(np.isfinite(b)):
            raise ValueError(f"{name} must be finite, row {int(np.flatnonzero(~np.isfinite(b).all(axis=1))[0])} is not")
    flat = (anc[:, 2] <= anc[:, 0]) | (anc[:, 3] <= anc[:, 1])
    if np.any(flat):
        i = int(np.flatnonzero(flat)[0])
        raise ValueError(f"anchors must have positive width and height, row {i} is {anc[i].tolist()}")
    threshold = as_real_scalar(iou_threshold, "iou_threshold")
    iou = _ratio(*_inter_union(anc, gt))  # (A, G)
    if np.isnan(iou).any():  # areas beyond the float range: inf / inf
        raise ValueError("gt_boxes and anchors have areas too large to compare (their IoU overflows)")
    assigned = np.full(anc.shape[0], -1, dtype=np.int64)
    if gt.shape[0] == 0:
        return assigned
    # rule 1: the best box of each anchor, where it overlaps enough
    best = np.argmax(iou, axis=1)
    good = iou[np.arange(anc.shape[0]), best] >= threshold
    assigned[good] = best[good]
    # rule 2: repeatedly the largest IoU left; its row and column then leave the matrix (set to -1)
    left = iou.copy()
    for _ in range(min(anc.shape[0], gt.shape[0])):
        a, g = np.unravel_index(np.argmax(left), left.shape)
        assigned[a] = g
        left[a, :] = -1
        left[:, g] = -1
    return assigned
# --8<-- [end:assign_anchor_to_bbox]
