"""Normalization: rescaling activations so training behaves."""

from snippets.normalization.batch_normalization import batch_norm, batch_norm_backward
from snippets.normalization.group_normalization import group_norm, group_norm_backward
from snippets.normalization.instance_normalization import adain, adain_backward, instance_norm, instance_norm_backward
from snippets.normalization.layer_normalization import layer_norm, layer_norm_backward
from snippets.normalization.rms_normalization import rms_norm, rms_norm_backward
from snippets.normalization.standardization import standardize
from snippets.normalization.weight_normalization import weight_norm, weight_norm_backward

__all__ = ["batch_norm", "batch_norm_backward", "group_norm", "group_norm_backward", "instance_norm", "instance_norm_backward", "adain", "adain_backward", "layer_norm", "layer_norm_backward", "rms_norm", "rms_norm_backward", "standardize", "weight_norm", "weight_norm_backward"]
