"""Gradient-check cases for snippets.activations (collected by tests/cases.py)."""

from tests.gradcheck import Case

CASES = [
    Case("sigmoid", lambda r: (r.normal(size=(3, 4)) * 3,)),
    Case("softmax", lambda r: (r.normal(size=(3, 5)) * 2,)),
    Case("softmax", lambda r: (r.normal(size=(4, 3)),), kwargs={"axis": 0}, label="axis0"),
    Case("log_softmax", lambda r: (r.normal(size=(3, 5)) * 2,)),
    Case("log_softmax", lambda r: (r.normal(size=(2, 3, 4)),), kwargs={"axis": 1}, label="axis1"),]
