"""Gradient clipping: bound the size of a gradient before the optimiser uses it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_real_scalar, propagates_nonfinite

__all__ = ["clip_grad_norm", "clip_grad_value"]


def _as_grad_list(grads: object) -> list[np.ndarray]:
    """One array, or a list / tuple of arrays, as a list of float arrays."""
    if isinstance(grads, np.ndarray):
        return [as_float_array(grads, "grads")]
    if not isinstance(grads, Sequence) or isinstance(grads, (str, bytes)):
        raise TypeError(f"grads must be an array or a list of arrays, got {type(grads).__name__}")
    return [as_float_array(g, f"grads[{i}]") for i, g in enumerate(grads)]


def _as_norm_type(norm_type: object) -> float:
    """A p > 0, or infinity for the max-norm."""
    if isinstance(norm_type, (bool, np.bool_)) or not isinstance(norm_type, (int, float, np.integer, np.floating)):
        raise TypeError(f"norm_type must be a positive number or inf, got {type(norm_type).__name__}")
    p = float(norm_type)
    if not p > 0:  # also catches NaN
        raise ValueError(f"norm_type must be a positive number or inf, got {norm_type}")
    return p


def _p_norm(a: np.ndarray, p: float) -> np.ndarray:
    """The p-norm of all elements of ``a``; the largest magnitude is factored out so |a|^p cannot overflow."""
    m = np.max(np.abs(a), initial=0.0).astype(a.dtype)
    if p == np.inf or m == 0 or not np.isfinite(m):
        return m  # the max-norm itself, or 0, inf, NaN
    return m * np.sum((np.abs(a) / m) ** p) ** (1.0 / p)


# --8<-- [start:clip_grad_norm]
@propagates_nonfinite
def clip_grad_norm(
    grads: ArrayLike | Sequence[ArrayLike], max_norm: float, norm_type: float = 2.0
) -> tuple[list[np.ndarray], np.floating]:
    """Rescale gradients so that their total norm is at most ``max_norm``, as ``torch.nn.utils.clip_grad_norm_``.

    The total norm is taken over all arrays together, as if they were concatenated into one vector.
    Every array is multiplied by ``min(max_norm / (total_norm + 1e-6), 1)``, so the direction is
    kept and only a gradient that is too long is shortened. Unlike PyTorch, which modifies the
    gradients in place, this returns new arrays and never touches its input.

    Parameters
    ----------
    grads : array_like or list of array_like
        One gradient array or a list of them (one per parameter), of any shapes.
    max_norm : float
        The largest allowed total norm, >= 0.
    norm_type : float, default 2.0
        The p of the p-norm, > 0, or ``inf`` for the largest absolute value.

    Returns
    -------
    clipped : list of ndarray
        New arrays, each with the shape and dtype of its input.
    total_norm : numpy scalar
        The total norm *before* clipping, in the common dtype of the arrays (0.0 for an empty list).

    Examples
    --------
    >>> # total 2-norm of (3, 4) and (12,) is 13; with max_norm 6.5 everything is halved (to 1e-6)
    >>> clipped, total = clip_grad_norm([np.array([3.0, 4.0]), np.array([12.0])], max_norm=6.5)
    >>> float(total), [c.round(6) for c in clipped]
    (13.0, [array([1.5, 2. ]), array([6.])])
    """
    arrays = _as_grad_list(grads)
    max_norm = as_real_scalar(max_norm, "max_norm", low=0.0)
    p = _as_norm_type(norm_type)
    if not arrays:
        return [], np.float64(0.0)
    dtype = np.result_type(*arrays)
    # the norm of the per-array norms equals the norm of everything concatenated
    norms = np.array([_p_norm(a, p) for a in arrays], dtype=dtype)
    total = _p_norm(norms, p)
    # the clip coefficient, clamped at 1 so that a short gradient is never lengthened
    coef = np.minimum(max_norm / (total + 1e-6), 1.0)
    return [np.asarray(a * coef.astype(a.dtype)) for a in arrays], total
# --8<-- [end:clip_grad_norm]


# --8<-- [start:clip_grad_value]
@propagates_nonfinite
def clip_grad_value(grads: ArrayLike | Sequence[ArrayLike], clip_value: float) -> list[np.ndarray]:
    """Clamp every gradient element to ``[-clip_value, clip_value]``, as ``torch.nn.utils.clip_grad_value_``.

    Each element is clipped on its own, so the gradient's direction can change. Returns new arrays;
    PyTorch's version works in place.

    Parameters
    ----------
    grads : array_like or list of array_like
        One gradient array or a list of them, of any shapes.
    clip_value : float
        The largest allowed magnitude, >= 0.

    Returns
    -------
    list of ndarray
        New arrays, each with the shape and dtype of its input. NaN stays NaN.

    Examples
    --------
    >>> clip_grad_value([np.array([-3.0, 0.5, 2.0])], clip_value=1.0)
    [array([-1. ,  0.5,  1. ])]
    """
    arrays = _as_grad_list(grads)
    clip_value = as_real_scalar(clip_value, "clip_value", low=0.0)
    # element-wise clamp; a Python float keeps float32 arrays in float32
    return [np.asarray(np.clip(a, -clip_value, clip_value)) for a in arrays]
# --8<-- [end:clip_grad_value]
