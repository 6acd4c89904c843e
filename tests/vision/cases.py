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

# gram_matrix: 3 channels over a non-square 2x3 map, both normalisations; style_loss: a style map of
# another spatial size (4x2) than the generated one; total_variation:
# normal values (differences almost surely clear of |.|'s kink at 0)
CASES += [
    Case("gram_matrix", lambda r: (r.normal(size=(2, 3, 2, 3)),)),
    Case("gram_matrix", lambda r: (r.normal(size=(2, 3, 2, 3)),), kwargs={"normalize": False}, label="unnormalized"),
    Case("style_loss", lambda r: (r.normal(size=(2, 3, 2, 3)), r.normal(size=(2, 3, 4, 2)))),
    Case("total_variation", lambda r: (r.normal(size=(2, 3, 4, 5)),)),
]
