"""cosine_similarity / normalize and their backwards: hand values, properties, stability, bad input,
PyTorch and scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import (
    cosine_similarity,
    cosine_similarity_backward,
    normalize,
    normalize_backward,
    numerical_gradient,
)
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)
pairs = st.integers(1, 5).flatmap(
    lambda d: st.tuples(arrays(np.float64, (3, d), elements=finite), arrays(np.float64, (3, d), elements=finite))
)


def test_hand_checked_values() -> None:
    # (1, 0) vs (0, 2): perpendicular, cos 90 deg = 0; (1, 1) vs (3, 3): same direction, 1;
    # (1, 0) vs (-2, 0): opposite, -1; (3, 4) vs (4, 3): 24 / 25
    x1 = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 0.0], [3.0, 4.0]])
    x2 = np.array([[0.0, 2.0], [3.0, 3.0], [-2.0, 0.0], [4.0, 3.0]])
    np.testing.assert_allclose(cosine_similarity(x1, x2), [0.0, 1.0, -1.0, 0.96], rtol=1e-15, atol=1e-16)
    # (1, 1) vs (1, 0): cos 45 deg = 1 / sqrt 2
    assert math.isclose(cosine_similarity([1.0, 1.0], [1.0, 0.0], axis=0), 1 / math.sqrt(2), rel_tol=1e-15)
    # a zero vector: both norms clamped at eps, the dot product is 0
    assert cosine_similarity([0.0, 0.0], [1.0, 2.0], axis=0) == 0.0
    # normalize: (3, 4) / 5; L1: (3, -1) / 4; p = 3: (1, 1) / 2^(1/3)
    np.testing.assert_allclose(normalize([[3.0, 4.0]]), [[0.6, 0.8]], rtol=1e-15)
    np.testing.assert_allclose(normalize([[3.0, -1.0]], p=1.0), [[0.75, -0.25]], rtol=1e-15)
    np.testing.assert_allclose(normalize([[1.0, 1.0]], p=3.0), [[2 ** (-1 / 3)] * 2], rtol=1e-15)
    # a vector shorter than eps is divided by eps: (1e-13, 0) / 1e-12 = (0.1, 0)
    np.testing.assert_allclose(normalize([[1e-13, 0.0]]), [[0.1, 0.0]], rtol=1e-15)


def test_backward_hand_values() -> None:
    # x1 = (1, 0), x2 = (0, 1): cos = 0, dcos/dx1 = v - cos u = (0, 1), dcos/dx2 = (1, 0)
    dx1, dx2 = cosine_similarity_backward(1.0, [1.0, 0.0], [0.0, 1.0], axis=0)
    np.testing.assert_allclose(dx1, [0.0, 1.0], atol=1e-16)
    np.testing.assert_allclose(dx2, [1.0, 0.0], atol=1e-16)
    # a zero x1 (clamped): cos = x1 . v / eps, so dcos/dx1 = v / eps and dcos/dx2 = 0
    dx1, dx2 = cosine_similarity_backward(1.0, [0.0, 0.0], [3.0, 4.0], axis=0)
    np.testing.assert_allclose(dx1, [0.6e8, 0.8e8], rtol=1e-15)
    np.testing.assert_array_equal(dx2, [0.0, 0.0])
    # normalize at (3, 4), g = (1, 0): (g - (g . y) y) / 5 = ((1, 0) - 0.6 (0.6, 0.8)) / 5
    np.testing.assert_allclose(normalize_backward([[1.0, 0.0]], [[3.0, 4.0]]), [[0.128, -0.096]], rtol=1e-14)


def test_broadcasting_and_shapes() -> None:
    rng = np.random.default_rng(0)
    query = rng.normal(size=(1, 4))
    keys = rng.normal(size=(6, 4))
    sims = cosine_similarity(query, keys)  # one row against a batch, as in PyTorch
    assert sims.shape == (6,)
    np.testing.assert_allclose(sims, [cosine_similarity(query[0], k, axis=0) for k in keys], rtol=1e-14)
    # all pairs through broadcasting (N, 1, D) x (1, M, D) -> (N, M)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(5, 4))
    assert cosine_similarity(a[:, None], b[None], axis=-1).shape == (3, 5)
    dq, dk = cosine_similarity_backward(np.ones(6), query, keys)
    assert dq.shape == (1, 4) and dk.shape == (6, 4)
    assert isinstance(cosine_similarity(a[0], b[0], axis=0), np.float64)
    assert cosine_similarity(np.zeros((0, 4)), np.zeros((0, 4))).shape == (0,)


@given(pairs, st.floats(0.01, 100), st.floats(0.01, 100))
def test_bounded_symmetric_and_scale_invariant(xy, s1: float, s2: float) -> None:
    x1, x2 = xy
    c = cosine_similarity(x1, x2)
    assert np.all(np.abs(c) <= 1 + 4e-16)  # a dot product of unit vectors
    np.testing.assert_array_equal(c, cosine_similarity(x2, x1))
    big = np.linalg.norm(x1, axis=1) * s1 > 1e-6  # away from the clamp, lengths do not matter
    big &= np.linalg.norm(x2, axis=1) * s2 > 1e-6
    np.testing.assert_allclose(cosine_similarity(s1 * x1, s2 * x2)[big], c[big], atol=1e-13)
    # the cosine is the dot product of the normalised vectors (with the same clamp eps)
    unit1, unit2 = normalize(x1, eps=1e-8), normalize(x2, eps=1e-8)
    np.testing.assert_allclose(np.sum(unit1 * unit2, axis=1), c, atol=1e-13)


@given(arrays(np.float64, (4, 3), elements=finite), st.sampled_from([1.0, 2.0, 3.0, 7.5]))
def test_normalize_gives_unit_norm(x: np.ndarray, p: float) -> None:
    y = normalize(x, p=p)
    norms = np.sum(np.abs(y) ** p, axis=1) ** (1 / p)
    long = np.sum(np.abs(x) ** p, axis=1) ** (1 / p) > 1e-12
    np.testing.assert_allclose(norms[long], 1.0, rtol=1e-13)
    # normalising twice changes nothing
    np.testing.assert_allclose(normalize(y, p=p)[long], y[long], rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("dtype", DTYPES)
@given(xy=pairs)
def test_stable_up_to_1e4(dtype, xy) -> None:
    x1, x2 = (a.astype(dtype) for a in xy)
    g = np.ones(3, dtype=dtype)
    for y in (cosine_similarity(x1, x2), *cosine_similarity_backward(g, x1, x2), normalize(x1),
              normalize(x1, p=5.0), normalize_backward(np.ones_like(x1), x1, p=5.0)):
        assert y.dtype == dtype and np.all(np.isfinite(y))


def test_large_p_and_tiny_vectors_do_not_overflow() -> None:
    # |x|^p with p = 50 overflows at 1e4 (1e200 ...) and underflows at 1e-8: the norm is scaled first
    x = np.array([[1e4, 1e4], [1e-8, 1e-8]])
    np.testing.assert_allclose(normalize(x, p=50.0), 2 ** (-1 / 50) * np.ones((2, 2)), rtol=1e-14)


def test_nan_and_inf() -> None:
    c = cosine_similarity([[np.nan, 1.0], [1.0, 1.0]], [[1.0, 1.0], [1.0, 1.0]])
    assert np.isnan(c[0]) and math.isclose(c[1], 1.0)
    # an infinite component: the norm is inf (as PyTorch), inf / inf is NaN, 1 / inf is 0
    np.testing.assert_array_equal(normalize([[np.inf, 1.0]]), [[np.nan, 0.0]])


def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"x1 and x2 must broadcast together, got shapes \(2, 3\) and \(2, 4\)"):
        cosine_similarity(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"axis 1 is out of range for an input of shape \(3,\)"):
        cosine_similarity(np.ones(3), np.ones(3))  # PyTorch's default dim=1 needs a batch
    with pytest.raises(ValueError, match="eps must be a finite number > 0, got 0"):
        cosine_similarity(np.ones((1, 3)), np.ones((1, 3)), eps=0)
    with pytest.raises(ValueError, match="p must be a finite number >= 1, got 0.5"):
        normalize(np.ones((2, 2)), p=0.5)
    with pytest.raises(ValueError, match=r"x must have at least one dimension"):
        normalize(3.0, axis=0)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2,\)"):
        cosine_similarity_backward(np.ones(3), np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(TypeError, match="x2 must be real-valued"):
        cosine_similarity(np.ones((1, 2)), np.array([[1j, 0]]))


def test_gradient_below_eps_is_the_gradient_of_the_value() -> None:
    # 0 < ||x1|| < eps: the forward is x1 . v / eps, linear in x1, and so is our gradient
    x1, x2 = np.array([1e-9, 2e-9, 0.0]), np.array([1.0, 0.0, 1.0])
    numeric = numerical_gradient(lambda a: cosine_similarity(a, x2, axis=0), x1, eps=1e-12)
    dx1, _ = cosine_similarity_backward(1.0, x1, x2, axis=0)
    np.testing.assert_allclose(dx1, numeric, rtol=1e-6)
    np.testing.assert_allclose(dx1, x2 / np.sqrt(2) / 1e-8, rtol=1e-15)


def extreme_rows(dtype, rng: np.random.Generator, d: int) -> np.ndarray:
    """Rows at several scales, rows of EXTREMES (mixed magnitudes 1e-8 ... 1e4), a zero row."""
    x = rng.normal(size=(10, d)) * rng.choice([1e-3, 1, 1e3], size=(10, 1))
    x[0] = EXTREMES[:d]
    x[1] = EXTREMES[::-1][:d]
    x[2] = 0.0  # clamped: both sides divide by eps and the gradient is g v / eps
    x[3, : d // 2] = 1e4
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cosine_similarity_matches_torch(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(1)
    x1, x2 = extreme_rows(dtype, rng, 15), extreme_rows(dtype, rng, 15)[::-1].copy()
    grad_out = rng.normal(size=10).astype(dtype)
    ref, (ref_d1, ref_d2) = torch_forward_backward(
        lambda a, b: torch.nn.functional.cosine_similarity(a, b, dim=1), [x1, x2], grad_out, wrt=[0, 1]
    )
    # a sum of 15 products of unit-vector components: a few roundings each, relative to |cos| <= 1
    assert_matches(cosine_similarity(x1, x2), ref, dtype, ulps=16)
    d1, d2 = cosine_similarity_backward(grad_out, x1, x2)
    # gradients are O(|g| / ||x||): relative agreement per row, scaled by that row's magnitude
    for ours, theirs, x in ((d1, ref_d1, x1), (d2, ref_d2, x2)):
        scale = np.abs(grad_out)[:, None] / np.maximum(np.linalg.norm(x.astype(np.float64), axis=1, keepdims=True), 1e-8)
        eps = np.finfo(dtype).eps
        assert ours.dtype == dtype
        assert np.all(np.abs(ours - theirs) <= 16 * eps * scale), np.max(np.abs(ours - theirs) / scale)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cosine_similarity_broadcast_matches_torch(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(2)
    x1, x2 = rng.normal(size=(3, 1, 6)).astype(dtype), rng.normal(size=(4, 6)).astype(dtype)
    grad_out = rng.normal(size=(3, 4)).astype(dtype)
    ref, (ref_d1, ref_d2) = torch_forward_backward(
        lambda a, b: torch.nn.functional.cosine_similarity(a, b, dim=-1), [x1, x2], grad_out, wrt=[0, 1]
    )
    assert_matches(cosine_similarity(x1, x2, axis=-1), ref, dtype, ulps=16)
    d1, d2 = cosine_similarity_backward(grad_out, x1, x2, axis=-1)
    # O(1) inputs and gradients summed over up to 4 broadcast copies
    assert_matches(d1, ref_d1, dtype, ulps=32, scale=4.0)
    assert_matches(d2, ref_d2, dtype, ulps=32, scale=4.0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("axis", [0, 1])
def test_normalize_matches_torch(dtype, p, axis) -> None:
    torch = require("torch")
    rng = np.random.default_rng(3)
    x = extreme_rows(dtype, rng, 15)
    x[4] = 1e-13  # shorter than eps = 1e-12 in every norm: divided by eps, gradient g / eps
    x = x if axis == 1 else x.T.copy()
    grad_out = rng.normal(size=x.shape).astype(dtype)
    ref, (ref_dx,) = torch_forward_backward(
        lambda t: torch.nn.functional.normalize(t, p=p, dim=axis), [x], grad_out, wrt=[0]
    )
    # the result has norm 1: each entry is a quotient of two rounded numbers, relative to 1
    assert_matches(normalize(x, p=p, axis=axis), ref, dtype, ulps=16)
    # the gradient is O(|g| / ||x||): compare relative to that per vector
    norm = np.sum(np.abs(x.astype(np.float64)) ** p, axis=axis, keepdims=True) ** (1 / p)
    scale = np.max(np.abs(grad_out), axis=axis, keepdims=True) / np.maximum(norm, 1e-12)
    ours = normalize_backward(grad_out, x, p=p, axis=axis)
    assert ours.dtype == dtype
    eps = np.finfo(dtype).eps
    assert np.all(np.abs(ours - ref_dx) <= 32 * eps * scale), np.max(np.abs(ours - ref_dx) / scale)


def test_all_pairs_match_sklearn() -> None:
    pairwise = require("sklearn.metrics.pairwise")
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(5, 7)), rng.normal(size=(6, 7))
    b[0] = 0.0  # scikit-learn also gives 0 for a zero vector
    ours = cosine_similarity(a[:, None, :], b[None, :, :], axis=-1)
    assert_matches(ours, pairwise.cosine_similarity(a, b), np.float64, ulps=16)
