"""Optimization: gradients and the algorithms that follow them."""

from snippets.optimization.backpropagation import mlp_forward, mlp_loss_and_grads
from snippets.optimization.gradient import numerical_gradient
from snippets.optimization.gradient_descent import gradient_descent

__all__ = ["numerical_gradient", "gradient_descent", "mlp_forward", "mlp_loss_and_grads"]

from snippets.optimization.chain_rule import compose_jacobians, sigmoid_linear, sigmoid_linear_backward  # noqa: E402

__all__ += ["sigmoid_linear", "sigmoid_linear_backward", "compose_jacobians"]

from snippets.optimization.gradient_checking import check_gradient, relative_error  # noqa: E402

__all__ += ["relative_error", "check_gradient"]

from snippets.optimization.vanishing_gradient import layer_gradient_norms  # noqa: E402

__all__ += ["layer_gradient_norms"]

from snippets.optimization.gradient_clipping import clip_grad_norm, clip_grad_value  # noqa: E402

__all__ += ["clip_grad_norm", "clip_grad_value"]

from snippets.optimization.sgd import minibatch_sgd, sgd_step  # noqa: E402

__all__ += ["sgd_step", "minibatch_sgd"]

from snippets.optimization.momentum import heavy_ball_params, momentum_effective_lr  # noqa: E402

__all__ += ["momentum_effective_lr", "heavy_ball_params"]

from snippets.optimization.rmsprop import rmsprop_step  # noqa: E402

__all__ += ["rmsprop_step"]

from snippets.optimization.adam import adam_step, adamw_step  # noqa: E402

__all__ += ["adam_step", "adamw_step"]

from snippets.optimization.learning_rate import lr_sweep, max_stable_lr  # noqa: E402

__all__ += ["max_stable_lr", "lr_sweep"]

from snippets.optimization.learning_rate_schedule import cosine_annealing_lr, linear_warmup_lr, step_lr  # noqa: E402

__all__ += ["step_lr", "cosine_annealing_lr", "linear_warmup_lr"]

from snippets.optimization.adagrad import adagrad_step  # noqa: E402

__all__ += ["adagrad_step"]

from snippets.optimization.adadelta import adadelta_step  # noqa: E402

__all__ += ["adadelta_step"]

from snippets.optimization.one_cycle_policy import cyclic_lr, one_cycle_lr  # noqa: E402

__all__ += ["one_cycle_lr", "cyclic_lr"]

from snippets.optimization.lamb import lamb_step, trust_ratio  # noqa: E402

__all__ += ["trust_ratio", "lamb_step"]

from snippets.optimization.muon import muon_step, newton_schulz5  # noqa: E402

__all__ += ["newton_schulz5", "muon_step"]

from snippets.optimization.exponential_moving_average import ema, ema_backward, ema_update  # noqa: E402

__all__ += ["ema", "ema_backward", "ema_update"]

from snippets.optimization.saddle_point import classify_critical_point, hessian  # noqa: E402

__all__ += ["hessian", "classify_critical_point"]
