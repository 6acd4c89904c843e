"""Backpropagation: the gradient of a network's loss, by the chain rule applied from the loss backwards."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_class_indices, as_float_array, check_shape, propagates_nonfinite
from snippets.losses.cross_entropy import cross_entropy, cross_entropy_backward

__all__ = ["mlp_forward", "mlp_loss_and_grads"]

PARAM_KEYS = ("W1", "b1", "W2", "b2")


def _check_mlp(params: object, x: ArrayLike) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Validate ``params`` and ``x``; return them as arrays of one common float dtype.

    The dtype is float32 only when ``x`` and every parameter are float32 (NumPy's promotion).
    """
    if not isinstance(params, Mapping):
        raise TypeError(
            f"params must be a dict with keys {list(PARAM_KEYS)}, got {type(params).__name__}"
        )
    missing = [k for k in PARAM_KEYS if k not in params]
    extra = sorted(str(k) for k in params if k not in PARAM_KEYS)
    if missing or extra:
        raise ValueError(
            f"params must have exactly the keys {list(PARAM_KEYS)}: missing {missing}, unexpected {extra}"
        )
    p = {k: as_float_array(params[k], f"params['{k}']") for k in PARAM_KEYS}
    x = as_float_array(x, "x")
    w1, w2 = p["W1"], p["W2"]
    for k in ("W1", "W2"):
        if p[k].ndim != 2:
            raise ValueError(
                f"params['{k}'] must be a 2-D array (out_features, in_features), got shape {p[k].shape}"
            )
    h, d = w1.shape
    c = w2.shape[0]
    check_shape(p["b1"], (h,), "params['b1']", "(H,)", f"params['W1'] of shape {w1.shape}")
    check_shape(w2, (c, h), "params['W2']", "(C, H)", f"params['W1'] of shape {w1.shape}")
    check_shape(p["b2"], (c,), "params['b2']", "(C,)", f"params['W2'] of shape {w2.shape}")
    if x.ndim != 2 or x.shape[1] != d:
        raise ValueError(
            f"x must have shape (N, D) = (N, {d}) for params['W1'] of shape {w1.shape}, got {x.shape}"
        )
    dtype = np.result_type(x, *p.values())
    return {k: v.astype(dtype, copy=False) for k, v in p.items()}, x.astype(dtype, copy=False)


# --8<-- [start:mlp_forward]
@propagates_nonfinite
def mlp_forward(params: Mapping[str, ArrayLike], x: ArrayLike) -> np.ndarray:
    """Logits of a two-layer network: ``relu(x @ W1.T + b1) @ W2.T + b2``.

    Parameters
    ----------
    params : dict
        Exactly the keys ``"W1"`` (H, D), ``"b1"`` (H,), ``"W2"`` (C, H), ``"b2"`` (C,):
        weights in PyTorch's ``(out_features, in_features)`` layout. Never modified.
    x : array_like, shape (N, D)
        A batch of N inputs with D features. Never modified.

    Returns
    -------
    ndarray, shape (N, C)
        The logits (class scores before the softmax); float32 only when x and every
        parameter are float32, float64 otherwise.

    Examples
    --------
    >>> # hidden = relu((2, -2)) = (2, 0); logit = 1 * 2 + 1 * 0 + 0.5 = 2.5
    >>> params = {"W1": [[1.0], [-1.0]], "b1": [0.0, 0.0], "W2": [[1.0, 1.0]], "b2": [0.5]}
    >>> mlp_forward(params, [[2.0]])
    array([[2.5]])
    """
    p, x = _check_mlp(params, x)
    # hidden layer: affine map, then relu
    hidden = np.maximum(x @ p["W1"].T + p["b1"], 0)
    # output layer: affine map to one score per class
    return hidden @ p["W2"].T + p["b2"]
# --8<-- [end:mlp_forward]


# --8<-- [start:mlp_loss_and_grads]
@propagates_nonfinite
def mlp_loss_and_grads(
    params: Mapping[str, ArrayLike], x: ArrayLike, y: ArrayLike
) -> tuple[np.floating, dict[str, np.ndarray]]:
    """Mean cross-entropy of :func:`mlp_forward` and its gradient, by backpropagation.

    One forward pass that keeps its intermediate values, then one backward pass that applies
    the chain rule layer by layer, from the loss back to ``W1``. No finite differences.

    Parameters
    ----------
    params : dict
        ``"W1"`` (H, D), ``"b1"`` (H,), ``"W2"`` (C, H), ``"b2"`` (C,), as in :func:`mlp_forward`.
    x : array_like, shape (N, D)
        Inputs, N >= 1 (the loss is a mean over the batch).
    y : array_like of int, shape (N,)
        Class labels in ``[0, C)``.

    Returns
    -------
    loss : numpy scalar
        ``cross_entropy(mlp_forward(params, x), y)``.
    grads : dict
        ``dloss/dW1`` (H, D), ``dloss/db1`` (H,), ``dloss/dW2`` (C, H), ``dloss/db2`` (C,), under
        the same keys as ``params``. At a hidden unit with pre-activation exactly 0 the relu's
        derivative is taken as 0, as in PyTorch.

    Examples
    --------
    >>> # logits (2.5, 0) -> p = (0.924, 0.076); true class 1: dloss/dlogits = (0.924, -0.924),
    >>> # so db2 = (0.924, -0.924) and dW2 = dlogits^T hidden with hidden = (2, 0)
    >>> params = {"W1": [[1.0], [-1.0]], "b1": [0.0, 0.0], "W2": [[1.0, 1.0], [0.0, 0.0]], "b2": [0.5, 0.0]}
    >>> loss, grads = mlp_loss_and_grads(params, [[2.0]], [1])
    >>> round(float(loss), 4), grads["b2"].round(4), grads["W2"].round(4)  # loss = log(1 + e^2.5)
    (2.5789, array([ 0.9241, -0.9241]), array([[ 1.8483,  0.    ],
           [-1.8483,  0.    ]]))
    """
    p, x = _check_mlp(params, x)
    if x.shape[0] == 0:
        raise ValueError(f"x must hold at least one sample: the loss is a mean over the batch, got shape {x.shape}")
    y = np.asarray(y)
    if y.shape != (x.shape[0],):
        raise ValueError(
            f"y must hold class labels of shape (N,) = ({x.shape[0]},) for x {x.shape}, got {y.shape}"
        )
    y = as_class_indices(y, p["W2"].shape[0], "y")
    # forward pass, keeping what the backward pass needs
    z1 = x @ p["W1"].T + p["b1"]                   # (N, H) pre-activations
    hidden = np.maximum(z1, 0)                     # (N, H) relu
    logits = hidden @ p["W2"].T + p["b2"]          # (N, C)
    loss = cross_entropy(logits, y)
    # backward pass: one line per forward line, in reverse order
    d_logits = cross_entropy_backward(1.0, logits, y)  # (N, C): (softmax - onehot) / N
    d_W2 = d_logits.T @ hidden                     # logits = hidden W2^T + b2
    d_b2 = d_logits.sum(axis=0)
    d_hidden = d_logits @ p["W2"]                  # (N, H)
    d_z1 = d_hidden * (z1 > 0)                     # relu passes the gradient where z1 > 0
    d_W1 = d_z1.T @ x                              # z1 = x W1^T + b1
    d_b1 = d_z1.sum(axis=0)
    return loss, {"W1": d_W1, "b1": d_b1, "W2": d_W2, "b2": d_b2}
# --8<-- [end:mlp_loss_and_grads]
