"""Self-attention: a sequence attends to itself — queries, keys and values are three linear
projections of the same tokens — optionally with a causal mask so that no token sees the future."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, check_shape, propagates_nonfinite
from snippets.attention.attention import (
    scaled_dot_product_attention,
    scaled_dot_product_attention_backward,
)

__all__ = ["causal_mask", "self_attention", "self_attention_backward"]


# --8<-- [start:causal_mask]
def causal_mask(L: int) -> np.ndarray:
    """The causal (look-ahead) mask for a sequence of ``L`` tokens: True where attending is allowed.

    Parameters
    ----------
    L : int
        Sequence length (non-negative).

    Returns
    -------
    ndarray of bool, shape (L, L)
        ``mask[i, j] = j <= i``: token i may attend to itself and the tokens before it. The same
        as ``torch.ones(L, L, dtype=torch.bool).tril()``, and what ``is_causal=True`` builds.

    Examples
    --------
    >>> causal_mask(3)
    array([[ True, False, False],
           [ True,  True, False],
           [ True,  True,  True]])
    """
    if isinstance(L, (bool, np.bool_)) or not isinstance(L, (int, np.integer)):
        raise TypeError(f"L must be an integer, got {type(L).__name__}")
    if L < 0:
        raise ValueError(f"L must be a non-negative sequence length, got {L}")
    # lower triangle, diagonal included
    return np.tril(np.ones((int(L), int(L)), dtype=bool))
# --8<-- [end:causal_mask]


def _check_self_attention(
    x: ArrayLike, w_q: ArrayLike, w_k: ArrayLike, w_v: ArrayLike
) -> list[np.ndarray]:
    """x (..., L, D) and the three projections (E, D), (E, D), (Ev, D), in one float dtype."""
    arrays = [as_float_array(a, name) for a, name in ((x, "x"), (w_q, "w_q"), (w_k, "w_k"), (w_v, "w_v"))]
    dtype = np.result_type(*arrays)
    x, w_q, w_k, w_v = (a.astype(dtype, copy=False) for a in arrays)
    if x.ndim < 2:
        raise ValueError(f"x must have shape (..., L, D) with at least 2 dimensions, got {x.shape}")
    d = x.shape[-1]
    if w_q.ndim != 2:
        raise ValueError(f"w_q must be a 2-D array (E, D), got shape {w_q.shape}")
    check_shape(w_q, (w_q.shape[0], d), "w_q", "(E, D)", f"input size D = {d}")
    check_shape(w_k, w_q.shape, "w_k", "(E, D)", f"E = {w_q.shape[0]} (from w_q) and D = {d}")
    if w_v.ndim != 2:
        raise ValueError(f"w_v must be a 2-D array (Ev, D), got shape {w_v.shape}")
    check_shape(w_v, (w_v.shape[0], d), "w_v", "(Ev, D)", f"input size D = {d}")
    return [x, w_q, w_k, w_v]


# --8<-- [start:self_attention]
@propagates_nonfinite
def self_attention(
    x: ArrayLike,
    w_q: ArrayLike,
    w_k: ArrayLike,
    w_v: ArrayLike,
    attn_mask: ArrayLike | None = None,
    is_causal: bool = False,
) -> np.ndarray:
    """Single-head self-attention: ``scaled_dot_product_attention(x w_q^T, x w_k^T, x w_v^T)``.

    Parameters
    ----------
    x : array_like, shape (..., L, D)
        A sequence of L tokens of size D (``...`` are batch dimensions).
    w_q, w_k : array_like, shape (E, D)
        Query and key projections, PyTorch's ``(out_features, in_features)`` layout, no bias.
    w_v : array_like, shape (Ev, D)
        Value projection.
    attn_mask : array_like, optional, broadcastable to (..., L, L)
        As in :func:`scaled_dot_product_attention`: boolean True = may attend, or additive.
    is_causal : bool, default False
        Token i attends to tokens 0..i only (the mask of :func:`causal_mask`).

    Returns
    -------
    ndarray, shape (..., L, Ev)
        One output per token, scaled by ``1 / sqrt(E)`` as usual.

    Examples
    --------
    With w_q = 0 every score is 0: without a mask each token gets the mean of all values; with
    the causal mask token i gets the mean of the values 0..i (here x itself, since w_v = 1).

    >>> x = [[1.0], [3.0], [8.0]]
    >>> self_attention(x, [[0.0]], [[1.0]], [[1.0]]).ravel()
    array([4., 4., 4.])
    >>> self_attention(x, [[0.0]], [[1.0]], [[1.0]], is_causal=True).ravel()
    array([1., 2., 4.])
    """
    x, w_q, w_k, w_v = _check_self_attention(x, w_q, w_k, w_v)
    # three projections of the same tokens: (..., L, D) @ (D, E) -> (..., L, E)
    q, k, v = x @ w_q.T, x @ w_k.T, x @ w_v.T
    return scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=is_causal)
# --8<-- [end:self_attention]


# --8<-- [start:self_attention_backward]
@propagates_nonfinite
def self_attention_backward(
    grad_out: ArrayLike,
    x: ArrayLike,
    w_q: ArrayLike,
    w_k: ArrayLike,
    w_v: ArrayLike,
    attn_mask: Any = None,
    is_causal: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`self_attention` with respect to x, w_q, w_k and w_v.

    Parameters
    ----------
    grad_out : array_like, shape (..., L, Ev)
        Upstream gradient.
    x, w_q, w_k, w_v, attn_mask, is_causal
        The forward arguments (the mask is not differentiated).

    Returns
    -------
    (dx, dw_q, dw_k, dw_v) : tuple of ndarrays shaped like x, w_q, w_k, w_v
        ``dx = dq w_q + dk w_k + dv w_v`` (x feeds all three projections, so the three paths add)
        and ``dw_q = sum over the batch of dq^T x``, likewise for k and v.

    Examples
    --------
    One token: its only weight is 1, so out = x w_v^T and the scores do not matter:
    dx = g w_v = 2 * 3, dw_v = g x = 2 * 5, and dw_q = dw_k = 0.

    >>> dx, dw_q, dw_k, dw_v = self_attention_backward([[2.0]], [[5.0]], [[1.0]], [[1.0]], [[3.0]])
    >>> print(dx, dw_q, dw_k, dw_v)
    [[6.]] [[0.]] [[0.]] [[10.]]
    """
    x, w_q, w_k, w_v = _check_self_attention(x, w_q, w_k, w_v)
    g = as_grad_out(grad_out, (*x.shape[:-1], w_v.shape[0]), x.dtype)
    q, k, v = x @ w_q.T, x @ w_k.T, x @ w_v.T
    dq, dk, dv = scaled_dot_product_attention_backward(g, q, k, v, attn_mask=attn_mask, is_causal=is_causal)
    # x feeds all three projections: the three gradients add
    dx = dq @ w_q + dk @ w_k + dv @ w_v
    # q = x W^T for every token of every sequence: sum the outer products over all of them
    x2 = x.reshape(-1, x.shape[-1])

    def weight_grad(d: np.ndarray) -> np.ndarray:
        return d.reshape(-1, d.shape[-1]).T @ x2

    return dx, weight_grad(dq), weight_grad(dk), weight_grad(dv)
# --8<-- [end:self_attention_backward]
