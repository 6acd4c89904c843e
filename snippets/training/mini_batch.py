"""Mini-batch and batch size: a random subset of B samples stands in for the whole training set."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from snippets._validate import (
    as_bool,
    as_class_indices,
    as_float_array,
    as_grad_out,
    as_int,
    check_generator,
    propagates_nonfinite,
)

__all__ = ["iterate_minibatches", "minibatch_gradient", "minibatch_gradient_backward"]


# --8<-- [start:iterate_minibatches]
def iterate_minibatches(
    n: int,
    batch_size: int,
    shuffle: bool = True,
    drop_last: bool = False,
    rng: np.random.Generator | None = None,
) -> Iterator[np.ndarray]:
    """Iterate over the index mini-batches of one pass over ``n`` samples.

    What ``for batch in DataLoader(TensorDataset(...), batch_size, shuffle=shuffle,
    drop_last=drop_last)`` yields, as index arrays: a random permutation of ``0 .. n-1`` (when
    ``shuffle``) cut into consecutive pieces of ``batch_size``. The arguments are checked when
    the function is called; the batches are produced one at a time as the loop asks for them.

    Parameters
    ----------
    n : int
        Number of samples N, ``>= 0``.
    batch_size : int
        Samples per mini-batch B, ``>= 1``.
    shuffle : bool, default True
        Draw a new random order; ``False`` keeps ``0, 1, ..., n-1``.
    drop_last : bool, default False
        Skip the last batch when it holds fewer than B samples.
    rng : numpy.random.Generator, optional
        Source of the permutation (a fresh unseeded generator when None); unused without
        ``shuffle``.

    Returns
    -------
    iterator of ndarray of int64
        ``ceil(N / B)`` batches (``floor(N / B)`` with ``drop_last``), each of shape (B,)
        except possibly the last, of shape ``(N mod B,)``.

    Examples
    --------
    >>> # 0..6 in order, B = 3: two full batches, then the single leftover sample
    >>> list(iterate_minibatches(7, 3, shuffle=False))
    [array([0, 1, 2]), array([3, 4, 5]), array([6])]
    >>> [len(b) for b in iterate_minibatches(7, 3, drop_last=True, rng=np.random.default_rng(0))]
    [3, 3]
    """
    n = as_int(n, "n", low=0)
    b = as_int(batch_size, "batch_size", low=1)
    shuffle = as_bool(shuffle, "shuffle")
    drop_last = as_bool(drop_last, "drop_last")
    if rng is not None:
        check_generator(rng)
    if shuffle:
        order = (rng if rng is not None else np.random.default_rng()).permutation(n).astype(np.int64)
    else:
        order = np.arange(n, dtype=np.int64)
    # the last batch starts at a multiple of B; without drop_last it may be shorter
    stop = (n // b) * b if drop_last else n
    return (order[start : start + b] for start in range(0, stop, b))
# --8<-- [end:iterate_minibatches]


# --8<-- [start:minibatch_gradient]
@propagates_nonfinite
def minibatch_gradient(per_example_grads: Any, idx: Any) -> np.ndarray:
    """The mini-batch gradient: the mean of the per-example gradients of the samples in ``idx``.

    ``g_B = (1 / B) sum_{i in idx} g_i``, the gradient of the batch-mean loss, an unbiased
    estimate of the full-data gradient ``(1 / N) sum_i g_i`` when ``idx`` is a uniformly drawn
    batch. An index listed twice counts twice (sampling with replacement).

    Parameters
    ----------
    per_example_grads : array_like, shape (N, *)
        Row i is the gradient of sample i's loss (any parameter shape ``*``).
    idx : array_like of int, shape (B,)
        Indices of the batch, each in ``[0, N)``; ``B >= 1``.

    Returns
    -------
    ndarray, shape (*)
        The mean over the batch rows, in the dtype of ``per_example_grads`` (float64 for ints).

    Examples
    --------
    >>> g = np.array([[1.0, 0.0], [3.0, 2.0], [5.0, 4.0], [7.0, 6.0]])
    >>> minibatch_gradient(g, np.array([1, 3]))  # ((3, 2) + (7, 6)) / 2
    array([5., 4.])
    """
    g = as_float_array(per_example_grads, "per_example_grads")
    if g.ndim < 1:
        raise ValueError(f"per_example_grads must have one row per sample, shape (N, *), got shape {g.shape}")
    idx = as_class_indices(idx, g.shape[0], "idx")
    if idx.ndim != 1 or idx.size == 0:
        raise ValueError(f"idx must be a non-empty 1-D array of sample indices, got shape {idx.shape}")
    # average the selected rows: sum over the batch axis, divided by B
    return np.mean(g[idx], axis=0)
# --8<-- [end:minibatch_gradient]


# --8<-- [start:minibatch_gradient_backward]
def minibatch_gradient_backward(grad_out: Any, per_example_grads: Any, idx: Any) -> np.ndarray:
    """Gradient of ``sum(grad_out * minibatch_gradient(per_example_grads, idx))``.

    Each selected row receives ``grad_out / B`` (twice as much if listed twice); the other
    rows receive 0.

    Parameters
    ----------
    grad_out : array_like, shape (*)
        Upstream gradient, the shape of one row of ``per_example_grads``.
    per_example_grads : array_like, shape (N, *)
        As for :func:`minibatch_gradient`.
    idx : array_like of int, shape (B,)
        As for :func:`minibatch_gradient`.

    Returns
    -------
    ndarray, shape (N, *)
        Gradient with respect to ``per_example_grads``.

    Examples
    --------
    >>> g = np.zeros((3, 2))
    >>> minibatch_gradient_backward(np.array([1.0, 2.0]), g, np.array([0, 2]))  # 1/B = 1/2 per row
    array([[0.5, 1. ],
           [0. , 0. ],
           [0.5, 1. ]])
    """
    g = as_float_array(per_example_grads, "per_example_grads")
    if g.ndim < 1:
        raise ValueError(f"per_example_grads must have one row per sample, shape (N, *), got shape {g.shape}")
    idx = as_class_indices(idx, g.shape[0], "idx")
    if idx.ndim != 1 or idx.size == 0:
        raise ValueError(f"idx must be a non-empty 1-D array of sample indices, got shape {idx.shape}")
    grad_out = as_grad_out(grad_out, g.shape[1:], g.dtype)
    out = np.zeros_like(g)
    # d mean / d g_i = 1/B for each occurrence of i in the batch: add, so repeats accumulate
    np.add.at(out, idx, grad_out / g.dtype.type(len(idx)))
    return out
# --8<-- [end:minibatch_gradient_backward]
