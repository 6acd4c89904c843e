"""Gradient-check cases for snippets.activations (collected by tests/cases.py).

Every element-wise activation with a backward gets its Case from its line in
tests/activations/elementwise.py; the functions that work along an axis or take weights are listed here.
"""

from tests.activations.elementwise import ELEMENTWISE
from tests.gradcheck import Case

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
]
