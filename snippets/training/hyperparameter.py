"""Hyperparameters and how to choose them: grid search and random search on a validation loss."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from snippets._validate import as_int, as_real_scalar, check_generator

__all__ = ["grid_search", "random_search"]


def _best(trials: list[dict], values: list[float]) -> tuple[dict, float, np.ndarray]:
    """The trial with the smallest value (the first one on ties; NaN never wins unless all are NaN)."""
    values = np.asarray(values, dtype=np.float64)
    ranked = np.where(np.isnan(values), np.inf, values)
    i = int(np.argmin(ranked))
    return trials[i], float(values[i]), values


def _evaluate(f: Callable[..., float], params: dict) -> float:
    value = f(**params)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"f must return a real number, got {type(value).__name__} for {params}") from None


# --8<-- [start:grid_search]
def grid_search(
    f: Callable[..., float], grid: Mapping[str, Sequence]
) -> tuple[dict, float, np.ndarray]:
    """Evaluate ``f`` at every combination of the listed values; keep the smallest.

    The combinations are those of ``sklearn.model_selection.ParameterGrid(grid)``, visited in
    ``itertools.product`` order of ``grid``'s keys as given (the last key varies fastest).

    Parameters
    ----------
    f : callable
        ``f(**params) -> float``, the quantity to minimise (a validation loss), called once per
        combination with one keyword argument per key of ``grid``.
    grid : mapping of str to a non-empty sequence
        The values to try for each hyperparameter.

    Returns
    -------
    best_params : dict
        The combination with the smallest value (the first one visited on ties; NaN values lose).
    best_value : float
        ``f(**best_params)``.
    values : ndarray of float64, shape (prod of the lengths,)
        Every value of ``f``, in the order visited.

    Examples
    --------
    >>> # (a - 1)^2 + b over a in {0, 1, 2}, b in {0, 5}: the minimum 0 is at a = 1, b = 0
    >>> best, value, values = grid_search(lambda a, b: (a - 1) ** 2 + b, {"a": [0, 1, 2], "b": [0, 5]})
    >>> best, value, values.tolist()
    ({'a': 1, 'b': 0}, 0.0, [1.0, 6.0, 0.0, 5.0, 1.0, 6.0])
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    if not isinstance(grid, Mapping) or not grid:
        raise ValueError(f"grid must be a non-empty mapping of names to lists of values, got {grid!r}")
    names = list(grid)
    for name in names:
        values = grid[name]
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence | np.ndarray) or len(values) == 0:
            raise ValueError(f"grid[{name!r}] must be a non-empty list of values, got {values!r}")
    # every combination: the Cartesian product of the lists, one evaluation each
    trials = [dict(zip(names, combo)) for combo in itertools.product(*(grid[k] for k in names))]
    return _best(trials, [_evaluate(f, params) for params in trials])
# --8<-- [end:grid_search]


def _check_range(name: str, spec: object) -> tuple[float, float, bool]:
    """``(low, high)`` or ``(low, high, "log")`` -> (low, high, log scale?)."""
    if not isinstance(spec, tuple) or len(spec) not in (2, 3) or (len(spec) == 3 and spec[2] != "log"):
        raise ValueError(f"space[{name!r}] must be (low, high) or (low, high, 'log'), got {spec!r}")
    low = as_real_scalar(spec[0], f"space[{name!r}] low")
    high = as_real_scalar(spec[1], f"space[{name!r}] high")
    log = len(spec) == 3
    if not low < high or (log and low <= 0):
        raise ValueError(
            f"space[{name!r}] needs low < high{' and low > 0 on a log scale' if log else ''}, got {spec!r}"
        )
    return low, high, log


# --8<-- [start:random_search]
def random_search(
    f: Callable[..., float],
    space: Mapping[str, tuple],
    n_trials: int,
    rng: np.random.Generator,
) -> tuple[dict, float, np.ndarray]:
    """Evaluate ``f`` at ``n_trials`` independent random points of a box; keep the smallest.

    Each hyperparameter is drawn independently: uniformly on ``[low, high]``, or log-uniformly
    (uniform in ``log``) for ``(low, high, "log")`` — the scale on which learning rates and
    penalty strengths matter. This is Bergstra & Bengio's (2012) random search;
    ``sklearn.model_selection.ParameterSampler`` with ``uniform`` / ``loguniform`` distributions
    draws from the same distributions.

    Parameters
    ----------
    f : callable
        ``f(**params) -> float``, the quantity to minimise.
    space : mapping of str to tuple
        ``name -> (low, high)`` or ``name -> (low, high, "log")`` with ``low < high``
        (and ``low > 0`` on a log scale).
    n_trials : int
        Number of evaluations, ``>= 1``.
    rng : numpy.random.Generator
        Source of the random points.

    Returns
    -------
    best_params : dict
        The sampled point with the smallest value (the first on ties; NaN values lose).
    best_value : float
        ``f(**best_params)``.
    values : ndarray of float64, shape (n_trials,)
        Every value of ``f``, in the order sampled.

    Examples
    --------
    >>> best, value, values = random_search(lambda a: (a - 0.5) ** 2, {"a": (0.0, 1.0)}, 50, np.random.default_rng(0))
    >>> bool(value < 1e-3), len(values)  # 50 uniform draws: one lands within 0.03 of 0.5 (prob. 1 - 0.94^50 > 0.95)
    (True, 50)
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    if not isinstance(space, Mapping) or not space:
        raise ValueError(f"space must be a non-empty mapping of names to ranges, got {space!r}")
    ranges = {name: _check_range(name, spec) for name, spec in space.items()}
    n = as_int(n_trials, "n_trials", low=1)
    check_generator(rng)
    # one uniform draw per trial and hyperparameter, mapped onto its range (in log space if asked)
    u = rng.random((n, len(ranges)))
    columns = {}
    for j, (name, (low, high, log)) in enumerate(ranges.items()):
        if log:
            # exp may round a hair past the ends: clip back into [low, high]
            columns[name] = np.clip(np.exp(np.log(low) + u[:, j] * (np.log(high) - np.log(low))), low, high)
        else:
            columns[name] = low + u[:, j] * (high - low)
    trials = [{name: float(columns[name][i]) for name in ranges} for i in range(n)]
    return _best(trials, [_evaluate(f, params) for params in trials])
# --8<-- [end:random_search]
