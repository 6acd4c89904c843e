"""Flatten and unflatten: merge a run of axes into one, or split one axis into several, without moving data."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, as_int, propagates_nonfinite

__all__ = ["flatten", "flatten_backward", "unflatten", "unflatten_backward"]


def _flat_shape(shape: tuple[int, ...], start_dim: object, end_dim: object) -> tuple[int, ...]:
    """The shape after merging axes start_dim..end_dim (inclusive; negative counts from the end).

    A 0-d input counts as one axis, as in PyTorch (``torch.flatten`` of a scalar has shape (1,)).
    """
    n = max(len(shape), 1)
    start = as_int(start_dim, "start_dim", low=-n, high=n - 1) % n
    end = as_int(end_dim, "end_dim", low=-n, high=n - 1) % n
    if start > end:
        raise ValueError(
            f"start_dim must not come after end_dim, got start_dim={start_dim} and end_dim={end_dim} "
            f"for an input of shape {shape}"
        )
    shape = shape or (1,)
    # the product spelled out: reshape cannot infer -1 when another axis has size 0
    return (*shape[:start], math.prod(shape[start : end + 1]), *shape[end + 1 :])


# --8<-- [start:flatten]
@propagates_nonfinite
def flatten(x: ArrayLike, start_dim: int = 1, end_dim: int = -1) -> np.ndarray:
    """Merge the axes ``start_dim`` to ``end_dim`` (inclusive) into one, as ``torch.flatten``.

    The default ``start_dim=1`` is that of ``torch.nn.Flatten`` (keep the batch axis);
    ``torch.flatten`` itself defaults to ``start_dim=0``. The elements keep their row-major (C)
    order: element ``x[n, c, h, w]`` lands at ``y[n, (c * H + h) * W + w]``.

    Parameters
    ----------
    x : array_like
        Any shape (float32 stays float32; other real input is computed in float64).
    start_dim, end_dim : int
        First and last axis to merge; negative values count from the end. ``start_dim`` must not
        come after ``end_dim``.

    Returns
    -------
    ndarray, shape ``x.shape[:start_dim] + (prod(x.shape[start_dim:end_dim + 1]),) + x.shape[end_dim + 1:]``
        A *view* of ``x`` when ``x`` is a contiguous float array (as PyTorch returns a view):
        no data is copied, and writing into the result writes into ``x``.

    Examples
    --------
    >>> # a batch of 2 images of shape (C, H, W) = (1, 2, 2) becomes 2 rows of 4 values
    >>> flatten(np.arange(8.0).reshape(2, 1, 2, 2))
    array([[0., 1., 2., 3.],
           [4., 5., 6., 7.]])
    """
    x = as_float_array(x, "x")
    # only the shape changes; numpy copies only when x's memory layout requires it
    return x.reshape(_flat_shape(x.shape, start_dim, end_dim))
# --8<-- [end:flatten]


# --8<-- [start:flatten_backward]
@propagates_nonfinite
def flatten_backward(grad_out: ArrayLike, x: ArrayLike, start_dim: int = 1, end_dim: int = -1) -> np.ndarray:
    """Gradient of :func:`flatten` with respect to ``x``: ``grad_out`` reshaped to ``x``'s shape.

    Parameters
    ----------
    grad_out : array_like, the flattened shape
        Upstream gradient dL/dy.
    x, start_dim, end_dim
        The forward arguments.

    Returns
    -------
    ndarray, shape of x
        Every element's gradient goes back to the element it came from (a view of ``grad_out``
        when possible).

    Examples
    --------
    >>> flatten_backward([[1.0, 2.0, 3.0, 4.0]], np.zeros((1, 1, 2, 2)))
    array([[[[1., 2.],
             [3., 4.]]]])
    """
    x = as_float_array(x, "x")
    g = as_grad_out(grad_out, _flat_shape(x.shape, start_dim, end_dim), x.dtype)
    # a reshape is a permutation-free relabelling of the elements: its adjoint is the inverse reshape
    return g.reshape(x.shape)
# --8<-- [end:flatten_backward]


def _unflat_shape(shape: tuple[int, ...], axis: object, sizes: object) -> tuple[int, ...]:
    """The shape after splitting ``axis`` into ``sizes`` (one entry may be -1: inferred)."""
    n = max(len(shape), 1)
    ax = as_int(axis, "axis", low=-n, high=n - 1) % n
    if not isinstance(sizes, (tuple, list)) or len(sizes) == 0:
        raise TypeError(f"sizes must be a non-empty tuple or list of ints, got {sizes!r}")
    sizes = [as_int(s, "sizes", low=-1) for s in sizes]
    shape = shape or (1,)
    known = math.prod(s for s in sizes if s != -1)
    if sizes.count(-1) > 1:
        raise ValueError(f"sizes may contain at most one -1, got {tuple(sizes)}")
    if -1 in sizes:
        if known == 0 or shape[ax] % known:
            raise ValueError(f"sizes {tuple(sizes)} cannot split axis {ax} of size {shape[ax]} (input shape {shape})")
        sizes[sizes.index(-1)] = shape[ax] // known
    elif known != shape[ax]:
        raise ValueError(
            f"sizes {tuple(sizes)} must multiply to the size {shape[ax]} of axis {ax} (input shape {shape})"
        )
    return (*shape[:ax], *sizes, *shape[ax + 1 :])


# --8<-- [start:unflatten]
@propagates_nonfinite
def unflatten(x: ArrayLike, axis: int, sizes: tuple[int, ...]) -> np.ndarray:
    """Split axis ``axis`` into several axes of the given ``sizes``, as ``torch.unflatten``.

    The inverse of :func:`flatten`: ``unflatten(flatten(x, s, e), s, x.shape[s:e + 1])`` is ``x``.

    Parameters
    ----------
    x : array_like
        Any shape.
    axis : int
        The axis to split (PyTorch's ``dim``); negative values count from the end.
    sizes : tuple of int
        The new axes' sizes, multiplying to ``x.shape[axis]``; one of them may be -1 (inferred).

    Returns
    -------
    ndarray, shape ``x.shape[:axis] + sizes + x.shape[axis + 1:]``
        A view of ``x`` when possible, like :func:`flatten`.

    Examples
    --------
    >>> # 2 rows of 6 values read as 2 maps of 2 x 3 (the -1 is inferred: 6 / 2 = 3)
    >>> unflatten(np.arange(12.0).reshape(2, 6), 1, (2, -1))
    array([[[ 0.,  1.,  2.],
            [ 3.,  4.,  5.]],
    <BLANKLINE>
           [[ 6.,  7.,  8.],
            [ 9., 10., 11.]]])
    """
    x = as_float_array(x, "x")
    return x.reshape(_unflat_shape(x.shape, axis, sizes))
# --8<-- [end:unflatten]


# --8<-- [start:unflatten_backward]
@propagates_nonfinite
def unflatten_backward(grad_out: ArrayLike, x: ArrayLike, axis: int, sizes: tuple[int, ...]) -> np.ndarray:
    """Gradient of :func:`unflatten` with respect to ``x``: ``grad_out`` reshaped to ``x``'s shape.

    Parameters
    ----------
    grad_out : array_like, the unflattened shape
        Upstream gradient dL/dy.
    x, axis, sizes
        The forward arguments.

    Returns
    -------
    ndarray, shape of x

    Examples
    --------
    >>> unflatten_backward([[[1.0], [2.0]]], np.zeros((1, 2)), 1, (2, 1))
    array([[1., 2.]])
    """
    x = as_float_array(x, "x")
    g = as_grad_out(grad_out, _unflat_shape(x.shape, axis, sizes), x.dtype)
    return g.reshape(x.shape)
# --8<-- [end:unflatten_backward]
