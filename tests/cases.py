"""Example inputs for every differentiable function in snippets, one table per family.

Each ``tests/<family>/cases.py`` defines ``CASES``, a list of :class:`Case`; this module
collects them all. The generic tests in tests/test_conventions.py run every case through the
finite-difference gradient check, the no-mutation check and the dtype rules. A new
``f`` / ``f_backward`` pair is not finished until it has a case (test_every_backward_has_a_case).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Case:
    """``fn(*make(rng), **kwargs)``; ``wrt`` lists the positions of differentiable arguments.

    ``make`` returns float64 arrays of moderate size and magnitude (the finite-difference check
    evaluates ``fn`` twice per element), away from kinks such as relu's at 0.
    """

    fn: str
    make: Callable[[np.random.Generator], tuple]
    wrt: tuple[int, ...] = (0,)
    kwargs: dict = field(default_factory=dict)
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.fn}-{self.label}" if self.label else self.fn


def probability_rows(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random rows of class probabilities (each row sums to 1, no zeros)."""
    e = rng.random(shape) + 0.1
    return e / e.sum(axis=-1, keepdims=True)


def _collect() -> list[Case]:
    cases: list[Case] = []
    for path in sorted(Path(__file__).parent.glob("*/cases.py")):
        cases.extend(importlib.import_module(f"tests.{path.parent.name}.cases").CASES)
    return cases


CASES: list[Case] = _collect()
