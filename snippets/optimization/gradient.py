"""The gradient: the vector of partial derivatives, estimated numerically and followed downhill."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array

__all__ = ["numerical_gradient", "gradient_descent"]


# --8<-- [start:numerical_gradient]
def numerical_gradient(
    f: Callable[[np.ndarray], float], x: ArrayLike, eps: float = 1e-6
) -> np.ndarray:
    """Gradient of a scalar function ``f`` at ``x`` by central differences.

    Parameters
    ----------
    f : callable
        Takes an array shaped like ``x`` and returns a scalar.
    x : array_like, shape (*)
        The point at which to differentiate. It is never modified.
    eps : float, default 1e-6
        Step size. The error is about ``eps**2 * |f'''|`` (truncation) plus
        ``1e-16 * |f| / eps`` (rounding), so 1e-6 suits float64 functions of order-one inputs.

    Returns
    -------
    ndarray of float64, shape (*)
        ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` for every element i. The work is done in
        float64 whatever the dtype of ``x``: in float32 a step of 1e-6 would be lost to rounding.

    Examples
    --------
    >>> numerical_gradient(lambda v: np.sum(v ** 2), [1.0, -2.0]).round(6)
    array([ 2., -4.])
    """
    if not np.isfinite(eps) or eps <= 0:
        raise ValueError(f"eps must be a positive finite number, got {eps}")
    x = np.array(as_float_array(x, "x"), dtype=np.float64)  # a private copy we can perturb
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        original = x[i]
        x[i] = original + eps
        f_plus = f(x)
        x[i] = original - eps
        f_minus = f(x)
        x[i] = original  # restore before moving to the next coordinate
        if np.ndim(f_plus) != 0 or np.ndim(f_minus) != 0:
            raise ValueError(f"f must return a scalar, got shape {np.shape(f_plus)}")
        # the symmetric difference quotient
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad
# --8<-- [end:numerical_gradient]


# --8<-- [start:gradient_descent]
def gradient_descent(
    grad_fn: Callable[[np.ndarray], ArrayLike], x0: ArrayLike, lr: float, steps: int
) -> np.ndarray:
    """Plain gradient descent, ``x_{k+1} = x_k - lr * grad_fn(x_k)``, returning every iterate.

    Parameters
    ----------
    grad_fn : callable
        Returns the gradient at a point, an array shaped like ``x0``.
    x0 : array_like, shape (*)
        The starting point. It is never modified.
    lr : float
        Learning rate (step size), a positive number.
    steps : int
        Number of updates, >= 0.

    Returns
    -------
    ndarray, shape (steps + 1, *)
        The iterates ``x_0, x_1, ..., x_steps``; row 0 equals ``x0``.

    Examples
    --------
    >>> gradient_descent(lambda x: 2 * x, [1.0], lr=0.25, steps=3).ravel()
    array([1.   , 0.5  , 0.25 , 0.125])
    """
    x0 = as_float_array(x0, "x0")
    if not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a positive finite number, got {lr}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    path = np.empty((steps + 1, *x0.shape), dtype=x0.dtype)
    path[0] = x0
    for k in range(steps):
        g = np.asarray(grad_fn(path[k].copy()), dtype=x0.dtype)  # a copy: grad_fn cannot alter the path
        if g.shape != x0.shape:
            raise ValueError(f"grad_fn must return shape {x0.shape}, got {g.shape}")
        # step against the gradient: the direction of steepest descent
        path[k + 1] = path[k] - lr * g
    return path
# --8<-- [end:gradient_descent]
