"""Vision: boxes, matching and the building blocks of image models."""

from snippets.vision.intersection_over_union import (
    box_iou,
    generalized_box_iou,
    generalized_box_iou_backward,
    mask_iou,
)
from snippets.vision.non_maximum_suppression import batched_nms, nms

__all__: list[str] = [
    "box_iou",
    "generalized_box_iou",
    "generalized_box_iou_backward",
    "mask_iou",
    "nms",
    "batched_nms",
]
