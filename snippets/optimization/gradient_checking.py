"""Gradient checking: compare a hand-written backward pass with finite differences."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import (
    as_callable_result,
    as_float_array,
    as_real_scalar,
    check_callable,
    check_same_shape,
    nonfinite_errstate,
    propagates_nonfinite,
)
from snippets.optimization.gradient import numerical_gradient

__all__ = ["relative_error", "check_gradient"]


# --8<-- [start:relative_error]
@propagates_nonfinite
def relative_error(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """Element-wise relative difference ``|a - b| / max(|a|, |b|)``, and 0 where both are 0.

    Parameters
    ----------
    a, b : array_like, shape (*)
        Two arrays of the same shape, e.g. an analytic and a numerical gradient. No broadcasting.

    Returns
    -------
    ndarray, shape (*)
        Values in [0, 2]: 0 for equal elements, 1 when one of them is 0 and the other is not,
        2 for opposite signs of equal size. float32 only when both inputs are float32.

    Examples
    --------
    >>> # |1 - 1.1| / 1.1 = 1/11; |2 - (-2)| / 2 = 2; 0 and 0 agree exactly
    >>> relative_error([1.0, 2.0, 0.0], [1.1, -2.0, 0.0]).round(6)
    array([0.090909, 2.      , 0.      ])
    """
    a, b = as_float_array(a, "a"), as_float_array(b, "b")
    check_same_shape(a, b, "a", "b")
    dtype = np.result_type(a, b)
    a, b = a.astype(dtype, copy=False), b.astype(dtype, copy=False)
    diff = np.abs(a - b)
    # the larger magnitude as the yardstick: symmetric in a and b
    scale = np.maximum(np.abs(a), np.abs(b))
    # 0 / 0 (both exactly zero) is perfect agreement; NaN != 0, so a NaN still propagates
    return np.divide(diff, scale, out=np.zeros_like(diff), where=scale != 0)
# --8<-- [end:relative_error]


# --8<-- [start:check_gradient]
@propagates_nonfinite
def check_gradient(
    f: Callable[[np.ndarray], ArrayLike],
    f_backward: Callable[[np.ndarray, np.ndarray], ArrayLike],
    x: ArrayLike,
    eps: float = 1e-6,
) -> np.float64:
    """Largest relative error between ``f_backward`` and central differences of ``f`` at ``x``.

    ``f`` maps an array to an array of any shape; ``f_backward(grad_out, x)`` returns the
    gradient of ``sum(grad_out * f(x))`` with respect to ``x`` (the convention of every
    ``_backward`` on this site). The check projects the output onto a fixed random
    ``grad_out`` (seed 0), so that every output element is tested without building the whole
    Jacobian, and differentiates that scalar with :func:`numerical_gradient`.

    Parameters
    ----------
    f : callable
        The forward function, ``f(x)``.
    f_backward : callable
        Its backward function, ``f_backward(grad_out, x)``, returning an array shaped like ``x``.
    x : array_like, shape (*)
        The point to check at; never modified. The check runs in float64 whatever its dtype.
    eps : float, default 1e-6
        Finite-difference step, finite and > 0, passed to :func:`numerical_gradient`.

    Returns
    -------
    numpy.float64
        ``max relative_error(f_backward(grad_out, x), numerical gradient)`` over the elements of
        ``x`` (0.0 for an empty ``x``). For a correct backward of a smooth function at
        order-one inputs it is typically 1e-10 to 1e-7 (more where a gradient element is nearly
        0); a bug usually gives 1e-2 or more. NaN when ``f`` or ``f_backward`` gives NaN.

    Raises
    ------
    TypeError
        If ``f`` or ``f_backward`` is not callable or returns something other than real numbers.
    ValueError
        If ``eps`` is not finite and > 0, or ``f_backward`` returns the wrong shape.

    Examples
    --------
    >>> # f(x) = x^2 with the correct backward 2x, and with a wrong one (forgets the 2)
    >>> bool(check_gradient(np.square, lambda g, x: g * 2 * x, [1.0, -3.0]) < 1e-8)
    True
    >>> round(float(check_gradient(np.square, lambda g, x: g * x, [1.0, -3.0])), 6)  # |x - 2x| / |2x|
    0.5
    """
    f, f_backward = check_callable(f, "f"), check_callable(f_backward, "f_backward")
    eps = as_real_scalar(eps, "eps", low=0.0, low_open=True)
    # float64: in float32 a step of 1e-6 is lost to rounding
    x = np.array(as_float_array(x, "x"), dtype=np.float64)
    out_shape = as_callable_result(f(x.copy()), "f").shape
    grad_out = np.random.default_rng(0).standard_normal(out_shape)
    analytic = as_callable_result(f_backward(grad_out, x.copy()), "f_backward").astype(np.float64)
    if analytic.shape != x.shape:
        raise ValueError(
            f"f_backward must return a gradient with the shape of x {x.shape}, got shape {analytic.shape}"
        )

    def projected(v: np.ndarray) -> np.floating:
        """sum(grad_out * f(v)): the scalar whose gradient f_backward(grad_out, v) claims to be."""
        fv = as_callable_result(f(v), "f", out_shape)
        with nonfinite_errstate(fv):
            return np.sum(grad_out * fv)

    # the same projection, differentiated numerically: d/dx sum(grad_out * f(x))
    numeric = numerical_gradient(projected, x, eps)
    return np.max(relative_error(analytic, numeric), initial=np.float64(0.0))
# --8<-- [end:check_gradient]
