"""The learning rate: the largest stable step on a quadratic, and a sweep over candidate rates."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_int, as_real_scalar

__all__ = ["max_stable_lr", "lr_sweep"]


# --8<-- [start:max_stable_lr]
def max_stable_lr(hessian: ArrayLike) -> np.floating:
    """Largest learning rate for which gradient descent converges on a quadratic: ``2 / L``.

    For ``f(x) = x^T H x / 2 - b^T x`` the error is multiplied by ``I - lr * H`` each step, so it
    shrinks from every start exactly when ``|1 - lr * lambda| < 1`` for every eigenvalue lambda
    of ``H``: when ``0 < lr < 2 / L`` with ``L`` the largest eigenvalue (the sharpest curvature).

    Parameters
    ----------
    hessian : array_like, shape (n, n)
        Symmetric positive semi-definite matrix ``H`` with ``L > 0``.

    Returns
    -------
    numpy scalar
        ``2 / L``, in the float dtype of ``hessian``; rates below it converge, rates above diverge.

    Examples
    --------
    >>> float(max_stable_lr([[1.0, 0.0], [0.0, 10.0]]))  # L = 10
    0.2
    """
    H = as_float_array(hessian, "hessian")
    if H.ndim != 2 or H.shape[0] != H.shape[1] or H.shape[0] == 0:
        raise ValueError(f"hessian must be a non-empty square matrix (n, n), got shape {H.shape}")
    if not np.allclose(H, H.T, rtol=1e-6, atol=0):
        raise ValueError("hessian must be symmetric")
    # the sharpest curvature: the largest eigenvalue of the symmetric H
    L = np.linalg.eigvalsh(H)[-1]
    if not L > 0:
        raise ValueError(f"hessian must have a positive largest eigenvalue, got {L}")
    return H.dtype.type(2) / L
# --8<-- [end:max_stable_lr]


# --8<-- [start:lr_sweep]
def lr_sweep(
    grad_fn: Callable[[np.ndarray], ArrayLike],
    loss_fn: Callable[[np.ndarray], float],
    x0: ArrayLike,
    lrs: ArrayLike,
    steps: int,
    blowup: float = 1e6,
) -> np.ndarray:
    """The loss after ``steps`` of gradient descent from ``x0``, for each learning rate in ``lrs``.

    A run is stopped and reported as ``inf`` as soon as its loss exceeds ``blowup`` times the
    starting loss (or stops being finite): it has diverged, and continuing would only overflow.

    Parameters
    ----------
    grad_fn : callable
        Gradient at a point, shaped like ``x0``.
    loss_fn : callable
        Scalar loss at a point.
    x0 : array_like, shape (*)
        Starting point, the same for every run. Never modified.
    lrs : array_like, shape (R,)
        Learning rates to try, each ``> 0``.
    steps : int
        Gradient-descent steps per run, ``>= 0``.
    blowup : float, default 1e6
        Divergence threshold, a factor ``> 1`` over the starting loss (the absolute starting loss
        plus 1, so that a start at loss 0 works too).

    Returns
    -------
    ndarray of float64, shape (R,)
        Final loss of each run; ``inf`` for runs that diverged.

    Examples
    --------
    >>> # f = x^2 / 2, L = 1: lr 0.5 halves x each step, 0.5 * (1/8)^2 = 1/128 after 3 steps;
    >>> # lr 3 multiplies x by -2: loss 32 > 10 * (0.5 + 1) at step 3, so the run counts as diverged
    >>> lr_sweep(lambda x: x, lambda x: 0.5 * float(x @ x), [1.0], [0.5, 3.0], steps=3, blowup=10)
    array([0.0078125,       inf])
    """
    x0 = as_float_array(x0, "x0")
    lrs = as_float_array(lrs, "lrs")
    if lrs.ndim != 1 or not np.all(np.isfinite(lrs) & (lrs > 0)):
        raise ValueError(f"lrs must be a 1-D array of positive finite learning rates, got {lrs!r}")
    steps = as_int(steps, "steps", low=0)
    blowup = as_real_scalar(blowup, "blowup", low=1.0)
    start = float(loss_fn(x0.copy()))
    limit = blowup * (abs(start) + 1)
    final = np.empty(len(lrs))
    for r, lr in enumerate(lrs):
        x, loss = x0, start
        for _ in range(steps):
            g = np.asarray(grad_fn(x.copy()), dtype=x0.dtype)
            if g.shape != x0.shape:
                raise ValueError(f"grad_fn must return shape {x0.shape}, got {g.shape}")
            # one gradient-descent step at this learning rate
            x = x - x0.dtype.type(lr) * g
            loss = float(loss_fn(x.copy()))
            if not abs(loss) <= limit:  # also catches NaN: diverged, stop before overflowing
                loss = np.inf
                break
        final[r] = loss
    return final
# --8<-- [end:lr_sweep]
