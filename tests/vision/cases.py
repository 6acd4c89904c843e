"""Gradient-check cases for snippets.vision (collected by tests/cases.py)."""

import numpy as np  # noqa: F401

from tests.gradcheck import Case

CASES: list[Case] = []

# patchify: non-square 2x3 patches of a 3-channel 4x6 image (rows and columns of patches both > 1);
# patch_embed: the same geometry into D = 5, with bias
CASES += [
    Case("patchify", lambda r: (r.normal(size=(2, 3, 4, 6)),), kwargs={"patch_size": (2, 3)}),
    Case(
        "patch_embed",
        lambda r: (r.normal(size=(2, 3, 4, 6)), r.normal(size=(5, 3, 2, 3)), r.normal(size=5)),
        wrt=(0, 1, 2),
        kwargs={"patch_size": (2, 3)},
    ),
]
