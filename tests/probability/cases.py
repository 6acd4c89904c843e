"""Gradient-check cases for snippets.probability (collected by tests/cases.py)."""

from tests.gradcheck import Case

CASES: list[Case] = []
