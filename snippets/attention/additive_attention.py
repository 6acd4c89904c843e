"""Additive (Bahdanau) attention: the score of a query and a key is computed by a one-hidden-layer
network, ``w_v . tanh(W_q q + W_k k)``, instead of a dot product, so queries and keys may have
different sizes. Layout of d2l's ``AdditiveAttention`` (weights as ``nn.Linear`` stores them)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, as_labels, check_shape, propagates_nonfinite

__all__ = ["additive_attention", "additive_attention_backward"]


def _check_additive(
    queries: ArrayLike, keys: ArrayLike, values: ArrayLike, w_q: ArrayLike, w_k: ArrayLike, w_v: ArrayLike,
    valid_lens: Any,
) -> tuple[list[np.ndarray], np.ndarray]:
    """The six arrays in one float dtype with shapes checked, and the (N, Lq, S) "may attend" mask."""
    named = {"queries": queries, "keys": keys, "values": values, "w_q": w_q, "w_k": w_k, "w_v": w_v}
    arrays = {name: as_float_array(a, name) for name, a in named.items()}
    dtype = np.result_type(*arrays.values())
    a = {name: arr.astype(dtype, copy=False) for name, arr in arrays.items()}
    q, k, v = a["queries"], a["keys"], a["values"]
    if q.ndim != 3:
        raise ValueError(f"queries must be a 3-D array (N, Lq, Dq), got shape {q.shape}")
    n, lq, dq = q.shape
    if k.ndim != 3 or k.shape[0] != n:
        raise ValueError(f"keys must have shape (N, S, Dk) with N = {n} as in queries, got {k.shape}")
    s, dk = k.shape[1:]
    if v.ndim != 3 or v.shape[:2] != (n, s):
        raise ValueError(f"values must have shape (N, S, Dv) with (N, S) = {(n, s)} as in keys, got {v.shape}")
    if a["w_q"].ndim != 2:
        raise ValueError(f"w_q must be a 2-D array (h, Dq), got shape {a['w_q'].shape}")
    h = a["w_q"].shape[0]
    check_shape(a["w_q"], (h, dq), "w_q", "(h, Dq)", f"Dq = {dq} (queries)")
    check_shape(a["w_k"], (h, dk), "w_k", "(h, Dk)", f"h = {h} (w_q) and Dk = {dk} (keys)")
    check_shape(a["w_v"], (1, h), "w_v", "(1, h)", f"h = {h} (w_q)")
    allowed = np.ones((n, lq, s), dtype=bool)
    if valid_lens is not None:
        lens = as_labels(valid_lens, "valid_lens")
        if lens.shape not in ((n,), (n, lq)):
            raise ValueError(f"valid_lens must have shape (N,) = {(n,)} or (N, Lq) = {(n, lq)}, got {lens.shape}")
        if np.any(lens < 0):
            raise ValueError(f"valid_lens must be >= 0, got {lens.min()}")
        lens = lens[:, None] if lens.ndim == 1 else lens
        # key j is visible to query i of sequence b when j < valid_lens[b] (or [b, i])
        allowed = np.arange(s)[None, None, :] < lens[..., None]
    return [q, k, v, a["w_q"], a["w_k"], a["w_v"]], allowed


def _forward(q, k, v, w_q, w_k, w_v, allowed):
    """Hidden features T (N, Lq, S, h), weights P (N, Lq, S) and the output (N, Lq, Dv)."""
    # every query against every key: broadcast (N, Lq, 1, h) + (N, 1, S, h)
    t = np.tanh((q @ w_q.T)[:, :, None, :] + (k @ w_k.T)[:, None, :, :])
    scores = np.where(allowed, t @ w_v[0], -np.inf)
    # masked softmax over the keys; a query that may see no key gets zeros (as attention here)
    row_max = np.max(scores, axis=-1, keepdims=True, initial=-np.inf)
    e = np.exp(scores - np.where(np.isneginf(row_max), 0, row_max))
    total = np.sum(e, axis=-1, keepdims=True)
    p = e / np.where(total == 0, 1, total)
    return t, p, p @ v


# --8<-- [start:additive_attention]
@propagates_nonfinite
def additive_attention(
    queries: ArrayLike,
    keys: ArrayLike,
    values: ArrayLike,
    w_q: ArrayLike,
    w_k: ArrayLike,
    w_v: ArrayLike,
    valid_lens: ArrayLike | None = None,
) -> np.ndarray:
    """Additive attention: ``softmax_j(w_v . tanh(W_q q_i + W_k k_j)) v_j``.

    Parameters
    ----------
    queries : array_like, shape (N, Lq, Dq)
    keys : array_like, shape (N, S, Dk)
        Dk may differ from Dq.
    values : array_like, shape (N, S, Dv)
    w_q : array_like, shape (h, Dq)
        Query projection to h hidden units (``nn.Linear(Dq, h, bias=False).weight``).
    w_k : array_like, shape (h, Dk)
        Key projection.
    w_v : array_like, shape (1, h)
        The hidden layer's output weights (``nn.Linear(h, 1, bias=False).weight``).
    valid_lens : array_like of int, shape (N,) or (N, Lq), optional
        Only keys ``j < valid_lens`` are attended to (padding beyond). A valid length of 0 gives
        output 0 (d2l's ``masked_softmax`` gives the mean of all values there instead).

    Returns
    -------
    ndarray, shape (N, Lq, Dv)

    Examples
    --------
    h = 1 and all weights 1: score_j = tanh(q + k_j). Two equal keys score the same and weigh 1/2
    each, so the values (2, 6) give 4; valid_lens = [1] keeps key 0 only, which gives 2.

    >>> q, k, v, w = [[[0.0]]], [[[1.0], [1.0]]], [[[2.0], [6.0]]], [[1.0]]
    >>> additive_attention(q, k, v, w, w, w)
    array([[[4.]]])
    >>> additive_attention(q, k, v, w, w, w, valid_lens=[1])
    array([[[2.]]])
    """
    (q, k, v, w_q, w_k, w_v), allowed = _check_additive(queries, keys, values, w_q, w_k, w_v, valid_lens)
    return _forward(q, k, v, w_q, w_k, w_v, allowed)[2]
# --8<-- [end:additive_attention]


# --8<-- [start:additive_attention_backward]
@propagates_nonfinite
def additive_attention_backward(
    grad_out: ArrayLike,
    queries: ArrayLike,
    keys: ArrayLike,
    values: ArrayLike,
    w_q: ArrayLike,
    w_k: ArrayLike,
    w_v: ArrayLike,
    valid_lens: ArrayLike | None = None,
) -> tuple[np.ndarray, ...]:
    """Gradients of :func:`additive_attention` with respect to queries, keys, values, w_q, w_k, w_v.

    Parameters
    ----------
    grad_out : array_like, shape (N, Lq, Dv)
        Upstream gradient.
    queries, keys, values, w_q, w_k, w_v, valid_lens
        The forward arguments (valid_lens is not differentiated).

    Returns
    -------
    (dqueries, dkeys, dvalues, dw_q, dw_k, dw_v) : tuple of ndarrays, the shapes of the inputs

    Examples
    --------
    The forward example, g = 1: P = (1/2, 1/2), so dvalues = (1/2, 1/2). dP = (2, 6), dS = P
    (dP - 4) = (-1, 1); the two keys have the same hidden value tanh(1), so the score gradients
    cancel in dqueries, dw_q, dw_k and dw_v (sums of dS_j times equal numbers): 0, while
    dkeys_j = dS_j w_v (1 - tanh(1)^2) w_k = (-0.42, 0.42). (+ 0.0 turns -0.0 into 0.0.)

    >>> q, k, v, w = [[[0.0]]], [[[1.0], [1.0]]], [[[2.0], [6.0]]], [[1.0]]
    >>> grads = additive_attention_backward([[[1.0]]], q, k, v, w, w, w)
    >>> [(np.round(g.ravel(), 4) + 0.0).tolist() for g in grads]
    [[0.0], [-0.42, 0.42], [0.5, 0.5], [0.0], [0.0], [0.0]]
    """
    (q, k, v, w_q, w_k, w_v), allowed = _check_additive(queries, keys, values, w_q, w_k, w_v, valid_lens)
    t, p, out = _forward(q, k, v, w_q, w_k, w_v, allowed)
    g = as_grad_out(grad_out, out.shape, out.dtype)
    # out = P v
    dvalues = np.swapaxes(p, -1, -2) @ g
    dp = g @ np.swapaxes(v, -1, -2)
    # through the masked softmax (masked entries have P = 0)
    ds = p * (dp - np.sum(dp * p, axis=-1, keepdims=True))
    # score = T w_v: the output layer; then through tanh: dA = dT (1 - T^2)
    dw_v = np.einsum("nls,nlsh->h", ds, t)[None, :]
    da = ds[..., None] * w_v[0] * (1 - t * t)
    # A = (q W_q^T)_i + (k W_k^T)_j: each query collects over the keys, each key over the queries
    dqp, dkp = np.sum(da, axis=2), np.sum(da, axis=1)
    dw_q = np.einsum("nlh,nld->hd", dqp, q)
    dw_k = np.einsum("nsh,nsd->hd", dkp, k)
    return dqp @ w_q, dkp @ w_k, dvalues, dw_q, dw_k, dw_v
# --8<-- [end:additive_attention_backward]
