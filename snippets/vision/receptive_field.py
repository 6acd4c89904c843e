"""Receptive field of a stack of convolution and pooling layers: by the recurrence, and measured
as the input pixels an output pixel's gradient reaches."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, propagates_nonfinite
from snippets.layers.convolution import _pair, conv2d_backward
from snippets.layers.padding_and_stride import conv_output_size

__all__ = ["receptive_field", "empirical_receptive_field"]


def _per_layer(values: object, name: str, layers: int | None, low: int, default: int | None = None) -> np.ndarray:
    """One integer >= ``low`` per layer, as an int64 array; None means ``default`` for every layer."""
    if values is None and default is not None and layers is not None:
        return np.full(layers, default, dtype=np.int64)
    arr = np.asarray(values)
    if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
        raise TypeError(f"{name} must be a 1-d sequence of integers (one per layer), got {values!r}")
    if layers is not None and arr.size != layers:
        raise ValueError(f"{name} must have one entry per layer ({layers}, as kernel_sizes), got {arr.size}")
    if arr.size and arr.min() < low:
        raise ValueError(f"{name} must be >= {low} for every layer, got {arr.tolist()}")
    return arr.astype(np.int64)


# --8<-- [start:receptive_field]
def receptive_field(
    kernel_sizes: Sequence[int],
    strides: Sequence[int],
    dilations: Sequence[int] | None = None,
    paddings: Sequence[int] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Receptive field size, jump and start after each layer of a stack, along one dimension.

    With ``r_0 = 1``, ``j_0 = 1``, ``start_0 = 0`` and layer l's kernel size k, stride s,
    dilation d and padding p: ``r_l = r_{l-1} + d (k - 1) j_{l-1}``, ``j_l = j_{l-1} s``,
    ``start_l = start_{l-1} - p j_{l-1}``. Unit i of layer l sees input pixels
    ``start_l + i j_l`` to ``start_l + i j_l + r_l - 1`` (some of them padding near the border).
    Integer counting: no gradient.

    Parameters
    ----------
    kernel_sizes, strides : sequences of int >= 1, shape (L,)
        Each layer's window size and step along the dimension (H or W), first layer first
        (convolutions and pooling alike).
    dilations, paddings : sequences of int, shape (L,), optional
        Tap spacing (>= 1, default 1) and cells added on each side (>= 0, default 0; only
        ``start`` depends on it).

    Returns
    -------
    size : numpy.ndarray of int64, shape (L,)
        ``r_l``: input pixels spanned by one unit of layer ``l``.
    jump : numpy.ndarray of int64, shape (L,)
        ``j_l``: input distance between neighbouring units of layer ``l`` (the output stride).
    start : numpy.ndarray of int64, shape (L,)
        ``start_l``: first input coordinate seen by unit 0 of layer ``l``.

    Examples
    --------
    >>> # two 3x3 convs (stride 1) then a 2x2 pooling with stride 2 then a 3x3 conv:
    >>> # r = 1 + 2 = 3, 3 + 2 = 5, 5 + 1 = 6, then 6 + 2 * 2 = 10; j = 1, 1, 2, 2
    >>> size, jump, start = receptive_field([3, 3, 2, 3], [1, 1, 2, 1], paddings=[1, 1, 0, 1])
    >>> size.tolist(), jump.tolist(), start.tolist()
    ([3, 5, 6, 10], [1, 1, 2, 2], [-1, -2, -2, -4])
    """
    k = _per_layer(kernel_sizes, "kernel_sizes", None, 1)
    s = _per_layer(strides, "strides", k.size, 1)
    d = _per_layer(dilations, "dilations", k.size, 1, default=1)
    p = _per_layer(paddings, "paddings", k.size, 0, default=0)
    # j_{l-1}: the product of the strides of the layers below layer l (1 before the first layer)
    jump = np.cumprod(s)
    jump_before = np.concatenate([[1], jump[:-1]]).astype(np.int64)
    # each layer widens the field by its dilated extent d (k - 1), in steps of the jump below it
    size = 1 + np.cumsum(d * (k - 1) * jump_before)
    # padding p at layer l moves the first window p cells of layer l-1 (p j_{l-1} pixels) outward
    start = -np.cumsum(p * jump_before)
    return size.astype(np.int64), jump.astype(np.int64), start.astype(np.int64)
# --8<-- [end:receptive_field]


def _check_stack(
    conv_weights: Sequence[ArrayLike], strides: Sequence[object], input_shape: object, paddings: Sequence[object] | None
) -> tuple[list[np.ndarray], list[object], list[tuple[int, int, int]], tuple[int, int]]:
    """The weights in the first one's dtype, the paddings (0 when None), each layer's input shape
    (C_in, H, W) and the last layer's output (H_out, W_out), or an error naming the argument."""
    if len(conv_weights) == 0:
        raise ValueError("conv_weights must hold at least one layer, got an empty sequence")
    weights = [as_float_array(w, f"conv_weights[{i}]") for i, w in enumerate(conv_weights)]
    weights = [w.astype(weights[0].dtype, copy=False) for w in weights]
    if len(strides) != len(weights):
        raise ValueError(f"strides must have one entry per layer ({len(weights)}), got {len(strides)}")
    paddings = [0] * len(weights) if paddings is None else list(paddings)
    if len(paddings) != len(weights):
        raise ValueError(f"paddings must have one entry per layer ({len(weights)}), got {len(paddings)}")
    h, w = _pair(input_shape, "input_shape", 1)
    shapes = []
    channels = weights[0].shape[1] if weights[0].ndim == 4 else None
    for i, (wt, stride, padding) in enumerate(zip(weights, strides, paddings)):
        if wt.ndim != 4 or wt.shape[1] != channels:
            raise ValueError(
                f"conv_weights[{i}] must have shape (C_out, C_in, kH, kW) with C_in = {channels} "
                f"(the previous layer's C_out), got shape {wt.shape}"
            )
        (sh, sw), (ph, pw) = _pair(stride, f"strides[{i}]", 1), _pair(padding, f"paddings[{i}]", 0)
        shapes.append((channels, h, w))
        if wt.shape[2] > h + 2 * ph or wt.shape[3] > w + 2 * pw:
            raise ValueError(
                f"conv_weights[{i}] of shape {wt.shape} does not fit its padded input of size "
                f"({h + 2 * ph}, {w + 2 * pw}): input_shape {tuple(input_shape)} is too small for the stack"
            )
        h, w = conv_output_size(h, wt.shape[2], sh, ph), conv_output_size(w, wt.shape[3], sw, pw)
        channels = wt.shape[0]
    return weights, paddings, shapes, (h, w)


# --8<-- [start:empirical_receptive_field]
@propagates_nonfinite
def empirical_receptive_field(
    conv_weights: Sequence[ArrayLike],
    strides: Sequence[int],
    input_shape: tuple[int, int],
    paddings: Sequence[int] | None = None,
    position: tuple[int, int] | None = None,
) -> np.ndarray:
    """Gradient of one output pixel of a conv2d stack (no bias, no activation) w.r.t. the input.

    What autograd leaves in ``input.grad`` after ``out[0, :, i, j].sum().backward()``: non-zero
    on the receptive field of (i, j) clipped to the image (barring exact cancellations), its
    magnitudes the *effective* receptive field (Luo et al., 2016). Itself a gradient: no backward.

    Parameters
    ----------
    conv_weights : sequence of array_like, each (C_out, C_in, kH, kW)
        Each layer's filters, first layer first; cast to the first one's dtype.
    strides, paddings : sequences of int or (int, int), shape (L,)
        Each layer's stride (>= 1) and zero padding (>= 0; all 0 when None).
    input_shape : (int, int)
        (H, W) of the input image.
    position : (int, int), optional
        Output pixel (i, j) of the last layer; (H_out // 2, W_out // 2) when None.

    Returns
    -------
    numpy.ndarray, shape (C_in, H, W)
        ``d sum_o out[o, i, j] / d x[c, u, v]``.

    Examples
    --------
    >>> # two 2x2 all-ones filters on a 4x4 image: output (1, 1) of the 2x2 output reads a 3x3
    >>> # block, each pixel counted by the paths reaching it: (1, 2, 1) times (1, 2, 1)
    >>> ones = np.ones((1, 1, 2, 2))
    >>> empirical_receptive_field([ones, ones], [1, 1], (4, 4))[0]
    array([[0., 0., 0., 0.],
           [0., 1., 2., 1.],
           [0., 2., 4., 2.],
           [0., 1., 2., 1.]])
    """
    weights, paddings, shapes, (h, w) = _check_stack(conv_weights, strides, input_shape, paddings)
    i, j = (h // 2, w // 2) if position is None else _pair(position, "position", 0)
    if i >= h or j >= w:
        raise ValueError(f"position must lie in the last layer's output of shape ({h}, {w}), got ({i}, {j})")
    # seed: dL/d out = 1 at (i, j) in every output channel, 0 elsewhere
    g = np.zeros((1, weights[-1].shape[0], h, w), dtype=weights[0].dtype)
    g[0, :, i, j] = 1
    # down the stack, last layer first: each step is one convolution's adjoint
    for wt, stride, padding, shape in zip(weights[::-1], strides[::-1], paddings[::-1], shapes[::-1]):
        x = np.zeros((1, *shape), dtype=g.dtype)  # linear map: any input gives the same gradient
        g = conv2d_backward(g, x, wt, None, stride, padding)[0]
    return g[0]
# --8<-- [end:empirical_receptive_field]
