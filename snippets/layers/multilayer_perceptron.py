"""Multilayer perceptron: fully connected layers with a non-linearity between each two. The forward
pass of ``torch.nn.Sequential(Linear, act, Linear, act, ..., Linear)`` for any depth."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, check_shape, propagates_nonfinite
from snippets.activations.relu import relu
from snippets.activations.sigmoid import sigmoid
from snippets.activations.tanh import tanh
from snippets.layers.fully_connected_layer import linear

__all__ = ["mlp"]

ACTIVATIONS = {"relu": relu, "tanh": tanh, "sigmoid": sigmoid}


def _check_mlp(
    x: ArrayLike, weights: Sequence[ArrayLike], biases: Sequence[ArrayLike], activation: object
) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """Validate the layers' chain of shapes and the activation's name; return float arrays."""
    if not isinstance(activation, str):
        raise TypeError(f"activation must be a string, one of {sorted(ACTIVATIONS)}, got {type(activation).__name__}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    for name, seq in (("weights", weights), ("biases", biases)):
        if isinstance(seq, np.ndarray) or not isinstance(seq, Sequence):
            raise TypeError(f"{name} must be a list with one array per layer, got {type(seq).__name__}")
    if len(weights) == 0 or len(weights) != len(biases):
        raise ValueError(
            f"weights and biases must hold one array per layer (at least one): "
            f"got {len(weights)} weights and {len(biases)} biases"
        )
    x = as_float_array(x, "x")
    ws = [as_float_array(w, f"weights[{i}]") for i, w in enumerate(weights)]
    bs = [as_float_array(b, f"biases[{i}]") for i, b in enumerate(biases)]
    width = x.shape[-1] if x.ndim else None
    for i, (w, b) in enumerate(zip(ws, bs)):
        if w.ndim != 2:
            raise ValueError(f"weights[{i}] must be a 2-D array (out_features, in_features), got shape {w.shape}")
        # layer i reads what layer i - 1 wrote: its in_features is the previous out_features
        if w.shape[1] != width:
            source = f"x of shape {x.shape}" if i == 0 else f"weights[{i - 1}] of shape {ws[i - 1].shape}"
            raise ValueError(
                f"weights[{i}] must have in_features = {width} to follow {source}, got shape {w.shape}"
            )
        check_shape(b, (w.shape[0],), f"biases[{i}]", "(out_features,)", f"weights[{i}] of shape {w.shape}")
        width = w.shape[0]
    return x, ws, bs


# --8<-- [start:mlp]
@propagates_nonfinite
def mlp(
    x: ArrayLike,
    weights: Sequence[ArrayLike],
    biases: Sequence[ArrayLike],
    activation: str = "relu",
) -> np.ndarray:
    """Forward pass of a multilayer perceptron with ``len(weights)`` fully connected layers.

    Every layer but the last is followed by the activation; the last layer's output is returned
    as it is (logits or a regression output), as in
    ``nn.Sequential(nn.Linear, nn.ReLU(), ..., nn.Linear)``.

    Parameters
    ----------
    x : array_like, shape (*, D)
        Inputs with D features and any leading (batch) axes.
    weights : list of array_like
        ``weights[l]`` has shape (out_features, in_features) of layer l (PyTorch's layout); the
        first has in_features = D and each next one reads the previous one's out_features.
    biases : list of array_like
        ``biases[l]`` has shape (out_features,) of layer l.
    activation : {"relu", "tanh", "sigmoid"}
        The non-linearity between layers.

    Returns
    -------
    ndarray, shape (*, out_features of the last layer)
        In the common float dtype of all inputs.

    Examples
    --------
    Two hidden units relu(x) and relu(-x) summed by the output layer give |x|:

    >>> mlp([[-3.0], [2.0]], [[[1.0], [-1.0]], [[1.0, 1.0]]], [[0.0, 0.0], [0.0]])
    array([[3.],
           [2.]])
    """
    h, weights, biases = _check_mlp(x, weights, biases, activation)
    phi = ACTIVATIONS[activation]
    for w, b in zip(weights[:-1], biases[:-1]):
        # hidden layer: affine map, then the non-linearity
        h = phi(linear(h, w, b))
    # output layer: affine map only
    return linear(h, weights[-1], biases[-1])
# --8<-- [end:mlp]
