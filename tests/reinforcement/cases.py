"""Gradient-check cases for snippets.reinforcement (collected by tests/cases.py)."""

import numpy as np  # noqa: F401

from tests.gradcheck import Case

CASES: list[Case] = []

# REINFORCE surrogate: log-probabilities (*) differentiable; returns and a baseline are weights
CASES += [
    Case("reinforce_loss", lambda r: (-r.random(12), r.normal(size=12), r.normal(size=12))),
    Case("reinforce_loss", lambda r: (-r.random((3, 4)), r.normal(size=(3, 4))), label="no-baseline"),
]

