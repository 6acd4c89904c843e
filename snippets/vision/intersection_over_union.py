"""Intersection over union (IoU) of axis-aligned boxes and of binary masks, and generalized IoU (GIoU).

Boxes are rows ``(x1, y1, x2, y2)`` in continuous coordinates: a box's width is ``x2 - x1`` (no
``+ 1`` pixel), as in torchvision. Every function compares every box of one set with every box of
the other and returns an ``(N, M)`` matrix.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, as_labels, check_same_shape, propagates_nonfinite

__all__ = ["box_iou", "generalized_box_iou", "generalized_box_iou_backward", "mask_iou"]


def _check_boxes(boxes: ArrayLike, name: str) -> np.ndarray:
    """``boxes`` as a float array of shape (N, 4), each row ``x1 <= x2`` and ``y1 <= y2``.

    A row whose far corner lies before its near one is refused (its "area" would be negative or
    would count as positive twice); NaN passes through, so that NaN in gives NaN out.
    """
    b = as_float_array(boxes, name)
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"{name} must have shape (N, 4), one (x1, y1, x2, y2) per row, got shape {b.shape}")
    inverted = (b[:, 2] < b[:, 0]) | (b[:, 3] < b[:, 1])
    if np.any(inverted):
        i = int(np.flatnonzero(inverted)[0])
        raise ValueError(f"{name} must have x1 <= x2 and y1 <= y2 in every row, row {i} is {b[i].tolist()}")
    return b


def _pair(boxes1: ArrayLike, boxes2: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Both box sets, checked, in their common float dtype."""
    b1, b2 = _check_boxes(boxes1, "boxes1"), _check_boxes(boxes2, "boxes2")
    dtype = np.result_type(b1, b2)
    return b1.astype(dtype, copy=False), b2.astype(dtype, copy=False)


def _area(b: np.ndarray) -> np.ndarray:
    """Width times height of each row (x1, y1, x2, y2): shape (N,)."""
    return (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])


# --8<-- [start:inter_union]
def _inter_union(b1: np.ndarray, b2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Intersection and union areas of every pair, each of shape (N, M)."""
    # the overlap's corners: the larger near corner and the smaller far corner of each pair
    lt = np.maximum(b1[:, None, :2], b2[None, :, :2])
    rb = np.minimum(b1[:, None, 2:], b2[None, :, 2:])
    # a negative side means no overlap along that axis: clamp it to 0
    wh = np.maximum(rb - lt, 0)
    inter = wh[..., 0] * wh[..., 1]
    # inclusion-exclusion: the overlap is counted in both areas once too often
    return inter, _area(b1)[:, None] + _area(b2)[None, :] - inter


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, NaN where den is 0 (0 / 0: two boxes of zero area have no IoU), without a warning."""
    return np.divide(num, den, out=np.full_like(num, np.nan), where=den != 0)
# --8<-- [end:inter_union]


# --8<-- [start:box_iou]
@propagates_nonfinite
def box_iou(boxes1: ArrayLike, boxes2: ArrayLike) -> np.ndarray:
    """IoU of every pair of boxes: the area they share over the area they cover together.

    The same numbers as ``torchvision.ops.box_iou``. Used to match predictions with targets and
    in non-maximum suppression, where nothing is differentiated: there is no ``box_iou_backward``
    (a training loss on boxes uses :func:`generalized_box_iou`, which has one).

    Parameters
    ----------
    boxes1 : array_like, shape (N, 4)
        Boxes ``(x1, y1, x2, y2)`` with ``x1 <= x2`` and ``y1 <= y2`` (``ValueError`` otherwise).
    boxes2 : array_like, shape (M, 4)
        Boxes in the same format.

    Returns
    -------
    ndarray, shape (N, M)
        In [0, 1]; 1 for identical boxes of positive area, 0 for boxes that do not overlap or
        only touch. Two boxes of zero area have no union: their IoU is 0 / 0 = NaN, as in
        torchvision (a NaN is never above a threshold, so such a pair is never matched).

    Examples
    --------
    >>> # the 2x2 box at the origin against: a 2x2 box shifted by (1, 1) (overlap 1x1 = 1,
    >>> # union 4 + 4 - 1 = 7: 1/7), itself (4/4), and a distant unit box (0/5)
    >>> box_iou([[0., 0., 2., 2.]], [[1., 1., 3., 3.], [0., 0., 2., 2.], [4., 4., 5., 5.]]).round(4)
    array([[0.1429, 1.    , 0.    ]])
    """
    b1, b2 = _pair(boxes1, boxes2)
    inter, union = _inter_union(b1, b2)
    return _ratio(inter, union)
# --8<-- [end:box_iou]


# --8<-- [start:generalized_box_iou]
@propagates_nonfinite
def generalized_box_iou(boxes1: ArrayLike, boxes2: ArrayLike) -> np.ndarray:
    """Generalized IoU (Rezatofighi et al., 2019) of every pair, as ``torchvision.ops.generalized_box_iou``.

    ``GIoU = IoU - (C - U) / C``, with U the union and C the area of the smallest box enclosing
    both. Unlike the IoU it keeps falling as two disjoint boxes move apart, so ``1 - GIoU`` is a
    loss with a gradient even when a prediction misses its target.

    Parameters
    ----------
    boxes1 : array_like, shape (N, 4)
        Boxes ``(x1, y1, x2, y2)`` with ``x1 <= x2`` and ``y1 <= y2``.
    boxes2 : array_like, shape (M, 4)
        Boxes in the same format.

    Returns
    -------
    ndarray, shape (N, M)
        In (-1, 1]: the IoU where one box encloses the other, below it otherwise, and towards -1
        as disjoint boxes move apart. NaN where both boxes have zero area (0 / 0), as in torchvision.

    Examples
    --------
    >>> # against the 2x2 box at the origin: the box shifted by (1, 1) has IoU 1/7, enclosing box
    >>> # 3x3 = 9, so 1/7 - (9 - 7)/9 = -5/63; itself 1; the unit box at (4, 4): 0 - (25 - 5)/25
    >>> generalized_box_iou([[0., 0., 2., 2.]], [[1., 1., 3., 3.], [0., 0., 2., 2.], [4., 4., 5., 5.]]).round(4)
    array([[-0.0794,  1.    , -0.8   ]])
    """
    b1, b2 = _pair(boxes1, boxes2)
    inter, union = _inter_union(b1, b2)
    # the smallest box enclosing each pair: the smaller near corner and the larger far corner
    wh = np.maximum(b1[:, None, 2:], b2[None, :, 2:]) - np.minimum(b1[:, None, :2], b2[None, :, :2])
    enclosing = wh[..., 0] * wh[..., 1]
    # IoU minus the share of the enclosing box that neither box covers (C >= U: 0 only when U is)
    return _ratio(inter, union) - _ratio(enclosing - union, enclosing)
# --8<-- [end:generalized_box_iou]


# --8<-- [start:generalized_box_iou_backward]
def _larger_share(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The share of a max(a, b)'s gradient that goes to ``a``: 1 where a wins, 1/2 on a tie (as
    PyTorch), else 0. ``b`` gets 1 minus it; for min(a, b) the two shares swap."""
    return np.where(a > b, 1.0, np.where(a == b, 0.5, 0.0)).astype(a.dtype)


@propagates_nonfinite
def generalized_box_iou_backward(
    grad_out: ArrayLike, boxes1: ArrayLike, boxes2: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient of :func:`generalized_box_iou` with respect to both box sets.

    The chain rule with PyTorch's conventions at the kinks (a tie in a max or min splits the
    gradient in half; a side of exactly 0 passes it): ``torch.autograd`` on torchvision's formula.
    One deviation: a pair whose ``grad_out`` is 0 contributes nothing even where its GIoU is NaN
    (PyTorch spreads 0 * inf = NaN from it onto both boxes).

    Parameters
    ----------
    grad_out : array_like, shape (N, M)
        Upstream gradient dL/dGIoU; for ``mean(1 - GIoU)`` over K matched pairs, -1/K at those.
    boxes1, boxes2
        The forward arguments.

    Returns
    -------
    grad_boxes1 : ndarray, shape (N, 4)
    grad_boxes2 : ndarray, shape (M, 4)

    Examples
    --------
    >>> # box 2 = [1, 1, 2, 2] lies inside box 1 = [0, 0, 4, 4]: U = C = 16, so GIoU = a2 / a1 with
    >>> # a2 = 1. Box 2's corners move a2 at +-(side 1) / 16 each; box 1's move a1 = 16 at
    >>> # +-(side 4), and d(1 / a1) = -da1 / 256, so -+4 / 256 = -+1/64
    >>> g1, g2 = generalized_box_iou_backward([[1.]], [[0., 0., 4., 4.]], [[1., 1., 2., 2.]])
    >>> g1, g2
    (array([[ 0.015625,  0.015625, -0.015625, -0.015625]]), array([[-0.0625, -0.0625,  0.0625,  0.0625]]))
    """
    b1, b2 = _pair(boxes1, boxes2)
    g = as_grad_out(grad_out, (b1.shape[0], b2.shape[0]), b1.dtype)
    # forward again, keeping the intermediate corners
    lt = np.maximum(b1[:, None, :2], b2[None, :, :2])
    rb = np.minimum(b1[:, None, 2:], b2[None, :, 2:])
    side = rb - lt
    wh = np.maximum(side, 0)
    inter = wh[..., 0] * wh[..., 1]
    union = _area(b1)[:, None] + _area(b2)[None, :] - inter
    whi = np.maximum(b1[:, None, 2:], b2[None, :, 2:]) - np.minimum(b1[:, None, :2], b2[None, :, :2])
    enclosing = whi[..., 0] * whi[..., 1]
    # GIoU = I / U - 1 + U / C: partial derivatives, taken only where grad_out is not 0
    used = g != 0
    g_inter = np.where(used, g * _ratio(np.ones_like(union), union), 0)
    g_union = np.where(used, g * (_ratio(np.ones_like(enclosing), enclosing) - _ratio(inter, union**2)), 0)
    g_enclosing = np.where(used, -g * _ratio(union, enclosing**2), 0)
    # U = a1 + a2 - I: the union's gradient reaches both areas and, negated, the intersection
    g_inter = g_inter - g_union
    # I = w h with w = max(side, 0) (passes where side >= 0); C = wc hc: gradients of the sides
    g_side = np.where(side >= 0, g_inter[..., None] * wh[..., ::-1], 0)
    g_hull = g_enclosing[..., None] * whi[..., ::-1]
    # far corners: the overlap takes their min, the hull their max; near corners: the reverse, negated
    far = _larger_share(b1[:, None, 2:], b2[None, :, 2:])
    near = _larger_share(b1[:, None, :2], b2[None, :, :2])
    g_far1, g_far2 = g_side * (1 - far) + g_hull * far, g_side * far + g_hull * (1 - far)
    g_near1, g_near2 = -g_side * near - g_hull * (1 - near), -g_side * (1 - near) - g_hull * near
    grads = []
    for b, g_area, g_near, g_far in ((b1, g_union.sum(axis=1), g_near1.sum(axis=1), g_far1.sum(axis=1)),
                                     (b2, g_union.sum(axis=0), g_near2.sum(axis=0), g_far2.sum(axis=0))):
        # area = (x2 - x1)(y2 - y1): d/dx2 = h = -d/dx1, d/dy2 = w = -d/dy1
        hw = (b[:, 2:] - b[:, :2])[:, ::-1] * g_area[:, None]
        grads.append(np.concatenate([g_near - hw, g_far + hw], axis=1))
    return grads[0], grads[1]
# --8<-- [end:generalized_box_iou_backward]


# --8<-- [start:mask_iou]
def mask_iou(pred: ArrayLike, target: ArrayLike) -> np.float64:
    """IoU (Jaccard index) of two binary masks: pixels in both over pixels in either.

    The same number as ``sklearn.metrics.jaccard_score(target.ravel(), pred.ravel())``, except
    for two empty masks: their union is empty and the IoU is 0 / 0, here NaN (scikit-learn warns and
    returns its ``zero_division``, 0 by default), so that a class absent from both is skipped by a
    ``nanmean`` over classes (mean IoU). A count: no gradient.

    Parameters
    ----------
    pred : array_like of bool or {0, 1}, any shape
        The predicted mask (floats must be exactly 0.0 or 1.0).
    target : array_like of bool or {0, 1}, the shape of ``pred``
        The true mask.

    Returns
    -------
    numpy.float64
        In [0, 1], or NaN when both masks are empty.

    Examples
    --------
    >>> # pred covers 3 pixels, target 3; they share 2, and cover 4 together: IoU = 2/4
    >>> float(mask_iou([[1., 1., 0.], [0., 1., 0.]], [[0., 1., 0.], [0., 1., 1.]]))
    0.5
    """
    masks = []
    for value, name in ((pred, "pred"), (target, "target")):
        m = as_labels(value, name)
        outside = (m != 0) & (m != 1)
        if np.any(outside):
            raise ValueError(f"{name} must be a binary mask of 0 and 1 (or bool), found {m[outside].ravel()[0]}")
        masks.append(m == 1)
    check_same_shape(masks[0], masks[1], "pred", "target")
    # |A and B| / |A or B|, from exact integer counts
    inter = np.count_nonzero(masks[0] & masks[1])
    union = np.count_nonzero(masks[0] | masks[1])
    return np.float64(inter / union) if union else np.float64(np.nan)
# --8<-- [end:mask_iou]
