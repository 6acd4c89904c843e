"""Embedding: a trainable lookup table that maps integer ids (words, tokens, categories) to dense
vectors. Layout and semantics of ``torch.nn.functional.embedding`` / ``torch.nn.Embedding``."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_class_indices, as_float_array, as_grad_out, propagates_nonfinite

__all__ = ["embedding", "embedding_backward"]


def _check_embedding(indices: ArrayLike, weight: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``weight`` as a float (num_embeddings, D) array; ``indices`` as integers in [0, num_embeddings)."""
    weight = as_float_array(weight, "weight")
    if weight.ndim != 2:
        raise ValueError(f"weight must be a 2-D array (num_embeddings, embedding_dim), got shape {weight.shape}")
    return as_class_indices(indices, weight.shape[0], "indices"), weight


# --8<-- [start:embedding]
@propagates_nonfinite
def embedding(indices: ArrayLike, weight: ArrayLike) -> np.ndarray:
    """Look up one row of ``weight`` per index, as ``torch.nn.functional.embedding``.

    Parameters
    ----------
    indices : array_like of int, any shape (*)
        Ids in ``[0, num_embeddings)``; not differentiable.
    weight : array_like, shape (num_embeddings, D)
        The table: row i is the vector of id i (``nn.Embedding.weight``, loadable as it is).

    Returns
    -------
    ndarray, shape (*, D)
        ``weight[indices]``, a new array in weight's float dtype.

    Examples
    --------
    Row 2, then row 0, then row 2 again:

    >>> embedding([2, 0, 2], [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
    array([[4., 5.],
           [0., 1.],
           [4., 5.]])
    """
    indices, weight = _check_embedding(indices, weight)
    # a lookup is the product one_hot(indices) @ weight, computed without the zeros
    return weight[indices]
# --8<-- [end:embedding]


# --8<-- [start:embedding_backward]
@propagates_nonfinite
def embedding_backward(grad_out: ArrayLike, indices: ArrayLike, weight: ArrayLike) -> np.ndarray:
    """Gradient of :func:`embedding` with respect to ``weight`` (indices are not differentiable).

    Parameters
    ----------
    grad_out : array_like, shape (*, D)
        Upstream gradient, the shape of the forward output.
    indices, weight
        The forward inputs, as in :func:`embedding`.

    Returns
    -------
    ndarray, shape (num_embeddings, D)
        Row i is the sum of ``grad_out`` over every position whose index is i; rows of ids that
        do not occur are 0.

    Examples
    --------
    Id 2 occurs twice, so its row collects (1, 1) + (10, 10); id 1 does not occur.

    >>> embedding_backward([[1.0, 1.0], [5.0, 5.0], [10.0, 10.0]], [2, 0, 2], np.zeros((3, 2)))
    array([[ 5.,  5.],
           [ 0.,  0.],
           [11., 11.]])
    """
    indices, weight = _check_embedding(indices, weight)
    g = as_grad_out(grad_out, (*indices.shape, weight.shape[1]), weight.dtype)
    grad = np.zeros_like(weight)
    # the transpose of the lookup: scatter-add each position's gradient into its row;
    # np.add.at accumulates repeated indices (grad[idx] += g would keep only the last one)
    np.add.at(grad, indices.reshape(-1), g.reshape(-1, weight.shape[1]))
    return grad
# --8<-- [end:embedding_backward]
