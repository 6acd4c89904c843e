"""Gradient-check cases for snippets.reinforcement (collected by tests/cases.py)."""

import numpy as np  # noqa: F401

from tests.gradcheck import Case

CASES: list[Case] = []

# REINFORCE surrogate: log-probabilities (*) differentiable; returns and a baseline are weights
CASES += [
    Case("reinforce_loss", lambda r: (-r.random(12), r.normal(size=12), r.normal(size=12))),
    Case("reinforce_loss", lambda r: (-r.random((3, 4)), r.normal(size=(3, 4))), label="no-baseline"),
]

# PPO clipped surrogate w.r.t. logp_new; log-ratios spread around 0 with eps 0.2, kept away from the
# kinks at log(0.8) and log(1.2) so that central differences do not straddle them
CASES += [
    Case("ppo_clip_loss",
         lambda r: (np.array([-1.0, -0.5, -2.0, -0.3, -1.2, -0.7]) + np.array([0.05, -0.05, 0.4, -0.4, 0.1, -0.6]),
                    np.array([-1.0, -0.5, -2.0, -0.3, -1.2, -0.7]), r.choice([-1.0, 1.0], 6) * (0.5 + r.random(6)))),
]
