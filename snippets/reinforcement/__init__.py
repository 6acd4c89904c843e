"""Reinforcement learning: returns, values and the updates that learn a policy from reward."""

__all__: list[str] = []
