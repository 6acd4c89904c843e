"""Gradient-check cases for snippets.normalization (collected by tests/cases.py)."""

from tests.gradcheck import Case

CASES: list[Case] = [
    # no running statistics: the generic tests call batch_norm many times and nothing is written
    Case("batch_norm", lambda r: (r.normal(size=(5, 3)) * 2 + 1, r.normal(size=3), r.normal(size=3)), wrt=(0, 1, 2)),
    Case(
        "batch_norm",
        lambda r: (r.normal(size=(2, 3, 2, 2)), r.normal(size=3), r.normal(size=3)),
        wrt=(0, 1, 2),
        kwargs={"eps": 0.1},
        label="nchw-eps",
    ),
]
