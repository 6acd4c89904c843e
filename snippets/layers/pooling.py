"""Max and average pooling: summarise each window of a feature map by its largest value or its mean."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_grad_out, propagates_nonfinite
from snippets.layers.convolution import _check_image, _col2im, _pad, _pair, _windows

__all__ = ["max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward"]


def _first_argmax_mask(windows: np.ndarray) -> np.ndarray:
    """One-hot (N, C, H_out, W_out, kH, kW) marking each window's first maximum in row-major order."""
    # one row of kH * kW cells per window (spelled out: -1 cannot be inferred for an empty batch)
    flat = windows.reshape(*windows.shape[:4], windows.shape[4] * windows.shape[5])
    first = np.argmax(flat, axis=-1)  # argmax returns the first of tied maxima (and the first NaN)
    mask = np.arange(flat.shape[-1]) == first[..., None]
    return mask.reshape(windows.shape)


# --8<-- [start:pool_windows]
def _pool_windows(
    x: ArrayLike, kernel_size: object, stride: object, padding: object, fill: float, what: str
) -> tuple[np.ndarray, np.ndarray, tuple[int, int], tuple[int, int]]:
    """Check the pooling arguments; return x (N, C, H, W), its windows, stride and padding.

    The windows are a view of x padded with ``fill``, shape (N, C, H_out, W_out, kH, kW);
    ``stride=None`` means the kernel size, and padding is at most half the kernel (as in PyTorch,
    more could make a window of padding only). ``what`` names the function in errors.
    """
    x = _check_image(x)
    kernel = _pair(kernel_size, "kernel_size", 1)
    stride = kernel if stride is None else _pair(stride, "stride", 1)
    padding = _pair(padding, "padding", 0)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(
            f"padding must be at most half of kernel_size, got padding={padding} and kernel_size={kernel}"
        )
    # every (kH, kW) window the kernel visits on the padded grid
    return x, _windows(_pad(x, padding, fill), kernel, stride, what), stride, padding


def _unpool(
    cols: np.ndarray, x_shape: tuple[int, ...], stride: tuple[int, int], padding: tuple[int, int]
) -> np.ndarray:
    """Add the windows' gradients cols (N, C, H_out, W_out, kH, kW) back onto the padded grid,
    summing where windows overlap, and drop the padding: shape ``x_shape`` (N, C, H, W)."""
    (ph, pw), (h, w) = padding, x_shape[2:]
    dxp = _col2im(cols, (*x_shape[:2], h + 2 * ph, w + 2 * pw), stride)
    return dxp[:, :, ph : ph + h, pw : pw + w]
# --8<-- [end:pool_windows]


# --8<-- [start:max_pool2d]
@propagates_nonfinite
def max_pool2d(
    x: ArrayLike,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
) -> np.ndarray:
    """2-d max pooling as ``torch.nn.functional.max_pool2d``: the largest value of every window.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
        Feature maps; each channel is pooled on its own.
    kernel_size : int or (int, int)
        Window height and width.
    stride : int or (int, int), optional
        Step between windows; None (the default) means ``kernel_size``: windows that tile the input.
    padding : int or (int, int), default 0
        Cells of -inf added on each side (never the maximum); at most half the kernel size.

    Returns
    -------
    ndarray, shape (N, C, H_out, W_out)
        ``H_out = (H + 2 pH - kH) // sH + 1`` and likewise for W; x's float dtype.

    Examples
    --------
    >>> # the 4x4 image 0..15 in 2x2 tiles: each tile's maximum is its bottom-right value
    >>> max_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2)
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    """
    # windows of the input padded with -inf, so padding never wins: (N, C, H_out, W_out, kH, kW)
    x, windows, stride, padding = _pool_windows(x, kernel_size, stride, padding, -np.inf, "max_pool2d")
    return np.max(windows, axis=(4, 5))
# --8<-- [end:max_pool2d]


# --8<-- [start:max_pool2d_backward]
@propagates_nonfinite
def max_pool2d_backward(
    grad_out: ArrayLike,
    x: ArrayLike,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
) -> np.ndarray:
    """Gradient of :func:`max_pool2d` with respect to ``x``.

    Parameters
    ----------
    grad_out : array_like, shape (N, C, H_out, W_out)
        Upstream gradient dL/dy.
    x, kernel_size, stride, padding
        The forward arguments.

    Returns
    -------
    ndarray, shape (N, C, H, W)
        Each window's gradient goes entirely to the cell that held its maximum — the first one in
        row-major order when several tie, as PyTorch chooses — and adds up where overlapping
        windows pick the same cell; every other cell gets 0.

    Examples
    --------
    >>> # one 2x2 window [[1, 3], [3, 0]]: the maximum 3 appears twice; the first (row 0, col 1) wins
    >>> max_pool2d_backward([[[[1.0]]]], [[[[1.0, 3.0], [3.0, 0.0]]]], 2)
    array([[[[0., 1.],
             [0., 0.]]]])
    """
    x, windows, stride, padding = _pool_windows(x, kernel_size, stride, padding, -np.inf, "max_pool2d_backward")
    g = as_grad_out(grad_out, windows.shape[:4], x.dtype)
    # route each window's gradient to its (first) maximum and nowhere else: selected, not
    # multiplied by the 0/1 mask, so a NaN or inf gradient stays at the argmax (0 * NaN would be
    # NaN in every cell of the window; PyTorch routes it to the argmax alone) ...
    cols = np.where(_first_argmax_mask(windows), g[..., None, None], x.dtype.type(0))
    # ... add the windows back onto the padded grid, then drop the padding
    return _unpool(cols, x.shape, stride, padding)
# --8<-- [end:max_pool2d_backward]


# --8<-- [start:avg_pool2d]
@propagates_nonfinite
def avg_pool2d(
    x: ArrayLike,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
) -> np.ndarray:
    """2-d average pooling as ``torch.nn.functional.avg_pool2d`` (``count_include_pad=True``).

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
        Feature maps; each channel is pooled on its own.
    kernel_size : int or (int, int)
        Window height and width.
    stride : int or (int, int), optional
        Step between windows; None (the default) means ``kernel_size``.
    padding : int or (int, int), default 0
        Zeros added on each side, at most half the kernel size. They *count* in the average:
        every window is divided by kH * kW, also at the border (PyTorch's default).

    Returns
    -------
    ndarray, shape (N, C, H_out, W_out)
        The mean of each window; x's float dtype.

    Examples
    --------
    >>> # 2x2 tiles of 0..15: the mean of (0, 1, 4, 5) is 2.5, and so on
    >>> avg_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2)
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    """
    x, windows, stride, padding = _pool_windows(x, kernel_size, stride, padding, 0.0, "avg_pool2d")
    # the padded zeros are part of every window: divide by kH * kW everywhere
    return np.mean(windows, axis=(4, 5))
# --8<-- [end:avg_pool2d]


# --8<-- [start:avg_pool2d_backward]
@propagates_nonfinite
def avg_pool2d_backward(
    grad_out: ArrayLike,
    x: ArrayLike,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
) -> np.ndarray:
    """Gradient of :func:`avg_pool2d` with respect to ``x``.

    Parameters
    ----------
    grad_out : array_like, shape (N, C, H_out, W_out)
        Upstream gradient dL/dy.
    x, kernel_size, stride, padding
        The forward arguments.

    Returns
    -------
    ndarray, shape (N, C, H, W)
        Each window's gradient divided by kH * kW and shared by all its cells; overlapping windows
        add up, and the share of padding cells is dropped.

    Examples
    --------
    >>> # one 2x2 window with upstream gradient 4: each cell gets 4 / 4
    >>> avg_pool2d_backward([[[[4.0]]]], np.zeros((1, 1, 2, 2)), 2)
    array([[[[1., 1.],
             [1., 1.]]]])
    """
    x, windows, stride, padding = _pool_windows(x, kernel_size, stride, padding, 0.0, "avg_pool2d_backward")
    g = as_grad_out(grad_out, windows.shape[:4], x.dtype)
    # every cell of a window receives grad / (kH * kW) ...
    kh, kw = windows.shape[4:]
    share = g / (kh * kw)
    cols = np.broadcast_to(share[..., None, None], windows.shape)
    # ... summed over the windows that contain it; the padding's share is cut off
    return _unpool(cols, x.shape, stride, padding)
# --8<-- [end:avg_pool2d_backward]
