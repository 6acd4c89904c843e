"""Example inputs for every differentiable function in snippets, one table per family.

Each ``tests/<family>/cases.py`` defines ``CASES``, a list of ``tests.gradcheck.Case``; this module
collects them all. The generic tests in tests/test_conventions.py run every case through the
finite-difference gradient check, the no-mutation check and the dtype rules. A new
``f`` / ``f_backward`` pair is not finished until it has a case (test_every_backward_has_a_case).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from tests.gradcheck import Case


def _collect() -> list[Case]:
    cases: list[Case] = []
    for path in sorted(Path(__file__).parent.glob("*/cases.py")):
        cases.extend(importlib.import_module(f"tests.{path.parent.name}.cases").CASES)
    return cases


CASES: list[Case] = _collect()
