"""grid_search / random_search: hand cases, search properties, sampling distributions, bad input,
scikit-learn's ParameterGrid and ParameterSampler."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from snippets import grid_search, random_search
from tests.reference import require


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def bowl(lr: float, dropout: float) -> float:
    """Low effective dimension (Bergstra & Bengio): lr matters a lot, dropout hardly."""
    return (math.log10(lr) + 2.7) ** 2 + 0.05 * (dropout - 0.3) ** 2


# ---------------------------------------------------------------- hand-checked values
def test_grid_hand_case() -> None:
    # (a - 1)^2 + b: the six values in product order (a outer, b inner): 1, 6, 0, 5, 1, 6
    best, value, values = grid_search(lambda a, b: (a - 1) ** 2 + b, {"a": [0, 1, 2], "b": [0, 5]})
    assert best == {"a": 1, "b": 0} and value == 0.0
    assert values.tolist() == [1.0, 6.0, 0.0, 5.0, 1.0, 6.0] and values.dtype == np.float64


def test_grid_ties_and_nan() -> None:
    # |a| at -1, 1: a tie, the first visited wins; NaN is never chosen over a number
    assert grid_search(lambda a: abs(a), {"a": [-1, 1]})[0] == {"a": -1}
    best, value, values = grid_search(lambda a: math.nan if a == 0 else a, {"a": [0, 3, 2]})
    assert best == {"a": 2} and value == 2.0 and np.isnan(values[0])
    # all NaN: the first trial is returned, its value NaN
    best, value, _ = grid_search(lambda a: math.nan, {"a": [7, 8]})
    assert best == {"a": 7} and math.isnan(value)


def test_grid_accepts_any_values() -> None:
    # non-numeric choices (an optimizer's name) are passed through unchanged
    best, _, _ = grid_search(lambda opt, lr: {"sgd": 1.0, "adam": 0.5}[opt] * lr, {"opt": ["sgd", "adam"], "lr": np.array([0.1, 0.01])})
    assert best == {"opt": "adam", "lr": 0.01}


def test_random_search_hand_case() -> None:
    # one hyperparameter on [2, 4]: every draw in range; the best is the draw closest to 3
    best, value, values = random_search(lambda a: (a - 3) ** 2, {"a": (2.0, 4.0)}, 20, rng(1))
    assert values.shape == (20,)
    assert value == values.min() and abs(best["a"] - 3) == pytest.approx(math.sqrt(value))


# ---------------------------------------------------------------- properties
@given(st.lists(st.integers(-50, 50), min_size=1, max_size=6), st.lists(st.integers(-50, 50), min_size=1, max_size=6))
def test_grid_finds_the_minimum_of_every_combination(xs, ys) -> None:
    g = lambda x, y: float((x - 3) ** 2 + (y + 1) ** 2 + 0.5 * x * y)
    best, value, values = grid_search(g, {"x": xs, "y": ys})
    brute = [g(x, y) for x, y in itertools.product(xs, ys)]
    assert values.tolist() == brute
    assert value == min(brute) and g(**best) == value
    # the first minimiser in product order
    assert brute.index(min(brute)) == list(itertools.product(xs, ys)).index((best["x"], best["y"]))


@given(st.integers(1, 200), st.integers(0, 2**32 - 1))
def test_random_draws_stay_in_the_box(n: int, seed: int) -> None:
    seen = []
    random_search(lambda lr, p: seen.append((lr, p)) or 0.0, {"lr": (1e-5, 1.0, "log"), "p": (0.0, 0.8)}, n, rng(seed))
    arr = np.array(seen)
    assert arr.shape == (n, 2)
    assert np.all((arr[:, 0] >= 1e-5) & (arr[:, 0] <= 1.0)) and np.all((arr[:, 1] >= 0) & (arr[:, 1] <= 0.8))


def test_log_scale_is_uniform_in_the_logarithm() -> None:
    # 4000 log-uniform draws on [1e-4, 1]: log10 is uniform on [-4, 0], so each of the 4 decades gets
    # Binomial(4000, 1/4) draws, sd sqrt(4000 * 0.25 * 0.75) = 27.4; allow 5 sd. A plain uniform
    # would put 90 % of the draws in the top decade.
    seen = []
    random_search(lambda lam: seen.append(lam) or 0.0, {"lam": (1e-4, 1.0, "log")}, 4000, rng(2))
    counts = np.histogram(np.log10(seen), bins=[-4, -3, -2, -1, 0])[0]
    assert np.all(np.abs(counts - 1000) < 5 * 27.4)


def test_random_search_beats_grid_when_one_dimension_matters() -> None:
    # Bergstra & Bengio's argument: with 9 trials a 3 x 3 grid tries 3 learning rates, random search
    # 9. The best learning rate 10^c is unknown: averaged over 200 problems with c uniform on
    # [-5, 0], random search's best value is far better than the grid's. (Grid: the nearest of 3
    # points 2.5 apart, E[d^2] = 1.25^2 / 3 = 0.52; random: the nearest of 9 uniform points, ~0.05.)
    grid = {"lr": list(np.logspace(-5, 0, 3)), "dropout": list(np.linspace(0, 0.8, 3))}
    space = {"lr": (1e-5, 1.0, "log"), "dropout": (0.0, 0.8)}
    grid_values, random_values = [], []
    for s in range(200):
        c = rng(1000 + s).uniform(-5, 0)
        loss = lambda lr, dropout: (math.log10(lr) - c) ** 2 + 0.05 * (dropout - 0.3) ** 2
        grid_values.append(grid_search(loss, grid)[1])
        random_values.append(random_search(loss, space, 9, rng(s))[1])
    assert np.mean(random_values) < 0.5 * np.mean(grid_values)


def test_same_seed_same_search() -> None:
    space = {"lr": (1e-5, 1.0, "log"), "dropout": (0.0, 0.8)}
    a, b = random_search(bowl, space, 10, rng(3)), random_search(bowl, space, 10, rng(3))
    assert a[0] == b[0] and np.array_equal(a[2], b[2])


# ---------------------------------------------------------------- bad input
def test_bad_grid() -> None:
    with pytest.raises(TypeError, match="f must be callable, got int"):
        grid_search(3, {"a": [1]})
    with pytest.raises(ValueError, match="grid must be a non-empty mapping"):
        grid_search(lambda: 0.0, {})
    with pytest.raises(ValueError, match=r"grid\['a'\] must be a non-empty list of values, got \[\]"):
        grid_search(lambda a: 0.0, {"a": []})
    with pytest.raises(ValueError, match=r"grid\['a'\] must be a non-empty list of values, got 'xyz'"):
        grid_search(lambda a: 0.0, {"a": "xyz"})
    with pytest.raises(TypeError, match="f must return a real number, got str"):
        grid_search(lambda a: "low", {"a": [1]})


def test_bad_space() -> None:
    f = lambda a: 0.0
    with pytest.raises(ValueError, match=r"space\['a'\] must be \(low, high\) or \(low, high, 'log'\), got \(1, 2, 'ln'\)"):
        random_search(f, {"a": (1, 2, "ln")}, 3, rng())
    with pytest.raises(ValueError, match=r"space\['a'\] needs low < high, got \(2.0, 1.0\)"):
        random_search(f, {"a": (2.0, 1.0)}, 3, rng())
    with pytest.raises(ValueError, match=r"space\['a'\] needs low < high and low > 0 on a log scale, got \(0.0, 1.0, 'log'\)"):
        random_search(f, {"a": (0.0, 1.0, "log")}, 3, rng())
    with pytest.raises(ValueError, match=r"space\['a'\] low must be a finite number"):
        random_search(f, {"a": (-math.inf, 1.0)}, 3, rng())
    with pytest.raises(ValueError, match="n_trials must be an integer >= 1, got 0"):
        random_search(f, {"a": (0.0, 1.0)}, 0, rng())
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        random_search(f, {"a": (0.0, 1.0)}, 3, None)


# ---------------------------------------------------------------- scikit-learn
def test_grid_visits_the_combinations_of_sklearn_parameter_grid() -> None:
    require("sklearn")
    from sklearn.model_selection import ParameterGrid

    grid = {"lr": [1e-3, 1e-2, 1e-1], "depth": [2, 4], "act": ["relu", "tanh"]}
    visited = []
    best, value, _ = grid_search(lambda **p: visited.append(p) or bowl(p["lr"], 0.3) + p["depth"], grid)
    # the same set of combinations (sklearn sorts the keys, so the order differs)
    as_set = lambda ps: {tuple(sorted(p.items())) for p in ps}
    assert as_set(visited) == as_set(ParameterGrid(grid)) and len(visited) == len(ParameterGrid(grid))
    ref = min(ParameterGrid(grid), key=lambda p: bowl(p["lr"], 0.3) + p["depth"])
    assert value == bowl(ref["lr"], 0.3) + ref["depth"] and best["lr"] == ref["lr"] and best["depth"] == ref["depth"]


def test_log_uniform_matches_scipy_loguniform_in_distribution() -> None:
    # the draws of ParameterSampler's loguniform and ours come from one distribution: a two-sample
    # Kolmogorov-Smirnov test on 3000 draws each (fixed seeds) must not reject at the 0.1 % level
    require("sklearn")
    stats = require("scipy.stats")
    from sklearn.model_selection import ParameterSampler

    ref = [p["lam"] for p in ParameterSampler({"lam": stats.loguniform(1e-4, 1.0)}, n_iter=3000, random_state=0)]
    seen = []
    random_search(lambda lam: seen.append(lam) or 0.0, {"lam": (1e-4, 1.0, "log")}, 3000, rng(4))
    assert stats.ks_2samp(seen, ref).pvalue > 1e-3
