"""Gumbel-softmax (the concrete distribution) and the Gumbel-max trick: sampling a category, and a
differentiable relaxation of that sample."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import (
    as_bool,
    as_float_array,
    as_grad_out,
    as_real_scalar,
    check_axis,
    check_generator,
    check_same_shape,
    propagates_nonfinite,
)
from snippets.activations.softmax import softmax, softmax_backward

__all__ = ["gumbel_softmax", "gumbel_softmax_backward", "gumbel_max_sample"]


def _noisy_scores(
    logits: ArrayLike, tau: float, gumbels: ArrayLike | None, axis: int, rng: np.random.Generator | None
) -> tuple[np.ndarray, np.ndarray, int, float]:
    """Checked ``logits`` and the scores ``(logits + gumbels - max) / tau`` (drawing the noise if
    none is given); returns (logits, scores, axis, tau)."""
    logits = as_float_array(logits, "logits")
    axis = check_axis(axis, logits.ndim, logits.shape)
    tau = as_real_scalar(tau, "tau", low=0.0, low_open=True)
    z = np.atleast_1d(logits)
    if z.shape[axis] == 0:
        raise ValueError(f"logits must have at least one category along axis {axis}, got shape {logits.shape}")
    if gumbels is None:
        rng = np.random.default_rng() if rng is None else check_generator(rng)
        g = rng.gumbel(size=z.shape).astype(z.dtype)  # Gumbel(0, 1) = -log(-log U), U ~ Uniform(0, 1)
    else:
        g = as_float_array(gumbels, "gumbels")
        check_same_shape(logits, g, "logits", "gumbels")
        g = np.atleast_1d(g).astype(z.dtype, copy=False)  # the noise takes the dtype of the logits
    s = z + g
    # subtract the max before dividing by tau: the quotients are <= 0, so exp cannot overflow.
    # Divide in float64 (a tau below float32's range would round to 0 and give 0/0); a tiny tau
    # sends the quotients to -inf, whose exp is the limit 0 (hence no overflow warning)
    with np.errstate(over="ignore"):
        scores = ((s - np.max(s, axis=axis, keepdims=True)) / np.float64(tau)).astype(z.dtype)
    return logits, scores, axis, tau


# --8<-- [start:gumbel_softmax]
@propagates_nonfinite
def gumbel_softmax(
    logits: ArrayLike,
    tau: float = 1.0,
    hard: bool = False,
    gumbels: ArrayLike | None = None,
    axis: int = -1,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """A relaxed one-hot sample ``softmax((logits + G) / tau)`` with Gumbel(0, 1) noise ``G``.

    ``torch.nn.functional.gumbel_softmax``, with the noise exposed: pass ``gumbels`` to fix it
    (then the result is deterministic and ``rng`` is not used), or let the function draw it from
    ``rng``. With ``hard=True`` the result is the one-hot vector of the soft sample's argmax,
    exactly (PyTorch returns ``y_hard - y_soft.detach() + y_soft``, equal up to rounding, so that
    the gradient is the soft one: see :func:`gumbel_softmax_backward`).

    Parameters
    ----------
    logits : array_like, shape (*, K, *)
        Unnormalised log-probabilities of K categories along ``axis``.
    tau : float, default 1.0
        Temperature, ``tau > 0``: towards 0 the samples approach one-hot vectors, large values
        flatten them towards uniform.
    hard : bool, default False
        Return the one-hot vector of the argmax instead of the soft sample.
    gumbels : array_like, shape of ``logits``, optional
        The Gumbel(0, 1) noise to use, cast to the dtype of ``logits``. Drawn when omitted.
    axis : int, default -1
        The axis of the categories (PyTorch's ``dim``).
    rng : numpy.random.Generator, optional
        Source of the noise when ``gumbels`` is omitted (a fresh unseeded generator if None).

    Returns
    -------
    ndarray, shape of ``logits``
        Non-negative values summing to 1 along ``axis`` (a one-hot vector if ``hard``); the float
        dtype of ``logits``. NaN along a slice that holds NaN.

    Examples
    --------
    >>> gumbel_softmax([1.0, 2.0], gumbels=[1.0, 0.0])  # softmax(2, 2)
    array([0.5, 0.5])
    >>> gumbel_softmax([0.0, 0.0], tau=0.5, gumbels=[np.log(3), 0.0])  # softmax(2 ln 3, 0) = (9, 1)/10
    array([0.9, 0.1])
    >>> gumbel_softmax([0.0, 1.0, 0.5], hard=True, gumbels=[2.0, 0.0, 0.0])  # scores (2, 1, 0.5)
    array([1., 0., 0.])
    >>> gumbel_softmax(np.zeros((2, 3)), rng=np.random.default_rng(0)).sum(axis=-1)
    array([1., 1.])
    """
    hard = as_bool(hard, "hard")
    logits, scores, axis, _ = _noisy_scores(logits, tau, gumbels, axis, rng)
    y = softmax(scores, axis=axis)
    if hard:
        # the one-hot vector of the argmax; a slice with NaN stays NaN (argmax would hide it)
        y_hard = np.zeros_like(y)
        np.put_along_axis(y_hard, np.argmax(y, axis=axis, keepdims=True), 1, axis=axis)
        y = np.where(np.isnan(y).any(axis=axis, keepdims=True), np.nan, y_hard)
    return y.reshape(logits.shape)
# --8<-- [end:gumbel_softmax]


# --8<-- [start:gumbel_softmax_backward]
@propagates_nonfinite
def gumbel_softmax_backward(
    grad_out: ArrayLike,
    logits: ArrayLike,
    tau: float = 1.0,
    hard: bool = False,
    gumbels: ArrayLike | None = None,
    axis: int = -1,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Gradient of :func:`gumbel_softmax` with respect to ``logits``, for the noise ``gumbels``.

    The soft sample is ``softmax(s)`` with ``s = (logits + gumbels) / tau``, so the gradient is
    the softmax backward divided by ``tau``: ``y * (g - sum(g * y)) / tau``. With ``hard=True``
    it is the same soft gradient (the straight-through estimator, as in PyTorch), although the
    hard forward itself is piecewise constant.

    Parameters
    ----------
    grad_out : array_like, shape of ``logits``
        Upstream gradient dL/dy.
    logits, tau, hard, axis
        As in the forward pass.
    gumbels : array_like, shape of ``logits``
        The noise the forward pass used. Required: the gradient depends on it, and redrawing it
        would differentiate a different sample.
    rng : numpy.random.Generator, optional
        Not used (accepted so that the forward's arguments can be passed unchanged).

    Returns
    -------
    ndarray, shape of ``logits``
        dL/dlogits, at most ``max|g| / (2 tau)`` in size: finite for ``tau >= 1e-30`` in float32
        (``1e-300`` in float64); beyond, a gradient too large for the dtype is inf.

    Examples
    --------
    >>> gumbel_softmax_backward([1.0, 0.0], [1.0, 2.0], tau=2.0, gumbels=[1.0, 0.0])  # y = (1/2, 1/2)
    array([ 0.125, -0.125])
    """
    as_bool(hard, "hard")
    if gumbels is None:
        raise ValueError(
            "gumbels must be given to gumbel_softmax_backward: pass the noise the forward used, "
            "e.g. draw it once with rng.gumbel(size=logits.shape) and give it to both"
        )
    logits, scores, axis, tau = _noisy_scores(logits, tau, gumbels, axis, rng)
    g = as_grad_out(grad_out, logits.shape, logits.dtype)
    # chain rule through s = (logits + gumbels) / tau: the softmax Jacobian, then 1 / tau (in
    # float64: a tau below float32's range must not round to 0; a gradient beyond it is inf)
    jvp = softmax_backward(np.atleast_1d(g), scores, axis=axis)
    with np.errstate(over="ignore"):
        return (jvp / np.float64(tau)).astype(jvp.dtype).reshape(logits.shape)
# --8<-- [end:gumbel_softmax_backward]


# --8<-- [start:gumbel_max_sample]
@propagates_nonfinite
def gumbel_max_sample(logits: ArrayLike, axis: int = -1, rng: np.random.Generator | None = None) -> np.ndarray:
    """Draw categories with probabilities ``softmax(logits)`` by the Gumbel-max trick.

    ``argmax(logits + G)`` with independent Gumbel(0, 1) noise ``G`` is a sample of the categorical
    distribution ``softmax(logits)``: no softmax, no cumulative sum, and one draw per slice.

    Parameters
    ----------
    logits : array_like, shape (*, K, *)
        Unnormalised log-probabilities along ``axis``. ``-inf`` marks a category that is never
        drawn; NaN, ``+inf`` and slices that are all ``-inf`` raise ``ValueError``.
    axis : int, default -1
        The axis of the categories.
    rng : numpy.random.Generator, optional
        Source of the noise (a fresh unseeded generator if None).

    Returns
    -------
    ndarray of int64, shape of ``logits`` without ``axis``
        One category index per slice.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> gumbel_max_sample([[0.0, -np.inf], [-np.inf, 5.0]], rng=rng)  # one category possible per row
    array([0, 1])
    >>> gumbel_max_sample(np.zeros((4, 3)), rng=rng).shape  # one draw per row
    (4,)
    """
    logits = as_float_array(logits, "logits")
    axis = check_axis(axis, logits.ndim, logits.shape)
    z = np.atleast_1d(logits)
    if z.shape[axis] == 0:
        raise ValueError(f"logits must have at least one category along axis {axis}, got shape {logits.shape}")
    bad = np.isnan(z) | (z == np.inf)
    if np.any(bad):
        raise ValueError(f"logits must not be NaN or +inf (no distribution to sample), found {z[bad].ravel()[0]}")
    if np.any(np.all(z == -np.inf, axis=axis)):
        raise ValueError(f"logits along axis {axis} must not all be -inf (no category has probability > 0)")
    rng = np.random.default_rng() if rng is None else check_generator(rng)
    # perturb every logit with its own Gumbel(0, 1) noise; the largest perturbed logit wins
    return np.asarray(np.argmax(z + rng.gumbel(size=z.shape).astype(z.dtype), axis=axis), dtype=np.int64)
# --8<-- [end:gumbel_max_sample]
