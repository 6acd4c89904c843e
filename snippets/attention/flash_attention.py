"""FlashAttention: exact attention computed one tile of keys at a time with an online softmax, so
that the (L, S) matrix of scores is never held in memory whole. Same result as
``torch.nn.functional.scaled_dot_product_attention``; only the order of the arithmetic differs."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_bool, as_float_array, as_grad_out, as_int, check_axis, propagates_nonfinite

__all__ = ["online_softmax", "online_softmax_backward", "flash_attention", "flash_attention_backward"]


# --8<-- [start:online_softmax]
@propagates_nonfinite
def online_softmax(x: ArrayLike, block_size: int = 64, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``, its normaliser found in one pass over blocks of ``block_size`` entries.

    The running maximum m and the running sum l of exp(x - m) are updated block by block; when
    the maximum grows, the sum so far is rescaled by exp(m_old - m_new) (Milakov & Gimelshein,
    2018). A second pass writes exp(x - m) / l.

    Parameters
    ----------
    x : array_like, shape (*)
        Scores.
    block_size : int, default 64
        Entries read per step, >= 1.
    axis : int, default -1
        The axis to normalise (PyTorch's ``dim``).

    Returns
    -------
    ndarray, shape of x
        ``softmax(x, axis)``, in the float dtype of x. As ``torch.softmax``: a slice that is all
        -inf gives NaN.

    Examples
    --------
    Blocks of 2: (0, ln 3) gives m = ln 3, l = 1/3 + 1; the block (ln 3,) leaves both unchanged
    except l += 1: l = 7/3, and the result is (1/3, 1, 1) / (7/3) = (1/7, 3/7, 3/7).

    >>> online_softmax([0.0, np.log(3), np.log(3)], block_size=2) * 7
    array([1., 3., 3.])
    """
    x = as_float_array(x, "x")
    block_size = as_int(block_size, "block_size", low=1)
    axis = check_axis(axis, x.ndim, x.shape)
    z = np.moveaxis(x, axis, -1)
    m = np.full((*z.shape[:-1], 1), -np.inf, dtype=z.dtype)
    l = np.zeros_like(m)
    for start in range(0, z.shape[-1], block_size):
        block = z[..., start : start + block_size]
        # the new running maximum; the old sum was taken relative to the old one: rescale it
        m_new = np.maximum(m, np.max(block, axis=-1, keepdims=True))
        safe = np.where(np.isneginf(m_new), 0, m_new)  # nothing seen yet but -inf: keep 0 terms
        l = l * np.exp(m - safe) + np.sum(np.exp(block - safe), axis=-1, keepdims=True)
        m = m_new
    # second pass: every exponent is <= 0, and l >= 1 (the maximum's own term)
    return np.moveaxis(np.exp(z - m) / l, -1, axis)
# --8<-- [end:online_softmax]


# --8<-- [start:online_softmax_backward]
@propagates_nonfinite
def online_softmax_backward(grad_out: ArrayLike, x: ArrayLike, block_size: int = 64, axis: int = -1) -> np.ndarray:
    """Gradient of :func:`online_softmax` with respect to x (that of softmax: the blocks are exact).

    Parameters
    ----------
    grad_out : array_like, shape of x
        Upstream gradient dL/dp.
    x, block_size, axis
        The forward arguments.

    Returns
    -------
    ndarray, shape of x
        ``p * (grad_out - sum(grad_out * p, axis))`` with p = online_softmax(x).

    Examples
    --------
    Two equal scores: p = (1/2, 1/2); g = (1, 0): sum(g p) = 1/2, so dx = p (g - 1/2) = (1/4, -1/4).

    >>> online_softmax_backward([1.0, 0.0], [5.0, 5.0], block_size=1)
    array([ 0.25, -0.25])
    """
    x = as_float_array(x, "x")
    p = online_softmax(x, block_size, axis)
    axis = check_axis(axis, x.ndim, x.shape)
    g = as_grad_out(grad_out, p.shape, p.dtype)
    # the softmax Jacobian applied to g: diag(p) - p p^T
    return p * (g - np.sum(g * p, axis=axis, keepdims=True))
# --8<-- [end:online_softmax_backward]


def _check_flash(q: ArrayLike, k: ArrayLike, v: ArrayLike, block_size: Any, is_causal: Any) -> tuple:
    """q, k, v in one float dtype with their shapes checked, the block size and the flag."""
    arrays = [as_float_array(a, name) for a, name in ((q, "q"), (k, "k"), (v, "v"))]
    dtype = np.result_type(*arrays)
    q, k, v = (a.astype(dtype, copy=False) for a in arrays)
    if q.ndim < 2 or q.shape[-1] == 0:
        raise ValueError(f"q must have shape (..., L, E) with E > 0, got {q.shape}")
    batch, e = q.shape[:-2], q.shape[-1]
    if k.ndim != q.ndim or k.shape[:-2] != batch or k.shape[-1] != e:
        raise ValueError(f"k must have shape (..., S, E) with ... = {batch} and E = {e} as in q, got {k.shape}")
    if v.ndim != q.ndim or v.shape[:-1] != k.shape[:-1]:
        raise ValueError(f"v must have shape (..., S, Ev) with (..., S) = {k.shape[:-1]} as in k, got {v.shape}")
    return q, k, v, as_int(block_size, "block_size", low=1), as_bool(is_causal, "is_causal")


def _score_tile(q: np.ndarray, k_tile: np.ndarray, start: int, is_causal: bool) -> np.ndarray:
    """Scaled scores of all queries against keys start..start+T-1: shape (..., L, T), never (L, S)."""
    s = (1.0 / math.sqrt(q.shape[-1])) * (q @ np.swapaxes(k_tile, -1, -2))
    if is_causal:  # query i may see key j only if j <= i (top-left aligned, as PyTorch)
        rows = np.arange(q.shape[-2])[:, None]
        cols = start + np.arange(k_tile.shape[-2])[None, :]
        s = np.where(cols <= rows, s, -np.inf)
    return s


def _flash_forward(
    q: np.ndarray, k: np.ndarray, v: np.ndarray, block_size: int, is_causal: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The output, and per query the running maximum m and the sum l of exp(score - m)."""
    length, source = q.shape[-2], k.shape[-2]
    m = np.full((*q.shape[:-1], 1), -np.inf, dtype=q.dtype)
    l = np.zeros_like(m)
    acc = np.zeros((*q.shape[:-1], v.shape[-1]), dtype=q.dtype)
    # causal: a tile that starts after the last query is invisible to every query, stop there
    stop = min(source, length) if is_causal else source
    for start in range(0, stop, block_size):
        k_tile, v_tile = k[..., start : start + block_size, :], v[..., start : start + block_size, :]
        s = _score_tile(q, k_tile, start, is_causal)
        # online softmax: raise the running max, rescale what was summed under the old one
        m_new = np.maximum(m, np.max(s, axis=-1, keepdims=True))
        safe = np.where(np.isneginf(m_new), 0, m_new)
        rescale = np.exp(m - safe)
        p = np.exp(s - safe)  # unnormalised weights of this tile
        l = l * rescale + np.sum(p, axis=-1, keepdims=True)
        acc = acc * rescale + p @ v_tile
        m = m_new
    # normalise once at the end; a query that saw no key (S = 0) keeps 0, as PyTorch
    return acc / np.where(l == 0, 1, l), m, l


# --8<-- [start:flash_attention]
@propagates_nonfinite
def flash_attention(
    q: ArrayLike, k: ArrayLike, v: ArrayLike, block_size: int = 64, is_causal: bool = False
) -> np.ndarray:
    """Scaled dot-product attention, tile by tile: ``scaled_dot_product_attention(q, k, v)``.

    Keys and values are read in tiles of ``block_size``; for each tile the scores of all queries
    against its keys, shape (..., L, block_size), are folded into a running maximum, a running
    sum and a running output (Dao et al., 2022). No array of shape (..., L, S) is created.

    Parameters
    ----------
    q : array_like, shape (..., L, E)
        Queries; ``...`` are batch dimensions (e.g. ``(B, heads)``).
    k : array_like, shape (..., S, E)
        Keys, the same batch dimensions and size E.
    v : array_like, shape (..., S, Ev)
        One value per key.
    block_size : int, default 64
        Keys per tile, >= 1. Any value gives the same result up to rounding.
    is_causal : bool, default False
        Query i attends to keys 0..i only; tiles no query can see are skipped.

    Returns
    -------
    ndarray, shape (..., L, Ev)
        ``softmax(q k^T / sqrt(E)) v`` in the common float dtype of q, k and v.

    Examples
    --------
    Tiles of one key. Scores (0, ln 3) / sqrt(1): the first tile gives m = 0, l = 1, acc = 4;
    the second raises m to ln 3, rescales by exp(0 - ln 3) = 1/3 and adds its own term 1:
    l = 4/3, acc = 4/3 + 8 = 28/3; out = acc / l = 7.

    >>> flash_attention([[1.0]], [[0.0], [np.log(3)]], [[4.0], [8.0]], block_size=1)
    array([[7.]])
    """
    q, k, v, block_size, is_causal = _check_flash(q, k, v, block_size, is_causal)
    return _flash_forward(q, k, v, block_size, is_causal)[0]
# --8<-- [end:flash_attention]


# --8<-- [start:flash_attention_backward]
@propagates_nonfinite
def flash_attention_backward(
    grad_out: ArrayLike, q: ArrayLike, k: ArrayLike, v: ArrayLike, block_size: int = 64, is_causal: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`flash_attention` with respect to q, k and v, tile by tile.

    The forward pass is run again to get each query's m and l (and the output); then, for each
    tile of keys, its weights P = exp(S - m) / l are recomputed and used at once (FlashAttention's
    recomputation): no (L, S) array here either.

    Parameters
    ----------
    grad_out : array_like, shape (..., L, Ev)
        Upstream gradient dL/d(output).
    q, k, v, block_size, is_causal
        The forward arguments.

    Returns
    -------
    (dq, dk, dv) : tuple of ndarrays, shapes (..., L, E), (..., S, E), (..., S, Ev)
        Those of attention: ``dv = P^T g``, ``dS = P * (g v^T - D)`` with the row sums
        ``D = rowsum(g * out)``, ``dq = dS k / sqrt(E)``, ``dk = dS^T q / sqrt(E)``.

    Examples
    --------
    The forward example, g = 1: P = (1/4, 3/4), out = 7, D = 7; dv = P = (1/4, 3/4);
    dS = P * ((4, 8) - 7) = (-3/4, 3/4); dq = dS k = 3/4 ln 3 = 0.824; dk = dS q = (-3/4, 3/4).

    >>> dq, dk, dv = flash_attention_backward([[1.0]], [[1.0]], [[0.0], [np.log(3)]], [[4.0], [8.0]], block_size=1)
    >>> print(dq.round(4), dk.ravel(), dv.ravel())
    [[0.824]] [-0.75  0.75] [0.25 0.75]
    """
    q, k, v, block_size, is_causal = _check_flash(q, k, v, block_size, is_causal)
    g = as_grad_out(grad_out, (*q.shape[:-1], v.shape[-1]), q.dtype)
    out, m, l = _flash_forward(q, k, v, block_size, is_causal)
    safe_m, safe_l = np.where(np.isneginf(m), 0, m), np.where(l == 0, 1, l)
    # D_i = sum_j P_ij dP_ij = g_i . out_i: the softmax backward's row term, without P (as
    # FlashAttention-2; where one key takes all the weight, dS is then a rounding error of
    # order eps |g| |v| rather than exactly 0, within attention's error bound)
    d = np.sum(g * out, axis=-1, keepdims=True)
    dq, dk, dv = np.zeros_like(q), np.zeros_like(k), np.zeros_like(v)
    scale = 1.0 / math.sqrt(q.shape[-1])
    # causal: keys after the last query get no weight and no gradient (they stay 0)
    stop = min(k.shape[-2], q.shape[-2]) if is_causal else k.shape[-2]
    for start in range(0, stop, block_size):
        tile = slice(start, start + block_size)
        k_tile, v_tile = k[..., tile, :], v[..., tile, :]
        # this tile's attention weights, recomputed from the saved m and l
        p = np.exp(_score_tile(q, k_tile, start, is_causal) - safe_m) / safe_l
        dv[..., tile, :] = np.swapaxes(p, -1, -2) @ g
        ds = p * (g @ np.swapaxes(v_tile, -1, -2) - d)  # softmax backward, one tile
        # S = scale * q k^T: dq collects every tile's share, dk is this tile's own
        dq += scale * (ds @ k_tile)
        dk[..., tile, :] = scale * (np.swapaxes(ds, -1, -2) @ q)
    return dq, dk, dv
# --8<-- [end:flash_attention_backward]
