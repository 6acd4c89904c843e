"""Label smoothing: one-hot targets mixed with the uniform distribution over the classes."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_class_indices, as_real_scalar

__all__ = ["smooth_labels"]


# --8<-- [start:smooth_labels]
def smooth_labels(target: ArrayLike, num_classes: int, epsilon: float) -> np.ndarray:
    """Smoothed target distributions ``(1 - epsilon) * onehot(target) + epsilon / num_classes``.

    ``cross_entropy(logits, smooth_labels(y, C, eps))`` equals
    ``cross_entropy(logits, y, label_smoothing=eps)`` (PyTorch's definition).

    Parameters
    ----------
    target : array_like of int, shape (N,)
        Class indices in ``[0, num_classes)``.
    num_classes : int
        C, the number of classes (at least 1).
    epsilon : float in [0, 1]
        The share of probability moved from the true class to the uniform distribution.

    Returns
    -------
    ndarray of float64, shape (N, C)
        Each row sums to 1: ``1 - epsilon + epsilon / C`` at the true class, ``epsilon / C``
        at every other class.

    Examples
    --------
    >>> # C = 4, eps = 0.2: 0.2 / 4 = 0.05 everywhere, plus 0.8 at the true class
    >>> smooth_labels([2], 4, 0.2)
    array([[0.05, 0.05, 0.85, 0.05]])
    """
    if isinstance(num_classes, (bool, np.bool_)) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"num_classes must be an integer, got {type(num_classes).__name__}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be at least 1, got {num_classes}")
    eps = as_real_scalar(epsilon, "epsilon", low=0.0, high=1.0)
    idx = as_class_indices(target, num_classes, "target")
    if idx.ndim != 1:
        raise ValueError(f"target must be a 1-D array of class indices (N,), got shape {idx.shape}")
    # the uniform part: eps / C on every class
    smoothed = np.full((idx.size, num_classes), eps / num_classes)
    # the one-hot part: 1 - eps more on the true class of each row
    smoothed[np.arange(idx.size), idx] += 1 - eps
    return smoothed
# --8<-- [end:smooth_labels]
