"""Adadelta: a step whose size is the ratio of two running root-mean-squares, of past steps and of gradients."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_real_scalar, propagates_nonfinite
from snippets.optimization.rmsprop import _state_or_zeros
from snippets.optimization.sgd import _as_state, _param_and_grad, _state_step

__all__ = ["adadelta_step"]


# --8<-- [start:adadelta_step]
@propagates_nonfinite
def adadelta_step(
    param: ArrayLike,
    grad: ArrayLike,
    state: dict,
    lr: float = 1.0,
    rho: float = 0.9,
    eps: float = 1e-6,
    weight_decay: float = 0.0,
) -> tuple[np.ndarray, dict]:
    """One step of Adadelta, as ``torch.optim.Adadelta`` takes it.

    ``g = grad + weight_decay * param``; ``v = rho v + (1 - rho) g**2``;
    ``delta = sqrt(u + eps) / sqrt(v + eps) * g``; ``u = rho u + (1 - rho) delta**2``
    (``v`` and ``u`` start at 0); then ``param - lr * delta``.

    Parameters
    ----------
    param : array_like, shape (*)
        Current parameters. Never modified; the result has its dtype.
    grad : array_like, shape (*)
        Gradient at ``param``, cast to ``param``'s dtype.
    state : dict
        ``{}`` before the first step, then the dict this function returned: ``"step"`` (int),
        ``"square_avg"`` (v, the running mean of g^2) and ``"acc_delta"`` (u, the running mean of
        delta^2), arrays of shape (*), PyTorch's names. Never modified. A step that is not an
        integer >= 0, a missing average after step 1, a wrong shape or a negative average raise
        ``ValueError`` (``TypeError`` for a non-integer step) naming the key.
    lr : float, default 1.0
        Multiplies the step (Zeiler's method has none: 1), ``>= 0``.
    rho : float, default 0.9
        Decay of both running averages, in ``[0, 1]``.
    eps : float, default 1e-6
        Added inside both square roots, ``> 0``: the step starts at ``sqrt(eps)`` times the
        normalised gradient and grows from there. (PyTorch accepts 0, with which ``u`` stays 0
        and the parameters never move, or NaN after a zero gradient; here it is refused.)
    weight_decay : float, default 0
        L2 coefficient added to the gradient, ``>= 0``.

    Returns
    -------
    new_param : ndarray, shape (*)
    new_state : dict
        A new dict with new arrays.

    Examples
    --------
    >>> # rho = 0.75, eps = 9, g = 8: v = 0.25 * 64 = 16, delta = sqrt(0 + 9) / sqrt(16 + 9) * 8 = 4.8
    >>> p, s = adadelta_step([0.0], [8.0], {}, lr=0.5, rho=0.75, eps=9.0)
    >>> # u = 0.25 * 4.8^2 = 5.76; the parameter moves by -lr * delta = -2.4
    >>> p, s["square_avg"], s["acc_delta"]
    (array([-2.4]), array([16.]), array([5.76]))
    """
    param, grad = _param_and_grad(param, grad)
    state = _as_state(state)
    step = _state_step(state, ("square_avg", "acc_delta"))
    lr = as_real_scalar(lr, "lr", low=0.0)
    rho = as_real_scalar(rho, "rho", low=0.0, high=1.0)
    eps = as_real_scalar(eps, "eps", low=0.0, low_open=True)
    weight_decay = as_real_scalar(weight_decay, "weight_decay", low=0.0)
    dt = param.dtype.type
    state["step"] = step + 1
    # L2 weight decay enters through the gradient
    g = grad + dt(weight_decay) * param if weight_decay != 0 else grad
    # running mean of squared gradients: v <- rho v + (1 - rho) g^2
    square_avg = _state_or_zeros(state, "square_avg", param, nonnegative=True) * dt(rho) + dt(1 - rho) * g * g
    # the step: RMS of past steps over RMS of gradients, times the gradient (units of param)
    std = np.sqrt(square_avg + dt(eps))
    old_acc_delta = _state_or_zeros(state, "acc_delta", param, nonnegative=True)
    delta = np.sqrt(old_acc_delta + dt(eps)) / std * g
    # running mean of squared steps: u <- rho u + (1 - rho) delta^2
    acc_delta = old_acc_delta * dt(rho) + dt(1 - rho) * delta * delta
    state["square_avg"], state["acc_delta"] = square_avg, acc_delta
    return param + dt(-lr) * delta, state
# --8<-- [end:adadelta_step]
