"""Gradient-check cases for snippets.sequence (collected by tests/cases.py)."""

import numpy as np  # noqa: F401

from tests.gradcheck import Case

CASES: list[Case] = []

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
