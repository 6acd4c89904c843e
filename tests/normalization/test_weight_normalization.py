"""weight_norm / weight_norm_backward: hand values, properties, stability, bad input and PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from snippets import weight_norm, weight_norm_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward


def g_shape(shape: tuple[int, ...], axis: int | None) -> tuple[int, ...]:
    """PyTorch's layout of g: v's shape with 1 on every normalised axis; () for the whole tensor."""
    if axis is None:
        return ()
    return tuple(n if a == axis % len(shape) else 1 for a, n in enumerate(shape))


# ---------------------------------------------------------------- hand-checked values
def test_forward_hand_values() -> None:
    # rows (3, 4) and (5, 12) have norms 5 and 13: directions (0.6, 0.8) and (5, 12) / 13,
    # scaled to lengths 10 and -2
    w = weight_norm([[3.0, 4.0], [5.0, 12.0]], [[10.0], [-2.0]])
    np.testing.assert_allclose(w, [[6.0, 8.0], [-10 / 13, -24 / 13]], rtol=1e-15)
    # axis=1: one norm per column: (3, 5) has norm sqrt 34, (4, 12) has norm sqrt 160
    w = weight_norm([[3.0, 4.0], [5.0, 12.0]], [[1.0, 1.0]], axis=1)
    np.testing.assert_allclose(w, [[3 / math.sqrt(34), 4 / math.sqrt(160)], [5 / math.sqrt(34), 12 / math.sqrt(160)]], rtol=1e-15)
    # axis=None: one norm for everything, sqrt(9 + 16 + 25 + 144) = sqrt 194
    np.testing.assert_allclose(weight_norm([[3.0, 4.0], [5.0, 12.0]], 1.0, axis=None),
                               np.array([[3.0, 4.0], [5.0, 12.0]]) / math.sqrt(194), rtol=1e-15)


def test_backward_hand_values() -> None:
    # u = (0.6, 0.8), grad (1, 0): dg = 0.6, dv = g / ||v|| (grad - u dg) = 2 (0.64, -0.48)
    dv, dg = weight_norm_backward([[1.0, 0.0]], [[3.0, 4.0]], [[10.0]])
    np.testing.assert_allclose(dv, [[1.28, -0.96]], rtol=1e-15)
    np.testing.assert_allclose(dg, [[0.6]], rtol=1e-15)
    # a gradient along v itself changes only the length: dv = 0, dg = ||grad||
    dv, dg = weight_norm_backward([[0.3, 0.4]], [[3.0, 4.0]], [[10.0]])
    # (0.3, 0.4) - u * 0.5 cancels values of size 0.4 (a few ulps of 0.4 remain), times g / ||v|| = 2
    np.testing.assert_allclose(dv, [[0.0, 0.0]], atol=8 * 0.4 * 2 * np.finfo(float).eps)
    np.testing.assert_allclose(dg, [[0.5]], rtol=1e-15)


def test_one_dimensional_v_normalises_each_entry() -> None:
    # axis=0 on a vector: every slice is one number, its direction its sign (as torch._weight_norm)
    np.testing.assert_array_equal(weight_norm([3.0, -0.5], [2.0, 2.0]), [2.0, -2.0])


# ---------------------------------------------------------------- properties
@st.composite
def weights(draw, elements=st.floats(1e-3, 100) | st.floats(-100, -1e-3)):
    shape = draw(array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    axis = draw(st.sampled_from([None, *range(-len(shape), len(shape))]))
    v = draw(arrays(np.float64, shape, elements=elements))
    g = draw(arrays(np.float64, g_shape(shape, axis), elements=st.floats(-10, 10)))
    return v, g, axis


def norms(w: np.ndarray, axis: int | None) -> np.ndarray:
    if axis is None:
        return np.sqrt(np.sum(w * w)).reshape(())
    axes = tuple(a for a in range(w.ndim) if a != axis % w.ndim)
    return np.sqrt(np.sum(w * w, axis=axes, keepdims=True))


@given(weights())
def test_each_slice_has_norm_g(data) -> None:
    v, g, axis = data
    np.testing.assert_allclose(norms(weight_norm(v, g, axis), axis), np.abs(g), rtol=1e-14, atol=1e-14)


@given(weights(), st.floats(0.01, 100))
def test_scaling_v_changes_nothing(data, s) -> None:
    # w depends on v only through its direction; and dv scales by 1/s (the norm is s times larger)
    v, g, axis = data
    np.testing.assert_allclose(weight_norm(s * v, g, axis), weight_norm(v, g, axis), rtol=1e-13, atol=1e-13)
    grad = np.ones_like(v)
    dv, dg = weight_norm_backward(grad, v, g, axis)
    dv_s, dg_s = weight_norm_backward(grad, s * v, g, axis)
    np.testing.assert_allclose(dg_s, dg, rtol=1e-12, atol=1e-12)
    # dv is of size |g| / ||v|| times |grad| = 1 per entry, and a cancellation inside the bracket
    # leaves rounding noise of eps times that size: compare in units of |g| / ||v|| (+1 for g = 0)
    unit = (np.abs(g) + 1) / norms(v, axis)
    np.testing.assert_allclose(dv_s * s / unit, dv / unit, rtol=1e-10, atol=1e-10 * np.sqrt(v.size))


@given(weights(), st.data())
def test_dv_is_orthogonal_to_v(data, draw) -> None:
    # the gradient in v has no component along v (each slice): steps keep ||v|| to first order
    v, g, axis = data
    grad = draw.draw(arrays(np.float64, v.shape, elements=st.floats(-1, 1)))
    dv, _ = weight_norm_backward(grad, v, g, axis)
    axes = tuple(range(v.ndim)) if axis is None else tuple(a for a in range(v.ndim) if a != axis % v.ndim)
    scale = np.sum(np.abs(dv * v), axis=axes) + 1e-300
    assert np.all(np.abs(np.sum(dv * v, axis=axes)) <= 1e-12 * scale + 1e-13)


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=weights(st.floats(1e-3, 1e4) | st.floats(-1e4, -1e-3)))
def test_stable_up_to_1e4(dtype, data) -> None:
    v, g, axis = data
    v, g = v.astype(dtype), (g * 1e3).astype(dtype)
    for out in (weight_norm(v, g, axis), *weight_norm_backward(np.ones_like(v), v, g, axis)):
        assert out.dtype == dtype and np.all(np.isfinite(out))


@pytest.mark.parametrize("dtype", DTYPES)
def test_huge_and_tiny_v(dtype) -> None:
    # ||v|| is formed without squaring: 1e300 (1e30 in float32) and 1e-300 rows still give the
    # direction (0.6, 0.8); the naive sqrt(sum(v^2)) would be inf or 0 (the square underflows)
    big = 1e300 if dtype == np.float64 else 1e30
    small = 1e-300 if dtype == np.float64 else 1e-35  # normal numbers: full relative precision
    v = np.array([[3 * big, 4 * big], [3 * small, 4 * small]], dtype=dtype)
    assert_matches(weight_norm(v, np.ones((2, 1), dtype)), [[0.6, 0.8], [0.6, 0.8]], dtype, ulps=8)
    dv, dg = weight_norm_backward(np.ones_like(v), v, np.ones((2, 1), dtype))
    assert_matches(dg, [[1.4], [1.4]], dtype)
    assert np.all(np.isfinite(dv[0]))


def test_subnormal_v_still_has_a_direction() -> None:
    # ||v|| = 5e-324: v / ||v|| = 1 exactly, so w = g, finite (g / ||v|| would overflow first)
    np.testing.assert_array_equal(weight_norm([[5e-324]], [[3.0]]), [[3.0]])


def test_nan_propagates_to_its_slice() -> None:
    w = weight_norm([[np.nan, 1.0], [3.0, 4.0]], [[1.0], [1.0]])
    assert np.isnan(w[0]).all() and np.isfinite(w[1]).all()


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    v = np.ones((3, 4))
    with pytest.raises(ValueError, match=r"g must have shape v.shape with 1 on every normalised axis = \(3, 1\) for v of shape \(3, 4\) and axis=0, got \(3,\)"):
        weight_norm(v, np.ones(3))
    with pytest.raises(ValueError, match=r"= \(1, 4\) for v of shape \(3, 4\) and axis=-1, got \(3, 1\)"):
        weight_norm(v, np.ones((3, 1)), axis=-1)
    with pytest.raises(ValueError, match=r"g must have shape \(\) = \(\) for v of shape \(3, 4\) and the whole tensor, got \(1, 1\)"):
        weight_norm(v, np.ones((1, 1)), axis=None)
    with pytest.raises(ValueError, match=r"v has a slice of zeros at index \[1, 0\]"):
        weight_norm(np.array([[1.0, 2.0], [0.0, 0.0]]), np.ones((2, 1)))
    with pytest.raises(ValueError, match=r"axis 2 is out of range for an input of shape \(3, 4\)"):
        weight_norm(v, np.ones((3, 1)), axis=2)
    with pytest.raises(TypeError, match="axis must be an integer, got float"):
        weight_norm(v, np.ones((3, 1)), axis=0.0)
    with pytest.raises(TypeError, match="v must be real-valued"):
        weight_norm(v * 1j, np.ones((3, 1)))
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(3, 4\)"):
        weight_norm_backward(np.ones((4, 3)), v, np.ones((3, 1)))


# ---------------------------------------------------------------- PyTorch
CONFIGS = [((8, 5), 0), ((4, 3, 3, 3), 0), ((8, 5), 1), ((6, 5), None), ((7,), 0), ((2, 3, 4), 2)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "axis"), CONFIGS, ids=[f"{s}-{a}" for s, a in CONFIGS])
def test_matches_torch(dtype, shape, axis) -> None:
    torch = require("torch")
    rng = np.random.default_rng(0)
    v = rng.normal(size=shape).astype(dtype)
    g = rng.normal(size=g_shape(shape, axis)).astype(dtype)
    grad = rng.normal(size=shape).astype(dtype)
    # PyTorch's dim=-1 means "the whole tensor" in _weight_norm (what dim=None becomes)
    dim = -1 if axis is None else axis
    w_t, (dv_t, dg_t) = torch_forward_backward(lambda a, b: torch._weight_norm(a, b, dim), [v, g], grad, wrt=[0, 1])
    w = weight_norm(v, g, axis)
    dv, dg = weight_norm_backward(grad, v, g, axis)
    # |w| <= |g| <= 4; dv of size |g| / ||v|| * 2 |grad| and dg a sum of up to 30 terms |grad u|:
    # relative to the largest term (a few ulps each, plus the sum's rounding)
    n = int(np.prod(shape)) // max(int(np.prod(g.shape)), 1)
    assert_matches(w, w_t, dtype, scale=4)
    assert_matches(dv, dv_t, dtype, scale=float(np.max(np.abs(g) / norms(v.astype(np.float64), axis))) * 8)
    assert_matches(dg, dg_t, dtype, scale=4 * n)


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch_at_extremes(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(1)
    # rows mixing 1e4 with 1e-8 and 0, and rows of one large entry: norms dominated by few terms
    v = np.stack([EXTREMES, EXTREMES[::-1], np.where(np.abs(EXTREMES) > 500, 0.0, EXTREMES),
                  rng.choice(EXTREMES, size=15)]).astype(dtype)
    g = rng.normal(size=(4, 1)).astype(dtype)
    grad = rng.normal(size=v.shape).astype(dtype)
    w_t, (dv_t, dg_t) = torch_forward_backward(lambda a, b: torch._weight_norm(a, b, 0), [v, g], grad, wrt=[0, 1])
    nv = norms(v.astype(np.float64), 0)
    # w = g v / ||v||: a few ulps of |g|; dv: of |g| |grad| / ||v|| per row; dg: a sum of 15 terms
    assert_matches(weight_norm(v, g), w_t, dtype, scale=float(np.max(np.abs(g))))
    dv, dg = weight_norm_backward(grad, v, g)
    for i in range(4):
        assert_matches(dv[i], dv_t[i], dtype, scale=float(abs(g[i, 0]) * 4 * np.max(np.abs(grad[i])) / nv[i, 0]))
    assert_matches(dg, dg_t, dtype, scale=float(np.max(np.sum(np.abs(grad), axis=1))))
