"""AdaGrad: divide each coordinate's step by the root of the sum of all its squared gradients."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_real_scalar, propagates_nonfinite
from snippets.optimization.rmsprop import _scaled_step
from snippets.optimization.sgd import _as_state, _param_and_grad, _state_array, _state_step

__all__ = ["adagrad_step"]


def _accumulated_root(total: np.ndarray, old_total: np.ndarray, g: np.ndarray) -> np.ndarray:
    """sqrt(s) for the sum ``s = s_old + g^2`` just formed, also where s fell below the normal range.

    Below the smallest normal float the digits of s are lost (from |g| of about 1e-154 in
    float64, 1e-19 in float32; further down g^2 is 0): there s is formed again in units of 2^e,
    a power of two near |g| or sqrt(s_old), where nothing underflows, and the root scaled back
    (exact: only the exponent changes). Elsewhere it is the plain root, as PyTorch takes it.
    """
    root = np.sqrt(total)
    lost = total < np.finfo(total.dtype).tiny
    if not np.any(lost):
        return root
    # the exponent of the larger of |g| and sqrt(s_old): the new unit for the lost entries
    _, e = np.frexp(np.maximum(np.abs(g), np.sqrt(old_total)))
    z = np.ldexp(g, -e)
    return np.where(lost, np.ldexp(np.sqrt(np.ldexp(old_total, -2 * e) + z * z), e), root)


# --8<-- [start:adagrad_step]
@propagates_nonfinite
def adagrad_step(
    param: ArrayLike,
    grad: ArrayLike,
    state: dict,
    lr: float = 1e-2,
    lr_decay: float = 0.0,
    weight_decay: float = 0.0,
    initial_accumulator_value: float = 0.0,
    eps: float = 1e-10,
) -> tuple[np.ndarray, dict]:
    """One step of AdaGrad, as ``torch.optim.Adagrad`` takes it.

    ``g = grad + weight_decay * param``; the running sum ``s = s + g**2`` starts at
    ``initial_accumulator_value``; with ``k`` the step count (1 on the first step),
    ``param - lr / (1 + (k - 1) * lr_decay) * g / (sqrt(s) + eps)``.

    Parameters
    ----------
    param : array_like, shape (*)
        Current parameters. Never modified; the result has its dtype.
    grad : array_like, shape (*)
        Gradient at ``param``, cast to ``param``'s dtype.
    state : dict
        ``{}`` before the first step, then the dict this function returned: ``"step"`` (int k)
        and ``"sum"`` (s, an array of shape (*)), PyTorch's names. Never modified. A step that is
        not an integer >= 0, a missing sum after step 1, a wrong shape or a negative sum raise
        ``ValueError`` (``TypeError`` for a non-integer step) naming the key.
    lr : float, default 1e-2
        Learning rate, ``>= 0``.
    lr_decay : float, default 0
        The rate at step k is ``lr / (1 + (k - 1) * lr_decay)``, ``>= 0``.
    weight_decay : float, default 0
        L2 coefficient added to the gradient, ``>= 0``.
    initial_accumulator_value : float, default 0
        Starting value of every entry of the sum, ``>= 0``. Only the first step reads it.
    eps : float, default 1e-10
        Added to ``sqrt(s)``, ``>= 0``. With 0 the step is still finite for gradients so small
        that their squares underflow (though the sum in the state then loses them), and 0 (no
        move) while every gradient so far was 0 (PyTorch gives NaN there).

    Returns
    -------
    new_param : ndarray, shape (*)
    new_state : dict
        A new dict with a new ``"sum"``.

    Examples
    --------
    >>> # step 1: s = g^2, so each coordinate moves by lr * sign(g) = 1 whatever |g| is
    >>> p, s = adagrad_step([1.0, 1.0], [3.0, -4.0], {}, lr=1.0, eps=0.0)
    >>> # step 2: s = 9 + 16 = 25 on the first coordinate, a step of 4 / sqrt(25) = 0.8
    >>> p, s = adagrad_step(p, [4.0, 0.0], s, lr=1.0, eps=0.0)
    >>> p, s["sum"], s["step"]
    (array([-0.8,  2. ]), array([25., 16.]), 2)
    """
    param, grad = _param_and_grad(param, grad)
    state = _as_state(state)
    step = _state_step(state, ("sum",)) + 1
    lr = as_real_scalar(lr, "lr", low=0.0)
    lr_decay = as_real_scalar(lr_decay, "lr_decay", low=0.0)
    weight_decay = as_real_scalar(weight_decay, "weight_decay", low=0.0)
    initial_accumulator_value = as_real_scalar(initial_accumulator_value, "initial_accumulator_value", low=0.0)
    eps = as_real_scalar(eps, "eps", low=0.0)
    dt = param.dtype.type
    state["step"] = step
    # L2 weight decay enters through the gradient
    g = grad + dt(weight_decay) * param if weight_decay != 0 else grad
    # the rate decays like 1 / k (lr_decay = 0: constant)
    clr = lr / (1 + (step - 1) * lr_decay)
    # the sum of every squared gradient so far: s <- s + g^2 (never forgets)
    if "sum" in state:
        old_sum = _state_array(state, "sum", param, nonnegative=True)
    else:
        old_sum = np.full_like(param, dt(initial_accumulator_value))
    new_sum = old_sum + g * g
    state["sum"] = new_sum
    std = _accumulated_root(new_sum, old_sum, g) + dt(eps)
    # per-coordinate step: the gradient divided by the root of its accumulated squares
    return param + _scaled_step(dt(-clr) * g, std), state
# --8<-- [end:adagrad_step]
