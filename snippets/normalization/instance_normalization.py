"""Instance normalization: standardise each channel of each example over its spatial positions;
and adaptive instance normalization (AdaIN), which gives it another image's channel statistics."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, propagates_nonfinite
from snippets.normalization.batch_normalization import _check_eps, _rms
from snippets.normalization.group_normalization import group_norm, group_norm_backward
from snippets.normalization.layer_normalization import _row_statistics

__all__ = ["instance_norm", "instance_norm_backward", "adain", "adain_backward"]


def _check_spatial(x: ArrayLike, name: str, fn: str) -> np.ndarray:
    """x (N, C, *spatial) as a float array with more than one spatial position, as PyTorch's
    ``instance_norm`` requires (one position would be its own mean: x_hat = 0 everywhere)."""
    x = as_float_array(x, name)
    if x.ndim < 2:
        raise ValueError(f"{name} must have shape (N, C, *spatial), got shape {x.shape}")
    positions = int(np.prod(x.shape[2:]))
    if positions == 1:
        raise ValueError(
            f"{fn} needs more than 1 spatial position per channel: {name} has shape {x.shape}, "
            f"so prod(spatial) = 1 (an (N, C) input has no spatial axes; did you mean layer_norm?)"
        )
    return x


def _check_same_channels(content: np.ndarray, style: np.ndarray) -> None:
    """AdaIN pairs channel c of example n in both inputs: their (N, C) must agree."""
    if style.shape[:2] != content.shape[:2]:
        raise ValueError(
            f"style must have the (N, C) of content: content has shape {content.shape}, "
            f"style has shape {style.shape}"
        )


def _channel_rows(x: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows (N, C, prod(spatial)) of x: centred values, 1 / sqrt(var + eps) and the row means."""
    rows = x.reshape(x.shape[0], x.shape[1], int(np.prod(x.shape[2:])))
    centred, _ = _row_statistics(rows, (2,))
    mean = np.mean(rows - centred, axis=2, keepdims=True)  # x - centred is the mean, per row
    return centred, 1 / _rms(centred, (2,), eps), mean


# --8<-- [start:instance_norm]
@propagates_nonfinite
def instance_norm(
    x: ArrayLike, weight: ArrayLike | None = None, bias: ArrayLike | None = None, eps: float = 1e-5
) -> np.ndarray:
    """Instance normalization, as ``torch.nn.functional.instance_norm`` with no running statistics.

    Each channel of each example is standardised with its own mean and biased variance over the
    spatial positions, then ``y = x_hat * weight[c] + bias[c]``: group normalization with one
    channel per group (``num_groups = C``).

    Parameters
    ----------
    x : array_like, shape (N, C, *spatial)
        Input with more than one spatial position (PyTorch refuses one as well); float32 stays
        float32, other real input is computed in float64.
    weight, bias : array_like, shape (C,), optional
        Per-channel scale and shift (PyTorch's ``affine=True`` parameters); None means 1 and 0.
    eps : float > 0, default 1e-5
        Added to the variance before the square root; keeps a constant channel finite.

    Returns
    -------
    ndarray, shape of x
        In x's float dtype; finite for every finite x.

    Examples
    --------
    >>> # one example, 2 channels of 2 positions: (1, 3) and (10, 30) both standardise to
    >>> # (-1, 1) / sqrt(1 + eps / var) ~ (-1, 1); then channel 1 is scaled by 2 and shifted by 5
    >>> instance_norm([[[1.0, 3.0], [10.0, 30.0]]], weight=[1.0, 2.0], bias=[0.0, 5.0]).round(4)
    array([[[-1.,  1.],
            [ 3.,  7.]]])
    """
    x = _check_spatial(x, "x", "instance_norm")
    # one group per channel: the statistics of each (example, channel) over space
    return group_norm(x, max(x.shape[1], 1), weight, bias, eps)
# --8<-- [end:instance_norm]


# --8<-- [start:instance_norm_backward]
@propagates_nonfinite
def instance_norm_backward(
    grad_out: ArrayLike,
    x: ArrayLike,
    weight: ArrayLike | None = None,
    bias: ArrayLike | None = None,
    eps: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Gradients of :func:`instance_norm` with respect to ``x``, ``weight`` and ``bias``.

    Parameters
    ----------
    grad_out : array_like, shape of x
        Upstream gradient dL/dy.
    x : array_like, shape (N, C, *spatial)
        The forward input.
    weight, bias : array_like, shape (C,), optional
        The forward scale and shift (``bias`` does not enter the gradients; it is checked).
    eps : float > 0, default 1e-5
        The forward ``eps``.

    Returns
    -------
    (dx, dweight, dbias) : ndarray of x's shape, then two of shape (C,) or None
        Always a 3-tuple, None for a parameter that was None: :func:`group_norm_backward` with
        ``num_groups = C`` (means over each channel's spatial positions, sums over N and space).

    Examples
    --------
    >>> # a constant upstream gradient only shifts each channel, and y has mean 0: dx = 0;
    >>> # dweight = sum of x_hat ~ -1 + 1 = 0 per channel, dbias = 1 + 1 = 2 per channel
    >>> dx, dw, db = instance_norm_backward(np.ones((1, 2, 2)), [[[1.0, 3.0], [10.0, 30.0]]], [1.0, 2.0], [0.0, 5.0])
    >>> dx.round(12) + 0.0, dw.round(12) + 0.0, db
    (array([[[0., 0.],
            [0., 0.]]]), array([0., 0.]), array([2., 2.]))
    """
    x = _check_spatial(x, "x", "instance_norm_backward")
    return group_norm_backward(grad_out, x, max(x.shape[1], 1), weight, bias, eps)
# --8<-- [end:instance_norm_backward]


# --8<-- [start:adain]
@propagates_nonfinite
def adain(content: ArrayLike, style: ArrayLike, eps: float = 1e-5) -> np.ndarray:
    """Adaptive instance normalization: content's channels re-scaled to the style's statistics.

    ``y = (content - mean_c) / sqrt(var_c + eps) * sqrt(var_s + eps) + mean_s``, every mean and
    biased variance taken per (example, channel) over the spatial positions (Huang & Belongie,
    2017). No learned parameters: the style supplies instance_norm's weight and bias.

    Parameters
    ----------
    content : array_like, shape (N, C, *spatial)
        Features to restyle (more than one spatial position).
    style : array_like, shape (N, C, *spatial_s)
        Features whose channel means and standard deviations are imposed; its spatial size
        may differ from the content's (more than one position). Cast to content's dtype.
    eps : float > 0, default 1e-5
        Added to both variances.

    Returns
    -------
    ndarray, shape of content
        Each channel has the style channel's mean and (up to eps) its standard deviation.

    Examples
    --------
    >>> # content (1, 3) standardises to ~(-1, 1); the style channel (0, 10, 20) has mean 10 and
    >>> # biased variance 200/3, std 8.165: y ~ 10 + 8.165 * (-1, 1)
    >>> adain([[[1.0, 3.0]]], [[[0.0, 10.0, 20.0]]]).round(3)
    array([[[ 1.835, 18.165]]])
    """
    content = _check_spatial(content, "content", "adain")
    style = _check_spatial(style, "style", "adain").astype(content.dtype, copy=False)
    _check_same_channels(content, style)
    eps = _check_eps(eps)
    # standardise the content per (example, channel)
    centred, inv_std, _ = _channel_rows(content, eps)
    # the style's per-(example, channel) standard deviation and mean replace weight and bias
    s_centred, s_inv_std, s_mean = _channel_rows(style, eps)
    return (centred * inv_std / s_inv_std + s_mean).reshape(content.shape)
# --8<-- [end:adain]


# --8<-- [start:adain_backward]
@propagates_nonfinite
def adain_backward(
    grad_out: ArrayLike, content: ArrayLike, style: ArrayLike, eps: float = 1e-5
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`adain` with respect to ``content`` and ``style``.

    Parameters
    ----------
    grad_out : array_like, shape of content
        Upstream gradient dL/dy.
    content : array_like, shape (N, C, *spatial)
        The forward content.
    style : array_like, shape (N, C, *spatial_s)
        The forward style.
    eps : float > 0, default 1e-5
        The forward ``eps``.

    Returns
    -------
    (dcontent, dstyle) : ndarrays of the shapes of content and style
        Per (example, channel), with x_hat the standardised content, g = grad_out, sigma_s =
        sqrt(var_s + eps) and s_hat the style standardised the same way:
        ``dcontent = sigma_s / sigma_c * (g - mean(g) - x_hat * mean(g * x_hat))`` and
        ``dstyle = (sum(g) + s_hat * sum(g * x_hat)) / M_s``, M_s the style's spatial size.

    Examples
    --------
    >>> # a constant upstream gradient: dcontent = 0 (y's content part has mean 0); the style
    >>> # mean receives sum(g) = 2, spread over 3 positions; sum(g * x_hat) ~ 0 adds nothing
    >>> dc, ds = adain_backward(np.ones((1, 1, 2)), [[[1.0, 3.0]]], [[[0.0, 10.0, 20.0]]])
    >>> dc.round(12) + 0.0, ds.round(4)
    (array([[[0., 0.]]]), array([[[0.6667, 0.6667, 0.6667]]]))
    """
    content = _check_spatial(content, "content", "adain_backward")
    style = _check_spatial(style, "style", "adain_backward").astype(content.dtype, copy=False)
    _check_same_channels(content, style)
    eps = _check_eps(eps)
    g = as_grad_out(grad_out, content.shape, content.dtype).reshape(content.shape[0], content.shape[1], -1)
    centred, inv_std, _ = _channel_rows(content, eps)
    s_centred, s_inv_std, _ = _channel_rows(style, eps)
    x_hat = centred * inv_std
    # y = x_hat * sigma_s + mean_s: the style statistics get sum(g) and sum(g * x_hat)
    d_mean_s = np.sum(g, axis=2, keepdims=True)
    d_sigma_s = np.sum(g * x_hat, axis=2, keepdims=True)
    # mean_s and sigma_s = sqrt(var_s + eps) as functions of the style: d/ds = 1/M and s_hat / M
    m_s = s_centred.shape[2]
    dstyle = (d_mean_s + s_centred * s_inv_std * d_sigma_s) / m_s
    # through x_hat, as instance norm with weight sigma_s per (example, channel)
    g_mean = np.mean(g, axis=2, keepdims=True)
    dcontent = (inv_std / s_inv_std) * (g - g_mean - x_hat * (d_sigma_s / centred.shape[2]))
    return dcontent.reshape(content.shape), dstyle.reshape(style.shape)
# --8<-- [end:adain_backward]
