"""2-d convolution (cross-correlation) of a batch of multi-channel images with a bank of filters."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, as_optional_parameter, propagates_nonfinite

__all__ = ["conv2d", "conv2d_backward"]


def _pair(value: object, name: str, low: int) -> tuple[int, int]:
    """An int or a pair of ints (height, width), each >= ``low``, as PyTorch's ``stride=2`` or ``(2, 1)``."""
    pair = value if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or any(
        isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) for v in pair
    ):
        raise TypeError(f"{name} must be an int or a pair of ints (height, width), got {value!r}")
    if min(pair) < low:
        raise ValueError(f"{name} must be >= {low} in both directions, got {tuple(int(v) for v in pair)}")
    return int(pair[0]), int(pair[1])


def _check_image(x: ArrayLike, name: str = "x") -> np.ndarray:
    """A float array of shape (N, C, H, W)."""
    x = as_float_array(x, name)
    if x.ndim != 4:
        raise ValueError(f"{name} must have shape (N, C, H, W), got shape {x.shape}")
    return x


def _pad(x: np.ndarray, padding: tuple[int, int], value: float = 0.0) -> np.ndarray:
    """x (N, C, H, W) with ``padding`` rows/columns of ``value`` added on both sides of H and W."""
    ph, pw = padding
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def _windows(
    xp: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], what: str
) -> np.ndarray:
    """The (kH, kW) windows of the padded input xp (N, C, Hp, Wp) that the kernel visits.

    Returns a read-only *view* of shape (N, C, H_out, W_out, kH, kW): no data is copied.
    ``what`` names the operation in the error raised when the kernel does not fit.
    """
    (kh, kw), (sh, sw) = kernel, stride
    if kh > xp.shape[2] or kw > xp.shape[3]:
        raise ValueError(
            f"{what}: kernel size {kernel} is larger than the padded input "
            f"{xp.shape[2:]} (input height and width plus twice the padding)"
        )
    return sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]


def _col2im(cols: np.ndarray, padded_shape: tuple[int, ...], stride: tuple[int, int]) -> np.ndarray:
    """The adjoint of :func:`_windows`: add each window's values back where they came from.

    cols (N, C, H_out, W_out, kH, kW) -> (N, C, Hp, Wp); where windows overlap (stride < kernel)
    the contributions add up. The loop runs over the kH * kW kernel offsets, not over pixels:
    offset (a, b) of every window lands on the strided grid xp[:, :, a::sH, b::sW], one
    vectorised addition each.
    """
    (sh, sw), (h_out, w_out) = stride, cols.shape[2:4]
    out = np.zeros(padded_shape, dtype=cols.dtype)
    for a in range(cols.shape[4]):
        for b in range(cols.shape[5]):
            out[:, :, a : a + sh * (h_out - 1) + 1 : sh, b : b + sw * (w_out - 1) + 1 : sw] += cols[:, :, :, :, a, b]
    return out


def _im2col(windows: np.ndarray) -> np.ndarray:
    """Windows (N, C, H_out, W_out, kH, kW) as a matrix: one row per output pixel (n, i, j),
    one column per (c, a, b) — a copy, laid out so that a convolution is one matrix product."""
    n, c, h_out, w_out, kh, kw = windows.shape
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * h_out * w_out, c * kh * kw)


def _check_filters(
    weight: ArrayLike, x: np.ndarray, layout: str, channels: str, expected: tuple[int | None, ...], name: str = "weight"
) -> np.ndarray:
    """A 4-d filter bank in x's dtype. ``expected`` gives the size each axis must have (None: any),
    ``layout`` names the axes and ``channels`` the axis that meets x's channels (for the error),
    e.g. conv2d's ``"(C_out, C_in, kH, kW)", "C_in", (None, C, None, None)``."""
    weight = as_float_array(weight, name)
    if weight.ndim != 4 or any(e is not None and n != e for n, e in zip(weight.shape, expected)):
        raise ValueError(
            f"{name} must have shape {layout} with {channels} = {x.shape[1]} "
            f"(the channels of x of shape {x.shape}), got shape {weight.shape}"
        )
    return weight.astype(x.dtype, copy=False)


def _check_conv(
    x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None, stride: object, padding: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[int, int], tuple[int, int]]:
    x = _check_image(x)
    weight = _check_filters(weight, x, "(C_out, C_in, kH, kW)", "C_in", (None, x.shape[1], None, None))
    bias = as_optional_parameter(
        bias, "bias", (weight.shape[0],), "(C_out,)", f"weight of shape {weight.shape}", x.dtype
    )
    return x, weight, bias, _pair(stride, "stride", 1), _pair(padding, "padding", 0)


# --8<-- [start:conv2d]
@propagates_nonfinite
def conv2d(
    x: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> np.ndarray:
    """2-d convolution as ``torch.nn.functional.conv2d``: a cross-correlation, the kernel not flipped.

    ``y[n, o, i, j] = bias[o] + sum_{c, a, b} weight[o, c, a, b] * xp[n, c, i*sH + a, j*sW + b]``,
    where ``xp`` is ``x`` with ``padding`` zeros added on each side of H and W.

    Parameters
    ----------
    x : array_like, shape (N, C_in, H, W)
        A batch of images (float32 stays float32; other real input is computed in float64).
    weight : array_like, shape (C_out, C_in, kH, kW)
        One (C_in, kH, kW) filter per output channel; cast to x's dtype.
    bias : array_like, shape (C_out,), optional
        Added to every position of each output channel.
    stride : int or (int, int), default 1
        Step of the kernel along H and W (>= 1).
    padding : int or (int, int), default 0
        Zeros added on both sides of H and W (>= 0).

    Returns
    -------
    ndarray, shape (N, C_out, H_out, W_out)
        With ``H_out = (H + 2 pH - kH) // sH + 1`` and likewise for W.

    Examples
    --------
    >>> # a 2x2 kernel [[1, 0], [0, -1]] over the 3x3 image 0..8: each output is
    >>> # top-left minus bottom-right of its window, x[i, j] - x[i+1, j+1] = -4 everywhere
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> conv2d(x, np.array([[[[1.0, 0.0], [0.0, -1.0]]]]))
    array([[[[-4., -4.],
             [-4., -4.]]]])
    """
    x, weight, bias, stride, padding = _check_conv(x, weight, bias, stride, padding)
    # every (kH, kW) window of the zero-padded input, as a view (N, C, H_out, W_out, kH, kW)
    windows = _windows(_pad(x, padding), weight.shape[2:], stride, "conv2d")
    n, _, h_out, w_out = windows.shape[:4]
    # one row per output pixel times one column per filter: (N * H_out * W_out, C_out)
    c_out, taps = weight.shape[0], int(np.prod(weight.shape[1:]))
    y = _im2col(windows) @ weight.reshape(c_out, taps).T
    # back to (N, C_out, H_out, W_out); every size spelled out, since -1 cannot be inferred for N = 0
    y = y.reshape(n, h_out, w_out, c_out).transpose(0, 3, 1, 2)
    return y if bias is None else y + bias.reshape(1, -1, 1, 1)
# --8<-- [end:conv2d]


# --8<-- [start:conv2d_backward]
@propagates_nonfinite
def conv2d_backward(
    grad_out: ArrayLike,
    x: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Gradients of :func:`conv2d` with respect to ``x``, ``weight`` and ``bias``.

    Parameters
    ----------
    grad_out : array_like, shape (N, C_out, H_out, W_out)
        Upstream gradient dL/dy.
    x, weight, bias, stride, padding
        The forward arguments.

    Returns
    -------
    (dx, dweight, dbias) : ndarrays of the shapes of x, weight and bias
        ``dbias[o] = sum_{n,i,j} g[n, o, i, j]``; ``dweight[o, c, a, b] = sum_{n,i,j}
        g[n, o, i, j] * xp[n, c, i*sH + a, j*sW + b]`` (each filter tap times the inputs it saw);
        ``dx`` sends ``g[n, o, i, j] * weight[o, c, a, b]`` back to the input pixel each tap read,
        summing where windows overlap, and drops the padding. ``dbias`` is None when ``bias`` is.

    Examples
    --------
    >>> # 1x1 image, 1x1 kernel 3, g = 2: y = 3 x + b, so dx = 3 * 2, dweight = x * 2, dbias = 2
    >>> conv2d_backward([[[[2.0]]]], [[[[5.0]]]], [[[[3.0]]]], bias=[0.0])
    (array([[[[6.]]]]), array([[[[10.]]]]), array([2.]))
    """
    x, weight, bias, stride, padding = _check_conv(x, weight, bias, stride, padding)
    xp = _pad(x, padding)
    windows = _windows(xp, weight.shape[2:], stride, "conv2d_backward")
    n, _, h_out, w_out = windows.shape[:4]
    g = as_grad_out(grad_out, (n, weight.shape[0], h_out, w_out), x.dtype)
    # y = sum weight * window + bias: the bias gradient sums g over batch and positions
    dbias = None if bias is None else np.sum(g, axis=(0, 2, 3))
    # g as a matrix matching the forward product: (N * H_out * W_out, C_out)
    c_out, taps = weight.shape[0], int(np.prod(weight.shape[1:]))
    g_rows = g.transpose(0, 2, 3, 1).reshape(n * h_out * w_out, c_out)
    # dweight[o, c, a, b] = sum over n, i, j of g[n, o, i, j] * window[n, c, i, j, a, b]
    dweight = (g_rows.T @ _im2col(windows)).reshape(weight.shape)
    # each window's gradient g[n, :, i, j] @ weight, (N, C, H_out, W_out, kH, kW) ...
    cols = (g_rows @ weight.reshape(c_out, taps)).reshape(n, h_out, w_out, *weight.shape[1:])
    # ... added back onto the pixels it came from; then the padding is cut off
    dxp = _col2im(cols.transpose(0, 3, 1, 2, 4, 5), xp.shape, stride)
    ph, pw = padding
    dx = dxp[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]]
    return dx, dweight, dbias
# --8<-- [end:conv2d_backward]
