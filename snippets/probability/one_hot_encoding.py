"""One-hot encoding: a class index k becomes the vector with a single 1 at position k."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_class_indices, as_float_array, as_int, check_axis, propagates_nonfinite

__all__ = ["one_hot", "from_one_hot"]


# --8<-- [start:one_hot]
def one_hot(indices: ArrayLike, num_classes: int = -1) -> np.ndarray:
    """One-hot vectors of integer class indices, as ``torch.nn.functional.one_hot``.

    Parameters
    ----------
    indices : array_like of int, shape (*)
        Class indices in ``[0, num_classes)``. An integer dtype is required (PyTorch requires
        int64); floats, even whole ones, raise ``TypeError``.
    num_classes : int, default -1
        The number of classes C. ``-1`` infers it as ``max(indices) + 1``, which is impossible
        for an empty ``indices`` (``ValueError``, as in PyTorch).

    Returns
    -------
    ndarray of int64, shape (*, C)
        ``out[..., k] == 1`` where ``indices == k`` and 0 elsewhere.

    Examples
    --------
    >>> one_hot([0, 2, 1])  # C inferred as 2 + 1 = 3
    array([[1, 0, 0],
           [0, 0, 1],
           [0, 1, 0]])
    >>> one_hot([1], num_classes=4)
    array([[0, 1, 0, 0]])
    """
    num_classes = as_int(num_classes, "num_classes", low=-1)
    idx = np.asarray(indices)
    if idx.dtype.kind not in "iu":  # as_class_indices says the same; checked first to infer C
        raise TypeError(f"indices holding class indices must have an integer dtype, got {idx.dtype}")
    if num_classes == -1:
        if idx.size == 0:
            raise ValueError(f"num_classes=-1 cannot be inferred from empty indices (shape {idx.shape}); pass num_classes")
        num_classes = max(int(idx.max()) + 1, 1)  # a negative maximum is refused just below
    if num_classes == 0:
        raise ValueError("num_classes must be -1 (inferred) or a positive integer, got 0")
    idx = as_class_indices(idx, num_classes, "indices")
    # compare every index with every class 0..C-1: True exactly at the index's own class
    return (idx[..., np.newaxis] == np.arange(num_classes)).astype(np.int64)
# --8<-- [end:one_hot]


# --8<-- [start:from_one_hot]
@propagates_nonfinite
def from_one_hot(y: ArrayLike, axis: int = -1) -> np.ndarray:
    """The class indices of one-hot vectors: the inverse of :func:`one_hot`.

    Parameters
    ----------
    y : array_like, shape (*, C) with the classes along ``axis``
        One-hot vectors: every entry 0 or 1 (bool, integer or float), exactly one 1 per vector.
        Anything else (a soft label, a row of zeros, NaN) raises ``ValueError``: use ``argmax``
        to pick the most probable class of a probability vector.
    axis : int, default -1
        The axis that holds the classes.

    Returns
    -------
    ndarray of int64, shape of ``y`` without ``axis``
        The position of the 1 in each vector.

    Examples
    --------
    >>> from_one_hot([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    array([2, 0])
    """
    arr = np.atleast_1d(as_float_array(y, "y"))
    axis = check_axis(axis, arr.ndim, arr.shape)
    # a one-hot vector holds only 0s and 1s, and they sum to exactly 1
    not_binary = (arr != 0) & (arr != 1)
    if np.any(not_binary):
        raise ValueError(f"y must hold only 0s and 1s (one-hot vectors), found {arr[not_binary].ravel()[0]}")
    ones = np.sum(arr, axis=axis)
    if np.any(ones != 1):
        bad = np.argwhere(np.atleast_1d(ones != 1))[0].tolist()
        where = f"the vector at index {bad}" if ones.ndim else "the vector"
        raise ValueError(
            f"y must have exactly one 1 along axis {axis} (shape {arr.shape}); "
            f"{where} has {int(np.atleast_1d(ones)[tuple(bad)])}"
        )
    return np.argmax(arr, axis=axis).astype(np.int64)
# --8<-- [end:from_one_hot]
