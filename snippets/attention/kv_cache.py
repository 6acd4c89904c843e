"""KV cache: autoregressive decoding one token at a time, keeping the keys and values of every
past position so that each step computes projections for the new token only. Step by step it
gives the rows of causal multi-head self-attention over the whole sequence."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, as_int, check_shape, propagates_nonfinite
from snippets.attention.attention import scaled_dot_product_attention, scaled_dot_product_attention_backward

__all__ = ["decode_step", "decode_step_backward"]


def _check_step(
    x_t: ArrayLike, k_cache: ArrayLike, v_cache: ArrayLike, w_q: ArrayLike, w_k: ArrayLike, w_v: ArrayLike,
    w_o: ArrayLike, num_heads: Any,
) -> tuple[list[np.ndarray], int]:
    """The seven arrays in one float dtype with their shapes checked, and H."""
    named = {"x_t": x_t, "k_cache": k_cache, "v_cache": v_cache, "w_q": w_q, "w_k": w_k, "w_v": w_v, "w_o": w_o}
    arrays = {name: as_float_array(a, name) for name, a in named.items()}
    dtype = np.result_type(*arrays.values())
    a = {name: arr.astype(dtype, copy=False) for name, arr in arrays.items()}
    if a["x_t"].ndim != 2:
        raise ValueError(f"x_t must be a 2-D array (N, E): one new token per sequence, got shape {a['x_t'].shape}")
    n, e = a["x_t"].shape
    h = as_int(num_heads, "num_heads")
    if h < 1 or e % h:
        raise ValueError(f"num_heads must be a positive divisor of the embedding size E = {e}, got {h}")
    kc = a["k_cache"]
    if kc.ndim != 4 or kc.shape[0] != n or kc.shape[1] != h or kc.shape[3] != e // h:
        raise ValueError(
            f"k_cache must have shape (N, H, T, E/H) with N = {n}, H = {h}, E/H = {e // h}, got {kc.shape}"
        )
    check_shape(a["v_cache"], kc.shape, "v_cache", "(N, H, T, E/H)", "the shape of k_cache")
    for name in ("w_q", "w_k", "w_v", "w_o"):
        check_shape(a[name], (e, e), name, "(E, E)", f"E = {e}")
    return [a[name] for name in named], h


def _heads(t: np.ndarray, h: int) -> np.ndarray:
    """(N, E) -> (N, H, 1, E/H): one position, its features split into H heads."""
    return t.reshape(t.shape[0], h, 1, t.shape[1] // h)


# --8<-- [start:decode_step]
@propagates_nonfinite
def decode_step(
    x_t: ArrayLike,
    k_cache: ArrayLike,
    v_cache: ArrayLike,
    w_q: ArrayLike,
    w_k: ArrayLike,
    w_v: ArrayLike,
    w_o: ArrayLike,
    num_heads: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One step of causal multi-head self-attention with a KV cache.

    The new token is projected to a query, a key and a value; the key and value are appended to
    the cache, and the query attends to every cached position and itself. Starting from empty
    caches (T = 0) and feeding tokens 0, 1, ..., the outputs are the rows of causal self-attention
    over the whole sequence (``scaled_dot_product_attention(..., is_causal=True)``).

    Parameters
    ----------
    x_t : array_like, shape (N, E)
        The new token of each of N sequences.
    k_cache, v_cache : array_like, shape (N, H, T, E/H)
        Keys and values of the T earlier positions, per head; T = 0 at the first step
        (``np.zeros((N, H, 0, E // H))``).
    w_q, w_k, w_v, w_o : array_like, shape (E, E)
        Query, key, value and output projections (no biases); head h owns rows
        ``h*E/H:(h+1)*E/H`` of w_q, w_k and w_v.
    num_heads : int
        H, a divisor of E.

    Returns
    -------
    out_t : ndarray, shape (N, E)
        The attention output of the new position.
    k_cache, v_cache : ndarrays, shape (N, H, T + 1, E/H)
        New arrays: the caches with the new key and value appended (the inputs are not modified).

    Examples
    --------
    E = 1, one head, identity weights. Step 0: the token 2 sees only itself, out = 2. Step 1
    (cached key 2, value 6): the token 0 has query, key and value 0, so both positions weigh 1/2:
    out = (6 + 0) / 2 = 3.

    >>> w = np.ones((1, 1))
    >>> out, k, v = decode_step([[2.0]], np.zeros((1, 1, 0, 1)), np.zeros((1, 1, 0, 1)), w, w, w, w, 1)
    >>> out.item(), k.shape
    (2.0, (1, 1, 1, 1))
    >>> out, k, v = decode_step([[0.0]], [[[[2.0]]]], [[[[6.0]]]], w, w, w, w, 1)
    >>> out.item(), v.ravel().tolist()
    (3.0, [6.0, 0.0])
    """
    (x, k_cache, v_cache, w_q, w_k, w_v, w_o), h = _check_step(x_t, k_cache, v_cache, w_q, w_k, w_v, w_o, num_heads)
    # project the new token only: the earlier keys and values are already in the cache
    q = _heads(x @ w_q.T, h)
    k = np.concatenate([k_cache, _heads(x @ w_k.T, h)], axis=2)
    v = np.concatenate([v_cache, _heads(x @ w_v.T, h)], axis=2)
    # the new query sees positions 0..T, i.e. everything cached and itself: causal by construction
    out = scaled_dot_product_attention(q, k, v)
    # merge the heads (N, H, 1, E/H) -> (N, E) and project
    return out.reshape(x.shape) @ w_o.T, k, v
# --8<-- [end:decode_step]


# --8<-- [start:decode_step_backward]
@propagates_nonfinite
def decode_step_backward(
    grad_out: ArrayLike,
    grad_k_cache: ArrayLike,
    grad_v_cache: ArrayLike,
    x_t: ArrayLike,
    k_cache: ArrayLike,
    v_cache: ArrayLike,
    w_q: ArrayLike,
    w_k: ArrayLike,
    w_v: ArrayLike,
    w_o: ArrayLike,
    num_heads: int,
) -> tuple[np.ndarray, ...]:
    """Gradients of :func:`decode_step` with respect to x_t, both caches and the four weights.

    Parameters
    ----------
    grad_out : array_like, shape (N, E)
        Upstream gradient for out_t.
    grad_k_cache, grad_v_cache : array_like, shape (N, H, T + 1, E/H)
        Upstream gradients for the returned caches (zeros if the caches are not used further).
    x_t, k_cache, v_cache, w_q, w_k, w_v, w_o, num_heads
        The forward arguments.

    Returns
    -------
    (dx_t, dk_cache, dv_cache, dw_q, dw_k, dw_v, dw_o) : tuple of ndarrays
        Shapes (N, E), (N, H, T, E/H) twice, (E, E) four times. A cached key receives the
        attention gradient plus its part of grad_k_cache; the new token's key and value send
        theirs back through w_k and w_v to x_t.

    Examples
    --------
    The second step of the forward example with grad_out = 1 and no gradient for the caches:
    P = (1/2, 1/2), so dv = P = (1/2, 1/2): 1/2 for the cached value, 1/2 for the new one (whose
    dw_v = 1/2 * x_t = 0). dS = P ((6, 0) - 3) = (3/2, -3/2), dq = dS . (2, 0) = 3, dk = dS q = 0;
    dx_t = dq w_q + dk_new w_k + dv_new w_v = 3 + 0 + 1/2; dw_o = out before w_o = 3.

    >>> w = np.ones((1, 1))
    >>> grads = decode_step_backward([[1.0]], np.zeros((1, 1, 2, 1)), np.zeros((1, 1, 2, 1)),
    ...                              [[0.0]], [[[[2.0]]]], [[[[6.0]]]], w, w, w, w, 1)
    >>> np.concatenate([g.ravel() for g in grads]) + 0.0  # dx_t, dk_cache, dv_cache, dw_q, dw_k, dw_v, dw_o
    array([3.5, 0. , 0.5, 0. , 0. , 0. , 3. ])
    """
    (x, k_cache, v_cache, w_q, w_k, w_v, w_o), h = _check_step(x_t, k_cache, v_cache, w_q, w_k, w_v, w_o, num_heads)
    n, e = x.shape
    t = k_cache.shape[2]
    g = as_grad_out(grad_out, x.shape, x.dtype)
    cache_shape = (n, h, t + 1, e // h)
    g_k = as_grad_out(grad_k_cache, cache_shape, x.dtype)
    g_v = as_grad_out(grad_v_cache, cache_shape, x.dtype)
    q = _heads(x @ w_q.T, h)
    k = np.concatenate([k_cache, _heads(x @ w_k.T, h)], axis=2)
    v = np.concatenate([v_cache, _heads(x @ w_v.T, h)], axis=2)
    merged = scaled_dot_product_attention(q, k, v).reshape(x.shape)
    # out = merged w_o^T
    dw_o = g.T @ merged
    dq, dk, dv = scaled_dot_product_attention_backward(_heads(g @ w_o, h), q, k, v)
    # the returned caches are k and v themselves: their upstream gradients add on
    dk, dv = dk + g_k, dv + g_v
    # positions 0..T-1 came from the caches, position T from the new token's projections
    dq_t, dk_t, dv_t = dq.reshape(x.shape), dk[:, :, t].reshape(x.shape), dv[:, :, t].reshape(x.shape)
    dx = dq_t @ w_q + dk_t @ w_k + dv_t @ w_v
    return dx, dk[:, :, :t], dv[:, :, :t], dq_t.T @ x, dk_t.T @ x, dv_t.T @ x, dw_o
# --8<-- [end:decode_step_backward]
