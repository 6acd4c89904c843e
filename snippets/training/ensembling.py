"""Ensembling: combine several models' predictions (soft voting averages their class probabilities,
hard voting takes the majority label) and train each on its own bootstrap sample (bagging)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import (
    as_float_array,
    as_grad_out,
    as_int,
    as_labels,
    check_generator,
    check_shape,
    propagates_nonfinite,
)

__all__ = ["soft_vote", "soft_vote_backward", "hard_vote", "bagging_indices"]


def _check_soft(probas: ArrayLike, weights: ArrayLike | None) -> tuple[np.ndarray, np.ndarray]:
    """``probas`` (M, *) with M >= 1 and the normalised weights (M,) in probas' float dtype."""
    probas = as_float_array(probas, "probas")
    if probas.ndim == 0 or probas.shape[0] == 0:
        raise ValueError(f"probas must have shape (n_models, ...) with at least one model, got {probas.shape}")
    m = probas.shape[0]
    if weights is None:
        w = np.full(m, 1.0 / m, dtype=probas.dtype)
    else:
        w = as_float_array(weights, "weights")
        check_shape(w, (m,), "weights", "(n_models,)", f"probas of shape {probas.shape}")
        if np.any(w < 0) or not np.all(np.isfinite(w)) or w.sum() <= 0:
            raise ValueError(f"weights must be finite, non-negative and not all 0, got {w.tolist()}")
        w = (w / w.sum()).astype(probas.dtype)
    return probas, w


# --8<-- [start:soft_vote]
@propagates_nonfinite
def soft_vote(probas: ArrayLike, weights: ArrayLike | None = None) -> np.ndarray:
    """Average the class probabilities of several models (weighted), as scikit-learn's soft voting.

    ``VotingClassifier(voting="soft").predict_proba`` computes ``np.average(probas, axis=0,
    weights=weights)``; the predicted class is the argmax of the result.

    Parameters
    ----------
    probas : array_like, shape (n_models, n_samples, n_classes)
        Each model's predicted probabilities (any trailing shape works: regressions' outputs too).
    weights : array_like, shape (n_models,), optional
        Non-negative weight per model, normalised to sum to 1. Default: equal weights.

    Returns
    -------
    ndarray, shape (n_samples, n_classes)
        The weighted mean over models, in probas' float dtype; rows still sum to 1.

    Examples
    --------
    Two models disagree on one sample: (0.9, 0.1) and (0.4, 0.6) average to (0.65, 0.35);
    weighting the second model three times as much gives (0.525, 0.475).

    >>> soft_vote([[[0.9, 0.1]], [[0.4, 0.6]]])
    array([[0.65, 0.35]])
    >>> soft_vote([[[0.9, 0.1]], [[0.4, 0.6]]], weights=[1, 3])
    array([[0.525, 0.475]])
    """
    probas, w = _check_soft(probas, weights)
    # sum over the models of w_m p_m, with the weights normalised to sum to 1
    return np.tensordot(w, probas, axes=1)
# --8<-- [end:soft_vote]


# --8<-- [start:soft_vote_backward]
@propagates_nonfinite
def soft_vote_backward(grad_out: ArrayLike, probas: ArrayLike, weights: ArrayLike | None = None) -> np.ndarray:
    """Gradient of :func:`soft_vote` with respect to ``probas``: each model receives ``w_m grad_out``.

    Parameters
    ----------
    grad_out : array_like, shape (n_samples, n_classes)
        Upstream gradient, the shape of the vote.
    probas, weights
        As in :func:`soft_vote` (the weights are not differentiated).

    Returns
    -------
    ndarray, shape (n_models, n_samples, n_classes)

    Examples
    --------
    >>> soft_vote_backward([[1.0, -2.0]], [[[0.9, 0.1]], [[0.4, 0.6]]], weights=[1, 3]).tolist()
    [[[0.25, -0.5]], [[0.75, -1.5]]]
    """
    probas, w = _check_soft(probas, weights)
    g = as_grad_out(grad_out, probas.shape[1:], probas.dtype)
    # the vote is linear in each model's output: d vote / d p_m = w_m
    return w.reshape(-1, *([1] * g.ndim)) * g
# --8<-- [end:soft_vote_backward]


# --8<-- [start:hard_vote]
def hard_vote(predictions: ArrayLike) -> np.ndarray:
    """The majority label per sample; a tie goes to the smallest label, as ``scipy.stats.mode``.

    Parameters
    ----------
    predictions : array_like of int, shape (n_models, n_samples)
        Each model's predicted class labels (non-negative integers).

    Returns
    -------
    ndarray of int64, shape (n_samples,)

    Examples
    --------
    Three models: sample 0 gets votes (2, 2, 0) -> 2; sample 1 gets (1, 0, 0) -> 0; sample 2 gets
    (1, 0, 2), a three-way tie -> the smallest label, 0.

    >>> hard_vote([[2, 1, 1], [2, 0, 0], [0, 0, 2]])
    array([2, 0, 0])
    """
    predictions = as_labels(predictions, "predictions")
    if predictions.ndim != 2 or predictions.shape[0] == 0:
        raise ValueError(
            f"predictions must have shape (n_models, n_samples) with at least one model, got {predictions.shape}"
        )
    if predictions.size and predictions.min() < 0:
        raise ValueError(f"predictions must hold non-negative labels, got {predictions.min()}")
    n_classes = int(predictions.max()) + 1 if predictions.size else 1
    # votes[c, i]: how many models predicted class c for sample i
    votes = np.zeros((n_classes, predictions.shape[1]), dtype=np.int64)
    np.add.at(votes, (predictions, np.arange(predictions.shape[1])), 1)
    # argmax returns the first maximum: the smallest label wins a tie
    return votes.argmax(axis=0).astype(np.int64)
# --8<-- [end:hard_vote]


# --8<-- [start:bagging_indices]
def bagging_indices(n: int, n_estimators: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap samples for bagging: for each model, ``n`` indices drawn from ``0 .. n-1`` with replacement.

    Each model sees a sample of the size of the training set in which about ``1 - 1/e = 63.2 %``
    of the examples appear (some several times) and the rest are left out: they are that model's
    out-of-bag examples.

    Parameters
    ----------
    n : int
        Training-set size, ``>= 1``.
    n_estimators : int
        Number of models, ``>= 1``.
    rng : numpy.random.Generator
        Source of the draws.

    Returns
    -------
    ndarray of int64, shape (n_estimators, n)

    Examples
    --------
    The number of distinct examples in a row has mean n (1 - (1 - 1/n)^n) = 632.3 for n = 1000 and
    standard deviation 9.9, so every row lands inside 600 .. 665 (more than 3 deviations either side):

    >>> idx = bagging_indices(1000, 3, np.random.default_rng(0))
    >>> idx.shape, all(600 < len(np.unique(row)) < 665 for row in idx)
    ((3, 1000), True)
    """
    n = as_int(n, "n", low=1)
    n_estimators = as_int(n_estimators, "n_estimators", low=1)
    check_generator(rng)
    # every row: n independent uniform draws from the training set (with replacement)
    return rng.integers(0, n, size=(n_estimators, n), dtype=np.int64)
# --8<-- [end:bagging_indices]
