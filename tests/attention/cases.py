"""Gradient-check cases for snippets.attention (collected by tests/cases.py)."""

from tests.gradcheck import Case

CASES: list[Case] = []
