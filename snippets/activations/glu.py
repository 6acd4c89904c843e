"""Gated linear units: GLU (one half of the input gates the other) and the SwiGLU feed-forward block."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, check_axis, check_shape, propagates_nonfinite
from snippets.activations.sigmoid import sigmoid, sigmoid_backward
from snippets.activations.silu import silu, silu_backward

__all__ = ["glu", "glu_backward", "swiglu_ffn", "swiglu_ffn_backward"]


def _halves(x: ArrayLike, axis: int) -> tuple[np.ndarray, int]:
    """``x`` as a float array and ``axis`` as an index, checking that the axis can be halved."""
    x = as_float_array(x, "x")
    if x.ndim == 0:
        raise ValueError("x must have at least one axis to halve, got a 0-d array (shape ())")
    axis = check_axis(axis, x.ndim, x.shape)
    if x.shape[axis] % 2:
        raise ValueError(f"x must have an even size along axis {axis} to be halved, got shape {x.shape}")
    return x, axis


# --8<-- [start:glu]
@propagates_nonfinite
def glu(x: ArrayLike, axis: int = -1) -> np.ndarray:
    """Gated linear unit: split ``x`` in halves ``a, b`` along ``axis`` and return ``a * sigmoid(b)``.

    The same values as ``torch.nn.functional.glu(x, dim=axis)``.

    Parameters
    ----------
    x : array_like, shape (..., 2n, ...)
        Input whose size along ``axis`` is even. float32 stays float32; other real input is
        computed in float64.
    axis : int, default -1
        The axis to halve (PyTorch's ``dim``).

    Returns
    -------
    ndarray, shape (..., n, ...)
        ``x``'s shape with that axis halved.

    Examples
    --------
    >>> glu([[1.0, 4.0, 0.0, np.log(3.0)]])  # a = (1, 4), b = (0, ln 3): (1 * 1/2, 4 * 3/4)
    array([[0.5, 3. ]])
    """
    x, axis = _halves(x, axis)
    a, b = np.split(x, 2, axis=axis)
    # the first half, gated by the sigmoid of the second (overflow-free sigmoid)
    return np.multiply(a, sigmoid(b))
# --8<-- [end:glu]


# --8<-- [start:glu_backward]
@propagates_nonfinite
def glu_backward(grad_out: ArrayLike, x: ArrayLike, axis: int = -1) -> np.ndarray:
    """Gradient of :func:`glu` with respect to ``x``.

    Parameters
    ----------
    grad_out : array_like, shape (..., n, ...)
        Upstream gradient dL/dy, the shape of ``glu(x, axis)``.
    x : array_like, shape (..., 2n, ...)
        The forward input.
    axis : int, default -1
        The axis the forward pass halved.

    Returns
    -------
    ndarray, shape (..., 2n, ...)
        dL/dx: ``grad_out * sigmoid(b)`` for the first half and
        ``grad_out * a * sigmoid(b) * sigmoid(-b)`` for the second.

    Examples
    --------
    >>> glu_backward([[1.0, 1.0]], [[1.0, 4.0, 0.0, np.log(3.0)]])  # s(b) = 1/2, 3/4; a s(b) s(-b) = 1/4, 3/4
    array([[0.5 , 0.75, 0.25, 0.75]])
    """
    x, axis = _halves(x, axis)
    a, b = np.split(x, 2, axis=axis)
    grad_out = as_grad_out(grad_out, a.shape, x.dtype)
    # d/da = sigmoid(b); d/db = a sigmoid'(b), with sigmoid' = sigmoid(b) sigmoid(-b) (no 1 - s)
    return np.concatenate([grad_out * sigmoid(b), sigmoid_backward(grad_out * a, b)], axis=axis)
# --8<-- [end:glu_backward]


def _ffn_arrays(x, w_gate, w_up, w_down) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The four arguments as arrays of one float dtype, their shapes checked against each other."""
    x, w_gate, w_up, w_down = (as_float_array(v, n) for v, n in
                               [(x, "x"), (w_gate, "w_gate"), (w_up, "w_up"), (w_down, "w_down")])
    dtype = np.result_type(x, w_gate, w_up, w_down)
    if x.ndim == 0:
        raise ValueError("x must have shape (*, d_model), got a 0-d array (shape ())")
    if w_gate.ndim != 2:
        raise ValueError(f"w_gate must have shape (d_ff, d_model), got shape {w_gate.shape}")
    d_ff, d_model = w_gate.shape
    where = f"d_model = {d_model} and d_ff = {d_ff} (from w_gate)"
    check_shape(x, x.shape[:-1] + (d_model,), "x", "(*, d_model)", where)
    check_shape(w_up, (d_ff, d_model), "w_up", "(d_ff, d_model)", where)
    check_shape(w_down, (d_model, d_ff), "w_down", "(d_model, d_ff)", where)
    return tuple(v.astype(dtype, copy=False) for v in (x, w_gate, w_up, w_down))


# --8<-- [start:swiglu_ffn]
@propagates_nonfinite
def swiglu_ffn(x: ArrayLike, w_gate: ArrayLike, w_up: ArrayLike, w_down: ArrayLike) -> np.ndarray:
    """SwiGLU feed-forward block: ``(silu(x @ w_gate.T) * (x @ w_up.T)) @ w_down.T``.

    The position-wise feed-forward network of LLaMA-style Transformers (Shazeer, 2020), without
    biases; the same values as that expression in PyTorch.

    Parameters
    ----------
    x : array_like, shape (*, d_model)
        Input vectors (a batch, or a batch of sequences).
    w_gate, w_up : array_like, shape (d_ff, d_model)
        The gate and up projections, PyTorch's ``(out_features, in_features)`` layout.
    w_down : array_like, shape (d_model, d_ff)
        The down projection.

    Returns
    -------
    ndarray, shape (*, d_model)
        In the common float dtype of the arguments.

    Examples
    --------
    >>> x = np.array([[np.log(3.0), 1.0]])  # d_model = 2, d_ff = 1
    >>> swiglu_ffn(x, [[1.0, 0.0]], [[0.0, 2.0]], [[1.0], [-1.0]])  # silu(ln 3) = (3/4) ln 3, times 2
    array([[ 1.64791843, -1.64791843]])
    """
    x, w_gate, w_up, w_down = _ffn_arrays(x, w_gate, w_up, w_down)
    # two projections to the hidden width, one gated by the other, and back
    hidden = silu(x @ w_gate.T) * (x @ w_up.T)
    return hidden @ w_down.T
# --8<-- [end:swiglu_ffn]


# --8<-- [start:swiglu_ffn_backward]
@propagates_nonfinite
def swiglu_ffn_backward(
    grad_out: ArrayLike, x: ArrayLike, w_gate: ArrayLike, w_up: ArrayLike, w_down: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`swiglu_ffn` with respect to ``x``, ``w_gate``, ``w_up`` and ``w_down``.

    Parameters
    ----------
    grad_out : array_like, shape (*, d_model)
        Upstream gradient dL/dy.
    x, w_gate, w_up, w_down : array_like
        The forward arguments.

    Returns
    -------
    tuple of ndarray
        ``(dx, dw_gate, dw_up, dw_down)``, each of its argument's shape.

    Examples
    --------
    >>> x = np.array([[0.0, 1.0]])  # gate pre-activation 0: silu(0) = 0, silu'(0) = 1/2
    >>> dx, dwg, dwu, dwd = swiglu_ffn_backward([[1.0, 0.0]], x, [[1.0, 0.0]], [[0.0, 2.0]], [[1.0], [-1.0]])
    >>> dwg  # dL/dhidden = 1, times up = 2, times silu'(0) = 1/2: 1, times x
    array([[0., 1.]])
    """
    x, w_gate, w_up, w_down = _ffn_arrays(x, w_gate, w_up, w_down)
    grad_out = as_grad_out(grad_out, x.shape, x.dtype)
    # flatten the leading axes: every row is one position, and the weight gradients sum over all
    x2, g2 = x.reshape(-1, x.shape[-1]), grad_out.reshape(-1, x.shape[-1])
    gate, up = x2 @ w_gate.T, x2 @ w_up.T
    act = silu(gate)
    # back through the down projection, then the product act * up, then silu
    d_hidden = g2 @ w_down
    d_up = d_hidden * act
    d_gate = silu_backward(d_hidden * up, gate)
    dx = d_gate @ w_gate + d_up @ w_up
    return dx.reshape(x.shape), d_gate.T @ x2, d_up.T @ x2, g2.T @ (act * up)
# --8<-- [end:swiglu_ffn_backward]
