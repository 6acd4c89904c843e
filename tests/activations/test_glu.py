"""glu / glu_backward and swiglu_ffn / swiglu_ffn_backward: hand values, axes, limits, bad shapes,
and PyTorch (values and gradients) in float32 and float64.

glu halves an axis, so it is not in the element-wise table (tests/activations/test_elementwise.py
lists it in NOT_ELEMENTWISE); everything it is checked by is here and in cases.py."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import glu, glu_backward, sigmoid, silu, swiglu_ffn, swiglu_ffn_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)


def test_hand_checked_values() -> None:
    # a = (1, 4), b = (0, ln 3): sigmoid(b) = (1/2, 3/4), so glu = (1/2, 3)
    x = [[1.0, 4.0, 0.0, math.log(3)]]
    np.testing.assert_allclose(glu(x), [[0.5, 3.0]], rtol=1e-15)
    # d/da = sigmoid(b) = (1/2, 3/4); d/db = a s(b) s(-b) = (1/4, 4 * 3/16 = 3/4); times grad_out (2, 1)
    np.testing.assert_allclose(glu_backward([[2.0, 1.0]], x), [[1.0, 0.75, 0.5, 0.75]], rtol=1e-15)
    # SwiGLU with d_model = 2, d_ff = 1: gate = ln 3, up = 2: silu(ln 3) * 2 = 1.5 ln 3, then (1, -1)
    y = swiglu_ffn([[math.log(3), 1.0]], [[1.0, 0.0]], [[0.0, 2.0]], [[1.0], [-1.0]])
    np.testing.assert_allclose(y, [[1.5 * math.log(3), -1.5 * math.log(3)]], rtol=1e-15)


@given(arrays(np.float64, (3, 4, 6), elements=finite))
def test_any_axis_is_the_last_axis_moved(x: np.ndarray) -> None:
    # halving axis k equals moving it last, halving there and moving it back: exactly
    for axis in (0, 2, -2):
        if x.shape[axis] % 2:
            continue
        moved = np.moveaxis(glu(np.moveaxis(x, axis, -1)), -1, axis)
        np.testing.assert_array_equal(glu(x, axis=axis), moved)
        g = np.ones_like(glu(x, axis=axis))
        back = np.moveaxis(glu_backward(np.moveaxis(g, axis, -1), np.moveaxis(x, axis, -1)), -1, axis)
        np.testing.assert_array_equal(glu_backward(g, x, axis=axis), back)


def test_the_gate_limits() -> None:
    # b -> +inf opens the gate fully (a passes), b -> -inf closes it (0): exactly, in the limit
    a = np.array([2.0, -3.0, np.inf])
    np.testing.assert_array_equal(glu(np.concatenate([a, np.full(3, np.inf)])), a)
    np.testing.assert_array_equal(glu(np.concatenate([a[:2], -np.full(2, np.inf)])), [0.0, -0.0])
    y = glu([np.nan, 1.0, 0.0, np.nan])
    assert np.isnan(y).all()


def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"x must have an even size along axis 1 .*\(2, 3\)"):
        glu(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"x must have at least one axis.*\(\)"):
        glu(1.0)
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        glu(np.ones((2, 2)), axis=2)
    with pytest.raises(TypeError, match="axis must be an integer"):
        glu(np.ones((2, 2)), axis=1.0)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2, 1\), got shape \(2, 2\)"):
        glu_backward(np.ones((2, 2)), np.ones((2, 2)))
    with pytest.raises(TypeError, match="x must be real-valued"):
        glu(np.ones(2) * 1j)
    w = np.ones((4, 3))
    with pytest.raises(ValueError, match=r"x must have shape \(\*, d_model\) = \(5, 3\) .*got \(5, 2\)"):
        swiglu_ffn(np.ones((5, 2)), w, w, w.T)
    with pytest.raises(ValueError, match=r"w_up must have shape \(d_ff, d_model\) = \(4, 3\).*got \(3, 4\)"):
        swiglu_ffn(np.ones((5, 3)), w, w.T, w.T)
    with pytest.raises(ValueError, match=r"w_down must have shape \(d_model, d_ff\) = \(3, 4\).*got \(4, 3\)"):
        swiglu_ffn_backward(np.ones((5, 3)), np.ones((5, 3)), w, w, w)
    with pytest.raises(ValueError, match=r"w_gate must have shape \(d_ff, d_model\), got shape \(4,\)"):
        swiglu_ffn(np.ones((5, 3)), np.ones(4), w, w.T)


def test_swiglu_is_a_glu_with_silu_on_the_projections() -> None:
    # the FFN's hidden layer is glu with the gate in the SECOND half and silu instead of sigmoid:
    # silu(g) * u = g sigmoid(g) u; check it against the two projections directly
    rng = np.random.default_rng(0)
    x, wg, wu, wd = rng.normal(size=(5, 4)), rng.normal(size=(6, 4)), rng.normal(size=(6, 4)), rng.normal(size=(4, 6))
    hidden = silu(x @ wg.T) * (x @ wu.T)
    np.testing.assert_allclose(swiglu_ffn(x, wg, wu, wd), hidden @ wd.T, rtol=1e-14)
    # glu on the concatenation [up, gate] with a silu gate is the same hidden layer
    cat = np.concatenate([x @ wu.T, x @ wg.T], axis=-1)
    np.testing.assert_allclose(glu(cat) * (x @ wg.T), hidden, rtol=1e-13)
    np.testing.assert_allclose(sigmoid(x @ wg.T) * (x @ wg.T) * (x @ wu.T), hidden, rtol=1e-13)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_glu_matches_torch(dtype, axis: int) -> None:
    torch = require("torch")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 6, 30)) * 10
    x[..., : EXTREMES.size] = EXTREMES  # the extremes in both halves of every axis
    x = x.astype(dtype)
    out_shape = list(x.shape)
    out_shape[axis] //= 2
    g = rng.normal(size=out_shape).astype(dtype)
    ref_y, (ref_dx,) = torch_forward_backward(lambda t: torch.nn.functional.glu(t, dim=axis), [x], g, wrt=[0])
    # a * sigmoid(b): one product of two correctly rounded factors (sigmoid within ~2 ulps)
    assert_matches(glu(x, axis), ref_y, dtype, ulps=4)
    # PyTorch's d/db is g a s (1 - s): 1 - s is exact only to ~eps ABSOLUTE, so where s is near 1
    # its relative error is large; ours uses s(b) s(-b). Compare absolutely, in units of
    # eps * |g a| (the size of the term being computed), and relatively for d/da
    a = np.split(x, 2, axis=axis)[0].astype(float)
    scale = np.concatenate([np.abs(g).astype(float), np.abs(g * a)], axis=axis)
    assert_matches(glu_backward(g, x, axis), ref_dx, dtype, ulps=4, scale=scale)


def ffn_inputs(dtype, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    d_model, d_ff = 8, 16
    x = rng.normal(size=(2, 3, d_model))
    wg, wu = rng.normal(size=(d_ff, d_model)) / math.sqrt(d_model), rng.normal(size=(d_ff, d_model)) / math.sqrt(d_model)
    wd = rng.normal(size=(d_model, d_ff)) / math.sqrt(d_ff)
    return tuple(v.astype(dtype) for v in (x, wg, wu, wd))


@pytest.mark.parametrize("dtype", DTYPES)
def test_swiglu_ffn_matches_torch(dtype) -> None:
    torch = require("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(2)
    args = ffn_inputs(dtype, rng)
    g = rng.normal(size=args[0].shape).astype(dtype)
    ref_y, ref_grads = torch_forward_backward(
        lambda x, wg, wu, wd: (F.silu(x @ wg.T) * (x @ wu.T)) @ wd.T, list(args), g, wrt=[0, 1, 2, 3]
    )
    # every output is a chain of dot products of length 8 or 16 (summation order differs between
    # numpy's BLAS and torch's), each rounding to ~d eps of the magnitude of its terms: compare in
    # units of eps times the largest |value| of that output, with 32 ulps (= 2 d_ff)
    ours = (swiglu_ffn(*args), *swiglu_ffn_backward(g, *args))
    for mine, ref in zip(ours, (ref_y, *ref_grads)):
        assert_matches(mine, ref, dtype, ulps=32, scale=float(np.max(np.abs(ref))))


def test_swiglu_ffn_keeps_leading_axes_and_dtype() -> None:
    args = ffn_inputs(np.float32, np.random.default_rng(3))
    y = swiglu_ffn(*args)
    assert y.shape == (2, 3, 8) and y.dtype == np.float32
    grads = swiglu_ffn_backward(np.ones_like(y), *args)
    assert [gr.shape for gr in grads] == [a.shape for a in args] and all(gr.dtype == np.float32 for gr in grads)
