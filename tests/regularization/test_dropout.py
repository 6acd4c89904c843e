"""dropout / dropout_backward: exact relations, statistics with fixed seeds, edge cases,
finite differences with the mask held fixed, bad input, PyTorch semantics."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from snippets import dropout, dropout_backward, numerical_gradient
from tests.reference import DTYPES, EXTREMES, assert_matches, require

finite = st.floats(-1e4, 1e4, allow_nan=False)
probability = st.floats(0, 1)

# A 5-sigma two-sided bound: a correct implementation falls outside it with probability 6e-7
# per check (and the seeds are fixed, so a pass is reproducible).
Z = 5.0


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- exact behaviour
def test_hand_checked_values() -> None:
    # p = 0.75: kept units are multiplied by 1 / (1 - 0.75) = 4
    x = np.arange(1.0, 9.0)
    y, mask = dropout(x, 0.75, rng(3))
    np.testing.assert_array_equal(y, np.where(mask, 4 * x, 0.0))
    np.testing.assert_array_equal(dropout_backward(np.ones(3), [True, False, True], 0.75), [4.0, 0.0, 4.0])
    np.testing.assert_array_equal(dropout_backward(np.ones(3), [1, 0, 1], 0.75), [4.0, 0.0, 4.0])


@pytest.mark.parametrize("dtype", DTYPES)
@given(x=arrays(np.float64, array_shapes(max_dims=3, max_side=6), elements=finite), p=probability,
       seed=st.integers(0, 2**32 - 1))
def test_output_is_x_times_mask_over_keep_probability(dtype, x: np.ndarray, p: float, seed: int) -> None:
    x = x.astype(dtype)
    y, mask = dropout(x, p, rng(seed))
    assert y.dtype == dtype and y.shape == x.shape
    assert mask.dtype == bool and mask.shape == x.shape
    # the defining relation, computed the same way in the same dtype: bit for bit
    expected = np.zeros_like(x) if p == 1 else x * mask / dtype(1 - p)
    np.testing.assert_array_equal(y, expected)
    assert np.all(y[~mask] == 0)
    # the same seed draws the same mask
    np.testing.assert_array_equal(dropout(x, p, rng(seed))[1], mask)


def test_p_zero_keeps_everything_and_p_one_drops_everything() -> None:
    x = rng(1).normal(size=(4, 5))
    y, mask = dropout(x, 0.0, rng())
    np.testing.assert_array_equal(y, x)
    assert mask.all()
    # p = 1: zeros, no 1 / (1 - p) formed (a divide-by-zero warning would fail this test)
    y, mask = dropout(x, 1.0, rng())
    np.testing.assert_array_equal(y, 0.0)
    assert not mask.any()
    np.testing.assert_array_equal(dropout_backward(np.ones((4, 5)), mask, 1.0), 0.0)
    # even a mask claiming kept units gets no gradient: nothing is kept at p = 1
    np.testing.assert_array_equal(dropout_backward(np.ones(3), np.ones(3, dtype=bool), 1.0), 0.0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_evaluation_is_the_identity_on_a_copy(dtype) -> None:
    x = rng().normal(size=(3, 4)).astype(dtype)
    y, mask = dropout(x, 0.5, rng(), training=False)
    np.testing.assert_array_equal(y, x)
    assert y.dtype == dtype and mask.dtype == bool and mask.all()
    assert not np.shares_memory(y, x)  # editing y later cannot change the caller's x
    # ints and lists come back as float64
    y, _ = dropout([1, 2], 0.5, rng(), training=False)
    assert y.dtype == np.float64


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtype_rules(dtype) -> None:
    x = rng().normal(size=10).astype(dtype)
    y, mask = dropout(x, 0.3, rng())
    assert y.dtype == dtype
    assert dropout_backward(np.ones(10, dtype=dtype), mask, 0.3).dtype == dtype
    assert dropout(x.tolist(), 0.3, rng())[0].dtype == np.float64
    assert dropout(np.arange(10), 0.3, rng())[0].dtype == np.float64
    assert dropout_backward(np.ones(10, dtype=int), mask, 0.3).dtype == np.float64


def test_inputs_are_never_modified() -> None:
    x = rng().normal(size=(3, 4))
    g = np.ones((3, 4))
    for a in (x, g):
        a.setflags(write=False)
    _, mask = dropout(x, 0.5, rng())
    mask.setflags(write=False)
    dropout_backward(g, mask, 0.5)
    dropout(x, 0.5, rng(), training=False)


# ---------------------------------------------------------------- statistics (fixed seeds)
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_kept_fraction_is_binomial(p: float) -> None:
    n = 200_000
    _, mask = dropout(np.ones(n), p, rng(11))
    # the number kept is Binomial(n, 1 - p): mean n (1 - p), standard deviation sqrt(n p (1 - p))
    sigma = np.sqrt(n * p * (1 - p))
    assert abs(mask.sum() - n * (1 - p)) <= Z * sigma


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_output_is_unbiased(p: float) -> None:
    # E[y_i] = x_i (1 - p) / (1 - p) = x_i; Var[y_i] = x_i^2 p / (1 - p), so the mean of
    # `draws` samples lies within Z * |x_i| sqrt(p / ((1 - p) draws)) of x_i
    x = rng(2).normal(size=40)
    draws = 20_000
    y, _ = dropout(np.broadcast_to(x, (draws, 40)), p, rng(12))
    bound = Z * np.abs(x) * np.sqrt(p / ((1 - p) * draws))
    assert np.all(np.abs(y.mean(axis=0) - x) <= bound)


def test_mask_elements_are_independent_of_position() -> None:
    # every position is kept with probability 1 - p: per-column counts over many rows are binomial
    p, rows = 0.3, 20_000
    _, mask = dropout(np.ones((rows, 8)), p, rng(13))
    sigma = np.sqrt(rows * p * (1 - p))
    assert np.all(np.abs(mask.sum(axis=0) - rows * (1 - p)) <= Z * sigma)


# ---------------------------------------------------------------- gradient with the mask fixed
@pytest.mark.parametrize("p", [0.0, 0.25, 0.6, 1.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backward_matches_finite_differences(p: float, seed: int) -> None:
    # Re-seeding the generator on every call holds the mask fixed (it depends only on the seed
    # and the shape), so x -> dropout(x, p, default_rng(seed))[0] is a deterministic linear map
    # whose gradient dropout_backward must give. (The generic checker in tests/test_conventions.py
    # cannot run this: dropout_backward takes the mask, not the forward's (x, p, rng).)
    r = rng(100 + seed)
    x, g = r.normal(size=(3, 5)), r.normal(size=(3, 5))
    _, mask = dropout(x, p, rng(seed))
    numeric = numerical_gradient(lambda v: np.sum(g * dropout(v, p, rng(seed))[0]), x)
    # the map is linear, so central differences are exact up to rounding: ~1e-16 * |f| / 1e-6
    np.testing.assert_allclose(dropout_backward(g, mask, p), numeric, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------- stability, NaN
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [0.0, 0.5, 0.999, float(np.nextafter(1.0, 0.0)), 1.0])
def test_stable_up_to_1e4(dtype, p: float) -> None:
    # the largest factor is 1 / (1 - p) <= 2**53 ~ 9e15: |x| <= 1e4 gives at most ~1e20 < 3e38
    x = np.concatenate([EXTREMES, rng().normal(size=100) * 1e4]).astype(dtype)
    y, mask = dropout(x, p, rng())
    g = dropout_backward(np.ones_like(x), mask, p)
    for v in (y, g):
        assert v.dtype == dtype and np.all(np.isfinite(v))


def test_nan_in_nan_out() -> None:
    # NaN * 0 is NaN: a dropped NaN unit stays NaN, as in PyTorch
    y, _ = dropout(np.full(20, np.nan), 0.5, rng())
    assert np.all(np.isnan(y))
    assert np.all(np.isnan(dropout(np.full(3, np.nan), 1.0, rng())[0]))
    assert np.isnan(dropout_backward([np.nan, 1.0], [True, True], 0.5)[0])


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("bad", [-0.1, 1.5, np.nan, np.inf])
def test_p_outside_unit_interval_is_a_value_error(bad) -> None:
    with pytest.raises(ValueError, match=rf"p must be a finite number in \[0, 1\], got {bad}"):
        dropout(np.ones(3), bad, rng())
    with pytest.raises(ValueError, match=rf"p must be a finite number in \[0, 1\], got {bad}"):
        dropout_backward(np.ones(3), np.ones(3, dtype=bool), bad)


@pytest.mark.parametrize("bad", [True, "0.5", None, [0.5]])
def test_p_not_a_number_is_a_type_error(bad) -> None:
    with pytest.raises(TypeError, match="p must be a real number"):
        dropout(np.ones(3), bad, rng())


@pytest.mark.parametrize("bad", [np.random.RandomState(0), 0, None, np.random.default_rng(0).bit_generator])
def test_rng_must_be_a_generator(bad) -> None:
    with pytest.raises(TypeError, match=r"rng must be a numpy.random.Generator \(np.random.default_rng\(seed\)\), got"):
        dropout(np.ones(3), 0.5, bad)


def test_other_bad_input() -> None:
    with pytest.raises(TypeError, match="training must be a bool, got str"):
        dropout(np.ones(3), 0.5, rng(), training="yes")
    with pytest.raises(TypeError, match="x must be real-valued"):
        dropout(np.ones(3) * 1j, 0.5, rng())
    with pytest.raises(ValueError, match=r"mask must have the same shape as grad_out.*\(3,\).*\(2,\)"):
        dropout_backward(np.ones(3), [True, False], 0.5)
    with pytest.raises(ValueError, match="mask must hold only 0 and 1 \\(or booleans\\), found 0.5"):
        dropout_backward(np.ones(2), [1.0, 0.5], 0.5)
    with pytest.raises(TypeError, match="mask must hold booleans or 0/1 numbers, got dtype <U1"):
        dropout_backward(np.ones(2), ["a", "b"], 0.5)


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.9, 1.0])
def test_matches_torch_semantics(dtype, p: float) -> None:
    torch = require("torch")
    torch.manual_seed(0)
    # torch draws its masks from its own generator, so the random draws cannot match; the
    # structure must: the mask marks kept units, y = x * mask * scale with torch's scale
    # (1 / (1 - p), or 0 for p = 1), the gradient has the same scale, evaluation is the identity
    n = 20_000
    x = np.concatenate([rng(4).uniform(0.5, 2.0, size=n - len(EXTREMES)) * rng(5).choice([-1, 1], n - len(EXTREMES)),
                        EXTREMES + 0.5]).astype(dtype)  # no exact zeros: y = 0 then means "dropped"
    scale = 0.0 if p == 1 else 1 / (1 - p)
    g = rng(6).normal(size=n).astype(dtype)

    # 1. torch's scaling applied to our mask (aten.native_dropout_backward computes v * mask * scale)
    y, mask = dropout(x, p, rng(7))
    apply = torch.ops.aten.native_dropout_backward
    # ours divides by (1 - p), torch multiplies by a rounded 1 / (1 - p): one rounding apart
    assert_matches(y, apply(torch.tensor(x), torch.tensor(mask), scale).numpy(), dtype, ulps=2)
    assert_matches(dropout_backward(g, mask, p), apply(torch.tensor(g), torch.tensor(mask), scale).numpy(), dtype, ulps=2)

    # 2. our scaling applied to torch's mask, read off torch.nn.functional.dropout's output
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.dropout(xt, p, training=True)
    yt.backward(torch.tensor(g))
    torch_mask = yt.detach().numpy() != 0
    assert_matches(dropout_backward(x, torch_mask, p), yt.detach().numpy(), dtype, ulps=2)
    assert_matches(dropout_backward(g, torch_mask, p), xt.grad.numpy(), dtype, ulps=2)

    # 3. both keep a Binomial(n, 1 - p) number of units
    sigma = np.sqrt(n * p * (1 - p))
    for kept in (mask.sum(), torch_mask.sum()):
        assert abs(kept - n * (1 - p)) <= Z * sigma

    # 4. evaluation mode: the identity for both
    evaluated = torch.nn.functional.dropout(torch.tensor(x), p, training=False).numpy()
    np.testing.assert_array_equal(dropout(x, p, rng(), training=False)[0], evaluated)
