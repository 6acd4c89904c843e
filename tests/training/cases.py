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
]
