"""Cosine similarity and L_p normalisation: compare directions, not lengths."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, as_real_scalar, check_axis, propagates_nonfinite

__all__ = ["cosine_similarity", "cosine_similarity_backward", "normalize", "normalize_backward"]


def _vector_norm(x: np.ndarray, p: float, axis: int) -> np.ndarray:
    """``(sum |x|^p)^(1/p)`` along ``axis`` (kept), scaled by the largest |x| so that no power
    overflows or underflows: ``m * (sum (|x| / m)^p)^(1/p)``."""
    a = np.abs(x)
    m = np.max(a, axis=axis, keepdims=True, initial=0.0)
    scaled = a / np.where(m > 0, m, 1)  # every entry in [0, 1]; an all-zero vector stays 0
    n = m * np.sum(scaled**p, axis=axis, keepdims=True) ** (1 / p)
    return np.where(np.isinf(m), m, n)  # an infinite entry: the norm is inf (inf / inf gave NaN)


def _broadcast(x1: np.ndarray, x2: np.ndarray) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise ValueError(f"x1 and x2 must broadcast together, got shapes {x1.shape} and {x2.shape}") from None


def _sum_to_shape(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Undo broadcasting: sum ``g`` over the axes that broadcasting added or stretched."""
    lead = g.ndim - len(shape)
    stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    return np.sum(g, axis=tuple(range(lead)) + stretched, keepdims=True).reshape(shape)


def _cosine_parts(x1: ArrayLike, x2: ArrayLike, axis: int, eps: float):
    """Checked inputs, the axis, the unit vectors u = x1 / n1 and v = x2 / n2 (clamped norms)."""
    x1 = as_float_array(x1, "x1")
    x2 = as_float_array(x2, "x2")
    shape = _broadcast(x1, x2)
    axis = check_axis(axis, len(shape), shape)
    if len(shape) == 0:
        raise ValueError("x1 and x2 must have at least one dimension (the vectors' axis), got shapes () and ()")
    eps = as_real_scalar(eps, "eps", low=0.0, low_open=True)
    a, b = np.broadcast_to(x1, shape), np.broadcast_to(x2, shape)
    n1, n2 = _vector_norm(a, 2, axis), _vector_norm(b, 2, axis)
    # divide each vector by its norm first (as PyTorch): the product of two unit vectors stays in [-1, 1]
    return x1, x2, a, b, axis, eps, n1, n2, a / np.maximum(n1, eps), b / np.maximum(n2, eps)


# --8<-- [start:cosine_similarity]
@propagates_nonfinite
def cosine_similarity(x1: ArrayLike, x2: ArrayLike, axis: int = 1, eps: float = 1e-8) -> np.ndarray:
    """Cosine of the angle between vectors along ``axis``, as ``torch.nn.functional.cosine_similarity``.

    ``x1 . x2 / (max(||x1||, eps) max(||x2||, eps))``: each norm is clamped at ``eps`` separately,
    so a zero vector has similarity 0 with everything.

    Parameters
    ----------
    x1, x2 : array_like, shapes that broadcast to (*, D, *)
        The vectors, with their D components along ``axis``; broadcast against each other as in
        PyTorch (a (1, D) row against an (N, D) batch).
    axis : int, default 1
        The axis of the vector components (PyTorch's ``dim``).
    eps : float, default 1e-8
        The smallest norm divided by; ``eps > 0``.

    Returns
    -------
    ndarray or numpy scalar, broadcast shape without ``axis``
        Similarities in [-1, 1]; the float dtype of the inputs.

    Examples
    --------
    >>> cosine_similarity([[1.0, 0.0], [1.0, 1.0]], [[0.0, 2.0], [3.0, 3.0]])  # 90 and 0 degrees
    array([0., 1.])
    >>> float(cosine_similarity([3.0, 4.0], [4.0, 3.0], axis=0))  # (12 + 12) / (5 * 5)
    0.96
    """
    *_, axis, _, _, _, u, v = _cosine_parts(x1, x2, axis, eps)
    # the dot product of the two unit vectors
    return np.sum(u * v, axis=axis)
# --8<-- [end:cosine_similarity]


# --8<-- [start:cosine_similarity_backward]
@propagates_nonfinite
def cosine_similarity_backward(
    grad_out: ArrayLike, x1: ArrayLike, x2: ArrayLike, axis: int = 1, eps: float = 1e-8
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`cosine_similarity` with respect to ``x1`` and ``x2``.

    For ``||x1|| > eps``: ``dx1 = g (v - cos * u) / ||x1||`` with the unit vectors u, v: only the
    component of ``v`` orthogonal to ``x1`` moves the angle. Where a norm is clamped
    (``||x1|| <= eps``) the forward is linear in ``x1`` and ``dx1 = g v / eps``. PyTorch gives the
    same except for a vector with ``0 < ||x1|| < eps``, where its gradient still differentiates
    the (clamped) norm; here the gradient is that of the value returned.

    Parameters
    ----------
    grad_out : array_like, shape of the forward output
        Upstream gradient dL/dcos.
    x1, x2 : array_like
        The forward inputs.
    axis : int, default 1
        The axis of the vector components.
    eps : float, default 1e-8
        As in the forward pass.

    Returns
    -------
    (ndarray, ndarray), the shapes of ``x1`` and ``x2``
        dL/dx1 and dL/dx2, summed over the axes that broadcasting stretched.

    Examples
    --------
    >>> dx1, dx2 = cosine_similarity_backward(1.0, [1.0, 0.0], [1.0, 1.0], axis=0)
    >>> dx1  # v - cos u = (1, 1)/sqrt(2) - (1, 0)/sqrt(2), divided by ||x1|| = 1
    array([0.        , 0.70710678])
    """
    x1, x2, a, b, axis, eps, n1, n2, u, v = _cosine_parts(x1, x2, axis, eps)
    cos = np.sum(u * v, axis=axis, keepdims=True)
    out_shape = np.squeeze(cos, axis=axis).shape
    g = np.expand_dims(as_grad_out(grad_out, out_shape, cos.dtype), axis)
    # d(u . v)/dx1 = (v - cos u) / ||x1||; a clamped norm is a constant: (v) / eps
    d1 = g * (v - np.where(n1 > eps, cos, 0) * u) / np.maximum(n1, eps)
    d2 = g * (u - np.where(n2 > eps, cos, 0) * v) / np.maximum(n2, eps)
    return _sum_to_shape(d1, x1.shape), _sum_to_shape(d2, x2.shape)
# --8<-- [end:cosine_similarity_backward]


def _normalize_parts(x: ArrayLike, p: float, axis: int, eps: float):
    x = as_float_array(x, "x")
    axis = check_axis(axis, x.ndim, x.shape)
    if x.ndim == 0:
        raise ValueError("x must have at least one dimension (the vectors' axis), got shape ()")
    p = as_real_scalar(p, "p", low=1.0)
    eps = as_real_scalar(eps, "eps", low=0.0, low_open=True)
    return x, p, axis, eps, _vector_norm(x, p, axis)


# --8<-- [start:normalize]
@propagates_nonfinite
def normalize(x: ArrayLike, p: float = 2.0, axis: int = 1, eps: float = 1e-12) -> np.ndarray:
    """Divide each vector along ``axis`` by its L_p norm, as ``torch.nn.functional.normalize``.

    ``x / max(||x||_p, eps)``: a vector shorter than ``eps`` is divided by ``eps`` instead, so a
    zero vector stays zero.

    Parameters
    ----------
    x : array_like, shape (*, D, *)
        The vectors, with their D components along ``axis``.
    p : float, default 2.0
        The norm's exponent, ``p >= 1`` and finite (PyTorch also accepts ``p < 1`` and ``inf``).
    axis : int, default 1
        The axis of the vector components (PyTorch's ``dim``).
    eps : float, default 1e-12
        The smallest norm divided by; ``eps > 0``.

    Returns
    -------
    ndarray, shape of ``x``
        Vectors of L_p norm 1 (or shorter, when clamped); the float dtype of ``x``.

    Examples
    --------
    >>> normalize([[3.0, 4.0], [0.0, 0.0]])  # divided by 5; the zero row stays zero
    array([[0.6, 0.8],
           [0. , 0. ]])
    >>> normalize([[3.0, -1.0]], p=1.0)  # divided by |3| + |-1| = 4
    array([[ 0.75, -0.25]])
    """
    x, p, axis, eps, n = _normalize_parts(x, p, axis, eps)
    return x / np.maximum(n, eps)
# --8<-- [end:normalize]


# --8<-- [start:normalize_backward]
@propagates_nonfinite
def normalize_backward(grad_out: ArrayLike, x: ArrayLike, p: float = 2.0, axis: int = 1, eps: float = 1e-12) -> np.ndarray:
    """Gradient of :func:`normalize` with respect to ``x``.

    With ``n = ||x||_p`` and ``y = x / n``: ``dx = (g - sum(g * x) / n * dn/dx) / n`` where
    ``dn/dx = sign(x) (|x| / n)^(p - 1)`` (``x / n`` for p = 2). A clamped norm (``n < eps``) is a
    constant, so there ``dx = g / eps``, as in PyTorch.

    Parameters
    ----------
    grad_out : array_like, shape of ``x``
        Upstream gradient dL/dy.
    x : array_like, shape (*, D, *)
        The forward input.
    p, axis, eps
        As in the forward pass.

    Returns
    -------
    ndarray, shape of ``x``
        dL/dx.

    Examples
    --------
    >>> normalize_backward([[1.0, 0.0]], [[3.0, 4.0]])  # (g - (g . y) y) / 5 with y = (0.6, 0.8)
    array([[ 0.128, -0.096]])
    """
    x, p, axis, eps, n = _normalize_parts(x, p, axis, eps)
    g = as_grad_out(grad_out, x.shape, x.dtype)
    nc = np.maximum(n, eps)
    # dn/dx = sign(x) (|x| / n)^(p - 1): each ratio is at most 1, so the power cannot overflow
    dn = np.sign(x) * (np.abs(x) / np.where(n > 0, n, 1)) ** (p - 1)
    # the norm's path counts only where it was not clamped (PyTorch's clamp_min passes n >= eps)
    through_norm = np.where(n >= eps, np.sum(g * x, axis=axis, keepdims=True) / nc, 0) * dn
    return (g - through_norm) / nc
# --8<-- [end:normalize_backward]
