"""Saddle points: the Hessian by finite differences, and the second-derivative test at a critical point."""

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

__all__ = ["hessian", "classify_critical_point"]


# --8<-- [start:hessian]
@propagates_nonfinite
def hessian(f: Callable[[np.ndarray], float], x: ArrayLike, h: float = 1e-4) -> np.ndarray:
    """The Hessian of a scalar function ``f`` at ``x``, by central differences.

    ``H_ii = (f(x + h e_i) - 2 f(x) + f(x - h e_i)) / h^2`` and, for ``i != j``,
    ``H_ij = (f(x + h e_i + h e_j) - f(x + h e_i - h e_j) - f(x - h e_i + h e_j)
    + f(x - h e_i - h e_j)) / (4 h^2)``, which is symmetric by construction.

    Parameters
    ----------
    f : callable
        Takes an array shaped like ``x`` and returns a real scalar.
    x : array_like, shape (*)
        The point. Never modified.
    h : float, default 1e-4
        Step, finite and ``> 0``. The error is about ``h**2 * |f''''|`` (truncation) plus
        ``1e-16 * |f| / h**2`` (rounding): 1e-4 balances them for order-one float64 functions.

    Returns
    -------
    ndarray of float64, shape (n, n)
        With ``n = x.size``, the coordinates in ``x.ravel()`` order. Computed in float64 whatever
        ``x``'s dtype (a step of 1e-4 squared is below float32's resolution). Where ``f`` is
        infinite or NaN the quotients are what IEEE arithmetic makes of them, without a warning.

    Examples
    --------
    >>> # f = x^2 - 3 x y + 2 y^2 is quadratic: central differences are exact up to rounding
    >>> hessian(lambda v: v[0]**2 - 3 * v[0] * v[1] + 2 * v[1]**2, [0.5, -1.0]).round(6)
    array([[ 2., -3.],
           [-3.,  4.]])
    """
    f = check_callable(f, "f")
    h = as_real_scalar(h, "h", low=0.0, low_open=True)
    x0 = np.array(as_float_array(x, "x"), dtype=np.float64)
    shape, n = x0.shape, x0.size

    def at(*moves: tuple[int, float]) -> float:
        """f at x0 moved by ``step`` along coordinate ``i`` for each ``(i, step)``."""
        point = x0.ravel().copy()
        for i, step in moves:
            point[i] += step
        return as_callable_result(f(point.reshape(shape)), "f", ())

    f0 = at()
    H = np.empty((n, n))
    for i in range(n):
        plus, minus = at((i, h)), at((i, -h))
        with nonfinite_errstate(plus, minus, f0):
            # second difference along one coordinate
            H[i, i] = (plus - 2 * f0 + minus) / (h * h)
        for j in range(i):
            pp, pm = at((i, h), (j, h)), at((i, h), (j, -h))
            mp, mm = at((i, -h), (j, h)), at((i, -h), (j, -h))
            with nonfinite_errstate(pp, pm, mp, mm):
                # the mixed difference, mirrored: H is symmetric
                H[i, j] = H[j, i] = ((pp - pm) - (mp - mm)) / (4 * h * h)
    return H
# --8<-- [end:hessian]


# --8<-- [start:classify_critical_point]
def classify_critical_point(H: ArrayLike, tol: float = 1e-8) -> str:
    """The second-derivative test at a critical point (a point where the gradient is 0).

    From the eigenvalues of the symmetric Hessian ``H``: ``"minimum"`` if all are ``> tol``,
    ``"maximum"`` if all are ``< -tol``, ``"saddle"`` if some are ``> tol`` and some ``< -tol``
    (the function rises along some directions and falls along others), and ``"degenerate"``
    otherwise: an eigenvalue within ``tol`` of 0 and no opposite signs, where the second-order
    test cannot decide (``x^4`` has a minimum, ``x^3`` an inflection, both with ``H = 0``).

    Parameters
    ----------
    H : array_like, shape (n, n)
        A symmetric matrix (to 1e-8 relative to its largest entry), finite, ``n >= 1``.
    tol : float, default 1e-8
        Eigenvalues of magnitude ``<= tol`` count as 0, ``>= 0``. Absolute: scale it with ``H``,
        and above the error of a finite-difference Hessian (about 1e-7 with :func:`hessian`'s default).

    Returns
    -------
    str
        ``"minimum"``, ``"maximum"``, ``"saddle"`` or ``"degenerate"``.

    Examples
    --------
    >>> classify_critical_point([[2.0, 0.0], [0.0, -2.0]])   # x^2 - y^2 at 0: eigenvalues 2, -2
    'saddle'
    >>> classify_critical_point([[2.0, 1.0], [1.0, 2.0]])    # eigenvalues 1 and 3
    'minimum'
    """
    H = as_float_array(H, "H")
    tol = as_real_scalar(tol, "tol", low=0.0)
    if H.ndim != 2 or H.shape[0] != H.shape[1] or H.shape[0] == 0:
        raise ValueError(f"H must be a square matrix (n, n) with n >= 1, got shape {H.shape}")
    if not np.all(np.isfinite(H)):
        raise ValueError(f"H must be finite, found {H[~np.isfinite(H)].ravel()[0]}")
    scale = float(np.max(np.abs(H)))
    if np.any(np.abs(H - H.T) > 1e-8 * scale):
        raise ValueError(f"H must be symmetric, but |H - H^T| reaches {np.max(np.abs(H - H.T)):.3g}")
    if scale == 0:
        return "degenerate"
    # the signs of the curvatures along the eigenvectors decide (in units of the largest entry,
    # so that nothing overflows inside the eigensolver)
    eigenvalues = np.linalg.eigvalsh(H / scale)
    limit = tol / scale
    up, down = np.any(eigenvalues > limit), np.any(eigenvalues < -limit)
    if up and down:
        return "saddle"
    if np.all(eigenvalues > limit):
        return "minimum"
    if np.all(eigenvalues < -limit):
        return "maximum"
    return "degenerate"
# --8<-- [end:classify_critical_point]
