"""Train / validation / test split: three disjoint subsets, to fit, to choose, and to report."""

from __future__ import annotations

import math

import numpy as np

from snippets._validate import as_bool, as_int, as_real_scalar, check_generator

__all__ = ["split_sizes", "train_val_test_split"]


# --8<-- [start:split_sizes]
def split_sizes(n_samples: int, val_fraction: float, test_fraction: float) -> tuple[int, int, int]:
    """Sizes of the training, validation and test sets for ``n_samples`` samples.

    Each held-out set gets ``ceil(fraction * n_samples)`` samples, the rule of
    ``sklearn.model_selection.train_test_split`` for a float ``test_size`` (the product is
    rounded to float first, as there); the training set gets the rest.

    Parameters
    ----------
    n_samples : int
        Number of samples N, ``>= 1``.
    val_fraction : float
        Fraction of N for validation, in [0, 1).
    test_fraction : float
        Fraction of N for the test set, in [0, 1).

    Returns
    -------
    (n_train, n_val, n_test) : tuple of int
        ``n_val = ceil(val_fraction * N)``, ``n_test = ceil(test_fraction * N)``,
        ``n_train = N - n_val - n_test >= 1``.

    Raises
    ------
    ValueError
        When the held-out sets leave no training sample.

    Examples
    --------
    >>> split_sizes(1000, 0.1, 0.2)  # 100 and 200 held out, 700 left to train on
    (700, 100, 200)
    >>> split_sizes(10, 0.15, 0.15)  # ceil(1.5) = 2 each: the held-out sets round up
    (6, 2, 2)
    """
    n = as_int(n_samples, "n_samples", low=1)
    val = as_real_scalar(val_fraction, "val_fraction", low=0.0, high=1.0)
    test = as_real_scalar(test_fraction, "test_fraction", low=0.0, high=1.0)
    # round each held-out size up, so a non-zero fraction never gives an empty set
    n_val, n_test = math.ceil(val * n), math.ceil(test * n)
    n_train = n - n_val - n_test
    if n_train < 1:
        raise ValueError(
            f"val_fraction = {val} and test_fraction = {test} of n_samples = {n} leave "
            f"{n_train} training samples (n_val = {n_val}, n_test = {n_test}); lower the fractions"
        )
    return n_train, n_val, n_test
# --8<-- [end:split_sizes]


# --8<-- [start:train_val_test_split]
def train_val_test_split(
    n_samples: int,
    val_fraction: float,
    test_fraction: float,
    rng: np.random.Generator,
    shuffle: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split the indices ``0 .. N-1`` into disjoint training, validation and test sets.

    Sizes follow :func:`split_sizes`. One random permutation is cut into three consecutive
    pieces, so the three sets are disjoint and together hold every index once.

    Parameters
    ----------
    n_samples : int
        Number of samples N, ``>= 1``.
    val_fraction, test_fraction : float
        Fractions of N held out for validation and for the test, each in [0, 1).
    rng : numpy.random.Generator
        Source of the permutation (unused when ``shuffle=False``).
    shuffle : bool, default True
        ``False`` takes the first samples for training, then validation, then test (only
        right when the order carries no information, or is time and the future is the test).

    Returns
    -------
    train, val, test : ndarray of int64, shapes (n_train,), (n_val,), (n_test,)
        Index arrays into the dataset, in the permutation's order.

    Examples
    --------
    >>> train, val, test = train_val_test_split(10, 0.2, 0.3, np.random.default_rng(0), shuffle=False)
    >>> train, val, test  # ceil(2.0) = 2 and ceil(3.0) = 3 held out, in order
    (array([0, 1, 2, 3, 4]), array([5, 6]), array([7, 8, 9]))
    """
    n_train, n_val, n_test = split_sizes(n_samples, val_fraction, test_fraction)
    shuffle = as_bool(shuffle, "shuffle")
    check_generator(rng)
    n = n_train + n_val + n_test
    order = (rng.permutation(n) if shuffle else np.arange(n)).astype(np.int64, copy=False)
    # cut one permutation in three: disjoint by construction, and nothing is left out
    return order[:n_train], order[n_train : n_train + n_val], order[n_train + n_val :]
# --8<-- [end:train_val_test_split]
