"""Gradient-check cases for snippets.generative (collected by tests/cases.py)."""

import numpy as np  # noqa: F401

from tests.gradcheck import Case

CASES: list[Case] = []

# generative-adversarial-network: logits of moderate size, batches of different sizes
CASES += [
    Case("discriminator_loss", lambda r: (r.normal(size=(4,)) * 3, r.normal(size=(3, 2)) * 3), wrt=(0, 1)),
    Case("generator_loss", lambda r: (r.normal(size=(5,)) * 3,), label="non-saturating"),
    Case("generator_loss", lambda r: (r.normal(size=(2, 3)) * 3,), kwargs={"non_saturating": False}, label="minimax"),
    Case("wgan_critic_loss", lambda r: (r.normal(size=(4,)) * 3, r.normal(size=(6,)) * 3), wrt=(0, 1)),
]

# autoencoder: D = 3 features, K = 2 code units; ReLU pre-activations are almost surely away from 0
CASES += [
    Case(
        "autoencoder_forward",
        lambda r: (r.normal(size=(4, 3)), r.normal(size=(2, 3)), r.normal(size=2), r.normal(size=(3, 2)), r.normal(size=3)),
        wrt=(0, 1, 2, 3, 4),
    ),
    Case("reconstruction_loss", lambda r: (r.normal(size=(3, 4)), r.normal(size=(3, 4))), wrt=(1,)),
]
