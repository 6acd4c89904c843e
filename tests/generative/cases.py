"""Gradient-check cases for snippets.generative (collected by tests/cases.py)."""

import numpy as np  # noqa: F401

from tests.gradcheck import Case

CASES: list[Case] = []

CASES += [
    Case("gaussian_kl", lambda r: (r.normal(size=(3, 4)), r.normal(size=(3, 4))), wrt=(0, 1)),
    Case("gaussian_kl", lambda r: (r.normal(size=5), r.normal(size=5) * 0.1), wrt=(0, 1), label="1d-near-prior"),
    Case("elbo", lambda r: (r.random((3, 5)), r.normal(size=(3, 5)) * 2, r.normal(size=(3, 2)), r.normal(size=(3, 2))),
         wrt=(1, 2, 3)),
    Case("elbo", lambda r: (r.random((2, 4)) > 0.5, r.normal(size=(2, 4)), r.normal(size=(2, 3)), r.normal(size=(2, 3))),
         wrt=(1, 2, 3), kwargs={"beta": 4.0}, label="binary-beta4"),
]


CASES += [
    Case("reparameterize", lambda r: (r.normal(size=(3, 4)), r.normal(size=(3, 4)), r.normal(size=(3, 4))), wrt=(0, 1)),
    Case("reparameterize", lambda r: (r.normal(size=4), r.normal(size=4), r.normal(size=(5, 4))), wrt=(0, 1), label="k-samples"),
]

CASES += [
    Case("diffusion_loss", lambda r: (r.normal(size=(3, 2, 2)), r.normal(size=(3, 2, 2)))),
]
