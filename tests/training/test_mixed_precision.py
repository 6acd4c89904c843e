"""to_bfloat16 / float16_range / dynamic_loss_scale_step: hand values from the bit layouts,
rounding properties, bad input, torch's bfloat16 cast, torch.finfo / numpy.finfo and the
GradScaler kernels (torch._amp_foreach_non_finite_check_and_unscale_, torch._amp_update_scale_)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from snippets import dynamic_loss_scale_step, float16_range, to_bfloat16
from tests.reference import EXTREMES, require


def bits(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float32).view(np.uint32)


# ---------------------------------------------------------------- hand-checked values
def test_hand_bfloat16() -> None:
    # exact in 8 significant bits: unchanged (1, -2, 0.5, 255 = 0b11111111, 2^-130 subnormal)
    exact = np.array([1.0, -2.0, 0.5, 255.0, 2.0**-130, 0.0, -0.0], dtype=np.float32)
    np.testing.assert_array_equal(bits(to_bfloat16(exact)), bits(exact))
    # 257 = 2^8 + 1 needs 9 bits: halfway between 256 and 258, tie to even -> 256;
    # 259 is halfway between 258 and 260 -> 260 (even last bit); 257.5 is above the middle -> 258
    np.testing.assert_array_equal(to_bfloat16(np.array([257.0, 259.0, 257.5], np.float32)), [256.0, 260.0, 258.0])
    # 1/3 = 0.0101010101...b: 8 significant bits 1.0101011b * 2^-2 (the cut-off 0101... > half
    # of the last place? bits after the 8th are 0101..., below half: truncate) = 0.333984375
    assert to_bfloat16(np.float32(1 / 3)) == np.float32(0.333984375)
    # the largest float32 is past the midpoint between bfloat16's max (0x7F7F) and infinity
    assert to_bfloat16(np.float32(3.4028235e38)) == np.inf
    assert to_bfloat16(np.float32(3.3895314e38)) == np.float32(3.3895314e38)
    # special values
    out = to_bfloat16(np.array([np.inf, -np.inf, np.nan], np.float32))
    assert out[0] == np.inf and out[1] == -np.inf and np.isnan(out[2])


def test_hand_ranges() -> None:
    # float16: e = 5, m = 10, bias 15: max (2 - 2^-10) 2^15 = 65504, tiny 2^-14, subnormal 2^-24
    assert float16_range() == {"max": 65504.0, "tiny": 2.0**-14, "smallest_subnormal": 2.0**-24, "eps": 2.0**-10}
    # bfloat16: e = 8, m = 7, bias 127: max (2 - 2^-7) 2^127, float32's tiny 2^-126, eps 2^-7
    r = float16_range("bfloat16")
    assert r["max"] == (2 - 2.0**-7) * 2.0**127 and r["tiny"] == 2.0**-126 and r["eps"] == 2.0**-7
    assert float16_range("float32")["eps"] == 2.0**-23


def test_hand_scaler_steps() -> None:
    # not yet at the interval: count up, keep the scale
    g, inf, s, t = dynamic_loss_scale_step(np.array([8.0, 4.0], np.float32), 4.0, 0, growth_interval=3)
    np.testing.assert_array_equal(g, [2.0, 1.0])
    assert g.dtype == np.float32 and (inf, s, t) == (False, 4.0, 1)
    # third clean step: 4 * 2 = 8, tracker back to 0
    assert dynamic_loss_scale_step([8.0], 4.0, 2, growth_interval=3)[1:] == (False, 8.0, 0)
    # an overflow: 4 * 0.5 = 2, tracker reset, and the unscaled gradient stays inf
    g, inf, s, t = dynamic_loss_scale_step([np.inf, 1.0], 4.0, 2, growth_interval=3)
    assert np.isinf(g[0]) and (inf, s, t) == (True, 2.0, 0)
    # NaN counts as an overflow too
    assert dynamic_loss_scale_step([np.nan], 65536.0)[1:] == (True, 32768.0, 0)
    # growth that would overflow float32 keeps the scale: 2^127 * 2 = 2^128 > max
    assert dynamic_loss_scale_step([1.0], 2.0**127, 0, growth_interval=1)[2] == 2.0**127


# ---------------------------------------------------------------- properties
finite32 = st.floats(allow_nan=False, allow_infinity=False, width=32)


@given(finite32)
@example(3.4028234663852886e38)  # float32's max: rounds up to inf
@example(1.0 + 2.0**-8)  # a tie, to the even pattern 1.0
def test_bfloat16_is_a_nearest_neighbour(v: float) -> None:
    x = np.float32(v)
    r = to_bfloat16(x)
    # the result has 16 zero low bits, and no bfloat16 value is closer: the neighbours are the
    # patterns just below and above, at most one bfloat16 ulp = 2^16 float32 patterns apart
    assert bits(r) & 0xFFFF == 0
    lo = (bits(x) & np.uint32(0xFFFF0000)).view(np.float32)
    hi = (bits(lo) + np.uint32(0x10000)).view(np.float32) if np.isfinite(lo) else lo
    with np.errstate(over="ignore", invalid="ignore"):
        d = abs(float(r) - float(x))
        assert d <= min(abs(float(lo) - float(x)), abs(float(hi) - float(x))) or not np.isfinite(hi)
    # relative error at most half a bfloat16 epsilon (for normal numbers that stay finite)
    if abs(v) > 2.0**-126 and np.isfinite(r):
        assert d <= 2.0**-8 * abs(float(x))


@given(st.lists(finite32, min_size=1, max_size=20))
def test_bfloat16_is_idempotent_and_odd(values: list[float]) -> None:
    x = np.array(values, dtype=np.float32)
    once = to_bfloat16(x)
    np.testing.assert_array_equal(bits(to_bfloat16(once)), bits(once))
    np.testing.assert_array_equal(to_bfloat16(-x), -once)


@given(st.integers(0, 2**32 - 1), st.floats(1.0, 2.0**24), st.integers(1, 50))
def test_scaler_unscales_and_counts(seed: int, scale: float, interval: int) -> None:
    g = np.random.default_rng(seed).normal(size=5)
    s = float(np.float32(scale))
    unscaled, inf, new, t = dynamic_loss_scale_step(g * s, s, interval - 1, growth_interval=interval)
    # multiplying by the float32 reciprocal: within a few float64 ulps of g times (s * (1/s)_32)
    np.testing.assert_allclose(unscaled, g, rtol=2**-22)
    assert not inf and new == float(np.float32(s * 2)) and t == 0


def test_input_is_not_modified_and_dtypes() -> None:
    x = np.array([1.1, 2.2], dtype=np.float64)
    x.setflags(write=False)
    out = to_bfloat16(x)
    assert out.dtype == np.float64 and x.tolist() == [1.1, 2.2]
    assert to_bfloat16([1, 2]).dtype == np.float64
    g = np.array([2.0, 4.0])
    g.setflags(write=False)
    assert dynamic_loss_scale_step(g, 2.0)[0].dtype == np.float64 and g.tolist() == [2.0, 4.0]


def test_stability_at_large_values() -> None:
    # every float in the documented range rounds to a finite bfloat16 value, without warnings
    x = np.linspace(-1e4, 1e4, 1001)
    assert np.all(np.isfinite(to_bfloat16(x))) and np.all(np.isfinite(to_bfloat16(x.astype(np.float32))))
    g, inf, _, _ = dynamic_loss_scale_step(np.array([1e4, -1e4]), 65536.0)
    assert not inf and np.all(np.isfinite(g))


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match="scale must be a finite number > 0, got 0"):
        dynamic_loss_scale_step([1.0], 0.0)
    with pytest.raises(ValueError, match="scale must be a finite float32 number"):
        dynamic_loss_scale_step([1.0], 1e39)
    with pytest.raises(ValueError, match=r"growth_tracker must be an integer in \[0, 1999\], got 2000"):
        dynamic_loss_scale_step([1.0], 1.0, 2000)
    with pytest.raises(ValueError, match="growth_factor must be a finite number > 1, got 1.0"):
        dynamic_loss_scale_step([1.0], 1.0, growth_factor=1.0)
    with pytest.raises(ValueError, match=r"backoff_factor must be a finite number in \(0, 1\), got 1.5"):
        dynamic_loss_scale_step([1.0], 1.0, backoff_factor=1.5)
    with pytest.raises(TypeError, match="grads must be numeric"):
        dynamic_loss_scale_step(["a"], 1.0)
    with pytest.raises(TypeError, match="x must be real-valued"):
        to_bfloat16(np.array([1j]))
    with pytest.raises(ValueError, match=r"dtype must be one of \['bfloat16', 'float16', 'float32'\], got 'fp8'"):
        float16_range("fp8")


# ---------------------------------------------------------------- PyTorch and numpy
def test_bfloat16_matches_torch_bit_for_bit() -> None:
    torch = require("torch")
    g = np.random.default_rng(0)
    # random bit patterns cover every exponent, subnormals, ties, infinities and NaNs
    patterns = g.integers(0, 2**32, size=400, dtype=np.uint64).astype(np.uint32)
    ties = (g.integers(0, 2**16, size=100, dtype=np.uint64).astype(np.uint32) << np.uint32(16)) | np.uint32(0x8000)
    x32 = np.concatenate([patterns.view(np.float32), ties.view(np.float32), EXTREMES.astype(np.float32),
                          g.normal(size=100).astype(np.float32)])
    ours = to_bfloat16(x32)
    ref = torch.tensor(x32).to(torch.bfloat16).float().numpy()
    nan = np.isnan(ref)
    np.testing.assert_array_equal(np.isnan(ours), nan)
    # exact: rounding is deterministic, so every non-NaN pattern must be identical
    np.testing.assert_array_equal(bits(ours[~nan]), bits(ref[~nan]))
    # float64 input: torch rounds to float32 first, then to bfloat16; so does to_bfloat16
    x64 = np.concatenate([g.normal(size=200) * 10.0 ** g.integers(-40, 40, size=200), EXTREMES,
                          1.0 + 2.0**-8 + np.array([2.0**-30, -(2.0**-30)])])
    ours64 = to_bfloat16(x64)
    ref64 = torch.tensor(x64).to(torch.bfloat16).double().numpy()
    assert ours64.dtype == np.float64
    np.testing.assert_array_equal(ours64, ref64)


@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32"])
def test_ranges_match_torch_finfo(name: str) -> None:
    torch = require("torch")
    info = torch.finfo(getattr(torch, name))
    r = float16_range(name)
    # exact: every limit is a power of two or (2 - 2^-m) times one
    assert (r["max"], r["tiny"], r["eps"], r["smallest_subnormal"]) == (info.max, info.tiny, info.eps, info.smallest_normal * info.eps)
    if name != "bfloat16":  # numpy has no bfloat16
        np_info = np.finfo(getattr(np, name))
        assert (r["max"], r["tiny"], r["smallest_subnormal"], r["eps"]) == (
            float(np_info.max), float(np_info.tiny), float(np_info.smallest_subnormal), float(np_info.eps))
        # and the values really are the edges: max + half an ulp overflows, half the subnormal is 0
        dt = getattr(np, name)
        with np.errstate(over="ignore"):
            assert np.isinf(dt(r["max"] * (1 + r["eps"])))
        assert dt(r["smallest_subnormal"]) > 0 and dt(r["smallest_subnormal"] / 2) == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scaler_matches_torch_kernels(dtype) -> None:
    torch = require("torch")
    g = np.random.default_rng(1)
    scale, tracker = 65536.0, 0
    t_scale, t_tracker = torch.tensor(65536.0), torch.tensor(0, dtype=torch.int32)
    growth, backoff, interval = 2.0, 0.5, 3
    for step in range(40):
        grads = (g.normal(size=30) * 10.0 ** g.integers(-6, 5)).astype(dtype)
        grads[:15] = EXTREMES.astype(dtype) * (step % 2)
        if step % 7 == 3:
            grads[g.integers(0, 30)] = [np.inf, -np.inf, np.nan][step % 3]
        scaled = grads * dtype(scale)  # may overflow to inf in float32: an overflow step
        with np.errstate(over="ignore", invalid="ignore"):
            ours, inf, scale_new, tracker_new = dynamic_loss_scale_step(scaled, scale, tracker, growth, backoff, interval)
        ref = [torch.tensor(scaled)]
        found = torch.tensor(0.0)
        torch._amp_foreach_non_finite_check_and_unscale_(ref, found, t_scale.double().reciprocal().float())
        torch._amp_update_scale_(t_scale, t_tracker, found, growth, backoff, interval)
        # exact: one multiplication by the same float32 reciprocal, and the same float32 scale rule
        np.testing.assert_array_equal(ours, ref[0].numpy())
        assert inf == bool(found.item()) and scale_new == t_scale.item() and tracker_new == t_tracker.item(), step
        scale, tracker = scale_new, tracker_new


def test_scaler_matches_torch_with_other_factors() -> None:
    torch = require("torch")
    # factors that are not powers of two: the product is rounded to float32 as torch rounds it
    scale, tracker = 1000.0, 0
    t_scale, t_tracker = torch.tensor(1000.0), torch.tensor(0, dtype=torch.int32)
    for step in range(30):
        found_inf = step % 5 == 4
        grads = np.array([np.inf if found_inf else 1.0], dtype=np.float32)
        _, inf, scale, tracker = dynamic_loss_scale_step(grads, scale, tracker, 1.37, 0.71, 2)
        torch._amp_update_scale_(t_scale, t_tracker, torch.tensor(float(found_inf)), 1.37, 0.71, 2)
        assert (inf, scale, tracker) == (found_inf, t_scale.item(), t_tracker.item()), step
