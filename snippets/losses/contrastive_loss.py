"""Contrastive loss (Hadsell, Chopra and LeCun): pull similar pairs together, push dissimilar
pairs at least a margin apart."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_labels, as_real_scalar, check_same_shape, check_shape, propagates_nonfinite
from snippets.losses._reduction import _check_reduction, _reduce, _unreduce
from snippets.losses.triplet_loss import _pnorm

__all__ = ["contrastive_loss", "contrastive_loss_backward"]

#: added to every component of x1 - x2, as PyTorch's pairwise_distance(eps=1e-6)
_EPS = 1e-6


def _check_pairs(x1, x2, y, margin, reduction):
    """``x1``, ``x2`` as float arrays (D,) or (N, D) of one dtype; ``y`` as labels 0 / 1 (N,) or ()."""
    x1, x2 = as_float_array(x1, "x1"), as_float_array(x2, "x2")
    if x1.ndim not in (1, 2) or x1.shape[-1] == 0:
        raise ValueError(f"x1 must be embeddings (D,) or (N, D) with D >= 1, got shape {x1.shape}")
    check_same_shape(x1, x2, "x1", "x2")
    labels = as_labels(y, "y")
    check_shape(labels, x1.shape[:-1], "y", "(N,)" if x1.ndim == 2 else "()", f"x1 of shape {x1.shape}")
    if np.any((labels != 0) & (labels != 1)):
        raise ValueError(f"y must hold 1 (similar) or 0 (dissimilar), found {labels[(labels != 0) & (labels != 1)].ravel()[0]}")
    dtype = np.result_type(x1, x2)
    margin = as_real_scalar(margin, "margin", low=0.0)
    return x1.astype(dtype, copy=False), x2.astype(dtype, copy=False), labels.astype(dtype), margin, _check_reduction(reduction)


# --8<-- [start:contrastive_loss]
@propagates_nonfinite
def contrastive_loss(
    x1: ArrayLike, x2: ArrayLike, y: ArrayLike, margin: float = 1.0, reduction: str = "mean"
) -> np.ndarray:
    """Contrastive loss ``y d^2 / 2 + (1 - y) max(0, margin - d)^2 / 2`` of pairs of embeddings.

    ``d`` is the Euclidean distance as ``torch.nn.functional.pairwise_distance`` computes it,
    ``||x1 - x2 + 1e-6||``.

    Parameters
    ----------
    x1, x2 : array_like, shape (N, D) or (D,)
        The two embeddings of each pair.
    y : array_like, shape (N,) or ()
        1 for a similar pair, 0 for a dissimilar one (``ValueError`` otherwise). Hadsell et al.
        write the opposite convention (Y = 0 for similar pairs).
    margin : float >= 0, default 1.0
        The distance beyond which a dissimilar pair costs nothing.
    reduction : {"mean", "sum", "none"}, default "mean"

    Returns
    -------
    numpy scalar, or ndarray of shape (N,) (or ()) for ``reduction="none"``
        In the common float dtype of ``x1`` and ``x2``.

    Examples
    --------
    >>> # d = 0.6 (to within 1e-6): similar 0.36 / 2; dissimilar (1 - 0.6)^2 / 2 = 0.08
    >>> contrastive_loss([[0.0, 0.0], [0.0, 0.0]], [[0.0, 0.6], [0.6, 0.0]], [1, 0], reduction="none").round(5)
    array([0.18, 0.08])
    """
    x1, x2, y, margin, reduction = _check_pairs(x1, x2, y, margin, reduction)
    v = x1 - x2 + _EPS
    d = _pnorm(v, 2.0)
    # similar pairs: half the squared distance; dissimilar: half the squared shortfall from the margin
    losses = 0.5 * (y * d * d + (1 - y) * np.maximum(margin - d, 0) ** 2)
    return _reduce(losses, reduction, "x1")
# --8<-- [end:contrastive_loss]


# --8<-- [start:contrastive_loss_backward]
@propagates_nonfinite
def contrastive_loss_backward(
    grad_out: ArrayLike, x1: ArrayLike, x2: ArrayLike, y: ArrayLike, margin: float = 1.0, reduction: str = "mean"
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`contrastive_loss` with respect to ``x1`` and ``x2``.

    Parameters
    ----------
    grad_out : array_like, shape (), or (N,) (or ()) for ``reduction="none"``
        Upstream gradient of the loss.
    x1, x2, y, margin, reduction
        As in :func:`contrastive_loss`.

    Returns
    -------
    (ndarray, ndarray), each of the shape of ``x1``
        With ``v = x1 - x2 + 1e-6`` and ``d = ||v||``: ``v`` for a similar pair,
        ``-(margin - d) v / d`` for a dissimilar pair inside the margin, 0 beyond it; times the
        upstream gradient, and negated for ``x2``.

    Examples
    --------
    >>> g1, g2 = contrastive_loss_backward(1.0, [[0.0, 0.0]], [[0.3, 0.4]], [0])
    >>> g1.round(4)  # d = 0.5: -(1 - 0.5) (-0.3, -0.4) / 0.5; a descent step moves x1 away from x2
    array([[0.3, 0.4]])
    """
    x1, x2, y, margin, reduction = _check_pairs(x1, x2, y, margin, reduction)
    v = x1 - x2 + _EPS
    d = _pnorm(v, 2.0)
    g = _unreduce(grad_out, d.shape, reduction, x1.dtype, "x1")
    # d/dv (d^2 / 2) = v; d/dv (max(0, m - d)^2 / 2) = -(m - d) v / d inside the margin
    shortfall = np.maximum(margin - d, 0)
    push = np.where(d > 0, shortfall / np.where(d > 0, d, 1), np.where(np.isnan(d), np.nan, 0)).astype(x1.dtype)
    coef = g * (y - (1 - y) * push)
    grad = coef[..., None] * v
    return grad, -grad
# --8<-- [end:contrastive_loss_backward]
