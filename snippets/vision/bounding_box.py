"""Bounding boxes: the three usual coordinate formats, and the offsets a detector regresses from anchors.

``box_convert`` moves between corners (xyxy), corner plus size (xywh) and centre plus size (cxcywh)
as ``torchvision.ops.box_convert``; ``encode_boxes`` / ``decode_boxes`` are the (dx, dy, dw, dh)
parametrisation of R-CNN, as torchvision's ``BoxCoder``.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_real_scalar, check_same_shape, propagates_nonfinite

__all__ = ["box_convert", "encode_boxes", "decode_boxes"]

FORMATS = ("xyxy", "xywh", "cxcywh")

#: the largest log-scale change decode_boxes applies (torchvision's ``bbox_xform_clip``): a box
#: grows at most 1000 / 16 = 62.5 times its anchor, and exp cannot overflow
BBOX_XFORM_CLIP = math.log(1000.0 / 16)


def _check_format(fmt: object, name: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"{name} must be one of {FORMATS}, got {fmt!r}")
    return str(fmt)


# --8<-- [start:box_convert]
@propagates_nonfinite
def box_convert(boxes: ArrayLike, in_fmt: str, out_fmt: str) -> np.ndarray:
    """Convert boxes between ``"xyxy"``, ``"xywh"`` and ``"cxcywh"``, as ``torchvision.ops.box_convert``.

    ``xyxy`` is ``(x1, y1, x2, y2)`` (two corners), ``xywh`` ``(x1, y1, w, h)`` (COCO),
    ``cxcywh`` ``(cx, cy, w, h)`` (centre and size). A fixed linear map: no backward.

    Parameters
    ----------
    boxes : array_like, shape (..., 4)
        Boxes in ``in_fmt`` (not checked for positive sizes).
    in_fmt, out_fmt : {"xyxy", "xywh", "cxcywh"}
        The formats of the input and of the result.

    Returns
    -------
    ndarray, shape (..., 4)
        The same boxes in ``out_fmt`` (a copy, also when the formats agree).

    Examples
    --------
    >>> # the box from (1, 2) to (5, 4): size 4 x 2, centre (3, 3)
    >>> box_convert([[1., 2., 5., 4.]], "xyxy", "cxcywh")
    array([[3., 3., 4., 2.]])
    >>> box_convert([[3., 3., 4., 2.]], "cxcywh", "xywh")
    array([[1., 2., 4., 2.]])
    """
    b = as_float_array(boxes, "boxes")
    if b.ndim == 0 or b.shape[-1] != 4:
        raise ValueError(f"boxes must have shape (..., 4), got shape {b.shape}")
    in_fmt, out_fmt = _check_format(in_fmt, "in_fmt"), _check_format(out_fmt, "out_fmt")
    p, q, r, s = np.moveaxis(b, -1, 0)
    # to corners first
    if in_fmt == "xywh":
        p, q, r, s = p, q, p + r, q + s
    elif in_fmt == "cxcywh":
        p, q, r, s = p - r / 2, q - s / 2, p + r / 2, q + s / 2
    # then from corners to the requested format
    if out_fmt == "xywh":
        p, q, r, s = p, q, r - p, s - q
    elif out_fmt == "cxcywh":
        p, q, r, s = (p + r) / 2, (q + s) / 2, r - p, s - q
    return np.stack([p, q, r, s], axis=-1)
# --8<-- [end:box_convert]


def _centres_and_sizes(boxes: ArrayLike, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Centres (N, 2) and sizes (N, 2) of xyxy boxes (N, 4) whose width and height are positive."""
    b = as_float_array(boxes, name)
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"{name} must have shape (N, 4), one (x1, y1, x2, y2) per row, got shape {b.shape}")
    size = b[:, 2:] - b[:, :2]
    # a zero or negative side has no log-size (NaN passes through)
    flat = np.any(size <= 0, axis=1)
    if np.any(flat):
        i = int(np.flatnonzero(flat)[0])
        raise ValueError(f"{name} must have x1 < x2 and y1 < y2 in every row, row {i} is {b[i].tolist()}")
    return b[:, :2] + size / 2, size


def _check_weights(weights: object) -> np.ndarray:
    if not isinstance(weights, (tuple, list, np.ndarray)) or len(weights) != 4:
        raise TypeError(f"weights must be a sequence of 4 numbers (wx, wy, ww, wh), got {weights!r}")
    return np.array([as_real_scalar(w, "weights", low=0.0, low_open=True) for w in weights])


# --8<-- [start:encode_boxes]
@propagates_nonfinite
def encode_boxes(
    anchors: ArrayLike, gt: ArrayLike, weights: tuple[float, float, float, float] = (10.0, 10.0, 5.0, 5.0)
) -> np.ndarray:
    """The offsets (dx, dy, dw, dh) that move each anchor onto its target box (R-CNN's parametrisation).

    ``dx = wx (gx - ax) / aw``, ``dy = wy (gy - ay) / ah``, ``dw = ww log(gw / aw)``,
    ``dh = wh log(gh / ah)`` with centres (x, y) and sizes (w, h) of anchor a and target g, as
    torchvision's ``BoxCoder(weights).encode_single(gt, anchors)``. The default weights are
    torchvision's for the box head of Faster R-CNN (d2l divides by 0.1, 0.1, 0.2, 0.2: the same).
    Regression *targets*: no gradient.

    Parameters
    ----------
    anchors, gt : array_like, shape (N, 4)
        Anchors (or proposals) and the box each should predict, xyxy, positive width and height.
    weights : (float, float, float, float), default (10, 10, 5, 5)
        Positive scale factors (wx, wy, ww, wh).

    Returns
    -------
    ndarray, shape (N, 4)
        ``(dx, dy, dw, dh)`` per row; 0 where the target is its anchor.

    Examples
    --------
    >>> # anchor: centre (1, 1), size 2 x 2; target: centre (2, 1), size 4 x 2.
    >>> # dx = (2 - 1) / 2 = 0.5, dy = 0, dw = log(4 / 2) = 0.693, dh = log 1 = 0 (unit weights)
    >>> encode_boxes([[0., 0., 2., 2.]], [[0., 0., 4., 2.]], weights=(1., 1., 1., 1.)).round(4)
    array([[0.5   , 0.    , 0.6931, 0.    ]])
    """
    (ac, asz), (gc, gsz) = _centres_and_sizes(anchors, "anchors"), _centres_and_sizes(gt, "gt")
    check_same_shape(ac, gc, "anchors", "gt")
    w = _check_weights(weights)
    dtype = np.result_type(ac, gc)
    # centre shift in units of the anchor's size; log of the size ratio
    shift = (gc - ac) / asz
    scale = np.log(gsz / asz)
    return (np.concatenate([shift, scale], axis=1) * w).astype(dtype, copy=False)
# --8<-- [end:encode_boxes]


# --8<-- [start:decode_boxes]
@propagates_nonfinite
def decode_boxes(
    anchors: ArrayLike, deltas: ArrayLike, weights: tuple[float, float, float, float] = (10.0, 10.0, 5.0, 5.0)
) -> np.ndarray:
    """Apply offsets (dx, dy, dw, dh) to anchors: the inverse of :func:`encode_boxes`.

    ``x = ax + aw dx / wx``, ``y = ay + ah dy / wy``, ``w = aw exp(dw / ww)``, ``h = ah exp(dh / wh)``
    as xyxy corners, as torchvision's ``BoxCoder.decode_single``: ``dw / ww`` and ``dh / wh`` are
    first clipped at ``log(1000 / 16)`` (at most 62.5 times the anchor; exp cannot overflow). No
    backward: the usual loss compares predicted offsets with encoded targets, undecoded.

    Parameters
    ----------
    anchors, deltas : array_like, shape (N, 4)
        Anchors (xyxy, positive sizes) and offsets ``(dx, dy, dw, dh)``, e.g. a network's output.
    weights : (float, float, float, float), default (10, 10, 5, 5)
        The weights used to encode.

    Returns
    -------
    ndarray, shape (N, 4)
        The decoded boxes ``(x1, y1, x2, y2)``.

    Examples
    --------
    >>> # the example of encode_boxes, backwards: centre (1 + 2 * 0.5, 1) = (2, 1), width 2 * exp(log 2) = 4
    >>> decode_boxes([[0., 0., 2., 2.]], [[0.5, 0., 0.6931471805599453, 0.]], weights=(1., 1., 1., 1.))
    array([[0., 0., 4., 2.]])
    """
    ac, asz = _centres_and_sizes(anchors, "anchors")
    d = as_float_array(deltas, "deltas")
    if d.shape != (ac.shape[0], 4):
        raise ValueError(f"deltas must have shape (N, 4) = ({ac.shape[0]}, 4) for anchors of shape {(ac.shape[0], 4)}, got {d.shape}")
    w = _check_weights(weights)
    dtype = np.result_type(ac, d)
    d = d / w.astype(dtype)
    # centre: the anchor's, moved by a fraction of its size; size: scaled by exp of the clipped log ratio
    centre = ac + d[:, :2] * asz
    size = asz * np.exp(np.minimum(d[:, 2:], BBOX_XFORM_CLIP))
    return np.concatenate([centre - size / 2, centre + size / 2], axis=1).astype(dtype, copy=False)
# --8<-- [end:decode_boxes]
