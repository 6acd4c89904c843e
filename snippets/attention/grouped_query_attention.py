"""Grouped-query attention (GQA): many query heads share fewer key/value heads. Each group of
Hq / Hkv consecutive query heads attends to the same key and value head, as
``torch.nn.functional.scaled_dot_product_attention(..., enable_gqa=True)``; Hkv = 1 is
multi-query attention (MQA), Hkv = Hq plain multi-head attention."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, propagates_nonfinite
from snippets.attention.attention import scaled_dot_product_attention, scaled_dot_product_attention_backward

__all__ = ["grouped_query_attention", "grouped_query_attention_backward"]


def _check_gqa(q: ArrayLike, k: ArrayLike, v: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """q, k, v in one float dtype with their shapes checked, and the group size G = Hq / Hkv."""
    arrays = [as_float_array(a, name) for a, name in ((q, "q"), (k, "k"), (v, "v"))]
    dtype = np.result_type(*arrays)
    q, k, v = (a.astype(dtype, copy=False) for a in arrays)
    if q.ndim != 4:
        raise ValueError(f"q must be a 4-D array (B, Hq, L, E), got shape {q.shape}")
    b, hq, _, e = q.shape
    if k.ndim != 4 or k.shape[0] != b or k.shape[3] != e:
        raise ValueError(f"k must have shape (B, Hkv, S, E) with B = {b} and E = {e} as in q, got {k.shape}")
    hkv = k.shape[1]
    if hkv == 0 or hq % hkv:
        raise ValueError(
            f"k must have a number of heads Hkv that divides the Hq = {hq} query heads, got Hkv = {hkv} "
            f"(k of shape {k.shape})"
        )
    if v.ndim != 4 or v.shape[:3] != k.shape[:3]:
        raise ValueError(f"v must have shape (B, Hkv, S, Ev) with (B, Hkv, S) = {k.shape[:3]} as in k, got {v.shape}")
    return q, k, v, hq // hkv


def _grouped(q: np.ndarray, k: np.ndarray, v: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Views with the group as its own axis: q (B, Hkv, G, L, E); k, v (B, Hkv, G, S, .) broadcast.

    Query head h = i * G + j is member j of group i, so it reads key/value head i = h // G.
    ``broadcast_to`` repeats k and v G times without copying them.
    """
    b, hq, length, e = q.shape
    hkv = hq // g
    q5 = q.reshape(b, hkv, g, length, e)
    k5 = np.broadcast_to(k[:, :, None], (b, hkv, g, *k.shape[2:]))
    v5 = np.broadcast_to(v[:, :, None], (b, hkv, g, *v.shape[2:]))
    return q5, k5, v5


# --8<-- [start:grouped_query_attention]
@propagates_nonfinite
def grouped_query_attention(q: ArrayLike, k: ArrayLike, v: ArrayLike, is_causal: bool = False) -> np.ndarray:
    """Attention in which groups of query heads share one key/value head.

    Equals ``torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=is_causal,
    enable_gqa=True)``: key/value head i serves query heads ``i*G .. (i+1)*G - 1``, G = Hq / Hkv
    (the layout of ``k.repeat_interleave(G, dim=1)``).

    Parameters
    ----------
    q : array_like, shape (B, Hq, L, E)
        B sequences of L queries in each of Hq heads.
    k : array_like, shape (B, Hkv, S, E)
        S keys in each of Hkv heads; Hkv must divide Hq (Hkv = 1: multi-query attention).
    v : array_like, shape (B, Hkv, S, Ev)
        One value per key.
    is_causal : bool, default False
        Query i attends to keys 0..i only (the top-left aligned lower triangle).

    Returns
    -------
    ndarray, shape (B, Hq, L, Ev)
        In the common float dtype of q, k and v.

    Examples
    --------
    Two query heads share one key/value head (MQA). The keys are equal, so every weight is 1/2
    and both heads return the mean of the values, (1 + 3) / 2 = 2 and (2 + 6) / 2 = 4.

    >>> q = np.array([[[[1.0]], [[-1.0]]]])           # (B, Hq, L, E) = (1, 2, 1, 1)
    >>> k = np.array([[[[0.5], [0.5]]]])              # (1, 1, 2, 1)
    >>> v = np.array([[[[1.0, 2.0], [3.0, 6.0]]]])    # (1, 1, 2, 2)
    >>> grouped_query_attention(q, k, v)
    array([[[[2., 4.]],
    <BLANKLINE>
            [[2., 4.]]]])
    """
    q, k, v, g = _check_gqa(q, k, v)
    b, hq, length, _ = q.shape
    # split the query heads into Hkv groups of G; each group meets its one key/value head
    out = scaled_dot_product_attention(*_grouped(q, k, v, g), is_causal=is_causal)
    # (B, Hkv, G, L, Ev) -> (B, Hq, L, Ev): the groups laid back side by side
    return out.reshape(b, hq, length, v.shape[-1])
# --8<-- [end:grouped_query_attention]


# --8<-- [start:grouped_query_attention_backward]
@propagates_nonfinite
def grouped_query_attention_backward(
    grad_out: ArrayLike, q: ArrayLike, k: ArrayLike, v: ArrayLike, is_causal: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`grouped_query_attention` with respect to q, k and v.

    Parameters
    ----------
    grad_out : array_like, shape (B, Hq, L, Ev)
        Upstream gradient dL/d(output).
    q, k, v, is_causal
        The forward arguments.

    Returns
    -------
    (dq, dk, dv) : tuple of ndarrays, shapes (B, Hq, L, E), (B, Hkv, S, E), (B, Hkv, S, Ev)
        Per query head, the gradients of attention; a shared key/value head receives the sum of
        the gradients of the G query heads that read it.

    Examples
    --------
    The example of :func:`grouped_query_attention` with grad_out = 1 everywhere. Each head has
    weights (1/2, 1/2), so dv = 1/2 per head and value entry; summed over the two heads, 1.
    Equal keys make every dk and dq 0 here: dS = P (dP - rowsum(P dP)) with dP_j = g . v_j =
    (3, 9), so dS = (1/2)((3, 9) - 6) = (-3/2, 3/2) in both heads; dq = dS k / sqrt(1) =
    -3/4 + 3/4 = 0; dk_j = sum over heads of dS_j q = (-3/2)(1 - 1) = 0 for key 0, likewise key 1.

    >>> q, k = np.array([[[[1.0]], [[-1.0]]]]), np.array([[[[0.5], [0.5]]]])
    >>> v, g = np.array([[[[1.0, 2.0], [3.0, 6.0]]]]), np.ones((1, 2, 1, 2))
    >>> dq, dk, dv = grouped_query_attention_backward(g, q, k, v)
    >>> print(dq.ravel(), dk.ravel(), dv.ravel())
    [0. 0.] [0. 0.] [1. 1. 1. 1.]
    """
    q, k, v, g = _check_gqa(q, k, v)
    grad = as_grad_out(grad_out, (*q.shape[:-1], v.shape[-1]), q.dtype)
    b, hq, length, e = q.shape
    hkv = hq // g
    # attention's gradients for each query head against its (broadcast) key/value head
    dq5, dk5, dv5 = scaled_dot_product_attention_backward(
        grad.reshape(b, hkv, g, length, v.shape[-1]), *_grouped(q, k, v, g), is_causal=is_causal
    )
    # a key/value head used by G query heads: its gradient is the sum over the group
    return dq5.reshape(q.shape), dk5.sum(axis=2), dv5.sum(axis=2)
# --8<-- [end:grouped_query_attention_backward]
