"""Activation functions: element-wise or per-row non-linearities."""

from snippets.activations.sigmoid import sigmoid, sigmoid_backward
from snippets.activations.softmax import (
    log_softmax,
    log_softmax_backward,
    softmax,
    softmax_backward,
)

__all__ = [
    "sigmoid",
    "sigmoid_backward",
    "softmax",
    "softmax_backward",
    "log_softmax",
    "log_softmax_backward",
]
