"""Gradient-check cases for snippets.sequence (collected by tests/cases.py)."""

import numpy as np

from tests.gradcheck import Case

CASES: list[Case] = []

# word2vec: 8 pairs / rows from a vocabulary of 5, so centers and contexts repeat; both tables differentiable
CASES += [
    Case("skipgram_softmax_loss",
         lambda r: (r.integers(0, 5, 8), r.integers(0, 5, 8), r.normal(size=(5, 3)), r.normal(size=(5, 3))),
         wrt=(2, 3)),
    Case("cbow_loss",
         lambda r: (r.integers(0, 5, (8, 4)), r.integers(0, 5, 8), r.normal(size=(5, 3)), r.normal(size=(5, 3))),
         wrt=(2, 3)),
]

# negative sampling: 4 pairs, 3 negatives each, D = 2; all three inputs differentiable
CASES += [
    Case("negative_sampling_loss",
         lambda r: (r.normal(size=(4, 2)), r.normal(size=(4, 2)), r.normal(size=(4, 3, 2))),
         wrt=(0, 1, 2)),
]

# GloVe: counts with zeros (dropped), some below and some beyond x_max = 100 (f = 1 there)
CASES += [
    Case("glove_loss",
         lambda r: (r.normal(size=(4, 2)), r.normal(size=(4, 2)), r.normal(size=4), r.normal(size=4),
                    r.integers(0, 3, (4, 4)) * r.uniform(0.5, 150, (4, 4))),
         wrt=(0, 1, 2, 3)),
]

# masked cross-entropy: lengths 4, 1 and 0 out of T = 4 (a fully padded row gets no gradient)
CASES += [
    Case("masked_cross_entropy",
         lambda r: (r.normal(size=(3, 4, 5)), r.integers(0, 5, (3, 4)), np.array([4, 1, 0]))),
]

# mlm_loss: logits (2, 5, 7) with vocabulary last; labels ignore about half the positions (-100),
# the rest are ids in [0, 7); position (0, 0) always counts, so the mean is never over nothing
CASES += [
    Case(
        "mlm_loss",
        lambda r: (
            r.normal(size=(2, 5, 7)),
            np.where((r.random((2, 5)) < 0.5) & (np.arange(10).reshape(2, 5) > 0), -100, r.integers(0, 7, size=(2, 5))),
        ),
    ),
]
