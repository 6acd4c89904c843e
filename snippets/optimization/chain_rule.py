"""The chain rule: the derivative of a composition is the product of the local derivatives."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, check_shape, propagates_nonfinite
from snippets.activations.sigmoid import sigmoid, sigmoid_backward

__all__ = ["sigmoid_linear", "sigmoid_linear_backward", "compose_jacobians"]


def _check_sigmoid_linear(
    x: ArrayLike, weight: ArrayLike, bias: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate the three arrays and return them in one common float dtype."""
    x, weight, bias = (as_float_array(a, n) for a, n in ((x, "x"), (weight, "weight"), (bias, "bias")))
    if weight.ndim != 2:
        raise ValueError(f"weight must be a 2-D array (out_features, in_features), got shape {weight.shape}")
    out_features, in_features = weight.shape
    if x.ndim != 2 or x.shape[1] != in_features:
        raise ValueError(
            f"x must have shape (N, in_features) = (N, {in_features}) for weight of shape "
            f"{weight.shape}, got {x.shape}"
        )
    check_shape(bias, (out_features,), "bias", "(out_features,)", f"weight of shape {weight.shape}")
    dtype = np.result_type(x, weight, bias)
    return x.astype(dtype, copy=False), weight.astype(dtype, copy=False), bias.astype(dtype, copy=False)


# --8<-- [start:sigmoid_linear]
@propagates_nonfinite
def sigmoid_linear(x: ArrayLike, weight: ArrayLike, bias: ArrayLike) -> np.ndarray:
    """A two-node computational graph: a linear map followed by a sigmoid, ``sigmoid(x @ weight.T + bias)``.

    Parameters
    ----------
    x : array_like, shape (N, in_features)
        A batch of inputs.
    weight : array_like, shape (out_features, in_features)
        PyTorch's layout for a linear layer's weight.
    bias : array_like, shape (out_features,)
        Added to every row.

    Returns
    -------
    ndarray, shape (N, out_features)
        Values in [0, 1]; float32 only when all three inputs are float32.

    Examples
    --------
    >>> # z = 1 * 1 + 2 * (-1) + 1 = 0 and sigmoid(0) = 1/2
    >>> sigmoid_linear([[1.0, 2.0]], [[1.0, -1.0]], [1.0])
    array([[0.5]])
    """
    x, weight, bias = _check_sigmoid_linear(x, weight, bias)
    # node 1: the linear map z = x W^T + b
    z = x @ weight.T + bias
    # node 2: the sigmoid, element-wise
    return sigmoid(z)
# --8<-- [end:sigmoid_linear]


# --8<-- [start:sigmoid_linear_backward]
@propagates_nonfinite
def sigmoid_linear_backward(
    grad_out: ArrayLike, x: ArrayLike, weight: ArrayLike, bias: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`sigmoid_linear` by the chain rule: the sigmoid's local derivative, then the linear map's.

    Parameters
    ----------
    grad_out : array_like, shape (N, out_features)
        Upstream gradient dL/dy.
    x, weight, bias : array_like
        The forward arguments, shapes as in :func:`sigmoid_linear`.

    Returns
    -------
    grad_x : ndarray, shape (N, in_features)
    grad_weight : ndarray, shape (out_features, in_features)
    grad_bias : ndarray, shape (out_features,)

    Examples
    --------
    >>> # z = 0, so dL/dz = 1 * sigmoid'(0) = 1/4; then dL/dx = 1/4 W, dL/dW = 1/4 x, dL/db = 1/4
    >>> gx, gw, gb = sigmoid_linear_backward([[1.0]], [[1.0, 2.0]], [[1.0, -1.0]], [1.0])
    >>> gx, gw, gb
    (array([[ 0.25, -0.25]]), array([[0.25, 0.5 ]]), array([0.25]))
    """
    x, weight, bias = _check_sigmoid_linear(x, weight, bias)
    grad_out = as_grad_out(grad_out, (x.shape[0], weight.shape[0]), x.dtype)
    # recompute the forward node that the backward needs
    z = x @ weight.T + bias
    # back through node 2: dL/dz = dL/dy * sigmoid'(z)
    grad_z = sigmoid_backward(grad_out, z)
    # back through node 1: z = x W^T + b has local derivatives W (for x), x (for W), 1 (for b)
    return grad_z @ weight, grad_z.T @ x, grad_z.sum(axis=0)
# --8<-- [end:sigmoid_linear_backward]


# --8<-- [start:compose_jacobians]
@propagates_nonfinite
def compose_jacobians(jacobians: Sequence[ArrayLike]) -> np.ndarray:
    """Jacobian of a composition ``f_k(... f_2(f_1(x)))`` from the Jacobians of its steps.

    The multivariate chain rule: ``J = J_k @ ... @ J_2 @ J_1``, where ``J_i`` is the Jacobian of
    ``f_i`` at the point the forward pass reached, of shape ``(m_i, m_{i-1})``.

    Parameters
    ----------
    jacobians : sequence of array_like, each shape (m_i, m_{i-1})
        ``[J_1, J_2, ..., J_k]`` in the order the functions are applied (the first one first).
        The number of columns of each must equal the number of rows of the one before.

    Returns
    -------
    ndarray, shape (m_k, m_0)
        The product. The matrices are multiplied in the cheapest order (``np.linalg.multi_dot``);
        by associativity every order gives the same matrix, up to rounding.

    Examples
    --------
    >>> # f_1(x) = x_1 + 2 x_2 (J_1 = [[1, 2]]), then f_2(u) = (3u, 4u) (J_2 = [[3], [4]])
    >>> compose_jacobians([[[1.0, 2.0]], [[3.0], [4.0]]])
    array([[3., 6.],
           [4., 8.]])
    """
    if isinstance(jacobians, np.ndarray) or not isinstance(jacobians, Sequence) or len(jacobians) == 0:
        raise ValueError("jacobians must be a non-empty list of 2-D arrays [J_1, J_2, ...]")
    mats = [as_float_array(j, f"jacobians[{i}]") for i, j in enumerate(jacobians)]
    for i, j in enumerate(mats):
        if j.ndim != 2:
            raise ValueError(f"jacobians[{i}] must be a 2-D array (m_{i + 1}, m_{i}), got shape {j.shape}")
        # the output of step i is the input of step i + 1: m_i must match
        if i and j.shape[1] != mats[i - 1].shape[0]:
            raise ValueError(
                f"jacobians[{i}] has shape {j.shape}, but jacobians[{i - 1}] of shape "
                f"{mats[i - 1].shape} outputs {mats[i - 1].shape[0]} values: it needs "
                f"{mats[i - 1].shape[0]} columns"
            )
    dtype = np.result_type(*mats)
    mats = [j.astype(dtype, copy=False) for j in mats]
    if len(mats) == 1:
        return mats[0].copy()
    # the chain rule: the latest step on the left
    return np.linalg.multi_dot(mats[::-1])
# --8<-- [end:compose_jacobians]
