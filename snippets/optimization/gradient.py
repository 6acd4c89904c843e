"""The gradient: the vector of partial derivatives, estimated numerically by central differences."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array

__all__ = ["numerical_gradient"]


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
