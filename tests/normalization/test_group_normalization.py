"""group_norm / group_norm_backward: hand values, properties, stability, bad input, exact
arithmetic and PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import group_norm, group_norm_backward, layer_norm, layer_norm_backward
from tests.normalization.shared import (
    assert_channels_match_exact,
    assert_results_match,
    extreme_groups,
    torch_norm_with_affine,
)
from tests.reference import DTYPES, assert_matches, require

TINY = 1e-300  # an eps that vanishes next to every variance below, so hand values are exact


# ---------------------------------------------------------------- hand-checked values
def test_forward_hand_values() -> None:
    # x of shape (1, 4, 2), 2 groups of 2 channels = 4 values each:
    # group 0 holds (0, 2, 4, 6): mean 3, variance (9 + 1 + 1 + 9) / 4 = 5 -> (-3, -1, 1, 3) / sqrt 5;
    # group 1 holds (1, 1, 1, 5): mean 2, variance (1 + 1 + 1 + 9) / 4 = 3 -> (-1, -1, -1, 3) / sqrt 3;
    # then channel c is scaled by weight[c] = (1, 2, 1, -1) and shifted by bias[c] = (0, 0, 1, 0.5)
    x = np.array([[[0.0, 2.0], [4.0, 6.0], [1.0, 1.0], [1.0, 5.0]]])
    y = group_norm(x, 2, weight=[1.0, 2.0, 1.0, -1.0], bias=[0.0, 0.0, 1.0, 0.5], eps=TINY)
    r5, r3 = 1 / math.sqrt(5), 1 / math.sqrt(3)
    expected = [[[-3 * r5, -r5], [2 * r5, 6 * r5], [1 - r3, 1 - r3], [0.5 + r3, 0.5 - 3 * r3]]]
    np.testing.assert_allclose(y, expected, rtol=1e-15, atol=1e-15)


def test_backward_hand_values() -> None:
    # one group of (1, 2, 3) laid out as 3 channels, weight 1, g = (1, 0, 0): layer norm's hand
    # case, x_hat = (-a, 0, a) with a = sqrt(3/2), mean(g) = 1/3, mean(g x_hat) = -a/3, so
    # dx = a (1/6, -1/3, 1/6); dweight = g x_hat per channel = (-a, 0, 0); dbias = g
    a = math.sqrt(1.5)
    dx, dw, db = group_norm_backward([[1.0, 0.0, 0.0]], [[1.0, 2.0, 3.0]], 1, np.ones(3), np.zeros(3), eps=TINY)
    np.testing.assert_allclose(dx, [a * np.array([1 / 6, -1 / 3, 1 / 6])], rtol=0, atol=1e-15)
    np.testing.assert_allclose(dw, [-a, 0.0, 0.0], rtol=1e-15)
    np.testing.assert_array_equal(db, [1.0, 0.0, 0.0])


def test_none_parameters_give_none_gradients() -> None:
    x, g = np.array([[1.0, 2.0, 4.0, 0.0]]), np.array([[0.5, -1.0, 2.0, 1.0]])
    dx, dw, db = group_norm_backward(g, x, 2)
    assert dw is None and db is None
    dx1, _, _ = group_norm_backward(g, x, 2, np.ones(4), np.zeros(4))  # no weight = weight 1
    np.testing.assert_array_equal(dx, dx1)
    assert group_norm_backward(g, x, 2, weight=np.ones(4))[2] is None
    assert group_norm_backward(g, x, 2, bias=np.zeros(4))[1] is None


def test_one_group_is_layer_norm_over_channels_and_space() -> None:
    # G = 1: each example normalised over (C, H, W) at once = layer_norm with normalized_shape
    # (C, H, W) and the per-channel weight broadcast over space
    rng = np.random.default_rng(0)
    x, w, b, g = rng.normal(size=(2, 3, 4, 2)), rng.normal(size=3), rng.normal(size=3), rng.normal(size=(2, 3, 4, 2))
    wf, bf = np.broadcast_to(w[:, None, None], (3, 4, 2)), np.broadcast_to(b[:, None, None], (3, 4, 2))
    np.testing.assert_allclose(group_norm(x, 1, w, b), layer_norm(x, (3, 4, 2), wf, bf), rtol=1e-14, atol=1e-14)
    ours, ref = group_norm_backward(g, x, 1, w, b), layer_norm_backward(g, x, (3, 4, 2), wf, bf)
    np.testing.assert_allclose(ours[0], ref[0], rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(ours[1], ref[1].sum(axis=(1, 2)), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(ours[2], ref[2].sum(axis=(1, 2)), rtol=1e-13, atol=1e-13)


def test_groups_are_consecutive_channels_of_one_example() -> None:
    # an example's output does not depend on the rest of the batch, and a group's output does
    # not depend on the other groups: channels (2, 3) alone, as one group, give the same values
    x = np.random.default_rng(1).normal(size=(5, 6, 3))
    y = group_norm(x, 3)
    np.testing.assert_array_equal(y[2], group_norm(x[2:3], 3)[0])
    np.testing.assert_allclose(y[:, 2:4], group_norm(x[:, 2:4], 1), rtol=1e-14, atol=1e-15)


def test_a_group_of_one_value_gives_the_bias() -> None:
    # as PyTorch: a single value is its own mean, x_hat = 0 / sqrt(eps) = 0, so y = bias
    y = group_norm([[3.0, -7.0]], 2, weight=[2.0, 2.0], bias=[0.5, -1.0])
    np.testing.assert_array_equal(y, [[0.5, -1.0]])
    dx, dw, db = group_norm_backward([[1.0, 2.0]], [[3.0, -7.0]], 2, [2.0, 2.0], [0.5, -1.0])
    np.testing.assert_array_equal(dx, [[0.0, 0.0]])
    np.testing.assert_array_equal(db, [1.0, 2.0])


def test_empty_batch_gives_empty_results() -> None:
    y = group_norm(np.zeros((0, 4, 3)), 2, np.ones(4), np.zeros(4))
    assert y.shape == (0, 4, 3)
    dx, dw, db = group_norm_backward(np.zeros((0, 4, 3)), np.zeros((0, 4, 3)), 2, np.ones(4), np.zeros(4))
    assert dx.shape == (0, 4, 3) and dw.tolist() == db.tolist() == [0.0] * 4


# ---------------------------------------------------------------- properties
@st.composite
def grouped_inputs(draw, elements=st.floats(-1e3, 1e3)):
    """x of shape (N, G * k, *spatial) with G groups, N <= 3, k <= 3, up to 2 spatial dims <= 3."""
    n, groups, k = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    spatial = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    shape = (n, groups * k, *spatial)
    if int(np.prod(shape[1:])) // groups < 2:
        spatial = (*spatial, 2)
        shape = (n, groups * k, *spatial)
    return draw(arrays(np.float64, shape, elements=elements)), groups


@given(grouped_inputs())
def test_each_group_is_standardised(data) -> None:
    x, groups = data
    rows = x.reshape(x.shape[0], groups, -1)
    y = group_norm(x, groups).reshape(rows.shape)
    var = rows.var(axis=2)
    # mean 0 and variance var / (var + eps), to rounding of at most 54 values
    np.testing.assert_allclose(y.mean(axis=2), 0.0, atol=1e-13)
    np.testing.assert_allclose(y.var(axis=2), var / (var + 1e-5), atol=1e-12)


@given(grouped_inputs(st.floats(-100, 100)), st.data())
def test_backward_identities(data, draw) -> None:
    x, groups = data
    c = x.shape[1]
    g = draw.draw(arrays(np.float64, x.shape, elements=st.floats(-1, 1)))
    weight, bias = np.linspace(-2, 2, c), np.zeros(c)
    dx, dw, db = group_norm_backward(g, x, groups, weight, bias)
    # y does not change when a whole group is shifted: dx sums to 0 over each group
    np.testing.assert_allclose(dx.reshape(x.shape[0], groups, -1).sum(axis=2), 0.0, atol=1e-9)
    sums = (0, *range(2, x.ndim))
    np.testing.assert_allclose(db, g.sum(axis=sums), rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(dw, (g * group_norm(x, groups)).sum(axis=sums), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=grouped_inputs(st.floats(-1e4, 1e4)), draw=st.data())
def test_stable_up_to_1e4(dtype, data, draw) -> None:
    # pytest turns warnings into errors: no overflow, no 0/0 even for constant groups
    x, groups = data
    c = x.shape[1]
    weight = draw.draw(arrays(np.float64, (c,), elements=st.floats(-1e4, 1e4))).astype(dtype)
    bias = draw.draw(arrays(np.float64, (c,), elements=st.floats(-1e4, 1e4))).astype(dtype)
    x = x.astype(dtype)
    for v in (group_norm(x, groups, weight, bias), *group_norm_backward(np.ones_like(x), x, groups, weight, bias)):
        assert v.dtype == dtype and np.all(np.isfinite(v))


@pytest.mark.parametrize("dtype", DTYPES)
def test_huge_inputs_give_the_standardised_values(dtype) -> None:
    # the variance of (big, 1, 2) overflows the dtype, its standard deviation does not: the
    # standardised values are (2, -1, -1) / sqrt 2 to rounding, as layer_norm's test derives
    big = 1e300 if dtype == np.float64 else 1e30
    x = np.array([[big, 1.0, 2.0, 2.0, 1.0, -big]], dtype=dtype)
    expected = np.array([[2.0, -1.0, -1.0, 1.0, 1.0, -2.0]]) / np.sqrt(2.0)
    assert_matches(group_norm(x, 2), expected, dtype)
    dx, dw, _ = group_norm_backward(np.ones_like(x), x, 2, np.ones(6, dtype), np.zeros(6, dtype))
    assert np.all(np.abs(dx) <= 8 * np.finfo(dtype).eps / big)  # a constant gradient: dx = 0
    assert_matches(dw, expected[0], dtype)


def test_nan_poisons_its_group_only() -> None:
    x = np.array([[np.nan, 1.0, 2.0, 3.0], [0.0, 2.0, 3.0, 4.0]])
    y = group_norm(x, 2)
    assert np.all(np.isnan(y[0, :2])) and np.all(np.isfinite(y[0, 2:])) and np.all(np.isfinite(y[1]))
    dx, dw, _ = group_norm_backward(np.ones_like(x), x, 2, np.ones(4), np.zeros(4))
    assert np.all(np.isnan(dx[0, :2])) and np.all(np.isfinite(dx[1])) and np.all(np.isfinite(dw[2:]))


# ---------------------------------------------------------------- bad input
def test_bad_shapes_and_types() -> None:
    x = np.ones((2, 6, 3))
    with pytest.raises(ValueError, match=r"num_groups must divide the number of channels C = 6 of x \(shape \(2, 6, 3\)\), got 4"):
        group_norm(x, 4)
    with pytest.raises(ValueError, match="num_groups must be an integer >= 1, got 0"):
        group_norm(x, 0)
    with pytest.raises(TypeError, match="num_groups must be an integer, got float"):
        group_norm(x, 2.0)
    with pytest.raises(ValueError, match=r"x must have shape \(N, C\) or \(N, C, \*spatial\), got shape \(6,\)"):
        group_norm(np.ones(6), 2)
    with pytest.raises(ValueError, match=r"weight must have shape \(C,\) = \(6,\) for x of shape \(2, 6, 3\), got \(3,\)"):
        group_norm(x, 2, weight=np.ones(3))
    with pytest.raises(ValueError, match=r"bias must have shape \(C,\) = \(6,\)"):
        group_norm_backward(x, x, 2, bias=np.ones((6, 1)))
    with pytest.raises(TypeError, match="x must be real-valued"):
        group_norm(x * 1j, 2)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2, 6, 3\)"):
        group_norm_backward(np.ones((2, 6)), x, 2)
    with pytest.raises(ValueError, match="eps must be a finite number > 0, got 0"):
        group_norm(x, 2, eps=0)


# ---------------------------------------------------------------- exact arithmetic
@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_exact_arithmetic_at_extreme_offsets(dtype) -> None:
    # each (example, group) row is layer_norm's exact case with that channel's weight: within a
    # few ulps (of the row's largest value) of rational arithmetic
    rng = np.random.default_rng(5)
    x = extreme_groups(dtype, rng)
    w, b = rng.normal(size=2).astype(dtype), rng.normal(size=2).astype(dtype)
    g = rng.normal(size=x.shape).astype(dtype)
    # with G = C each channel is its own group; dweight and dbias sum 75 terms per channel
    assert_channels_match_exact((group_norm(x, 2, w, b), *group_norm_backward(g, x, 2, w, b)), x, w, b, g, dtype)


# ---------------------------------------------------------------- PyTorch
def torch_group_norm(x, groups, w, b, g, eps=1e-5):
    torch = require("torch")
    return torch_norm_with_affine(lambda t, tw, tb: torch.nn.functional.group_norm(t, groups, tw, tb, eps), x, w, b, g)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "groups"), [((4, 6), 3), ((2, 6, 4, 5), 2), ((3, 4, 7), 4), ((2, 4, 3, 3), 1)],
                         ids=["NC", "NCHW-G2", "NCL-instance", "NCHW-layer"])
@pytest.mark.parametrize("affine", [True, False])
def test_matches_torch(dtype, shape, groups, affine) -> None:
    rng = np.random.default_rng(3)
    x = (rng.normal(size=shape) * 3 + 1).astype(dtype)
    c = shape[1]
    w = rng.normal(size=c).astype(dtype) if affine else None
    b = rng.normal(size=c).astype(dtype) if affine else None
    g = rng.normal(size=shape).astype(dtype)
    ref = torch_group_norm(x, groups, w, b, g)
    ours = (group_norm(x, groups, w, b), *group_norm_backward(g, x, groups, w, b))
    # y, dx: O(1) values (|x_hat| <= 4, |w| <= 4); dweight and dbias sum N * prod(spatial) <= 40
    # terms of size |g x_hat| <= 4 * 4 and |g| <= 4, relative to the largest: up to 40 * 16
    n = shape[0] * int(np.prod(shape[2:]))
    assert_results_match(ours, ref, dtype, (16, 16, 16 * n, 4 * n))


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch_at_extremes(dtype) -> None:
    rng = np.random.default_rng(4)
    x = extreme_groups(dtype, rng)
    w, b = rng.normal(size=2).astype(dtype), rng.normal(size=2).astype(dtype)
    g = rng.normal(size=x.shape).astype(dtype)
    y_t, dx_t, dw_t, db_t = torch_group_norm(x, 2, w, b, g)
    y, (dx, dw, db) = group_norm(x, 2, w, b), group_norm_backward(g, x, 2, w, b)
    x64 = x.astype(np.float64)
    sigma = np.sqrt(x64.var(axis=2) + 1e-5)
    # PyTorch rounds its mean to eps * |mean|, an error of eps * |x| / sigma in x_hat (up to
    # 1e4 / 3.2e-3 for a constant group); ours is checked against exact arithmetic above, so
    # these scales measure PyTorch's rounding, not ours (layer_norm's test argues the same)
    ratio = np.max(np.abs(x64), axis=2) / sigma
    for i in range(x.shape[0]):
        for c in range(2):
            assert_matches(y[i, c], y_t[i, c], dtype, scale=float(ratio[i, c] * abs(w[c]) + abs(b[c])))
            assert_matches(dx[i, c], dx_t[i, c], dtype,
                           scale=float(ratio[i, c] * abs(w[c]) * np.max(np.abs(g[i, c])) / sigma[i, c]))
    assert_matches(dw, dw_t, dtype, scale=float(np.max(np.sum(ratio[:, :, None] * np.abs(g), axis=(0, 2)))))
    assert_matches(db, db_t, dtype, scale=float(np.max(np.sum(np.abs(g), axis=(0, 2)))))
