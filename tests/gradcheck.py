"""A finite-difference check that works for every ``f`` / ``f_backward`` pair in snippets.

The convention is ``f_backward(grad_out, *args, **kwargs)`` -> the gradient of
``sum(grad_out * f(*args, **kwargs))`` with respect to each differentiable argument (a tuple
when there are several). A function with several outputs (``lstm_cell`` returns ``(h, c)``)
takes one upstream gradient per output: ``f_backward(grad_h, grad_c, *args)``.
:func:`snippets.numerical_gradient` estimates the same vector-Jacobian product by central
differences, one argument at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from snippets import numerical_gradient


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


def as_outputs(out: Any) -> tuple:
    """A function's result as a tuple of outputs (a single array becomes a 1-tuple)."""
    return tuple(out) if isinstance(out, tuple) else (out,)


def check_gradient(
    f: Callable,
    f_backward: Callable,
    args: Sequence[Any],
    wrt: Sequence[int],
    kwargs: dict | None = None,
    rng: np.random.Generator | None = None,
) -> float:
    """Compare ``f_backward`` with central differences; return the largest absolute error.

    Raises AssertionError when they disagree by more than the finite-difference error allows:
    with eps = 1e-6 in float64 the truncation error is ~eps^2 * |f'''| and the rounding error
    ~1e-16 * |f| / eps (about 1e-10 here), far below the tolerance for the O(1) inputs used.
    """
    kwargs = kwargs or {}
    rng = rng or np.random.default_rng(0)
    grad_outs = [rng.normal(size=np.shape(out)) for out in as_outputs(f(*args, **kwargs))]
    analytic = f_backward(*grad_outs, *args, **kwargs)
    analytic = analytic if isinstance(analytic, tuple) else (analytic,)
    assert len(analytic) == len(wrt), (
        f"{f_backward.__name__} returned {len(analytic)} gradients, expected {len(wrt)}"
    )
    worst = 0.0
    for grad, i in zip(analytic, wrt):

        def scalar(xi: np.ndarray, i: int = i) -> float:
            # sum_k sum(grad_out_k * output_k) as a function of argument i alone
            call = [*args[:i], xi, *args[i + 1 :]]
            outputs = as_outputs(f(*call, **kwargs))
            return sum(np.sum(g * out) for g, out in zip(grad_outs, outputs))

        numeric = numerical_gradient(scalar, args[i])
        assert np.shape(grad) == np.shape(args[i]), (
            f"{f_backward.__name__}: gradient shape {np.shape(grad)} != input shape {np.shape(args[i])}"
        )
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8, err_msg=f"argument {i}")
        worst = max(worst, float(np.max(np.abs(grad - numeric), initial=0.0)))
    return worst
