"""Gradient-check cases for snippets.layers (collected by tests/cases.py)."""

from tests.gradcheck import Case

CASES: list[Case] = []
