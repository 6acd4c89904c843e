"""rms_norm / rms_norm_backward: hand values, properties, stability, bad input and PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from snippets import layer_norm, rms_norm, rms_norm_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

TINY = 1e-300  # an eps that vanishes next to every mean square below, so hand values are exact


# ---------------------------------------------------------------- hand-checked values
def test_forward_hand_values() -> None:
    # row 0 = (3, 4): mean square 12.5; row 1 = (1, -1): mean square 1, so it is unchanged;
    # the gain (2, -1) multiplies each feature
    y = rms_norm([[3.0, 4.0], [1.0, -1.0]], 2, weight=[2.0, -1.0], eps=TINY)
    r = math.sqrt(12.5)
    np.testing.assert_allclose(y, [[6 / r, -4 / r], [2.0, 1.0]], rtol=1e-15)


def test_default_eps_is_the_machine_epsilon_of_the_dtype() -> None:
    # x = (0, 0, 0, 2^-k): mean square 4^-k / 4; with eps = e, y_4 = 2^-k / sqrt(4^-k / 4 + e).
    # k = 11 makes 4^-k / 4 = 2^-24 comparable to float32's eps = 2^-23 and huge next to float64's
    x = np.array([0.0, 0.0, 0.0, 2.0**-11])
    for dtype, e in ((np.float32, 2.0**-23), (np.float64, 2.0**-52)):
        expected = 2.0**-11 / math.sqrt(2.0**-24 + e)
        assert_matches(rms_norm(x.astype(dtype), 4)[3], expected, dtype)
        assert rms_norm(x.astype(dtype), 4, eps=e)[3] == rms_norm(x.astype(dtype), 4)[3]
    # float32's eps matters here (2 / sqrt(3) ~ 1.1547 instead of 2); float64's only shifts the
    # result by 2 * (1 - 1 / sqrt(1 + 2^-28)) ~ 2^-28 = 3.7e-9
    assert abs(rms_norm(x.astype(np.float32), 4)[3] - 2 / math.sqrt(3)) < 1e-6
    assert 3e-9 < 2.0 - rms_norm(x, 4)[3] < 4e-9


def test_backward_hand_values() -> None:
    # x = (3, 4), r = sqrt(12.5), x_hat = (3, 4) / r, g = (1, 0): mean(g x_hat) = 3 / (2 r), so
    # dx = (g - x_hat * 3 / (2 r)) / r = ((1, 0) - (9, 12) / 25) / r = (16, -12) / (25 r);
    # dweight = g x_hat = (3 / r, 0)
    r = math.sqrt(12.5)
    dx, dw = rms_norm_backward([1.0, 0.0], [3.0, 4.0], 2, np.ones(2), eps=TINY)
    np.testing.assert_allclose(dx, np.array([16.0, -12.0]) / (25 * r), rtol=1e-15)
    np.testing.assert_allclose(dw, [3 / r, 0.0], rtol=1e-15)
    assert rms_norm_backward([1.0, 0.0], [3.0, 4.0], 2)[1] is None


def test_equals_layer_norm_for_zero_mean_rows() -> None:
    # with mean 0 the root mean square is the standard deviation
    x = np.random.default_rng(0).normal(size=(4, 6))
    x -= x.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(rms_norm(x, 6, eps=1e-5), layer_norm(x, 6, eps=1e-5), rtol=1e-13, atol=1e-15)


def test_normalized_shape_of_two_dims() -> None:
    # the (2, 2) block (1, 1, 1, 1) * c has rms |c|: each block becomes sign(c) * ones
    x = np.stack([np.full((2, 2), 5.0), np.full((2, 2), -0.25)])
    np.testing.assert_allclose(rms_norm(x, (2, 2), eps=TINY), np.sign(x), rtol=1e-15)


# ---------------------------------------------------------------- properties
def rows(elements=st.floats(-1e3, 1e3)):
    return arrays(np.float64, array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6), elements=elements)


@given(rows(st.floats(-1e3, 1e3).filter(lambda v: v == 0 or abs(v) > 1e-100)), st.floats(1e-3, 1e3))
def test_positive_scaling_changes_nothing(x: np.ndarray, s: float) -> None:
    # sqrt(mean((s x)^2)) = s sqrt(mean(x^2)): with eps negligible, y(s x) = y(x) to a few roundings
    # (eps = 1e-300 is negligible only next to mean squares far above it: no |x| below 1e-100)
    d = x.shape[-1]
    np.testing.assert_allclose(rms_norm(s * x, d, eps=TINY), rms_norm(x, d, eps=TINY), rtol=1e-14, atol=1e-14)


@given(rows())
def test_mean_square_of_the_output(x: np.ndarray) -> None:
    # mean(y^2) = ms / (ms + eps) with ms = mean(x^2): 1 unless the row is ~0
    d = x.shape[-1]
    ms = np.mean(x * x, axis=-1)
    eps = np.finfo(np.float64).eps
    np.testing.assert_allclose(np.mean(rms_norm(x, d) ** 2, axis=-1), ms / (ms + eps), rtol=1e-14, atol=1e-300)


@given(rows(st.floats(-100, 100)), st.data())
def test_backward_identities(x: np.ndarray, data) -> None:
    d = x.shape[-1]
    g = data.draw(arrays(np.float64, x.shape, elements=st.floats(-1, 1)))
    weight = np.linspace(-2, 2, d)
    dx, dw = rms_norm_backward(g, x, d, weight, eps=1e-6)
    # scaling a row along itself barely changes y: sum_j dx_j x_j = sum(ĝ x_hat) * eps / r^2, where
    # |sum(ĝ x_hat)| <= 2 * sqrt(d) * sqrt(d) (Cauchy-Schwarz, |x_hat| has norm <= sqrt(d))
    r2 = np.mean(x * x, axis=-1) + 1e-6
    np.testing.assert_array_less(np.abs(np.sum(dx * x, axis=-1)), 2 * d * 1e-6 / r2 + 1e-12)
    batch = tuple(range(x.ndim - 1))
    np.testing.assert_allclose(dw, (g * rms_norm(x, d, eps=1e-6)).sum(axis=batch), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@given(x=rows(st.floats(-1e4, 1e4)), data=st.data())
def test_stable_up_to_1e4(dtype, x: np.ndarray, data) -> None:
    d = x.shape[-1]
    weight = data.draw(arrays(np.float64, (d,), elements=st.floats(-1e4, 1e4))).astype(dtype)
    x = x.astype(dtype)
    for v in (rms_norm(x, d, weight), *rms_norm_backward(np.ones_like(x), x, d, weight)):
        assert v.dtype == dtype and np.all(np.isfinite(v))


@pytest.mark.parametrize("dtype", DTYPES)
def test_no_overflow_or_underflow_far_beyond_1e4(dtype) -> None:
    # x^2 would overflow above sqrt(max) (1.8e19 in float32) and vanish below sqrt(tiny); the
    # power-of-two scaling in _rms keeps every such row exact: (c, -c, c, c) -> (1, -1, 1, 1)
    big, small = np.finfo(dtype).max / 4, np.finfo(dtype).tiny * 1e3
    x = np.array([[big, -big, big, big], [small, -small, small, small]], dtype=dtype)
    np.testing.assert_allclose(rms_norm(x, 4, eps=TINY)[0], [1, -1, 1, 1], rtol=2 * np.finfo(dtype).eps)
    dx, _ = rms_norm_backward(np.ones_like(x), x, 4)
    assert np.all(np.isfinite(rms_norm(x, 4))) and np.all(np.isfinite(dx))
    # the small row is below sqrt(eps): eps dominates and y ~ x / sqrt(eps), tiny but not NaN
    assert np.all(np.abs(rms_norm(x, 4)[1]) < 1e-20)


@pytest.mark.parametrize("dtype", DTYPES)
def test_zero_row_gives_zero(dtype) -> None:
    x = np.zeros((2, 3), dtype)
    assert np.all(rms_norm(x, 3) == 0)
    dx, dw = rms_norm_backward(np.ones_like(x), x, 3, np.ones(3, dtype))
    # r = sqrt(eps), x_hat = 0: dx = g / sqrt(eps), dweight = 0
    assert_matches(dx, np.full((2, 3), 1 / math.sqrt(np.finfo(dtype).eps)), dtype)
    assert np.all(dw == 0)


def test_nan_poisons_its_row_only() -> None:
    x = np.array([[np.nan, 1.0], [2.0, 3.0]])
    y = rms_norm(x, 2)
    assert np.all(np.isnan(y[0])) and np.all(np.isfinite(y[1]))
    dx, dw = rms_norm_backward(np.ones_like(x), x, 2, np.ones(2))
    assert np.all(np.isnan(dx[0])) and np.all(np.isfinite(dx[1])) and np.all(np.isnan(dw))


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match=r"normalized_shape=\(2,\) must equal the last 1 dimension\(s\) of x"):
        rms_norm(x, 2)
    with pytest.raises(ValueError, match=r"weight must have shape normalized_shape = \(3,\) for x of shape \(2, 3\), got \(3, 1\)"):
        rms_norm(x, 3, np.ones((3, 1)))
    with pytest.raises(ValueError, match="eps must be a finite number > 0, got 0"):
        rms_norm(x, 3, eps=0.0)
    with pytest.raises(TypeError, match="eps must be a real number"):
        rms_norm(x, 3, eps="1e-5")
    with pytest.raises(TypeError, match="x must be numeric"):
        rms_norm(np.array([["a"]]), 1)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2, 3\)"):
        rms_norm_backward(np.ones(3), x, 3)


# ---------------------------------------------------------------- PyTorch
def torch_rms_norm(x, shape, w, g, eps=None):
    torch = require("torch")
    if w is None:
        y, (dx,) = torch_forward_backward(lambda a: torch.nn.functional.rms_norm(a, shape, None, eps), [x], g, [0])
        return y, dx, None
    y, (dx, dw) = torch_forward_backward(lambda a, b: torch.nn.functional.rms_norm(a, shape, b, eps), [x, w], g, [0, 1])
    return y, dx, dw


def extreme_rows(dtype, rng) -> np.ndarray:
    """4 rows of 15: the EXTREMES, +-1e4 spread, 1e4 + small noise, and values near 1e-3."""
    d = len(EXTREMES)
    return np.stack([EXTREMES, 1e4 * rng.normal(size=d), 1e4 + rng.normal(size=d), 1e-3 * rng.normal(size=d)]).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "norm"), [((8, 16), (16,)), ((2, 3, 4, 5), (4, 5))], ids=["ND", "N-L-HW"])
@pytest.mark.parametrize("eps", [None, 1e-6])
@pytest.mark.parametrize("affine", [True, False])
def test_matches_torch(dtype, shape, norm, eps, affine) -> None:
    rng = np.random.default_rng(3)
    x = (rng.normal(size=shape) * 3 + 1).astype(dtype)
    w = rng.normal(size=norm).astype(dtype) if affine else None
    g = rng.normal(size=shape).astype(dtype)
    y_t, dx_t, dw_t = torch_rms_norm(x, norm, w, g, eps)
    y = rms_norm(x, norm, w, eps)
    dx, dw = rms_norm_backward(g, x, norm, w, eps)
    # y = x / r * w: relative agreement, O(1) values; dx subtracts two terms of size |g w| / r
    # (r ~ 3 here), dweight sums <= 8 terms of size |g x_hat| <= 4 |g|
    assert_matches(y, y_t, dtype, scale=4)
    assert_matches(dx, dx_t, dtype, scale=4)
    if affine:
        assert_matches(dw, dw_t, dtype, scale=32)
    else:
        assert dw is None and dw_t is None


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch_at_extremes(dtype) -> None:
    rng = np.random.default_rng(4)
    x = extreme_rows(dtype, rng)
    d = x.shape[1]
    w = rng.normal(size=d).astype(dtype)
    g = rng.normal(size=x.shape).astype(dtype)
    y_t, dx_t, dw_t = torch_rms_norm(x, (d,), w, g)
    y = rms_norm(x, d, w)
    dx, dw = rms_norm_backward(g, x, d, w)
    x64 = x.astype(np.float64)
    r = np.sqrt(np.mean(x64 * x64, axis=1) + np.finfo(dtype).eps)
    for i in range(x.shape[0]):
        # y: each entry is x / r * w, relative; dx: two terms of size |g w| / r cancel
        assert_matches(y[i], y_t[i], dtype, scale=float(np.max(np.abs(w))))
        assert_matches(dx[i], dx_t[i], dtype, scale=float(np.max(np.abs(g[i] * w)) / r[i] * d))
    # dweight sums 4 rows of |g x_hat| <= sqrt(d) |g|
    assert_matches(dw, dw_t, dtype, scale=float(np.sum(np.abs(g), axis=0).max() * math.sqrt(d)))
