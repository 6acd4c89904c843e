"""PyTorch's ``reduction`` argument for the losses that take one: "none", "mean" or "sum"."""

from __future__ import annotations

import numpy as np

from snippets._validate import as_grad_out

REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(reduction: object) -> str:
    """``reduction`` if it is one of PyTorch's three names, else ``ValueError`` naming it."""
    if not isinstance(reduction, str):
        raise TypeError(f"reduction must be a string ('none', 'mean' or 'sum'), got {type(reduction).__name__}")
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be 'none', 'mean' or 'sum', got {reduction!r}")
    return reduction


def _reduce(losses: np.ndarray, reduction: str, name: str) -> np.ndarray:
    """The per-sample ``losses`` as they are ("none"), averaged ("mean") or added up ("sum").

    A mean over no samples is a ``ValueError`` naming ``name``, the empty argument (PyTorch
    returns NaN); the sum of no samples is 0.
    """
    if reduction == "none":
        return losses
    if reduction == "mean":
        if losses.size == 0:
            raise ValueError(f"reduction='mean' needs at least one sample, {name} is empty (shape {losses.shape})")
        return np.mean(losses)
    return np.sum(losses)


def _unreduce(
    grad_out: object, shape: tuple[int, ...], reduction: str, dtype: np.dtype, name: str
) -> np.ndarray:
    """The upstream gradient of each per-sample loss, shape ``shape``: ``grad_out`` itself for
    "none", ``grad_out / n`` (mean) or ``grad_out`` (sum) repeated over the ``n`` samples."""
    if reduction == "none":
        return as_grad_out(grad_out, shape, dtype)
    g = as_grad_out(grad_out, (), dtype)
    n = int(np.prod(shape))
    if reduction == "mean" and n == 0:
        raise ValueError(f"reduction='mean' needs at least one sample, {name} is empty")
    # d mean / d loss_i = 1 / n; d sum / d loss_i = 1
    return np.broadcast_to(g / n if reduction == "mean" else g, shape)
