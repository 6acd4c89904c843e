"""2-d transposed convolution: the adjoint of a convolution, which spreads each input pixel over a
kernel-sized patch of a larger output."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_grad_out, as_optional_parameter, propagates_nonfinite
from snippets.layers.convolution import _check_filters, _check_image, _col2im, _im2col, _pair, _windows

__all__ = ["conv_transpose2d", "conv_transpose2d_backward"]


def _check_transpose(
    x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None, stride: object, padding: object, output_padding: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]:
    """Checked arguments and the output size (H_out, W_out)."""
    x = _check_image(x)
    weight = _check_filters(weight, x, "(C_in, C_out, kH, kW)", "C_in", (x.shape[1], None, None, None))
    bias = as_optional_parameter(
        bias, "bias", (weight.shape[1],), "(C_out,)", f"weight of shape {weight.shape}", x.dtype
    )
    stride, padding = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
    output_padding = _pair(output_padding, "output_padding", 0)
    if output_padding[0] >= stride[0] or output_padding[1] >= stride[1]:
        # as PyTorch: an extra row beyond the stride would lie outside every window of the forward conv
        raise ValueError(
            f"output_padding must be smaller than stride in both directions, got "
            f"output_padding={output_padding} and stride={stride}"
        )
    size = tuple(
        (n - 1) * s - 2 * p + k + op
        for n, s, p, k, op in zip(x.shape[2:], stride, padding, weight.shape[2:], output_padding)
    )
    if min(size) < 1:
        raise ValueError(
            f"conv_transpose2d: the output size (H_out, W_out) = {size} is not positive for input "
            f"{x.shape[2:]}, kernel {weight.shape[2:]}, stride {stride} and padding {padding}"
        )
    return x, weight, bias, stride, padding, output_padding, size


# --8<-- [start:conv_transpose2d]
@propagates_nonfinite
def conv_transpose2d(
    x: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    output_padding: int | tuple[int, int] = 0,
) -> np.ndarray:
    """2-d transposed convolution as ``torch.nn.functional.conv_transpose2d``.

    Every input pixel scatters a copy of the kernel, scaled by its value, onto the output grid at
    ``stride`` spacing; overlapping copies add up. On the full grid ``F`` of size
    ``((H - 1) sH + kH + opH, ...)``:
    ``F[n, o, i*sH + a, j*sW + b] += sum_c x[n, c, i, j] * weight[c, o, a, b]``; the output is
    ``F`` with ``padding`` rows/columns cut from each side, plus ``bias[o]``. It is the gradient of
    :func:`conv2d` with respect to its input (the adjoint), hence the name.

    Parameters
    ----------
    x : array_like, shape (N, C_in, H, W)
        A batch of feature maps (float32 stays float32; other real input is computed in float64).
    weight : array_like, shape (C_in, C_out, kH, kW)
        PyTorch's layout for transposed convolutions: input channels first.
    bias : array_like, shape (C_out,), optional
        Added to every position of each output channel.
    stride : int or (int, int), default 1
        Spacing of the scattered kernels on the output (>= 1): the upsampling factor.
    padding : int or (int, int), default 0
        Rows/columns removed from each side of the full output (>= 0): the padding of the
        convolution this one undoes.
    output_padding : int or (int, int), default 0
        Extra rows/columns kept at the bottom/right, 0 <= output_padding < stride: picks one of
        the input sizes that a strided convolution maps to the same size.

    Returns
    -------
    ndarray, shape (N, C_out, H_out, W_out)
        ``H_out = (H - 1) sH - 2 pH + kH + opH`` and likewise for W (must be >= 1).

    Examples
    --------
    >>> # input [[1, 2]], kernel [[1, 1]], stride 2: the two copies 1*[1, 1] and 2*[1, 1] land at
    >>> # columns 0-1 and 2-3 -> [1, 1, 2, 2]; with stride 1 they overlap at column 1 -> [1, 3, 2]
    >>> x, k = np.array([[[[1.0, 2.0]]]]), np.array([[[[1.0, 1.0]]]])
    >>> conv_transpose2d(x, k, stride=(1, 2))
    array([[[[1., 1., 2., 2.]]]])
    >>> conv_transpose2d(x, k)
    array([[[[1., 3., 2.]]]])
    """
    x, weight, bias, stride, padding, output_padding, size = _check_transpose(
        x, weight, bias, stride, padding, output_padding)
    n, c_in, h, w = x.shape
    c_out, (kh, kw) = weight.shape[1], weight.shape[2:]
    # every input pixel times every kernel: one (C_out, kH, kW) patch per pixel, one matrix product
    pixels = x.transpose(0, 2, 3, 1).reshape(n * h * w, c_in)
    patches = (pixels @ weight.reshape(c_in, c_out * kh * kw)).reshape(n, h, w, c_out, kh, kw)
    # scatter-add the patches at stride spacing onto the full grid (col2im: the adjoint of im2col)
    full = tuple((m - 1) * s + k + op for m, s, k, op in zip((h, w), stride, (kh, kw), output_padding))
    grid = _col2im(patches.transpose(0, 3, 1, 2, 4, 5), (n, c_out, *full), stride)
    # cut the padding off each side
    (ph, pw), (h_out, w_out) = padding, size
    y = grid[:, :, ph : ph + h_out, pw : pw + w_out]
    return y if bias is None else y + bias.reshape(1, -1, 1, 1)
# --8<-- [end:conv_transpose2d]


# --8<-- [start:conv_transpose2d_backward]
@propagates_nonfinite
def conv_transpose2d_backward(
    grad_out: ArrayLike,
    x: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    output_padding: int | tuple[int, int] = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Gradients of :func:`conv_transpose2d` with respect to ``x``, ``weight`` and ``bias``.

    Parameters
    ----------
    grad_out : array_like, shape (N, C_out, H_out, W_out)
        Upstream gradient dL/dy.
    x, weight, bias, stride, padding, output_padding
        The forward arguments.

    Returns
    -------
    (dx, dweight, dbias) : ndarrays of the shapes of x, weight and bias
        With ``G`` the gradient placed back on the full grid (zeros where the padding was cut),
        each pixel's patch gradient is the window ``G[n, :, i*sH : i*sH + kH, j*sW : j*sW + kW]``:
        ``dx[n, c, i, j] = sum_{o,a,b} weight[c, o, a, b] * window`` — an ordinary
        :func:`conv2d` of ``G`` with ``weight`` and the same stride —,
        ``dweight[c, o, a, b] = sum_{n,i,j} x[n, c, i, j] * window[o, a, b]``,
        ``dbias[o] = sum_{n,i,j} g[n, o, i, j]`` (None when ``bias`` is).

    Examples
    --------
    >>> # input [[3]], kernel [[1, 2]]: y = [3, 6]; with g = [1, 10]: dx = 1*1 + 10*2 = 21,
    >>> # dweight = 3 * g = [3, 30], dbias = 1 + 10
    >>> conv_transpose2d_backward([[[[1.0, 10.0]]]], [[[[3.0]]]], [[[[1.0, 2.0]]]], bias=[0.0])
    (array([[[[21.]]]]), array([[[[ 3., 30.]]]]), array([11.]))
    """
    x, weight, bias, stride, padding, output_padding, size = _check_transpose(
        x, weight, bias, stride, padding, output_padding)
    n, c_in, h, w = x.shape
    c_out, kernel = weight.shape[1], weight.shape[2:]
    g = as_grad_out(grad_out, (n, c_out, *size), x.dtype)
    dbias = None if bias is None else np.sum(g, axis=(0, 2, 3))
    # the gradient on the full grid: zeros where the forward pass cut the padding off
    full = tuple((m - 1) * s + k + op for m, s, k, op in zip((h, w), stride, kernel, output_padding))
    grid = np.zeros((n, c_out, *full), dtype=x.dtype)
    (ph, pw), (h_out, w_out) = padding, size
    grid[:, :, ph : ph + h_out, pw : pw + w_out] = g
    # the window each input pixel's patch covered, one row per pixel: (N * H * W, C_out * kH * kW)
    windows = _im2col(_windows(grid, kernel, stride, "conv_transpose2d_backward")[:, :, :h, :w])
    pixels = x.transpose(0, 2, 3, 1).reshape(n * h * w, c_in)
    # patch = pixel @ weight, so dpixel = window @ weightᵀ and dweight = pixelᵀ @ window
    dx = (windows @ weight.reshape(c_in, -1).T).reshape(n, h, w, c_in).transpose(0, 3, 1, 2)
    dweight = (pixels.T @ windows).reshape(weight.shape)
    return dx, dweight, dbias
# --8<-- [end:conv_transpose2d_backward]
