"""Training: the vocabulary of the training loop and of judging a model."""

from snippets.training.bias_variance_tradeoff import bias_variance_decomposition
from snippets.training.class_imbalance import (
    balanced_class_weights,
    oversample_indices,
    weighted_cross_entropy,
    weighted_cross_entropy_backward,
)
from snippets.training.cross_validation import cross_val_score, kfold_indices, stratified_kfold_indices
from snippets.training.ensembling import bagging_indices, hard_vote, soft_vote, soft_vote_backward
from snippets.training.epoch import batch_indices, iterations_per_epoch
from snippets.training.fine_tuning import fine_tune_step, layerwise_lrs
from snippets.training.hyperparameter import grid_search, random_search
from snippets.training.lora import lora_linear, lora_linear_backward, lora_merge
from snippets.training.gradient_accumulation import accumulate_gradients
from snippets.training.mixed_precision import dynamic_loss_scale_step, float16_range, to_bfloat16
from snippets.training.knowledge_distillation import distillation_loss, distillation_loss_backward
from snippets.training.mini_batch import iterate_minibatches, minibatch_gradient, minibatch_gradient_backward
from snippets.training.overfitting import polynomial_features, polynomial_fit
from snippets.training.quantization import (
    choose_qparams,
    dequantize,
    fake_quantize,
    fake_quantize_backward,
    quantize_per_tensor,
)
from snippets.training.transfer_learning import extract_features, freeze, linear_probe
from snippets.training.train_validation_test_split import split_sizes, train_val_test_split
from snippets.training.weight_tying import tied_embedding_grad, tied_lm_logits, tied_lm_logits_backward

__all__: list[str] = [
    "iterations_per_epoch",
    "batch_indices",
    "split_sizes",
    "train_val_test_split",
    "polynomial_features",
    "polynomial_fit",
    "bias_variance_decomposition",
    "grid_search",
    "random_search",
    "kfold_indices",
    "stratified_kfold_indices",
    "cross_val_score",
    "lora_linear",
    "lora_linear_backward",
    "lora_merge",
    "iterate_minibatches",
    "minibatch_gradient",
    "minibatch_gradient_backward",
    "tied_lm_logits",
    "tied_lm_logits_backward",
    "tied_embedding_grad",
    "choose_qparams",
    "quantize_per_tensor",
    "dequantize",
    "fake_quantize",
    "fake_quantize_backward",
    "balanced_class_weights",
    "weighted_cross_entropy",
    "weighted_cross_entropy_backward",
    "oversample_indices",
    "soft_vote",
    "soft_vote_backward",
    "hard_vote",
    "bagging_indices",
    "layerwise_lrs",
    "fine_tune_step",
    "accumulate_gradients",
    "to_bfloat16",
    "float16_range",
    "dynamic_loss_scale_step",
    "distillation_loss",
    "distillation_loss_backward",
    "freeze",
    "extract_features",
    "linear_probe",
]
