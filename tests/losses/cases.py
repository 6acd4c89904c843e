"""Gradient-check cases for snippets.losses (collected by tests/cases.py)."""

from tests.gradcheck import Case, probability_rows

CASES = [
    Case("cross_entropy", lambda r: (r.normal(size=(4, 5)) * 2, r.integers(0, 5, size=4)), label="indices"),
    Case("cross_entropy", lambda r: (r.normal(size=(4, 5)) * 2, probability_rows(r, (4, 5))), label="probs"),
    Case("binary_cross_entropy", lambda r: (r.uniform(0.05, 0.95, size=(2, 3)), r.random((2, 3)))),
    Case("binary_cross_entropy_with_logits", lambda r: (r.normal(size=(2, 3)) * 3, r.random((2, 3)))),
]
