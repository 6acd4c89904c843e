"""Optimization: gradients and the algorithms that follow them."""

from snippets.optimization.gradient import gradient_descent, numerical_gradient

__all__ = ["numerical_gradient", "gradient_descent"]
