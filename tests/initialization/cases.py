"""Gradient-check cases for snippets.initialization (collected by tests/cases.py)."""

from tests.gradcheck import Case

CASES: list[Case] = []
