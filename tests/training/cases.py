"""Gradient-check cases for snippets.training (collected by tests/cases.py)."""

import numpy as np

from tests.gradcheck import Case

CASES: list[Case] = []

CASES += [
    # LoRA: gradients for x, A and B (W is frozen and gets none); alpha / r = 4
    Case(
        "lora_linear",
        lambda r: (r.normal(size=(3, 4)), r.normal(size=(5, 4)), r.normal(size=(2, 4)), r.normal(size=(5, 2))),
        wrt=(0, 2, 3), kwargs={"alpha": 8.0, "r": 2},
CASES: list[Case] = [
    # 7 per-example gradients of shape (2, 3); a batch of 4 with index 5 listed twice
        "minibatch_gradient",
        lambda rng: (rng.normal(size=(7, 2, 3)), np.array([5, 0, 5, 3])),
        wrt=(0,),
    ),
]
