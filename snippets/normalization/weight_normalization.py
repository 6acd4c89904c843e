"""Weight normalization: a weight tensor written as a length g times a unit direction v / ||v||."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, check_axis, check_shape, propagates_nonfinite
from snippets.normalization.batch_normalization import _rms

__all__ = ["weight_norm", "weight_norm_backward"]


def _check_weight_norm(
    v: ArrayLike, g: ArrayLike, axis: int | None
) -> tuple[np.ndarray, np.ndarray, tuple[int, ...], np.ndarray]:
    """v as a float array, g in PyTorch's layout (v's shape with 1 on every reduced axis, or () for
    the whole tensor) in v's dtype, the reduced axes, and ||v|| over them (keepdims), refusing a
    zero slice."""
    v = as_float_array(v, "v")
    if axis is None:
        axes = tuple(range(v.ndim))  # one norm over the whole tensor
    else:
        if v.ndim == 0:
            raise ValueError("v must have at least one dimension when axis is given (use axis=None)")
        kept = check_axis(axis, v.ndim, v.shape)
        axes = tuple(a for a in range(v.ndim) if a != kept)
    # PyTorch's layout: () for the whole tensor, else v's shape with 1 on every reduced axis
    g_shape = () if axis is None else tuple(1 if a in axes else n for a, n in enumerate(v.shape))
    g = as_float_array(g, "g")
    where = "the whole tensor" if axis is None else f"axis={axis}"
    symbols = "()" if axis is None else "v.shape with 1 on every normalised axis"
    check_shape(g, g_shape, "g", symbols, f"v of shape {v.shape} and {where}")
    # ||v|| per slice, without squaring large entries (1e200 would overflow)
    count = int(np.prod([v.shape[a] for a in axes]))
    norm = _rms(v, axes, 0.0) * np.sqrt(v.dtype.type(max(count, 1))) if axes else np.abs(v)
    zero = norm == 0
    if np.any(zero):
        raise ValueError(
            f"v has a slice of zeros at index {np.argwhere(zero)[0].tolist()} (of the norms' shape "
            f"{norm.shape}): its direction v / ||v|| is undefined"
        )
    return v, g.astype(v.dtype, copy=False), axes, norm


# --8<-- [start:weight_norm]
@propagates_nonfinite
def weight_norm(v: ArrayLike, g: ArrayLike, axis: int | None = 0) -> np.ndarray:
    """The weight ``w = g * v / ||v||`` of weight normalization, as ``torch._weight_norm``.

    The norm is taken over every axis except ``axis`` (each output unit's row, for ``axis=0`` and
    a weight of shape (out_features, in_features)), or over the whole tensor for ``axis=None``.
    PyTorch's ``torch.nn.utils.parametrizations.weight_norm(module, dim=0)`` stores ``v`` and
    ``g`` and recomputes this before every forward pass.

    Parameters
    ----------
    v : array_like, shape (*)
        Direction parameter (PyTorch's ``original1`` / ``weight_v``); no slice may be all zeros.
    g : array_like
        Length parameter (``original0`` / ``weight_g``) of v's shape with 1 on every normalised
        axis: (out, 1, ..., 1) for ``axis=0``; shape () for ``axis=None``. Cast to v's dtype.
    axis : int or None, default 0
        The axis that keeps one norm per index. Note: in PyTorch ``dim=None`` (stored as -1)
        means the whole tensor; here ``axis=-1`` means the last axis, as in numpy.

    Returns
    -------
    ndarray, shape of v
        w in v's dtype; each slice has norm |g|.

    Examples
    --------
    >>> # ||(3, 4)|| = 5: the direction (0.6, 0.8) times the length 10
    >>> weight_norm([[3.0, 4.0]], [[10.0]])
    array([[6., 8.]])
    """
    v, g, _, norm = _check_weight_norm(v, g, axis)
    # the unit direction v / ||v|| (entries <= 1: no overflow even for a tiny norm), scaled to g
    return (v / norm) * g
# --8<-- [end:weight_norm]


# --8<-- [start:weight_norm_backward]
@propagates_nonfinite
def weight_norm_backward(
    grad_out: ArrayLike, v: ArrayLike, g: ArrayLike, axis: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`weight_norm` with respect to ``v`` and ``g``.

    Parameters
    ----------
    grad_out : array_like, shape of v
        Upstream gradient dL/dw.
    v, g, axis
        As in :func:`weight_norm`.

    Returns
    -------
    (dv, dg) : ndarrays of the shapes of v and g
        With u = v / ||v|| and sums over the normalised axes: ``dg = sum(grad_out * u)`` and
        ``dv = g / ||v|| * (grad_out - u * dg)``: the gradient's component along v is removed,
        so a step along dv leaves ||v|| unchanged to first order. dv is of size |g| / ||v||: it
        overflows to inf only when ||v|| is within a few powers of ten of the smallest float.

    Examples
    --------
    >>> # u = (0.6, 0.8), grad (1, 0): dg = 0.6; dv = 10/5 * ((1, 0) - 0.6 (0.6, 0.8))
    >>> dv, dg = weight_norm_backward([[1.0, 0.0]], [[3.0, 4.0]], [[10.0]])
    >>> dv.round(12), dg.round(12)
    (array([[ 1.28, -0.96]]), array([[0.6]]))
    """
    v, g, axes, norm = _check_weight_norm(v, g, axis)
    grad = as_grad_out(grad_out, v.shape, v.dtype)
    u = v / norm
    # w = g u: the length's gradient is the upstream gradient projected on the direction
    dg = np.sum(grad * u, axis=axes, keepdims=True).reshape(g.shape)  # () for the whole tensor
    # through u = v / ||v||: the component along u is removed, then scaled by g / ||v||; for
    # ||v|| below about |g| / 1e308 the true value exceeds the float range: inf, as IEEE says
    with np.errstate(over="ignore"):
        dv = g * ((grad - u * dg) / norm)
    return dv, dg
# --8<-- [end:weight_norm_backward]
