"""kfold_indices / stratified_kfold_indices / cross_val_score: hand folds, partition and
stratification properties, bad input, scikit-learn's KFold, StratifiedKFold and cross_val_score."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from snippets import cross_val_score, kfold_indices, stratified_kfold_indices
from tests.reference import assert_matches, require


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def as_lists(folds) -> list[tuple[list[int], list[int]]]:
    return [(train.tolist(), test.tolist()) for train, test in folds]


# ---------------------------------------------------------------- hand-checked values
def test_hand_folds() -> None:
    # 10 = 3 * 3 + 1: the first fold takes the extra sample, sizes 4, 3, 3, in order
    assert as_lists(kfold_indices(10, n_splits=3)) == [
        ([4, 5, 6, 7, 8, 9], [0, 1, 2, 3]),
        ([0, 1, 2, 3, 7, 8, 9], [4, 5, 6]),
        ([0, 1, 2, 3, 4, 5, 6], [7, 8, 9]),
    ]
    # leave-one-out is K = N: test set {i}, training set everything else
    loo = kfold_indices(4, n_splits=4)
    assert [test.tolist() for _, test in loo] == [[0], [1], [2], [3]]
    assert loo[2][0].tolist() == [0, 1, 3]
    # the default K is 5: 12 = 5 * 2 + 2, sizes 3, 3, 2, 2, 2
    assert [len(test) for _, test in kfold_indices(12)] == [3, 3, 2, 2, 2]
    assert all(a.dtype == np.int64 for pair in kfold_indices(12) for a in pair)


def test_hand_stratified_folds() -> None:
    # labels 1 1 1 0 0 0, K = 3: class 1 appears first and is numbered 0; each fold gets one of each
    got = stratified_kfold_indices([1, 1, 1, 0, 0, 0], n_splits=3)
    assert [test.tolist() for _, test in got] == [[0, 3], [1, 4], [2, 5]]
    # 0 0 0 0 1 1, K = 2: round-robin over the sorted labels 0 0 0 0 1 1 gives folds 0 1 0 1 0 1,
    # so class 0 has 2 + 2 and class 1 has 1 + 1; each class fills fold 0 first, in data order
    got = stratified_kfold_indices(np.array([0.0, 0.0, 0.0, 0.0, 1.0, 1.0]), n_splits=2)
    assert as_lists(got) == [([2, 3, 5], [0, 1, 4]), ([0, 1, 4], [2, 3, 5])]


def test_hand_scores() -> None:
    # a model that predicts the training mean, y = 0 0 1 1, K = 2: errors are all 1, MSE 1 per fold
    mean = lambda X_tr, y_tr, X_te: np.full(len(X_te), y_tr.mean())  # noqa: E731
    np.testing.assert_array_equal(cross_val_score(mean, np.zeros((4, 1)), [0.0, 0.0, 1.0, 1.0], 2), [1.0, 1.0])
    # y = 0 .. 5, K = 3: fold {0, 1} is predicted by mean(2..5) = 3.5: errors 3.5, 2.5 -> MSE 9.25;
    # fold {2, 3} by mean(0, 1, 4, 5) = 2.5: errors 0.5, 0.5 -> 0.25; fold {4, 5}: 1.5 -> 9.25
    y = np.arange(6.0)
    np.testing.assert_allclose(cross_val_score(mean, y[:, None], y, 3), [9.25, 0.25, 9.25], rtol=1e-15)
    # accuracy: predicting the majority class of the training folds; y = 0 0 0 1 1 1, K = 3
    # folds {0,1} -> trained on 0 1 1 1 -> predicts 1: 0 hits; {2,3} -> 0 0 1 1, tie -> argmax 0: 1 hit;
    # {4,5} -> 0 0 0 1 -> predicts 0: 0 hits
    major = lambda X_tr, y_tr, X_te: np.full(len(X_te), float(np.argmax(np.bincount(y_tr.astype(int)))))  # noqa: E731
    yc = np.array([0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(cross_val_score(major, np.zeros((6, 2)), yc, 3, scoring="accuracy"), [0.0, 0.5, 0.0])


def test_score_dtype() -> None:
    mean = lambda X_tr, y_tr, X_te: np.full(len(X_te), y_tr.mean(), dtype=y_tr.dtype)  # noqa: E731
    X, y = np.zeros((6, 1), np.float32), np.arange(6, dtype=np.float32)
    assert cross_val_score(mean, X, y, 3).dtype == np.float32
    assert cross_val_score(mean, X, y.astype(np.float64), 3).dtype == np.float64
    assert cross_val_score(mean, X.tolist(), [0, 1, 2, 3, 4, 5], 3).dtype == np.float64


# ---------------------------------------------------------------- properties
@given(st.integers(2, 300), st.integers(2, 20), st.booleans(), st.integers(0, 2**32 - 1))
def test_folds_partition_the_samples(n: int, k: int, shuffle: bool, seed: int) -> None:
    if k > n:
        return
    folds = kfold_indices(n, k, shuffle=shuffle, rng=rng(seed))
    assert len(folds) == k
    tests = np.concatenate([test for _, test in folds])
    # every sample is tested exactly once
    np.testing.assert_array_equal(np.sort(tests), np.arange(n))
    for train, test in folds:
        # each split is a partition of 0..N-1, and fold sizes are floor or ceil of N/K
        np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(n))
        assert len(test) in (n // k, math.ceil(n / k))
        assert np.all(np.diff(train) > 0) and np.all(np.diff(test) > 0)


@given(st.lists(st.integers(0, 3), min_size=2, max_size=200), st.integers(2, 8))
def test_stratified_folds_keep_the_class_shares(labels: list[int], k: int) -> None:
    y = np.array(labels)
    counts = np.bincount(y)
    if k > len(y) or np.all(counts < k):
        return
    folds = stratified_kfold_indices(y, k)
    np.testing.assert_array_equal(np.sort(np.concatenate([t for _, t in folds])), np.arange(len(y)))
    sizes = [len(t) for _, t in folds]
    assert max(sizes) - min(sizes) <= 1
    for c, n_c in enumerate(counts):
        # each class is spread as evenly as possible: floor or ceil of n_c / K per test fold
        per_fold = [int(np.sum(y[t] == c)) for _, t in folds]
        assert sum(per_fold) == n_c and max(per_fold) - min(per_fold) <= 1


def test_shuffle_is_reproducible_and_random() -> None:
    a = kfold_indices(50, 5, shuffle=True, rng=rng(3))
    b = kfold_indices(50, 5, shuffle=True, rng=rng(3))
    assert as_lists(a) == as_lists(b)
    assert as_lists(a) != as_lists(kfold_indices(50, 5))
    # rng=None with shuffle draws from a fresh generator; without shuffle the rng is unused
    assert len(kfold_indices(50, 5, shuffle=True)) == 5
    assert as_lists(kfold_indices(9, 3, rng=rng(1))) == as_lists(kfold_indices(9, 3))


def test_each_sample_is_equally_likely_in_each_fold() -> None:
    # 4000 shuffles of N = 6, K = 3: each sample lands in fold 0 with probability 1/3; the count is
    # Binomial(4000, 1/3), sd = sqrt(4000 * 1/3 * 2/3) = 29.8: a 5-sigma band
    g = rng(5)
    counts = np.zeros(6)
    for _ in range(4000):
        counts[kfold_indices(6, 3, shuffle=True, rng=g)[0][1]] += 1
    assert np.all(np.abs(counts - 4000 / 3) < 5 * 29.8)


def test_the_score_never_sees_its_test_fold() -> None:
    # a "model" that reports whether any training row equals a test row: never, as rows are 0..N-1
    leak = lambda X_tr, y_tr, X_te: np.isin(X_te[:, 0], X_tr[:, 0]).astype(float)  # noqa: E731
    X = np.arange(20.0)[:, None]
    np.testing.assert_array_equal(cross_val_score(leak, X, np.zeros(20), 4, scoring="accuracy"), np.ones(4))


def test_stability_at_large_values() -> None:
    # |y| up to 1e4: squared errors up to 4e8 stay finite, and no warning is raised
    mean = lambda X_tr, y_tr, X_te: np.full(len(X_te), y_tr.mean(), dtype=y_tr.dtype)  # noqa: E731
    for dtype in (np.float32, np.float64):
        y = np.array([-1e4, 1e4, -1e4, 1e4, 1e4, -1e4], dtype=dtype)
        s = cross_val_score(mean, np.zeros((6, 1), dtype), y, 3)
        assert s.dtype == dtype and np.all(np.isfinite(s))
    # NaN in a target carries to that fold's score only
    y = np.array([0.0, 1.0, 2.0, np.nan, 4.0, 5.0])
    s = cross_val_score(lambda a, b, c: np.zeros(len(c)), np.zeros((6, 1)), y, 3)
    assert np.isnan(s[1]) and np.isfinite(s[[0, 2]]).all()


# ---------------------------------------------------------------- bad input
def test_bad_sizes() -> None:
    with pytest.raises(ValueError, match="n_splits must be an integer >= 2, got 1"):
        kfold_indices(10, 1)
    with pytest.raises(ValueError, match="n_splits = 5 folds need at least as many samples, got n_samples = 3"):
        kfold_indices(3, 5)
    with pytest.raises(TypeError, match="n_samples must be an integer, got float"):
        kfold_indices(10.0, 2)
    with pytest.raises(TypeError, match="shuffle must be a bool, got int"):
        kfold_indices(10, 2, 1)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        kfold_indices(10, 2, True, 42)


def test_bad_labels() -> None:
    with pytest.raises(ValueError, match=r"n_splits = 3 is larger than the size of every class in y \(largest class: 2\)"):
        stratified_kfold_indices([0, 0, 1, 1], 3)
    with pytest.raises(ValueError, match="y must hold class labels"):
        stratified_kfold_indices([0.5, 1.0, 0.0], 2)
    with pytest.raises(ValueError, match=r"y must be a 1-D array of class labels, got shape \(2, 2\)"):
        stratified_kfold_indices([[0, 1], [1, 0]], 2)
    with pytest.raises(ValueError, match="got 1 labels in y"):
        stratified_kfold_indices([0], 2)


def test_bad_scoring_input() -> None:
    f = lambda a, b, c: np.zeros(len(c))  # noqa: E731
    with pytest.raises(ValueError, match=r"X must have one row per target in y: X has shape \(5, 1\), y has shape \(4,\)"):
        cross_val_score(f, np.zeros((5, 1)), np.zeros(4), 2)
    with pytest.raises(ValueError, match="scoring must be 'mse' or 'accuracy', got 'r2'"):
        cross_val_score(f, np.zeros((4, 1)), np.zeros(4), 2, scoring="r2")
    with pytest.raises(TypeError, match="fit_predict must be callable"):
        cross_val_score(None, np.zeros((4, 1)), np.zeros(4), 2)
    with pytest.raises(ValueError, match=r"fit_predict must return shape \(2,\), got \(3,\)"):
        cross_val_score(lambda a, b, c: np.zeros(3), np.zeros((4, 1)), np.zeros(4), 2)
    with pytest.raises(TypeError, match="X must be real-valued"):
        cross_val_score(f, np.zeros((4, 1), complex), np.zeros(4), 2)


# ---------------------------------------------------------------- scikit-learn
def test_kfold_matches_sklearn() -> None:
    require("sklearn")
    from sklearn.model_selection import KFold

    for n in [2, 3, 5, 10, 11, 37, 100, 101]:
        for k in [2, 3, 4, 5, 7, 10, n]:
            if k > n:
                continue
            ref = [(a.tolist(), b.tolist()) for a, b in KFold(k).split(np.zeros((n, 1)))]
            assert as_lists(kfold_indices(n, k)) == ref, (n, k)


@pytest.mark.parametrize("seed", range(6))
def test_stratified_matches_sklearn(seed: int) -> None:
    require("sklearn")
    from sklearn.model_selection import StratifiedKFold

    g = rng(seed)
    for _ in range(20):
        n = int(g.integers(6, 80))
        # labels with uneven classes that appear in any order (class numbering is by appearance)
        y = g.choice([7, 2, 5, 11], size=n, p=[0.5, 0.25, 0.15, 0.1])
        k = int(g.integers(2, 6))
        if np.all(np.bincount(y) < k) or k > n:
            continue
        with warnings.catch_warnings():  # sklearn warns when the smallest class has < K members
            warnings.simplefilter("ignore", UserWarning)
            ref = [(a.tolist(), b.tolist()) for a, b in StratifiedKFold(k).split(np.zeros(n), y)]
        assert as_lists(stratified_kfold_indices(y, k)) == ref, (y.tolist(), k)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_val_score_matches_sklearn(dtype) -> None:
    require("sklearn")
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import KFold
    from sklearn.model_selection import cross_val_score as sk_cross_val_score

    g = rng(1)
    X = g.normal(size=(60, 3)).astype(dtype)
    y = (X @ np.array([1.0, -2.0, 0.5]) + 0.3 * g.normal(size=60)).astype(dtype)
    X[0, 0], y[1] = 1e4, -1e4  # one extreme row and one extreme target

    def ridge(X_tr, y_tr, X_te):
        return Ridge(alpha=1.0).fit(X_tr, y_tr).predict(X_te)

    ours = cross_val_score(ridge, X, y, 5)
    ref = -sk_cross_val_score(Ridge(alpha=1.0), X, y, cv=KFold(5), scoring="neg_mean_squared_error")
    # the same model on the same folds: the predictions are identical, and only the summation
    # order of a fold's mean of 12 squared errors may differ, a few units of the last place
    assert_matches(ours, ref, dtype, ulps=4)
