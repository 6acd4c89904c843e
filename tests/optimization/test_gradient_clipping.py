"""clip_grad_norm and clip_grad_value, against hand values and torch.nn.utils."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import clip_grad_norm, clip_grad_value
from tests.reference import DTYPES, EXTREMES, assert_matches, require

finite = st.floats(-1e4, 1e4, allow_nan=False)
# magnitudes below 1e-100 would square to 0 in np.linalg.norm, the comparison of the property test
# (clip_grad_norm factors out the largest magnitude first; see test_tiny_gradients_do_not_underflow)
normal = finite.filter(lambda v: v == 0 or abs(v) > 1e-100)
grad_lists = st.lists(arrays(np.float64, st.integers(0, 6), elements=normal), min_size=1, max_size=4)


# ---------------------------------------------------------------- hand-checked values
def test_clip_grad_norm_hand_values() -> None:
    g = [np.array([3.0, 4.0]), np.array([[12.0]])]
    # 2-norm: sqrt(9 + 16 + 144) = 13; coefficient 6.5 / (13 + 1e-6)
    clipped, total = clip_grad_norm(g, 6.5)
    assert total == 13.0
    coef = 6.5 / (13.0 + 1e-6)
    np.testing.assert_array_equal(clipped[0], g[0] * coef)
    np.testing.assert_array_equal(clipped[1], g[1] * coef)
    assert clipped[1].shape == (1, 1)
    # 1-norm 19, inf-norm 12
    assert clip_grad_norm(g, 100.0, norm_type=1)[1] == 19.0
    assert clip_grad_norm(g, 100.0, norm_type=math.inf)[1] == 12.0
    # below the limit: coefficient 100 / 13 clamps to 1, values unchanged (but new arrays)
    clipped, _ = clip_grad_norm(g, 100.0)
    assert clipped[0] is not g[0]
    np.testing.assert_array_equal(clipped[0], g[0])


def test_tiny_gradients_do_not_underflow() -> None:
    # (3e-200)^2 underflows to 0 in float64; with 4e-200 factored out the norm is 4e-200 * |(3/4, 1)| = 5e-200
    np.testing.assert_allclose(clip_grad_norm([np.array([3e-200, 4e-200])], 1.0)[1], 5e-200, rtol=1e-15)


def test_clip_grad_value_hand_values() -> None:
    out = clip_grad_value([np.array([-3.0, 0.5, 2.0]), np.array([[1e4]])], 1.0)
    np.testing.assert_array_equal(out[0], [-1.0, 0.5, 1.0])
    np.testing.assert_array_equal(out[1], [[1.0]])
    np.testing.assert_array_equal(clip_grad_value(np.array([-2.0, 2.0]), 0.0)[0], [0.0, 0.0])


def test_zero_gradients_and_empty_list() -> None:
    clipped, total = clip_grad_norm([np.zeros(3), np.zeros((2, 2))], 1.0)
    assert total == 0.0 and all(np.all(c == 0) for c in clipped)
    clipped, total = clip_grad_norm([], 1.0)
    assert clipped == [] and total == 0.0 and isinstance(total, np.float64)
    assert clip_grad_norm([np.zeros(0)], 1.0)[1] == 0.0


# ---------------------------------------------------------------- properties
@given(grad_lists, st.floats(1e-3, 1e3), st.sampled_from([1.0, 2.0, 3.0, math.inf]))
def test_clipped_norm_is_at_most_max_norm_and_direction_is_kept(grads, max_norm, p) -> None:
    clipped, total = clip_grad_norm(grads, max_norm, p)
    flat = np.concatenate([g.ravel() for g in grads])
    new = np.concatenate([c.ravel() for c in clipped])
    ord_ = np.inf if p == math.inf else p
    np.testing.assert_allclose(total, np.linalg.norm(flat, ord=ord_) if flat.size else 0.0, rtol=1e-12)
    assert np.linalg.norm(new, ord=ord_) <= max_norm * (1 + 1e-12) if new.size else True
    # one common positive factor <= 1 for every element
    nonzero = flat != 0
    if nonzero.any():
        factors = new[nonzero] / flat[nonzero]
        np.testing.assert_allclose(factors, factors[0], rtol=1e-14)
        assert 0 < factors[0] <= 1


@given(grad_lists, st.floats(0, 1e4))
def test_clip_value_bounds_every_element(grads, c) -> None:
    for g, out in zip(grads, clip_grad_value(grads, c)):
        assert np.all(np.abs(out) <= c)
        np.testing.assert_array_equal(out[np.abs(g) <= c], g[np.abs(g) <= c])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [1.0, 2.0, 10.0, math.inf])
def test_stable_at_extremes_and_dtype_kept(dtype, p) -> None:
    # |g|^10 for g = 1e4 is 1e40: beyond float32's range unless the largest magnitude is factored out
    g = [EXTREMES.astype(dtype), (EXTREMES[::-1] * 0.5).astype(dtype).reshape(3, 5)]
    clipped, total = clip_grad_norm(g, 1.0, p)
    assert total.dtype == dtype and np.isfinite(total)
    assert all(c.dtype == dtype and np.all(np.isfinite(c)) for c in clipped)
    assert all(c.dtype == dtype for c in clip_grad_value(g, 1.0))


def test_mixed_dtypes_keep_each_array_dtype() -> None:
    clipped, total = clip_grad_norm([np.ones(2, np.float32), np.ones(2), [1, 1]], 1.0)
    assert [c.dtype for c in clipped] == [np.float32, np.float64, np.float64] and total.dtype == np.float64


def test_nan_in_nan_out() -> None:
    clipped, total = clip_grad_norm([np.array([np.nan, 1.0]), np.array([2.0])], 1.0)
    assert np.isnan(total) and np.all(np.isnan(clipped[1]))
    out = clip_grad_value([np.array([np.nan, 5.0])], 1.0)[0]
    assert np.isnan(out[0]) and out[1] == 1.0


def test_inputs_are_never_modified() -> None:
    g = np.array([30.0, 40.0])
    g.setflags(write=False)
    clip_grad_norm([g], 1.0)
    clip_grad_value(g, 1.0)
    np.testing.assert_array_equal(g, [30.0, 40.0])


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match="max_norm must be a finite number >= 0, got -1"):
        clip_grad_norm([np.ones(2)], -1.0)
    with pytest.raises(ValueError, match="norm_type must be a positive number or inf, got 0"):
        clip_grad_norm([np.ones(2)], 1.0, norm_type=0)
    with pytest.raises(ValueError, match="norm_type must be a positive number or inf, got nan"):
        clip_grad_norm([np.ones(2)], 1.0, norm_type=math.nan)
    with pytest.raises(TypeError, match="norm_type must be a positive number or inf, got str"):
        clip_grad_norm([np.ones(2)], 1.0, norm_type="fro")
    with pytest.raises(TypeError, match="max_norm must be a real number"):
        clip_grad_norm([np.ones(2)], None)
    with pytest.raises(ValueError, match="clip_value must be a finite number >= 0, got -0.5"):
        clip_grad_value([np.ones(2)], -0.5)
    with pytest.raises(TypeError, match="grads must be an array or a list of arrays, got dict"):
        clip_grad_value({"w": np.ones(2)}, 1.0)
    with pytest.raises(TypeError, match=r"grads\[1\] must be real-valued"):
        clip_grad_norm([np.ones(2), np.ones(2) * 1j], 1.0)


# ---------------------------------------------------------------- PyTorch
def torch_clip(torch, grads, fn, *args):
    """Run torch.nn.utils.clip_grad_*_ on parameters whose .grad are copies of ``grads``."""
    params = []
    for g in grads:
        p = torch.zeros(g.shape, dtype=torch.from_numpy(g).dtype, requires_grad=True)
        p.grad = torch.tensor(g)
        params.append(p)
    total = fn(params, *args)
    return [p.grad.numpy() for p in params], total


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e6], ids=["clipped", "unclipped"])
def test_clip_grad_norm_matches_torch(dtype, p, max_norm) -> None:
    torch = require("torch")
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=(7, 5)) * 3, rng.normal(size=11) * 0.01, EXTREMES[EXTREMES.__abs__() < 800] * 0.01,
             np.zeros((2, 3))]
    grads = [g.astype(dtype) for g in grads]
    ref_grads, ref_total = torch_clip(torch, grads, torch.nn.utils.clip_grad_norm_, max_norm, p)
    clipped, total = clip_grad_norm(grads, max_norm, p)
    # the default 8 ulps: the two sides sum the powers in different orders and we factor out the
    # largest magnitude first, but a sum of 70 positive terms rounds by far less than that
    assert_matches(total, ref_total.numpy(), dtype)
    for ours, ref in zip(clipped, ref_grads):
        assert_matches(ours, ref, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_clip_grad_norm_of_zero_gradients_matches_torch(dtype) -> None:
    torch = require("torch")
    grads = [np.zeros((3, 2), dtype=dtype), np.zeros(4, dtype=dtype)]
    ref_grads, ref_total = torch_clip(torch, grads, torch.nn.utils.clip_grad_norm_, 1.0)
    clipped, total = clip_grad_norm(grads, 1.0)
    assert total == ref_total.item() == 0.0
    for ours, ref in zip(clipped, ref_grads):
        np.testing.assert_array_equal(ours, ref)


@pytest.mark.parametrize("dtype", DTYPES)
def test_clip_grad_value_matches_torch(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(1)
    grads = [rng.normal(size=(4, 6)).astype(dtype) * 2, EXTREMES.astype(dtype)]
    ref_grads, _ = torch_clip(torch, grads, torch.nn.utils.clip_grad_value_, 0.75)
    # a clamp selects values; nothing is rounded, so the results are identical
    for ours, ref in zip(clip_grad_value(grads, 0.75), ref_grads):
        np.testing.assert_array_equal(ours, ref)
