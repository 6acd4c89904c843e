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

from snippets.activations.leaky_relu import leaky_relu, leaky_relu_backward  # noqa: E402

__all__ += ["leaky_relu", "leaky_relu_backward"]

from snippets.activations.gelu import gelu, gelu_backward  # noqa: E402

__all__ += ["gelu", "gelu_backward"]

from snippets.activations.silu import silu, silu_backward  # noqa: E402

__all__ += ["silu", "silu_backward"]

from snippets.activations.activation_function import activation_slope, saturation_fraction  # noqa: E402

__all__ += ["activation_slope", "saturation_fraction"]

from snippets.activations.softplus import softplus, softplus_backward  # noqa: E402

__all__ += ["softplus", "softplus_backward"]

from snippets.activations.elu import celu, celu_backward, elu, elu_backward  # noqa: E402

__all__ += ["elu", "elu_backward", "celu", "celu_backward"]

from snippets.activations.selu import alpha_dropout, selu, selu_backward  # noqa: E402

__all__ += ["selu", "selu_backward", "alpha_dropout"]

from snippets.activations.mish import mish, mish_backward  # noqa: E402

__all__ += ["mish", "mish_backward"]

from snippets.activations.glu import glu, glu_backward, swiglu_ffn, swiglu_ffn_backward  # noqa: E402

__all__ += ["glu", "glu_backward", "swiglu_ffn", "swiglu_ffn_backward"]

from snippets.activations.hardtanh import hardtanh, hardtanh_backward, relu6, relu6_backward  # noqa: E402

__all__ += ["hardtanh", "hardtanh_backward", "relu6", "relu6_backward"]

from snippets.activations.hardswish import (  # noqa: E402
    hardsigmoid,
    hardsigmoid_backward,
    hardswish,
    hardswish_backward,
)

__all__ += ["hardsigmoid", "hardsigmoid_backward", "hardswish", "hardswish_backward"]

from snippets.activations.prelu import prelu, prelu_backward  # noqa: E402

__all__ += ["prelu", "prelu_backward"]
