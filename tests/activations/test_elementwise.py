"""The element-wise contract, run over tests/activations/elementwise.py's table (one line a function)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import snippets
from tests.activations.elementwise import ELEMENTWISE, IDS, Elementwise
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)
table = pytest.mark.parametrize("entry", ELEMENTWISE, ids=IDS)
with_backward = pytest.mark.parametrize("entry", [e for e in ELEMENTWISE if e.backward], ids=lambda e: e.id)


def functions(entry: Elementwise):
    """``x -> f(x, **kwargs)`` and ``(g, x) -> f_backward(g, x, **kwargs)`` (None without one)."""
    f = getattr(snippets, entry.fn)
    forward = lambda x: f(x, **entry.kwargs)  # noqa: E731
    if not entry.backward:
        return forward, None
    b = getattr(snippets, entry.fn + "_backward")
    return forward, lambda g, x: b(g, x, **entry.kwargs)


# public activations that are not unary element-wise functions, and why
NOT_ELEMENTWISE = {
    "softmax": "normalises along an axis",
    "log_softmax": "normalises along an axis",
    "activation_slope": "takes the name of an activation",
    "saturation_fraction": "reduces to one number",
    "alpha_dropout": "draws a random mask (tests/activations/test_selu.py)",
    "glu": "halves an axis (tests/activations/test_glu.py)",
    "swiglu_ffn": "a feed-forward block with three weight matrices (tests/activations/test_glu.py)",
    "prelu": "takes a weight, one slope per channel (tests/activations/test_prelu.py)",
}


def test_every_elementwise_activation_is_in_the_table() -> None:
    listed = {entry.fn for entry in ELEMENTWISE}
    public = {name for name in snippets.activations.__all__ if not name.endswith("_backward")}
    missing = public - listed - set(NOT_ELEMENTWISE)
    assert missing == set(), "add them to ELEMENTWISE in tests/activations/elementwise.py (or NOT_ELEMENTWISE)"
    for entry in ELEMENTWISE:
        assert (entry.fn + "_backward" in snippets.__all__) == entry.backward, entry.id


@table
def test_shape_is_kept_for_0d_and_empty(entry: Elementwise) -> None:
    f, f_backward = functions(entry)
    assert f(0.5).shape == ()
    assert f(np.zeros((2, 0))).shape == (2, 0)
    if f_backward:
        assert f_backward(1.0, 0.5).shape == ()
        assert f_backward(np.ones((0, 3)), np.zeros((0, 3))).shape == (0, 3)


@table
def test_forward_keeps_float32_gives_float64_otherwise_and_never_writes_x(entry: Elementwise) -> None:
    # (a backward gets the same checks from tests/test_conventions.py, through the entry's Case)
    f, _ = functions(entry)
    x = np.array([-2.0, 0.5, 3.0])
    x.setflags(write=False)  # an in-place write would raise
    assert f(x).dtype == np.float64 and f(x.astype(np.float32)).dtype == np.float32
    assert f([-2, 1]).dtype == np.float64 and f(np.array([-2, 1])).dtype == np.float64
    np.testing.assert_array_equal(x, [-2.0, 0.5, 3.0])


@table
@pytest.mark.parametrize("dtype", DTYPES)
@given(x=arrays(np.float64, st.integers(1, 30), elements=finite))
def test_finite_and_warning_free_up_to_1e4(entry: Elementwise, dtype, x: np.ndarray) -> None:
    # pytest turns every warning into an error, so an overflow inside would fail here too
    f, f_backward = functions(entry)
    x = x.astype(dtype)
    y = f(x)
    assert y.dtype == dtype and np.all(np.isfinite(y))
    if f_backward:
        g = f_backward(np.ones_like(x), x)
        assert g.dtype == dtype and np.all(np.isfinite(g))


@table
def test_nan_in_nan_out(entry: Elementwise) -> None:
    f, f_backward = functions(entry)
    y = f([np.nan, 1.0])
    assert np.isnan(y[0]) and np.isfinite(y[1])
    if f_backward:
        g = f_backward([1.0, 1.0], [np.nan, 1.0])
        assert np.isnan(g[0]) and np.isfinite(g[1])


@table
@pytest.mark.parametrize("bad", [np.array([1 + 2j]), np.array(["a"]), [None]], ids=["complex", "str", "None"])
def test_non_numeric_or_complex_x_is_a_type_error(entry: Elementwise, bad) -> None:
    f, f_backward = functions(entry)
    with pytest.raises(TypeError, match="x must be"):
        f(bad)
    if f_backward:
        with pytest.raises(TypeError, match="x must be"):
            f_backward(np.ones(1), bad)


@with_backward
def test_grad_out_shape_mismatch_names_both_shapes(entry: Elementwise) -> None:
    _, f_backward = functions(entry)
    with pytest.raises(ValueError, match=r"grad_out.*\(3,\).*\(2,\)"):
        f_backward(np.ones(2), np.zeros(3))


def reference_inputs(dtype) -> tuple[np.ndarray, np.ndarray]:
    """Random values up to ~40, the extremes, a dense grid over [-10, 10] and both zeros."""
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(size=985) * 10, EXTREMES, np.linspace(-10, 10, 201), [-0.0, 0.0]])
    return x.astype(dtype), rng.normal(size=x.shape).astype(dtype)


@table
@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch(entry: Elementwise, dtype) -> None:
    torch = require("torch")
    f, f_backward = functions(entry)
    x, grad_out = reference_inputs(dtype)
    ref_y, (ref_dx,) = torch_forward_backward(entry.reference(torch), [x], grad_out, wrt=[0])
    scale = entry.scale(x) if callable(entry.scale) else entry.scale
    assert_matches(f(x), ref_y, dtype, ulps=entry.ulps, scale=scale)
    if f_backward:
        g_scale = 1.0 if entry.grad_scale is None else entry.grad_scale * float(np.max(np.abs(grad_out)))
        g_ulps = entry.grad_ulps + entry.grad_ref_rel / np.finfo(dtype).eps
        assert_matches(f_backward(grad_out, x), ref_dx, dtype, ulps=g_ulps, scale=g_scale)
