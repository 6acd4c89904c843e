"""Activation functions: element-wise or per-row non-linearities."""

from snippets.activations.relu import relu, relu_backward
from snippets.activations.sigmoid import sigmoid, sigmoid_backward
from snippets.activations.softmax import (
    log_softmax,
    log_softmax_backward,
    softmax,
    softmax_backward,
)
from snippets.activations.tanh import tanh, tanh_backward

__all__ = [
    "sigmoid",
    "sigmoid_backward",
    "softmax",
    "softmax_backward",
    "log_softmax",
    "log_softmax_backward",
    "relu",
    "relu_backward",
    "tanh",
    "tanh_backward",
]
