"""Multi-head attention: several attentions side by side, each on its own slice of learned
projections of the queries, keys and values, their outputs concatenated and projected back.
The weights are laid out as in ``torch.nn.MultiheadAttention``."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, check_shape, propagates_nonfinite
from snippets.attention.attention import scaled_dot_product_attention

__all__ = ["multi_head_attention"]


def _check_mha(
    query: ArrayLike, key: ArrayLike, value: ArrayLike, num_heads: Any,
    in_proj_weight: ArrayLike, in_proj_bias: ArrayLike | None,
    out_proj_weight: ArrayLike, out_proj_bias: ArrayLike | None,
) -> list[np.ndarray]:
    """Every array in one float dtype, the shapes checked; a missing bias becomes zeros."""
    named = {"query": query, "key": key, "value": value, "in_proj_weight": in_proj_weight,
             "out_proj_weight": out_proj_weight}
    if in_proj_bias is not None:
        named["in_proj_bias"] = in_proj_bias
    if out_proj_bias is not None:
        named["out_proj_bias"] = out_proj_bias
    arrays = {name: as_float_array(a, name) for name, a in named.items()}
    dtype = np.result_type(*arrays.values())
    arrays = {name: a.astype(dtype, copy=False) for name, a in arrays.items()}
    q, k, v = arrays["query"], arrays["key"], arrays["value"]
    if q.ndim != 3:
        raise ValueError(f"query must be a 3-D array (N, L, E), got shape {q.shape}")
    n, _, e = q.shape
    if k.ndim != 3 or k.shape[0] != n or k.shape[2] != e:
        raise ValueError(f"key must have shape (N, S, E) with N = {n} and E = {e} as in query, got {k.shape}")
    check_shape(v, k.shape, "value", "(N, S, E)", f"N = {n}, S = {k.shape[1]}, E = {e} (the shape of key)")
    if isinstance(num_heads, (bool, np.bool_)) or not isinstance(num_heads, (int, np.integer)):
        raise TypeError(f"num_heads must be an integer, got {type(num_heads).__name__}")
    if num_heads < 1 or e % num_heads:
        raise ValueError(f"num_heads must be a positive divisor of the embedding size E = {e}, got {num_heads}")
    where = f"embedding size E = {e}"
    check_shape(arrays["in_proj_weight"], (3 * e, e), "in_proj_weight", "(3E, E)", where)
    check_shape(arrays["out_proj_weight"], (e, e), "out_proj_weight", "(E, E)", where)
    b_in = arrays.get("in_proj_bias", np.zeros(3 * e, dtype=dtype))
    b_out = arrays.get("out_proj_bias", np.zeros(e, dtype=dtype))
    check_shape(b_in, (3 * e,), "in_proj_bias", "(3E,)", where)
    check_shape(b_out, (e,), "out_proj_bias", "(E,)", where)
    return [q, k, v, arrays["in_proj_weight"], b_in, arrays["out_proj_weight"], b_out]


# --8<-- [start:multi_head_attention]
@propagates_nonfinite
def multi_head_attention(
    query: ArrayLike,
    key: ArrayLike,
    value: ArrayLike,
    num_heads: int,
    in_proj_weight: ArrayLike,
    in_proj_bias: ArrayLike | None,
    out_proj_weight: ArrayLike,
    out_proj_bias: ArrayLike | None,
    attn_mask: ArrayLike | None = None,
    is_causal: bool = False,
) -> np.ndarray:
    """Multi-head attention, the output of ``torch.nn.MultiheadAttention(E, num_heads, batch_first=True)``.

    .. warning::
       A **boolean** ``attn_mask`` here means True = **may attend**, the convention of
       :func:`scaled_dot_product_attention`. ``torch.nn.MultiheadAttention`` reads a boolean
       mask the other way round (True = **not** allowed): pass ``~torch_mask`` here, and
       ``~mask`` to PyTorch. Additive (float) masks mean the same in both.

    Parameters
    ----------
    query : array_like, shape (N, L, E)
        N sequences of L queries of size E (``batch_first=True`` layout).
    key, value : array_like, shape (N, S, E)
        S keys and values per sequence (for self-attention all three are the same array).
    num_heads : int
        H, a divisor of E; each head works on E / H dimensions.
    in_proj_weight : array_like, shape (3E, E)
        The query, key and value projections stacked (``in_proj_weight``); rows
        ``h*E/H:(h+1)*E/H`` of each third belong to head h.
    in_proj_bias : array_like, shape (3E,), or None
        Their biases (``in_proj_bias``); None means no bias.
    out_proj_weight : array_like, shape (E, E)
        The output projection (``out_proj.weight``).
    out_proj_bias : array_like, shape (E,), or None
        Its bias (``out_proj.bias``); None means no bias.
    attn_mask : array_like, optional, broadcastable to (N, H, L, S)
        Boolean, **True = may attend**; or numeric, added to the scores. ``(L, S)`` applies to
        every sequence and head; ``(N, 1, 1, S)`` is a key-padding mask.
    is_causal : bool, default False
        Apply the causal mask (query i sees keys 0..i); must not be combined with ``attn_mask``.

    Returns
    -------
    ndarray, shape (N, L, E)
        ``concat_h(attention_h) W_out^T + b_out``, in the common float dtype of the arrays. A
        query that may attend to nothing gets ``out_proj_bias`` (its attention output is 0).

    Examples
    --------
    One head, E = 1, identity projections: each query averages the values it matches; with the
    query 0 both keys match equally, so the output is the mean value (1 + 3) / 2 = 2.

    >>> w_in, w_out = np.ones((3, 1)), np.ones((1, 1))
    >>> multi_head_attention([[[0.0]]], [[[1.0], [5.0]]], [[[1.0], [3.0]]], 1, w_in, None, w_out, None)
    array([[[2.]]])
    """
    q, k, v, w_in, b_in, w_out, b_out = _check_mha(
        query, key, value, num_heads, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias
    )
    n, length, e = q.shape
    # the three input projections: rows 0:E of the stacked weight are W_q, E:2E W_k, 2E:3E W_v
    w_q, w_k, w_v = np.split(w_in, 3)
    b_q, b_k, b_v = np.split(b_in, 3)

    def heads(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
        # project, then split the E features into H heads of E/H: (N, T, E) -> (N, H, T, E/H)
        projected = x @ w.T + b
        return projected.reshape(n, x.shape[1], num_heads, e // num_heads).transpose(0, 2, 1, 3)

    # every head attends independently, with the scale 1/sqrt(E/H) of its own size
    out = scaled_dot_product_attention(
        heads(q, w_q, b_q), heads(k, w_k, b_k), heads(v, w_v, b_v),
        attn_mask=attn_mask, is_causal=is_causal,
    )
    # concatenate the heads back to (N, L, E), then the output projection mixes them
    return out.transpose(0, 2, 1, 3).reshape(n, length, e) @ w_out.T + b_out
# --8<-- [end:multi_head_attention]
