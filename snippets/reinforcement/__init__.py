"""Reinforcement learning: returns, values and the updates that learn a policy from reward."""

from snippets.reinforcement.discounted_return import discounted_returns

__all__: list[str] = [
    "discounted_returns",
]
