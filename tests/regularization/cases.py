"""Gradient-check cases for snippets.regularization (collected by tests/cases.py)."""

from tests.cases import Case

CASES: list[Case] = []
