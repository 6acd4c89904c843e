"""Gradient-check cases for snippets.probability (collected by tests/cases.py)."""

from tests.gradcheck import Case

CASES: list[Case] = []

CASES += [
    Case("gaussian_mle", lambda r: (r.normal(size=(6, 3)) * 2 + 1,)),
    Case("gaussian_mle", lambda r: (r.normal(size=(2, 5)),), kwargs={"axis": 1}, label="axis1"),
]

CASES += [
    Case("logit", lambda r: (r.uniform(0.05, 0.95, size=(3, 4)),)),
]

CASES += [
    Case("logsumexp", lambda r: (r.normal(size=(3, 4)) * 3,)),
    Case("logsumexp", lambda r: (r.normal(size=(2, 3, 4)),), kwargs={"axis": 1}, label="axis1"),
    Case("logsumexp", lambda r: (r.normal(size=(3, 5)),), kwargs={"axis": -1, "keepdims": True}, label="keepdims"),
]
