"""The learning rate: the largest stable step on a quadratic, and a sweep over candidate rates."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import (
    as_callable_result,
    as_float_array,
    as_int,
    as_real_scalar,
    check_callable,
    nonfinite_errstate,
    propagates_nonfinite,
)

__all__ = ["max_stable_lr", "lr_sweep"]


# --8<-- [start:max_stable_lr]
@propagates_nonfinite
def max_stable_lr(hessian: ArrayLike) -> np.floating:
    """Largest learning rate for which gradient descent converges on a quadratic: ``2 / L``.

    For ``f(x) = x^T H x / 2 - b^T x`` the error is multiplied by ``I - lr * H`` each step, so it
    shrinks from every start exactly when ``|1 - lr * lambda| < 1`` for every eigenvalue lambda
    of ``H``: when ``0 < lr < 2 / L`` with ``L`` the largest eigenvalue (the sharpest curvature).

    Parameters
    ----------
    hessian : array_like, shape (n, n)
        Finite, symmetric, positive semi-definite matrix ``H`` with ``L > 0``.

    Returns
    -------
    numpy scalar
        ``2 / L``, in the float dtype of ``hessian``; rates below it converge, rates above diverge.

    Raises
    ------
    ValueError
        If ``hessian`` is not square, holds NaN or infinity, is not symmetric, or has a negative
        eigenvalue (then the quadratic has no minimum: along that direction gradient descent
        moves away from the stationary point at every learning rate) or no positive one.

    Examples
    --------
    >>> float(max_stable_lr([[1.0, 0.0], [0.0, 10.0]]))  # L = 10
    0.2
    """
    H = as_float_array(hessian, "hessian")
    if H.ndim != 2 or H.shape[0] != H.shape[1] or H.shape[0] == 0:
        raise ValueError(f"hessian must be a non-empty square matrix (n, n), got shape {H.shape}")
    finite = np.isfinite(H)
    if not finite.all():
        bad = np.argwhere(~finite)[0]
        raise ValueError(f"hessian must be finite, found {H[tuple(bad)]} at index {tuple(bad.tolist())}")
    if not np.allclose(H, H.T, rtol=1e-6, atol=0):
        raise ValueError("hessian must be symmetric")
    # the curvatures: the eigenvalues of the symmetric H, ascending
    eigenvalues = np.linalg.eigvalsh(H)
    L = eigenvalues[-1]
    if not L > 0:
        raise ValueError(f"hessian must have a positive largest eigenvalue, got {L}")
    # positive semi-definite, up to the rounding of the eigensolver (about n eps L)
    if eigenvalues[0] < -H.shape[0] * np.finfo(H.dtype).eps * L:
        raise ValueError(
            f"hessian must be positive semi-definite, but it has the negative eigenvalue {eigenvalues[0]}: "
            "the quadratic has no minimum, and gradient descent diverges along that direction at every lr"
        )
    return H.dtype.type(2) / L
# --8<-- [end:max_stable_lr]


# --8<-- [start:lr_sweep]
@propagates_nonfinite
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
        Divergence threshold, a finite factor ``> 1`` over the starting loss (the absolute
        starting loss plus 1, so that a start at loss 0 works too).

    Returns
    -------
    ndarray of float64, shape (R,)
        Final loss of each run; ``inf`` for runs that diverged. When the starting loss itself is
        NaN or infinite, every run reports it.

    Raises
    ------
    TypeError
        If ``grad_fn`` or ``loss_fn`` is not callable, or returns something other than real
        numbers.
    ValueError
        If ``lrs`` is not 1-D or holds a rate that is not finite and > 0, ``steps < 0``,
        ``blowup`` is not finite and > 1, or a callable returns the wrong shape.

    Examples
    --------
    >>> # f = x^2 / 2, L = 1: lr 0.5 halves x each step, 0.5 * (1/8)^2 = 1/128 after 3 steps;
    >>> # lr 3 multiplies x by -2: loss 32 > 10 * (0.5 + 1) at step 3, so the run counts as diverged
    >>> lr_sweep(lambda x: x, lambda x: 0.5 * float(x @ x), [1.0], [0.5, 3.0], steps=3, blowup=10)
    array([0.0078125,       inf])
    """
    grad_fn, loss_fn = check_callable(grad_fn, "grad_fn"), check_callable(loss_fn, "loss_fn")
    x0 = as_float_array(x0, "x0")
    lrs = as_float_array(lrs, "lrs")
    if lrs.ndim != 1 or not np.all(np.isfinite(lrs) & (lrs > 0)):
        raise ValueError(f"lrs must be a 1-D array of positive finite learning rates, got {lrs!r}")
    steps = as_int(steps, "steps", low=0)
    blowup = as_real_scalar(blowup, "blowup", low=1.0, low_open=True)
    start = float(as_callable_result(loss_fn(x0.copy()), "loss_fn", ()))
    if not np.isfinite(start):
        return np.full(len(lrs), start)  # no run can start: NaN stays NaN, inf is diverged already
    limit = blowup * (abs(start) + 1)
    final = np.empty(len(lrs))
    for r, lr in enumerate(lrs):
        x, loss = x0, start
        for _ in range(steps):
            g = as_callable_result(grad_fn(x.copy()), "grad_fn", x0.shape).astype(x0.dtype, copy=False)
            # one gradient-descent step at this learning rate
            with nonfinite_errstate(x, g):
                x = x - x0.dtype.type(lr) * g
            loss = float(as_callable_result(loss_fn(x.copy()), "loss_fn", ()))
            if not abs(loss) <= limit:  # also catches NaN: diverged, stop before overflowing
                loss = np.inf
                break
        final[r] = loss
    return final
# --8<-- [end:lr_sweep]
