"""Vision: boxes, matching and the building blocks of image models."""

from snippets.vision.intersection_over_union import (
    box_iou,
    generalized_box_iou,
    generalized_box_iou_backward,
    mask_iou,
)

__all__: list[str] = [
    "box_iou",
    "generalized_box_iou",
    "generalized_box_iou_backward",
    "mask_iou",
]
