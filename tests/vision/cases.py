"""Gradient-check cases for snippets.vision (collected by tests/cases.py)."""

import numpy as np

from tests.gradcheck import Case


def _boxes(r: np.random.Generator, n: int) -> np.ndarray:
    """n boxes (x1, y1, x2, y2) with corners in a 4x4 square and sides in [0.5, 3]: most pairs overlap."""
    xy = r.uniform(0, 4, size=(n, 2))
    return np.concatenate([xy, xy + r.uniform(0.5, 3, size=(n, 2))], axis=1)


CASES: list[Case] = [
    # GIoU of 3 x 4 pairs, continuous random corners: no ties in the max / min and no touching edges
    Case("generalized_box_iou", lambda r: (_boxes(r, 3), _boxes(r, 4)), wrt=(0, 1)),
]

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
