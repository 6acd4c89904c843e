"""Gradient-check cases for snippets.training (collected by tests/cases.py)."""

import numpy as np

from tests.gradcheck import Case

CASES: list[Case] = [
    # 7 per-example gradients of shape (2, 3); a batch of 4 with index 5 listed twice
    Case(
        "minibatch_gradient",
        lambda rng: (rng.normal(size=(7, 2, 3)), np.array([5, 0, 5, 3])),
        wrt=(0,),
    ),
    # student logits (4, 5); teacher logits and labels fixed; a temperature and weight off the defaults
    Case(
        "distillation_loss",
        lambda rng: (rng.normal(size=(4, 5)), 2 * rng.normal(size=(4, 5)), np.array([0, 4, 2, 2])),
        wrt=(0,),
        kwargs={"temperature": 3.0, "alpha": 0.7},
    ),
]
