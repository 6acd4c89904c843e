"""Gradient descent: repeatedly step against the gradient with a fixed learning rate."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import (
    as_callable_result,
    as_float_array,
    as_real_scalar,
    check_callable,
    nonfinite_errstate,
    propagates_nonfinite,
)

__all__ = ["gradient_descent"]


# --8<-- [start:gradient_descent]
@propagates_nonfinite
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
        Learning rate (step size), finite and > 0.
    steps : int
        Number of updates, >= 0.

    Returns
    -------
    ndarray, shape (steps + 1, *)
        The iterates ``x_0, x_1, ..., x_steps``; row 0 equals ``x0``. A diverging run overflows
        to ``+-inf`` and then NaN (``inf - inf``), as IEEE arithmetic has it, without a warning.

    Raises
    ------
    TypeError
        If ``grad_fn`` is not callable or returns something other than real numbers.
    ValueError
        If ``lr`` is not finite and > 0, ``steps`` is not an integer >= 0, or ``grad_fn``
        returns the wrong shape.

    Examples
    --------
    >>> gradient_descent(lambda x: 2 * x, [1.0], lr=0.25, steps=3).ravel()  # x <- (1 - 0.25 * 2) x
    array([1.   , 0.5  , 0.25 , 0.125])
    """
    grad_fn = check_callable(grad_fn, "grad_fn")
    x0 = as_float_array(x0, "x0")
    lr = as_real_scalar(lr, "lr", low=0.0, low_open=True)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    path = np.empty((steps + 1, *x0.shape), dtype=x0.dtype)
    path[0] = x0
    for k in range(steps):
        # a copy: grad_fn cannot alter the path
        g = as_callable_result(grad_fn(path[k].copy()), "grad_fn", x0.shape).astype(x0.dtype, copy=False)
        # step against the gradient: the direction of steepest descent (a diverging run overflows)
        with nonfinite_errstate(path[k], g, lr):
            path[k + 1] = path[k] - lr * g
    return path
# --8<-- [end:gradient_descent]
