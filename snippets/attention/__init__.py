"""Attention: letting each position of a sequence look at the others."""

from snippets.attention.attention import (
    scaled_dot_product_attention,
    scaled_dot_product_attention_backward,
)

__all__: list[str] = ["scaled_dot_product_attention", "scaled_dot_product_attention_backward"]

from snippets.attention.self_attention import (  # noqa: E402
    causal_mask,
    self_attention,
    self_attention_backward,
)

__all__ += ["causal_mask", "self_attention", "self_attention_backward"]

from snippets.attention.multi_head_attention import multi_head_attention  # noqa: E402

__all__ += ["multi_head_attention"]

from snippets.attention.positional_encoding import sinusoidal_positional_encoding  # noqa: E402

__all__ += ["sinusoidal_positional_encoding"]

from snippets.attention.transformer import transformer_encoder_layer  # noqa: E402

__all__ += ["transformer_encoder_layer"]

from snippets.attention.grouped_query_attention import (  # noqa: E402
    grouped_query_attention,
    grouped_query_attention_backward,
)

__all__ += ["grouped_query_attention", "grouped_query_attention_backward"]

from snippets.attention.flash_attention import (  # noqa: E402
    flash_attention,
    flash_attention_backward,
    online_softmax,
    online_softmax_backward,
)

__all__ += ["online_softmax", "online_softmax_backward", "flash_attention", "flash_attention_backward"]

from snippets.attention.cross_attention import cross_attention, cross_attention_backward  # noqa: E402

__all__ += ["cross_attention", "cross_attention_backward"]

from snippets.attention.kv_cache import decode_step, decode_step_backward  # noqa: E402

__all__ += ["decode_step", "decode_step_backward"]

from snippets.attention.rotary_position_embedding import (  # noqa: E402
    apply_rope,
    apply_rope_backward,
    rope_frequencies,
)

__all__ += ["rope_frequencies", "apply_rope", "apply_rope_backward"]

from snippets.attention.relative_position_encoding import (  # noqa: E402
    alibi_bias,
    alibi_slopes,
    t5_relative_position_bucket,
)

__all__ += ["alibi_slopes", "alibi_bias", "t5_relative_position_bucket"]

from snippets.attention.additive_attention import additive_attention, additive_attention_backward  # noqa: E402

__all__ += ["additive_attention", "additive_attention_backward"]
