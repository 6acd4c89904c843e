"""Gradient-check cases for snippets.training (collected by tests/cases.py)."""

from tests.gradcheck import Case

CASES: list[Case] = []
