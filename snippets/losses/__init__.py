"""Loss functions: the scalar a training loop minimises."""

from snippets.losses.cross_entropy import (
    binary_cross_entropy,
    binary_cross_entropy_backward,
    binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_backward,
    cross_entropy,
    cross_entropy_backward,
)
from snippets.losses.loss_function import (
    huber_loss,
    huber_loss_backward,
    l1_loss,
    l1_loss_backward,
    mse_loss,
    mse_loss_backward,
)

__all__ = [
    "cross_entropy",
    "cross_entropy_backward",
    "binary_cross_entropy",
    "binary_cross_entropy_backward",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_backward",
    "mse_loss",
    "mse_loss_backward",
    "l1_loss",
    "l1_loss_backward",
    "huber_loss",
    "huber_loss_backward",
]

from snippets.losses.negative_log_likelihood import nll_loss, nll_loss_backward  # noqa: E402

__all__ += ["nll_loss", "nll_loss_backward"]

from snippets.losses.kl_divergence import kl_divergence, kl_divergence_backward  # noqa: E402

__all__ += ["kl_divergence", "kl_divergence_backward"]

from snippets.losses.label_smoothing import smooth_labels  # noqa: E402

__all__ += ["smooth_labels"]

from snippets.losses.hinge_loss import (  # noqa: E402
    hinge_loss,
    hinge_loss_backward,
    multi_margin_loss,
    multi_margin_loss_backward,
)

__all__ += ["hinge_loss", "hinge_loss_backward", "multi_margin_loss", "multi_margin_loss_backward"]

from snippets.losses.triplet_loss import triplet_margin_loss, triplet_margin_loss_backward  # noqa: E402

__all__ += ["triplet_margin_loss", "triplet_margin_loss_backward"]

from snippets.losses.cosine_embedding_loss import (  # noqa: E402
    cosine_embedding_loss,
    cosine_embedding_loss_backward,
)

__all__ += ["cosine_embedding_loss", "cosine_embedding_loss_backward"]

from snippets.losses.ctc_loss import ctc_loss, ctc_loss_backward  # noqa: E402

__all__ += ["ctc_loss", "ctc_loss_backward"]

from snippets.losses.focal_loss import sigmoid_focal_loss, sigmoid_focal_loss_backward  # noqa: E402

__all__ += ["sigmoid_focal_loss", "sigmoid_focal_loss_backward"]

from snippets.losses.contrastive_loss import contrastive_loss, contrastive_loss_backward  # noqa: E402

__all__ += ["contrastive_loss", "contrastive_loss_backward"]

from snippets.losses.infonce_loss import clip_loss, clip_loss_backward, info_nce, info_nce_backward  # noqa: E402

__all__ += ["info_nce", "info_nce_backward", "clip_loss", "clip_loss_backward"]
