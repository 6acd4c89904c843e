"""Scaled dot-product attention: every query takes a softmax-weighted average of the values,
weighted by how well it matches each key. Layout and mask rules of
``torch.nn.functional.scaled_dot_product_attention``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_bool, as_float_array, as_grad_out, as_real_scalar, propagates_nonfinite

__all__ = ["scaled_dot_product_attention", "scaled_dot_product_attention_backward"]


def _check_attention(
    query: ArrayLike, key: ArrayLike, value: ArrayLike, attn_mask: Any, is_causal: Any, scale: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, bool, float]:
    """Validate the arguments of :func:`scaled_dot_product_attention`.

    Returns ``query, key, value`` in one float dtype (float32 only if all three are float32),
    the mask (a boolean array, a float array in that dtype, or None), ``is_causal`` and the scale.
    """
    arrays = [as_float_array(a, name) for a, name in ((query, "query"), (key, "key"), (value, "value"))]
    dtype = np.result_type(*arrays)
    q, k, v = (a.astype(dtype, copy=False) for a in arrays)
    if q.ndim < 2:
        raise ValueError(f"query must have shape (..., L, E) with at least 2 dimensions, got {q.shape}")
    batch, e = q.shape[:-2], q.shape[-1]
    if e == 0:
        raise ValueError(f"query must have a non-zero embedding size E, got shape {q.shape}")
    if k.shape[:-2] != batch or k.ndim != q.ndim or k.shape[-1] != e:
        raise ValueError(
            f"key must have shape (..., S, E) with ... = {batch} and E = {e} as in query of shape "
            f"{q.shape}, got {k.shape}"
        )
    if v.ndim != q.ndim or v.shape[:-2] != batch or v.shape[-2] != k.shape[-2]:
        raise ValueError(
            f"value must have shape (..., S, Ev) with ... = {batch} and S = {k.shape[-2]} as in key "
            f"of shape {k.shape}, got {v.shape}"
        )
    is_causal = as_bool(is_causal, "is_causal")
    scale = 1.0 / math.sqrt(e) if scale is None else as_real_scalar(scale, "scale")
    if attn_mask is None:
        return q, k, v, None, is_causal, scale
    if is_causal:
        raise ValueError("attn_mask must be None when is_causal=True (the causal mask is built in)")
    mask = np.asarray(attn_mask)
    if mask.dtype != np.bool_:  # anything else is an additive mask
        mask = as_float_array(mask, "attn_mask").astype(dtype, copy=False)
    scores = (*batch, q.shape[-2], k.shape[-2])
    if mask.ndim > len(scores) or any(m not in (1, s) for m, s in zip(mask.shape[::-1], scores[::-1])):
        raise ValueError(
            f"attn_mask must broadcast to the scores' shape (..., L, S) = {scores}, got {mask.shape}"
        )
    return q, k, v, mask, False, scale


# --8<-- [start:attention_weights]
def _attention_weights(
    q: np.ndarray, k: np.ndarray, mask: np.ndarray | None, is_causal: bool, scale: float
) -> np.ndarray:
    """The attention weights ``softmax(scale * q k^T + mask)``, shape (..., L, S).

    Masked-out positions get weight 0; a row in which every position is masked gets all zeros
    (what PyTorch returns), not the NaN that 0 / 0 would give.
    """
    # similarity of every query with every key: (..., L, E) @ (..., E, S) -> (..., L, S)
    scores = scale * (q @ np.swapaxes(k, -1, -2))
    if is_causal:  # query i may attend to keys 0..i only (lower triangle, top-left aligned)
        mask = np.tril(np.ones(scores.shape[-2:], dtype=bool))
    if mask is not None and mask.dtype == np.bool_:
        scores = np.where(mask, scores, -np.inf)  # True = may attend; False -> exp(-inf) = 0
    elif mask is not None:
        scores = scores + mask  # additive mask: -inf (or a large negative number) blocks
    # softmax over the keys, shifted by the row max so that exp cannot overflow; a fully masked
    # row has max -inf, which is replaced by 0 so that it gives exp(-inf) = 0 rather than NaN
    row_max = np.max(scores, axis=-1, keepdims=True, initial=-np.inf)
    e = np.exp(scores - np.where(np.isneginf(row_max), 0, row_max))
    total = np.sum(e, axis=-1, keepdims=True)
    return e / np.where(total == 0, 1, total)
# --8<-- [end:attention_weights]


# --8<-- [start:scaled_dot_product_attention]
@propagates_nonfinite
def scaled_dot_product_attention(
    query: ArrayLike,
    key: ArrayLike,
    value: ArrayLike,
    attn_mask: ArrayLike | None = None,
    is_causal: bool = False,
    scale: float | None = None,
) -> np.ndarray:
    """``softmax(query key^T * scale + mask) value``, as ``torch.nn.functional.scaled_dot_product_attention``.

    Parameters
    ----------
    query : array_like, shape (..., L, E)
        L queries of size E; ``...`` are batch dimensions (e.g. ``(N, heads)``).
    key : array_like, shape (..., S, E)
        S keys, the same batch dimensions and size E as the queries.
    value : array_like, shape (..., S, Ev)
        One value per key.
    attn_mask : array_like, optional, broadcastable to (..., L, S)
        Boolean: True marks the keys a query **may** attend to (PyTorch's convention for this
        function). Numeric: added to the scores before the softmax (use -inf to block).
    is_causal : bool, default False
        Let query i attend to keys 0..i only (``tril`` of an L x S matrix of ones). Must not be
        combined with ``attn_mask``.
    scale : float, optional
        Multiplies the scores; default ``1 / sqrt(E)``.

    Returns
    -------
    ndarray, shape (..., L, Ev)
        In the common float dtype of query, key and value. A query for which every key is masked
        gets a row of zeros, as in PyTorch.

    Examples
    --------
    A zero query matches both keys equally, so it returns the mean of the two values; with
    ``is_causal`` the first query sees only the first key.

    >>> scaled_dot_product_attention([[0.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]], [[1.0], [3.0]])
    array([[2.]])
    >>> scaled_dot_product_attention(np.zeros((2, 2)), np.eye(2), [[1.0], [3.0]], is_causal=True)
    array([[1.],
           [2.]])
    """
    q, k, v, mask, is_causal, scale = _check_attention(query, key, value, attn_mask, is_causal, scale)
    # each output row is a convex combination of the value rows
    return _attention_weights(q, k, mask, is_causal, scale) @ v
# --8<-- [end:scaled_dot_product_attention]


# --8<-- [start:scaled_dot_product_attention_backward]
@propagates_nonfinite
def scaled_dot_product_attention_backward(
    grad_out: ArrayLike,
    query: ArrayLike,
    key: ArrayLike,
    value: ArrayLike,
    attn_mask: ArrayLike | None = None,
    is_causal: bool = False,
    scale: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`scaled_dot_product_attention` with respect to query, key and value.

    Parameters
    ----------
    grad_out : array_like, shape (..., L, Ev)
        Upstream gradient dL/d(output).
    query, key, value, attn_mask, is_causal, scale
        The forward arguments (the mask is not differentiated).

    Returns
    -------
    (dq, dk, dv) : tuple of ndarrays, shapes (..., L, E), (..., S, E), (..., S, Ev)
        With P the attention weights, ``dv = P^T g``, ``dP = g v^T``,
        ``dS = P * (dP - rowsum(dP * P))``, ``dq = scale dS k`` and ``dk = scale dS^T q``.

    Examples
    --------
    A zero query: P = (1/2, 1/2), dv = P^T * 1 = (1/2, 1/2); dP = (1, 3), dS = P * (dP - 2) =
    (-1/2, 1/2), dq = dS k / sqrt(2) = (-1, 1) / (2 sqrt 2); dk = dS^T q / sqrt(2) = 0.

    >>> dq, dk, dv = scaled_dot_product_attention_backward(
    ...     [[1.0]], [[0.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]], [[1.0], [3.0]])
    >>> print(dq, dk, dv, sep="\\n")
    [[-0.35355339  0.35355339]]
    [[0. 0.]
     [0. 0.]]
    [[0.5]
     [0.5]]
    """
    q, k, v, mask, is_causal, scale = _check_attention(query, key, value, attn_mask, is_causal, scale)
    g = as_grad_out(grad_out, (*q.shape[:-1], v.shape[-1]), q.dtype)
    p = _attention_weights(q, k, mask, is_causal, scale)
    # out = P v: the gradients of a matrix product
    dv = np.swapaxes(p, -1, -2) @ g
    dp = g @ np.swapaxes(v, -1, -2)
    # through the row-wise softmax: dS = P * (dP - sum_j dP_j P_j); masked entries have P = 0
    ds = p * (dp - np.sum(dp * p, axis=-1, keepdims=True))
    # S = scale * q k^T
    return scale * (ds @ k), scale * (np.swapaxes(ds, -1, -2) @ q), dv
# --8<-- [end:scaled_dot_product_attention_backward]
