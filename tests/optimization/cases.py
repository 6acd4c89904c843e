"""Gradient-check cases for snippets.optimization (collected by tests/cases.py)."""

from tests.cases import Case

CASES: list[Case] = []
