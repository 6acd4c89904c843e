"""selu / selu_backward and alpha_dropout: hand values, the self-normalising fixed point, limits,
alpha dropout's moments, its constants against PyTorch, bad p / training / rng.

The contract every element-wise activation shares (shape, dtype, stability, bad x, PyTorch in float32
and float64) is selu's line in tests/activations/elementwise.py; alpha_dropout draws a mask, so its
checks are all here."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import alpha_dropout, elu, elu_backward, selu, selu_backward
from snippets.activations.selu import SELU_ALPHA, SELU_SCALE
from tests.reference import DTYPES, require

finite = st.floats(-1e4, 1e4, allow_nan=False)
LAM, ALPHA = SELU_SCALE, SELU_ALPHA


def test_hand_checked_values() -> None:
    # lambda x on the right, lambda alpha (e^x - 1) on the left: at -1 that is lambda alpha (e^-1 - 1)
    np.testing.assert_allclose(selu([-1.0, 0.0, 2.0]), [LAM * ALPHA * (math.exp(-1) - 1), 0.0, 2 * LAM], rtol=1e-15)
    # slope lambda alpha e^x on the left, lambda alpha AT 0 (PyTorch: the left slope), lambda on the right
    np.testing.assert_allclose(
        selu_backward([1.0, 1.0, 2.0], [-1.0, 0.0, 2.0]), [LAM * ALPHA * math.exp(-1), LAM * ALPHA, 2 * LAM], rtol=1e-15
    )


def test_constants_are_the_fixed_point_of_the_standard_normal() -> None:
    # Klambauer et al.'s defining property: for z ~ N(0, 1), E[selu(z)] = 0 and E[selu(z)^2] = 1.
    # Integrated by the trapezoid rule on [-12, 12] with step 1e-4 (the tails beyond carry < 1e-30;
    # the kink at 0 is a grid point, so the rule's error is O(h^2) ~ 1e-9 on each smooth piece)
    z = np.linspace(-12.0, 12.0, 240_001)
    pdf = np.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    y = selu(z)
    assert abs(np.trapezoid(y * pdf, z)) < 1e-8
    assert abs(np.trapezoid(y * y * pdf, z) - 1) < 1e-8


@given(arrays(np.float64, st.integers(1, 20), elements=finite))
def test_selu_is_lambda_times_elu_with_alpha(x: np.ndarray) -> None:
    # the definition, up to the rounding of the products (lambda alpha is one rounded constant here)
    np.testing.assert_allclose(selu(x), LAM * elu(x, ALPHA), rtol=4e-16, atol=1e-300)
    np.testing.assert_allclose(selu_backward(np.ones_like(x), x), LAM * elu_backward(np.ones_like(x), x, ALPHA),
                               rtol=4e-16, atol=1e-300)


def test_nan_and_infinity() -> None:
    y = selu([np.nan, -np.inf, np.inf])
    assert np.isnan(y[0]) and y[1] == pytest.approx(-LAM * ALPHA, rel=1e-15) and y[2] == np.inf
    g = selu_backward([1.0, 1.0, 1.0], [np.nan, -np.inf, np.inf])
    assert np.isnan(g[0]) and g[1] == 0.0 and g[2] == LAM


# --- alpha dropout -------------------------------------------------------------------------------

ALPHA_PRIME = LAM * ALPHA  # the value SELU saturates at, negated: 1.7581


def constants(p: float) -> tuple[float, float, float]:
    """a, the kept shift a alpha' p and the dropped value -a alpha' (1 - p), from the paper's formulas."""
    a = ((ALPHA_PRIME**2 * p + 1) * (1 - p)) ** -0.5
    return a, a * ALPHA_PRIME * p, -a * ALPHA_PRIME * (1 - p)


@pytest.mark.parametrize("p", [0.05, 0.2, 0.5])
def test_alpha_dropout_keeps_mean_zero_and_variance_one(p: float) -> None:
    # standardised input in, standardised output out (in expectation): n = 10^6 samples give a
    # standard error of 1e-3 on the mean and ~2e-3 on the variance; 5 standard errors allowed
    rng = np.random.default_rng(0)
    x = rng.normal(size=1_000_000)
    y = alpha_dropout(x, p, rng=rng)
    assert abs(y.mean()) < 5e-3 and abs(y.var() - 1) < 1e-2
    # the dropped fraction is p: binomial standard error sqrt(p (1 - p) / n) <= 5e-4
    _, _, dropped = constants(p)
    assert abs(np.mean(np.isclose(y, dropped, rtol=1e-14, atol=0)) - p) < 2.5e-3


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_alpha_dropout_values_are_the_affine_map(p: float) -> None:
    x = np.linspace(-3, 3, 1001)
    y = alpha_dropout(x, p, rng=np.random.default_rng(1))
    a, shift, dropped = constants(p)
    kept = ~np.isclose(y, dropped, rtol=1e-14, atol=0)  # the constant, to its last rounding
    np.testing.assert_allclose(y[kept], a * x[kept] + shift, rtol=1e-15, atol=1e-15)
    assert 0 < kept.sum() < x.size


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_alpha_dropout_constants_match_torch(p: float, dtype) -> None:
    # PyTorch's mask is its own, but every output is a x + shift (kept) or the dropped value:
    # on x = 0 the outputs are {shift, dropped}, on x = 1 {a + shift, dropped}; ours must be the
    # same numbers. PyTorch forms x * (a m) + (alpha' a (m - 1) + alpha' a p) in the dtype: the
    # dropped value is a difference of two terms of size alpha' a, exact only to ~eps * alpha' a
    # ABSOLUTE (10 eps relative at p = 0.9, measured 5 ulps); ours rounds it once. Hence 4 ulps
    # relative plus 4 eps * alpha' a absolute
    torch = require("torch")
    torch.manual_seed(0)
    for value in (0.0, 1.0):
        x = np.full(4000, value, dtype=dtype)
        ref = torch.nn.functional.alpha_dropout(torch.tensor(x), p, training=True).numpy()
        ours = alpha_dropout(x, p, rng=np.random.default_rng(0))
        assert ours.dtype == dtype
        ref_values, our_values = np.unique(ref), np.unique(ours)
        assert ref_values.size == our_values.size == 2
        eps = np.finfo(dtype).eps
        np.testing.assert_allclose(our_values, ref_values, rtol=4 * eps, atol=4 * eps * ALPHA_PRIME * constants(p)[0])


def test_alpha_dropout_identity_cases_and_p_one() -> None:
    x = np.array([-1.0, 0.5, 2.0])
    for kwargs in ({"training": False}, {"p": 0.0}):
        y = alpha_dropout(x, **kwargs)
        np.testing.assert_array_equal(y, x)
        assert y is not x  # a copy: writing into the result leaves x alone
    assert alpha_dropout(np.zeros((2, 0)), 0.5).shape == (2, 0)
    # p = 1 drops everything; PyTorch returns x * 0 = 0 there (a would be infinite)
    np.testing.assert_array_equal(alpha_dropout(x, 1.0), np.zeros(3))
    torch = require("torch")
    np.testing.assert_array_equal(torch.nn.functional.alpha_dropout(torch.tensor(x), 1.0, training=True).numpy(), 0.0)


def test_alpha_dropout_is_reproducible_keeps_dtype_and_carries_infinity() -> None:
    x = np.arange(12, dtype=np.float32)
    y1 = alpha_dropout(x, 0.3, rng=np.random.default_rng(7))
    y2 = alpha_dropout(x, 0.3, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(y1, y2)
    assert y1.dtype == np.float32
    # a kept infinite unit stays infinite; a dropped one is the constant (PyTorch: inf * 0 = NaN)
    big = np.full(64, np.inf)
    y = alpha_dropout(big, 0.5, rng=np.random.default_rng(0))
    _, _, dropped = constants(0.5)
    is_dropped = np.isclose(y, dropped, rtol=1e-14, atol=0)
    assert np.all(np.isinf(y) | is_dropped) and 0 < is_dropped.sum() < y.size


def test_alpha_dropout_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"p must be a finite number in \[0, 1\], got 1.5"):
        alpha_dropout([1.0], p=1.5)
    with pytest.raises(TypeError, match="training must be a bool, got int"):
        alpha_dropout([1.0], training=1)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        alpha_dropout([1.0], rng=0)
    with pytest.raises(TypeError, match="x must be real-valued"):
        alpha_dropout(np.array([1j]))
