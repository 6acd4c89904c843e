"""1x1 convolution: a fully connected layer over the channels, applied at every pixel."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_grad_out, propagates_nonfinite
from snippets.layers.convolution import _check_conv

__all__ = ["conv1x1", "conv1x1_backward"]


def _check_1x1(
    x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """x (N, C_in, H, W), weight (C_out, C_in, 1, 1) as a (C_out, C_in) matrix, bias (C_out,) or None."""
    x, weight, bias, _, _ = _check_conv(x, weight, bias, 1, 0)
    if weight.shape[2:] != (1, 1):
        raise ValueError(f"weight must have shape (C_out, C_in, 1, 1), got shape {weight.shape}")
    return x, weight[:, :, 0, 0], bias


# --8<-- [start:conv1x1]
@propagates_nonfinite
def conv1x1(x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None) -> np.ndarray:
    """1x1 convolution, ``torch.nn.functional.conv2d(x, weight, bias)`` with a (C_out, C_in, 1, 1) weight.

    ``y[n, o, h, w] = bias[o] + sum_c weight[o, c, 0, 0] * x[n, c, h, w]``: the same linear map
    of the channel vector at every pixel; no neighbouring pixels are read.

    Parameters
    ----------
    x : array_like, shape (N, C_in, H, W)
        A batch of feature maps (float32 stays float32; other real input is computed in float64).
    weight : array_like, shape (C_out, C_in, 1, 1)
        PyTorch's convolution layout with a 1x1 kernel; cast to x's dtype.
    bias : array_like, shape (C_out,), optional
        Added to every pixel of each output channel.

    Returns
    -------
    ndarray, shape (N, C_out, H, W)
        Same height and width as x; only the number of channels changes.

    Examples
    --------
    >>> # two channels (1 and 10 everywhere) mixed into their sum and their difference
    >>> x = np.stack([np.ones((2, 2)), 10 * np.ones((2, 2))])[None]          # (1, 2, 2, 2)
    >>> conv1x1(x, np.array([[1.0, 1.0], [1.0, -1.0]])[:, :, None, None])[0, :, 0, 0]
    array([11., -9.])
    """
    x, w, bias = _check_1x1(x, weight, bias)
    n, c_in, h, wd = x.shape
    # every pixel's channel vector times the (C_out, C_in) matrix: one batched matrix product
    y = (w @ x.reshape(n, c_in, h * wd)).reshape(n, w.shape[0], h, wd)
    return y if bias is None else y + bias.reshape(1, -1, 1, 1)
# --8<-- [end:conv1x1]


# --8<-- [start:conv1x1_backward]
@propagates_nonfinite
def conv1x1_backward(
    grad_out: ArrayLike, x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Gradients of :func:`conv1x1` with respect to ``x``, ``weight`` and ``bias``.

    Parameters
    ----------
    grad_out : array_like, shape (N, C_out, H, W)
        Upstream gradient dL/dy.
    x, weight, bias
        The forward arguments.

    Returns
    -------
    (dx, dweight, dbias) : ndarrays of the shapes of x, weight and bias
        Those of a linear layer whose batch is every pixel of every image:
        ``dx[n, :, h, w] = weightᵀ g[n, :, h, w]``, ``dweight[o, c] = sum_{n,h,w} g[n, o, h, w] x[n, c, h, w]``,
        ``dbias[o] = sum_{n,h,w} g[n, o, h, w]`` (None when ``bias`` is).

    Examples
    --------
    >>> # one pixel, x = (1, 2), weight row (3, 4), g = 10: dx = 10 * (3, 4), dweight = 10 * (1, 2)
    >>> dx, dw, db = conv1x1_backward([[[[10.0]]]], [[[[1.0]], [[2.0]]]], [[[[3.0]], [[4.0]]]], bias=[0.0])
    >>> dx.ravel(), dw.ravel(), db
    (array([30., 40.]), array([10., 20.]), array([10.]))
    """
    x, w, bias = _check_1x1(x, weight, bias)
    n, c_in, h, wd = x.shape
    g = as_grad_out(grad_out, (n, w.shape[0], h, wd), x.dtype)
    gp, xp = g.reshape(n, w.shape[0], h * wd), x.reshape(n, c_in, h * wd)
    # y = W x per pixel: dx = Wᵀ g per pixel, dW = sum over pixels and images of g xᵀ
    dx = (w.T @ gp).reshape(x.shape)
    dweight = np.einsum("nop,ncp->oc", gp, xp)[:, :, None, None]
    dbias = None if bias is None else np.sum(g, axis=(0, 2, 3))
    return dx, dweight, dbias
# --8<-- [end:conv1x1_backward]
