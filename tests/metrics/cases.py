"""Gradient-check cases for snippets.metrics (collected by tests/cases.py)."""

from tests.cases import Case

CASES: list[Case] = []
