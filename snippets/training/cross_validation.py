"""K-fold cross-validation: every sample is held out exactly once, and the K scores are averaged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from snippets._validate import (
    as_bool,
    as_callable_result,
    as_float_array,
    as_int,
    as_labels,
    check_callable,
    check_generator,
    propagates_nonfinite,
)

__all__ = ["kfold_indices", "stratified_kfold_indices", "cross_val_score"]


def _folds_from_labels(fold_of: np.ndarray, n_splits: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(train, test)`` index pairs from the fold number of every sample, both in ascending order."""
    index = np.arange(len(fold_of), dtype=np.int64)
    return [(index[fold_of != k], index[fold_of == k]) for k in range(n_splits)]


# --8<-- [start:kfold_indices]
def kfold_indices(
    n_samples: int,
    n_splits: int = 5,
    shuffle: bool = False,
    rng: np.random.Generator | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Training and test indices of the K folds of K-fold cross-validation.

    The indices ``0 .. N-1`` (shuffled once when ``shuffle``) are cut into K consecutive folds;
    the first ``N mod K`` folds hold ``N // K + 1`` samples, the others ``N // K``. Fold k is
    the test set of split k and the other K - 1 folds are its training set. With
    ``shuffle=False`` the result equals ``list(sklearn.model_selection.KFold(n_splits).split(X))``
    for any X of N rows.

    Parameters
    ----------
    n_samples : int
        Number of samples N, ``>= n_splits``.
    n_splits : int, default 5
        Number of folds K, ``>= 2``.
    shuffle : bool, default False
        Permute the samples before cutting them into folds.
    rng : numpy.random.Generator, optional
        Source of the permutation when ``shuffle`` (a fresh unseeded generator when None);
        unused otherwise.

    Returns
    -------
    list of (train, test) tuples of ndarray of int64
        K pairs; ``test`` has shape ``(N // K + 1,)`` or ``(N // K,)``, ``train`` holds the
        other ``N - len(test)`` indices. Both are sorted ascending (as scikit-learn's).
        The K test sets are disjoint and together hold every index once.

    Examples
    --------
    >>> # 5 = 2 * 2 + 1: the first fold gets the extra sample (3 then 2)
    >>> kfold_indices(5, n_splits=2)
    [(array([3, 4]), array([0, 1, 2])), (array([0, 1, 2]), array([3, 4]))]
    >>> [test.tolist() for _, test in kfold_indices(7, n_splits=3)]  # sizes 3, 2, 2
    [[0, 1, 2], [3, 4], [5, 6]]
    """
    k = as_int(n_splits, "n_splits", low=2)
    n = as_int(n_samples, "n_samples", low=0)
    shuffle = as_bool(shuffle, "shuffle")
    if rng is not None:
        check_generator(rng)
    if n < k:
        raise ValueError(f"n_splits = {k} folds need at least as many samples, got n_samples = {n}")
    # fold sizes: N // K each, plus one for the first N mod K folds
    sizes = np.full(k, n // k, dtype=np.int64)
    sizes[: n % k] += 1
    # fold number of each position in the (possibly permuted) order: 0 0 0 1 1 2 2 ...
    fold_at_position = np.repeat(np.arange(k), sizes)
    if shuffle:
        order = (rng if rng is not None else np.random.default_rng()).permutation(n)
        fold_of = np.empty(n, dtype=np.int64)
        fold_of[order] = fold_at_position  # sample order[j] sits at position j
    else:
        fold_of = fold_at_position
    return _folds_from_labels(fold_of, k)
# --8<-- [end:kfold_indices]


# --8<-- [start:stratified_kfold_indices]
def stratified_kfold_indices(y: Any, n_splits: int = 5) -> list[tuple[np.ndarray, np.ndarray]]:
    """K folds in which every class keeps (as nearly as possible) its share of the data.

    The samples of each class are dealt to the K folds round-robin over the labels sorted by
    class (classes numbered in order of first appearance), and each class's samples take their
    folds in data order. Equal to ``list(sklearn.model_selection.StratifiedKFold(n_splits).split(X, y))``.
    A class with fewer than K members is missing from some test folds (scikit-learn warns
    about it; this function does not).

    Parameters
    ----------
    y : array_like of int, shape (N,)
        Class labels (integers, booleans or whole-valued floats).
    n_splits : int, default 5
        Number of folds K, ``>= 2``; at least one class must have K members or more.

    Returns
    -------
    list of (train, test) tuples of ndarray of int64
        K pairs of ascending index arrays; the test sets are disjoint and cover ``0 .. N-1``.
        Each class with ``n_c`` members has ``floor(n_c / K)`` or ``ceil(n_c / K)`` of them in
        every test fold, and the fold sizes differ by at most one.

    Examples
    --------
    >>> # four 0s then two 1s, K = 2: each test fold gets two 0s and one 1
    >>> [test.tolist() for _, test in stratified_kfold_indices([0, 0, 0, 0, 1, 1], n_splits=2)]
    [[0, 1, 4], [2, 3, 5]]
    """
    k = as_int(n_splits, "n_splits", low=2)
    labels = as_labels(y, "y")
    if labels.ndim != 1:
        raise ValueError(f"y must be a 1-D array of class labels, got shape {labels.shape}")
    n = len(labels)
    if n < k:
        raise ValueError(f"n_splits = {k} folds need at least as many samples, got {n} labels in y")
    # number the classes in order of first appearance, as scikit-learn does
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    _, rank = np.unique(first, return_inverse=True)
    code = rank[inverse]
    counts = np.bincount(code)
    if np.all(counts < k):
        raise ValueError(
            f"n_splits = {k} is larger than the size of every class in y (largest class: {counts.max()})"
        )
    # deal folds 0, 1, ..., K-1, 0, 1, ... along the labels sorted by class; within each class's
    # block the folds are then sorted, so its samples fill fold 0 first, then fold 1, ...
    sorted_code = np.sort(code)
    folds = np.sort(sorted_code * k + np.arange(n) % k) % k
    fold_of = np.empty(n, dtype=np.int64)
    fold_of[np.argsort(code, kind="stable")] = folds  # each class's samples in data order
    return _folds_from_labels(fold_of, k)
# --8<-- [end:stratified_kfold_indices]


# --8<-- [start:cross_val_score]
@propagates_nonfinite
def cross_val_score(
    fit_predict: Callable[[np.ndarray, np.ndarray, np.ndarray], Any],
    X: Any,
    y: Any,
    n_splits: int = 5,
    scoring: str = "mse",
) -> np.ndarray:
    """Score a model on each of the K folds of :func:`kfold_indices` (no shuffling).

    For each split, ``fit_predict(X_train, y_train, X_test)`` trains a fresh model on the K - 1
    training folds and returns its predictions for the held-out fold, which are scored against
    ``y_test``. The mean of the K scores is the cross-validation estimate of the test score.

    Parameters
    ----------
    fit_predict : callable
        ``fit_predict(X_train, y_train, X_test) -> predictions`` of shape ``(n_test,)``.
    X : array_like, shape (N, ...)
        Inputs, one row per sample.
    y : array_like, shape (N,)
        Targets.
    n_splits : int, default 5
        Number of folds K, ``2 <= K <= N``.
    scoring : {"mse", "accuracy"}, default "mse"
        ``"mse"``: mean squared error of the fold (lower is better; scikit-learn's
        ``"neg_mean_squared_error"`` is its negative). ``"accuracy"``: fraction of predictions
        equal to the target.

    Returns
    -------
    ndarray, shape (K,)
        One score per fold, float32 when X and y are float32, else float64.

    Examples
    --------
    >>> # predict the training mean: with y = 0, 0, 1, 1 and K = 2 each training fold has the
    >>> # opposite targets, so every prediction is off by 1 and each fold's MSE is 1
    >>> mean = lambda X_train, y_train, X_test: np.full(len(X_test), y_train.mean())
    >>> cross_val_score(mean, np.zeros((4, 1)), np.array([0.0, 0.0, 1.0, 1.0]), n_splits=2)
    array([1., 1.])
    """
    fit_predict = check_callable(fit_predict, "fit_predict")
    X = as_float_array(X, "X")
    y = as_float_array(y, "y")
    if y.ndim != 1 or X.ndim < 1 or len(X) != len(y):
        raise ValueError(f"X must have one row per target in y: X has shape {X.shape}, y has shape {y.shape}")
    if scoring not in ("mse", "accuracy"):
        raise ValueError(f"scoring must be 'mse' or 'accuracy', got {scoring!r}")
    dtype = np.result_type(X.dtype, y.dtype)
    scores = np.empty(as_int(n_splits, "n_splits", low=2), dtype=dtype)
    for k, (train, test) in enumerate(kfold_indices(len(y), n_splits)):
        pred = as_callable_result(fit_predict(X[train], y[train], X[test]), "fit_predict", (len(test),))
        # one number per fold: the mean of the squared errors, or of the hits
        if scoring == "mse":
            scores[k] = np.mean((pred - y[test]) ** 2)
        else:
            scores[k] = np.mean(pred == y[test])
    return scores
# --8<-- [end:cross_val_score]
