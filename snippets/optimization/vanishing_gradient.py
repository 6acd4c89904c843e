"""Vanishing and exploding gradients: how the gradient's size changes layer by layer in a deep stack."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, propagates_nonfinite
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


# relu and the identity are positively homogeneous, act(c z) = c act(z) for c > 0, and their
# backward needs only the sign of z: a stack of them can run on rescaled activations
_HOMOGENEOUS = ("linear", "relu")


def _frobenius(a: np.ndarray) -> np.ndarray:
    """||a||_F without overflow: the largest magnitude is factored out before squaring."""
    m = np.max(np.abs(a), initial=0.0)
    if m == 0 or not np.isfinite(m):
        return np.asarray(m, dtype=a.dtype)
    return m * np.sqrt(np.sum(np.square(a / m)))


def _split(a: np.ndarray) -> tuple[np.ndarray, int]:
    """``(u, e)`` with ``a = u * 2**e`` and ``max |u|`` in [0.5, 1): exact, only exponents change.

    An all-zero or non-finite ``a`` is returned as it is, with e = 0.
    """
    m = np.max(np.abs(a), initial=0.0)
    if m == 0 or not np.isfinite(m):
        return a, 0
    e = int(np.frexp(m)[1])
    return np.ldexp(a, -e), e


# --8<-- [start:layer_gradient_norms]
@propagates_nonfinite
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
        ``||dL/dh_l||`` for l = 0 (the input) ... L (``||grad_out||``). A norm beyond the
        dtype's range is reported as ``inf`` (and one below it as 0): the gradients are carried
        as ``u * 2**e`` with ``max |u|`` near 1, so only the reported norm itself can overflow,
        never a product on the way (where inf * 0 or inf - inf would make it NaN).

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

    # forward, with h_l = v * 2**f: keep what the backward pass needs of z_l = h_{l-1} W_l^T
    pre, (v, f) = [], _split(x)
    for w in ws:
        s = v @ w.T  # z_l / 2**f
        if activation in _HOMOGENEOUS:
            # act(2**f s) = 2**f act(s), and the derivative depends only on the sign of s
            pre.append(s)
            v, df = _split(act(s))
            f += df
        else:
            # tanh and sigmoid need z itself; beyond the range it is +-inf, where they saturate
            with np.errstate(over="ignore"):
                pre.append(np.ldexp(s, f))
            v, f = act(pre[-1]), 0  # |h| <= 1: no scale to carry
    # backward, with dL/dh_l = u * 2**e: through the activation's derivative (linear in u), then W_l
    (u, e), norms = _split(grad), []
    with np.errstate(over="ignore"):  # a norm beyond the range is inf, as documented
        norms.append(np.ldexp(_frobenius(u), e))
        for w, z in zip(ws[::-1], pre[::-1]):
            u, de = _split(act_backward(u, z) @ w)
            e += de
            norms.append(np.ldexp(_frobenius(u), e))
    return np.array(norms[::-1], dtype=dtype)
# --8<-- [end:layer_gradient_norms]
