"""Vision: boxes, matching and the building blocks of image models."""

from snippets.vision.anchor_boxes import assign_anchor_to_bbox, multibox_prior
from snippets.vision.bounding_box import box_convert, decode_boxes, encode_boxes
from snippets.vision.intersection_over_union import (
    box_iou,
    generalized_box_iou,
    generalized_box_iou_backward,
    mask_iou,
)
from snippets.vision.non_maximum_suppression import batched_nms, nms

__all__: list[str] = [
    "multibox_prior",
    "assign_anchor_to_bbox",
    "box_convert",
    "encode_boxes",
    "decode_boxes",
    "box_iou",
    "generalized_box_iou",
    "generalized_box_iou_backward",
    "mask_iou",
    "nms",
    "batched_nms",
]
