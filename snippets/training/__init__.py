"""Training: the vocabulary of the training loop and of judging a model."""

from snippets.training.bias_variance_tradeoff import bias_variance_decomposition
from snippets.training.cross_validation import cross_val_score, kfold_indices, stratified_kfold_indices
from snippets.training.epoch import batch_indices, iterations_per_epoch
from snippets.training.gradient_accumulation import accumulate_gradients
from snippets.training.hyperparameter import grid_search, random_search
from snippets.training.mixed_precision import dynamic_loss_scale_step, float16_range, to_bfloat16
from snippets.training.knowledge_distillation import distillation_loss, distillation_loss_backward
from snippets.training.mini_batch import iterate_minibatches, minibatch_gradient, minibatch_gradient_backward
from snippets.training.overfitting import polynomial_features, polynomial_fit
from snippets.training.transfer_learning import extract_features, freeze, linear_probe
from snippets.training.train_validation_test_split import split_sizes, train_val_test_split

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
    "iterate_minibatches",
    "minibatch_gradient",
    "minibatch_gradient_backward",
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
