"""Reinforcement learning: returns, values and the updates that learn a policy from reward."""

from snippets.reinforcement.bellman_equation import policy_evaluation, value_iteration
from snippets.reinforcement.discounted_return import discounted_returns

__all__: list[str] = [
    "policy_evaluation",
    "value_iteration",
    "discounted_returns",
]
