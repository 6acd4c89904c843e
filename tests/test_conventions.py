"""The rules every snippet follows, checked generically over tests/cases.py.

- ``f_backward`` agrees with central differences (one checker for every op);
- every ``_backward`` in the package has a case, so none escapes that check;
- inputs are never modified (they are passed read-only, so any in-place write raises);
- float32 in -> float32 out, float64 -> float64, ints and lists -> float64, for forward and
  backward alike; a scalar loss is a NumPy scalar of that dtype.
"""

from __future__ import annotations

import numpy as np
import pytest

import snippets
from site_tools.catalog import ROOT
from tests.cases import CASES, CHECKED_ELSEWHERE
from tests.gradcheck import Case, as_outputs, check_gradient


def forward_and_backward(case: Case):
    return getattr(snippets, case.fn), getattr(snippets, case.fn + "_backward")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backward_matches_finite_differences(case: Case, seed: int) -> None:
    f, f_backward = forward_and_backward(case)
    args = case.make(np.random.default_rng(seed))
    check_gradient(f, f_backward, args, case.wrt, case.kwargs, np.random.default_rng(seed + 100))


def test_every_backward_has_a_case() -> None:
    backwards = {name.removesuffix("_backward") for name in snippets.__all__ if name.endswith("_backward")}
    covered = {case.fn for case in CASES}
    for name, where in CHECKED_ELSEWHERE.items():
        path, test = where.split("::")
        source = (ROOT / path).read_text(encoding="utf-8")
        assert f"def {test}(" in source, f"{name}: {where} does not exist"
        assert f"{name}_backward" in source, f"{where} does not exercise {name}_backward"
        covered.add(name)
    assert backwards - covered == set(), "add these to tests/<family>/cases.py"
    assert covered - backwards == set(), "cases name functions without a public _backward"
    for name in backwards:
        assert name in snippets.__all__, f"{name}_backward is public but {name} is not"


def read_only(args: tuple) -> tuple:
    frozen = []
    for a in args:
        a = np.array(a)
        a.setflags(write=False)
        frozen.append(a)
    return tuple(frozen)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_inputs_are_never_modified(case: Case) -> None:
    f, f_backward = forward_and_backward(case)
    args = case.make(np.random.default_rng(0))
    originals = [np.array(a, copy=True) for a in args]
    frozen = read_only(args)
    grad_outs = read_only(tuple(np.ones(np.shape(o)) for o in as_outputs(f(*frozen, **case.kwargs))))
    f_backward(*grad_outs, *frozen, **case.kwargs)
    for before, after in zip(originals, frozen):
        np.testing.assert_array_equal(before, after)
    # and the caller's own (writable) arrays are untouched too
    f(*args, **case.kwargs)
    f_backward(*[np.ones(np.shape(g)) for g in grad_outs], *args, **case.kwargs)
    for before, after in zip(originals, args):
        np.testing.assert_array_equal(before, after)


def with_dtype(case: Case, args: tuple, convert) -> tuple:
    return tuple(convert(a) if i in case.wrt else a for i, a in enumerate(args))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
@pytest.mark.parametrize(
    ("convert", "expected"),
    [
        (lambda a: np.asarray(a, dtype=np.float32), np.float32),
        (lambda a: np.asarray(a, dtype=np.float64), np.float64),
        (lambda a: np.asarray(a).tolist(), np.float64),
        (lambda a: np.rint(a).astype(np.int64), np.float64),
    ],
    ids=["float32", "float64", "list", "int"],
)
def test_dtype_rules(case: Case, convert, expected) -> None:
    f, f_backward = forward_and_backward(case)
    args = with_dtype(case, case.make(np.random.default_rng(0)), convert)
    outputs = as_outputs(f(*args, **case.kwargs))
    for out in outputs:
        assert out.dtype == expected
        if np.ndim(out) == 0:
            assert isinstance(out, np.floating), f"a scalar result must be a NumPy scalar, got {type(out)}"
    grads = f_backward(*[np.ones(np.shape(o)) for o in outputs], *args, **case.kwargs)
    for g in grads if isinstance(grads, tuple) else (grads,):
        assert g.dtype == expected
