"""Regularization: what keeps a model from memorising its training set."""

from snippets.regularization.dropout import dropout, dropout_backward
from snippets.regularization.l1_regularization import (
    l1_penalty,
    l1_penalty_backward,
    lasso_ista,
    soft_threshold,
)
from snippets.regularization.l2_regularization import (
    l2_penalty,
    l2_penalty_backward,
    ridge_regression,
)

__all__ = [
    "l1_penalty",
    "l1_penalty_backward",
    "soft_threshold",
    "lasso_ista",
    "l2_penalty",
    "l2_penalty_backward",
    "ridge_regression",
    "dropout",
    "dropout_backward",
]

from snippets.regularization.early_stopping import early_stopping_epoch, generalization_loss  # noqa: E402

__all__ += ["early_stopping_epoch", "generalization_loss"]

from snippets.regularization.data_augmentation import random_crop, random_horizontal_flip  # noqa: E402

__all__ += ["random_horizontal_flip", "random_crop"]

from snippets.regularization.mixup import cutmix, mixup  # noqa: E402

__all__ += ["mixup", "cutmix"]
