"""kaiming_uniform and kaiming_normal: hand values, statistics, bad input, PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

from snippets import fan_in_and_fan_out, kaiming_normal, kaiming_uniform
from tests.reference import require

Z = 5.0  # statistical tests allow 5 standard errors (two-sided ~6e-7 per fixed seed)


# ---------------------------------------------------------------- hand-checked values
def test_bounds_by_hand() -> None:
    rng = np.random.default_rng(0)
    # defaults: leaky_relu with a = 0 -> gain sqrt(2); fan_in 6 -> bound sqrt(2) sqrt(3/6) = 1
    assert np.all(np.abs(kaiming_uniform((4, 6), rng)) <= 1.0)
    # a = 1: gain sqrt(2/2) = 1; fan_out of (3, 4, 2) = 3 * 2 = 6 -> bound sqrt(3/6)
    assert np.all(np.abs(kaiming_uniform((3, 4, 2), rng, a=1.0, mode="fan_out")) <= math.sqrt(0.5))
    # linear: gain 1, fan_in 12 -> bound 1/2
    w = kaiming_uniform((500, 12), rng, nonlinearity="linear")
    assert np.all(np.abs(w) <= 0.5) and np.abs(w).max() > 0.499


def test_exactly_a_scaled_draw() -> None:
    shape = (16, 8, 3, 3)  # fan_in 72, fan_out 144
    for mode, fan in [("fan_in", 72), ("fan_out", 144)]:
        std = math.sqrt(2 / (1 + 0.2**2)) / math.sqrt(fan)
        np.testing.assert_array_equal(
            kaiming_normal(shape, np.random.default_rng(4), a=0.2, mode=mode),
            np.random.default_rng(4).normal(0, std, shape),
        )
        b = math.sqrt(3) * std
        np.testing.assert_array_equal(
            kaiming_uniform(shape, np.random.default_rng(4), a=0.2, mode=mode),
            np.random.default_rng(4).uniform(-b, b, shape),
        )


def test_mode_is_case_insensitive_and_zero_size_is_empty() -> None:
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(
        kaiming_normal((3, 4), np.random.default_rng(1), mode="FAN_OUT"),
        kaiming_normal((3, 4), np.random.default_rng(1), mode="fan_out"),
    )
    assert kaiming_uniform((0, 4), rng).shape == (0, 4)
    assert kaiming_normal((5, 0, 3), rng).shape == (5, 0, 3)


# ---------------------------------------------------------------- statistics
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("shape", "mode"), [((400, 300), "fan_in"), ((64, 128, 3, 3), "fan_out")])
def test_variance_and_mean(seed, shape, mode) -> None:
    fan_in, fan_out = fan_in_and_fan_out(shape)
    var = 2 / (fan_in if mode == "fan_in" else fan_out)
    n = math.prod(shape)
    rng = np.random.default_rng(seed)
    # sample-variance standard error sqrt((kurtosis - 1) var^2 / n): kurtosis 3 (normal), 9/5 (uniform)
    for w, kurtosis in [(kaiming_normal(shape, rng, mode=mode), 3.0), (kaiming_uniform(shape, rng, mode=mode), 1.8)]:
        assert abs(w.mean()) < Z * math.sqrt(var / n)
        assert abs(w.var() - var) < Z * math.sqrt((kurtosis - 1) * var**2 / n)


def test_one_relu_layer_keeps_the_second_moment() -> None:
    # He et al. (2015), eq. 7: Var(W) = 2 / n_in and E[x^2] = 1 give E[relu(W x)^2] = n_in (2 / n_in) / 2 = 1.
    # One layer of 500 units, 2000 inputs, 50 independent weight draws. Measured spreads: 0.0014 from the
    # inputs' own mean square (10^6 samples, shared by all draws), 0.0003 for the mean over the draws;
    # 0.0075 is 5 times their combined standard error
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 500))
    moments = [np.mean(np.maximum(x @ kaiming_normal((500, 500), rng, nonlinearity="relu").T, 0) ** 2) for _ in range(50)]
    assert abs(np.mean(moments) - 1) < 0.0075


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"Mode fan_avg not supported, please use one of \['fan_in', 'fan_out'\]"):
        kaiming_uniform((3, 4), rng, mode="fan_avg")
    with pytest.raises(TypeError, match="mode must be a string"):
        kaiming_normal((3, 4), rng, mode=None)
    with pytest.raises(ValueError, match="Unsupported nonlinearity swish"):
        kaiming_normal((3, 4), rng, nonlinearity="swish")
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions, got \(4,\)"):
        kaiming_uniform((4,), rng)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        kaiming_uniform((3, 4), np.random.RandomState(0))
    with pytest.raises(TypeError, match="a must be a real number"):
        kaiming_uniform((3, 4), rng, a="0.1")
    with pytest.raises(ValueError, match="a must be a finite number"):
        kaiming_uniform((3, 4), rng, a=math.inf)


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "x"])
@pytest.mark.parametrize("nonlinearity", ["relu", "leaky_relu", "tanh", "linear", "selu", "gelu"])
def test_errors_agree_with_torch(mode, nonlinearity) -> None:
    torch = require("torch")
    try:
        torch.nn.init.kaiming_uniform_(torch.empty(3, 4), mode=mode, nonlinearity=nonlinearity)
        torch_error = None
    except ValueError as error:
        torch_error = str(error)
    if torch_error is None:
        kaiming_uniform((3, 4), np.random.default_rng(0), mode=mode, nonlinearity=nonlinearity)
    else:
        with pytest.raises(ValueError, match=torch_error.split(",")[0]):
            kaiming_uniform((3, 4), np.random.default_rng(0), mode=mode, nonlinearity=nonlinearity)


@pytest.mark.parametrize(("ours", "theirs"), [(kaiming_uniform, "kaiming_uniform_"), (kaiming_normal, "kaiming_normal_")])
@pytest.mark.parametrize(("shape", "kwargs"), [
    ((200, 300), {}),
    ((200, 300), {"a": math.sqrt(5)}),                                   # nn.Linear's default
    ((32, 16, 5, 5), {"mode": "fan_out", "nonlinearity": "relu"}),
    ((32, 16, 5, 5), {"a": 0.2, "nonlinearity": "leaky_relu"}),
    ((100, 50), {"nonlinearity": "tanh"}),
], ids=str)
def test_same_distribution_as_torch(ours, theirs, shape, kwargs) -> None:
    """Two-sample Kolmogorov-Smirnov test between our weights and PyTorch's, fixed seeds."""
    torch = require("torch")
    stats = require("scipy.stats")
    w = ours(shape, np.random.default_rng(0), **kwargs)
    t = getattr(torch.nn.init, theirs)(torch.empty(shape, dtype=torch.float64), **kwargs,
                                       generator=torch.Generator().manual_seed(0))
    # the p-value of two samples from one distribution is uniform on (0, 1): 1e-4 rejects a correct
    # implementation once in 10^4 seeds (see test_xavier_initialization for the power of the test)
    assert stats.ks_2samp(w.ravel(), t.numpy().ravel()).pvalue > 1e-4


@pytest.mark.parametrize("kwargs", [{}, {"a": 0.5, "mode": "fan_out"}, {"nonlinearity": "relu"}])
def test_bound_equals_torch_largest_draw_bound(kwargs) -> None:
    # torch's samples never exceed its bound; ours have the same bound: the max |w| of both agree to 0.5%
    torch = require("torch")
    shape = (300, 200)
    w = kaiming_uniform(shape, np.random.default_rng(0), **kwargs)
    t = torch.nn.init.kaiming_uniform_(torch.empty(shape, dtype=torch.float64), **kwargs,
                                       generator=torch.Generator().manual_seed(0)).numpy()
    assert abs(np.abs(w).max() / np.abs(t).max() - 1) < 0.005
