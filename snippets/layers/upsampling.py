"""Upsampling of feature maps by nearest-neighbour and bilinear interpolation (no learned weights)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_bool, as_grad_out, as_real_scalar, propagates_nonfinite
from snippets.layers.convolution import _check_image, _pair

__all__ = [
    "upsample_nearest2d",
    "upsample_nearest2d_backward",
    "upsample_bilinear2d",
    "upsample_bilinear2d_backward",
]


def _scales(scale_factor: object) -> tuple[float, float]:
    """A positive number or a pair of them (height, width), as PyTorch's ``scale_factor``."""
    pair = scale_factor if isinstance(scale_factor, (tuple, list)) else (scale_factor, scale_factor)
    if len(pair) != 2:
        raise TypeError(f"scale_factor must be a number or a pair of numbers (height, width), got {scale_factor!r}")
    # bounded like every input (DOCUMENTED_RANGE): a factor of 1e300 would ask for an
    # output of 1e300 rows
    return tuple(as_real_scalar(s, "scale_factor", low=0.0, high=1e4, low_open=True) for s in pair)  # type: ignore[return-value]


def _nearest_index(in_size: int, out_size: int, scale: float) -> np.ndarray:
    """Source index of every output index, exactly as PyTorch's ``nearest`` mode computes it:
    ``floor(dst * (1 / scale))`` in float32 arithmetic, clipped to the last row; the identity and
    the factor 2 are special-cased (``dst`` and ``dst // 2``), as in PyTorch."""
    dst = np.arange(out_size)
    if out_size == in_size:
        return dst
    if out_size == 2 * in_size:
        return dst // 2
    src = np.floor(dst.astype(np.float32) * np.float32(1.0 / scale)).astype(np.int64)
    return np.minimum(src, in_size - 1)


def _nearest_indices(x: np.ndarray, scale_factor: object) -> tuple[np.ndarray, np.ndarray]:
    """Row and column source indices for :func:`upsample_nearest2d`; the output size is
    ``floor(H * scale)`` by ``floor(W * scale)`` as in PyTorch, and must be at least 1."""
    scales = _scales(scale_factor)
    size = tuple(int(np.floor(n * s)) for n, s in zip(x.shape[2:], scales))
    if min(size) < 1:
        raise ValueError(
            f"scale_factor {scales} gives an empty output {size} for input height and width {x.shape[2:]}"
        )
    return tuple(_nearest_index(n, m, s) for n, m, s in zip(x.shape[2:], size, scales))  # type: ignore[return-value]


def _sum_by_index(v: np.ndarray, index: np.ndarray, size: int, axis: int) -> np.ndarray:
    """``out[..., k, ...] = sum of v[..., t, ...] over the t with index[t] == k`` along ``axis``.

    ``index`` is non-decreasing (both interpolations read their sources in order), so each target
    receives one contiguous run of ``v``: one ``add.reduceat`` sums all runs, and a target that
    no output reads gets 0.
    """
    v = np.moveaxis(v, axis, -1)
    out = np.zeros((*v.shape[:-1], size), dtype=v.dtype)
    if index.size:
        starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
        out[..., index[starts]] = np.add.reduceat(v, starts, axis=-1)
    return np.moveaxis(out, -1, axis)


# --8<-- [start:upsample_nearest2d]
@propagates_nonfinite
def upsample_nearest2d(x: ArrayLike, scale_factor: float | tuple[float, float]) -> np.ndarray:
    """Nearest-neighbour upsampling, ``F.interpolate(x, scale_factor=..., mode="nearest")``.

    Output pixel (i, j) copies input pixel ``(floor(i / sH), floor(j / sW))``.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
        A batch of feature maps (float32 stays float32; other real input is computed in float64).
    scale_factor : float or (float, float)
        Factor for H and W, in (0, 1e4]; need not be an integer (below 1 it downsamples).

    Returns
    -------
    ndarray, shape (N, C, floor(H sH), floor(W sW))
        Copies of input values; PyTorch's index rule (float32 ``floor(i * (1 / s))``) is followed
        exactly, so the same pixels are copied for every scale factor.

    Examples
    --------
    >>> # each pixel of [[1, 2], [3, 4]] becomes a 2x2 block
    >>> upsample_nearest2d([[[[1.0, 2.0], [3.0, 4.0]]]], 2)
    array([[[[1., 1., 2., 2.],
             [1., 1., 2., 2.],
             [3., 3., 4., 4.],
             [3., 3., 4., 4.]]]])
    """
    x = _check_image(x)
    rows, cols = _nearest_indices(x, scale_factor)
    # gather: rows first, then columns (a copy; x is never written)
    return x[:, :, rows][:, :, :, cols]
# --8<-- [end:upsample_nearest2d]


# --8<-- [start:upsample_nearest2d_backward]
@propagates_nonfinite
def upsample_nearest2d_backward(
    grad_out: ArrayLike, x: ArrayLike, scale_factor: float | tuple[float, float]
) -> np.ndarray:
    """Gradient of :func:`upsample_nearest2d` with respect to ``x``.

    Parameters
    ----------
    grad_out : array_like, shape (N, C, H_out, W_out)
        Upstream gradient dL/dy.
    x, scale_factor
        The forward arguments.

    Returns
    -------
    ndarray, shape (N, C, H, W)
        Each input pixel receives the sum of the gradients of all its copies (a pixel that no
        output copies, when downsampling, receives 0).

    Examples
    --------
    >>> # factor 2 on a 1x1 input: four copies, gradient 1 + 2 + 3 + 4
    >>> upsample_nearest2d_backward([[[[1.0, 2.0], [3.0, 4.0]]]], [[[[0.0]]]], 2)
    array([[[[10.]]]])
    """
    x = _check_image(x)
    rows, cols = _nearest_indices(x, scale_factor)
    g = as_grad_out(grad_out, (*x.shape[:2], rows.size, cols.size), x.dtype)
    # the adjoint of the gather: sum the copies of each row, then of each column
    return _sum_by_index(_sum_by_index(g, rows, x.shape[2], 2), cols, x.shape[3], 3)
# --8<-- [end:upsample_nearest2d_backward]


def _linear_weights(
    in_size: int, out_size: int, align_corners: bool, dtype: np.dtype
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Neighbours i0, i1 and weights l0, l1 of every output index for linear interpolation,
    with PyTorch's source coordinates, computed as PyTorch does in the input's dtype:

    - ``align_corners=True``: ``src = dst * (in - 1) / (out - 1)`` (corner pixels' centres align);
    - ``align_corners=False``: ``src = (dst + 0.5) * in / out - 0.5``, clamped at 0 (pixel areas align);
    - the same size in and out copies (``src = dst``).
    """
    dst = np.arange(out_size)
    if out_size == in_size:
        return dst, dst, np.ones(out_size, dtype), np.zeros(out_size, dtype)
    one, half = dtype.type(1), dtype.type(0.5)
    if align_corners:
        scale = dtype.type(in_size - 1) / dtype.type(out_size - 1) if out_size > 1 else dtype.type(0)
        src = scale * dst.astype(dtype)
    else:
        scale = dtype.type(in_size) / dtype.type(out_size)
        src = np.maximum(scale * (dst.astype(dtype) + half) - half, dtype.type(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    l1 = np.clip(src - i0.astype(dtype), dtype.type(0), one)
    i1 = np.minimum(i0 + 1, in_size - 1)          # the last row is its own right neighbour
    return i0, i1, one - l1, l1


def _lerp(v0: np.ndarray, v1: np.ndarray, l0: np.ndarray, l1: np.ndarray) -> np.ndarray:
    """``l0 * v0 + l1 * v1`` where a neighbour of weight exactly 0 does not count (0 * inf is 0
    here, NaN in PyTorch): at the source points themselves the value is copied."""
    return np.where(l1 == 0, v0, l0 * v0 + l1 * v1)


def _spread(g: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``weight * g`` with an exact 0 where the weight is 0 (even for an infinite g)."""
    return np.where(weight == 0, np.zeros((), g.dtype), weight * g)


# --8<-- [start:upsample_bilinear2d]
@propagates_nonfinite
def upsample_bilinear2d(
    x: ArrayLike, size: int | tuple[int, int], align_corners: bool = False
) -> np.ndarray:
    """Bilinear interpolation to ``size``, ``F.interpolate(x, size=..., mode="bilinear", align_corners=...)``.

    Each output pixel is placed at a source coordinate (see ``align_corners``) and mixes the four
    surrounding input pixels with weights ``(1 - a)(1 - b), (1 - a) b, a (1 - b), a b``, where a
    and b are the fractional parts of the row and column coordinates.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
        A batch of feature maps (float32 stays float32; other real input is computed in float64).
    size : int or (int, int)
        Output height and width (>= 1).
    align_corners : bool, default False
        True: the centres of the corner pixels of input and output coincide,
        ``src = dst (H - 1) / (H_out - 1)``. False (PyTorch's default): the pixels are squares of
        equal total extent, ``src = (dst + 1/2) H / H_out - 1/2``, clamped at 0.

    Returns
    -------
    ndarray, shape (N, C, H_out, W_out)
        A neighbour with weight exactly 0 is left out, so an output on a source point copies it
        even next to an infinite value (PyTorch multiplies: 0 * inf gives NaN there).

    Examples
    --------
    >>> # a 1x2 row [0, 4] to width 4: centres at (j + 1/2) / 2 - 1/2 = -1/4 -> 0, 1/4, 3/4, 5/4 -> 1,
    >>> # values 0, 1, 3, 4; with align_corners the ends are pinned: 0, 4/3, 8/3, 4
    >>> upsample_bilinear2d([[[[0.0, 4.0]]]], (1, 4))
    array([[[[0., 1., 3., 4.]]]])
    >>> upsample_bilinear2d([[[[0.0, 4.0]]]], (1, 4), align_corners=True).round(4)
    array([[[[0.    , 1.3333, 2.6667, 4.    ]]]])
    """
    x = _check_image(x)
    (h_out, w_out), (h, w) = _pair(size, "size", 1), x.shape[2:]
    align_corners = as_bool(align_corners, "align_corners")
    r0, r1, a0, a1 = _linear_weights(h, h_out, align_corners, x.dtype)
    c0, c1, b0, b1 = _linear_weights(w, w_out, align_corners, x.dtype)
    # interpolate along W first (N, C, H, W_out), then along H (N, C, H_out, W_out), as PyTorch
    t = _lerp(x[:, :, :, c0], x[:, :, :, c1], b0, b1)
    return _lerp(t[:, :, r0], t[:, :, r1], a0[:, None], a1[:, None])
# --8<-- [end:upsample_bilinear2d]


# --8<-- [start:upsample_bilinear2d_backward]
@propagates_nonfinite
def upsample_bilinear2d_backward(
    grad_out: ArrayLike, x: ArrayLike, size: int | tuple[int, int], align_corners: bool = False
) -> np.ndarray:
    """Gradient of :func:`upsample_bilinear2d` with respect to ``x``.

    Parameters
    ----------
    grad_out : array_like, shape (N, C, H_out, W_out)
        Upstream gradient dL/dy.
    x, size, align_corners
        The forward arguments.

    Returns
    -------
    ndarray, shape (N, C, H, W)
        Every output's gradient shared among its four source pixels with the interpolation
        weights, summed over all outputs that read a pixel.

    Examples
    --------
    >>> # forward [0, 4] -> [0, 1, 3, 4] used weights (1, 0), (3/4, 1/4), (1/4, 3/4), (0, 1):
    >>> # with g = 1 everywhere each input gets 1 + 3/4 + 1/4 = 2
    >>> upsample_bilinear2d_backward(np.ones((1, 1, 1, 4)), [[[[0.0, 4.0]]]], (1, 4))
    array([[[[2., 2.]]]])
    """
    x = _check_image(x)
    (h_out, w_out), (h, w) = _pair(size, "size", 1), x.shape[2:]
    align_corners = as_bool(align_corners, "align_corners")
    g = as_grad_out(grad_out, (*x.shape[:2], h_out, w_out), x.dtype)
    r0, r1, a0, a1 = _linear_weights(h, h_out, align_corners, x.dtype)
    c0, c1, b0, b1 = _linear_weights(w, w_out, align_corners, x.dtype)
    # undo the H step: each output row's gradient goes to its two source rows, weighted
    gt = (_sum_by_index(_spread(g, a0[:, None]), r0, h, 2)
          + _sum_by_index(_spread(g, a1[:, None]), r1, h, 2))
    # then the W step: (N, C, H, W_out) -> (N, C, H, W)
    return _sum_by_index(_spread(gt, b0), c0, w, 3) + _sum_by_index(_spread(gt, b1), c1, w, 3)
# --8<-- [end:upsample_bilinear2d_backward]
