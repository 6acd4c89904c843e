"""Global and adaptive average pooling: the mean of each feature map, or of each cell of a fixed grid over it."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, propagates_nonfinite
from snippets.layers.convolution import _check_image, _pair

__all__ = [
    "adaptive_avg_pool2d",
    "adaptive_avg_pool2d_backward",
    "global_avg_pool2d",
    "global_avg_pool2d_backward",
]


def _check_spatial(x: ArrayLike) -> np.ndarray:
    """x (N, C, H, W) with H, W >= 1: an average over an empty map is undefined (PyTorch refuses it too)."""
    x = _check_image(x)
    if x.shape[2] == 0 or x.shape[3] == 0:
        raise ValueError(f"x must have a non-empty height and width to average over, got shape {x.shape}")
    return x


# --8<-- [start:adaptive_bins]
def _bins(in_size: int, out_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Membership (out_size, in_size) of every input index in every output cell, and the cell sizes.

    Cell i covers ``floor(i * in / out) <= k < ceil((i + 1) * in / out)``, PyTorch's rule: the
    cells cover every index, have sizes that differ by at most one, and overlap by one index
    where ``in / out`` is not an integer.
    """
    i = np.arange(out_size)
    start = (i * in_size) // out_size
    end = -((-(i + 1) * in_size) // out_size)       # ceil division in integers
    k = np.arange(in_size)
    member = (k >= start[:, None]) & (k < end[:, None])
    return member, end - start


def _adaptive_setup(x: ArrayLike, output_size: object) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Checked x (N, C, H, W) or, as PyTorch allows, one unbatched (C, H, W); the row and column
    membership matrices and the cell areas (H_out, W_out)."""
    x = as_float_array(x, "x")
    if x.ndim not in (3, 4):
        raise ValueError(f"x must have shape (N, C, H, W) or (C, H, W), got shape {x.shape}")
    x = _check_spatial(x[None])[0] if x.ndim == 3 else _check_spatial(x)
    # None keeps that dimension's input size, as in PyTorch
    if isinstance(output_size, (tuple, list)) and len(output_size) == 2:
        output_size = tuple(n if s is None else s for s, n in zip(output_size, x.shape[-2:]))
    h_out, w_out = _pair(output_size, "output_size", 1)
    rows, row_len = _bins(x.shape[-2], h_out)
    cols, col_len = _bins(x.shape[-1], w_out)
    return x, rows, cols, np.outer(row_len, col_len).astype(x.dtype)
# --8<-- [end:adaptive_bins]


# --8<-- [start:adaptive_avg_pool2d]
@propagates_nonfinite
def adaptive_avg_pool2d(x: ArrayLike, output_size: int | tuple[int | None, int | None]) -> np.ndarray:
    """Adaptive average pooling as ``torch.nn.functional.adaptive_avg_pool2d``.

    The output size is fixed and the windows adapt to the input: output cell (i, j) is the mean of
    ``x[:, :, h0:h1, w0:w1]`` with ``h0 = floor(i H / H_out)``, ``h1 = ceil((i + 1) H / H_out)``
    (likewise for W). ``output_size=1`` is global average pooling, keeping the (1, 1) axes.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W) or (C, H, W)
        Feature maps with H, W >= 1 (float32 stays float32; other real input is computed in float64);
        a 3-d array is one unbatched sample, as PyTorch allows.
    output_size : int or (int or None, int or None)
        H_out and W_out (>= 1); None keeps the input's size along that axis.

    Returns
    -------
    ndarray, shape (N, C, H_out, W_out) or (C, H_out, W_out)
        The mean of each cell. H_out may exceed H: cells then repeat input pixels.

    Examples
    --------
    >>> # the 4x4 image 0..15 into a 2x2 grid: the means of the four 2x2 blocks, e.g.
    >>> # (0 + 1 + 4 + 5) / 4 = 2.5; into 1x1: the mean of 0..15, 7.5
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> adaptive_avg_pool2d(x, 2)
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    >>> adaptive_avg_pool2d(x, 1)
    array([[[[7.5]]]])
    """
    x, rows, cols, area = _adaptive_setup(x, output_size)
    zero = x.dtype.type(0)
    # sum each column cell: (N, C, H, W_out); selected, not multiplied by the 0/1 membership, so an
    # inf or NaN stays in its own cells (0 * inf would be NaN in every cell)
    t = np.where(cols, x[..., :, None, :], zero).sum(axis=-1)
    # then each row cell: (N, C, H_out, W_out), and divide by the cell's area
    s = np.where(rows[:, :, None], t[..., None, :, :], zero).sum(axis=-2)
    return s / area
# --8<-- [end:adaptive_avg_pool2d]


# --8<-- [start:adaptive_avg_pool2d_backward]
@propagates_nonfinite
def adaptive_avg_pool2d_backward(
    grad_out: ArrayLike, x: ArrayLike, output_size: int | tuple[int | None, int | None]
) -> np.ndarray:
    """Gradient of :func:`adaptive_avg_pool2d` with respect to ``x``.

    Parameters
    ----------
    grad_out : array_like, shape (N, C, H_out, W_out) or (C, H_out, W_out)
        Upstream gradient dL/dy.
    x, output_size
        The forward arguments.

    Returns
    -------
    ndarray, the shape of x
        Every cell's gradient divided by its area and shared by its pixels; a pixel in two
        overlapping cells receives both shares.

    Examples
    --------
    >>> # a 1x3 row into 2 cells, [0, 2) and [1, 3): the middle pixel is in both; g = (2, 4)
    >>> # -> shares 2 / 2 = 1 and 4 / 2 = 2: dx = (1, 1 + 2, 2)
    >>> adaptive_avg_pool2d_backward([[[[2.0, 4.0]]]], np.zeros((1, 1, 1, 3)), (1, 2))
    array([[[[1., 3., 2.]]]])
    """
    x, rows, cols, area = _adaptive_setup(x, output_size)
    g = as_grad_out(grad_out, (*x.shape[:-2], *area.shape), x.dtype)
    zero = x.dtype.type(0)
    # each cell's gradient per pixel of the cell
    share = g / area
    # back through the row cells: (N, C, H, W_out), summing over the cells that contain a row
    t = np.where(rows[:, :, None], share[..., :, None, :], zero).sum(axis=-3)
    # and through the column cells: (N, C, H, W)
    return np.where(cols, t[..., None], zero).sum(axis=-2)
# --8<-- [end:adaptive_avg_pool2d_backward]


# --8<-- [start:global_avg_pool2d]
@propagates_nonfinite
def global_avg_pool2d(x: ArrayLike) -> np.ndarray:
    """Global average pooling: the mean of every feature map, one number per channel.

    Equals ``adaptive_avg_pool2d(x, 1)`` without the two unit axes, i.e.
    ``torch.nn.AdaptiveAvgPool2d(1)`` followed by ``torch.flatten(·, 1)``, or ``x.mean((2, 3))``.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
        Feature maps with H, W >= 1.

    Returns
    -------
    ndarray, shape (N, C)
        The feature vector of each image, whatever H and W were.

    Examples
    --------
    >>> # channel 0 holds 1, 2, 3, 4 (mean 2.5); channel 1 is constant 7
    >>> global_avg_pool2d([[[[1.0, 2.0], [3.0, 4.0]], [[7.0, 7.0], [7.0, 7.0]]]])
    array([[2.5, 7. ]])
    """
    x = _check_spatial(x)
    # one mean per (image, channel), over the H * W positions
    return np.mean(x, axis=(2, 3))
# --8<-- [end:global_avg_pool2d]


# --8<-- [start:global_avg_pool2d_backward]
@propagates_nonfinite
def global_avg_pool2d_backward(grad_out: ArrayLike, x: ArrayLike) -> np.ndarray:
    """Gradient of :func:`global_avg_pool2d` with respect to ``x``.

    Parameters
    ----------
    grad_out : array_like, shape (N, C)
        Upstream gradient dL/dy.
    x : array_like, shape (N, C, H, W)
        The forward input.

    Returns
    -------
    ndarray, shape (N, C, H, W)
        ``grad_out[n, c] / (H W)`` at every position of map (n, c).

    Examples
    --------
    >>> # a 2x2 map: each of the 4 pixels gets 8 / 4
    >>> global_avg_pool2d_backward([[8.0]], np.zeros((1, 1, 2, 2)))
    array([[[[2., 2.],
             [2., 2.]]]])
    """
    x = _check_spatial(x)
    g = as_grad_out(grad_out, x.shape[:2], x.dtype)
    # d mean / d x = 1 / (H W) for every position, a fresh array of x's shape
    share = g / x.dtype.type(x.shape[2] * x.shape[3])
    return np.broadcast_to(share[:, :, None, None], x.shape).copy()
# --8<-- [end:global_avg_pool2d_backward]
