"""Vanishing and exploding gradients: how the gradient's size changes layer by layer in a deep stack."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out
from snippets.activations.relu import relu, relu_backward
from snippets.activations.sigmoid import sigmoid, sigmoid_backward
from snippets.activations.tanh import tanh, tanh_backward

__all__ = ["layer_gradient_norms"]

_ACTIVATIONS = {
    "linear": (lambda z: z, lambda g, z: g),
    "relu": (relu, relu_backward),
    "sigmoid": (sigmoid, sigmoid_backward),
    "tanh": (tanh, tanh_backward),
}


def _frobenius(a: np.ndarray) -> np.ndarray:
    """||a||_F without overflow: the largest magnitude is factored out before squaring."""
    m = np.max(np.abs(a), initial=0.0)
    if m == 0 or not np.isfinite(m):
        return np.asarray(m, dtype=a.dtype)
    return m * np.sqrt(np.sum(np.square(a / m)))


# --8<-- [start:layer_gradient_norms]
def layer_gradient_norms(
    x: ArrayLike, weights: Sequence[ArrayLike], grad_out: ArrayLike, activation: str = "tanh"
) -> np.ndarray:
    """Size of the gradient at every layer of a deep stack ``h_l = act(h_{l-1} @ W_l.T)``.

    The forward pass runs from ``h_0 = x`` to ``h_L``; the backward pass starts from
    ``grad_out = dL/dh_L`` and returns the Frobenius norm of ``dL/dh_l`` at every layer.

    Parameters
    ----------
    x : array_like, shape (N, D_0)
        A batch of inputs.
    weights : sequence of L array_like, ``weights[l - 1]`` of shape (D_l, D_{l-1})
        The layers' weights, first layer first, in PyTorch's ``(out_features, in_features)``
        layout; no biases.
    grad_out : array_like, shape (N, D_L)
        The upstream gradient at the top of the stack.
    activation : {"tanh", "sigmoid", "relu", "linear"}, default "tanh"
        Applied after every layer.

    Returns
    -------
    ndarray, shape (L + 1,)
        ``||dL/dh_l||`` for l = 0 (the input) ... L (``||grad_out||``). A gradient that
        overflows while exploding is reported as ``inf``.

    Examples
    --------
    >>> # two linear layers 2 W: the gradient doubles at each step back, 1 -> 2 -> 4
    >>> layer_gradient_norms([[1.0]], [[[2.0]], [[2.0]]], [[1.0]], activation="linear")
    array([4., 2., 1.])
    """
    if not isinstance(activation, str):
        raise TypeError(f"activation must be a string, got {type(activation).__name__}")
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
    act, act_backward = _ACTIVATIONS[activation]
    x = as_float_array(x, "x")
    if x.ndim != 2:
        raise ValueError(f"x must be a 2-D array (N, D_0), got shape {x.shape}")
    if isinstance(weights, np.ndarray) or not isinstance(weights, Sequence) or len(weights) == 0:
        raise ValueError("weights must be a non-empty list of 2-D arrays [W_1, ..., W_L]")
    ws = [as_float_array(w, f"weights[{i}]") for i, w in enumerate(weights)]
    width = x.shape[1]
    for i, w in enumerate(ws):
        if w.ndim != 2 or w.shape[1] != width:
            source = "x" if i == 0 else f"weights[{i - 1}]"
            raise ValueError(
                f"weights[{i}] must have shape (D_{i + 1}, {width}) to follow {source} "
                f"(which has {width} features), got {w.shape}"
            )
        width = w.shape[0]
    dtype = np.result_type(x, *ws)
    x, ws = x.astype(dtype, copy=False), [w.astype(dtype, copy=False) for w in ws]
    grad = as_grad_out(grad_out, (x.shape[0], width), dtype)

    # forward: keep every pre-activation z_l = h_{l-1} W_l^T for the backward pass
    pre, h = [], x
    with np.errstate(over="ignore", invalid="ignore"):  # an exploding stack may overflow: inf, honestly
        for w in ws:
            pre.append(h @ w.T)
            h = act(pre[-1])
        norms = [_frobenius(grad)]
        # backward: through the activation (its derivative at z_l), then through W_l
        for w, z in zip(ws[::-1], pre[::-1]):
            grad = act_backward(grad, z) @ w
            norms.append(_frobenius(grad))
    return np.array(norms[::-1], dtype=dtype)
# --8<-- [end:layer_gradient_norms]
