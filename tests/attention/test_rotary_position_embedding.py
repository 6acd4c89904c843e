"""rope_frequencies, apply_rope and its backward: hand values, the relative-position property,
stability, bad input, numpy complex multiplication and a torch implementation (view_as_complex,
as in Meta's Llama code), values and autograd gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import apply_rope, apply_rope_backward, rope_frequencies
from tests.attention.test_attention import assert_close
from tests.reference import DTYPES, EXTREMES, require, torch_forward_backward


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_frequencies_and_rotation() -> None:
    # d = 4, base 100: theta = (1, 100^(-1/2)) = (1, 0.1)
    np.testing.assert_allclose(rope_frequencies(4, 3, base=100.0), [[0, 0], [1, 0.1], [2, 0.2]], rtol=1e-15)
    # the default base 10000 and d = 8: theta = 10000^(-(0, 2, 4, 6)/8) = (1, 0.1, 0.01, 0.001)
    np.testing.assert_allclose(rope_frequencies(8, 2)[1], [1, 0.1, 0.01, 0.001], rtol=1e-15)
    # position 1, d = 4, base 100: pair 0 turns by 1 rad, pair 1 by 0.1 rad
    out = apply_rope([[1.0, 0.0, 0.0, 2.0]], [1], base=100.0)
    np.testing.assert_allclose(out, [[math.cos(1), math.sin(1), -2 * math.sin(0.1), 2 * math.cos(0.1)]], rtol=1e-15)
    # position 0 changes nothing
    np.testing.assert_array_equal(apply_rope([[1.0, 2.0, 3.0, 4.0]], [0]), [[1.0, 2.0, 3.0, 4.0]])


def test_backward_turns_back() -> None:
    # a quarter turn forward (position pi/2, d = 2): the gradient (0, 1) goes back to (1, 0)
    np.testing.assert_allclose(apply_rope_backward([[0.0, 1.0]], [[5.0, 7.0]], [math.pi / 2]), [[1.0, 0.0]], atol=1e-16)


# ---------------------------------------------------------------- properties
@st.composite
def vectors(draw, length=None):
    d = 2 * draw(st.integers(1, 4))
    n = draw(st.integers(1, 4)) if length is None else length
    return draw(arrays(np.float64, (n, d), elements=st.floats(-10, 10)))


positions_st = st.integers(-1000, 1000)


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(vectors(length=1), vectors(length=1), positions_st, positions_st, positions_st)
def test_scores_depend_only_on_the_relative_position(q, k, m, n, shift) -> None:
    # (R_m q) . (R_n k) = q . R_(n - m) k: shifting both positions by the same amount changes nothing
    d = min(q.shape[1], k.shape[1])
    q, k = q[:, :d], k[:, :d]
    s = np.sum(apply_rope(q, [m]) * apply_rope(k, [n]))
    shifted = np.sum(apply_rope(q, [m + shift]) * apply_rope(k, [n + shift]))
    # angles up to ~2000 rad are exact to ~2000 eps; the products sum terms of size <= 100 * d
    np.testing.assert_allclose(shifted, s, atol=1e-9 * d)
    np.testing.assert_allclose(np.sum(q * apply_rope(k, [n - m])), s, atol=1e-9 * d)


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(vectors(), st.lists(positions_st, min_size=4, max_size=4))
def test_rotation_keeps_every_pair_s_length_and_is_undone_by_the_opposite_position(x, pos) -> None:
    pos = np.array(pos[: len(x)])
    out = apply_rope(x, pos)
    pairs = lambda a: np.hypot(a[:, 0::2], a[:, 1::2])  # noqa: E731
    np.testing.assert_allclose(pairs(out), pairs(x), rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(apply_rope(out, -pos), x, rtol=1e-13, atol=1e-13)
    # the backward is the same inverse rotation applied to the gradient
    np.testing.assert_array_equal(apply_rope_backward(out, x, pos), apply_rope(out, -pos))


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(vectors(), st.floats(1.5, 1e6))
def test_equals_complex_multiplication(x, base) -> None:
    # the closed form: pair i as a complex number times exp(1j m theta_i), with numpy complex128
    m = np.arange(len(x))
    theta = base ** (-np.arange(0, x.shape[1], 2) / x.shape[1])
    z = (x[:, 0::2] + 1j * x[:, 1::2]) * np.exp(1j * np.outer(m, theta))
    expected = np.stack([z.real, z.imag], axis=-1).reshape(x.shape)
    # the same products; complex exp rounds cos and sin like np.cos and np.sin: a few eps of |x|
    np.testing.assert_allclose(apply_rope(x, m, base=base), expected, rtol=1e-14, atol=1e-13)
    np.testing.assert_allclose(rope_frequencies(x.shape[1], len(x), base), np.outer(m, theta), rtol=1e-15)


def test_positions_broadcast_and_dtypes() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 5, 4)).astype(np.float32)
    out = apply_rope(x, np.arange(5))
    assert out.dtype == np.float32 and out.shape == x.shape
    # one position per vector given in full equals the broadcast form
    np.testing.assert_array_equal(apply_rope(x, np.broadcast_to(np.arange(5), (2, 3, 5))), out)
    assert apply_rope(x.astype(np.float64), np.arange(5)).dtype == np.float64
    assert apply_rope([[1, 2]], [1]).dtype == np.float64
    assert rope_frequencies(4, 0).shape == (0, 2)


# ---------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", DTYPES)
@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(x=arrays(np.float64, (3, 6), elements=st.floats(-1e4, 1e4)),
       pos=arrays(np.float64, (3,), elements=st.floats(-1e4, 1e4)))
def test_stable_up_to_1e4(dtype, x, pos) -> None:
    x = x.astype(dtype)
    for r in (apply_rope(x, pos), apply_rope_backward(x, x, pos)):
        assert r.dtype == dtype and np.all(np.isfinite(r))
        # a rotation: no pair grows (float32 rounding of cos, sin: a few eps)
        assert np.all(np.hypot(r[:, 0::2], r[:, 1::2]) <= np.hypot(x[:, 0::2], x[:, 1::2]) * (1 + 1e-5))


def test_nan_in_nan_out() -> None:
    out = apply_rope([[1.0, np.nan, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]], [1, 2])
    # a NaN spoils its own pair only
    assert np.all(np.isnan(out[0, :2])) and np.all(np.isfinite(out[0, 2:])) and np.all(np.isfinite(out[1]))
    assert np.all(np.isnan(apply_rope([[1.0, 2.0]], [np.nan])))


# ---------------------------------------------------------------- bad input
def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"head_dim must be even \(features are rotated in pairs\), got 3"):
        rope_frequencies(3, 4)
    with pytest.raises(ValueError, match=r"head_dim must be an integer >= 2, got 0"):
        rope_frequencies(0, 4)
    with pytest.raises(TypeError, match=r"max_len must be an integer, got float"):
        rope_frequencies(4, 2.0)
    with pytest.raises(ValueError, match=r"base must be a finite number > 0, got -1"):
        rope_frequencies(4, 2, base=-1.0)
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., L, d\) with an even d > 0 .* got \(2, 3\)"):
        apply_rope(np.zeros((2, 3)), [0, 1])
    with pytest.raises(ValueError, match=r"positions must broadcast to x.shape\[:-1\] = \(2, 5\) \(one position per vector\), got \(4,\)"):
        apply_rope(np.zeros((2, 5, 4)), np.arange(4))
    with pytest.raises(TypeError, match="positions must be real-valued"):
        apply_rope(np.zeros((2, 4)), [1j, 0])
    with pytest.raises(ValueError, match=r"base must be a finite number > 0, got inf"):
        apply_rope(np.zeros((2, 4)), [0, 1], base=np.inf)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2, 4\), got shape \(2, 2\)"):
        apply_rope_backward(np.zeros((2, 2)), np.zeros((2, 4)), [0, 1])


# ---------------------------------------------------------------- PyTorch
def torch_rope(torch, positions, base):
    """RoPE as Meta's Llama reference code writes it: pairs viewed as complex numbers, multiplied
    by torch.polar(1, m theta) (angles in float64, then cast to the input's complex dtype)."""
    def rope(x):
        d = x.shape[-1]
        theta = 1.0 / (base ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
        angles = torch.outer(torch.tensor(positions, dtype=torch.float64), theta)
        cis = torch.polar(torch.ones_like(angles), angles)
        cis = cis.to(torch.complex64 if x.dtype == torch.float32 else torch.complex128)
        z = torch.view_as_complex(x.reshape(*x.shape[:-1], d // 2, 2).contiguous())
        return torch.view_as_real(z * cis).reshape(x.shape)
    return rope


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("magnitude", ["random", "extreme"])
def test_matches_torch_complex_rope_values_and_gradients(dtype, magnitude) -> None:
    torch = require("torch")
    rng = np.random.default_rng(1)
    length, d, base = 12, 8, 10000.0
    x = rng.normal(size=(2, 3, length, d))
    positions = np.arange(length, dtype=np.float64)
    if magnitude == "extreme":
        x[0, 0, :, 0], x[1, 2, 3, :] = EXTREMES[:length], EXTREMES[-d:]
        positions = positions * 900  # angles up to ~1e4 rad
    x = x.astype(dtype)
    g = rng.normal(size=x.shape).astype(dtype)
    ref, (ref_dx,) = torch_forward_backward(torch_rope(torch, positions, base), [x], g, wrt=[0])
    # each output is a*cos -/+ b*sin of one pair (a, b), with cos and sin rounded to the dtype:
    # a few roundings of numbers no larger than the pair's length: 8 eps of the largest |x| per
    # array is a safe scale (rows with 1e4 set it; the others are compared relative to |ref|)
    pair = np.max(np.abs(x.astype(np.float64)), axis=-1, keepdims=True)
    assert_close(apply_rope(x, positions, base), ref, dtype, scale=pair)
    gpair = np.max(np.abs(g.astype(np.float64)), axis=-1, keepdims=True)
    assert_close(apply_rope_backward(g, x, positions, base), ref_dx, dtype, scale=gpair)
