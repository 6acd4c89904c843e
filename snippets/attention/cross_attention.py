"""Cross-attention: the queries come from one sequence, the keys and values from another (the
context), as in a Transformer decoder reading its encoder's output. Multi-head, without biases,
with the weights of ``torch.nn.MultiheadAttention(E, num_heads, bias=False, kdim=Ec, vdim=Ec)``."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, as_int, check_shape, propagates_nonfinite
from snippets.attention.attention import scaled_dot_product_attention, scaled_dot_product_attention_backward

__all__ = ["cross_attention", "cross_attention_backward"]


def _check_cross(
    x: ArrayLike, context: ArrayLike, w_q: ArrayLike, w_k: ArrayLike, w_v: ArrayLike, w_o: ArrayLike,
    num_heads: Any, key_padding_mask: Any,
) -> tuple[list[np.ndarray], int, np.ndarray | None]:
    """The six arrays in one float dtype with their shapes checked, H, and the mask as
    attention's "may attend" mask of shape (N, 1, 1, S) (or None)."""
    named = {"x": x, "context": context, "w_q": w_q, "w_k": w_k, "w_v": w_v, "w_o": w_o}
    arrays = {name: as_float_array(a, name) for name, a in named.items()}
    dtype = np.result_type(*arrays.values())
    a = {name: arr.astype(dtype, copy=False) for name, arr in arrays.items()}
    if a["x"].ndim != 3:
        raise ValueError(f"x must be a 3-D array (N, L, E), got shape {a['x'].shape}")
    n, _, e = a["x"].shape
    if a["context"].ndim != 3 or a["context"].shape[0] != n:
        raise ValueError(f"context must have shape (N, S, Ec) with N = {n} as in x, got {a['context'].shape}")
    source, ec = a["context"].shape[1:]
    num_heads = as_int(num_heads, "num_heads")
    if num_heads < 1 or e % num_heads:
        raise ValueError(f"num_heads must be a positive divisor of the embedding size E = {e}, got {num_heads}")
    where = f"E = {e} (x) and Ec = {ec} (context)"
    check_shape(a["w_q"], (e, e), "w_q", "(E, E)", where)
    check_shape(a["w_k"], (e, ec), "w_k", "(E, Ec)", where)
    check_shape(a["w_v"], (e, ec), "w_v", "(E, Ec)", where)
    check_shape(a["w_o"], (e, e), "w_o", "(E, E)", where)
    mask = None
    if key_padding_mask is not None:
        pad = np.asarray(key_padding_mask)
        if pad.dtype != np.bool_:
            raise TypeError(f"key_padding_mask must be a boolean array (True = padding), got dtype {pad.dtype}")
        if pad.shape != (n, source):
            raise ValueError(f"key_padding_mask must have shape (N, S) = {(n, source)} as x and context, got {pad.shape}")
        # PyTorch's key_padding_mask: True = a padded key, ignored; attention's mask: True = may attend
        mask = ~pad[:, None, None, :]
    return [a[name] for name in named], num_heads, mask


def _split_heads(t: np.ndarray, h: int) -> np.ndarray:
    """(N, T, E) -> (N, H, T, E/H): head h owns features h*E/H:(h+1)*E/H."""
    n, length, e = t.shape
    return t.reshape(n, length, h, e // h).transpose(0, 2, 1, 3)


def _merge_heads(t: np.ndarray) -> np.ndarray:
    """(N, H, T, d) -> (N, T, H d): the heads' outputs side by side."""
    n, h, length, d = t.shape
    return t.transpose(0, 2, 1, 3).reshape(n, length, h * d)


# --8<-- [start:cross_attention]
@propagates_nonfinite
def cross_attention(
    x: ArrayLike,
    context: ArrayLike,
    w_q: ArrayLike,
    w_k: ArrayLike,
    w_v: ArrayLike,
    w_o: ArrayLike,
    num_heads: int,
    key_padding_mask: ArrayLike | None = None,
) -> np.ndarray:
    """Multi-head attention of the sequence ``x`` over the sequence ``context``.

    Queries are projections of x, keys and values projections of context; the output has one
    row per row of x. Equals ``torch.nn.MultiheadAttention(E, num_heads, bias=False, kdim=Ec,
    vdim=Ec, batch_first=True)(x, context, context)`` with ``q_proj_weight = w_q``,
    ``k_proj_weight = w_k``, ``v_proj_weight = w_v`` and ``out_proj.weight = w_o``.

    Parameters
    ----------
    x : array_like, shape (N, L, E)
        The sequences that ask (e.g. decoder states).
    context : array_like, shape (N, S, Ec)
        The sequences that are read (e.g. encoder outputs); S and Ec may differ from L and E.
    w_q : array_like, shape (E, E)
        Query projection.
    w_k, w_v : array_like, shape (E, Ec)
        Key and value projections, from the context's Ec features to E.
    w_o : array_like, shape (E, E)
        Output projection.
    num_heads : int
        H, a divisor of E; head h uses features ``h*E/H:(h+1)*E/H`` of each projection.
    key_padding_mask : array_like of bool, shape (N, S), optional
        PyTorch's convention: **True marks a padded context position**, which no query attends
        to. A sequence whose keys are all padded gets output 0 (as PyTorch 2.13).

    Returns
    -------
    ndarray, shape (N, L, E)
        ``concat_h(softmax(Q_h K_h^T / sqrt(E/H)) V_h) w_o^T``, in the common float dtype.

    Examples
    --------
    One head, E = Ec = 1, identity weights. The query 0 matches both context positions equally:
    the output is the mean of the context, (2 + 6) / 2 = 4; with position 1 padded, it is 2.

    >>> w = np.ones((1, 1))
    >>> cross_attention([[[0.0]]], [[[2.0], [6.0]]], w, w, w, w, 1)
    array([[[4.]]])
    >>> cross_attention([[[0.0]]], [[[2.0], [6.0]]], w, w, w, w, 1, key_padding_mask=[[False, True]])
    array([[[2.]]])
    """
    (x, context, w_q, w_k, w_v, w_o), h, mask = _check_cross(x, context, w_q, w_k, w_v, w_o, num_heads, key_padding_mask)
    # queries from x, keys and values from the context, each split into H heads
    q = _split_heads(x @ w_q.T, h)
    k = _split_heads(context @ w_k.T, h)
    v = _split_heads(context @ w_v.T, h)
    # every query row attends over the S context rows (scale 1/sqrt(E/H), PyTorch's)
    heads = scaled_dot_product_attention(q, k, v, attn_mask=mask)
    # the heads side by side, mixed by the output projection
    return _merge_heads(heads) @ w_o.T
# --8<-- [end:cross_attention]


# --8<-- [start:cross_attention_backward]
@propagates_nonfinite
def cross_attention_backward(
    grad_out: ArrayLike,
    x: ArrayLike,
    context: ArrayLike,
    w_q: ArrayLike,
    w_k: ArrayLike,
    w_v: ArrayLike,
    w_o: ArrayLike,
    num_heads: int,
    key_padding_mask: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`cross_attention` with respect to x, context, w_q, w_k, w_v and w_o.

    Parameters
    ----------
    grad_out : array_like, shape (N, L, E)
        Upstream gradient dL/d(output).
    x, context, w_q, w_k, w_v, w_o, num_heads, key_padding_mask
        The forward arguments (the mask is not differentiated).

    Returns
    -------
    (dx, dcontext, dw_q, dw_k, dw_v, dw_o) : tuple of ndarrays
        Shapes (N, L, E), (N, S, Ec), (E, E), (E, Ec), (E, Ec), (E, E). The context receives
        gradient through both its keys and its values: ``dcontext = dK w_k + dV w_v``.

    Examples
    --------
    The forward example, g = 1: out = 4 = mean of the values, so dw_o = concat^T g = 4;
    attention's dv = P^T w_o^T g = (1/2, 1/2) and dw_v = sum_j dv_j c_j = (2 + 6) / 2 = 4,
    dcontext_j = dv_j w_v + dk_j w_k with dk = dS q = 0 (q = 0): (1/2, 1/2). dS = P (dP - 4) =
    (1/2)((2, 6) - 4) = (-1, 1), so dq = dS k = 4 = dx (w_q = 1), while dw_q = dq x = 0 and
    dw_k = sum_j dk_j c_j = 0.

    >>> w = np.ones((1, 1))
    >>> grads = cross_attention_backward([[[1.0]]], [[[0.0]]], [[[2.0], [6.0]]], w, w, w, w, 1)
    >>> [g.ravel().tolist() for g in grads]
    [[4.0], [0.5, 0.5], [0.0], [0.0], [4.0], [4.0]]
    """
    (x, context, w_q, w_k, w_v, w_o), h, mask = _check_cross(x, context, w_q, w_k, w_v, w_o, num_heads, key_padding_mask)
    g = as_grad_out(grad_out, x.shape, x.dtype)
    q_in, k_in, v_in = x @ w_q.T, context @ w_k.T, context @ w_v.T
    q, k, v = _split_heads(q_in, h), _split_heads(k_in, h), _split_heads(v_in, h)
    concat = _merge_heads(scaled_dot_product_attention(q, k, v, attn_mask=mask))
    # out = concat w_o^T: a linear map, summed over the batch and positions for the weight
    dw_o = np.einsum("nle,nlf->ef", g, concat)
    d_heads = _split_heads(g @ w_o, h)
    # through attention, head by head, then the heads merged back to (N, T, E)
    dq, dk, dv = (_merge_heads(d) for d in scaled_dot_product_attention_backward(d_heads, q, k, v, attn_mask=mask))
    # the three input projections; the context feeds both keys and values
    dx = dq @ w_q
    dcontext = dk @ w_k + dv @ w_v
    dw_q = np.einsum("nle,nlf->ef", dq, x)
    dw_k = np.einsum("nse,nsf->ef", dk, context)
    dw_v = np.einsum("nse,nsf->ef", dv, context)
    return dx, dcontext, dw_q, dw_k, dw_v, dw_o
# --8<-- [end:cross_attention_backward]
