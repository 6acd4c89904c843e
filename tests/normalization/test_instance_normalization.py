"""instance_norm / adain and their backwards: hand values, properties, stability, bad input,
exact arithmetic and PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from snippets import adain, adain_backward, group_norm, group_norm_backward, instance_norm, instance_norm_backward
from tests.normalization.shared import assert_channels_match_exact, assert_results_match, extreme_groups
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

TINY = 1e-300  # an eps that vanishes next to every variance below, so hand values are exact


# ---------------------------------------------------------------- hand-checked values
def test_forward_hand_values() -> None:
    # x (2, 2, 3): each (example, channel) row standardised alone.
    # (1, 2, 3): mean 2, variance 2/3 -> (-1, 0, 1) * sqrt(3/2);  (5, 5, 8): mean 6, centred
    # (-1, -1, 2), variance 2 -> (-1, -1, 2) / sqrt 2; example 1 = 10 * example 0 + 7: same x_hat.
    # weight (2, -1), bias (0, 1) act per channel
    a, r = math.sqrt(1.5), 1 / math.sqrt(2)
    x0 = np.array([[1.0, 2.0, 3.0], [5.0, 5.0, 8.0]])
    x = np.stack([x0, 10 * x0 + 7])
    y = instance_norm(x, weight=[2.0, -1.0], bias=[0.0, 1.0], eps=TINY)
    expected = np.array([[-2 * a, 0.0, 2 * a], [1 + r, 1 + r, 1 - 2 * r]])
    np.testing.assert_allclose(y, np.stack([expected, expected]), rtol=1e-14, atol=1e-14)


def test_backward_hand_values() -> None:
    # one channel (1, 2, 3), weight 1, g = (1, 0, 0): layer norm's hand case,
    # dx = a (1/6, -1/3, 1/6), dweight = g x_hat = -a, dbias = 1, with a = sqrt(3/2)
    a = math.sqrt(1.5)
    dx, dw, db = instance_norm_backward([[[1.0, 0.0, 0.0]]], [[[1.0, 2.0, 3.0]]], [1.0], [0.0], eps=TINY)
    np.testing.assert_allclose(dx, [[a * np.array([1 / 6, -1 / 3, 1 / 6])]], rtol=0, atol=1e-15)
    np.testing.assert_allclose(dw, [-a], rtol=1e-15)
    np.testing.assert_array_equal(db, [1.0])
    assert instance_norm_backward([[[1.0, 0.0, 0.0]]], [[[1.0, 2.0, 3.0]]])[1:] == (None, None)


def test_adain_hand_values() -> None:
    # content (1, 3): x_hat = (-1, 1); style (0, 10, 20): mean 10, biased variance 200/3, so
    # y = 10 + sqrt(200/3) * (-1, 1); with TINY eps exact to rounding
    s = math.sqrt(200 / 3)
    np.testing.assert_allclose(adain([[[1.0, 3.0]]], [[[0.0, 10.0, 20.0]]], eps=TINY), [[[10 - s, 10 + s]]], rtol=1e-15)
    # backward with g = (1, 0): sum(g) = 1 goes to the style mean (1/3 each); sum(g x_hat) = -1
    # to sigma_s, spread as s_hat / 3 = (-1, 0, 1) * sqrt(3/2) / 3; dcontent = sigma_s / sigma_c *
    # (g - mean g - x_hat mean(g x_hat)) = s * ((1, 0) - 1/2 - (-1, 1) * (-1/2)) = s * (0, 0)
    dc, ds = adain_backward([[[1.0, 0.0]]], [[[1.0, 3.0]]], [[[0.0, 10.0, 20.0]]], eps=TINY)
    np.testing.assert_allclose(dc, [[[0.0, 0.0]]], atol=1e-14)
    np.testing.assert_allclose(ds, [[[1 / 3 + math.sqrt(1.5) / 3, 1 / 3, 1 / 3 - math.sqrt(1.5) / 3]]], rtol=1e-15)


def test_is_group_norm_with_one_channel_per_group() -> None:
    rng = np.random.default_rng(0)
    x, w, b, g = rng.normal(size=(3, 4, 5, 2)), rng.normal(size=4), rng.normal(size=4), rng.normal(size=(3, 4, 5, 2))
    np.testing.assert_array_equal(instance_norm(x, w, b), group_norm(x, 4, w, b))
    for a, r in zip(instance_norm_backward(g, x, w, b), group_norm_backward(g, x, 4, w, b)):
        np.testing.assert_array_equal(a, r)


def test_adain_with_itself_as_style_is_nearly_the_identity() -> None:
    # style = content: x_hat * sigma + mean = x exactly up to rounding (eps appears on both sides)
    x = np.random.default_rng(1).normal(size=(2, 3, 4, 4)) * 5 + 2
    np.testing.assert_allclose(adain(x, x), x, rtol=1e-13, atol=1e-13)


# ---------------------------------------------------------------- properties
def feature_maps(elements=st.floats(-1e3, 1e3)):
    """(N, C, *spatial) with at least two spatial positions: N, C <= 3, 1-2 spatial dims."""
    shapes = array_shapes(min_dims=3, max_dims=4, min_side=1, max_side=4).filter(lambda s: np.prod(s[2:]) > 1)
    return arrays(np.float64, shapes, elements=elements)


@given(feature_maps())
def test_each_channel_is_standardised(x: np.ndarray) -> None:
    rows = x.reshape(x.shape[0], x.shape[1], -1)
    y = instance_norm(x).reshape(rows.shape)
    var = rows.var(axis=2)
    np.testing.assert_allclose(y.mean(axis=2), 0.0, atol=1e-13)
    np.testing.assert_allclose(y.var(axis=2), var / (var + 1e-5), atol=1e-12)


@given(feature_maps(st.floats(-100, 100)), st.data())
def test_adain_imposes_the_style_statistics(content: np.ndarray, data) -> None:
    style_shape = (content.shape[0], content.shape[1], data.draw(st.integers(2, 6)))
    style = data.draw(arrays(np.float64, style_shape, elements=st.floats(-100, 100)))
    y = adain(content, style).reshape(content.shape[0], content.shape[1], -1)
    rows = content.reshape(y.shape)
    var_c, var_s = rows.var(axis=2), style.var(axis=2)
    # mean: exactly the style's (to rounding of values <= 100 * sqrt(M) scale);
    # variance: var_s + eps scaled by var_c / (var_c + eps)
    np.testing.assert_allclose(y.mean(axis=2), style.mean(axis=2), atol=1e-10)
    np.testing.assert_allclose(y.var(axis=2), (var_s + 1e-5) * var_c / (var_c + 1e-5), rtol=1e-9, atol=1e-9)


@given(feature_maps(st.floats(-100, 100)), st.data())
def test_backward_identities(x: np.ndarray, data) -> None:
    g = data.draw(arrays(np.float64, x.shape, elements=st.floats(-1, 1)))
    c = x.shape[1]
    dx, dw, db = instance_norm_backward(g, x, np.linspace(-2, 2, c), np.zeros(c))
    # shifting one channel of one example changes nothing: dx sums to 0 over each channel
    np.testing.assert_allclose(dx.reshape(x.shape[0], c, -1).sum(axis=2), 0.0, atol=1e-9)
    # adain: shifting the style channel shifts y by the same: dstyle sums to sum(g) per channel
    dc, ds = adain_backward(g, x, x[:, :, ::-1])
    sums = g.reshape(x.shape[0], c, -1).sum(axis=2)
    np.testing.assert_allclose(ds.reshape(x.shape[0], c, -1).sum(axis=2), sums, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("dtype", DTYPES)
@given(x=feature_maps(st.floats(-1e4, 1e4)), data=st.data())
def test_stable_up_to_1e4(dtype, x: np.ndarray, data) -> None:
    c = x.shape[1]
    w = data.draw(arrays(np.float64, (c,), elements=st.floats(-1e4, 1e4))).astype(dtype)
    b = data.draw(arrays(np.float64, (c,), elements=st.floats(-1e4, 1e4))).astype(dtype)
    x = x.astype(dtype)
    style = x[:, :, ::-1] * 2 + 1
    outs = (instance_norm(x, w, b), *instance_norm_backward(np.ones_like(x), x, w, b),
            adain(x, style), *adain_backward(np.ones_like(x), x, style))
    for v in outs:
        assert v.dtype == dtype and np.all(np.isfinite(v))


@pytest.mark.parametrize("dtype", DTYPES)
def test_huge_inputs_give_the_standardised_values(dtype) -> None:
    # variance overflows, standard deviation does not: (big, 1, 2) -> (2, -1, -1) / sqrt 2
    big = 1e300 if dtype == np.float64 else 1e30
    x = np.array([[[big, 1.0, 2.0], [2.0, 1.0, -big]]], dtype=dtype)
    expected = np.array([[[2.0, -1.0, -1.0], [1.0, 1.0, -2.0]]]) / np.sqrt(2.0)
    assert_matches(instance_norm(x), expected, dtype)
    # adain: a huge style standard deviation comes back out as a finite scale
    style = np.array([[[0.0, big / 4, big / 2], [0.0, 1.0, 2.0]]], dtype=dtype)
    y = adain(x, style)
    assert np.all(np.isfinite(y))
    # channel 1: the style (0, 1, 2) has mean 1 and sigma_s = sqrt(2/3 + eps)
    assert_matches(y[0, 1], 1.0 + np.sqrt(2 / 3 + 1e-5) * expected[0, 1], dtype, scale=2)


def test_nan_poisons_its_channel_only() -> None:
    x = np.array([[[np.nan, 1.0, 2.0], [0.0, 2.0, 3.0]]])
    y = instance_norm(x)
    assert np.all(np.isnan(y[0, 0])) and np.all(np.isfinite(y[0, 1]))
    y = adain([[[1.0, 2.0, 4.0], [0.0, 2.0, 3.0]]], x)  # a NaN in style channel 0: y's channel 0 only
    assert np.all(np.isnan(y[0, 0])) and np.all(np.isfinite(y[0, 1]))


# ---------------------------------------------------------------- bad input
def test_bad_shapes_and_types() -> None:
    x = np.ones((2, 3, 4))
    with pytest.raises(ValueError, match=r"instance_norm needs more than 1 spatial position per channel: x has shape \(2, 3\), so prod\(spatial\) = 1"):
        instance_norm(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"x has shape \(2, 3, 1, 1\)"):
        instance_norm_backward(np.ones((2, 3, 1, 1)), np.ones((2, 3, 1, 1)))
    with pytest.raises(ValueError, match=r"x must have shape \(N, C, \*spatial\), got shape \(3,\)"):
        instance_norm(np.ones(3))
    with pytest.raises(ValueError, match=r"weight must have shape \(C,\) = \(3,\) for x of shape \(2, 3, 4\), got \(4,\)"):
        instance_norm(x, weight=np.ones(4))
    with pytest.raises(TypeError, match="x must be real-valued"):
        instance_norm(x * 1j)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2, 3, 4\)"):
        instance_norm_backward(np.ones((2, 3)), x)
    with pytest.raises(ValueError, match="eps must be a finite number > 0, got 0"):
        instance_norm(x, eps=0)
    with pytest.raises(ValueError, match=r"style must have the \(N, C\) of content: content has shape \(2, 3, 4\), style has shape \(2, 2, 4\)"):
        adain(x, np.ones((2, 2, 4)))
    with pytest.raises(ValueError, match=r"adain needs more than 1 spatial position per channel: style has shape \(2, 3, 1\)"):
        adain(x, np.ones((2, 3, 1)))
    with pytest.raises(TypeError, match="content must be numeric"):
        adain_backward(x, x.astype(str), x)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2, 3, 4\)"):
        adain_backward(np.ones((2, 3, 5)), x, x)


# ---------------------------------------------------------------- exact arithmetic
@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_exact_arithmetic_at_extreme_offsets(dtype) -> None:
    # every (example, channel) row is layer_norm's exact case with the channel's weight
    rng = np.random.default_rng(5)
    x = extreme_groups(dtype, rng)
    w, b = rng.normal(size=2).astype(dtype), rng.normal(size=2).astype(dtype)
    g = rng.normal(size=x.shape).astype(dtype)
    assert_channels_match_exact((instance_norm(x, w, b), *instance_norm_backward(g, x, w, b)), x, w, b, g, dtype)


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 3, 10), (2, 4, 5, 6)], ids=["NCL", "NCHW"])
@pytest.mark.parametrize("affine", [True, False])
def test_instance_norm_matches_torch(dtype, shape, affine) -> None:
    torch = require("torch")
    rng = np.random.default_rng(3)
    x = (rng.normal(size=shape) * 3 + 1).astype(dtype)
    c = shape[1]
    w = rng.normal(size=c).astype(dtype) if affine else None
    b = rng.normal(size=c).astype(dtype) if affine else None
    g = rng.normal(size=shape).astype(dtype)
    args = [x] + ([w, b] if affine else [])
    fn = (lambda t, tw, tb: torch.nn.functional.instance_norm(t, weight=tw, bias=tb, eps=1e-5)) if affine else \
        (lambda t: torch.nn.functional.instance_norm(t, eps=1e-5))
    y_t, grads = torch_forward_backward(fn, args, g, wrt=list(range(len(args))))
    ours = (instance_norm(x, w, b), *instance_norm_backward(g, x, w, b))
    ref = (y_t, *grads) if affine else (y_t, grads[0], None, None)
    # y, dx: |x_hat| <= 4 and |w| <= 4; dweight, dbias sum N * prod(spatial) <= 60 terms of size
    # |g x_hat| <= 16 and |g| <= 4, relative to the largest
    n = shape[0] * int(np.prod(shape[2:]))
    assert_results_match(ours, ref, dtype, (16, 16, 16 * n, 4 * n))


def torch_adain(content, style, g, eps=1e-5):
    """AdaIN written with PyTorch ops (instance_norm and the style's biased std and mean)."""
    torch = require("torch")

    def fn(c, s):
        flat = s.reshape(s.shape[0], s.shape[1], -1)
        extra = (1,) * (c.ndim - 2)
        sigma = torch.sqrt(flat.var(dim=2, unbiased=False) + eps).reshape(*s.shape[:2], *extra)
        mean = flat.mean(dim=2).reshape(*s.shape[:2], *extra)
        return torch.nn.functional.instance_norm(c, eps=eps) * sigma + mean

    y, (dc, ds) = torch_forward_backward(fn, [content, style], g, wrt=[0, 1])
    return y, dc, ds


@pytest.mark.parametrize("dtype", DTYPES)
def test_adain_matches_torch(dtype) -> None:
    rng = np.random.default_rng(6)
    content = (rng.normal(size=(2, 3, 4, 5)) * 3 + 1).astype(dtype)
    style = (rng.normal(size=(2, 3, 6, 2)) * 2 - 4).astype(dtype)
    g = rng.normal(size=content.shape).astype(dtype)
    y_t, dc_t, ds_t = torch_adain(content, style, g)
    # values of size |mean_s| + 4 sigma_s <= 4 + 4 * 2 * 4; the gradients of size sigma_s / sigma_c
    # * |g| * 4 <= 40 (dcontent) and sums of 20 terms |g| (1 + |s_hat|) / 12 (dstyle)
    assert_matches(adain(content, style), y_t, dtype, scale=40)
    dc, ds = adain_backward(g, content, style)
    assert_matches(dc, dc_t, dtype, scale=40)
    assert_matches(ds, ds_t, dtype, scale=20)


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch_at_extremes(dtype) -> None:
    rng = np.random.default_rng(4)
    d = len(EXTREMES)
    x = np.stack([np.stack([EXTREMES, 1e4 + 1e-2 * rng.normal(size=d)]),
                  np.stack([1e4 * rng.normal(size=d), np.full(d, -5e3)])]).astype(dtype)
    style = x[:, :, ::-1].copy()
    g = rng.normal(size=x.shape).astype(dtype)
    y_t, dc_t, ds_t = torch_adain(x, style, g)
    torch = require("torch")
    y_in, (dx_t,) = torch_forward_backward(lambda t: torch.nn.functional.instance_norm(t, eps=1e-5), [x], g, wrt=[0])
    x64 = x.astype(np.float64)
    sigma = np.sqrt(x64.var(axis=2) + 1e-5)
    # PyTorch's mean is rounded to eps * |mean|: an error of eps |x| / sigma in x_hat, up to
    # 1e4 / 3.2e-3 for the constant channel (layer_norm's test argues the same); ours is checked
    # against exact arithmetic above
    ratio = np.max(np.abs(x64), axis=2) / sigma
    for i in range(2):
        for c in range(2):
            assert_matches(instance_norm(x)[i, c], y_in[i, c], dtype, scale=float(ratio[i, c]))
            assert_matches(instance_norm_backward(g, x)[0][i, c], dx_t[i, c], dtype,
                           scale=float(ratio[i, c] * np.max(np.abs(g[i, c])) / sigma[i, c]))
            # adain multiplies x_hat by sigma_s (the style is x reversed: the same sigma) and adds
            # the style mean: the error is sigma times the x_hat error plus eps |mean|
            assert_matches(adain(x, style)[i, c], y_t[i, c], dtype,
                           scale=float(ratio[i, c] * sigma[i, c] + np.max(np.abs(x64[i, c]))))
