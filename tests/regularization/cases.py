"""Gradient-check cases for snippets.regularization (collected by tests/cases.py).

dropout has no case here: its forward pass draws a random mask from ``rng`` and its backward
takes that mask, ``dropout_backward(grad_out, mask, p)``, not the forward's arguments, so the
generic checker's ``f_backward(*grad_outs, *args)`` cannot apply. Its gradient is checked
against finite differences with the mask held fixed in tests/regularization/test_dropout.py.
"""

import numpy as np

from tests.gradcheck import Case


def away_from_zero(r: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random weights with |w| >= 0.1: clear of |w|'s kink at 0, which finite differences would straddle."""
    z = r.normal(size=shape)
    return np.sign(z) * (0.1 + np.abs(z))


# backwards whose finite-difference check cannot use the generic signature, and where it is instead
CHECKED_ELSEWHERE = {
    "dropout": "tests/regularization/test_dropout.py::test_backward_matches_finite_differences",
}

CASES = [
    Case("l1_penalty", lambda r: (away_from_zero(r, (3, 4)),), kwargs={"lam": 0.3}),
    Case("l2_penalty", lambda r: (r.normal(size=(3, 4)) * 2,), kwargs={"lam": 0.7}),
]
