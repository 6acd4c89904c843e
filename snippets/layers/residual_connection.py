"""Residual connection: a block outputs its input plus a learned correction, ``y = x + F(x)``, so
that the identity is the default and gradients reach early layers through the skip path."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, check_shape, propagates_nonfinite
from snippets.activations.relu import relu, relu_backward
from snippets.layers.fully_connected_layer import linear, linear_backward

__all__ = ["residual_block", "residual_block_backward"]


def _check_block(
    x: ArrayLike, w1: ArrayLike, b1: ArrayLike, w2: ArrayLike, b2: ArrayLike
) -> list[np.ndarray]:
    """x (*, D), w1 (H, D), b1 (H,), w2 (D, H), b2 (D,), all in one float dtype."""
    arrays = [as_float_array(a, n) for a, n in ((x, "x"), (w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2"))]
    x, w1, b1, w2, b2 = arrays
    if w1.ndim != 2:
        raise ValueError(f"w1 must be a 2-D array (H, D), got shape {w1.shape}")
    hidden, d = w1.shape
    if x.ndim == 0 or x.shape[-1] != d:
        raise ValueError(f"x must have shape (*, D) with D = {d} as in w1 of shape {w1.shape}, got {x.shape}")
    where = f"w1 of shape {w1.shape} (H = {hidden}, D = {d})"
    check_shape(b1, (hidden,), "b1", "(H,)", where)
    # the branch must return to the input's width, or x + F(x) is undefined
    check_shape(w2, (d, hidden), "w2", "(D, H)", where)
    check_shape(b2, (d,), "b2", "(D,)", where)
    dtype = np.result_type(*arrays)
    return [a.astype(dtype, copy=False) for a in arrays]


# --8<-- [start:residual_block]
@propagates_nonfinite
def residual_block(
    x: ArrayLike, w1: ArrayLike, b1: ArrayLike, w2: ArrayLike, b2: ArrayLike
) -> np.ndarray:
    """A residual block ``x + F(x)`` with a two-layer branch ``F(x) = relu(x W1^T + b1) W2^T + b2``.

    The identity-mapping form of He et al. (2016b): nothing is applied after the addition, so the
    skip path carries ``x`` unchanged. Equals ``x + nn.Sequential(Linear(D, H), ReLU(), Linear(H, D))(x)``.

    Parameters
    ----------
    x : array_like, shape (*, D)
        Inputs with D features and any leading (batch) axes.
    w1 : array_like, shape (H, D)
        First layer of the branch, PyTorch's (out_features, in_features) layout.
    b1 : array_like, shape (H,)
    w2 : array_like, shape (D, H)
        Second layer: back to D features, so that the branch can be added to ``x``.
    b2 : array_like, shape (D,)

    Returns
    -------
    ndarray, shape (*, D)
        In the common float dtype of the inputs.

    Examples
    --------
    With w2 = 0 and b2 = 0 the branch is zero and the block is the identity; with x = 2,
    w1 = 1, w2 = 3 the branch adds 3 * relu(2) = 6:

    >>> residual_block([[2.0]], [[1.0]], [0.0], [[0.0]], [0.0]), residual_block([[2.0]], [[1.0]], [0.0], [[3.0]], [0.0])
    (array([[2.]]), array([[8.]]))
    """
    x, w1, b1, w2, b2 = _check_block(x, w1, b1, w2, b2)
    # the residual branch F(x): linear, relu, linear
    branch = linear(relu(linear(x, w1, b1)), w2, b2)
    # the skip connection adds the input back unchanged
    return x + branch
# --8<-- [end:residual_block]


# --8<-- [start:residual_block_backward]
@propagates_nonfinite
def residual_block_backward(
    grad_out: ArrayLike, x: ArrayLike, w1: ArrayLike, b1: ArrayLike, w2: ArrayLike, b2: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`residual_block` with respect to ``x, w1, b1, w2, b2``.

    Parameters
    ----------
    grad_out : array_like, shape (*, D)
        Upstream gradient dL/dy.
    x, w1, b1, w2, b2
        The forward inputs, as in :func:`residual_block`.

    Returns
    -------
    tuple of 5 ndarrays
        ``(dx, dw1, db1, dw2, db2)``, each shaped like its input. ``dx = grad_out + J_F^T grad_out``:
        the upstream gradient itself arrives through the skip path, whatever the branch does.

    Examples
    --------
    x = 2, w1 = 1, w2 = 3 (branch slope 3 where relu is active): dx = 1 + 3 = 4; x = -2 (relu
    off): the branch passes nothing back and dx = 1.

    >>> residual_block_backward([[1.0]], [[2.0]], [[1.0]], [0.0], [[3.0]], [0.0])[0]
    array([[4.]])
    >>> residual_block_backward([[1.0]], [[-2.0]], [[1.0]], [0.0], [[3.0]], [0.0])[0]
    array([[1.]])
    """
    x, w1, b1, w2, b2 = _check_block(x, w1, b1, w2, b2)
    g = as_grad_out(grad_out, x.shape, x.dtype)
    # forward through the branch again, keeping the intermediate values
    z = linear(x, w1, b1)
    r = relu(z)
    # backward through the branch: second linear, relu, first linear
    dr, dw2, db2 = linear_backward(g, r, w2, b2)
    dz = relu_backward(dr, z)
    dx_branch, dw1, db1 = linear_backward(dz, x, w1, b1)
    # y = x + F(x): the skip path hands grad_out straight to x
    return g + dx_branch, dw1, db1, dw2, db2
# --8<-- [end:residual_block_backward]
