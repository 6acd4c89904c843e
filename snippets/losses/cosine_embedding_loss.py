"""Cosine embedding loss: pull similar pairs to cosine 1, push dissimilar ones below a margin."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_labels, as_real_scalar, check_same_shape, check_shape, propagates_nonfinite
from snippets.losses._reduction import _check_reduction, _reduce, _unreduce

__all__ = ["cosine_embedding_loss", "cosine_embedding_loss_backward"]

#: added to each squared norm, as PyTorch's EPSILON: the cosine of a zero vector is 0, not NaN.
#: PyTorch stores it as a float32 constant (1e-12 rounds to 9.99999996e-13), so this does too:
#: in float64 the gradient at a zero vector, 1 / sqrt(EPSILON), then agrees to the last digit
_EPS = float(np.float32(1e-12))


def _check_pairs(x1, x2, y, margin, reduction):
    """``x1``, ``x2`` as float arrays (D,) or (N, D) of one dtype; ``y`` as labels +-1 (N,) or ()."""
    x1, x2 = as_float_array(x1, "x1"), as_float_array(x2, "x2")
    if x1.ndim not in (1, 2) or x1.shape[-1] == 0:
        raise ValueError(f"x1 must be embeddings (D,) or (N, D) with D >= 1, got shape {x1.shape}")
    check_same_shape(x1, x2, "x1", "x2")
    labels = as_labels(y, "y")
    check_shape(labels, x1.shape[:-1], "y", "(N,)" if x1.ndim == 2 else "()", f"x1 of shape {x1.shape}")
    if np.any(np.abs(labels) != 1):
        raise ValueError(f"y must hold 1 (similar) or -1 (dissimilar), found {labels[np.abs(labels) != 1].ravel()[0]}")
    dtype = np.result_type(x1, x2)
    return (x1.astype(dtype, copy=False), x2.astype(dtype, copy=False), labels,
            as_real_scalar(margin, "margin"), _check_reduction(reduction))


# --8<-- [start:cosine]
def _cosine(x1: np.ndarray, x2: np.ndarray):
    """``cos = <x1, x2> / (n1 n2)`` over the last axis with ``n = sqrt(|x|^2 + 1e-12)``; also
    returns n1 and n2. The two roots are taken separately: their product cannot overflow."""
    n1 = np.sqrt(np.sum(x1 * x1, axis=-1) + _EPS)
    n2 = np.sqrt(np.sum(x2 * x2, axis=-1) + _EPS)
    return np.sum(x1 * x2, axis=-1) / n1 / n2, n1, n2
# --8<-- [end:cosine]


# --8<-- [start:cosine_embedding_loss]
@propagates_nonfinite
def cosine_embedding_loss(
    x1: ArrayLike, x2: ArrayLike, y: ArrayLike, margin: float = 0.0, reduction: str = "mean"
) -> np.ndarray:
    """Cosine embedding loss, as ``torch.nn.functional.cosine_embedding_loss``.

    ``1 - cos(x1, x2)`` for a similar pair (y = 1), ``max(0, cos(x1, x2) - margin)`` for a
    dissimilar one (y = -1).

    Parameters
    ----------
    x1, x2 : array_like, shape (N, D) or (D,)
        The two embeddings of each pair.
    y : array_like of int, shape (N,) or ()
        1 for a similar pair, -1 for a dissimilar one (``ValueError`` for any other label;
        PyTorch silently scores such a pair 0).
    margin : float, default 0.0
        The cosine a dissimilar pair must fall below to cost nothing (PyTorch suggests 0 to 0.5).
    reduction : {"mean", "sum", "none"}, default "mean"

    Returns
    -------
    numpy scalar, or ndarray of shape (N,) (or ()) for ``reduction="none"``
        In the common float dtype of ``x1`` and ``x2``.

    Examples
    --------
    >>> # cos((1, 0), (1, 1)) = 1 / sqrt 2: a similar pair costs 1 - 0.707107
    >>> round(float(cosine_embedding_loss([[1.0, 0.0]], [[1.0, 1.0]], [1])), 6)
    0.292893
    >>> round(float(cosine_embedding_loss([[1.0, 0.0]], [[1.0, 1.0]], [-1], margin=0.5)), 6)
    0.207107
    """
    x1, x2, y, margin, reduction = _check_pairs(x1, x2, y, margin, reduction)
    cos, _, _ = _cosine(x1, x2)
    # similar pairs: distance 1 - cos; dissimilar pairs: a hinge on cos above the margin
    losses = np.where(y == 1, 1 - cos, np.maximum(cos - margin, 0))
    return _reduce(losses, reduction, "x1")
# --8<-- [end:cosine_embedding_loss]


# --8<-- [start:cosine_embedding_loss_backward]
@propagates_nonfinite
def cosine_embedding_loss_backward(
    grad_out: ArrayLike, x1: ArrayLike, x2: ArrayLike, y: ArrayLike, margin: float = 0.0, reduction: str = "mean"
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`cosine_embedding_loss` with respect to ``x1`` and ``x2``.

    Parameters
    ----------
    grad_out : array_like, shape (), or (N,) (or ()) for ``reduction="none"``
        Upstream gradient of the loss.
    x1, x2, y, margin, reduction
        As in :func:`cosine_embedding_loss`.

    Returns
    -------
    (ndarray, ndarray), each of the shape of ``x1``
        ``d cos / d x1 = x2 / (n1 n2) - cos x1 / n1^2`` (and symmetrically for ``x2``), times
        -1 for a similar pair, +1 for a dissimilar pair with ``cos >= margin`` (PyTorch's
        ``clamp_min`` passes the gradient at equality), 0 otherwise; times the upstream gradient.

    Examples
    --------
    >>> g1, g2 = cosine_embedding_loss_backward(1.0, [[1.0, 0.0]], [[0.0, 2.0]], [1])
    >>> g1.round(6), g2.round(6)  # orthogonal: -x2 / (n1 n2) and -x1 / (n1 n2)
    (array([[-0., -1.]]), array([[-0.5, -0. ]]))
    """
    x1, x2, y, margin, reduction = _check_pairs(x1, x2, y, margin, reduction)
    cos, n1, n2 = _cosine(x1, x2)
    g = _unreduce(grad_out, cos.shape, reduction, x1.dtype, "x1")
    # the loss's slope in cos: -1 (similar), +1 (dissimilar, at or above the margin) or 0
    slope = np.where(y == 1, -1.0, np.where(cos >= margin, 1.0, np.where(np.isnan(cos), np.nan, 0.0)))
    gc = (g * slope.astype(x1.dtype))[..., None]
    cos_, n1_, n2_ = cos[..., None], n1[..., None], n2[..., None]
    # the quotient rule for <x1, x2> / (n1 n2), with d n1 / d x1 = x1 / n1
    d1 = x2 / n1_ / n2_ - cos_ * x1 / n1_ / n1_
    d2 = x1 / n1_ / n2_ - cos_ * x2 / n2_ / n2_
    return gc * d1, gc * d2
# --8<-- [end:cosine_embedding_loss_backward]
