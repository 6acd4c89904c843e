"""Gradient-check cases for snippets.regularization (collected by tests/cases.py)."""

from tests.gradcheck import Case

CASES: list[Case] = []
