"""One table of example inputs for every differentiable function in snippets.

The generic tests in tests/test_conventions.py run each case through the finite-difference
gradient check, the no-mutation check and the dtype rules. A new ``f`` / ``f_backward`` pair
is not finished until it has a case here (test_every_backward_has_a_case enforces it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Case:
    """``fn(*make(rng), **kwargs)``; ``wrt`` lists the positions of differentiable arguments."""

    fn: str
    make: Callable[[np.random.Generator], tuple]
    wrt: tuple[int, ...] = (0,)
    kwargs: dict = field(default_factory=dict)
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.fn}-{self.label}" if self.label else self.fn


def _probs(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random rows of class probabilities (each row sums to 1)."""
    e = rng.random(shape) + 0.1
    return e / e.sum(axis=-1, keepdims=True)


CASES: list[Case] = [
    Case("sigmoid", lambda r: (r.normal(size=(3, 4)) * 3,)),
    Case("softmax", lambda r: (r.normal(size=(3, 5)) * 2,)),
    Case("softmax", lambda r: (r.normal(size=(4, 3)),), kwargs={"axis": 0}, label="axis0"),
    Case("log_softmax", lambda r: (r.normal(size=(3, 5)) * 2,)),
    Case("log_softmax", lambda r: (r.normal(size=(2, 3, 4)),), kwargs={"axis": 1}, label="axis1"),
    Case("cross_entropy", lambda r: (r.normal(size=(4, 5)) * 2, r.integers(0, 5, size=4)), label="indices"),
    Case("cross_entropy", lambda r: (r.normal(size=(4, 5)) * 2, _probs(r, (4, 5))), label="probs"),
    Case("binary_cross_entropy", lambda r: (r.uniform(0.05, 0.95, size=(2, 3)), r.random((2, 3)))),
    Case("binary_cross_entropy_with_logits", lambda r: (r.normal(size=(2, 3)) * 3, r.random((2, 3)))),
]
