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


def _collect() -> tuple[list[Case], dict[str, str]]:
    cases: list[Case] = []
    elsewhere: dict[str, str] = {}
    for path in sorted(Path(__file__).parent.glob("*/cases.py")):
        module = importlib.import_module(f"tests.{path.parent.name}.cases")
        cases.extend(module.CASES)
        elsewhere.update(getattr(module, "CHECKED_ELSEWHERE", {}))
    return cases, elsewhere


# CHECKED_ELSEWHERE: forward name -> "test file::test function" for the rare backward whose
# signature the generic checker cannot drive (dropout's takes the mask its forward drew at random)
CASES, CHECKED_ELSEWHERE = _collect()
