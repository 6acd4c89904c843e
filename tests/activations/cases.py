"""Gradient-check cases for snippets.activations (collected by tests/cases.py).

Every element-wise activation with a backward gets its Case from its line in
tests/activations/elementwise.py; the functions that work along an axis or take weights are listed here.
"""

import numpy as np

from tests.activations.elementwise import ELEMENTWISE
from tests.gradcheck import Case


def away_from_zero(r: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random values with |x| >= 0.1."""
    z = r.normal(size=shape)
    return np.sign(z) * (0.1 + np.abs(z))

CASES = [entry.case() for entry in ELEMENTWISE if entry.backward] + [
    Case("softmax", lambda r: (r.normal(size=(3, 5)) * 2,)),
    Case("softmax", lambda r: (r.normal(size=(4, 3)),), kwargs={"axis": 0}, label="axis0"),
    Case("log_softmax", lambda r: (r.normal(size=(3, 5)) * 2,)),
    Case("log_softmax", lambda r: (r.normal(size=(2, 3, 4)),), kwargs={"axis": 1}, label="axis1"),
    Case("glu", lambda r: (r.normal(size=(3, 4)) * 3,)),
    Case("glu", lambda r: (r.normal(size=(4, 3, 2)) * 3,), kwargs={"axis": 0}, label="axis0"),
    Case(
        "swiglu_ffn",
        lambda r: (r.normal(size=(2, 3, 4)), *(r.normal(size=shape) / 2 for shape in [(5, 4), (5, 4), (4, 5)])),
        wrt=(0, 1, 2, 3),
    ),
    # inputs at least 0.1 from prelu's kink at 0, so that central differences see one slope
    Case("prelu", lambda r: (away_from_zero(r, (3, 2, 4)), r.uniform(0.05, 0.5, size=2)), wrt=(0, 1)),
    Case("prelu", lambda r: (away_from_zero(r, (5,)), r.uniform(0.05, 0.5, size=1)), wrt=(0, 1), label="shared"),
]
