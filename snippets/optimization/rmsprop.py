"""RMSprop: divide each coordinate's step by a running root-mean-square of its gradients."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_bool, as_real_scalar, propagates_nonfinite
from snippets.optimization.sgd import _as_state, _param_and_grad, _state_array, _state_step

__all__ = ["rmsprop_step"]


def _lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """``start + weight * (end - start)``, rounded as torch.lerp rounds it."""
    w = start.dtype.type(weight)
    if abs(weight) < 0.5:
        return start + w * (end - start)
    return end - (end - start) * (1 - w)


def _state_or_zeros(state: dict, key: str, param: np.ndarray, nonnegative: bool = False) -> np.ndarray:
    """The running average ``state[key]`` checked against ``param``; zeros before it exists."""
    return _state_array(state, key, param, nonnegative) if key in state else np.zeros_like(param)


# --8<-- [start:running_root]
def _running_root(
    square_avg: np.ndarray,
    old_square_avg: np.ndarray,
    g: np.ndarray,
    decay: float,
    grad_avg: np.ndarray | None = None,
    old_grad_avg: np.ndarray | None = None,
) -> np.ndarray:
    """sqrt(v) for the running average ``v = decay * v_old + (1 - decay) * g^2`` just formed (or,
    given the running mean ``a`` of g, the standard deviation ``sqrt(max(v - a^2, 0))``).

    Where v is below the smallest normal float its digits are lost (from |g| of about 1e-153 in
    float64, 1e-18 in float32, on; further down g^2 is 0): there v is formed again in units of 2^e, a power of two near
    |g| or sqrt(v_old), where nothing underflows, and the root scaled back (exact: only the
    exponent changes). Elsewhere it is the plain root, bit for bit PyTorch's. With eps = 0 a lost
    v would otherwise divide the step by 0 (PyTorch returns -inf or NaN there).
    """
    dt = square_avg.dtype.type
    var = square_avg if grad_avg is None else square_avg + dt(-1) * grad_avg * grad_avg
    root = np.sqrt(np.maximum(var, 0))  # a variance is >= 0; rounding must not make it NaN
    lost = square_avg < np.finfo(square_avg.dtype).tiny
    if not np.any(lost):
        return root
    # the exponent of the larger of |g| and sqrt(v_old): the new unit for the lost entries
    _, e = np.frexp(np.maximum(np.abs(g), np.sqrt(old_square_avg)))
    z = np.ldexp(g, -e)
    v = np.ldexp(dt(decay) * old_square_avg, -2 * e) + dt(1 - decay) * z * z
    if grad_avg is not None:
        a = _lerp(np.ldexp(old_grad_avg, -e), z, 1 - decay)
        v = v + dt(-1) * a * a
    return np.where(lost, np.ldexp(np.sqrt(np.maximum(v, 0)), e), root)
# --8<-- [end:running_root]


def _scaled_step(step: np.ndarray, denom: np.ndarray) -> np.ndarray:
    """``step / denom``, and 0 where ``denom`` is 0: that happens only with eps = 0 after gradients
    that were all exactly 0, where the step tends to 0 as eps -> 0 (0 / eps = 0)."""
    return np.divide(step, denom, out=np.zeros_like(step), where=denom != 0)


# --8<-- [start:rmsprop_step]
@propagates_nonfinite
def rmsprop_step(
    param: ArrayLike,
    grad: ArrayLike,
    state: dict,
    lr: float = 0.01,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
) -> tuple[np.ndarray, dict]:
    """One step of RMSprop, as ``torch.optim.RMSprop`` takes it.

    ``v = alpha * v + (1 - alpha) * g**2`` (from ``v = 0``), then
    ``param - lr * g / (sqrt(v) + eps)``. ``centered`` subtracts the squared running mean of
    ``g`` from ``v`` (a variance instead of a second moment); ``momentum`` accumulates the scaled
    steps ``g / (sqrt(v) + eps)`` in a buffer first.

    Parameters
    ----------
    param : array_like, shape (*)
        Current parameters. Never modified; the result has its dtype.
    grad : array_like, shape (*)
        Gradient at ``param``, cast to ``param``'s dtype.
    state : dict
        ``{}`` before the first step, then the dict this function returned. Keys: ``"step"``
        (int), ``"square_avg"`` (v), and ``"grad_avg"`` when ``centered``,
        ``"momentum_buffer"`` when ``momentum > 0``; arrays of shape (*). Never modified. A step
        that is not an integer >= 0, a missing v after step 1, a wrong shape or a negative v
        raise ``ValueError`` (``TypeError`` for a non-integer step) naming the key.
    lr : float, default 0.01
        Learning rate, ``>= 0``.
    alpha : float, default 0.99
        Decay of the running average of squared gradients, in ``[0, 1]``.
    eps : float, default 1e-8
        Added to the root mean square (outside the square root), ``>= 0``. With 0 the step is
        still finite for gradients so small that their squares underflow, and 0 (no move) while
        every gradient so far was 0.
    weight_decay : float, default 0
        L2 coefficient added to the gradient, ``>= 0``.
    momentum : float, default 0
        Momentum factor, ``>= 0``.
    centered : bool, default False
        Normalise by an estimate of the gradient's standard deviation instead of its RMS.

    Returns
    -------
    new_param : ndarray, shape (*)
    new_state : dict
        A new dict with new arrays.

    Examples
    --------
    >>> # first step: v = (1 - 0.75) * 2^2 = 1, so the step is lr * 2 / sqrt(1) = 0.2
    >>> p, s = rmsprop_step([1.0], [2.0], {}, lr=0.1, alpha=0.75, eps=0.0)
    >>> p, s["square_avg"], s["step"]
    (array([0.8]), array([1.]), 1)
    """
    param, grad = _param_and_grad(param, grad)
    state = _as_state(state)
    step = _state_step(state, ("square_avg",))
    lr = as_real_scalar(lr, "lr", low=0.0)
    alpha = as_real_scalar(alpha, "alpha", low=0.0, high=1.0)
    eps = as_real_scalar(eps, "eps", low=0.0)
    weight_decay = as_real_scalar(weight_decay, "weight_decay", low=0.0)
    momentum = as_real_scalar(momentum, "momentum", low=0.0)
    centered = as_bool(centered, "centered")
    dt = param.dtype.type
    state["step"] = step + 1
    # L2 weight decay enters through the gradient
    g = grad + dt(weight_decay) * param if weight_decay != 0 else grad
    # running mean of squared gradients: v <- alpha v + (1 - alpha) g^2
    old_square_avg = _state_or_zeros(state, "square_avg", param, nonnegative=True)
    square_avg = old_square_avg * dt(alpha) + dt(1 - alpha) * g * g
    state["square_avg"] = square_avg
    if centered:
        # running mean of gradients; v - mean^2 estimates the variance
        old_grad_avg = _state_or_zeros(state, "grad_avg", param)
        grad_avg = _lerp(old_grad_avg, g, 1 - alpha)
        state["grad_avg"] = grad_avg
        avg = _running_root(square_avg, old_square_avg, g, alpha, grad_avg, old_grad_avg) + dt(eps)
    else:
        avg = _running_root(square_avg, old_square_avg, g, alpha) + dt(eps)
    if momentum > 0:
        # momentum on the normalised step
        buf = _state_or_zeros(state, "momentum_buffer", param) * dt(momentum) + _scaled_step(g, avg)
        state["momentum_buffer"] = buf
        return param + dt(-lr) * buf, state
    # per-coordinate step: the gradient divided by its root mean square
    return param + _scaled_step(dt(-lr) * g, avg), state
# --8<-- [end:rmsprop_step]
