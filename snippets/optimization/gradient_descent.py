"""Gradient descent: repeatedly step against the gradient with a fixed learning rate."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array

__all__ = ["gradient_descent"]


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
    >>> gradient_descent(lambda x: 2 * x, [1.0], lr=0.25, steps=3).ravel()  # x <- (1 - 0.25 * 2) x
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
