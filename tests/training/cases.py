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
    # LoRA: gradients for x, A and B (W is frozen and gets none); alpha / r = 4
    Case(
        "lora_linear",
        lambda r: (r.normal(size=(3, 4)), r.normal(size=(5, 4)), r.normal(size=(2, 4)), r.normal(size=(5, 2))),
        wrt=(0, 2, 3), kwargs={"alpha": 8.0, "r": 2},
    ),
    # weight tying's output projection: gradients for h and the shared table
    Case("tied_lm_logits", lambda r: (r.normal(size=(2, 3, 4)), r.normal(size=(6, 4))), wrt=(0, 1)),
    # class-weighted cross-entropy: gradient for the logits (target and weight are not differentiated)
    Case(
        "weighted_cross_entropy",
        lambda r: (r.normal(size=(6, 4)) * 2, r.integers(0, 4, size=6), r.uniform(0.2, 3.0, size=4)),
    ),
    # soft voting: 3 models' probabilities for 4 samples and 3 classes, weights (1, 2, 3)
    Case("soft_vote", lambda r: (r.dirichlet(np.ones(3), size=(3, 4)),), kwargs={"weights": [1.0, 2.0, 3.0]}),
]

# fake_quantize's backward is the straight-through estimator, not the derivative of a step function
# (0 almost everywhere), so finite differences cannot check it: PyTorch's autograd does, exactly
CHECKED_ELSEWHERE = {
    "fake_quantize": "tests/training/test_quantization.py::test_fake_quantize_matches_torch_with_autograd",
}
