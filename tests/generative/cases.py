"""Gradient-check cases for snippets.generative (collected by tests/cases.py)."""

import numpy as np  # noqa: F401

from tests.gradcheck import Case

CASES: list[Case] = []
