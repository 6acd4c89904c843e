"""LAMB: Adam's update, rescaled per layer by a trust ratio ||w|| / ||update|| (after LARS)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_real_scalar, check_same_shape, propagates_nonfinite
from snippets.optimization.adam import _betas
from snippets.optimization.rmsprop import _lerp, _running_root, _scaled_step, _state_or_zeros
from snippets.optimization.sgd import _as_state, _param_and_grad, _state_step

__all__ = ["trust_ratio", "lamb_step"]


def _scaled_norm(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``||a||_2`` as ``(s, n)`` with ``||a|| = s * n``: ``s = max |a|`` keeps the squares from
    overflowing or underflowing (``n`` lies in ``[1, sqrt(a.size)]``; both 0 for a zero array)."""
    s = np.max(np.abs(a)) if a.size else a.dtype.type(0)
    if s == 0 or not np.isfinite(s):
        return s, (a.dtype.type(0) if s == 0 else s)
    return s, np.sqrt(np.sum(np.square(a / s)))


# --8<-- [start:trust_ratio]
@propagates_nonfinite
def trust_ratio(param: ArrayLike, update: ArrayLike) -> np.floating:
    """The layer-wise trust ratio of LARS and LAMB: ``||param||_2 / ||update||_2``.

    1 when either norm is 0 (a freshly zero-initialised layer, or no update), as the reference
    implementations of LAMB do: the step is then the plain update.

    Parameters
    ----------
    param : array_like, shape (*)
        One layer's weights (one parameter tensor).
    update : array_like, shape (*)
        The step direction for that layer, cast to ``param``'s dtype.

    Returns
    -------
    numpy scalar of param's dtype
        Finite for finite input: the norms are taken in units of each array's largest entry.

    Examples
    --------
    >>> trust_ratio([3.0, 4.0], [0.0, 0.5])   # ||w|| = 5, ||u|| = 0.5
    np.float64(10.0)
    >>> trust_ratio([0.0, 0.0], [1.0, 2.0])   # a zero layer: ratio 1
    np.float64(1.0)
    """
    param = as_float_array(param, "param")
    update = as_float_array(update, "update")
    check_same_shape(param, update, "param", "update")
    update = update.astype(param.dtype, copy=False)
    (sw, nw), (su, nu) = _scaled_norm(param), _scaled_norm(update)
    dt = param.dtype.type
    if not (np.isfinite(sw) and np.isfinite(su)):
        return dt(nw / nu)  # a NaN or an infinite norm: IEEE's answer (NaN, inf or 0)
    if sw == 0 or su == 0:
        return dt(1.0)
    # ratio of the two norms, the scales divided first
    return dt((sw / su) * (nw / nu))
# --8<-- [end:trust_ratio]


# --8<-- [start:lamb_step]
@propagates_nonfinite
def lamb_step(
    param: ArrayLike,
    grad: ArrayLike,
    state: dict,
    lr: float = 1e-3,
    betas: Sequence[float] = (0.9, 0.999),
    eps: float = 1e-6,
    weight_decay: float = 0.01,
) -> tuple[np.ndarray, dict]:
    """One LAMB step for one layer (You et al. 2020, Algorithm 2, with the identity as scaling).

    Adam's moments with bias correction, ``r = m_hat / (sqrt(v_hat) + eps)``; the update
    ``u = r + weight_decay * param``; then ``param - lr * trust_ratio(param, u) * u``. With the
    trust ratio at 1 this is AdamW's step.

    Parameters
    ----------
    param : array_like, shape (*)
        One layer's parameters (the trust ratio is computed over the whole array). Never
        modified; the result has its dtype.
    grad : array_like, shape (*)
        Gradient at ``param``, cast to ``param``'s dtype.
    state : dict
        ``{}`` before the first step, then the dict this function returned: ``"step"`` (int k),
        ``"exp_avg"`` (m) and ``"exp_avg_sq"`` (v), arrays of shape (*), named as in
        ``torch.optim.AdamW``. Never modified. Checked as in :func:`adam_step`.
    lr : float, default 1e-3
        Learning rate, ``>= 0``.
    betas : (float, float), default (0.9, 0.999)
        Decay rates of the two moment estimates, each in ``[0, 1)``.
    eps : float, default 1e-6
        Added to the bias-corrected root mean square, ``>= 0``.
    weight_decay : float, default 0.01
        Decoupled decay, added to the update before the trust ratio, ``>= 0``.

    Returns
    -------
    new_param : ndarray, shape (*)
    new_state : dict
        A new dict with new arrays.

    Examples
    --------
    >>> # step 1, eps = 0: r = g / |g| = (1, -1), u = r + 0 * w; ||w|| = 5, ||u|| = sqrt(2):
    >>> # the step is lr * 5 / sqrt(2) * (1, -1), of length lr * ||w|| = 0.5
    >>> p, s = lamb_step([3.0, 4.0], [2.0, -0.5], {}, lr=0.1, eps=0.0, weight_decay=0.0)
    >>> np.round((p - [3.0, 4.0]) * 2**0.5 / 5, 12)
    array([-0.1,  0.1])
    """
    param, grad = _param_and_grad(param, grad)
    state = _as_state(state)
    step = _state_step(state, ("exp_avg", "exp_avg_sq")) + 1
    lr = as_real_scalar(lr, "lr", low=0.0)
    beta1, beta2 = _betas(betas)
    eps = as_real_scalar(eps, "eps", low=0.0)
    weight_decay = as_real_scalar(weight_decay, "weight_decay", low=0.0)
    dt = param.dtype.type
    state["step"] = step
    # Adam's moments: m <- beta1 m + (1 - beta1) g, v <- beta2 v + (1 - beta2) g^2
    exp_avg = _lerp(_state_or_zeros(state, "exp_avg", param), grad, 1 - beta1)
    old_exp_avg_sq = _state_or_zeros(state, "exp_avg_sq", param, nonnegative=True)
    exp_avg_sq = old_exp_avg_sq * dt(beta2) + dt(1 - beta2) * grad * grad
    root = _running_root(exp_avg_sq, old_exp_avg_sq, grad, beta2)
    state["exp_avg"], state["exp_avg_sq"] = exp_avg, exp_avg_sq
    # bias-corrected ratio r = m_hat / (sqrt(v_hat) + eps), rounded as AdamW rounds its step
    denom = root / dt((1 - beta2**step) ** 0.5) + dt(eps)
    r = _scaled_step(dt(1 / (1 - beta1**step)) * exp_avg, denom)
    # the update with decoupled weight decay, then the layer's trust ratio ||w|| / ||u||
    update = r + dt(weight_decay) * param if weight_decay != 0 else r
    ratio = trust_ratio(param, update)
    return param - dt(lr) * ratio * update, state
# --8<-- [end:lamb_step]
