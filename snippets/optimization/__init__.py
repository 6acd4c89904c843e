"""Optimization: gradients and the algorithms that follow them."""

from snippets.optimization.backpropagation import mlp_forward, mlp_loss_and_grads
from snippets.optimization.gradient import gradient_descent, numerical_gradient

__all__ = ["numerical_gradient", "gradient_descent", "mlp_forward", "mlp_loss_and_grads"]
