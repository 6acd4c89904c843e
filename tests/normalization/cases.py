"""Gradient-check cases for snippets.normalization (collected by tests/cases.py)."""

from tests.cases import Case

CASES: list[Case] = []
