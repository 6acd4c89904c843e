"""Group normalization: standardise each example over groups of channels, then rescale each channel."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, as_int, as_optional_parameter, propagates_nonfinite
from snippets.normalization.batch_normalization import _as_channel, _check_eps, _rms
from snippets.normalization.layer_normalization import _row_statistics

__all__ = ["group_norm", "group_norm_backward"]


def _check_channel_param(value: ArrayLike | None, name: str, x: np.ndarray) -> np.ndarray | None:
    """An optional per-channel parameter of shape (C,), cast to x's dtype."""
    return as_optional_parameter(value, name, (x.shape[1],), "(C,)", f"x of shape {x.shape}", x.dtype)


def _check_group_inputs(
    x: ArrayLike, num_groups: object, weight: ArrayLike | None, bias: ArrayLike | None, eps: object
) -> tuple[np.ndarray, int, np.ndarray | None, np.ndarray | None, float]:
    """x (N, C, *spatial) as a float array, ``num_groups`` dividing C, the optional (C,) weight
    and bias in x's dtype, and eps > 0. A group of one value is allowed, as in PyTorch: it is
    its own mean, so x_hat = 0 / sqrt(0 + eps) = 0 and y = bias."""
    x = as_float_array(x, "x")
    if x.ndim < 2:
        raise ValueError(f"x must have shape (N, C) or (N, C, *spatial), got shape {x.shape}")
    num_groups = as_int(num_groups, "num_groups", low=1)
    c = x.shape[1]
    if c % num_groups:
        raise ValueError(
            f"num_groups must divide the number of channels C = {c} of x (shape {x.shape}), got {num_groups}"
        )
    weight = _check_channel_param(weight, "weight", x)
    bias = _check_channel_param(bias, "bias", x)
    return x, num_groups, weight, bias, _check_eps(eps)


def _grouped(x: np.ndarray, num_groups: int) -> np.ndarray:
    """View (N, C, *spatial) as (N, G, C/G * prod(spatial)): one row per (example, group)."""
    return x.reshape(x.shape[0], num_groups, x.shape[1] // num_groups * int(np.prod(x.shape[2:])))


# --8<-- [start:group_norm]
@propagates_nonfinite
def group_norm(
    x: ArrayLike,
    num_groups: int,
    weight: ArrayLike | None = None,
    bias: ArrayLike | None = None,
    eps: float = 1e-5,
) -> np.ndarray:
    """Group normalization, as ``torch.nn.functional.group_norm`` (no running statistics).

    The C channels are split into ``num_groups`` consecutive groups of C / G channels; each
    example's group is standardised with its own mean and biased variance (over its channels and
    all spatial positions), then ``y = x_hat * weight[c] + bias[c]`` per channel. ``num_groups=1``
    normalises each example over everything (layer normalization over (C, *spatial)),
    ``num_groups=C`` each channel of each example on its own (instance normalization).

    Parameters
    ----------
    x : array_like, shape (N, C) or (N, C, *spatial)
        Input; float32 stays float32, other real input is computed in float64.
    num_groups : int >= 1
        G, which must divide C.
    weight, bias : array_like, shape (C,), optional
        Per-channel scale and shift (PyTorch's ``affine`` parameters); None means 1 and 0.
    eps : float > 0, default 1e-5
        Added to the variance before the square root; keeps a constant group finite.

    Returns
    -------
    ndarray, shape of x
        In x's float dtype; finite for every finite x (``sqrt(var + eps)`` is formed without
        squaring x, so a variance beyond the dtype's range does not matter).

    Examples
    --------
    >>> # 4 channels in 2 groups: (1, 3) has mean 2 and variance 1, (10, 30) mean 20 and variance
    >>> # 100, so both standardise to (-1, 1) / sqrt(1 + eps / var) ~ (-1, 1)
    >>> group_norm([[1.0, 3.0, 10.0, 30.0]], 2).round(4)
    array([[-1.,  1., -1.,  1.]])
    >>> group_norm([[1.0, 3.0, 10.0, 30.0]], 2, weight=[1.0, 1.0, 2.0, 2.0], bias=[0.0, 0.0, 0.0, 5.0]).round(4)
    array([[-1.,  1., -2.,  7.]])
    """
    x, num_groups, weight, bias, eps = _check_group_inputs(x, num_groups, weight, bias, eps)
    # one row per (example, group): its mean and biased variance, from centred data
    rows = _grouped(x, num_groups)
    centred, _ = _row_statistics(rows, (2,))
    # standardise by sqrt(var + eps), formed without squaring (no overflow)
    y = (centred / _rms(centred, (2,), eps)).reshape(x.shape)
    # the per-channel scale and shift
    if weight is not None:
        y = y * _as_channel(weight, x.ndim)
    if bias is not None:
        y = y + _as_channel(bias, x.ndim)
    return y
# --8<-- [end:group_norm]


# --8<-- [start:group_norm_backward]
@propagates_nonfinite
def group_norm_backward(
    grad_out: ArrayLike,
    x: ArrayLike,
    num_groups: int,
    weight: ArrayLike | None = None,
    bias: ArrayLike | None = None,
    eps: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Gradients of :func:`group_norm` with respect to ``x``, ``weight`` and ``bias``.

    Parameters
    ----------
    grad_out : array_like, shape of x
        Upstream gradient dL/dy.
    x : array_like, shape (N, C) or (N, C, *spatial)
        The forward input.
    num_groups : int
        The forward G.
    weight, bias : array_like, shape (C,), optional
        The forward scale and shift (``bias`` does not enter the gradients; it is checked).
    eps : float > 0, default 1e-5
        The forward ``eps``.

    Returns
    -------
    (dx, dweight, dbias) : ndarray of x's shape, then two of shape (C,) or None
        Always a 3-tuple, with None for a parameter that was None. With x_hat the standardised
        input, g = grad_out and ĝ = g * weight[c], means taken over each (example, group):
        ``dbias[c] = sum(g)`` and ``dweight[c] = sum(g * x_hat)`` over N and spatial, and
        ``dx = (ĝ - mean(ĝ) - x_hat * mean(ĝ * x_hat)) / sqrt(var + eps)``.

    Examples
    --------
    >>> # a constant upstream gradient within a group only shifts it, and y has mean 0: dx = 0;
    >>> # dweight = x_hat ~ (-1, 1, -1, 1) and dbias = g = 1 per channel
    >>> dx, dw, db = group_norm_backward(np.ones((1, 4)), [[1.0, 3.0, 10.0, 30.0]], 2, np.ones(4), np.zeros(4))
    >>> dx.round(12) + 0.0, dw.round(4), db
    (array([[0., 0., 0., 0.]]), array([-1.,  1., -1.,  1.]), array([1., 1., 1., 1.]))
    >>> group_norm_backward(np.ones((1, 4)), [[1.0, 3.0, 10.0, 30.0]], 2)[1:]  # no affine parameters
    (None, None)
    """
    x, num_groups, weight, bias, eps = _check_group_inputs(x, num_groups, weight, bias, eps)
    g = as_grad_out(grad_out, x.shape, x.dtype)
    sums = (0, *range(2, x.ndim))  # every axis but the channels
    # recompute the forward pass, one row per (example, group)
    centred, _ = _row_statistics(_grouped(x, num_groups), (2,))
    inv_std = 1 / _rms(centred, (2,), eps)  # 1 / sqrt(var + eps), without overflow
    x_hat = centred * inv_std
    # y = weight[c] * x_hat + bias[c]: per-channel sums over the batch and spatial axes
    dweight = None if weight is None else np.sum(g * x_hat.reshape(x.shape), axis=sums)
    dbias = None if bias is None else np.sum(g, axis=sums)
    # through x_hat, the group mean and the group variance (layer norm's formula, per group)
    g_hat = _grouped(g if weight is None else g * _as_channel(weight, x.ndim), num_groups)
    g_mean = np.mean(g_hat, axis=2, keepdims=True)
    gx_mean = np.mean(g_hat * x_hat, axis=2, keepdims=True)
    dx = (inv_std * (g_hat - g_mean - x_hat * gx_mean)).reshape(x.shape)
    return dx, dweight, dbias
# --8<-- [end:group_norm_backward]
