"""Reinforcement learning: returns, values and the updates that learn a policy from reward."""

from snippets.reinforcement.bellman_equation import policy_evaluation, value_iteration
from snippets.reinforcement.discounted_return import discounted_returns
from snippets.reinforcement.epsilon_greedy import epsilon_greedy, epsilon_greedy_probs, linear_epsilon_decay
from snippets.reinforcement.policy_gradient import gae, reinforce_loss, reinforce_loss_backward, softmax_policy_gradient
from snippets.reinforcement.proximal_policy_optimization import approx_kl, ppo_clip_loss, ppo_clip_loss_backward
from snippets.reinforcement.q_learning import q_learning, q_learning_update

__all__: list[str] = [
    "policy_evaluation",
    "value_iteration",
    "discounted_returns",
    "epsilon_greedy",
    "epsilon_greedy_probs",
    "linear_epsilon_decay",
    "gae",
    "reinforce_loss",
    "reinforce_loss_backward",
    "softmax_policy_gradient",
    "approx_kl",
    "ppo_clip_loss",
    "ppo_clip_loss_backward",
    "q_learning",
    "q_learning_update",
]
