"""Adam and AdamW: momentum plus RMSprop-style scaling, with bias correction (and decoupled decay)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_bool, as_real_scalar, propagates_nonfinite
from snippets.optimization.rmsprop import _lerp, _running_root, _scaled_step, _state_or_zeros
from snippets.optimization.sgd import _as_state, _param_and_grad, _state_step

__all__ = ["adam_step", "adamw_step"]


def _betas(betas: Sequence[float]) -> tuple[float, float]:
    """``betas`` as a pair of floats, each in ``[0, 1)``."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    checked = tuple(as_real_scalar(b, f"betas[{i}]", low=0.0, high=1.0) for i, b in enumerate(betas))
    for i, b in enumerate(checked):
        if b == 1.0:
            raise ValueError(f"betas[{i}] must be in [0, 1), got {b}: with 1 the average never moves")
    return checked


# --8<-- [start:adam_update]
def _adam(
    param: ArrayLike,
    grad: ArrayLike,
    state: dict,
    lr: float,
    betas: tuple[float, float],
    eps: float,
    weight_decay: float,
    amsgrad: bool,
    decoupled: bool,
) -> tuple[np.ndarray, dict]:
    """The update shared by Adam (L2 through the gradient) and AdamW (decoupled decay)."""
    param, grad = _param_and_grad(param, grad)
    state = _as_state(state)
    step = _state_step(state, ("exp_avg", "exp_avg_sq")) + 1
    lr = as_real_scalar(lr, "lr", low=0.0)
    beta1, beta2 = _betas(betas)
    eps = as_real_scalar(eps, "eps", low=0.0)
    weight_decay = as_real_scalar(weight_decay, "weight_decay", low=0.0)
    amsgrad = as_bool(amsgrad, "amsgrad")
    dt = param.dtype.type
    state["step"] = step
    g = grad
    if weight_decay != 0:
        if decoupled:
            # AdamW: shrink the weights directly, outside the adaptive scaling
            param = param * dt(1 - lr * weight_decay)
        else:
            # Adam: L2 penalty through the gradient, so it is rescaled like the gradient
            g = grad + dt(weight_decay) * param
    # first moment: m <- beta1 m + (1 - beta1) g
    exp_avg = _lerp(_state_or_zeros(state, "exp_avg", param), g, 1 - beta1)
    # second moment: v <- beta2 v + (1 - beta2) g^2, and its root (also where g^2 underflows)
    old_exp_avg_sq = _state_or_zeros(state, "exp_avg_sq", param, nonnegative=True)
    exp_avg_sq = old_exp_avg_sq * dt(beta2) + dt(1 - beta2) * g * g
    root = _running_root(exp_avg_sq, old_exp_avg_sq, g, beta2)
    state["exp_avg"], state["exp_avg_sq"] = exp_avg, exp_avg_sq
    # bias correction: both averages started at 0 and are too small by 1 - beta^k
    bias_correction1 = 1 - beta1**step
    bias_correction2_sqrt = (1 - beta2**step) ** 0.5
    step_size = lr / bias_correction1
    if amsgrad:
        # AMSGrad: never let the second-moment estimate decrease (the root of the running maximum
        # is the maximum of the roots: sqrt is increasing and correctly rounded)
        old_max = _state_or_zeros(state, "max_exp_avg_sq", param, nonnegative=True)
        state["max_exp_avg_sq"] = np.maximum(old_max, exp_avg_sq)
        root = np.maximum(np.sqrt(old_max), root)
    denom = root / dt(bias_correction2_sqrt) + dt(eps)
    # step: lr * m_hat / (sqrt(v_hat) + eps), written as torch rounds it
    return param + _scaled_step(dt(-step_size) * exp_avg, denom), state
# --8<-- [end:adam_update]


# --8<-- [start:adam_step]
@propagates_nonfinite
def adam_step(
    param: ArrayLike,
    grad: ArrayLike,
    state: dict,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
) -> tuple[np.ndarray, dict]:
    """One step of Adam, as ``torch.optim.Adam`` takes it.

    ``g = grad + weight_decay * param``; ``m = beta1 m + (1 - beta1) g``,
    ``v = beta2 v + (1 - beta2) g**2`` (both from 0); with ``k`` the step count,
    ``param - lr / (1 - beta1**k) * m / (sqrt(v) / sqrt(1 - beta2**k) + eps)``.

    Parameters
    ----------
    param : array_like, shape (*)
        Current parameters. Never modified; the result has its dtype.
    grad : array_like, shape (*)
        Gradient at ``param``, cast to ``param``'s dtype.
    state : dict
        ``{}`` before the first step, then the dict this function returned: ``"step"`` (int k),
        ``"exp_avg"`` (m), ``"exp_avg_sq"`` (v) and, with ``amsgrad``, ``"max_exp_avg_sq"``
        (the running maximum of v); arrays of shape (*). Never modified. A step that is not an
        integer >= 0, a missing m or v after step 1, a wrong shape or a negative v raise
        ``ValueError`` (``TypeError`` for a non-integer step) naming the key.
    lr : float, default 1e-3
        Learning rate, ``>= 0``.
    betas : (float, float), default (0.9, 0.999)
        Decay rates of the two moment estimates, each in ``[0, 1)``.
    eps : float, default 1e-8
        Added to the bias-corrected root mean square, ``>= 0``. With 0 the step is still finite
        for gradients so small that their squares underflow (though the squares' history, kept
        in the state, is then lost to the underflow), and 0 while every gradient so far was 0
        (PyTorch gives -inf and NaN there).
    weight_decay : float, default 0
        L2 coefficient added to the gradient (coupled: it is rescaled with it), ``>= 0``.
    amsgrad : bool, default False
        Divide by the running maximum of ``v`` (Reddi et al. 2018).

    Returns
    -------
    new_param : ndarray, shape (*)
    new_state : dict
        A new dict with new arrays.

    Examples
    --------
    >>> # step 1: m_hat = g and v_hat = g^2, so the step is lr * g / |g| = lr (eps = 0)
    >>> p, s = adam_step([1.0, 1.0], [5.0, -0.01], {}, lr=0.1, eps=0.0)
    >>> p, s["step"]
    (array([0.9, 1.1]), 1)
    """
    return _adam(param, grad, state, lr, betas, eps, weight_decay, amsgrad, decoupled=False)
# --8<-- [end:adam_step]


# --8<-- [start:adamw_step]
@propagates_nonfinite
def adamw_step(
    param: ArrayLike,
    grad: ArrayLike,
    state: dict,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
    amsgrad: bool = False,
) -> tuple[np.ndarray, dict]:
    """One step of AdamW, as ``torch.optim.AdamW`` takes it: Adam with decoupled weight decay.

    First ``param * (1 - lr * weight_decay)``, then the Adam step of :func:`adam_step` with the
    raw gradient (no L2 term), so the decay is not divided by the adaptive scale.

    Parameters
    ----------
    param, grad, state, lr, betas, eps, amsgrad
        As in :func:`adam_step` (same state keys).
    weight_decay : float, default 1e-2
        Decoupled decay rate: each step multiplies the weights by ``1 - lr * weight_decay``.

    Returns
    -------
    new_param : ndarray, shape (*)
    new_state : dict
        A new dict with new arrays.

    Examples
    --------
    >>> # zero gradient: only the decay acts, 2 * (1 - 0.1 * 0.5) = 1.9 (then m = 0: no Adam step)
    >>> adamw_step([2.0], [0.0], {}, lr=0.1, weight_decay=0.5)[0]
    array([1.9])
    """
    return _adam(param, grad, state, lr, betas, eps, weight_decay, amsgrad, decoupled=True)
# --8<-- [end:adamw_step]
