"""Class imbalance: when one class has far more examples than another, weight the loss per class
(scikit-learn's "balanced" weights, PyTorch's ``cross_entropy(weight=...)``) or resample the data."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import (
    as_class_indices,
    as_float_array,
    as_grad_out,
    as_labels,
    check_generator,
    check_shape,
    propagates_nonfinite,
)
from snippets.activations.softmax import log_softmax

__all__ = [
    "balanced_class_weights",
    "weighted_cross_entropy",
    "weighted_cross_entropy_backward",
    "oversample_indices",
]


# --8<-- [start:balanced_class_weights]
def balanced_class_weights(y: ArrayLike, classes: ArrayLike | None = None) -> np.ndarray:
    """One weight per class, inversely proportional to its frequency: ``n / (k * n_c)``.

    scikit-learn's ``compute_class_weight("balanced", classes=classes, y=y)``: a class with the
    average frequency ``n / k`` gets weight 1, a class half as frequent gets 2, and the weights
    times the counts sum to ``n``, so a weighted mean over the data keeps the scale of a plain one.

    Parameters
    ----------
    y : array_like of int, shape (n,)
        Class labels of the training set.
    classes : array_like of int, shape (k,), optional
        The classes to weigh, in the order wanted (e.g. ``range(num_classes)`` to index the
        result by class id). Default: the distinct labels of ``y``, sorted. Every label of ``y``
        must be listed, and every listed class must occur in ``y`` (its weight would be infinite).

    Returns
    -------
    ndarray of float64, shape (k,)

    Examples
    --------
    Six labels, k = 3 classes with counts 3, 1, 2: weights 6 / (3 * 3), 6 / (3 * 1), 6 / (3 * 2).

    >>> balanced_class_weights([0, 0, 0, 1, 2, 2])
    array([0.66666667, 2.        , 1.        ])
    """
    y = as_labels(y, "y").ravel()
    present = np.unique(y)
    classes = present if classes is None else as_labels(classes, "classes").ravel()
    if len(np.unique(classes)) != len(classes):
        raise ValueError(f"classes must not repeat a class, got {classes.tolist()}")
    missing = np.setdiff1d(present, classes)
    if missing.size:
        raise ValueError(f"classes must include every label of y; {missing.tolist()} are not listed")
    absent = np.setdiff1d(classes, present)
    if absent.size:
        raise ValueError(f"every class in classes must occur in y (its weight would be infinite); {absent.tolist()} do not")
    # n_c: how many examples each class has, in the order of `classes`
    counts = np.array([np.count_nonzero(y == c) for c in classes], dtype=np.float64)
    # n / (k n_c): the average count n / k divided by the class's own count
    return y.size / (len(classes) * counts)
# --8<-- [end:balanced_class_weights]


def _check_weighted(
    logits: ArrayLike, target: ArrayLike, weight: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``logits`` (N, C), ``target`` (N,) in [0, C), ``weight`` (C,) >= 0, in logits' float dtype."""
    logits = as_float_array(logits, "logits")
    if logits.ndim != 2:
        raise ValueError(f"logits must be a 2-D array (N, C), got shape {logits.shape}")
    n, c = logits.shape
    target = as_class_indices(target, c, "target")
    check_shape(target, (n,), "target", "(N,)", f"logits of shape {logits.shape}")
    weight = as_float_array(weight, "weight")
    check_shape(weight, (c,), "weight", "(C,)", f"logits of shape {logits.shape}")
    if np.any(weight < 0) or not np.all(np.isfinite(weight)):
        raise ValueError(f"weight must hold finite non-negative numbers, got {weight.tolist()}")
    if n == 0:
        raise ValueError("logits must hold at least one example: the weighted mean of none is undefined")
    total = weight[target].sum()
    if total == 0:
        raise ValueError("weight gives every example of the batch weight 0: the weighted mean is undefined")
    dtype = logits.dtype
    return logits, target, weight.astype(dtype, copy=False)


# --8<-- [start:weighted_cross_entropy]
@propagates_nonfinite
def weighted_cross_entropy(logits: ArrayLike, target: ArrayLike, weight: ArrayLike) -> np.floating:
    """Class-weighted cross-entropy, as ``torch.nn.functional.cross_entropy(logits, target, weight=weight)``.

    Each example's loss is multiplied by its class's weight, and the sum is divided by the sum of
    the weights used (not by N): a weighted mean, which is PyTorch's ``reduction="mean"``.

    Parameters
    ----------
    logits : array_like, shape (N, C)
        Unnormalised scores.
    target : array_like of int, shape (N,)
        Class indices in ``[0, C)``.
    weight : array_like, shape (C,)
        Finite, non-negative weight per class (e.g. :func:`balanced_class_weights`).

    Returns
    -------
    numpy scalar of logits' float dtype
        ``sum_i w[y_i] (-log softmax(logits_i)[y_i]) / sum_i w[y_i]``.

    Examples
    --------
    Two examples with uniform logits over 2 classes (each loss ln 2) keep the mean ln 2 whatever
    the weights; with weights (1, 3) an example of class 1 counts three times as much.

    >>> import math
    >>> float(weighted_cross_entropy([[0.0, 0.0], [0.0, 0.0]], [0, 1], [1.0, 3.0])) == math.log(2)
    True
    >>> loss = weighted_cross_entropy([[0.0, math.log(3)], [0.0, 0.0]], [0, 1], [1.0, 3.0])
    >>> round(float(loss), 12) == round((math.log(4) + 3 * math.log(2)) / 4, 12)  # p = 1/4 and 1/2
    True
    """
    logits, target, weight = _check_weighted(logits, target, weight)
    # per-example loss: -log p(target), from a stable log-softmax
    nll = -np.take_along_axis(log_softmax(logits, axis=1), target[:, None], axis=1)[:, 0]
    # each example weighted by its class; normalised by the total weight of the batch
    w = weight[target]
    return (w * nll).sum() / w.sum()
# --8<-- [end:weighted_cross_entropy]


# --8<-- [start:weighted_cross_entropy_backward]
@propagates_nonfinite
def weighted_cross_entropy_backward(
    grad_out: ArrayLike, logits: ArrayLike, target: ArrayLike, weight: ArrayLike
) -> np.ndarray:
    """Gradient of :func:`weighted_cross_entropy` with respect to ``logits``.

    Parameters
    ----------
    grad_out : array_like, shape ()
        Upstream gradient of the scalar loss.
    logits, target, weight
        As in :func:`weighted_cross_entropy`.

    Returns
    -------
    ndarray, shape (N, C)
        ``grad_out * w[y_i] / sum_j w[y_j] * (softmax(logits_i) - onehot(y_i))``.

    Examples
    --------
    >>> weighted_cross_entropy_backward(1.0, [[0.0, 0.0], [0.0, 0.0]], [0, 1], [1.0, 3.0]).tolist()
    [[-0.125, 0.125], [0.375, -0.375]]
    """
    logits, target, weight = _check_weighted(logits, target, weight)
    g = as_grad_out(grad_out, (), logits.dtype)
    # softmax minus the one-hot target: the gradient of each example's own loss
    p = np.exp(log_softmax(logits, axis=1))
    p[np.arange(len(target)), target] -= 1
    # scaled by the example's share of the total weight
    w = weight[target]
    return g * (w / w.sum())[:, None] * p
# --8<-- [end:weighted_cross_entropy_backward]


# --8<-- [start:oversample_indices]
def oversample_indices(y: ArrayLike, rng: np.random.Generator) -> np.ndarray:
    """Indices that resample every class up to the size of the largest one (random oversampling).

    Each class keeps all its own examples and draws the missing ones from itself, with
    replacement, so the result has ``k * max_c n_c`` indices and every class equally often; the
    order is shuffled. Index the training set with it once per epoch.

    Parameters
    ----------
    y : array_like of int, shape (n,)
        Class labels.
    rng : numpy.random.Generator
        Source of the draws and of the shuffle.

    Returns
    -------
    ndarray of int64, shape (k * max_c n_c,)

    Examples
    --------
    Three examples of class 0 and one of class 1: class 1's example is repeated three times.

    >>> idx = oversample_indices([0, 0, 0, 1], np.random.default_rng(0))
    >>> sorted(idx.tolist())
    [0, 1, 2, 3, 3, 3]
    """
    y = as_labels(y, "y").ravel()
    check_generator(rng)
    if y.size == 0:
        return np.zeros(0, dtype=np.int64)
    classes, counts = np.unique(y, return_counts=True)
    target = counts.max()
    parts = []
    for c, n_c in zip(classes, counts):
        members = np.flatnonzero(y == c)
        # all of the class's own examples, then target - n_c more drawn from them with replacement
        parts += [members, rng.choice(members, size=target - n_c, replace=True)]
    return rng.permutation(np.concatenate(parts)).astype(np.int64)
# --8<-- [end:oversample_indices]
