"""alibi_slopes, alibi_bias, t5_relative_position_bucket: the papers' closed forms, properties, bad
input, a torch port of T5's bucket function (Hugging Face's T5Attention._relative_position_bucket)
and the bias added through torch.nn.functional.scaled_dot_product_attention."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import alibi_bias, alibi_slopes, scaled_dot_product_attention, t5_relative_position_bucket
from tests.attention.test_attention import assert_close, bounds
from tests.reference import DTYPES, EXTREMES, require, torch_forward_backward


# ---------------------------------------------------------------- hand-checked values
def test_alibi_slopes_closed_form() -> None:
    # Press et al. (2022), §3: 8 heads -> 1/2^1 .. 1/2^8; 16 heads -> 1/2^0.5 .. 1/2^8
    np.testing.assert_array_equal(alibi_slopes(8), 2.0 ** -np.arange(1, 9))
    np.testing.assert_allclose(alibi_slopes(16), 2.0 ** (-0.5 * np.arange(1, 17)), rtol=1e-15)
    # 12 heads (not a power of two): the 8-head slopes, then every other one of the 16-head
    # slopes: 2^-0.5, 2^-1.5, 2^-2.5, 2^-3.5
    expected = np.concatenate([2.0 ** -np.arange(1, 9), 2.0 ** -np.array([0.5, 1.5, 2.5, 3.5])])
    np.testing.assert_allclose(alibi_slopes(12), expected, rtol=1e-15)
    np.testing.assert_array_equal(alibi_slopes(1), [2.0 ** -8])


def test_alibi_bias_is_minus_slope_times_distance() -> None:
    bias = alibi_bias(2, 4)  # slopes 2^-4, 2^-8
    np.testing.assert_array_equal(bias[0, 3], -np.array([3.0, 2.0, 1.0, 0.0]) / 16)
    np.testing.assert_array_equal(bias[1, 0], -np.array([0.0, 1.0, 2.0, 3.0]) / 256)
    assert alibi_bias(3, 0).shape == (3, 0, 0)


def test_t5_buckets_by_hand() -> None:
    # bidirectional, 32 buckets: 16 per side; distances 0..7 exact; 8..127 in 8 log buckets
    # (bucket 8 + floor(8 log(dist/8) / log 16)): 8..11 -> 8, 12..15 -> 9 (log(12/8)/log 16 * 8 =
    # 1.17), 128 and beyond -> 15; keys after the query add 16
    rel = np.array([0, -1, -7, -8, -11, -12, -16, -127, -128, -10_000, 1, 7, 8, 128])
    np.testing.assert_array_equal(t5_relative_position_bucket(rel),
                                  [0, 1, 7, 8, 8, 9, 10, 15, 15, 15, 17, 23, 24, 31])
    # causal (bidirectional=False): every future offset is bucket 0, the past uses all 32
    np.testing.assert_array_equal(t5_relative_position_bucket([5, 0, -3, -15, -16, -500], bidirectional=False),
                                  [0, 0, 3, 15, 16, 31])


# ---------------------------------------------------------------- properties
@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(st.integers(1, 40), st.floats(0.5, 16))
def test_slopes_are_decreasing_in_zero_one(heads, max_bias) -> None:
    s = alibi_slopes(heads, max_bias)
    assert s.shape == (heads,) and np.all((s > 0) & (s < 1))
    assert len(np.unique(s)) == heads  # every head its own slope


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(st.integers(1, 4), st.integers(1, 12))
def test_alibi_bias_is_symmetric_and_toeplitz(heads, length) -> None:
    b = alibi_bias(heads, length)
    np.testing.assert_array_equal(b, np.swapaxes(b, -1, -2))
    # constant along every diagonal: depends on i - j only
    np.testing.assert_array_equal(b[:, 1:, 1:], b[:, :-1, :-1])


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(st.booleans(), st.integers(2, 32).map(lambda k: 2 * k), st.integers(0, 300))
def test_buckets_are_monotone_in_distance_and_in_range(bidirectional, num_buckets, extra) -> None:
    max_distance = num_buckets // (4 if bidirectional else 2) + 1 + extra
    rel = np.arange(-2 * max_distance, 2 * max_distance + 1)
    b = t5_relative_position_bucket(rel, bidirectional, num_buckets, max_distance)
    assert b.min() >= 0 and b.max() < num_buckets
    past = b[rel <= 0][::-1]  # distances 0, 1, 2, ... into the past
    assert np.all(np.diff(past) >= 0)


# ---------------------------------------------------------------- stability and bad input
def test_hyperparameters_at_the_edges() -> None:
    # a huge max_bias underflows the slopes to 0 (no NaN), and a huge distance stays finite
    assert np.all(np.isfinite(alibi_slopes(4, max_bias=1e4)))
    assert np.all(np.isfinite(alibi_bias(2, 3, max_bias=1e4)))
    assert t5_relative_position_bucket([-(10**12)]).item() == 15


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"num_heads must be an integer >= 1, got 0"):
        alibi_slopes(0)
    with pytest.raises(ValueError, match=r"max_bias must be a finite number > 0, got -1"):
        alibi_slopes(4, max_bias=-1.0)
    with pytest.raises(ValueError, match=r"max_bias must be a finite number > 0, got inf"):
        alibi_bias(4, 3, max_bias=np.inf)
    with pytest.raises(TypeError, match=r"seq_len must be an integer, got float"):
        alibi_bias(4, 3.0)
    with pytest.raises(ValueError, match=r"relative_position"):
        t5_relative_position_bucket([0.5])
    with pytest.raises(ValueError, match=r"num_buckets must be even when bidirectional \(two halves\), got 33"):
        t5_relative_position_bucket([0], num_buckets=33)
    with pytest.raises(ValueError, match=r"max_distance must be an integer >= 9, got 8"):
        t5_relative_position_bucket([0], max_distance=8)
    with pytest.raises(TypeError, match=r"bidirectional must be a bool, got int"):
        t5_relative_position_bucket([0], bidirectional=1)


# ---------------------------------------------------------------- references
def torch_t5_bucket(torch, relative_position, bidirectional=True, num_buckets=32, max_distance=128):
    """Hugging Face's T5Attention._relative_position_bucket (a port of Mesh TensorFlow's), in torch:
    the logarithm in float32, as there."""
    buckets = 0
    if bidirectional:
        num_buckets //= 2
        buckets += (relative_position > 0).to(torch.long) * num_buckets
        relative_position = torch.abs(relative_position)
    else:
        relative_position = -torch.min(relative_position, torch.zeros_like(relative_position))
    max_exact = num_buckets // 2
    is_small = relative_position < max_exact
    large = max_exact + (torch.log(relative_position.float() / max_exact) / math.log(max_distance / max_exact)
                         * (num_buckets - max_exact)).to(torch.long)
    large = torch.min(large, torch.full_like(large, num_buckets - 1))
    return buckets + torch.where(is_small, relative_position, large)


@pytest.mark.parametrize("bidirectional", [True, False])
@pytest.mark.parametrize(("num_buckets", "max_distance"), [(32, 128), (64, 256), (8, 20), (10, 50), (16, 1000)])
def test_t5_buckets_match_the_reference_implementation(bidirectional, num_buckets, max_distance) -> None:
    torch = require("torch")
    rel = np.arange(-3000, 3001)  # integers: the result must be identical, bucket for bucket
    ref = torch_t5_bucket(torch, torch.tensor(rel), bidirectional, num_buckets, max_distance).numpy()
    np.testing.assert_array_equal(t5_relative_position_bucket(rel, bidirectional, num_buckets, max_distance), ref)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("magnitude", ["random", "extreme"])
def test_alibi_through_torch_scaled_dot_product_attention(dtype, magnitude) -> None:
    # the bias as torch's float attn_mask, with and without the causal mask folded in (-inf above
    # the diagonal); values and gradients against the package's attention with the same mask
    torch = require("torch")
    rng = np.random.default_rng(2)
    n, h, length, e = 2, 4, 9, 8
    q, k, v = (rng.normal(size=(n, h, length, e)) for _ in range(3))
    if magnitude == "extreme":
        q, k = q * 100, k * 100
        q[0, 1, 2, :5], v[1, 3, 4, :5] = EXTREMES[:5], EXTREMES[-5:]
    q, k, v = (a.astype(dtype) for a in (q, k, v))
    g = rng.normal(size=q.shape).astype(dtype)
    bias = alibi_bias(h, length)
    for causal in (False, True):
        mask = np.where(np.tril(np.ones((length, length), bool)), bias, -np.inf) if causal else bias
        mask = mask.astype(dtype)
        ref, _ = torch_forward_backward(
            lambda a, b, c: torch.nn.functional.scaled_dot_product_attention(a, b, c, attn_mask=torch.tensor(mask)),
            [q, k, v], g, wrt=[0, 1, 2])
        # attention's row-by-row error bounds with this additive mask (test_attention `bounds`)
        assert_close(scaled_dot_product_attention(q, k, v, attn_mask=mask), ref, dtype,
                     scale=bounds(dtype, q, k, v, g, mask)[0])
