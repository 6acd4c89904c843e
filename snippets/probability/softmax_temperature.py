"""Softmax temperature: divide the logits by T before the softmax to sharpen (T < 1) or flatten (T > 1)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import (
    as_float_array,
    as_grad_out,
    as_real_scalar,
    check_axis,
    check_generator,
    propagates_nonfinite,
)
from snippets.activations.softmax import softmax, softmax_backward

__all__ = ["softmax_with_temperature", "softmax_with_temperature_backward", "sample_with_temperature"]


def _scaled(logits: ArrayLike, temperature: float, axis: int) -> tuple[np.ndarray, np.ndarray, int, float]:
    """Checked logits and ``(logits - max) / T``, divided in float64 so that a tiny T gives -inf
    (whose exp is the limit 0) rather than 0/0 in float32."""
    x = as_float_array(logits, "logits")
    axis = check_axis(axis, x.ndim, x.shape)
    t = as_real_scalar(temperature, "temperature", low=0.0, low_open=True)
    z = np.atleast_1d(x)
    # subtract the max first: every quotient is <= 0 and the largest logit gives exactly 0
    with np.errstate(over="ignore"):
        scaled = ((z - np.max(z, axis=axis, keepdims=True, initial=-np.inf)) / np.float64(t)).astype(z.dtype)
    return x, scaled, axis, t


# --8<-- [start:softmax_with_temperature]
@propagates_nonfinite
def softmax_with_temperature(logits: ArrayLike, temperature: float = 1.0, axis: int = -1) -> np.ndarray:
    """``softmax(logits / T)`` along ``axis``.

    ``T = 1`` is the plain softmax; ``T -> 0`` tends to the one-hot vector of the argmax (ties
    share the mass equally), ``T -> inf`` to the uniform distribution. The ratio of two
    probabilities is ``exp((z_i - z_j) / T)``: the temperature rescales every log-odds.

    Parameters
    ----------
    logits : array_like, shape (*, K, *)
        Scores of K classes along ``axis``.
    temperature : float, default 1.0
        ``T > 0``. Any positive value gives a finite result (a tiny T gives the argmax limit).
    axis : int, default -1
        The axis of the classes.

    Returns
    -------
    ndarray, shape of ``logits``
        Probabilities summing to 1 along ``axis``; the float dtype of ``logits``.

    Examples
    --------
    >>> softmax_with_temperature([0.0, np.log(3)], temperature=0.5)  # exp(2 ln 3) = 9: (1, 9) / 10
    array([0.1, 0.9])
    >>> softmax_with_temperature([0.0, np.log(3)], temperature=2.0)  # (1, sqrt 3) / (1 + sqrt 3)
    array([0.3660254, 0.6339746])
    """
    x, scaled, axis, _ = _scaled(logits, temperature, axis)
    return softmax(scaled, axis=axis).reshape(x.shape)
# --8<-- [end:softmax_with_temperature]


# --8<-- [start:softmax_with_temperature_backward]
@propagates_nonfinite
def softmax_with_temperature_backward(
    grad_out: ArrayLike, logits: ArrayLike, temperature: float = 1.0, axis: int = -1
) -> np.ndarray:
    """Gradient of :func:`softmax_with_temperature` with respect to ``logits``.

    The softmax backward at ``logits / T``, divided by ``T``: ``p * (g - sum(g * p)) / T``.

    Parameters
    ----------
    grad_out : array_like, shape of ``logits``
        Upstream gradient dL/dp.
    logits, temperature, axis
        As in the forward pass.

    Returns
    -------
    ndarray, shape of ``logits``
        dL/dlogits, at most ``max|g| / (2 T)`` in size: finite for ``T >= 1e-30`` in float32
        (``1e-300`` in float64); beyond, a gradient too large for the dtype is inf.

    Examples
    --------
    >>> softmax_with_temperature_backward([1.0, 0.0], [0.0, 0.0], temperature=0.5)  # (1/4, -1/4) / (1/2)
    array([ 0.5, -0.5])
    """
    x, scaled, axis, t = _scaled(logits, temperature, axis)
    g = np.atleast_1d(as_grad_out(grad_out, x.shape, x.dtype))
    # chain rule through logits / T: the softmax Jacobian-vector product, then 1 / T (in float64:
    # a T below float32's range must not round to 0; a gradient beyond float32's range is inf)
    jvp = softmax_backward(g, scaled, axis=axis)
    with np.errstate(over="ignore"):
        return (jvp / np.float64(t)).astype(jvp.dtype).reshape(x.shape)
# --8<-- [end:softmax_with_temperature_backward]


# --8<-- [start:sample_with_temperature]
@propagates_nonfinite
def sample_with_temperature(
    logits: ArrayLike, temperature: float = 1.0, rng: np.random.Generator | None = None, axis: int = -1
) -> np.ndarray:
    """Draw one class per slice from ``softmax(logits / T)``; ``T = 0`` means greedy (the argmax).

    Parameters
    ----------
    logits : array_like, shape (*, K, *)
        Scores of K classes along ``axis`` (``-inf`` for a class that must not be drawn); NaN,
        ``+inf`` and slices that are all ``-inf`` raise ``ValueError``.
    temperature : float, default 1.0
        ``T >= 0``: 0 picks the largest logit (the first one on ties), 1 samples the model's own
        distribution, larger values sample more uniformly.
    rng : numpy.random.Generator, optional
        Source of randomness (a fresh unseeded generator if None).
    axis : int, default -1
        The axis of the classes.

    Returns
    -------
    ndarray of int64, shape of ``logits`` without ``axis``
        The drawn class indices.

    Examples
    --------
    >>> sample_with_temperature([[1.0, 3.0, 2.0], [0.5, -1.0, 0.0]], temperature=0.0)  # greedy
    array([1, 0])
    >>> rng = np.random.default_rng(0)
    >>> sample_with_temperature([0.0, -np.inf, 5.0], temperature=2.0, rng=rng) in (0, 2)  # never class 1
    True
    """
    x = as_float_array(logits, "logits")
    axis = check_axis(axis, x.ndim, x.shape)
    t = as_real_scalar(temperature, "temperature", low=0.0)
    z = np.atleast_1d(x)
    if z.shape[axis] == 0:
        raise ValueError(f"logits must have at least one class along axis {axis}, got shape {x.shape}")
    bad = np.isnan(z) | (z == np.inf)
    if np.any(bad):
        raise ValueError(f"logits must not be NaN or +inf (no distribution to sample), found {z[bad].ravel()[0]}")
    if np.any(np.all(z == -np.inf, axis=axis)):
        raise ValueError(f"logits along axis {axis} must not all be -inf (no class has probability > 0)")
    if t == 0:
        return np.asarray(np.argmax(z, axis=axis), dtype=np.int64)  # the T -> 0 limit: greedy
    rng = np.random.default_rng() if rng is None else check_generator(rng)
    # inverse-CDF sampling: the first class whose cumulative probability exceeds u ~ U(0, 1)
    p = np.moveaxis(softmax_with_temperature(z, t, axis=axis), axis, -1)
    cdf = np.cumsum(p, axis=-1)
    u = rng.random(cdf.shape[:-1] + (1,)) * cdf[..., -1:]  # scaled by the total: rounding cannot skip the last class
    return np.asarray(np.argmax(cdf > u, axis=-1), dtype=np.int64)
# --8<-- [end:sample_with_temperature]
