"""Helpers shared by the tests of the binary ranking metrics, roc_auc and average_precision: both
rank the scores through one input check (``_check_binary_scores``) and are tested on the same
kind of data."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays


@st.composite
def labelled_scores(draw, max_size: int, first: tuple[int, ...], bound: float, integers: bool = False):
    """1-D labels in {0, 1} that start with ``first`` (the classes the metric needs), and scores
    with frequent ties: integers in [-20, 20] if ``integers``, else small integers mixed with
    floats in [-bound, bound]."""
    n = draw(st.integers(0, max_size - len(first)))
    y = np.concatenate([list(first), draw(arrays(np.int64, n, elements=st.integers(0, 1)))])
    if integers:
        elements = st.integers(-20, 20).map(float)
    else:
        elements = st.one_of(st.integers(-3, 3).map(float), st.floats(-bound, bound, allow_nan=False))
    return y, draw(arrays(np.float64, y.size, elements=elements))


def reference_cases(
    count: int, sizes: tuple[int, int], both_classes: bool, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``count`` cases of binary labels in every accepted encoding with scores rich in ties, in
    several dtypes; ``sizes`` bounds the length (high end excluded). Every case has a positive,
    and a negative too if ``both_classes``."""
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(count):
        n = int(rng.integers(*sizes))
        y01 = rng.integers(0, 2, size=n)
        if both_classes:
            y01[rng.choice(n, size=2, replace=False)] = [0, 1]  # both classes somewhere
        else:
            y01[rng.integers(n)] = 1  # at least one positive
        # informative scores, rounded to 0-2 decimals: many ties, which is where curves differ
        raw = rng.normal(size=n) + rng.uniform(-1, 3) * y01
        scores = np.round(raw * rng.choice([0.5, 3.0, 1e4]), int(rng.integers(0, 3)))
        dtype = [np.float64, np.float32, np.int64][i % 3]
        y = [y01, 2 * y01 - 1, y01.astype(bool), y01.astype(np.float64)][i % 4]
        cases.append((y, scores.astype(dtype)))
    return cases


def assert_inputs_unchanged(*fns: Callable) -> None:
    """Each of ``fns`` runs on read-only labels and scores and leaves them as they were."""
    y, s = np.array([1, 0, 1, 0, 1]), np.array([0.3, 0.9, 0.3, 0.1, 0.5])
    y0, s0 = y.copy(), s.copy()
    y.setflags(write=False)
    s.setflags(write=False)
    for fn in fns:
        fn(y, s)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(s, s0)


def check_bad_input(fn: Callable) -> None:
    """The errors of ``_check_binary_scores`` that every binary ranking metric shares: shapes,
    non-finite scores, labels outside {0, 1} / {-1, 1}, and non-numeric or complex data. (Which
    classes must be present differs by metric: each test file checks that itself.)"""
    # shapes
    with pytest.raises(ValueError, match=r"scores must have the same shape as y_true: y_true has shape \(3,\), scores has shape \(2,\)"):
        fn([0, 1, 1], [0.2, 0.5])
    with pytest.raises(ValueError, match=r"scores must have the same shape as y_true: y_true has shape \(2,\), scores has shape \(2, 1\)"):
        fn([0, 1], [[0.2], [0.5]])
    with pytest.raises(ValueError, match=r"y_true and scores must be non-empty 1-D arrays, got shapes \(2, 2\) and \(2, 2\)"):
        fn([[0, 1], [1, 0]], [[0.1, 0.2], [0.3, 0.4]])
    with pytest.raises(ValueError, match=r"non-empty 1-D arrays, got shapes \(0,\) and \(0,\)"):
        fn([], [])
    with pytest.raises(ValueError, match=r"non-empty 1-D arrays, got shapes \(\) and \(\)"):
        fn(1, 0.5)
    # values
    for bad in (np.nan, np.inf, -np.inf):
        with pytest.raises(ValueError, match=rf"scores must be finite, found {bad} at index 1"):
            fn([0, 1, 1], [0.2, bad, 0.4])
    with pytest.raises(ValueError, match=r"scores must be finite, found inf"):
        fn([0, 1], np.array([0.5, np.inf], dtype=np.float32))
    with pytest.raises(ValueError, match=r"y_true must hold binary labels in \{0, 1\} or \{-1, 1\} .* found labels \[1 2\]"):
        fn([1, 2, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"found labels \[0 1 2\]"):
        fn([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"y_true must hold class labels: .* found 0.5 at index \[1\]"):
        fn([0.0, 0.5, 1.0], [0.1, 0.2, 0.3])
    # types
    with pytest.raises(TypeError, match="scores must be numeric, got dtype <U1"):
        fn([0, 1], ["a", "b"])
    with pytest.raises(TypeError, match="scores must be real-valued, got complex dtype complex128"):
        fn([0, 1], [0j, 1j])
    with pytest.raises(TypeError, match="scores must be numeric, got dtype object"):
        fn([0, 1], [None, 0.5])
    with pytest.raises(TypeError, match=r"y_true must hold binary labels \(0/1, -1/1 or booleans\), got non-numeric dtype <U3"):
        fn(["neg", "pos"], [0.1, 0.9])
    with pytest.raises(TypeError, match="y_true must hold binary labels .* got complex dtype complex128"):
        fn([0j, 1j], [0.1, 0.9])
