"""Batch normalization: standardise each channel over the batch, then rescale and shift it."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import (
    as_bool,
    as_float_array,
    as_grad_out,
    as_real_scalar,
    check_shape,
    propagates_nonfinite,
)

__all__ = ["batch_norm", "batch_norm_backward"]


def _check_eps(eps: object) -> float:
    """``eps`` > 0: with eps = 0 a constant channel would divide 0 by 0."""
    eps = as_real_scalar(eps, "eps", low=0.0)
    if eps == 0:
        raise ValueError("eps must be a finite number > 0, got 0 (a constant channel would divide 0 by 0)")
    return eps


def _rms(x: np.ndarray, axes: tuple[int, ...], eps: float) -> np.ndarray:
    """sqrt(mean(x^2) + eps) over ``axes`` (keepdims), without overflow for any finite x.

    The root mean square of rms_norm, and, applied to centred data, the ``sqrt(var + eps)`` of
    batch and layer normalization: there too a variance that overflows (|x| above 1e154 in
    float64) must not turn a finite standard deviation into inf and the output into 0.

    Each row is scaled by the power of two 2^e just above its largest |x| (exact: only the
    exponent changes), so the squares are <= 1; the root mean square is scaled back and eps is
    added with hypot, which forms sqrt(a^2 + b^2) without squaring a.
    """
    largest = np.max(np.abs(x), axis=axes, keepdims=True)
    _, e = np.frexp(largest)
    z = np.ldexp(x, -e)
    rms = np.ldexp(np.sqrt(np.mean(z * z, axis=axes, keepdims=True)), e)
    return np.hypot(rms, np.sqrt(x.dtype.type(eps)))


def _check_inputs(
    x: ArrayLike, gamma: ArrayLike, beta: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``x`` as a float array (N, C, *spatial); ``gamma`` and ``beta`` of shape (C,) in its dtype."""
    x = as_float_array(x, "x")
    if x.ndim < 2:
        raise ValueError(f"x must have shape (N, C) or (N, C, *spatial), got shape {x.shape}")
    c = x.shape[1]
    params = []
    for name, value in (("gamma", gamma), ("beta", beta)):
        arr = as_float_array(value, name)
        check_shape(arr, (c,), name, "(C,)", f"x of shape {x.shape}")
        params.append(arr.astype(x.dtype, copy=False))
    return x, params[0], params[1]


def _reduce_axes(x: np.ndarray) -> tuple[int, ...]:
    """Every axis but the channel axis 1: the statistics are taken over N and *spatial."""
    return (0, *range(2, x.ndim))


def _as_channel(v: np.ndarray, ndim: int) -> np.ndarray:
    """Reshape a per-channel vector (C,) to (1, C, 1, ..., 1) so it broadcasts against x."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def _values_per_channel(x: np.ndarray) -> int:
    """n = N * prod(spatial), the number of values each channel's statistics are taken over."""
    return int(np.prod((x.shape[0], *x.shape[2:])))


def _check_batch(x: np.ndarray, fn: str) -> int:
    n = _values_per_channel(x)
    if n < 2:
        raise ValueError(
            f"{fn} in training mode needs more than 1 value per channel to estimate a variance: "
            f"x has shape {x.shape}, so n = N * prod(spatial) = {n}"
        )
    return n


def _batch_statistics(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-channel mean (C,), biased variance (C,) and the centred input x - mean (x's shape).

    Two passes over shifted data: subtracting one sample of each channel first makes the
    numbers small, so neither the mean nor the centred values lose digits to a large offset
    (x = 1e4 + noise); the variance is then the mean of squared centred values, never the
    cancellation-prone E[x^2] - E[x]^2.
    """
    axes = _reduce_axes(x)
    shift = x[(slice(0, 1), slice(None)) + (slice(0, 1),) * (x.ndim - 2)]
    d = x - shift
    d_mean = np.mean(d, axis=axes, keepdims=True)
    centred = d - d_mean
    var = np.mean(centred * centred, axis=axes)
    return (shift + d_mean).reshape(-1), var, centred


def _check_running(value: object, name: str, c: int, training: bool) -> np.ndarray:
    """A running statistic of shape (C,); in training mode a writable float array (updated in place)."""
    if training:
        if not isinstance(value, np.ndarray) or value.dtype not in (np.float32, np.float64):
            raise TypeError(
                f"{name} is updated in place in training mode, so it must be a float32 or float64 "
                f"NumPy array, got {type(value).__name__}"
                + (f" of dtype {value.dtype}" if isinstance(value, np.ndarray) else "")
            )
        if not value.flags.writeable:
            raise ValueError(f"{name} is updated in place in training mode, but the array is read-only")
        arr = value
    else:
        arr = as_float_array(value, name)
    check_shape(arr, (c,), name, "(C,)", f"{c} channels")
    return arr


# --8<-- [start:batch_norm]
@propagates_nonfinite
def batch_norm(
    x: ArrayLike,
    gamma: ArrayLike,
    beta: ArrayLike,
    running_mean: np.ndarray | None = None,
    running_var: np.ndarray | None = None,
    training: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> np.ndarray:
    """Batch normalization over axis 1 (channels), as ``torch.nn.functional.batch_norm``.

    Training mode: ``y = gamma * (x - mean) / sqrt(var + eps) + beta`` with the mean and the
    biased variance of each channel taken over the batch and spatial axes. Inference
    (``training=False``): the same with ``running_mean`` and ``running_var`` in their place.

    .. warning::
       **``running_mean`` and ``running_var`` are modified in place** when they are given and
       ``training=True`` — the one exception to "never modify an input" in this package,
       copied from PyTorch:
       ``running_mean <- (1 - momentum) * running_mean + momentum * mean`` and
       ``running_var <- (1 - momentum) * running_var + momentum * var * n / (n - 1)``
       (the *unbiased* variance, with n = N * prod(spatial)). ``x``, ``gamma`` and ``beta``
       are never modified. Pass no running statistics and nothing is written.

    Note the argument order: ``torch.nn.functional.batch_norm(input, running_mean,
    running_var, weight, bias, training, momentum, eps)`` puts the running statistics first.

    Parameters
    ----------
    x : array_like, shape (N, C) or (N, C, *spatial)
        Input; float32 stays float32, other real input is computed in float64.
    gamma, beta : array_like, shape (C,)
        Per-channel scale and shift (PyTorch's ``weight`` and ``bias``), cast to x's dtype.
    running_mean, running_var : ndarray, shape (C,), optional
        Both or neither. Required when ``training=False``; in training mode they must be
        writable float32/float64 arrays, and are updated in place as above.
    training : bool, default True
        Normalise with the batch statistics (True) or with the running ones (False).
    momentum : float in [0, 1], default 0.1
        Weight of the new batch statistic in the running average (PyTorch's convention;
        Keras' ``momentum`` is the weight of the old value).
    eps : float > 0, default 1e-5
        Added to the variance before the square root; keeps constant channels finite.

    Returns
    -------
    ndarray, shape of x
        The normalised, scaled and shifted input, in x's float dtype; in training mode finite
        for every finite x (``sqrt(var + eps)`` is formed without squaring x).

    Examples
    --------
    >>> # one channel holding 1, 2, 3: mean 2, biased variance 2/3; with eps = 0 it would be
    >>> # (-1, 0, 1) / sqrt(2/3) = (-1.2247, 0, 1.2247); eps = 1e-5 shrinks that slightly
    >>> batch_norm([[1.0], [2.0], [3.0]], gamma=[1.0], beta=[0.0]).ravel().round(4)
    array([-1.2247,  0.    ,  1.2247])
    >>> rm, rv = np.zeros(1), np.ones(1)
    >>> _ = batch_norm([[1.0], [2.0], [3.0]], [1.0], [0.0], rm, rv)
    >>> rm, rv  # 0.9 * 0 + 0.1 * 2 and 0.9 * 1 + 0.1 * 1 (the unbiased variance of 1, 2, 3 is 1)
    (array([0.2]), array([1.]))
    """
    x, gamma, beta = _check_inputs(x, gamma, beta)
    training = as_bool(training, "training")
    momentum = as_real_scalar(momentum, "momentum", low=0.0, high=1.0)
    eps = _check_eps(eps)
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must be given together (both or neither)")
    c = x.shape[1]
    if running_mean is not None:
        running_mean = _check_running(running_mean, "running_mean", c, bool(training))
        running_var = _check_running(running_var, "running_var", c, bool(training))
        if np.any(running_var < 0):
            raise ValueError(f"running_var must be non-negative, got {running_var}")

    if not training:
        if running_mean is None:
            raise ValueError("batch_norm with training=False needs running_mean and running_var")
        # inference: a fixed affine map per channel, from the running statistics
        mean = running_mean.astype(x.dtype, copy=False)
        inv_std = 1 / np.sqrt(running_var.astype(x.dtype, copy=False) + eps)
        centred = x - _as_channel(mean, x.ndim)
    else:
        n = _check_batch(x, "batch_norm")
        # batch statistics per channel: mean and biased variance, computed from centred data
        mean, var, centred = _batch_statistics(x)
        # 1 / sqrt(var + eps), with sqrt(var + eps) formed without squaring the centred values
        inv_std = 1 / _rms(centred, _reduce_axes(x), eps).reshape(-1)

    # normalise, then scale by gamma and shift by beta
    y = centred * _as_channel(inv_std * gamma, x.ndim) + _as_channel(beta, x.ndim)

    if training and running_mean is not None:
        # IN PLACE: exponential moving averages; the variance is the unbiased n / (n - 1) one
        running_mean[...] = (1 - momentum) * running_mean + momentum * mean
        running_var[...] = (1 - momentum) * running_var + momentum * var * (n / (n - 1))
    return y
# --8<-- [end:batch_norm]


# --8<-- [start:batch_norm_backward]
@propagates_nonfinite
def batch_norm_backward(
    grad_out: ArrayLike, x: ArrayLike, gamma: ArrayLike, beta: ArrayLike, eps: float = 1e-5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`batch_norm` in training mode (batch statistics).

    Parameters
    ----------
    grad_out : array_like, shape of x
        Upstream gradient dL/dy.
    x : array_like, shape (N, C) or (N, C, *spatial)
        The forward input.
    gamma, beta : array_like, shape (C,)
        The forward scale and shift (``beta`` does not enter the gradients; it is checked).
    eps : float > 0, default 1e-5
        The forward ``eps``.

    Returns
    -------
    (dx, dgamma, dbeta) : ndarrays of shapes x.shape, (C,), (C,)
        With x_hat = (x - mean) / sqrt(var + eps) and sums and means over the n = N * prod(spatial)
        values of each channel: ``dbeta = sum(g)``, ``dgamma = sum(g * x_hat)`` and
        ``dx = gamma / sqrt(var + eps) * (g - mean(g) - x_hat * mean(g * x_hat))``.

    Examples
    --------
    >>> # one channel holding 1, 2, 3, x_hat ~ (-1.2247, 0, 1.2247): a constant upstream gradient
    >>> # has mean(g) = g, so dx = 0; dbeta = 1 + 1 + 1 = 3; dgamma = sum(x_hat) = 0
    >>> dx, dgamma, dbeta = batch_norm_backward(np.ones((3, 1)), [[1.0], [2.0], [3.0]], [1.0], [0.0])
    >>> dx.ravel(), dgamma.round(12), dbeta
    (array([0., 0., 0.]), array([0.]), array([3.]))
    """
    x, gamma, beta = _check_inputs(x, gamma, beta)
    eps = _check_eps(eps)
    g = as_grad_out(grad_out, x.shape, x.dtype)
    _check_batch(x, "batch_norm_backward")
    axes = _reduce_axes(x)
    # recompute the forward pass: x_hat = (x - mean) / sqrt(var + eps)
    _, var, centred = _batch_statistics(x)
    inv_std = 1 / _rms(centred, axes, eps).reshape(-1)  # 1 / sqrt(var + eps), without overflow
    x_hat = centred * _as_channel(inv_std, x.ndim)
    # y = gamma * x_hat + beta: the parameters' gradients are per-channel sums
    g_x_hat = g * x_hat
    dbeta = np.sum(g, axis=axes)
    dgamma = np.sum(g_x_hat, axis=axes)
    # through x_hat, the mean and the variance at once (the compact closed form)
    g_mean = np.mean(g, axis=axes, keepdims=True)
    gx_mean = np.mean(g_x_hat, axis=axes, keepdims=True)
    dx = _as_channel(gamma * inv_std, x.ndim) * (g - g_mean - x_hat * gx_mean)
    return dx, dgamma, dbeta
# --8<-- [end:batch_norm_backward]
