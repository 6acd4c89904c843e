"""Vision: boxes, matching and the building blocks of image models."""

from snippets.vision.anchor_boxes import assign_anchor_to_bbox, multibox_prior
from snippets.vision.bounding_box import box_convert, decode_boxes, encode_boxes
from snippets.vision.gram_matrix import (
    gram_matrix,
    gram_matrix_backward,
    style_loss,
    style_loss_backward,
    total_variation,
    total_variation_backward,
)
from snippets.vision.intersection_over_union import (
    box_iou,
    generalized_box_iou,
    generalized_box_iou_backward,
    mask_iou,
)
from snippets.vision.mean_average_precision import (
    detection_average_precision,
    match_detections,
    mean_average_precision,
)
from snippets.vision.non_maximum_suppression import batched_nms, nms
from snippets.vision.patch_embedding import patch_embed, patch_embed_backward, patchify, patchify_backward
from snippets.vision.receptive_field import empirical_receptive_field, receptive_field

__all__: list[str] = [
    "multibox_prior",
    "assign_anchor_to_bbox",
    "box_convert",
    "encode_boxes",
    "decode_boxes",
    "gram_matrix",
    "gram_matrix_backward",
    "style_loss",
    "style_loss_backward",
    "total_variation",
    "total_variation_backward",
    "box_iou",
    "generalized_box_iou",
    "generalized_box_iou_backward",
    "mask_iou",
    "match_detections",
    "detection_average_precision",
    "mean_average_precision",
    "nms",
    "batched_nms",
    "patchify",
    "patchify_backward",
    "patch_embed",
    "patch_embed_backward",
    "receptive_field",
    "empirical_receptive_field",
]
