"""choose_qparams / quantize_per_tensor / dequantize / fake_quantize(+backward): hand values,
round trips, rounding half to even, saturation, bad input, and PyTorch (quantize_per_tensor,
MinMaxObserver, fake_quantize_per_tensor_affine with autograd) bit for bit in float32."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import choose_qparams, dequantize, fake_quantize, fake_quantize_backward, quantize_per_tensor
from tests.reference import EXTREMES, require

finite = st.floats(-1e4, 1e4, allow_nan=False)


def test_hand_checked_values() -> None:
    # range [-1, 3] over 255 steps: scale 4/255; -1 / scale = -63.75 rounds to -64, so zero point 64
    scale, zero_point = choose_qparams([-1.0, 2.0, 3.0])
    assert scale == 4 / 255 and zero_point == 64
    # all positive: the range is widened to [0, max], so 0 maps to qmin exactly
    assert choose_qparams([2.0, 5.1], -128, 127) == (5.1 / 255, -128)
    # scale 0.5, zero point 10: 1.0 -> 10 + 2; 0.25 -> 10 + round(0.5) = 10 (half to even);
    # 0.75 -> 10 + round(1.5) = 12; -1 -> 8; 1000 saturates at 255 and -1000 at 0
    q = quantize_per_tensor([1.0, 0.25, 0.75, -1.0, 1000.0, -1000.0], 0.5, 10)
    np.testing.assert_array_equal(q, [12, 10, 12, 8, 255, 0])
    assert q.dtype == np.uint8
    np.testing.assert_array_equal(quantize_per_tensor([1.0, -1000.0], 0.5, 0, dtype=np.int8), [2, -128])
    np.testing.assert_array_equal(dequantize(q, 0.5, 10), [1.0, 0.0, 1.0, -1.0, 122.5, -5.0])
    # fake quantization = dequantize(quantize(x)) without leaving floating point
    np.testing.assert_array_equal(fake_quantize([0.26, 0.74, 300.0, -7.0], 0.5, 0, 0, 255), [0.5, 0.5, 127.5, 0.0])
    # straight-through: gradient 1 where the integer was inside [0, 255], 0 where it was clamped
    np.testing.assert_array_equal(fake_quantize_backward([2.0] * 4, [0.26, 0.74, 300.0, -7.0], 0.5, 0, 0, 255),
                                  [2.0, 2.0, 0.0, 0.0])


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.integers(1, 50), elements=finite))
def test_round_trip_error_is_at_most_half_a_step(x: np.ndarray) -> None:
    # inside the covered range every value is moved to the nearest multiple of the scale: at most
    # scale / 2 away (plus the float32 rounding of dequantize, relative 2^-24 of the value)
    scale, zero_point = choose_qparams(x)
    back = dequantize(quantize_per_tensor(x, scale, zero_point), scale, zero_point).astype(np.float64)
    assert np.all(np.abs(back - x) <= scale / 2 * (1 + 1e-9) + np.abs(x) * 2.0**-23)
    # and 0 is represented exactly: the zero point dequantizes to 0
    assert dequantize(np.array([zero_point]), scale, zero_point)[0] == 0.0


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.integers(1, 50), elements=finite), st.floats(1e-3, 10.0), st.integers(0, 255))
def test_fake_quantize_is_dequantize_of_quantize(x: np.ndarray, scale: float, zero_point: int) -> None:
    # the same integers, mapped back: fake_quantize in float64 equals scale * (q - z) in float64
    q = quantize_per_tensor(x, scale, zero_point).astype(np.int64)
    np.testing.assert_array_equal(fake_quantize(x, scale, zero_point, 0, 255), (q - zero_point) * scale)
    # idempotent: a value already on the grid stays there
    y = fake_quantize(x, scale, zero_point, 0, 255)
    np.testing.assert_allclose(fake_quantize(y, scale, zero_point, 0, 255), y, rtol=1e-12, atol=1e-12 * scale)


def test_extremes_saturate_and_nan_is_refused() -> None:
    q = quantize_per_tensor([np.inf, -np.inf, 1e300], 0.1, 5)
    np.testing.assert_array_equal(q, [255, 0, 255])
    np.testing.assert_array_equal(fake_quantize([np.inf, -np.inf], 0.5, 0, 0, 255), [127.5, 0.0])
    with pytest.raises(ValueError, match="x must not contain NaN"):
        quantize_per_tensor([np.nan], 0.1, 5)
    y = fake_quantize([np.nan, 1.0], 0.5, 0, 0, 255)
    assert np.isnan(y[0]) and y[1] == 1.0
    assert np.isnan(fake_quantize_backward([1.0], [np.nan], 0.5, 0, 0, 255)[0])


def test_all_zero_tensor_gets_the_smallest_scale() -> None:
    scale, zero_point = choose_qparams(np.zeros(4))
    assert scale == np.finfo(np.float32).eps and zero_point == 0


def test_bad_input_names_the_argument() -> None:
    with pytest.raises(ValueError, match="scale must be"):
        quantize_per_tensor([1.0], 0.0, 0)
    with pytest.raises(ValueError, match="zero_point must be"):
        quantize_per_tensor([1.0], 0.1, 300)
    with pytest.raises(ValueError, match="zero_point must be"):
        quantize_per_tensor([1.0], 0.1, -1)
    with pytest.raises(ValueError, match="dtype must be numpy.uint8 or numpy.int8, got int16"):
        quantize_per_tensor([1.0], 0.1, 0, dtype=np.int16)
    with pytest.raises(ValueError, match="quant_min must be below quant_max, got 5 and 5"):
        fake_quantize([1.0], 0.1, 5, 5, 5)
    with pytest.raises(ValueError, match="x must hold at least one value"):
        choose_qparams([])
    with pytest.raises(ValueError, match="x must be finite"):
        choose_qparams([1.0, np.inf])
    with pytest.raises(TypeError, match="q must hold integers, got dtype float64"):
        dequantize([1.5], 0.1, 0)
    with pytest.raises(TypeError, match="x must be"):
        fake_quantize(["a"], 0.1, 0, 0, 255)
    with pytest.raises(ValueError, match=r"grad_out.*\(2,\).*\(3,\)"):
        fake_quantize_backward(np.ones(3), np.ones(2), 0.1, 0, 0, 255)


def test_inputs_are_not_modified() -> None:
    x = np.array([0.3, -2.0, 7.0])
    x.setflags(write=False)
    choose_qparams(x), quantize_per_tensor(x, 0.1, 20), fake_quantize(x, 0.1, 20, 0, 255)
    fake_quantize_backward(np.ones(3), x, 0.1, 20, 0, 255)
    np.testing.assert_array_equal(x, [0.3, -2.0, 7.0])


def reference_inputs(rng: np.random.Generator) -> np.ndarray:
    """Random values at several magnitudes, exact half-steps (ties) for scale 0.25, the extremes."""
    return np.concatenate([
        rng.normal(size=600) * 3, rng.normal(size=200) * 300, np.arange(-40, 40) * 0.125, EXTREMES,
    ]).astype(np.float32)


def test_quantize_and_qparams_match_torch_bit_for_bit() -> None:
    torch = require("torch")
    from torch.ao.quantization.observer import MinMaxObserver

    rng = np.random.default_rng(0)
    x = reference_inputs(rng)
    with warnings.catch_warnings():  # PyTorch deprecates its quantized dtypes (quint8, qint8)
        warnings.simplefilter("ignore", UserWarning)
        for scale, zero_point in [(0.25, 0), (0.25, 128), (0.0371, 200), (3.7, 17)]:
            ref = torch.quantize_per_tensor(torch.tensor(x), scale, zero_point, torch.quint8).int_repr().numpy()
            np.testing.assert_array_equal(quantize_per_tensor(x, scale, zero_point), ref)
            ref = torch.quantize_per_tensor(torch.tensor(x), scale, zero_point - 128, torch.qint8).int_repr().numpy()
            np.testing.assert_array_equal(quantize_per_tensor(x, scale, zero_point - 128, np.int8), ref)
        for data in (x[:600], x[600:800], np.abs(x[:600]), -np.abs(x[:600])):
            observer = MinMaxObserver(dtype=torch.quint8)
            observer(torch.tensor(data))
            ref_scale, ref_zero_point = observer.calculate_qparams()
            scale, zero_point = choose_qparams(data)
            assert zero_point == int(ref_zero_point)
            # PyTorch divides in float32, we in float64: within float32's rounding of the scale
            assert abs(scale - float(ref_scale)) <= np.finfo(np.float32).eps / 2 * scale


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fake_quantize_matches_torch_with_autograd(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(1)
    x = reference_inputs(rng).astype(dtype)
    for scale, zero_point in [(0.25, 0), (0.25, 128), (0.0371, 200), (3.7, 17)]:
        g = rng.normal(size=x.shape).astype(dtype)
        x_t = torch.tensor(x, requires_grad=True)
        out = torch.fake_quantize_per_tensor_affine(x_t, scale, zero_point, 0, 255)
        out.backward(torch.tensor(g))
        ours = fake_quantize(x, scale, zero_point, 0, 255)
        if dtype == np.float32:
            np.testing.assert_array_equal(ours, out.detach().numpy())
        else:
            # PyTorch keeps the scale as a float32 and multiplies in float32 even for float64 input:
            # its results are float32 numbers, ours float64: two float32 roundings apart at most (of the
            # scale, then of the product), eps32 relative; measured 0.9 eps32
            np.testing.assert_allclose(ours, out.detach().numpy(), rtol=np.finfo(np.float32).eps, atol=0)
        # the straight-through gradient (grad_out inside the range, 0 where clamped) is exact
        np.testing.assert_array_equal(fake_quantize_backward(g, x, scale, zero_point, 0, 255), x_t.grad.numpy())
