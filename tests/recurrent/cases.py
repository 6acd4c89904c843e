"""Gradient-check cases for snippets.recurrent (collected by tests/cases.py)."""

from tests.gradcheck import Case

CASES: list[Case] = []
