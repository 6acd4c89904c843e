"""Depthwise and depthwise separable 2-d convolution: one filter per channel, then a 1x1 mix of channels."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, as_optional_parameter, propagates_nonfinite
from snippets.layers.convolution import _check_filters, _check_image, _col2im, _pad, _pair, _windows

__all__ = [
    "depthwise_conv2d",
    "depthwise_conv2d_backward",
    "depthwise_separable_conv2d",
    "depthwise_separable_conv2d_backward",
]


def _check_depthwise(
    x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None, stride: object, padding: object, name: str = "weight"
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[int, int], tuple[int, int]]:
    """x (N, C, H, W), a weight (C, 1, kH, kW) named ``name``, an optional bias (C,), stride, padding."""
    x = _check_image(x)
    weight = _check_filters(weight, x, "(C, 1, kH, kW)", "C", (x.shape[1], 1, None, None), name)
    bias = as_optional_parameter(bias, "bias", (weight.shape[0],), "(C,)", f"{name} of shape {weight.shape}", x.dtype)
    return x, weight, bias, _pair(stride, "stride", 1), _pair(padding, "padding", 0)


# --8<-- [start:depthwise_conv2d]
@propagates_nonfinite
def depthwise_conv2d(
    x: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> np.ndarray:
    """Depthwise 2-d convolution, ``torch.nn.functional.conv2d(x, weight, bias, stride, padding, groups=C)``.

    Every channel is filtered by its own kernel and nothing is summed across channels:
    ``y[n, c, i, j] = bias[c] + sum_{a, b} weight[c, 0, a, b] * xp[n, c, i*sH + a, j*sW + b]``,
    where ``xp`` is ``x`` with ``padding`` zeros on each side of H and W.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
        A batch of images (float32 stays float32; other real input is computed in float64).
    weight : array_like, shape (C, 1, kH, kW)
        One single-channel filter per input channel (PyTorch's layout for ``groups=C``).
    bias : array_like, shape (C,), optional
        Added to every position of each channel.
    stride : int or (int, int), default 1
        Step of the kernel along H and W (>= 1).
    padding : int or (int, int), default 0
        Zeros added on both sides of H and W (>= 0).

    Returns
    -------
    ndarray, shape (N, C, H_out, W_out)
        ``H_out = (H + 2 pH - kH) // sH + 1`` and likewise for W.

    Examples
    --------
    >>> # channel 0 sums each pair of neighbours (kernel [1, 1]), channel 1 takes their
    >>> # difference (kernel [-1, 1]); the rows are 0 1 2 and 3 5 9: sums 1 3, differences 2 4
    >>> x = np.array([[[[0.0, 1.0, 2.0]], [[3.0, 5.0, 9.0]]]])      # (1, 2, 1, 3)
    >>> depthwise_conv2d(x, np.array([[[[1.0, 1.0]]], [[[-1.0, 1.0]]]]))
    array([[[[1., 3.]],
    <BLANKLINE>
            [[2., 4.]]]])
    """
    x, weight, bias, stride, padding = _check_depthwise(x, weight, bias, stride, padding)
    # every (kH, kW) window of the zero-padded input, a view (N, C, H_out, W_out, kH, kW)
    windows = _windows(_pad(x, padding), weight.shape[2:], stride, "depthwise_conv2d")
    # each channel's windows times that channel's kernel, summed over the kernel taps only
    y = np.einsum("nchwab,cab->nchw", windows, weight[:, 0])
    return y if bias is None else y + bias.reshape(1, -1, 1, 1)
# --8<-- [end:depthwise_conv2d]


# --8<-- [start:depthwise_conv2d_backward]
@propagates_nonfinite
def depthwise_conv2d_backward(
    grad_out: ArrayLike,
    x: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Gradients of :func:`depthwise_conv2d` with respect to ``x``, ``weight`` and ``bias``.

    Parameters
    ----------
    grad_out : array_like, shape (N, C, H_out, W_out)
        Upstream gradient dL/dy.
    x, weight, bias, stride, padding
        The forward arguments.

    Returns
    -------
    (dx, dweight, dbias) : ndarrays of the shapes of x, weight and bias
        ``dbias[c] = sum_{n,i,j} g[n, c, i, j]``; ``dweight[c, 0, a, b] = sum_{n,i,j}
        g[n, c, i, j] * xp[n, c, i*sH + a, j*sW + b]``; ``dx`` sends ``g[n, c, i, j] *
        weight[c, 0, a, b]`` back to the pixel of channel c that each tap read, summing where
        windows overlap, and drops the padding. ``dbias`` is None when ``bias`` is.

    Examples
    --------
    >>> # one channel, 1x2 image (4, 5), kernel [2, 3], g = 1: y = 2*4 + 3*5, so
    >>> # dx = the kernel (2, 3), dweight = the image (4, 5), dbias = 1
    >>> depthwise_conv2d_backward([[[[1.0]]]], [[[[4.0, 5.0]]]], [[[[2.0, 3.0]]]], bias=[0.0])
    (array([[[[2., 3.]]]]), array([[[[4., 5.]]]]), array([1.]))
    """
    x, weight, bias, stride, padding = _check_depthwise(x, weight, bias, stride, padding)
    xp = _pad(x, padding)
    windows = _windows(xp, weight.shape[2:], stride, "depthwise_conv2d_backward")
    g = as_grad_out(grad_out, windows.shape[:4], x.dtype)
    # y = sum of taps + bias: the bias gradient sums g over batch and positions
    dbias = None if bias is None else np.sum(g, axis=(0, 2, 3))
    # each tap's gradient: g times the input values that tap saw, per channel
    dweight = np.einsum("nchw,nchwab->cab", g, windows)[:, None]
    # each window's gradient g * kernel (N, C, H_out, W_out, kH, kW), added back onto the
    # padded grid where the window came from; then the padding is cut off
    cols = g[..., None, None] * weight[:, 0][None, :, None, None]
    dxp = _col2im(cols, xp.shape, stride)
    ph, pw = padding
    dx = dxp[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]]
    return dx, dweight, dbias
# --8<-- [end:depthwise_conv2d_backward]


def _check_pointwise(pw_weight: ArrayLike, channels: int, dtype: np.dtype) -> np.ndarray:
    """pw_weight (C_out, C, 1, 1) as a (C_out, C) matrix of ``dtype``."""
    pw = as_float_array(pw_weight, "pw_weight")
    if pw.ndim != 4 or pw.shape[1] != channels or pw.shape[2:] != (1, 1):
        raise ValueError(
            f"pw_weight must have shape (C_out, C, 1, 1) with C = {channels} "
            f"(the channels of x), got shape {pw.shape}"
        )
    return pw[:, :, 0, 0].astype(dtype, copy=False)


# --8<-- [start:depthwise_separable_conv2d]
@propagates_nonfinite
def depthwise_separable_conv2d(
    x: ArrayLike,
    dw_weight: ArrayLike,
    pw_weight: ArrayLike,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> np.ndarray:
    """Depthwise separable convolution: :func:`depthwise_conv2d`, then a 1x1 (pointwise) convolution.

    Equals ``F.conv2d(F.conv2d(x, dw_weight, None, stride, padding, groups=C), pw_weight)``: the
    spatial filtering happens per channel, and only the 1x1 step mixes channels. Both steps are
    without bias (a network adds one, or a normalization, after each step).

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
        A batch of images.
    dw_weight : array_like, shape (C, 1, kH, kW)
        The depthwise filters, one per input channel.
    pw_weight : array_like, shape (C_out, C, 1, 1)
        The pointwise filters: row o mixes the C filtered channels into output channel o.
    stride, padding : int or (int, int)
        Of the depthwise step, as in :func:`depthwise_conv2d`.

    Returns
    -------
    ndarray, shape (N, C_out, H_out, W_out)
        ``y[n, o] = sum_c pw_weight[o, c, 0, 0] * depthwise_conv2d(x, dw_weight, None, stride, padding)[n, c]``.

    Examples
    --------
    >>> # the depthwise step of the depthwise_conv2d example gives channels (1, 3) and (2, 4);
    >>> # the pointwise row (1, 10) adds ten times the second: (1 + 20, 3 + 40)
    >>> x = np.array([[[[0.0, 1.0, 2.0]], [[3.0, 5.0, 9.0]]]])
    >>> depthwise_separable_conv2d(x, [[[[1.0, 1.0]]], [[[-1.0, 1.0]]]], [[[[1.0]], [[10.0]]]])
    array([[[[21., 43.]]]])
    """
    x, dw, _, stride, padding = _check_depthwise(x, dw_weight, None, stride, padding, "dw_weight")
    pw = _check_pointwise(pw_weight, x.shape[1], x.dtype)
    # spatial filtering, one channel at a time: (N, C, H_out, W_out)
    z = depthwise_conv2d(x, dw, None, stride, padding)
    # the 1x1 convolution: a matrix product over channels at every pixel
    return np.einsum("oc,nchw->nohw", pw, z)
# --8<-- [end:depthwise_separable_conv2d]


# --8<-- [start:depthwise_separable_conv2d_backward]
@propagates_nonfinite
def depthwise_separable_conv2d_backward(
    grad_out: ArrayLike,
    x: ArrayLike,
    dw_weight: ArrayLike,
    pw_weight: ArrayLike,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`depthwise_separable_conv2d` with respect to ``x``, ``dw_weight`` and ``pw_weight``.

    Parameters
    ----------
    grad_out : array_like, shape (N, C_out, H_out, W_out)
        Upstream gradient dL/dy.
    x, dw_weight, pw_weight, stride, padding
        The forward arguments.

    Returns
    -------
    (dx, ddw_weight, dpw_weight) : ndarrays of the shapes of x, dw_weight and pw_weight
        The chain rule through the two steps: with ``z`` the depthwise output,
        ``dpw_weight[o, c] = sum_{n,i,j} g[n, o, i, j] z[n, c, i, j]`` and ``dz = pw_weightᵀ g``
        per pixel, which :func:`depthwise_conv2d_backward` carries to x and dw_weight.

    Examples
    --------
    >>> # one channel, 1x1 kernel 2, pointwise weight 3: y = 6 x, so with g = 1 and x = 5:
    >>> # dx = 6, ddw = 3 * 5, dpw = z = 2 * 5
    >>> depthwise_separable_conv2d_backward([[[[1.0]]]], [[[[5.0]]]], [[[[2.0]]]], [[[[3.0]]]])
    (array([[[[6.]]]]), array([[[[15.]]]]), array([[[[10.]]]]))
    """
    x, dw, _, stride, padding = _check_depthwise(x, dw_weight, None, stride, padding, "dw_weight")
    pw = _check_pointwise(pw_weight, x.shape[1], x.dtype)
    # forward again to the depthwise output z (N, C, H_out, W_out)
    z = depthwise_conv2d(x, dw, None, stride, padding)
    g = as_grad_out(grad_out, (z.shape[0], pw.shape[0], *z.shape[2:]), x.dtype)
    # y = pw z at every pixel: dpw = sum over pixels of g zᵀ, dz = pwᵀ g
    dpw = np.einsum("nohw,nchw->oc", g, z)[:, :, None, None]
    dz = np.einsum("oc,nohw->nchw", pw, g)
    # ... and dz through the depthwise step
    dx, ddw, _ = depthwise_conv2d_backward(dz, x, dw, None, stride, padding)
    return dx, ddw, dpw
# --8<-- [end:depthwise_separable_conv2d_backward]
