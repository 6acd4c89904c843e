"""split_sizes / train_val_test_split: hand sizes, partition properties, bad input,
scikit-learn's train_test_split rounding."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from snippets import split_sizes, train_val_test_split
from tests.reference import require

# two held-out shares of at most 0.4 round up to at most 0.8 N + 2 < N for N >= 11
fractions = st.floats(0.0, 0.4)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- hand-checked values
def test_hand_sizes() -> None:
    # 0.1 * 1000 = 100 and 0.2 * 1000 = 200 exactly in float64; the rest trains
    assert split_sizes(1000, 0.1, 0.2) == (700, 100, 200)
    # 0.15 * 10 = 1.5 -> 2 for each held-out set: 10 - 4 = 6
    assert split_sizes(10, 0.15, 0.15) == (6, 2, 2)
    # a zero fraction gives an empty set; no validation set at all
    assert split_sizes(10, 0.0, 0.3) == (7, 0, 3)
    # any positive fraction gives at least one sample: ceil(0.001 * 10) = 1
    assert split_sizes(10, 0.001, 0.001) == (8, 1, 1)
    # 0.07 * 100 is 7.000000000000001 in float64, so the ceiling is 8 (scikit-learn agrees)
    assert split_sizes(100, 0.07, 0.0) == (92, 8, 0)
    assert all(type(v) is int for v in split_sizes(np.int64(50), np.float32(0.1), 0.1))


def test_hand_split() -> None:
    train, val, test = train_val_test_split(10, 0.2, 0.3, rng(), shuffle=False)
    assert train.tolist() == [0, 1, 2, 3, 4] and val.tolist() == [5, 6] and test.tolist() == [7, 8, 9]
    assert train.dtype == val.dtype == test.dtype == np.int64
    # one sample, nothing held out
    train, val, test = train_val_test_split(1, 0.0, 0.0, rng())
    assert train.tolist() == [0] and val.size == 0 and test.size == 0


# ---------------------------------------------------------------- properties
@given(st.integers(11, 2000), fractions, fractions, st.booleans(), st.integers(0, 2**32 - 1))
def test_three_disjoint_sets_covering_everything(n: int, v: float, t: float, shuffle: bool, seed: int) -> None:
    train, val, test = train_val_test_split(n, v, t, rng(seed), shuffle=shuffle)
    assert (len(train), len(val), len(test)) == split_sizes(n, v, t)
    # the union is 0..N-1 and nothing appears twice
    np.testing.assert_array_equal(np.sort(np.concatenate([train, val, test])), np.arange(n))


@given(st.integers(11, 2000), fractions, fractions)
def test_held_out_sizes_round_up(n: int, v: float, t: float) -> None:
    n_train, n_val, n_test = split_sizes(n, v, t)
    # ceil: never below the requested share, less than one sample above it (of the float product)
    for size, frac in ((n_val, v), (n_test, t)):
        assert frac * n <= size and size - 1 < frac * n
        assert (size > 0) == (frac > 0)
    assert n_train + n_val + n_test == n


def test_same_seed_same_split() -> None:
    a = train_val_test_split(50, 0.2, 0.2, rng(4))
    b = train_val_test_split(50, 0.2, 0.2, rng(4))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


# ---------------------------------------------------------------- bad input
def test_no_training_sample_left() -> None:
    with pytest.raises(ValueError, match=r"val_fraction = 0.5 and test_fraction = 0.5 of n_samples = 4 leave 0 training samples"):
        split_sizes(4, 0.5, 0.5)
    # 0.3 * 3 = 0.9 -> 1 and 0.4 * 3 = 1.2 -> 2: nothing left to train on
    with pytest.raises(ValueError, match=r"leave 0 training samples \(n_val = 1, n_test = 2\)"):
        train_val_test_split(3, 0.3, 0.4, rng())


@pytest.mark.parametrize("bad", [-0.1, 1.5, np.nan, np.inf])
def test_fraction_out_of_range(bad) -> None:
    with pytest.raises(ValueError, match=r"test_fraction must be a finite number in \[0, 1\], got"):
        split_sizes(10, 0.1, bad)


def test_bad_types() -> None:
    with pytest.raises(TypeError, match="val_fraction must be a real number, got str"):
        split_sizes(10, "0.1", 0.1)
    with pytest.raises(TypeError, match="n_samples must be an integer, got float"):
        split_sizes(10.0, 0.1, 0.1)
    with pytest.raises(ValueError, match="n_samples must be an integer >= 1, got 0"):
        split_sizes(0, 0.1, 0.1)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        train_val_test_split(10, 0.1, 0.1, 42)
    with pytest.raises(TypeError, match="shuffle must be a bool, got int"):
        train_val_test_split(10, 0.1, 0.1, rng(), shuffle=0)


# ---------------------------------------------------------------- scikit-learn
def test_sizes_match_sklearn_train_test_split() -> None:
    require("sklearn")
    from sklearn.model_selection import train_test_split

    data = None
    for n in [3, 7, 10, 30, 99, 100, 101, 1000, 1234]:
        data = np.arange(n)
        for frac in [0.01, 0.05, 0.07, 0.1, 0.15, 0.2, 0.25, 1 / 3, 0.3, 0.45]:
            if math.ceil(frac * n) >= n:
                continue
            # each held-out set is sized like sklearn's test set for the same float fraction
            _, ref_test = train_test_split(data, test_size=frac, random_state=0)
            n_train, n_val, n_test = split_sizes(n, frac, 0.0)
            assert n_val == len(ref_test), (n, frac)
            n_train, n_val, n_test = split_sizes(n, 0.0, frac)
            assert n_test == len(ref_test), (n, frac)
            assert n_train == n - len(ref_test)
