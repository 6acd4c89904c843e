"""Gradient accumulation: the gradient of a large batch, computed a few small micro-batches at a time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from snippets._validate import (
    as_callable_result,
    as_float_array,
    as_labels,
    check_callable,
    nonfinite_errstate,
    propagates_nonfinite,
)

__all__ = ["accumulate_gradients"]


# --8<-- [start:accumulate_gradients]
@propagates_nonfinite
def accumulate_gradients(
    grad_fn: Callable[[np.ndarray, np.ndarray], Any],
    params: Any,
    micro_batches: Sequence[Any],
) -> np.ndarray:
    """The gradient of the mean loss over all micro-batches together, one micro-batch at a time.

    ``grad_fn(params, idx)`` returns the gradient of the *mean* loss over the samples ``idx``
    (what ``loss.backward()`` leaves in ``.grad`` for a batch-mean loss). Each micro-batch's
    gradient is weighted by its share of the samples, ``B_k / sum_j B_j``, and the weighted
    gradients are summed into one buffer, as ``(loss_k * B_k / B).backward()`` accumulates them in
    PyTorch's ``.grad``. The result equals the gradient of the mean loss over the union of the
    micro-batches, computed with the memory of the largest one. With K equal micro-batches the
    weights are all ``1 / K``: the usual ``(loss_k / K).backward()`` recipe.

    Parameters
    ----------
    grad_fn : callable
        ``grad_fn(params, idx) -> gradient`` of the shape of ``params``.
    params : array_like, shape (*)
        Parameters at which every micro-batch's gradient is taken (not updated here).
    micro_batches : sequence of array_like of int, each of shape (B_k,)
        The sample indices of each micro-batch, ``B_k >= 1``; at least one micro-batch.

    Returns
    -------
    ndarray, shape (*)
        ``sum_k (B_k / B) grad_fn(params, idx_k)`` with ``B = sum_k B_k``, in the dtype of
        ``params``.

    Examples
    --------
    >>> # loss_i = (w - y_i)^2 / 2, mean gradient over idx: w - mean(y[idx])
    >>> y = np.array([1.0, 2.0, 3.0, 6.0])
    >>> grad_fn = lambda w, idx: w - y[idx].mean()
    >>> # micro-batches of 3 and 1 samples: 3/4 * (0 - 2) + 1/4 * (0 - 6) = -3 = 0 - mean(y)
    >>> accumulate_gradients(grad_fn, np.array(0.0), [np.array([0, 1, 2]), np.array([3])])
    array(-3.)
    """
    grad_fn = check_callable(grad_fn, "grad_fn")
    params = as_float_array(params, "params")
    if isinstance(micro_batches, (str, bytes)) or not isinstance(micro_batches, Sequence):
        raise TypeError(f"micro_batches must be a list of index arrays, got {type(micro_batches).__name__}")
    batches = [as_labels(idx, f"micro_batches[{k}]") for k, idx in enumerate(micro_batches)]
    if not batches:
        raise ValueError("micro_batches must hold at least one micro-batch, got an empty list")
    for k, idx in enumerate(batches):
        if idx.ndim != 1 or idx.size == 0:
            raise ValueError(f"micro_batches[{k}] must be a non-empty 1-D array of indices, got shape {idx.shape}")
    total = sum(idx.size for idx in batches)
    accumulated = np.zeros_like(params)
    for idx in batches:
        grad = as_callable_result(grad_fn(params, idx), "grad_fn", params.shape).astype(params.dtype, copy=False)
        # add this micro-batch's share B_k / B of its mean gradient to the buffer
        with nonfinite_errstate(grad):
            accumulated += grad * params.dtype.type(idx.size / total)
    return accumulated
# --8<-- [end:accumulate_gradients]
