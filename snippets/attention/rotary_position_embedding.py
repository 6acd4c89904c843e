"""Rotary position embedding (RoPE): rotate each pair of features of a query or key by an angle
proportional to its position, so that the dot product of a rotated query and a rotated key
depends on their positions only through the difference (Su et al., RoFormer)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, as_int, as_real_scalar, propagates_nonfinite

__all__ = ["rope_frequencies", "apply_rope", "apply_rope_backward"]


# --8<-- [start:rope_frequencies]
@propagates_nonfinite
def rope_frequencies(head_dim: int, max_len: int, base: float = 10000.0) -> np.ndarray:
    """The rotation angles ``m * theta_i``, ``theta_i = base^(-2i / head_dim)``, for positions m < max_len.

    Parameters
    ----------
    head_dim : int
        d, the size of a query or key vector; even, >= 2.
    max_len : int
        Number of positions, >= 0.
    base : float, default 10000.0
        > 0 (RoFormer and Llama use 10000; a larger base turns slower).

    Returns
    -------
    ndarray, shape (max_len, head_dim // 2), float64
        Row m, column i: the angle in radians by which feature pair i at position m is rotated.

    Examples
    --------
    d = 4, base 100: theta = (100^0, 100^(-1/2)) = (1, 0.1); position 2 turns by (2, 0.2).

    >>> rope_frequencies(4, 3, base=100.0)
    array([[0. , 0. ],
           [1. , 0.1],
           [2. , 0.2]])
    """
    d = as_int(head_dim, "head_dim", low=2)
    if d % 2:
        raise ValueError(f"head_dim must be even (features are rotated in pairs), got {d}")
    length = as_int(max_len, "max_len", low=0)
    base = as_real_scalar(base, "base", low=0.0, low_open=True)
    # one frequency per pair, from 1 (pair 0) down to base^(-(d-2)/d)
    theta = base ** (-np.arange(0, d, 2) / d)
    return np.outer(np.arange(length), theta)
# --8<-- [end:rope_frequencies]


def _check_rope(x: ArrayLike, positions: ArrayLike, base: Any) -> tuple[np.ndarray, np.ndarray, float]:
    """x as a float array with an even last axis, positions broadcast to x.shape[:-1], the base."""
    x = as_float_array(x, "x")
    if x.ndim < 1 or x.shape[-1] % 2 or x.shape[-1] == 0:
        raise ValueError(f"x must have shape (..., L, d) with an even d > 0 (features are rotated in pairs), got {x.shape}")
    pos = as_float_array(positions, "positions").astype(np.float64)
    try:
        pos = np.broadcast_to(pos, x.shape[:-1])
    except ValueError:
        raise ValueError(
            f"positions must broadcast to x.shape[:-1] = {x.shape[:-1]} (one position per vector), got {pos.shape}"
        ) from None
    return x, pos, as_real_scalar(base, "base", low=0.0, low_open=True)


def _rotate(x: np.ndarray, pos: np.ndarray, base: float, sign: float) -> np.ndarray:
    """Rotate every pair (x[2i], x[2i+1]) by sign * pos * theta_i."""
    d = x.shape[-1]
    theta = base ** (-np.arange(0, d, 2) / d)
    # angles in float64 (a position times a frequency), then cos and sin in x's dtype
    angle = sign * pos[..., None] * theta
    cos, sin = np.cos(angle).astype(x.dtype), np.sin(angle).astype(x.dtype)
    even, odd = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    # the 2 x 2 rotation [[cos, -sin], [sin, cos]] applied to each pair
    out[..., 0::2] = even * cos - odd * sin
    out[..., 1::2] = even * sin + odd * cos
    return out


# --8<-- [start:apply_rope]
@propagates_nonfinite
def apply_rope(x: ArrayLike, positions: ArrayLike, base: float = 10000.0) -> np.ndarray:
    """Rotate consecutive feature pairs of x by the angles of their positions (RoPE).

    Pair i = (x[..., 2i], x[..., 2i+1]), read as the complex number x[2i] + 1j x[2i+1], is
    multiplied by exp(1j * m * theta_i) with theta_i = base^(-2i/d): the interleaved layout of
    RoFormer and of Meta's Llama code (``torch.view_as_complex``). Hugging Face's ``rotate_half``
    pairs feature i with feature i + d/2 instead.

    Parameters
    ----------
    x : array_like, shape (..., L, d)
        Queries or keys (e.g. (B, heads, L, d)); d even.
    positions : array_like, broadcastable to x.shape[:-1]
        The position m of each vector, usually ``np.arange(L)``; need not be integers.
    base : float, default 10000.0
        > 0.

    Returns
    -------
    ndarray, shape of x
        The rotated vectors, in x's float dtype; every pair keeps its length.

    Examples
    --------
    d = 2 (theta_0 = 1): the vector (1, 0) at position pi / 2 turns a quarter turn to (0, 1);
    (3, 4) at position 0 stays.

    >>> apply_rope([[1.0, 0.0], [3.0, 4.0]], [np.pi / 2, 0.0]).round(12)
    array([[0., 1.],
           [3., 4.]])
    """
    x, pos, base = _check_rope(x, positions, base)
    return _rotate(x, pos, base, 1.0)
# --8<-- [end:apply_rope]


# --8<-- [start:apply_rope_backward]
@propagates_nonfinite
def apply_rope_backward(grad_out: ArrayLike, x: ArrayLike, positions: ArrayLike, base: float = 10000.0) -> np.ndarray:
    """Gradient of :func:`apply_rope` with respect to x (positions are not differentiated).

    Parameters
    ----------
    grad_out : array_like, shape of x
        Upstream gradient.
    x, positions, base
        The forward arguments.

    Returns
    -------
    ndarray, shape of x
        The transpose of a rotation is the rotation by the opposite angle: grad_out turned back
        by -m theta_i.

    Examples
    --------
    The forward example's first vector: a gradient (0, 1) at the output turns back to (1, 0).

    >>> apply_rope_backward([[0.0, 1.0]], [[1.0, 0.0]], [np.pi / 2]).round(12)
    array([[1., 0.]])
    """
    x, pos, base = _check_rope(x, positions, base)
    g = as_grad_out(grad_out, x.shape, x.dtype)
    return _rotate(g, pos, base, -1.0)
# --8<-- [end:apply_rope_backward]
