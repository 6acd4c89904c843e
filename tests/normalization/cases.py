"""Gradient-check cases for snippets.normalization (collected by tests/cases.py)."""

from tests.gradcheck import Case

CASES: list[Case] = []
