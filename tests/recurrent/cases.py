"""Gradient-check cases for snippets.recurrent (collected by tests/cases.py)."""

from tests.cases import Case

CASES: list[Case] = []
