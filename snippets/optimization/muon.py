"""Muon: momentum whose matrix update is orthogonalised by a Newton–Schulz iteration."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_bool, as_float_array, as_int, as_real_scalar, propagates_nonfinite
from snippets.optimization.rmsprop import _lerp, _state_or_zeros
from snippets.optimization.sgd import _as_state, _param_and_grad

__all__ = ["newton_schulz5", "muon_step"]

# the quintic's coefficients (a, b, c) of Jordan et al. 2024, as torch.optim.Muon uses them
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def _as_matrix(x: np.ndarray, name: str) -> np.ndarray:
    """``x`` if it is 2-D, else a ``ValueError`` naming it and its shape."""
    if x.ndim != 2:
        raise ValueError(f"{name} must be a 2-D matrix (rows, cols), got shape {x.shape}")
    return x


# --8<-- [start:newton_schulz5]
@propagates_nonfinite
def newton_schulz5(G: ArrayLike, steps: int = 5, eps: float = 1e-7) -> np.ndarray:
    """Approximately orthogonalise ``G``: ``U S' V^T`` from its SVD ``U S V^T``, ``S'`` near 1.

    Divide by the Frobenius norm (so every singular value is at most 1), then ``steps`` times
    ``X <- a X + (b X X^T + c (X X^T)^2) X``, which maps each singular value ``x`` to
    ``a x + b x^3 + c x^5`` and leaves the singular vectors alone. The coefficients
    (3.4445, -4.7750, 2.0315) push small singular values up fast; after 5 steps they land near
    1 (roughly 0.7 to 1.2) rather than exactly on it. Computed in ``G``'s dtype (PyTorch's
    ``torch.optim.Muon`` does this in bfloat16).

    Parameters
    ----------
    G : array_like, shape (m, n)
        The matrix (a gradient or a momentum buffer). Worked on as ``G^T`` when ``m > n``, so
        that the Gram matrix is the smaller one.
    steps : int, default 5
        Newton–Schulz iterations, ``>= 0``.
    eps : float, default 1e-7
        Lower bound of the norm divided by, ``> 0``: a ``G`` with ``||G||_F < eps`` is divided
        by ``eps`` instead (and stays small).

    Returns
    -------
    ndarray, shape (m, n)

    Examples
    --------
    >>> # a diagonal matrix: its singular values are 3 and 4, ||G||_F = 5, so x = 0.6 and 0.8;
    >>> # with 0 steps the result is G / 5, and each step applies the quintic to 0.6 and 0.8
    >>> newton_schulz5([[3.0, 0.0], [0.0, 4.0]], steps=0)
    array([[0.6, 0. ],
           [0. , 0.8]])
    >>> p = lambda x: 3.4445 * x - 4.7750 * x**3 + 2.0315 * x**5
    >>> bool(np.allclose(newton_schulz5([[3.0, 0.0], [0.0, 4.0]], steps=1), np.diag([p(0.6), p(0.8)])))
    True
    """
    G = _as_matrix(as_float_array(G, "G"), "G")
    steps = as_int(steps, "steps", low=0)
    eps = as_real_scalar(eps, "eps", low=0.0, low_open=True)
    dt = G.dtype.type
    a, b, c = (dt(v) for v in NS_COEFFICIENTS)
    tall = G.shape[0] > G.shape[1]
    X = G.T if tall else G
    # divide by the Frobenius norm (at least eps), taken in units of the largest entry
    scale = np.max(np.abs(X)) if X.size else dt(0)
    if X.size == 0 or scale == 0:
        return np.zeros_like(G)
    unit = X / scale
    X = unit / np.maximum(np.sqrt(np.sum(unit * unit)), dt(eps) / scale)
    for _ in range(steps):
        # one step of the quintic on every singular value: a x + b x^3 + c x^5
        gram = X @ X.T
        X = a * X + (b * gram + c * (gram @ gram)) @ X
    return X.T if tall else X
# --8<-- [end:newton_schulz5]


# --8<-- [start:muon_step]
@propagates_nonfinite
def muon_step(
    param: ArrayLike,
    grad: ArrayLike,
    state: dict,
    lr: float = 1e-3,
    momentum: float = 0.95,
    nesterov: bool = True,
    weight_decay: float = 0.1,
    ns_steps: int = 5,
) -> tuple[np.ndarray, dict]:
    """One step of Muon on one weight matrix, as ``torch.optim.Muon`` takes it (in ``param``'s dtype).

    ``b = momentum * b + (1 - momentum) * grad`` (from 0); the direction is ``b``, or with
    ``nesterov`` ``grad + momentum * (b - grad)``; it is orthogonalised by
    :func:`newton_schulz5`; then ``param * (1 - lr * weight_decay) - lr * sqrt(max(1, m / n)) * O``.

    Parameters
    ----------
    param : array_like, shape (m, n)
        A weight matrix (Muon is for the 2-D weights of hidden layers; embeddings, biases and
        the output layer are usually trained with AdamW). Never modified; the result has its dtype.
    grad : array_like, shape (m, n)
        Gradient at ``param``, cast to ``param``'s dtype.
    state : dict
        ``{}`` before the first step, then the dict this function returned:
        ``"momentum_buffer"`` (b, shape (m, n)), PyTorch's name. Never modified.
    lr : float, default 1e-3
        Learning rate, ``>= 0``.
    momentum : float, default 0.95
        Momentum factor, in ``[0, 1]``.
    nesterov : bool, default True
        Use the Nesterov-style direction (PyTorch's default).
    weight_decay : float, default 0.1
        Decoupled decay: the weights are multiplied by ``1 - lr * weight_decay``, ``>= 0``.
    ns_steps : int, default 5
        Newton–Schulz iterations, ``>= 0``.

    Returns
    -------
    new_param : ndarray, shape (m, n)
    new_state : dict
        A new dict with a new ``"momentum_buffer"``.

    Examples
    --------
    >>> # momentum 0, ns_steps 0: the update is grad / ||grad||_F = (0.6, 0.8) for a 1 x 2 matrix
    >>> p, s = muon_step([[1.0, 1.0]], [[3.0, 4.0]], {}, lr=0.5, momentum=0.0, weight_decay=0.0, ns_steps=0)
    >>> p
    array([[0.7, 0.6]])
    """
    param, grad = _param_and_grad(param, grad)
    _as_matrix(param, "param")
    state = _as_state(state)
    lr = as_real_scalar(lr, "lr", low=0.0)
    momentum = as_real_scalar(momentum, "momentum", low=0.0, high=1.0)
    nesterov = as_bool(nesterov, "nesterov")
    weight_decay = as_real_scalar(weight_decay, "weight_decay", low=0.0)
    ns_steps = as_int(ns_steps, "ns_steps", low=0)
    dt = param.dtype.type
    # momentum as a running average: b <- momentum b + (1 - momentum) g
    buf = _lerp(_state_or_zeros(state, "momentum_buffer", param), grad, 1 - momentum)
    state["momentum_buffer"] = buf
    # Nesterov: look ahead from the gradient toward the buffer
    direction = _lerp(grad, buf, momentum) if nesterov else buf
    # orthogonalise: every singular value of the step moved to about 1
    update = newton_schulz5(direction, steps=ns_steps)
    # the rate scaled by sqrt(max(1, rows / cols)), so tall matrices get updates of the same RMS
    adjusted_lr = lr * max(1.0, param.shape[0] / param.shape[1]) ** 0.5
    # decoupled weight decay, then the orthogonalised step
    return param * dt(1 - lr * weight_decay) + dt(-adjusted_lr) * update, state
# --8<-- [end:muon_step]
