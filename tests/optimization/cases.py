"""Gradient-check cases for snippets.optimization (collected by tests/cases.py)."""

from tests.gradcheck import Case

CASES: list[Case] = []

# chain rule: x (N, in), weight (out, in), bias (out,); all three differentiable
CASES += [
    Case("sigmoid_linear", lambda r: (r.normal(size=(4, 3)), r.normal(size=(2, 3)), r.normal(size=2)), wrt=(0, 1, 2)),
]
