"""Gradient-check cases for snippets.vision (collected by tests/cases.py)."""

import numpy as np  # noqa: F401

from tests.gradcheck import Case


def _boxes(r: np.random.Generator, n: int) -> np.ndarray:
    """n boxes (x1, y1, x2, y2) with corners in a 4x4 square and sides in [0.5, 3]: most pairs overlap."""
    xy = r.uniform(0, 4, size=(n, 2))
    return np.concatenate([xy, xy + r.uniform(0.5, 3, size=(n, 2))], axis=1)


CASES: list[Case] = [
    # GIoU of 3 x 4 pairs, continuous random corners: no ties in the max / min and no touching edges
    Case("generalized_box_iou", lambda r: (_boxes(r, 3), _boxes(r, 4)), wrt=(0, 1)),
]
