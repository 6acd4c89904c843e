"""Hinge losses: the binary max-margin loss of support vector machines and PyTorch's multi-class
``multi_margin_loss`` (Weston-Watkins form)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import (
    as_class_indices,
    as_float_array,
    as_int,
    as_labels,
    as_real_scalar,
    check_same_shape,
    check_shape,
    propagates_nonfinite,
)
from snippets.losses._reduction import _check_reduction, _reduce, _unreduce

__all__ = ["hinge_loss", "hinge_loss_backward", "multi_margin_loss", "multi_margin_loss_backward"]


def _check_binary(scores: ArrayLike, y: ArrayLike, margin: float, reduction: str):
    """``scores`` as floats, ``y`` as labels -1 / +1 of the same shape (in the scores' dtype)."""
    scores = as_float_array(scores, "scores")
    labels = as_labels(y, "y")
    check_same_shape(scores, labels, "scores", "y")
    if np.any(np.abs(labels) != 1):
        bad = labels[np.abs(labels) != 1].ravel()[0]
        raise ValueError(f"y must hold labels -1 or +1, found {bad}")
    margin = as_real_scalar(margin, "margin")
    return scores, labels.astype(scores.dtype), margin, _check_reduction(reduction)


# --8<-- [start:hinge_loss]
@propagates_nonfinite
def hinge_loss(scores: ArrayLike, y: ArrayLike, margin: float = 1.0, reduction: str = "mean") -> np.ndarray:
    """Binary hinge loss ``max(0, margin - y * score)`` of a linear classifier's scores.

    With ``margin=1`` and ``reduction="mean"`` the same value as
    ``sklearn.metrics.hinge_loss(y, scores)`` for labels -1 / +1.

    Parameters
    ----------
    scores : array_like, shape (*)
        Real-valued decision scores (the sign is the predicted class).
    y : array_like, shape (*)
        Labels, each -1 or +1 (``ValueError`` otherwise), the same shape as ``scores``.
    margin : float, default 1.0
        The score margin ``y * score`` must reach to cost nothing.
    reduction : {"mean", "sum", "none"}, default "mean"
        Average, add up, or return the per-element losses.

    Returns
    -------
    numpy scalar, or ndarray of shape (*) for ``reduction="none"``
        In the float dtype of ``scores``.

    Examples
    --------
    >>> # margins y * s = 2, -0.5, -1: losses 0, 1.5, 2, mean 3.5 / 3
    >>> round(float(hinge_loss([2.0, 0.5, -1.0], [1, -1, 1])), 6)
    1.166667
    """
    scores, y, margin, reduction = _check_binary(scores, y, margin, reduction)
    # the loss is zero once the signed score y * s clears the margin, linear below it
    return _reduce(np.maximum(margin - y * scores, 0), reduction, "scores")
# --8<-- [end:hinge_loss]


# --8<-- [start:hinge_loss_backward]
@propagates_nonfinite
def hinge_loss_backward(
    grad_out: ArrayLike, scores: ArrayLike, y: ArrayLike, margin: float = 1.0, reduction: str = "mean"
) -> np.ndarray:
    """Gradient of :func:`hinge_loss` with respect to ``scores``.

    Parameters
    ----------
    grad_out : array_like, shape () or (*) for ``reduction="none"``
        Upstream gradient of the loss.
    scores, y, margin, reduction
        As in :func:`hinge_loss`.

    Returns
    -------
    ndarray, shape (*)
        ``-y`` times the upstream gradient where ``margin - y * score > 0``, else 0. At the kink,
        where the two are equal, the gradient is 0, the convention of PyTorch's
        ``multi_margin_loss`` (``torch.clamp(margin - y * s, min=0)`` would pass ``-y`` there).

    Examples
    --------
    >>> hinge_loss_backward(1.0, [2.0, 0.5, -1.0], [1, -1, 1]).round(6)  # (0, +1, -1) / 3
    array([ 0.      ,  0.333333, -0.333333])
    """
    scores, y, margin, reduction = _check_binary(scores, y, margin, reduction)
    g = _unreduce(grad_out, scores.shape, reduction, scores.dtype, "scores")
    z = margin - y * scores
    # d/ds max(0, m - y s) = -y inside the margin, 0 outside; NaN stays NaN
    return np.where(z > 0, -y * g, np.where(np.isnan(z), np.nan, 0)).astype(scores.dtype, copy=False)
# --8<-- [end:hinge_loss_backward]


def _check_multi(input: ArrayLike, target: ArrayLike, p: int, margin: float, weight, reduction: str):
    """Validate the arguments of :func:`multi_margin_loss`; return them as a 2-D batch (N, C)."""
    x = as_float_array(input, "input")
    if x.ndim not in (1, 2) or x.shape[-1] == 0:
        raise ValueError(f"input must be scores (C,) or (N, C) with C >= 1, got shape {x.shape}")
    c = x.shape[-1]
    t = np.asarray(target)
    check_shape(t, x.shape[:-1], "target", "(N,)" if x.ndim == 2 else "()", f"input of shape {x.shape}")
    t = as_class_indices(t, c, "target")
    p = as_int(p, "p", low=1, high=2)  # PyTorch supports p = 1 and p = 2 only
    margin = as_real_scalar(margin, "margin")
    if weight is None:
        w = np.ones(c, dtype=x.dtype)
    else:
        w = as_float_array(weight, "weight")
        check_shape(w, (c,), "weight", "(C,)", f"C = {c} classes")
        w = w.astype(x.dtype, copy=False)
    return x.reshape(-1, c), t.reshape(-1), p, margin, w, _check_reduction(reduction)


def _margin_violations(x: np.ndarray, t: np.ndarray, margin: float) -> np.ndarray:
    """``z[n, i] = margin - x[n, t_n] + x[n, i]``, with the true class's own entry set to -inf."""
    rows = np.arange(len(t))
    z = margin - x[rows, t][:, None] + x
    z[rows, t] = -np.inf  # the true class is not compared with itself
    return z


# --8<-- [start:multi_margin_loss]
@propagates_nonfinite
def multi_margin_loss(
    input: ArrayLike,
    target: ArrayLike,
    p: int = 1,
    margin: float = 1.0,
    weight: ArrayLike | None = None,
    reduction: str = "mean",
) -> np.ndarray:
    """Multi-class hinge loss, as ``torch.nn.functional.multi_margin_loss``.

    For each sample, every wrong class whose score comes within ``margin`` of the true class's
    score costs ``max(0, margin - x[y] + x[i]) ** p``; the sum is divided by the number of
    classes C and multiplied by ``weight[y]``.

    Parameters
    ----------
    input : array_like, shape (N, C) or (C,)
        Class scores.
    target : array_like of int, shape (N,) or ()
        The true class of each sample, in ``[0, C)``.
    p : {1, 2}, default 1
        1 for the hinge, 2 for the squared hinge.
    margin : float, default 1.0
        How far the true class's score must lead every other score.
    weight : array_like, shape (C,), optional
        A weight per class, applied by the sample's true class.
    reduction : {"mean", "sum", "none"}, default "mean"
        Average over samples, add up, or return one loss per sample.

    Returns
    -------
    numpy scalar, or ndarray of shape (N,) (or ()) for ``reduction="none"``
        In the float dtype of ``input``.

    Examples
    --------
    >>> # true class 3 scores 0.8; violations 1 - 0.8 + (0.1, 0.2, 0.4) = 0.3, 0.4, 0.6; sum / 4
    >>> round(float(multi_margin_loss([[0.1, 0.2, 0.4, 0.8]], [3])), 6)
    0.325
    >>> round(float(multi_margin_loss([[0.1, 0.2, 0.4, 0.8]], [3], p=2)), 6)  # (0.09 + 0.16 + 0.36) / 4
    0.1525
    """
    shape = np.shape(input)[:-1]
    x, t, p, margin, w, reduction = _check_multi(input, target, p, margin, weight, reduction)
    c = x.shape[1]
    # hinge of every margin violation (the true class's own entry is -inf, so it gives 0)
    h = np.maximum(_margin_violations(x, t, margin), 0) ** p
    # sum over the wrong classes, divided by C, weighted by the true class
    losses = w[t] * np.sum(h, axis=1) / c
    return _reduce(losses.reshape(shape), reduction, "input")
# --8<-- [end:multi_margin_loss]


# --8<-- [start:multi_margin_loss_backward]
@propagates_nonfinite
def multi_margin_loss_backward(
    grad_out: ArrayLike,
    input: ArrayLike,
    target: ArrayLike,
    p: int = 1,
    margin: float = 1.0,
    weight: ArrayLike | None = None,
    reduction: str = "mean",
) -> np.ndarray:
    """Gradient of :func:`multi_margin_loss` with respect to ``input``.

    Parameters
    ----------
    grad_out : array_like, shape (), or (N,) (or ()) for ``reduction="none"``
        Upstream gradient of the loss.
    input, target, p, margin, weight, reduction
        As in :func:`multi_margin_loss`.

    Returns
    -------
    ndarray, shape of ``input``
        For a wrong class i with ``z = margin - x[y] + x[i] > 0``: ``g * weight[y] * p * z**(p-1) / C``;
        the true class gets minus the sum of those; 0 where ``z <= 0`` (as PyTorch).

    Examples
    --------
    >>> multi_margin_loss_backward(1.0, [[0.1, 0.2, 0.4, 0.8]], [3])  # three violations, 1/4 each
    array([[ 0.25,  0.25,  0.25, -0.75]])
    """
    shape = np.shape(input)
    x, t, p, margin, w, reduction = _check_multi(input, target, p, margin, weight, reduction)
    n, c = x.shape
    g = _unreduce(grad_out, shape[:-1], reduction, x.dtype, "input").reshape(n)
    z = _margin_violations(x, t, margin)
    # d/dz max(0, z)^p = p z^(p-1) where z > 0, 0 elsewhere (z = -inf at the true class)
    dz = np.where(z > 0, p * np.maximum(z, 0) ** (p - 1), np.where(np.isnan(z), np.nan, 0)).astype(x.dtype)
    dz *= (g * w[t] / c)[:, None]
    # z rises with x[i] and falls with x[y]: the true class collects minus the row's sum
    dx = dz
    dx[np.arange(n), t] = -np.sum(dz, axis=1)
    return dx.reshape(shape)
# --8<-- [end:multi_margin_loss_backward]
