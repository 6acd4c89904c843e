"""Normalization: rescaling activations so training behaves."""

from snippets.normalization.batch_normalization import batch_norm, batch_norm_backward

__all__ = ["batch_norm", "batch_norm_backward"]
