"""fan_in_and_fan_out, calculate_gain, xavier_uniform, xavier_normal: hand values, statistics, PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

from snippets import calculate_gain, fan_in_and_fan_out, xavier_normal, xavier_uniform
from tests.reference import require

SHAPES = [(3, 5), (256, 784), (64, 3, 3, 3), (8, 2, 5), (2, 3, 1, 1, 4), (0, 3), (4, 0, 3)]
NONLINEARITIES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]
Z = 5.0  # every statistical test below allows 5 standard errors: ~6e-7 two-sided, per fixed seed


def sample_variance_se(var: float, n: int, kurtosis: float) -> float:
    """Standard error of the sample variance of n draws: sqrt((mu4 - var^2) / n), mu4 = kurtosis * var^2."""
    return math.sqrt((kurtosis - 1) * var**2 / n)


# ---------------------------------------------------------------- hand-checked values
def test_fans_by_hand() -> None:
    assert fan_in_and_fan_out((256, 784)) == (784, 256)
    # conv (C_out, C_in, kH, kW) = (64, 3, 3, 3): fan_in = 3 * 9, fan_out = 64 * 9
    assert fan_in_and_fan_out((64, 3, 3, 3)) == (27, 576)
    assert fan_in_and_fan_out([4, 2, 5]) == (10, 20)


def test_gains_by_hand() -> None:
    assert calculate_gain("linear") == calculate_gain("conv2d") == calculate_gain("sigmoid") == 1.0
    assert calculate_gain("tanh") == 5 / 3
    assert calculate_gain("relu") == math.sqrt(2)
    # default slope 0.01: sqrt(2 / 1.0001); slope 1 is the identity: gain 1
    assert calculate_gain("leaky_relu") == math.sqrt(2 / 1.0001)
    assert calculate_gain("leaky_relu", 1) == 1.0
    assert calculate_gain("selu") == 0.75


def test_bounds_and_shapes() -> None:
    rng = np.random.default_rng(0)
    # (3, 5): a = sqrt(6 / 8); gain 2 doubles it
    for gain in [1.0, 2.0]:
        w = xavier_uniform((3, 5), rng, gain=gain)
        assert w.shape == (3, 5) and w.dtype == np.float64
        assert np.all(np.abs(w) <= gain * math.sqrt(6 / 8))
    assert xavier_uniform((0, 3), rng).shape == (0, 3)
    assert xavier_normal((0, 0), rng).shape == (0, 0)
    np.testing.assert_array_equal(xavier_normal((4, 4), rng, gain=0.0), 0.0)


def test_same_seed_same_weights() -> None:
    a = xavier_normal((6, 7), np.random.default_rng(3))
    b = xavier_normal((6, 7), np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)


def test_exactly_a_scaled_draw() -> None:
    # with the same seed, the weights are the generator's own U(-a, a) / N(0, std) draws
    shape = (20, 3, 5, 5)  # fan_in 75, fan_out 500
    std = 1.5 * math.sqrt(2 / 575)
    np.testing.assert_array_equal(
        xavier_normal(shape, np.random.default_rng(1), gain=1.5), np.random.default_rng(1).normal(0, std, shape)
    )
    a = math.sqrt(3) * std
    np.testing.assert_array_equal(
        xavier_uniform(shape, np.random.default_rng(1), gain=1.5), np.random.default_rng(1).uniform(-a, a, shape)
    )


# ---------------------------------------------------------------- statistics
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("shape", [(300, 500), (128, 64, 3, 3)])
def test_variance_and_mean(seed, shape) -> None:
    fan_in, fan_out = fan_in_and_fan_out(shape)
    var = 2 / (fan_in + fan_out)
    n = math.prod(shape)
    rng = np.random.default_rng(seed)
    # kurtosis E[x^4] / var^2: 3 for a normal, 9/5 for a uniform (a^4/5 over (a^2/3)^2)
    for w, kurtosis in [(xavier_normal(shape, rng), 3.0), (xavier_uniform(shape, rng), 1.8)]:
        assert abs(w.mean()) < Z * math.sqrt(var / n)
        assert abs(w.var() - var) < Z * sample_variance_se(var, n, kurtosis)


@pytest.mark.parametrize("seed", [0, 1])
def test_uniform_fills_its_interval(seed) -> None:
    a = math.sqrt(6 / 200)
    w = xavier_uniform((100, 100), np.random.default_rng(seed))
    # the largest of 10^4 uniform magnitudes falls below 0.999 a with probability 0.999^10^4 ~ 5e-5
    assert 0.999 * a < np.abs(w).max() <= a


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions, got \(5,\)"):
        xavier_uniform((5,), rng)
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions, got \(\)"):
        fan_in_and_fan_out(())
    with pytest.raises(TypeError, match="shape must be a tuple of integers"):
        xavier_normal((2.5, 3), rng)
    with pytest.raises(ValueError, match=r"shape must not have negative sizes, got \(-1, 3\)"):
        xavier_normal((-1, 3), rng)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        xavier_normal((2, 3), 0)
    with pytest.raises(ValueError, match="gain must be a finite number >= 0, got -1"):
        xavier_uniform((2, 3), rng, gain=-1.0)
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        calculate_gain("gelu")
    with pytest.raises(ValueError, match="param, leaky_relu's negative slope, must be an int or a float: True is not a valid number"):
        calculate_gain("leaky_relu", True)


def test_gain_message_names_param_and_large_slopes_do_not_overflow() -> None:
    # the message named "negative_slope", PyTorch's word, not the argument "param"; and slope^2
    # raised OverflowError beyond 1.3e154, where sqrt(2 / (1 + s^2)) = sqrt(2) / s to rounding
    with pytest.raises(ValueError, match=r"^param, leaky_relu's negative slope, must be an int or a float: '0.1'"):
        calculate_gain("leaky_relu", "0.1")
    for slope in (1e154, 1e200, -1e300):
        assert math.isclose(calculate_gain("leaky_relu", slope), math.sqrt(2) / abs(slope), rel_tol=4e-16)
    assert calculate_gain("leaky_relu", math.inf) == 0.0 and math.isnan(calculate_gain("leaky_relu", math.nan))


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("shape", [s for s in SHAPES] + [(5,)], ids=str)
def test_fans_match_torch(shape) -> None:
    torch = require("torch")
    t = torch.empty(shape)
    if len(shape) < 2:
        with pytest.raises(ValueError):
            torch.nn.init._calculate_fan_in_and_fan_out(t)
        with pytest.raises(ValueError):
            fan_in_and_fan_out(shape)
        return
    assert fan_in_and_fan_out(shape) == torch.nn.init._calculate_fan_in_and_fan_out(t)


@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
@pytest.mark.parametrize("param", [None, 0, 0.2, 1, 3.0])
def test_gain_matches_torch(nonlinearity, param) -> None:
    torch = require("torch")
    assert calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(nonlinearity, param)


@pytest.mark.parametrize("param", [True, "0.1", [0.1]])
def test_bad_slope_is_rejected_like_torch(param) -> None:
    torch = require("torch")
    with pytest.raises(ValueError):
        torch.nn.init.calculate_gain("leaky_relu", param)
    with pytest.raises(ValueError, match="not a valid number"):
        calculate_gain("leaky_relu", param)


@pytest.mark.parametrize(("ours", "theirs"), [(xavier_uniform, "xavier_uniform_"), (xavier_normal, "xavier_normal_")])
@pytest.mark.parametrize("shape", [(200, 300), (32, 16, 5, 5)], ids=str)
@pytest.mark.parametrize("gain", [1.0, 5 / 3])
def test_same_distribution_as_torch(ours, theirs, shape, gain) -> None:
    """Two-sample Kolmogorov-Smirnov test between our weights and PyTorch's (fixed seeds for both)."""
    torch = require("torch")
    stats = require("scipy.stats")
    w = ours(shape, np.random.default_rng(0), gain=gain)
    t = getattr(torch.nn.init, theirs)(torch.empty(shape, dtype=torch.float64), gain=gain,
                                       generator=torch.Generator().manual_seed(0))
    result = stats.ks_2samp(w.ravel(), t.numpy().ravel())
    # same distribution: the p-value is uniform on (0, 1), so 1e-4 fails a correct implementation
    # once in 10^4 seeds; a std 10% too large gives p ~ 1e-14 (60 000 samples) and 1e-5 (12 800)
    assert result.pvalue > 1e-4
