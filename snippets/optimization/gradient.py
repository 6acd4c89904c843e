"""The gradient: the vector of partial derivatives, estimated numerically by central differences."""

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

__all__ = ["numerical_gradient"]


# --8<-- [start:numerical_gradient]
@propagates_nonfinite
def numerical_gradient(
    f: Callable[[np.ndarray], float], x: ArrayLike, eps: float = 1e-6
) -> np.ndarray:
    """Gradient of a scalar function ``f`` at ``x`` by central differences.

    Parameters
    ----------
    f : callable
        Takes an array shaped like ``x`` and returns a real scalar.
    x : array_like, shape (*)
        The point at which to differentiate. It is never modified.
    eps : float, default 1e-6
        Step size, finite and > 0. The error is about ``eps**2 * |f'''|`` (truncation) plus
        ``1e-16 * |f| / eps`` (rounding), so 1e-6 suits float64 functions of order-one inputs.

    Returns
    -------
    ndarray of float64, shape (*)
        ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` for every element i. The work is done in
        float64 whatever the dtype of ``x``: in float32 a step of 1e-6 would be lost to rounding.
        Where ``f`` is infinite or NaN the quotient is what IEEE arithmetic makes of it (NaN for
        inf - inf), without a warning.

    Raises
    ------
    TypeError
        If ``f`` is not callable or returns something other than a real number.
    ValueError
        If ``eps`` is not finite and > 0, or ``f`` returns an array with elements.

    Examples
    --------
    >>> numerical_gradient(lambda v: np.sum(v ** 2), [1.0, -2.0]).round(6)
    array([ 2., -4.])
    """
    f = check_callable(f, "f")
    eps = as_real_scalar(eps, "eps", low=0.0, low_open=True)
    x = np.array(as_float_array(x, "x"), dtype=np.float64)  # a private copy we can perturb
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        original = x[i]
        x[i] = original + eps
        f_plus = as_callable_result(f(x), "f", ())
        x[i] = original - eps
        f_minus = as_callable_result(f(x), "f", ())
        x[i] = original  # restore before moving to the next coordinate
        # the symmetric difference quotient (inf - inf is NaN, a huge difference overflows to inf)
        with nonfinite_errstate(f_plus, f_minus):
            grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad
# --8<-- [end:numerical_gradient]
