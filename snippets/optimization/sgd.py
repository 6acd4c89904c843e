"""Stochastic gradient descent: one step of torch.optim.SGD, and a mini-batch training loop."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import (
    as_bool,
    as_float_array,
    as_int,
    as_real_scalar,
    check_generator,
    check_same_shape,
    propagates_nonfinite,
)
from snippets.training.epoch import batch_indices

__all__ = ["sgd_step", "minibatch_sgd"]


def _as_state(state: object) -> dict:
    """A shallow copy of an optimizer state dict (the caller's dict is never modified)."""
    if not isinstance(state, Mapping):
        raise TypeError(f"state must be a dict ({{}} before the first step), got {type(state).__name__}")
    return dict(state)


def _param_and_grad(param: ArrayLike, grad: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``param`` as a float array and ``grad`` checked against it and cast to its dtype."""
    param = as_float_array(param, "param")
    grad = as_float_array(grad, "grad")
    check_same_shape(param, grad, "param", "grad")
    return param, grad.astype(param.dtype, copy=False)


def _state_array(state: dict, key: str, param: np.ndarray, nonnegative: bool = False) -> np.ndarray:
    """``state[key]`` as an array of ``param``'s shape and dtype; ``nonnegative`` for an average of
    squares, whose square root is taken (a negative entry would make it NaN)."""
    value = as_float_array(state[key], f"state[{key!r}]")
    if value.shape != param.shape:
        raise ValueError(
            f"state[{key!r}] must have the shape of param {param.shape}, got {value.shape}"
        )
    if nonnegative and np.any(value < 0):
        raise ValueError(
            f"state[{key!r}] is a running average of squared gradients and cannot be negative, "
            f"found {value[value < 0].ravel()[0]}"
        )
    return value.astype(param.dtype, copy=False)


def _state_step(state: dict, averages: tuple[str, ...]) -> int:
    """The number of steps taken, ``state["step"]`` (0 when absent): an integer >= 0.

    Once it is >= 1 the running ``averages`` must be in the state too: a state with steps but
    without its averages did not come from the optimizer, and its bias correction would be wrong.
    """
    step = as_int(state.get("step", 0), "state['step']", low=0)
    missing = [key for key in averages if key not in state]
    if step > 0 and missing:
        raise ValueError(
            f"state has step = {step} but no {', '.join(map(repr, missing))}: pass {{}} before the "
            "first step, then the state the previous step returned"
        )
    return step


# --8<-- [start:sgd_step]
@propagates_nonfinite
def sgd_step(
    param: ArrayLike,
    grad: ArrayLike,
    state: dict,
    lr: float,
    momentum: float = 0.0,
    dampening: float = 0.0,
    weight_decay: float = 0.0,
    nesterov: bool = False,
) -> tuple[np.ndarray, dict]:
    """One step of stochastic gradient descent, as ``torch.optim.SGD`` takes it.

    ``g = grad + weight_decay * param``; with momentum the buffer is ``b = g`` on the first step
    and ``b = momentum * b + (1 - dampening) * g`` afterwards, and the step direction is ``b``
    (or ``g + momentum * b`` with ``nesterov``); then ``param - lr * direction``.

    Parameters
    ----------
    param : array_like, shape (*)
        Current parameters. Never modified; the result has its dtype.
    grad : array_like, shape (*)
        Gradient of the (mini-batch) loss at ``param``, cast to ``param``'s dtype.
    state : dict
        ``{}`` before the first step, then the dict this function returned. With
        ``momentum > 0`` it holds ``"momentum_buffer"``, an array of shape (*); never modified.
    lr : float
        Learning rate, ``>= 0``.
    momentum : float, default 0
        Momentum factor, ``>= 0``; 0 is plain SGD and keeps no state.
    dampening : float, default 0
        The buffer adds ``(1 - dampening) * g`` (not on the first step, as in PyTorch).
    weight_decay : float, default 0
        L2 coefficient added to the gradient, ``>= 0``.
    nesterov : bool, default False
        Nesterov momentum (Sutskever et al. 2013); needs ``momentum > 0`` and ``dampening == 0``.

    Returns
    -------
    new_param : ndarray, shape (*)
    new_state : dict
        A new dict (with a new ``"momentum_buffer"`` when ``momentum > 0``).

    Examples
    --------
    >>> p, s = sgd_step([1.0], [2.0], {}, lr=0.1, momentum=0.9)     # b = g = 2: p = 1 - 0.2
    >>> p, s = sgd_step(p, [2.0], s, lr=0.1, momentum=0.9)          # b = 0.9 * 2 + 2 = 3.8
    >>> p, s["momentum_buffer"]                                     # p = 0.8 - 0.38
    (array([0.42]), array([3.8]))
    """
    param, grad = _param_and_grad(param, grad)
    state = _as_state(state)
    lr = as_real_scalar(lr, "lr", low=0.0)
    momentum = as_real_scalar(momentum, "momentum", low=0.0)
    dampening = as_real_scalar(dampening, "dampening")
    weight_decay = as_real_scalar(weight_decay, "weight_decay", low=0.0)
    nesterov = as_bool(nesterov, "nesterov")
    if nesterov and (momentum <= 0 or dampening != 0):
        raise ValueError(
            f"nesterov momentum requires momentum > 0 and dampening = 0, "
            f"got momentum={momentum}, dampening={dampening}"
        )
    dt = param.dtype.type
    # L2 weight decay enters through the gradient
    g = grad + dt(weight_decay) * param if weight_decay != 0 else grad
    if momentum != 0:
        if "momentum_buffer" not in state:
            buf = g.copy()  # first step: the buffer starts at the gradient, undamped
        else:
            # exponential accumulation of past gradients: b <- mu b + (1 - dampening) g
            buf = dt(momentum) * _state_array(state, "momentum_buffer", param) + dt(1 - dampening) * g
        state["momentum_buffer"] = buf
        # Nesterov: look ahead along the buffer, g + mu b; classical momentum: b
        g = g + dt(momentum) * buf if nesterov else buf
    # step against the direction
    return param - dt(lr) * g, state
# --8<-- [end:sgd_step]


# --8<-- [start:minibatch_sgd]
@propagates_nonfinite
def minibatch_sgd(
    grad_fn: Callable[[np.ndarray, np.ndarray], ArrayLike],
    x0: ArrayLike,
    n_samples: int,
    batch_size: int,
    epochs: int,
    rng: np.random.Generator,
    lr: float,
    momentum: float = 0.0,
    nesterov: bool = False,
) -> np.ndarray:
    """Train by mini-batch SGD: each epoch shuffles the samples, then steps once per batch.

    Parameters
    ----------
    grad_fn : callable
        ``grad_fn(x, idx)`` returns the gradient, shaped like ``x0``, of the loss averaged over the
        samples with indices ``idx`` (an int array of length at most ``batch_size``).
    x0 : array_like, shape (*)
        Starting parameters. Never modified.
    n_samples : int
        Number of training samples N, ``>= 1``.
    batch_size : int
        Samples per step B, ``>= 1``; the last batch of an epoch holds ``N mod B`` when B does
        not divide N (as with ``DataLoader(drop_last=False)``).
    epochs : int
        Passes over the data, ``>= 0``.
    rng : numpy.random.Generator
        Draws each epoch's order (:func:`batch_indices`).
    lr, momentum, nesterov
        As in :func:`sgd_step`.

    Returns
    -------
    ndarray, shape (steps + 1, *)
        The iterates, ``x0`` first; ``steps = epochs * ceil(N / B)``.

    Examples
    --------
    >>> # loss (x - 1)^2 / 2 on every sample: gradient x - 1 whatever the batch; lr 0.5 halves the gap
    >>> minibatch_sgd(lambda x, idx: x - 1, [0.0], 4, 2, 1, np.random.default_rng(0), lr=0.5).ravel()
    array([0.  , 0.5 , 0.75])
    """
    x = as_float_array(x0, "x0")
    n = as_int(n_samples, "n_samples", low=1)
    b = as_int(batch_size, "batch_size", low=1)
    epochs = as_int(epochs, "epochs", low=0)
    check_generator(rng)
    path, state = [x], {}
    for _ in range(epochs):
        # a fresh random order every epoch, cut into batches of B
        for idx in batch_indices(n, b, rng):
            g = np.asarray(grad_fn(x.copy(), idx))  # a copy: grad_fn cannot alter the path
            if g.shape != x.shape:
                raise ValueError(f"grad_fn must return shape {x.shape}, got {g.shape}")
            # one noisy step: the batch gradient is an unbiased estimate of the full one
            x, state = sgd_step(x, g, state, lr, momentum=momentum, nesterov=nesterov)
            path.append(x)
    return np.stack(path)
# --8<-- [end:minibatch_sgd]
