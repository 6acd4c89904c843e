"""The contract of an element-wise activation, as one table: a function joins with one line.

An entry names ``y = f(x, **kwargs)`` from snippets (and ``f_backward(grad_out, x, **kwargs)`` when
it has one) and its reference in PyTorch. ``tests/activations/test_elementwise.py`` runs every
entry through the same checks:

- shape: a 0-d and an empty input keep their shape;
- dtype: float32 stays float32; float64, ints and lists give float64 (for entries with a backward
  the generic tests in ``tests/test_conventions.py`` check this, through the Case made below);
- stable: finite and warning-free for every finite |x| <= 1e4, in both dtypes; NaN in, NaN out;
- bad input: a complex or non-numeric ``x`` is a ``TypeError`` naming ``x``; a ``grad_out`` of
  another shape is a ``ValueError`` naming both shapes;
- the reference, in float32 and float64, on random values, the extremes of ``tests/reference.py``
  and a grid over [-10, 10] (with -0.0 and 0.0, where kinks decide): values and gradient, to the
  entry's tolerance.

``tests/activations/cases.py`` turns every entry with a backward into a ``Case``, so the generic
finite-difference, no-mutation and dtype tests cover it. What is particular to one function (hand
values, identities, limits at infinity, its own bad hyperparameters, accuracy studies) stays in its
own test file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tests.gradcheck import Case

Sampler = Callable[[np.random.Generator, tuple[int, ...]], np.ndarray]


def smooth(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Inputs for the finite-difference check of a smooth function: N(0, 3^2)."""
    return rng.normal(size=shape) * 3


def away_from_kinks(*kinks: float) -> Sampler:
    """Inputs in [-3, 3] at least 0.1 from every kink: a central difference of step 1e-6 never
    straddles one, so it measures the one-sided slope the backward returns there."""

    def sample(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        x = rng.uniform(-3.0, 3.0, size=shape)
        for kink in kinks:
            near = np.abs(x - kink) < 0.1
            x = np.where(near, kink + np.copysign(0.1 + np.abs(x - kink), x - kink), x)
        return x

    return sample


@dataclass(frozen=True)
class Elementwise:
    """One element-wise function and what "equal to the reference" means for it.

    ``reference(torch)`` returns the PyTorch callable on one tensor. The forward is compared with
    ``assert_matches(..., ulps=ulps, scale=scale)``; ``scale`` may be a function of ``x`` (an
    absolute error allowance where the reference itself cancels). The gradient is compared with
    ``grad_ulps``, relative, or, when ``grad_scale`` is set, absolutely in units of
    ``eps * grad_scale * max|grad_out|`` (for references whose backward cancels). ``grad_ref_rel`` is
    a relative error the reference's gradient carries in every dtype (a constant PyTorch rounds to
    float32 even in its float64 kernel), added to the gradient's tolerance.
    """

    fn: str
    reference: Callable[[Any], Callable]
    kwargs: dict = field(default_factory=dict)
    label: str = ""
    backward: bool = True
    ulps: float = 8
    scale: float | Callable[[np.ndarray], np.ndarray] = 1.0
    grad_ulps: float = 8
    grad_scale: float | None = None
    grad_ref_rel: float = 0.0
    sample: Sampler = smooth

    @property
    def id(self) -> str:
        return f"{self.fn}-{self.label}" if self.label else self.fn

    def case(self) -> Case:
        """The finite-difference Case of this entry's backward (tests/test_conventions.py)."""
        return Case(self.fn, lambda r: (self.sample(r, (3, 4)),), kwargs=self.kwargs, label=self.label)


def _torch_f(name: str, **kwargs) -> Callable[[Any], Callable]:
    """The reference ``torch.nn.functional.<name>(t, **kwargs)``."""
    return lambda torch: lambda t: getattr(torch.nn.functional, name)(t, **kwargs)


# One line a function. Every tolerance that is not the default says why.
ELEMENTWISE: list[Elementwise] = [
    Elementwise("sigmoid", lambda torch: torch.sigmoid),
    # PyTorch's backward is g (1 - y^2) from the rounded output y: that subtraction is exact only to
    # ~eps ABSOLUTE (measured 0.72 eps), so where the derivative is small PyTorch's relative error is
    # huge (it returns 0 for |x| > 10 in float32) while ours is ~2 ulps: compare absolutely
    Elementwise("tanh", lambda torch: torch.tanh, grad_scale=1.0),
    # max and a gate only select values: no rounding, so no tolerance at all
    Elementwise("relu", lambda torch: torch.relu, ulps=0, grad_ulps=0, sample=away_from_kinks(0.0)),
    # one product (x * slope, grad_out * slope) rounded once, with the slope rounded to the dtype
    # first, exactly as PyTorch does: identical results
    *[
        Elementwise(
            "leaky_relu", _torch_f("leaky_relu", negative_slope=slope), kwargs={"negative_slope": slope},
            label=f"slope{slope:g}", ulps=0, grad_ulps=0, sample=away_from_kinks(0.0),
        )
        for slope in (0.01, 0.2, -0.5, 1e-6)
    ],
    # for x < -1 PyTorch evaluates x/2 (1 + erf(x/sqrt 2)) (or 1 + tanh): the bracket cancels with
    # absolute error ~eps, times |x|/2, and is nonzero only while |x| < 9: exact to ~8 eps absolute
    # there. The gradient g (Phi + x phi) sums O(1) terms of both signs (relative to max|g|); the
    # tanh form's 1 - tanh(u)^2 in PyTorch cancels too (absolute eps, times ~0.05 |x|^3 while
    # |x| < 7): another factor of 8 for that variant
    *[
        Elementwise(
            "gelu", _torch_f("gelu", approximate=mode), kwargs={"approximate": mode}, label=mode,
            scale=lambda x: np.where(x >= -1, 1.0, 8.0), grad_scale=1.0 if mode == "none" else 8.0,
        )
        for mode in ("none", "tanh")
    ],
    # PyTorch's gradient g s (1 + x (1 - s)): 1 - s has only absolute accuracy eps, times
    # x s (1 - s) <= 0.3; ours (s + x s s(-x)) has no subtraction: compare absolutely
    Elementwise("silu", _torch_f("silu"), grad_scale=1.0),
    # softplus: PyTorch computes log1p(exp(beta x)) / beta, we max(z, 0) + log1p(exp(-|z|)): each
    # rounds an exp, a log1p and a division once (measured <= 2 ulps apart, values and gradients);
    # beta and threshold are rounded to the input's dtype first, as PyTorch does. With threshold 5
    # the switch to x at beta x = 5 is a jump of log1p(e^-5) / beta: finite differences avoid it
    *[
        Elementwise(
            "softplus", _torch_f("softplus", **kw), kwargs=kw, label=label, ulps=4, grad_ulps=4,
            sample=away_from_kinks(kw["threshold"] / kw["beta"]) if kw["threshold"] < 10 else smooth,
        )
        for label, kw in [
            ("", {"beta": 1.0, "threshold": 20.0}),
            ("beta2-threshold5", {"beta": 2.0, "threshold": 5.0}),
            ("beta0.3", {"beta": 0.3, "threshold": 20.0}),
        ]
    ],
    # elu / celu: PyTorch evaluates alpha * expm1(x * input_scale) and its backward from exp, as we
    # do (measured <= 1 ulp for values, <= 2 for gradients). celu's input_scale is 1 / alpha, which
    # for an alpha that is a power of two makes x * (1/alpha) = x / alpha exactly; other alphas (its
    # exponent rounded once more, amplified by |x / alpha|, and PyTorch's backward rounding alpha to
    # float32) are compared in tests/activations/test_elu.py
    *[
        Elementwise(fn, _torch_f(fn, alpha=a), kwargs={"alpha": a}, label=f"alpha{a:g}", ulps=2, grad_ulps=2,
                    sample=away_from_kinks(0.0))
        for fn, alphas in [("elu", (1.0, 0.5, 2.0, -0.5)), ("celu", (1.0, 0.5, 2.0))]
        for a in alphas
    ],
    # selu: lambda x, or lambda alpha expm1(x) with lambda alpha rounded as PyTorch forms it (both
    # constants rounded to the dtype, then multiplied there): measured <= 1 ulp, gradient <= 2
    Elementwise("selu", _torch_f("selu"), ulps=2, grad_ulps=2, sample=away_from_kinks(0.0)),
    # mish: PyTorch's backward t + x s (1 - t^2) has 1 - t^2 exact only to ~eps ABSOLUTE, times
    # x s(x) ~ x while 1 - t^2 is not yet 0 (x up to ~9 in float32, ~18 in float64): measured 2.5
    # and 6.3 eps * max|grad_out| (ours is within 0.9 of a float64 evaluation); compare absolutely.
    # Values: at x < -708 (float64) the intermediate e^x is subnormal: measured 4.4 ulps there
    Elementwise("mish", _torch_f("mish"), grad_scale=8.0),
    # hardtanh / relu6: a max and a min, and a mask: nothing is rounded, identical results (the
    # kinks, where PyTorch's slope is 0, are compared exactly in tests/activations/test_hardtanh.py)
    *[
        Elementwise("hardtanh", _torch_f("hardtanh", min_val=lo, max_val=hi), kwargs={"min_val": lo, "max_val": hi},
                    label=f"{lo:g}_{hi:g}", ulps=0, grad_ulps=0, sample=away_from_kinks(lo, hi))
        for lo, hi in [(-1.0, 1.0), (-2.0, 0.5), (0.1, 0.1)]
    ],
    Elementwise("relu6", _torch_f("relu6"), ulps=0, grad_ulps=0, sample=away_from_kinks(0.0, 6.0)),
    # hardsigmoid / hardswish: the ramp min(max(x + 3, 0), 6), then x times it and / 6, in PyTorch's
    # order: identical values. PyTorch's hardsigmoid backward multiplies by float32(1/6) even in
    # float64 (2^-25 relative off); ours by 1/6 in the dtype: exact in float32, 2^-25 apart in float64
    Elementwise("hardsigmoid", _torch_f("hardsigmoid"), ulps=0, grad_ulps=0, grad_ref_rel=2.0**-25,
                sample=away_from_kinks(-3.0, 3.0)),
    Elementwise("hardswish", _torch_f("hardswish"), ulps=0, grad_ulps=0, sample=away_from_kinks(-3.0, 3.0)),
]

IDS = [entry.id for entry in ELEMENTWISE]
