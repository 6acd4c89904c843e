"""layer_norm / layer_norm_backward: hand values, properties, stability, bad input, exact
arithmetic and PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from snippets import batch_norm, layer_norm, layer_norm_backward
from tests.normalization.shared import assert_results_match, exact_layer_norm, extreme_rows, torch_norm_with_affine
from tests.reference import DTYPES, assert_matches, require

A = math.sqrt(1.5)  # 1 / sqrt(2/3): the inverse standard deviation of (1, 2, 3)
TINY = 1e-300  # an eps that vanishes next to every variance below, so hand values are exact


# ---------------------------------------------------------------- hand-checked values
def test_forward_hand_values() -> None:
    # row 0 = (1, 2, 3): mean 2, biased variance 2/3, x_hat = (-1, 0, 1) * sqrt(3/2)
    # row 1 = (10, 10, 40): mean 20, centred (-10, -10, 20), variance 600/3 = 200,
    #   x_hat = (-1, -1, 2) / sqrt(2); weight (2, 1, -1) and bias (0.5, 0, 1) act per feature
    x = np.array([[1.0, 2.0, 3.0], [10.0, 10.0, 40.0]])
    y = layer_norm(x, 3, weight=[2.0, 1.0, -1.0], bias=[0.5, 0.0, 1.0], eps=TINY)
    r = 1 / math.sqrt(2)
    expected = np.array([[-2 * A + 0.5, 0.0, -A + 1.0], [-2 * r + 0.5, -r, -2 * r + 1.0]])
    np.testing.assert_allclose(y, expected, rtol=1e-15, atol=1e-15)


def test_normalized_shape_of_two_dims() -> None:
    # (2, 2) normalises the four values of each (2, 2) block together: (0, 2, 4, 6) has mean 3 and
    # variance (9 + 1 + 1 + 9) / 4 = 5, so x_hat = (-3, -1, 1, 3) / sqrt(5)
    x = np.arange(8.0).reshape(2, 2, 2) * 2
    y = layer_norm(x, (2, 2), eps=TINY)
    np.testing.assert_allclose(y, np.tile([[-3, -1], [1, 3]], (2, 1, 1)) / math.sqrt(5), rtol=1e-15)


def test_backward_hand_values() -> None:
    # x = (1, 2, 3), weight 1, g = (1, 0, 0): as for batch norm over one channel,
    # x_hat = (-a, 0, a), mean(g) = 1/3, mean(g x_hat) = -a/3, so
    # dx = a (g - 1/3 + x_hat a / 3) = a (1/6, -1/3, 1/6); dweight = g x_hat = (-a, 0, 0); dbias = g
    dx, dw, db = layer_norm_backward([1.0, 0.0, 0.0], [1.0, 2.0, 3.0], 3, np.ones(3), np.zeros(3), eps=TINY)
    np.testing.assert_allclose(dx, A * np.array([1 / 6, -1 / 3, 1 / 6]), rtol=0, atol=1e-15)
    np.testing.assert_allclose(dw, [-A, 0.0, 0.0], rtol=1e-15)
    np.testing.assert_array_equal(db, [1.0, 0.0, 0.0])


def test_none_parameters_give_none_gradients() -> None:
    x, g = np.array([[1.0, 2.0, 4.0]]), np.array([[0.5, -1.0, 2.0]])
    dx, dw, db = layer_norm_backward(g, x, 3)
    assert dw is None and db is None
    # no weight is the same as weight 1 (and the bias never enters dx)
    dx1, _, _ = layer_norm_backward(g, x, 3, np.ones(3), np.zeros(3))
    np.testing.assert_array_equal(dx, dx1)
    _, dw, db = layer_norm_backward(g, x, 3, weight=np.ones(3))
    assert dw is not None and db is None
    _, dw, db = layer_norm_backward(g, x, 3, bias=np.zeros(3))
    assert dw is None and db is not None


def test_is_batch_norm_of_the_transpose() -> None:
    # layer norm over D of an (N, D) array = batch norm over N of its (D, N) transpose
    x = np.random.default_rng(0).normal(size=(4, 6))
    np.testing.assert_allclose(layer_norm(x, 6), batch_norm(x.T, np.ones(4), np.zeros(4)).T, rtol=1e-13, atol=1e-15)


def test_each_example_is_normalised_on_its_own() -> None:
    # unlike batch norm, an example's output does not depend on the rest of the batch
    x = np.random.default_rng(1).normal(size=(5, 7))
    np.testing.assert_array_equal(layer_norm(x, 7)[2], layer_norm(x[2:3], 7)[0])


# ---------------------------------------------------------------- properties
def rows(elements=st.floats(-1e3, 1e3)):
    return arrays(np.float64, array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6), elements=elements)


@given(rows())
def test_each_row_is_standardised(x: np.ndarray) -> None:
    y = layer_norm(x, x.shape[-1])
    var = x.var(axis=-1, keepdims=True)
    # mean 0 and variance var / (var + eps); x_hat is exact to a few eps * sqrt(D), D <= 6
    np.testing.assert_allclose(y.mean(axis=-1), 0.0, atol=1e-13)
    np.testing.assert_allclose(y.var(axis=-1, keepdims=True), var / (var + 1e-5), atol=1e-12)


@given(rows(st.floats(-100, 100)), st.floats(-100, 100), st.floats(0.5, 100))
def test_shift_and_scale_of_a_row_change_nothing(x: np.ndarray, b: float, s: float) -> None:
    # (s x + b) - mean = s (x - mean): with eps negligible (TINY) the output is unchanged. Computing
    # s x + b rounds by <= 1.2e-16 * (100 s + 100) <= 1.2e-16 * 300 s; divided by s * sigma, where a
    # row of D <= 6 values with spread > 1e-3 has sigma >= spread / sqrt(2 D) > 2.8e-4, that is
    # < 1.3e-10 (rows with less spread are all rounding noise and are skipped)
    spread = x.max(axis=-1) - x.min(axis=-1)
    keep = spread > 1e-3
    y, y2 = layer_norm(x, x.shape[-1], eps=TINY), layer_norm(s * x + b, x.shape[-1], eps=TINY)
    # the rounding of s x + b (<= 2.3e-14 * (100 s + 100)) divided by s * sigma, sigma >= spread / D
    np.testing.assert_allclose(y2[keep], y[keep], atol=1e-8)


@given(rows(st.floats(-100, 100)), st.data())
def test_backward_identities(x: np.ndarray, data) -> None:
    d = x.shape[-1]
    g = data.draw(arrays(np.float64, x.shape, elements=st.floats(-1, 1)))
    weight, bias = np.linspace(-2, 2, d), np.zeros(d)
    dx, dw, db = layer_norm_backward(g, x, d, weight, bias)
    # y does not change when a row is shifted, so dx sums to 0 along each row
    np.testing.assert_allclose(dx.sum(axis=-1), 0.0, atol=1e-9)
    # y = weight x_hat + bias: dbias = sum over the batch of g, dweight = sum of g x_hat
    batch = tuple(range(x.ndim - 1))
    np.testing.assert_allclose(db, g.sum(axis=batch), rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(dw, (g * layer_norm(x, d)).sum(axis=batch), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@given(x=rows(st.floats(-1e4, 1e4)), data=st.data())
def test_stable_up_to_1e4(dtype, x: np.ndarray, data) -> None:
    # pytest turns every warning into an error: no overflow, no 0/0 even for constant rows
    d = x.shape[-1]
    weight = data.draw(arrays(np.float64, (d,), elements=st.floats(-1e4, 1e4))).astype(dtype)
    bias = data.draw(arrays(np.float64, (d,), elements=st.floats(-1e4, 1e4))).astype(dtype)
    x = x.astype(dtype)
    outputs = [layer_norm(x, d, weight, bias), *layer_norm_backward(np.ones_like(x), x, d, weight, bias)]
    for v in outputs:
        assert v.dtype == dtype and np.all(np.isfinite(v))


@pytest.mark.parametrize("dtype", DTYPES)
def test_constant_row_gives_bias_and_finite_gradients(dtype) -> None:
    x = np.full((2, 4), 5e3, dtype=dtype)
    x[1] = [1, 2, 3, 4]
    w, b = np.array([3.0, 1.0, 2.0, 1.0], dtype), np.array([0.25, 0.0, 1.0, -1.0], dtype)
    y = layer_norm(x, 4, w, b)
    # variance 0: x - mean = 0 exactly, so y = bias; eps keeps 0 / sqrt(0 + eps) finite
    np.testing.assert_array_equal(y[0], b)
    dx, dw, db = layer_norm_backward(np.ones_like(x), x, 4, w, b)
    assert all(np.all(np.isfinite(v)) for v in (dx, dw, db))


@pytest.mark.parametrize("dtype", DTYPES)
def test_huge_inputs_give_the_standardised_values(dtype) -> None:
    # |x| up to 1e300 (1e30 in float32): the variance overflows the dtype, but the standard
    # deviation does not. With var = inf the output used to be 0 (x - mean) / inf (PyTorch gives
    # NaN); scale-invariance says it is the standardised (1e300, 1, 2) = (sqrt 2, -1/sqrt 2, -1/sqrt 2)
    # to rounding, eps being 1e-605 of the variance
    big = 1e300 if dtype == np.float64 else 1e30
    x = np.array([[big, 1.0, 2.0], [2.0, 1.0, -big]], dtype=dtype)
    expected = np.array([[2.0, -1.0, -1.0], [1.0, 1.0, -2.0]]) / np.sqrt(2.0)
    assert_matches(layer_norm(x, 3), expected, dtype)
    dx, dw, db = layer_norm_backward(np.ones_like(x), x, 3, np.ones(3, dtype), np.zeros(3, dtype))
    # a constant upstream gradient: dx = 0 exactly in exact arithmetic; dweight = sum of x_hat
    assert np.all(np.abs(dx) <= 8 * np.finfo(dtype).eps / big)
    assert_matches(dw, expected.sum(axis=0), dtype)


def test_nan_poisons_its_row_only() -> None:
    x = np.array([[np.nan, 1.0, 2.0], [0.0, 2.0, 3.0]])
    y = layer_norm(x, 3)
    assert np.all(np.isnan(y[0])) and np.all(np.isfinite(y[1]))
    dx, dw, _ = layer_norm_backward(np.ones_like(x), x, 3, np.ones(3), np.zeros(3))
    assert np.all(np.isnan(dx[0])) and np.all(np.isfinite(dx[1])) and np.all(np.isnan(dw))


# ---------------------------------------------------------------- bad input
def test_bad_shapes_and_types() -> None:
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match=r"normalized_shape=\(4,\) must equal the last 1 dimension\(s\) of x: expected x of shape \(\*, 4\), got \(2, 3\)"):
        layer_norm(x, 4)
    with pytest.raises(ValueError, match=r"normalized_shape=\(1, 2, 3\) must equal the last 3"):
        layer_norm(x, (1, 2, 3))
    with pytest.raises(ValueError, match="normalized_shape must name at least one dimension"):
        layer_norm(x, ())
    with pytest.raises(TypeError, match="normalized_shape must be an int or a tuple of ints, got 3.0"):
        layer_norm(x, 3.0)
    with pytest.raises(TypeError, match="normalized_shape must be an int or a tuple of ints"):
        layer_norm(x, (True,))
    with pytest.raises(ValueError, match=r"weight must have shape normalized_shape = \(3,\) for x of shape \(2, 3\), got \(2,\)"):
        layer_norm(x, 3, weight=np.ones(2))
    with pytest.raises(ValueError, match=r"bias must have shape normalized_shape = \(3,\)"):
        layer_norm_backward(x, x, 3, bias=np.ones((1, 3)))
    with pytest.raises(TypeError, match="x must be real-valued"):
        layer_norm(x * 1j, 3)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2, 3\)"):
        layer_norm_backward(np.ones((3, 2)), x, 3)
    with pytest.raises(ValueError, match="eps must be a finite number > 0, got 0"):
        layer_norm(x, 3, eps=0)


# ---------------------------------------------------------------- exact arithmetic
@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_exact_arithmetic_at_extreme_offsets(dtype) -> None:
    # the shifted two-pass statistics keep every digit the input has: even for 1e4 + 1e-2 noise
    # each result is within a few ulps (of the largest value in its row) of the exact value
    rng = np.random.default_rng(5)
    x = extreme_rows(dtype, rng)
    d = x.shape[1]
    w, b = rng.normal(size=d).astype(dtype), rng.normal(size=d).astype(dtype)
    g = rng.normal(size=x.shape).astype(dtype)
    y_ex, dx_ex, dw_ex, db_ex = exact_layer_norm(x, w, b, g, 1e-5)
    y = layer_norm(x, d, w, b)
    dx, dw, db = layer_norm_backward(g, x, d, w, b)
    for i in range(x.shape[0]):  # dx differs by 1e6 in size between rows: one scale for each
        assert_matches(y[i], y_ex[i], dtype, scale=float(np.max(np.abs(y_ex[i]))))
        assert_matches(dx[i], dx_ex[i], dtype, scale=float(np.max(np.abs(dx_ex[i]))))
    # dweight and dbias are sums over 5 rows of terms of size |g x_hat| <= 4 |g| and |g|
    assert_matches(dw, dw_ex, dtype, scale=float(np.max(np.sum(np.abs(g), axis=0))) * 4)
    assert_matches(db, db_ex, dtype, scale=float(np.max(np.sum(np.abs(g), axis=0))))


# ---------------------------------------------------------------- PyTorch
def torch_layer_norm(x, shape, w, b, g, eps=1e-5):
    torch = require("torch")
    return torch_norm_with_affine(lambda t, tw, tb: torch.nn.functional.layer_norm(t, shape, tw, tb, eps), x, w, b, g)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "norm"), [((8, 16), (16,)), ((2, 3, 4, 5), (4, 5))], ids=["ND", "N-L-HW"])
@pytest.mark.parametrize("affine", [True, False])
def test_matches_torch(dtype, shape, norm, affine) -> None:
    rng = np.random.default_rng(3)
    x = (rng.normal(size=shape) * 3 + 1).astype(dtype)
    w = rng.normal(size=norm).astype(dtype) if affine else None
    b = rng.normal(size=norm).astype(dtype) if affine else None
    g = rng.normal(size=shape).astype(dtype)
    ref = torch_layer_norm(x, norm, w, b, g)
    ours = (layer_norm(x, norm, w, b), *layer_norm_backward(g, x, norm, w, b))
    # y, dx: O(1) values; dweight and dbias sum 8 or 6 terms of size |g| <= 4 (x_hat <= 4):
    # relative to the largest of them, up to 8 * 4
    assert_results_match(ours, ref, dtype, (4, 4, 32, 8))


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch_at_extremes(dtype) -> None:
    rng = np.random.default_rng(4)
    x = extreme_rows(dtype, rng)
    d = x.shape[1]
    w, b = rng.normal(size=d).astype(dtype), rng.normal(size=d).astype(dtype)
    g = rng.normal(size=x.shape).astype(dtype)
    y_t, dx_t, dw_t, db_t = torch_layer_norm(x, (d,), w, b, g)
    y = layer_norm(x, d, w, b)
    dx, dw, db = layer_norm_backward(g, x, d, w, b)
    x64 = x.astype(np.float64)
    sigma = np.sqrt(x64.var(axis=1) + 1e-5)
    # PyTorch computes y = (x - mean) * rstd * w + b with mean rounded to eps * |mean|: its error is
    # eps * |x| / sigma * |w| (up to 1e4 / 3.2e-3 for the constant row); ours is checked against
    # exact arithmetic above, so these scales measure PyTorch's rounding, not ours
    ratio = np.max(np.abs(x64), axis=1) / sigma
    for i in range(x.shape[0]):
        assert_matches(y[i], y_t[i], dtype, scale=float(ratio[i] * np.max(np.abs(w)) + np.max(np.abs(b))))
        assert_matches(dx[i], dx_t[i], dtype,
                       scale=float(ratio[i] * np.max(np.abs(w)) * np.max(np.abs(g[i])) / sigma[i]))
    assert_matches(dw, dw_t, dtype, scale=float(np.sum(ratio[:, None] * np.abs(g), axis=0).max()))
    assert_matches(db, db_t, dtype, scale=float(np.sum(np.abs(g), axis=0).max()))
