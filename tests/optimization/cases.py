"""Gradient-check cases for snippets.optimization (collected by tests/cases.py)."""

from tests.gradcheck import Case

CASES: list[Case] = []
