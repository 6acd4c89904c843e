"""Gradient-check cases for snippets.metrics (collected by tests/cases.py)."""

from tests.gradcheck import Case

CASES: list[Case] = []
