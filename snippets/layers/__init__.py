"""Layers: the building blocks networks are stacked from."""

__all__: list[str] = []

from snippets.layers.fully_connected_layer import linear, linear_backward  # noqa: E402

__all__ += ["linear", "linear_backward"]

from snippets.layers.multilayer_perceptron import mlp  # noqa: E402

__all__ += ["mlp"]

from snippets.layers.embedding import embedding, embedding_backward  # noqa: E402

__all__ += ["embedding", "embedding_backward"]

from snippets.layers.convolution import conv2d, conv2d_backward  # noqa: E402

__all__ += ["conv2d", "conv2d_backward"]

from snippets.layers.residual_connection import residual_block, residual_block_backward  # noqa: E402

__all__ += ["residual_block", "residual_block_backward"]

from snippets.layers.padding_and_stride import conv_output_size  # noqa: E402

__all__ += ["conv_output_size"]

from snippets.layers.pooling import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward  # noqa: E402

__all__ += ["max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward"]

from snippets.layers.depthwise_separable_convolution import (  # noqa: E402
    depthwise_conv2d,
    depthwise_conv2d_backward,
    depthwise_separable_conv2d,
    depthwise_separable_conv2d_backward,
)

__all__ += [
    "depthwise_conv2d",
    "depthwise_conv2d_backward",
    "depthwise_separable_conv2d",
    "depthwise_separable_conv2d_backward",
]

from snippets.layers.transposed_convolution import conv_transpose2d, conv_transpose2d_backward  # noqa: E402

__all__ += ["conv_transpose2d", "conv_transpose2d_backward"]

from snippets.layers.upsampling import (  # noqa: E402
    upsample_bilinear2d,
    upsample_bilinear2d_backward,
    upsample_nearest2d,
    upsample_nearest2d_backward,
)

__all__ += [
    "upsample_nearest2d",
    "upsample_nearest2d_backward",
    "upsample_bilinear2d",
    "upsample_bilinear2d_backward",
]

from snippets.layers.global_average_pooling import (  # noqa: E402
    adaptive_avg_pool2d,
    adaptive_avg_pool2d_backward,
    global_avg_pool2d,
    global_avg_pool2d_backward,
)

__all__ += ["adaptive_avg_pool2d", "adaptive_avg_pool2d_backward", "global_avg_pool2d", "global_avg_pool2d_backward"]

from snippets.layers.flatten import flatten, flatten_backward, unflatten, unflatten_backward  # noqa: E402

__all__ += ["flatten", "flatten_backward", "unflatten", "unflatten_backward"]

# the module's name starts with a digit (the term's slug is 1x1-convolution), which an import
# statement cannot spell: import it by name
_conv1x1_module = __import__("importlib").import_module("snippets.layers.1x1_convolution")
conv1x1, conv1x1_backward = _conv1x1_module.conv1x1, _conv1x1_module.conv1x1_backward

__all__ += ["conv1x1", "conv1x1_backward"]

from snippets.layers.einsum import bmm, bmm_backward, einsum, einsum_backward  # noqa: E402

__all__ += ["einsum", "einsum_backward", "bmm", "bmm_backward"]

from snippets.layers.broadcasting import broadcast_shapes, unbroadcast, unbroadcast_backward  # noqa: E402

__all__ += ["broadcast_shapes", "unbroadcast", "unbroadcast_backward"]
