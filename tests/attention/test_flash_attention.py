"""online_softmax, flash_attention and their backwards: hand values, properties, the memory claim
(no (L, S) array), stability, bad input, scipy.special.softmax and
torch.nn.functional.scaled_dot_product_attention."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import (
    flash_attention,
    flash_attention_backward,
    online_softmax,
    online_softmax_backward,
    scaled_dot_product_attention,
    scaled_dot_product_attention_backward,
)
from tests.attention.test_attention import assert_close, bounds
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

flash, flash_backward = flash_attention, flash_attention_backward


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_online_softmax() -> None:
    # blocks of 2 over (0, ln 3, ln 3): m = ln 3 after the first block, l = 1/3 + 1 + 1 = 7/3
    np.testing.assert_allclose(online_softmax([0.0, math.log(3), math.log(3)], block_size=2),
                               [1 / 7, 3 / 7, 3 / 7], rtol=1e-15)
    # the maximum arrives in the last block: the first block's sum e^0 + e^0 = 2 is rescaled by
    # e^(0 - ln 4) = 1/4 when m rises to ln 4, then 1 is added: l = 3/2, p = (1/6, 1/6, 2/3)
    np.testing.assert_allclose(online_softmax([0.0, 0.0, math.log(4)], block_size=2),
                               [1 / 6, 1 / 6, 2 / 3], rtol=1e-15)
    # backward: p = (1/2, 1/2), g = (1, 0) -> p (g - 1/2) = (1/4, -1/4)
    np.testing.assert_allclose(online_softmax_backward([1.0, 0.0], [5.0, 5.0], block_size=1), [0.25, -0.25], rtol=1e-15)


@pytest.mark.parametrize("block_size", [1, 2, 64])
def test_hand_checked_flash_attention(block_size) -> None:
    # scores (0, ln 3) -> weights (1/4, 3/4) -> 4/4 + 3 * 8/4 = 7, whatever the tiling
    q, k, v = [[1.0]], [[0.0], [math.log(3)]], [[4.0], [8.0]]
    np.testing.assert_allclose(flash(q, k, v, block_size=block_size), [[7.0]], rtol=1e-15)
    # g = 1: dv = P = (1/4, 3/4); D = g . out = 7; dS = P ((4, 8) - 7) = (-3/4, 3/4);
    # dq = dS k = 3/4 ln 3; dk = dS q = (-3/4, 3/4)
    dq, dk, dv = flash_backward([[1.0]], q, k, v, block_size=block_size)
    np.testing.assert_allclose(dq, [[0.75 * math.log(3)]], rtol=1e-15)
    np.testing.assert_allclose(dk, [[-0.75], [0.75]], rtol=1e-15, atol=1e-16)
    np.testing.assert_allclose(dv, [[0.25], [0.75]], rtol=1e-15)


def test_causal_zero_queries_give_running_means_and_skip_invisible_tiles() -> None:
    # all scores 0: query i averages values 0..i; with S = 5 > L = 3, keys 3 and 4 are seen by
    # no query, so they get no gradient at all
    v = np.array([[3.0], [5.0], [10.0], [100.0], [100.0]])
    out = flash(np.zeros((3, 2)), np.ones((5, 2)), v, block_size=2, is_causal=True)
    np.testing.assert_allclose(out, [[3.0], [4.0], [6.0]], rtol=1e-15)
    _, dk, dv = flash_backward(np.ones((3, 1)), np.zeros((3, 2)), np.ones((5, 2)), v, block_size=2, is_causal=True)
    np.testing.assert_array_equal(dk[3:], 0.0)
    np.testing.assert_array_equal(dv[3:], 0.0)
    # dv_j = sum_i P_ij: key 0 gets 1 + 1/2 + 1/3, key 1 gets 1/2 + 1/3, key 2 gets 1/3
    np.testing.assert_allclose(dv[:3, 0], [11 / 6, 5 / 6, 1 / 3], rtol=1e-15)


def test_no_keys_gives_zeros() -> None:
    # S = 0: every query may attend to nothing, PyTorch returns 0 and so does attention here
    out = flash(np.ones((2, 3)), np.zeros((0, 3)), np.zeros((0, 4)))
    np.testing.assert_array_equal(out, np.zeros((2, 4)))
    dq, dk, dv = flash_backward(np.ones((2, 4)), np.ones((2, 3)), np.zeros((0, 3)), np.zeros((0, 4)))
    assert dq.shape == (2, 3) and dk.shape == (0, 3) and dv.shape == (0, 4) and not dq.any()


# ---------------------------------------------------------------- the memory claim
def peak_bytes(fn) -> int:
    """The largest amount of memory allocated at once while ``fn`` runs (numpy reports its
    array buffers to tracemalloc), over what was allocated before."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_no_score_matrix_is_ever_held_whole() -> None:
    # L = 256 queries, S = 1024 keys: the whole score matrix is L S 8 B = 2 MiB, a tile L B 8 B
    # = 32 KiB (B = 16). A tile step holds a few tile-sized temporaries (scores, the masked
    # scores, exp, weights: at most 6 at once, measured 4.5) besides arrays the size of the
    # inputs and outputs (q, k, v, out, the running sums, dq, dk, dv). Allow 6 tiles + 4 times
    # those: about 0.5 MiB, a quarter of one score matrix, and independent of S up to the O(S E)
    # gradients; plain attention needs more than the score matrix.
    rng = np.random.default_rng(0)
    length, source, e, block = 256, 1024, 4, 16
    q, k, v, g = (rng.normal(size=(n, e)) for n in (length, source, source, length))
    item = q.itemsize
    allowed = 6 * length * block * item + 4 * (length + source) * 2 * e * item
    assert allowed < length * source * item / 3
    for causal in (False, True):
        assert peak_bytes(lambda: flash(q, k, v, block_size=block, is_causal=causal)) <= allowed
        assert peak_bytes(lambda: flash_backward(g, q, k, v, block_size=block, is_causal=causal)) <= allowed
    assert peak_bytes(lambda: scaled_dot_product_attention(q, k, v)) >= length * source * item
    # four times as many keys: the forward pass's peak stays within 10 % (it grows with L B, not L S)
    short = peak_bytes(lambda: flash(q, k[:256], v[:256], block_size=block))
    assert peak_bytes(lambda: flash(q, k, v, block_size=block)) <= 1.1 * short


# ---------------------------------------------------------------- properties
@st.composite
def qkv(draw, elements=st.floats(-10, 10), batch=()):
    length, source, e, ev = (draw(st.integers(1, 5)) for _ in range(4))
    shapes = [(*batch, length, e), (*batch, source, e), (*batch, source, ev)]
    return [draw(arrays(np.float64, s, elements=elements)) for s in shapes]


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(qkv(batch=(2,)), st.integers(1, 6), st.booleans())
def test_equals_attention_for_every_block_size(args, block_size, is_causal) -> None:
    q, k, v = args
    # the same sums in another order and with rescalings: scores are <= 10 * 10 * 5 / 1 = 500,
    # values <= 10; 1e-12 relative, 1e-11 absolute is ~100 roundings of such numbers
    np.testing.assert_allclose(flash(q, k, v, block_size=block_size, is_causal=is_causal),
                               scaled_dot_product_attention(q, k, v, is_causal=is_causal), rtol=1e-12, atol=1e-11)
    g = np.ones((*q.shape[:-1], v.shape[-1]))
    ours = flash_backward(g, q, k, v, block_size=block_size, is_causal=is_causal)
    reference = scaled_dot_product_attention_backward(g, q, k, v, is_causal=is_causal)
    for a, b in zip(ours, reference):
        # gradients carry products of up to 3 such factors (|dS| |k| ~ 10 * 10 * 10): 1e-9 absolute
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-9)


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 9)), elements=st.floats(-1e4, 1e4)),
       st.integers(1, 10), st.integers(0, 1))
def test_online_softmax_is_softmax(x, block_size, axis) -> None:
    scipy_special = require("scipy.special")
    p = online_softmax(x, block_size=block_size, axis=axis)
    # exp of differences to the max: exact to a few eps of the result
    np.testing.assert_allclose(p, scipy_special.softmax(x, axis=axis), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(p.sum(axis=axis), 1.0, rtol=1e-13)


def test_mixed_dtypes_promote_and_integers_become_float64() -> None:
    rng = np.random.default_rng(1)
    q, k, v = (rng.normal(size=(2, 3)).astype(np.float32) for _ in range(3))
    assert flash(q, k, v).dtype == np.float32
    assert all(d.dtype == np.float32 for d in flash_backward(np.ones((2, 3), np.float32), q, k, v))
    assert flash(q, k.astype(np.float64), v).dtype == np.float64
    assert flash(np.ones((2, 3), dtype=int), np.ones((2, 3), dtype=int), [[1, 2, 3]] * 2).dtype == np.float64
    assert online_softmax(np.zeros(3, np.float32)).dtype == np.float32
    assert online_softmax([1, 2, 3]).dtype == np.float64


# ---------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", DTYPES)
@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(args=qkv(elements=st.floats(-1e4, 1e4), batch=(2,)), block_size=st.integers(1, 4))
def test_stable_up_to_1e4(dtype, args, block_size) -> None:
    # scores up to E * 1e8 / sqrt(E): every exponent is taken relative to a running max, so
    # nothing overflows; a rescale exp(m_old - m_new) underflows to 0 at worst
    q, k, v = (a.astype(dtype) for a in args)
    g = np.ones((*q.shape[:-1], v.shape[-1]), dtype=dtype)
    for is_causal in (False, True):
        results = [flash(q, k, v, block_size=block_size, is_causal=is_causal),
                   *flash_backward(g, q, k, v, block_size=block_size, is_causal=is_causal),
                   online_softmax(q, block_size=block_size), online_softmax_backward(q, q, block_size=block_size)]
        for r in results:
            assert r.dtype == dtype and np.all(np.isfinite(r))


def test_nan_in_nan_out_and_all_minus_inf_softmax() -> None:
    rng = np.random.default_rng(2)
    q, k, v = rng.normal(size=(3, 2)), rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    q[1, 0] = np.nan
    out = flash(q, k, v, block_size=2)
    # a NaN query spoils its own row and no other
    assert np.all(np.isnan(out[1])) and np.all(np.isfinite(out[[0, 2]]))
    assert np.all(np.isnan(online_softmax([1.0, np.nan, 2.0], block_size=1)))
    # torch.softmax of a row of -inf is NaN (0 / 0); so is this
    assert np.all(np.isnan(online_softmax([-np.inf, -np.inf])))


# ---------------------------------------------------------------- bad input
def test_rejects_bad_shapes_and_arguments() -> None:
    q, k, v = np.zeros((2, 3, 4)), np.zeros((2, 5, 4)), np.zeros((2, 5, 6))
    with pytest.raises(ValueError, match=r"q must have shape \(\.\.\., L, E\) with E > 0, got \(4,\)"):
        flash(q[0, 0], k, v)
    with pytest.raises(ValueError, match=r"q must have shape .* got \(2, 3, 0\)"):
        flash(q[..., :0], k[..., :0], v)
    with pytest.raises(ValueError, match=r"k must have shape \(\.\.\., S, E\) with \.\.\. = \(2,\) and E = 4 as in q, got \(2, 5, 3\)"):
        flash(q, k[..., :3], v)
    with pytest.raises(ValueError, match=r"k must have shape .* got \(1, 5, 4\)"):
        flash(q, k[:1], v)
    with pytest.raises(ValueError, match=r"v must have shape \(\.\.\., S, Ev\) with \(\.\.\., S\) = \(2, 5\) as in k, got \(2, 4, 6\)"):
        flash(q, k, v[:, :4])
    with pytest.raises(ValueError, match=r"block_size must be an integer >= 1, got 0"):
        flash(q, k, v, block_size=0)
    with pytest.raises(TypeError, match=r"block_size must be an integer, got float"):
        flash(q, k, v, block_size=2.0)
    with pytest.raises(TypeError, match="is_causal must be a bool, got int"):
        flash(q, k, v, is_causal=1)
    with pytest.raises(TypeError, match="k must be real-valued"):
        flash(q, k * 1j, v)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2, 3, 6\), got shape \(2, 3, 4\)"):
        flash_backward(q, q, k, v)
    with pytest.raises(ValueError, match=r"block_size must be an integer >= 1, got -1"):
        online_softmax([1.0, 2.0], block_size=-1)
    with pytest.raises(ValueError, match=r"axis"):
        online_softmax([1.0, 2.0], axis=1)
    with pytest.raises(TypeError, match="x must be numeric"):
        online_softmax(["a"])


# ---------------------------------------------------------------- references
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("magnitude", ["random", "extreme"])
def test_online_softmax_matches_scipy_and_torch_autograd(dtype, magnitude) -> None:
    torch, scipy_special = require("torch"), require("scipy.special")
    rng = np.random.default_rng(4)
    x = rng.normal(size=(4, 15)) * 3
    if magnitude == "extreme":
        x[0], x[1], x[2] = EXTREMES, EXTREMES[::-1], EXTREMES * 0.01
    x = x.astype(dtype)
    g = rng.normal(size=x.shape).astype(dtype)
    ref_p, (ref_dx,) = torch_forward_backward(lambda t: torch.softmax(t, dim=-1), [x], g, wrt=[0])
    for block_size in (1, 4, 15, 64):
        p = online_softmax(x, block_size=block_size)
        # exp(x - m) / l: the rescalings exp(m_old - m_new) add one rounding per block to l,
        # <= 4 blocks of 4 here (15 of 1: 15 roundings), so 16 eps relative + 8 eps of the scale 1
        assert_matches(p, ref_p, dtype, ulps=16)
        assert_matches(p, scipy_special.softmax(x.astype(np.float64), axis=-1), dtype, ulps=16)
        # the gradient p (g - sum g p): |g| <= ~4, so its errors are relative to ~4 |p| + |sum|
        assert_matches(online_softmax_backward(g, x, block_size=block_size), ref_dx, dtype, ulps=16, scale=8.0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("is_causal", [False, True])
@pytest.mark.parametrize("magnitude", ["random", "extreme"])
@pytest.mark.parametrize("block_size", [1, 3, 64])
def test_matches_torch_scaled_dot_product_attention(dtype, is_causal, magnitude, block_size) -> None:
    torch = require("torch")
    rng = np.random.default_rng(3)
    n, heads, length, source, e, ev = 2, 2, 6, 7, 5, 4
    q, k, v = rng.normal(size=(n, heads, length, e)), rng.normal(size=(n, heads, source, e)), rng.normal(size=(n, heads, source, ev))
    if magnitude == "extreme":
        # scores of order 1e4 everywhere, and up to 1e8 where the inputs reach +-1e4
        q, k = q * 100, k * 100
        q[0, 0, 0], k[1, 1, 3], v[0, 1, 2] = EXTREMES[:5], EXTREMES[-5:], EXTREMES[3:7]
    q, k, v = (a.astype(dtype) for a in (q, k, v))
    g = rng.normal(size=(n, heads, length, ev)).astype(dtype)

    def reference(tq, tk, tv):
        return torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, is_causal=is_causal)

    ref_out, ref_grads = torch_forward_backward(reference, [q, k, v], g, wrt=[0, 1, 2])
    # Attention's row-by-row error bounds (tests/attention/test_attention.py `bounds`), widened
    # for the tiling: each of the T tiles rescales the running sum and output once more and adds
    # to them, about 3 more roundings per tile of numbers no larger than the bound's scale:
    # 3 T / 8 in assert_close's units of 8 eps.
    tiles = math.ceil(source / block_size)
    widen = 1 + 3 * tiles / 8
    scales = [s * widen for s in bounds(dtype, q, k, v, g, None, is_causal)]
    assert_close(flash(q, k, v, block_size=block_size, is_causal=is_causal), ref_out, dtype, scale=scales[0])
    ours = flash_backward(g, q, k, v, block_size=block_size, is_causal=is_causal)
    for a, b, s in zip(ours, ref_grads, scales[1:]):
        assert_close(a, b, dtype, scale=s)
