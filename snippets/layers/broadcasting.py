"""Broadcasting: the shape rule for elementwise operations on arrays of different shapes, and its
gradient counterpart, summing a gradient back to an input's shape."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, as_int, propagates_nonfinite

__all__ = ["broadcast_shapes", "unbroadcast", "unbroadcast_backward"]


def _as_shape(shape: object, name: str) -> tuple[int, ...]:
    """A shape: a tuple or list of non-negative ints, or one int (a 1-d shape, as PyTorch accepts)."""
    if isinstance(shape, (tuple, list)):
        return tuple(as_int(n, name, low=0) for n in shape)
    return (as_int(shape, name, low=0),)


# --8<-- [start:broadcast_shapes]
def broadcast_shapes(*shapes: int | tuple[int, ...]) -> tuple[int, ...]:
    """The shape that arrays of the given shapes broadcast to, as ``torch.broadcast_shapes``.

    Shapes are aligned on their last axis; missing leading axes count as size 1. In every
    position the sizes must be equal or 1, and the result takes the size that is not 1.

    Parameters
    ----------
    *shapes : tuple of int, or int
        The shapes (an int n means the 1-d shape (n,)).

    Returns
    -------
    tuple of int
        The broadcast shape; ``()`` when no shape is given.

    Examples
    --------
    >>> # (8, 1, 6, 1) with (7, 1, 5): align right -> (8, 1, 6, 1) and (1, 7, 1, 5) -> (8, 7, 6, 5)
    >>> broadcast_shapes((8, 1, 6, 1), (7, 1, 5))
    (8, 7, 6, 5)
    """
    shapes_ = [_as_shape(s, "shapes") for s in shapes]
    ndim = max((len(s) for s in shapes_), default=0)
    # right-align: pad every shape with leading 1s to the same length
    padded = [(1,) * (ndim - len(s)) + s for s in shapes_]
    result = []
    for axis in range(ndim):
        sizes = {s[axis] for s in padded} - {1}
        if len(sizes) > 1:
            raise ValueError(
                f"shapes {[tuple(s) for s in shapes_]} cannot be broadcast: sizes {sorted(sizes)} meet "
                f"at axis {axis - ndim} (counted from the end), where each must be 1 or the same"
            )
        result.append(sizes.pop() if sizes else 1)
    return tuple(result)
# --8<-- [end:broadcast_shapes]


def _summed_axes(grad_shape: tuple[int, ...], shape: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The leading axes broadcasting added, and the axes where ``shape`` has size 1 but the gradient does not."""
    lead = len(grad_shape) - len(shape)
    if lead < 0 or any(n not in (1, grad_shape[lead + a]) for a, n in enumerate(shape)):
        raise ValueError(f"shape {shape} does not broadcast to the gradient's shape {grad_shape}")
    stretched = tuple(lead + a for a, n in enumerate(shape) if n == 1 and grad_shape[lead + a] != 1)
    return tuple(range(lead)), stretched


# --8<-- [start:unbroadcast]
@propagates_nonfinite
def unbroadcast(grad: ArrayLike, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a gradient back to the shape of an input that was broadcast, as ``Tensor.sum_to_size``.

    When ``x`` of shape ``shape`` was broadcast to ``grad.shape`` in the forward pass, every
    element of ``x`` was used at several positions, so its gradient is the sum over them: sum
    over the leading axes broadcasting added, and over the axes where ``x`` had size 1.

    Parameters
    ----------
    grad : array_like
        A gradient with respect to the broadcast result.
    shape : tuple of int
        The input's shape; it must broadcast to ``grad.shape``.

    Returns
    -------
    ndarray, shape ``shape``
        The gradient with respect to the input.

    Examples
    --------
    >>> # a bias of shape (3,) added to a (2, 3) batch: its gradient sums the 2 rows
    >>> unbroadcast([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]], (3,))
    array([11., 22., 33.])
    """
    grad = as_float_array(grad, "grad")
    shape = _as_shape(shape, "shape")
    lead, stretched = _summed_axes(grad.shape, shape)
    # every element was copied along these axes: its gradient is the sum of the copies'
    summed = np.sum(grad, axis=lead + stretched, keepdims=True)
    return summed.reshape(shape)
# --8<-- [end:unbroadcast]


# --8<-- [start:unbroadcast_backward]
@propagates_nonfinite
def unbroadcast_backward(grad_out: ArrayLike, grad: ArrayLike, shape: tuple[int, ...]) -> np.ndarray:
    """Gradient of :func:`unbroadcast` with respect to ``grad``: broadcasting again.

    Parameters
    ----------
    grad_out : array_like, shape ``shape``
        Upstream gradient.
    grad, shape
        The forward arguments.

    Returns
    -------
    ndarray, shape of ``grad``
        ``grad_out`` broadcast to ``grad``'s shape (a fresh array): a sum hands its gradient to
        every term — broadcasting and summing are each other's adjoints.

    Examples
    --------
    >>> unbroadcast_backward([1.0, 2.0, 3.0], np.zeros((2, 3)), (3,))
    array([[1., 2., 3.],
           [1., 2., 3.]])
    """
    grad = as_float_array(grad, "grad")
    shape = _as_shape(shape, "shape")
    _summed_axes(grad.shape, shape)
    g = as_grad_out(grad_out, shape, grad.dtype)
    return np.broadcast_to(g, grad.shape).copy()
# --8<-- [end:unbroadcast_backward]
