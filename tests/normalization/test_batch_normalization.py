"""batch_norm / batch_norm_backward: hand values, running statistics, properties, stability,
bad input, exact arithmetic and PyTorch."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import batch_norm, batch_norm_backward
from tests.normalization.shared import exact_standardised, extreme_rows
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

A = math.sqrt(1.5)  # 1 / sqrt(2/3): the inverse standard deviation of (1, 2, 3)
TINY = 1e-300  # an eps that vanishes next to any variance below, so hand values are exact


def per_channel(v, ndim: int) -> np.ndarray:
    return np.asarray(v).reshape((1, -1) + (1,) * (ndim - 2))


def channel_axes(x: np.ndarray) -> tuple[int, ...]:
    return (0, *range(2, x.ndim))


# ---------------------------------------------------------------- hand-checked values
def test_forward_hand_values() -> None:
    # channel 0 = (1, 2, 3): mean 2, biased variance 2/3, x_hat = (-1, 0, 1) * sqrt(3/2)
    # channel 1 = (10, 10, 40): mean 20, centred (-10, -10, 20), variance 600/3 = 200,
    #   x_hat = (-1, -1, 2) / sqrt(2)
    x = np.array([[1.0, 10.0], [2.0, 10.0], [3.0, 40.0]])
    y = batch_norm(x, gamma=[2.0, 1.0], beta=[0.5, -1.0], eps=TINY)
    expected = np.array([[-2 * A + 0.5, -1 / math.sqrt(2) - 1],
                         [0.5, -1 / math.sqrt(2) - 1],
                         [2 * A + 0.5, math.sqrt(2) - 1]])
    np.testing.assert_allclose(y, expected, rtol=1e-15, atol=1e-15)


def test_running_statistics_hand_values() -> None:
    # same x; momentum 0.5: mean <- 0.5 * 0 + 0.5 * (2, 20) = (1, 10)
    # unbiased variances: (1 + 0 + 1) / 2 = 1 and (100 + 100 + 400) / 2 = 300,
    # so var <- 0.5 * 1 + 0.5 * (1, 300) = (1, 150.5)
    x = np.array([[1.0, 10.0], [2.0, 10.0], [3.0, 40.0]])
    rm, rv = np.zeros(2), np.ones(2)
    batch_norm(x, [1.0, 1.0], [0.0, 0.0], rm, rv, momentum=0.5)
    np.testing.assert_allclose(rm, [1.0, 10.0], rtol=1e-15)
    np.testing.assert_allclose(rv, [1.0, 150.5], rtol=1e-15)


def test_inference_hand_values() -> None:
    # (3 - 1) / sqrt(4) * 2 + 1 = 3 and (-1 - 1) / 2 * 2 + 1 = -1; n = 1 is fine without batch statistics
    rm, rv = np.array([1.0]), np.array([4.0])
    y = batch_norm([[3.0], [-1.0]], [2.0], [1.0], rm, rv, training=False, eps=TINY)
    np.testing.assert_allclose(y, [[3.0], [-1.0]], rtol=1e-15)
    assert batch_norm([[3.0]], [2.0], [1.0], rm, rv, training=False, eps=TINY).item() == 3.0
    np.testing.assert_array_equal(rm, [1.0])  # inference never updates
    np.testing.assert_array_equal(rv, [4.0])


def test_backward_hand_values() -> None:
    # x = (1, 2, 3), gamma = 1, g = (1, 0, 0): x_hat = (-a, 0, a) with a = sqrt(3/2), sigma = 1/a,
    # mean(g) = 1/3, mean(g x_hat) = -a/3, so dx = a (g - 1/3 + x_hat a / 3)
    #   = a (1 - 1/3 - 1/2, -1/3, -1/3 + 1/2) = a (1/6, -1/3, 1/6);
    # dgamma = sum g x_hat = -a; dbeta = sum g = 1
    dx, dgamma, dbeta = batch_norm_backward([[1.0], [0.0], [0.0]], [[1.0], [2.0], [3.0]], [1.0], [0.0], eps=TINY)
    # (a few roundings of O(1) terms in g - mean(g) - x_hat mean(g x_hat): 1e-15, not 1 ulp)
    np.testing.assert_allclose(dx.ravel(), A * np.array([1 / 6, -1 / 3, 1 / 6]), rtol=0, atol=1e-15)
    np.testing.assert_allclose(dgamma, [-A], rtol=1e-15)
    np.testing.assert_array_equal(dbeta, [1.0])


def test_spatial_axes_are_pooled_with_the_batch() -> None:
    # (N, C, L) normalises each channel over N * L values: the same as moving L into the batch
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 2, 4))
    flat = x.transpose(0, 2, 1).reshape(12, 2)
    gamma, beta = np.array([1.5, -0.5]), np.array([0.1, 0.2])
    y = batch_norm(x, gamma, beta)
    np.testing.assert_allclose(y.transpose(0, 2, 1).reshape(12, 2), batch_norm(flat, gamma, beta), rtol=1e-14)


# ---------------------------------------------------------------- running statistics (in place)
def test_running_statistics_are_updated_in_place_and_nothing_else_is() -> None:
    rng = np.random.default_rng(1)
    x, gamma, beta = rng.normal(size=(6, 3)), rng.normal(size=3), rng.normal(size=3)
    frozen = [x.copy(), gamma.copy(), beta.copy()]
    for a in (x, gamma, beta):
        a.setflags(write=False)
    rm, rv = np.zeros(3), np.ones(3)
    ids = id(rm), id(rv)
    batch_norm(x, gamma, beta, rm, rv, momentum=1.0)
    # momentum 1 replaces the running values with this batch's mean and unbiased variance
    assert (id(rm), id(rv)) == ids
    np.testing.assert_allclose(rm, x.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(rv, x.var(axis=0, ddof=1), rtol=1e-14)
    for before, after in zip(frozen, (x, gamma, beta)):
        np.testing.assert_array_equal(before, after)
    # momentum 0 keeps them; without running statistics nothing is written at all
    kept_m, kept_v = rm.copy(), rv.copy()
    batch_norm(x, gamma, beta, rm, rv, momentum=0.0)
    np.testing.assert_array_equal(rm, kept_m)
    np.testing.assert_array_equal(rv, kept_v)


def test_running_statistics_keep_their_own_dtype() -> None:
    x = np.arange(8, dtype=np.float32).reshape(4, 2)
    rm, rv = np.zeros(2, dtype=np.float64), np.ones(2, dtype=np.float64)
    y = batch_norm(x, [1.0, 1.0], [0.0, 0.0], rm, rv)
    assert y.dtype == np.float32 and rm.dtype == rv.dtype == np.float64
    # channel 0 = (0, 2, 4, 6): mean 3, unbiased variance 20/3 -> 0.1 * 3 and 0.9 + 0.1 * 20/3
    np.testing.assert_allclose(rm, [0.3, 0.4], rtol=1e-6)
    np.testing.assert_allclose(rv, [0.9 + 2 / 3, 0.9 + 2 / 3], rtol=1e-6)


def test_a_failing_call_writes_nothing() -> None:
    rm, rv = np.zeros(2), np.ones(2)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        batch_norm(np.ones((1, 2)), [1.0, 1.0], [0.0, 0.0], rm, rv)
    with pytest.raises(ValueError, match="gamma must have shape"):
        batch_norm(np.ones((3, 2)), [1.0], [0.0, 0.0], rm, rv)
    np.testing.assert_array_equal(rm, [0.0, 0.0])
    np.testing.assert_array_equal(rv, [1.0, 1.0])


def test_repeated_batches_converge_to_the_population_statistics() -> None:
    # the same batch fed k times: running = (1 - 0.9^k) * batch value + 0.9^k * start
    x = np.random.default_rng(2).normal(3.0, 2.0, size=(50, 1))
    rm, rv = np.zeros(1), np.ones(1)
    for _ in range(40):
        batch_norm(x, [1.0], [0.0], rm, rv)
    decay = 0.9**40
    np.testing.assert_allclose(rm, (1 - decay) * x.mean(), rtol=1e-13)
    np.testing.assert_allclose(rv, (1 - decay) * x.var(ddof=1) + decay, rtol=1e-13)


# ---------------------------------------------------------------- properties
@st.composite
def batches(draw, elements=st.floats(-1e4, 1e4)):
    """(N, C, *spatial) with N in 2..6 and 1 to 3 channels."""
    channels_and_spatial = draw(st.sampled_from([(1,), (3,), (2, 4), (3, 2, 2)]))
    n = draw(st.integers(2, 6))
    return draw(arrays(np.float64, (n, *channels_and_spatial), elements=elements))


@given(batches())
def test_each_channel_is_standardised(x: np.ndarray) -> None:
    c = x.shape[1]
    y = batch_norm(x, np.ones(c), np.zeros(c))
    axes = channel_axes(x)
    var = x.var(axis=axes)
    # mean 0 and variance var / (var + eps); the error of x_hat is a few eps * sqrt(n) (see the
    # centring in _batch_statistics), n <= 6 * 8 here
    np.testing.assert_allclose(y.mean(axis=axes), 0.0, atol=1e-13)
    np.testing.assert_allclose(y.var(axis=axes), var / (var + 1e-5), atol=1e-12)


@given(batches(elements=st.floats(-100, 100)), st.floats(-100, 100))
def test_a_per_channel_shift_changes_nothing(x: np.ndarray, b: float) -> None:
    c = x.shape[1]
    gamma, beta = np.linspace(0.5, 2, c), np.linspace(-1, 1, c)
    shift = per_channel(b * np.arange(1, c + 1), x.ndim)
    # x + shift rounds by at most eps * 200 * c; divided by sigma >= sqrt(eps_bn) = 3.2e-3 and
    # scaled by gamma <= 2, that is below 1e-10
    np.testing.assert_allclose(batch_norm(x + shift, gamma, beta), batch_norm(x, gamma, beta), atol=1e-10)


@given(batches(elements=st.floats(-100, 100)), st.data())
def test_backward_identities(x: np.ndarray, data) -> None:
    c = x.shape[1]
    g = data.draw(arrays(np.float64, x.shape, elements=st.floats(-1, 1)))
    gamma, beta = np.linspace(-2, 2, c), np.zeros(c)
    dx, dgamma, dbeta = batch_norm_backward(g, x, gamma, beta)
    axes = channel_axes(x)
    # y does not change when a channel is shifted, so dx sums to 0 over each channel
    np.testing.assert_allclose(dx.sum(axis=axes), 0.0, atol=1e-9)
    # y = gamma x_hat + beta: dbeta = sum g, dgamma = sum g x_hat
    np.testing.assert_allclose(dbeta, g.sum(axis=axes), rtol=1e-14, atol=1e-14)
    x_hat = batch_norm(x, np.ones(c), np.zeros(c))
    np.testing.assert_allclose(dgamma, (g * x_hat).sum(axis=axes), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@given(x=batches(), data=st.data())
def test_stable_up_to_1e4(dtype, x: np.ndarray, data) -> None:
    # pytest turns every warning into an error: no overflow, no 0/0 even for constant channels
    c = x.shape[1]
    gamma = data.draw(arrays(np.float64, (c,), elements=st.floats(-1e4, 1e4))).astype(dtype)
    beta = data.draw(arrays(np.float64, (c,), elements=st.floats(-1e4, 1e4))).astype(dtype)
    x = x.astype(dtype)
    rm, rv = np.zeros(c, dtype), np.ones(c, dtype)
    outputs = [
        batch_norm(x, gamma, beta, rm, rv),
        batch_norm(x, gamma, beta, rm, rv, training=False),
        *batch_norm_backward(np.ones_like(x), x, gamma, beta),
        rm,
        rv,
    ]
    for v in outputs:
        assert v.dtype == dtype and np.all(np.isfinite(v))


@pytest.mark.parametrize("dtype", DTYPES)
def test_constant_channel_gives_beta_and_finite_gradients(dtype) -> None:
    x = np.full((4, 2), 5e3, dtype=dtype)
    x[:, 1] = [1, 2, 3, 4]
    y = batch_norm(x, np.array([3.0, 1.0], dtype), np.array([0.25, 0.0], dtype))
    # variance 0: x - mean = 0 exactly, so y = beta; eps keeps 0 / sqrt(0 + eps) finite
    np.testing.assert_array_equal(y[:, 0], 0.25)
    dx, dgamma, dbeta = batch_norm_backward(np.arange(8.0).reshape(4, 2).astype(dtype), x, [3.0, 1.0], [0.25, 0.0])
    assert all(np.all(np.isfinite(v)) for v in (dx, dgamma, dbeta))
    # x_hat = 0: dgamma = 0, and dx = gamma / sqrt(eps) * (g - mean g) = 3 / sqrt(1e-5) * (-3, -1, 1, 3)
    assert dgamma[0] == 0
    np.testing.assert_allclose(dx[:, 0], 3 / math.sqrt(1e-5) * np.array([-3, -1, 1, 3]), rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_huge_inputs_give_the_standardised_values(dtype) -> None:
    # |x| up to 1e300 (1e30 in float32): the variance overflows the dtype, but the standard
    # deviation does not. With var = inf the output used to be 0 (x - mean) / inf (PyTorch gives
    # NaN); scale-invariance says it is the standardised (1e300, 1, 2) = (sqrt 2, -1/sqrt 2, -1/sqrt 2)
    # to rounding, eps being 1e-605 of the variance
    big = 1e300 if dtype == np.float64 else 1e30
    x = np.array([[big, 2.0], [1.0, 1.0], [2.0, -big]], dtype=dtype)
    expected = np.array([[2.0, 1.0], [-1.0, 1.0], [-1.0, -2.0]]) / np.sqrt(2.0)
    ones, zeros = np.ones(2, dtype), np.zeros(2, dtype)
    assert_matches(batch_norm(x, ones, zeros), expected, dtype)
    dx, dgamma, dbeta = batch_norm_backward(np.ones_like(x), x, ones, zeros)
    assert np.all(np.abs(dx) <= 8 * np.finfo(dtype).eps / big)
    assert_matches(dgamma, expected.sum(axis=0), dtype)


def test_nan_poisons_its_channel_only() -> None:
    x = np.array([[np.nan, 1.0], [0.0, 2.0], [1.0, 3.0]])
    y = batch_norm(x, [1.0, 1.0], [0.0, 0.0])
    assert np.all(np.isnan(y[:, 0])) and np.all(np.isfinite(y[:, 1]))
    dx, dgamma, _ = batch_norm_backward(np.ones_like(x), x, [1.0, 1.0], [0.0, 0.0])
    assert np.all(np.isnan(dx[:, 0])) and np.isnan(dgamma[0]) and np.all(np.isfinite(dx[:, 1]))


# ---------------------------------------------------------------- bad input
def test_one_value_per_channel_in_training_is_an_error() -> None:
    # PyTorch: "Expected more than 1 value per channel when training"
    for shape in [(1, 3), (1, 3, 1, 1)]:
        with pytest.raises(ValueError, match=r"more than 1 value per channel.*n = N \* prod\(spatial\) = 1"):
            batch_norm(np.ones(shape), np.ones(3), np.zeros(3))
        with pytest.raises(ValueError, match="more than 1 value per channel"):
            batch_norm_backward(np.ones(shape), np.ones(shape), np.ones(3), np.zeros(3))
    batch_norm(np.ones((1, 3, 2)), np.ones(3), np.zeros(3))  # n = 1 * 2 is enough


def test_bad_shapes_and_types() -> None:
    ones = np.ones(3)
    with pytest.raises(ValueError, match=r"x must have shape \(N, C\) or \(N, C, \*spatial\), got shape \(3,\)"):
        batch_norm(ones, ones, ones)
    with pytest.raises(ValueError, match=r"beta must have shape \(C,\) = \(3,\) for x of shape \(4, 3\), got \(3, 1\)"):
        batch_norm(np.ones((4, 3)), ones, np.ones((3, 1)))
    with pytest.raises(TypeError, match="x must be real-valued"):
        batch_norm(np.ones((2, 3)) * 1j, ones, ones)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(4, 3\)"):
        batch_norm_backward(np.ones((3, 4)), np.ones((4, 3)), ones, ones)


def test_bad_running_statistics() -> None:
    x, ones = np.random.default_rng(0).normal(size=(4, 3)), np.ones(3)
    with pytest.raises(ValueError, match="running_mean and running_var must be given together"):
        batch_norm(x, ones, ones, running_mean=np.zeros(3))
    with pytest.raises(ValueError, match="training=False needs running_mean and running_var"):
        batch_norm(x, ones, ones, training=False)
    with pytest.raises(TypeError, match="running_mean is updated in place.*got list"):
        batch_norm(x, ones, ones, [0.0, 0.0, 0.0], np.ones(3))
    with pytest.raises(TypeError, match="running_var is updated in place.*got ndarray of dtype int64"):
        batch_norm(x, ones, ones, np.zeros(3), np.ones(3, dtype=np.int64))
    frozen = np.zeros(3)
    frozen.setflags(write=False)
    with pytest.raises(ValueError, match="running_mean is updated in place.*read-only"):
        batch_norm(x, ones, ones, frozen, np.ones(3))
    with pytest.raises(ValueError, match=r"running_var must have shape \(C,\) = \(3,\) for 3 channels, got \(2,\)"):
        batch_norm(x, ones, ones, np.zeros(3), np.ones(2))
    with pytest.raises(ValueError, match="running_var must be non-negative"):
        batch_norm(x, ones, ones, np.zeros(3), -np.ones(3), training=False)
    # in inference the running statistics are only read: lists and read-only arrays are fine
    np.testing.assert_allclose(batch_norm(x, ones, 0 * ones, [0, 0, 0], frozen + 1, training=False, eps=TINY), x)


def test_bad_hyperparameters() -> None:
    x, ones = np.ones((4, 3)), np.ones(3)
    with pytest.raises(TypeError, match="training must be a bool, got int"):
        batch_norm(x, ones, ones, training=1)
    with pytest.raises(ValueError, match=r"momentum must be a finite number in \[0, 1\], got 1.5"):
        batch_norm(x, ones, ones, momentum=1.5)
    with pytest.raises(TypeError, match="momentum must be a real number"):
        batch_norm(x, ones, ones, momentum=None)
    with pytest.raises(ValueError, match="eps must be a finite number > 0, got 0"):
        batch_norm(x, ones, ones, eps=0.0)
    with pytest.raises(ValueError, match="eps must be a finite number >= 0, got -1"):
        batch_norm_backward(x, x, ones, ones, eps=-1e-5)


# ---------------------------------------------------------------- exact arithmetic
def exact_batch_norm(x, gamma, beta, g, eps):
    """y, dx, dgamma, dbeta in rational arithmetic (only the square root is rounded, to 40 digits).

    Each float is converted exactly to a Fraction, so this is free of every cancellation the
    implementation has to avoid; it is slow, so only for small arrays.
    """
    c = x.shape[1]
    xc = np.moveaxis(x, 1, 0).reshape(c, -1)
    gc = np.moveaxis(g, 1, 0).reshape(c, -1)
    y, dx = np.empty(xc.shape), np.empty(xc.shape)
    dgamma, dbeta = np.empty(c), np.empty(c)
    for k in range(c):
        v = [Fraction(float(t)) for t in xc[k]]
        gg = [Fraction(float(t)) for t in gc[k]]
        n = len(v)
        x_hat, s = exact_standardised(v, eps)
        gam, bet = Fraction(float(gamma[k])), Fraction(float(beta[k]))
        y[k] = [float(gam * t + bet) for t in x_hat]
        mg, mgx = sum(gg) / n, sum(a * b for a, b in zip(gg, x_hat)) / n
        dx[k] = [float(gam / s * (a - mg - b * mgx)) for a, b in zip(gg, x_hat)]
        dgamma[k] = float(sum(a * b for a, b in zip(gg, x_hat)))
        dbeta[k] = float(sum(gg))
    back = lambda a: np.moveaxis(a.reshape((c, x.shape[0], *x.shape[2:])), 0, 1)  # noqa: E731
    return back(y), back(dx), dgamma, dbeta


def extreme_batch(dtype, rng: np.random.Generator) -> np.ndarray:
    """15 x 5: tiny noise on +-1e4 offsets, the EXTREMES, a constant channel, and +-1e4 spread
    (layer norm's extreme rows as channels)."""
    return np.ascontiguousarray(extreme_rows(dtype, rng).T)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", ["NC", "NCHW"])
def test_matches_exact_arithmetic_at_extreme_offsets(dtype, layout) -> None:
    # the shifted two-pass statistics keep every digit that the input has: even for 1e4 + 1e-2
    # noise, each result is within a few ulps of its own size of the exactly computed value
    rng = np.random.default_rng(5)
    x = extreme_batch(dtype, rng)
    if layout == "NCHW":
        x = x[:12].reshape(3, 2, 2, 5).transpose(0, 3, 1, 2).copy()
    c = x.shape[1]
    gamma, beta = rng.normal(size=c).astype(dtype), rng.normal(size=c).astype(dtype)
    g = rng.normal(size=x.shape).astype(dtype)
    y_ex, dx_ex, dgamma_ex, dbeta_ex = exact_batch_norm(x, gamma, beta, g, 1e-5)
    dx, dgamma, dbeta = batch_norm_backward(g, x, gamma, beta)
    axes = channel_axes(x)
    # y and dx: relative to the largest value in their channel (dx sums terms of that size)
    assert_matches(batch_norm(x, gamma, beta), y_ex, dtype, scale=float(np.max(np.abs(y_ex))))
    for k in range(c):  # dx differs by 1e6 in size between channels: one scale for each
        assert_matches(dx[:, k], dx_ex[:, k], dtype, scale=float(np.max(np.abs(dx_ex[:, k]))))
    # dgamma and dbeta are sums of n terms of size |g x_hat| and |g|
    assert_matches(dgamma, dgamma_ex, dtype, scale=float(np.max(np.sum(np.abs(g), axis=axes))) * 4)
    assert_matches(dbeta, dbeta_ex, dtype, scale=float(np.max(np.sum(np.abs(g), axis=axes))))


def test_naive_variance_would_fail_here() -> None:
    # why the statistics are centred first: E[x^2] - E[x]^2 cancels 1e8 against 1e8 in float32
    x = (1e4 + 1e-2 * np.random.default_rng(0).normal(size=(64, 1))).astype(np.float32)
    naive = np.mean(x * x, axis=0) - np.mean(x, axis=0) ** 2
    true = x.astype(np.float64).var(axis=0)
    assert abs(naive[0] - true[0]) > 100 * true[0]  # wrong by orders of magnitude (or negative)
    y = batch_norm(x, [1.0], [0.0], eps=TINY)
    np.testing.assert_allclose(y.astype(np.float64).std(), 1.0, rtol=1e-5)


# ---------------------------------------------------------------- PyTorch
def torch_batch_norm(x, gamma, beta, g, rm=None, rv=None, training=True, momentum=0.1, eps=1e-5):
    """PyTorch's output, (dx, dgamma, dbeta) and updated running statistics (copies)."""
    torch = require("torch")
    rm_t = None if rm is None else torch.tensor(rm)
    rv_t = None if rv is None else torch.tensor(rv)
    y, grads = torch_forward_backward(
        lambda a, w, b: torch.nn.functional.batch_norm(a, rm_t, rv_t, w, b, training, momentum, eps),
        [x, gamma, beta], g, wrt=[0, 1, 2],
    )
    return y, grads, (None if rm is None else (rm_t.numpy(), rv_t.numpy()))


def scales(x, gamma, beta, g) -> dict[str, np.ndarray]:
    """Per channel, the magnitudes each result is computed from in PyTorch's fused formula.

    PyTorch evaluates y = x * (gamma / sigma) + (beta - mean * gamma / sigma): the two products
    are as large as |x| |gamma| / sigma and cancel, so its y is exact only to eps times that;
    dx and dgamma inherit the same ratio |x| / sigma through x - mean.
    """
    axes = channel_axes(x)
    x64 = x.astype(np.float64)
    sigma = np.sqrt(x64.var(axis=axes) + 1e-5)
    ratio = np.max(np.abs(x64), axis=axes) / sigma  # ~3 for centred data, 1e6 for 1e4 + 1e-2 noise
    return {
        "y": ratio * np.abs(gamma) + np.abs(beta),
        "dx": ratio * np.abs(gamma) / sigma * np.max(np.abs(g)),
        "dgamma": ratio * np.sum(np.abs(g), axis=axes),
        "dbeta": np.sum(np.abs(g), axis=axes),
    }


def assert_channels_match(ours, ref, dtype, scale: np.ndarray) -> None:
    """assert_matches channel by channel (axis 1, or axis 0 of a (C,) vector), each with its scale."""
    axis = 1 if np.ndim(ours) > 1 else 0
    for k, s in enumerate(scale):
        assert_matches(np.take(ours, k, axis=axis), np.take(ref, k, axis=axis), dtype, scale=float(s))


def assert_matches_torch(ours: tuple, ref: tuple, x, gamma, beta, g, dtype) -> None:
    s = scales(x, gamma, beta, g)
    for name, a, b in zip(("y", "dx", "dgamma", "dbeta"), ours, ref):
        assert_channels_match(a, b, dtype, s[name])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(16, 5), (4, 3, 5, 6)], ids=["NC", "NCHW"])
def test_training_matches_torch(dtype, shape) -> None:
    rng = np.random.default_rng(3)
    c = shape[1]
    x = (rng.normal(size=shape) * 3 + 1).astype(dtype)
    gamma, beta = rng.normal(size=c).astype(dtype), rng.normal(size=c).astype(dtype)
    g = rng.normal(size=shape).astype(dtype)
    rm, rv = rng.normal(size=c).astype(dtype), rng.random(c).astype(dtype) + 0.5
    ref_y, (ref_dx, ref_dgamma, ref_dbeta), (ref_rm, ref_rv) = torch_batch_norm(x, gamma, beta, g, rm, rv, momentum=0.3)
    y = batch_norm(x, gamma, beta, rm, rv, momentum=0.3)
    dx, dgamma, dbeta = batch_norm_backward(g, x, gamma, beta)
    assert_matches_torch((y, dx, dgamma, dbeta), (ref_y, ref_dx, ref_dgamma, ref_dbeta), x, gamma, beta, g, dtype)
    # the running averages mix values of size |mean| + var: relative agreement
    assert_matches(rm, ref_rm, dtype, scale=float(np.max(np.abs(x))))
    assert_matches(rv, ref_rv, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_training_matches_torch_at_extremes(dtype) -> None:
    rng = np.random.default_rng(4)
    x = extreme_batch(dtype, rng)
    gamma, beta = rng.normal(size=5).astype(dtype), rng.normal(size=5).astype(dtype)
    g = rng.normal(size=x.shape).astype(dtype)
    rm, rv = np.zeros(5, dtype), np.ones(5, dtype)
    ref_y, (ref_dx, ref_dgamma, ref_dbeta), (ref_rm, ref_rv) = torch_batch_norm(x, gamma, beta, g, rm, rv)
    y = batch_norm(x, gamma, beta, rm, rv)
    dx, dgamma, dbeta = batch_norm_backward(g, x, gamma, beta)
    # PyTorch's rounding, not ours, sets these scales (see `scales`; ours is checked against exact
    # arithmetic above): up to |x| / sigma = 1e4 / 3.2e-3 for the constant channel
    assert_matches_torch((y, dx, dgamma, dbeta), (ref_y, ref_dx, ref_dgamma, ref_dbeta), x, gamma, beta, g, dtype)
    assert_matches(rm, ref_rm, dtype, scale=float(np.max(np.abs(x))))
    assert_matches(rv, ref_rv, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(15, 4), (3, 4, 5)], ids=["NC", "NCL"])
def test_inference_matches_torch(dtype, shape) -> None:
    rng = np.random.default_rng(6)
    c = shape[1]
    x = (rng.normal(size=shape) * rng.choice([1, 100, 1e4], size=(1, c) + (1,) * (len(shape) - 2))).astype(dtype)
    x.reshape(-1)[: len(EXTREMES)] = EXTREMES
    gamma, beta = rng.normal(size=c).astype(dtype), rng.normal(size=c).astype(dtype)
    rm, rv = (rng.normal(size=c) * 10).astype(dtype), (rng.random(c) * 10).astype(dtype)
    g = np.ones(shape, dtype)
    ref_y, _, (ref_rm, ref_rv) = torch_batch_norm(x, gamma, beta, g, rm, rv, training=False)
    y = batch_norm(x, gamma, beta, rm, rv, training=False)
    # PyTorch folds the statistics into x * a + b: exact to eps * |x| |gamma| / sqrt(var + eps)
    scale = np.max(np.abs(x), axis=channel_axes(x)) * np.abs(gamma) / np.sqrt(rv + 1e-5) + np.abs(beta)
    assert_channels_match(y, ref_y, dtype, scale)
    np.testing.assert_array_equal(ref_rm, rm)  # neither side updates in inference
    np.testing.assert_array_equal(ref_rv, rv)
