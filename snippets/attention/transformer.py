"""The Transformer encoder layer: multi-head self-attention and a position-wise feed-forward
network, each wrapped in a residual connection and a layer normalization. Forward pass of
``torch.nn.TransformerEncoderLayer(batch_first=True)`` in evaluation mode."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_bool, as_float_array, check_shape, propagates_nonfinite
from snippets.activations.gelu import gelu
from snippets.activations.relu import relu
from snippets.attention.multi_head_attention import multi_head_attention
from snippets.layers.fully_connected_layer import linear
from snippets.normalization.layer_normalization import layer_norm

__all__ = ["transformer_encoder_layer"]

# the parameter names of torch.nn.TransformerEncoderLayer(batch_first=True).state_dict()
PARAMETER_NAMES = (
    "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
    "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
    "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
)
ACTIVATIONS = {"relu": relu, "gelu": gelu}  # gelu: the exact erf form, PyTorch's "gelu"


def _check_layer(x: ArrayLike, params: Any, activation: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """x (N, L, E) and the twelve parameters, all in one float dtype, their shapes checked."""
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping from parameter names to arrays, got {type(params).__name__}")
    missing = [name for name in PARAMETER_NAMES if name not in params]
    unknown = sorted(set(params) - set(PARAMETER_NAMES))
    if missing or unknown:
        raise ValueError(f"params must have exactly the keys of TransformerEncoderLayer.state_dict(): "
                         f"missing {missing}, unknown {unknown}")
    if not isinstance(activation, str):
        raise TypeError(f"activation must be a string, got {type(activation).__name__}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be 'relu' or 'gelu', got {activation!r}")
    arrays = {"x": as_float_array(x, "x")}
    arrays.update({name: as_float_array(np.asarray(params[name]), f"params[{name!r}]") for name in PARAMETER_NAMES})
    dtype = np.result_type(*arrays.values())
    arrays = {name: a.astype(dtype, copy=False) for name, a in arrays.items()}
    x = arrays.pop("x")
    if x.ndim != 3:
        raise ValueError(f"x must be a 3-D array (N, L, E), got shape {x.shape}")
    e = x.shape[2]
    hidden = arrays["linear1.weight"].shape[0] if arrays["linear1.weight"].ndim == 2 else -1
    sizes = f"E = {e} and dim_feedforward F = {hidden}"
    for name, symbols, shape in (
        ("linear1.weight", "(F, E)", (hidden, e)), ("linear1.bias", "(F,)", (hidden,)),
        ("linear2.weight", "(E, F)", (e, hidden)), ("linear2.bias", "(E,)", (e,)),
        ("norm1.weight", "(E,)", (e,)), ("norm1.bias", "(E,)", (e,)),
        ("norm2.weight", "(E,)", (e,)), ("norm2.bias", "(E,)", (e,)),
    ):
        check_shape(arrays[name], shape, f"params[{name!r}]", symbols, sizes)
    return x, arrays


# --8<-- [start:transformer_encoder_layer]
@propagates_nonfinite
def transformer_encoder_layer(
    x: ArrayLike,
    params: Mapping[str, ArrayLike],
    num_heads: int,
    norm_first: bool = False,
    activation: str = "relu",
    eps: float = 1e-5,
) -> np.ndarray:
    """One Transformer encoder layer, as ``torch.nn.TransformerEncoderLayer(batch_first=True)`` in eval mode.

    Parameters
    ----------
    x : array_like, shape (N, L, E)
        N sequences of L token vectors of size E (``d_model``).
    params : mapping of str to array_like
        The twelve arrays under the names of the PyTorch layer's ``state_dict()``, so that
        ``{k: v.numpy() for k, v in layer.state_dict().items()}`` loads as it is:
        ``self_attn.in_proj_weight`` (3E, E), ``self_attn.in_proj_bias`` (3E,),
        ``self_attn.out_proj.weight`` (E, E), ``self_attn.out_proj.bias`` (E,),
        ``linear1.weight`` (F, E), ``linear1.bias`` (F,), ``linear2.weight`` (E, F),
        ``linear2.bias`` (E,), and ``norm1.weight``, ``norm1.bias``, ``norm2.weight``,
        ``norm2.bias`` (E,), with F the feed-forward size (``dim_feedforward``).
    num_heads : int
        Attention heads H (``nhead``), a divisor of E.
    norm_first : bool, default False
        False: post-LN, ``x = norm(x + sublayer(x))`` (the original Transformer, PyTorch's
        default). True: pre-LN, ``x = x + sublayer(norm(x))`` (Xiong et al., 2020).
    activation : {"relu", "gelu"}, default "relu"
        The feed-forward non-linearity ("gelu" is the exact, erf-based GELU).
    eps : float, default 1e-5
        The layer norms' epsilon (``layer_norm_eps``).

    Returns
    -------
    ndarray, shape (N, L, E)
        The layer's output without dropout (evaluation mode), in the common float dtype of x and
        the parameters.

    Examples
    --------
    With every weight 0 and every bias 0 except norm2.bias = b, both sublayers output 0; the
    first norm maps x + 0 to its standardised form times norm1.weight = 0, plus 0; the second
    norm sees only zeros and returns its bias: every output row is b.

    >>> E = 2
    >>> zeros = {k: np.zeros(s) for k, s in [("self_attn.in_proj_weight", (3 * E, E)),
    ...     ("self_attn.in_proj_bias", 3 * E), ("self_attn.out_proj.weight", (E, E)),
    ...     ("self_attn.out_proj.bias", E), ("linear1.weight", (4, E)), ("linear1.bias", 4),
    ...     ("linear2.weight", (E, 4)), ("linear2.bias", E), ("norm1.weight", E), ("norm1.bias", E),
    ...     ("norm2.weight", E)]}
    >>> transformer_encoder_layer([[[1.0, 2.0], [3.0, 5.0]]], {**zeros, "norm2.bias": [0.5, -1.0]}, 1)
    array([[[ 0.5, -1. ],
            [ 0.5, -1. ]]])
    """
    x, p = _check_layer(x, params, activation)
    norm_first = as_bool(norm_first, "norm_first")
    act = ACTIVATIONS[activation]
    e = x.shape[2]

    def self_attention_block(h: np.ndarray) -> np.ndarray:
        # multi-head self-attention: queries, keys and values all come from h
        return multi_head_attention(h, h, h, num_heads, p["self_attn.in_proj_weight"], p["self_attn.in_proj_bias"],
                                    p["self_attn.out_proj.weight"], p["self_attn.out_proj.bias"])

    def feed_forward_block(h: np.ndarray) -> np.ndarray:
        # the same two-layer network at every position: E -> F -> E
        return linear(act(linear(h, p["linear1.weight"], p["linear1.bias"])), p["linear2.weight"], p["linear2.bias"])

    def norm(h: np.ndarray, which: str) -> np.ndarray:
        return layer_norm(h, e, p[f"{which}.weight"], p[f"{which}.bias"], eps)

    if norm_first:
        # pre-LN: normalise the sublayer's input; the residual path from x is left untouched
        x = x + self_attention_block(norm(x, "norm1"))
        return x + feed_forward_block(norm(x, "norm2"))
    # post-LN: add the sublayer's output to its input, then normalise the sum
    x = norm(x + self_attention_block(x), "norm1")
    return norm(x + feed_forward_block(x), "norm2")
# --8<-- [end:transformer_encoder_layer]
