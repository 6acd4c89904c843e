"""Calibration of predicted probabilities: reliability bins, the expected calibration error (ECE),
and temperature scaling, the one-parameter fix fitted on held-out logits."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_class_indices, as_float_array, as_int, as_probabilities, propagates_nonfinite

__all__ = ["reliability_bins", "expected_calibration_error", "fit_temperature"]


def _check_bins(confidences: np.ndarray, correct: ArrayLike, n_bins: object, name: str) -> tuple[np.ndarray, int]:
    """``correct`` as 0/1 floats of the confidences' 1-D shape, and ``n_bins`` >= 1."""
    n_bins = as_int(n_bins, "n_bins", low=1)
    if confidences.ndim != 1 or confidences.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {confidences.shape}")
    hits = np.asarray(correct)
    if hits.dtype.kind not in "biuf":
        raise TypeError(f"correct must hold 0/1 or booleans, got dtype {hits.dtype}")
    if hits.shape != confidences.shape:
        raise ValueError(
            f"correct must have the shape of {name}: {name} has shape {confidences.shape}, "
            f"correct has shape {hits.shape}"
        )
    if not np.all((hits == 0) | (hits == 1)):
        raise ValueError(f"correct must hold 0/1 or booleans, found {hits[(hits != 0) & (hits != 1)][0]}")
    return hits.astype(np.float64), n_bins


def _bin_sums(confidences: np.ndarray, weights: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-bin counts and sums of ``weights`` over the equal-width bins (0, 1/M], ..., ((M-1)/M, 1]
    of the confidences (0 falls in the first bin), with scikit-learn's edges."""
    # bin b holds edges[b] < p <= edges[b + 1]: the index of the first inner edge >= p
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    ids = np.searchsorted(edges[1:-1], confidences.astype(np.float64))
    counts = np.bincount(ids, minlength=n_bins)
    sums = np.stack([np.bincount(ids, weights=w, minlength=n_bins) for w in weights])
    return counts, sums


# --8<-- [start:reliability_bins]
@propagates_nonfinite
def reliability_bins(
    confidences: ArrayLike, correct: ArrayLike, n_bins: int = 15
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The points of a reliability diagram: mean confidence and accuracy in equal-width bins.

    Samples are grouped by confidence into the bins [0, 1/M], (1/M, 2/M], ..., ((M-1)/M, 1]
    (M = ``n_bins``; edges as in ``sklearn.calibration.calibration_curve(strategy="uniform")``).

    Parameters
    ----------
    confidences : array_like, shape (N,)
        Predicted probabilities in [0, 1]: of the predicted class (multi-class), or of the
        positive class (binary, then ``correct`` holds the labels). NaN propagates to its bin.
    correct : array_like of 0/1 or bool, shape (N,)
        1 where the prediction was right (or, binary, where the label is positive).
    n_bins : int >= 1, default 15
        M, the number of equal-width bins.

    Returns
    -------
    confidence : ndarray, shape (M,)
        Mean confidence of each bin; NaN for an empty bin (0/0). In the confidences' dtype.
    accuracy : ndarray, shape (M,)
        Fraction of correct samples in each bin; NaN for an empty bin.
    counts : ndarray of int64, shape (M,)
        Number of samples in each bin. For the binary case, ``accuracy[counts > 0]`` and
        ``confidence[counts > 0]`` are scikit-learn's ``prob_true`` and ``prob_pred``.

    Examples
    --------
    >>> # two bins: 0.2 and 0.4 fall in [0, 0.5] (mean 0.3, one of two correct), 0.9 and 1.0
    >>> # in (0.5, 1] (mean 0.95, both correct)
    >>> conf, acc, counts = reliability_bins([0.2, 0.9, 0.4, 1.0], [0, 1, 1, 1], n_bins=2)
    >>> conf.round(12).tolist(), acc.tolist(), counts.tolist()
    ([0.3, 0.95], [0.5, 1.0], [2, 2])
    """
    conf = as_probabilities(confidences, "confidences")
    hits, n_bins = _check_bins(conf, correct, n_bins, "confidences")
    counts, (conf_sum, hit_sum) = _bin_sums(conf, np.stack([conf.astype(np.float64), hits]), n_bins)
    # means per bin; an empty bin has no mean (0/0 -> NaN, without a warning)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf, accuracy = conf_sum / counts, hit_sum / counts
    return mean_conf.astype(conf.dtype), accuracy.astype(conf.dtype), counts
# --8<-- [end:reliability_bins]


# --8<-- [start:expected_calibration_error]
@propagates_nonfinite
def expected_calibration_error(probs: ArrayLike, labels: ArrayLike, n_bins: int = 15) -> np.floating:
    """ECE: the bin-weighted mean gap between confidence and accuracy (Guo et al., 2017).

    ``ECE = sum_b (n_b / N) |accuracy_b - confidence_b|`` over M equal-width confidence bins
    (:func:`reliability_bins`), where the confidence of a sample is its largest class
    probability and it is correct when that class (the first, on ties) is its label.

    Parameters
    ----------
    probs : array_like, shape (N, K)
        Predicted class probabilities (rows of a softmax), each in [0, 1].
    labels : array_like of int, shape (N,)
        True classes in [0, K).
    n_bins : int >= 1, default 15
        M, the number of equal-width bins (the common choice; the value depends on it).

    Returns
    -------
    numpy scalar of probs' float dtype
        In [0, 1]: 0 when, in every bin, the mean confidence equals the accuracy.

    Examples
    --------
    >>> # confidences 0.9, 0.8 (both right: bin (0.5, 1], mean 0.85, accuracy 1) and
    >>> # 0.6 (wrong: same bin) -> one bin of 3: mean conf 2.3/3, accuracy 2/3, ECE = 0.3/3 = 0.1
    >>> probs = [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]
    >>> round(float(expected_calibration_error(probs, [0, 1, 1], n_bins=2)), 12)
    0.1
    """
    p = as_probabilities(probs, "probs")
    if p.ndim != 2 or p.shape[0] == 0 or p.shape[1] == 0:
        raise ValueError(f"probs must have shape (N, K) with N, K >= 1, got shape {p.shape}")
    y = as_class_indices(labels, p.shape[1], "labels")
    if y.shape != (p.shape[0],):
        raise ValueError(f"labels must have shape (N,) = ({p.shape[0]},) for probs of shape {p.shape}, got {y.shape}")
    # confidence = the top probability; correct = the top class is the label
    confidence = np.max(p, axis=1)
    hits, n_bins = _check_bins(confidence, np.argmax(p, axis=1) == y, n_bins, "confidence")
    # sum over bins of |sum_(i in b) (correct_i - conf_i)| / N = sum_b n_b/N |acc_b - conf_b|
    _, (gap_sum,) = _bin_sums(confidence, (hits - confidence.astype(np.float64))[None], n_bins)
    return p.dtype.type(np.sum(np.abs(gap_sum)) / p.shape[0])
# --8<-- [end:expected_calibration_error]


def _nll_slope(beta: float, z: np.ndarray, z_true: np.ndarray) -> float:
    """d/dbeta of mean(logsumexp(beta z) - beta z_y), that is mean(E_p[z] - z_y) with
    p = softmax(beta z), for logits shifted so that each row's maximum is 0 (exp cannot overflow)."""
    e = np.exp(beta * z)
    p = e / np.sum(e, axis=1, keepdims=True)
    return float(np.mean(np.sum(p * z, axis=1) - z_true))


# --8<-- [start:fit_temperature]
@propagates_nonfinite
def fit_temperature(logits: ArrayLike, labels: ArrayLike) -> np.floating:
    """Temperature scaling: the T > 0 minimising the NLL of ``softmax(logits / T)`` (Guo et al., 2017).

    The NLL is convex in beta = 1 / T, with slope ``mean(E_p[z] - z_y)`` (p = softmax(beta z)),
    which increases from its value at beta = 0 to ``mean(max z - z_y)`` as beta grows. The root
    of the slope is bracketed by doubling and then bisected to the dtype's precision. Two limits
    are returned as they are: ``inf`` when the slope is >= 0 at beta = 0 (the logits rank the
    labels no better than uniform), and ``0`` when every label is an argmax of its row (sharper is
    always better).

    Parameters
    ----------
    logits : array_like, shape (N, K)
        Held-out logits (a validation set, never the training set).
    labels : array_like of int, shape (N,)
        True classes in [0, K).

    Returns
    -------
    numpy scalar of logits' float dtype
        T; divide logits by it before the softmax. T > 1 softens over-confident predictions.

    Examples
    --------
    >>> # rows with logit margin 2 for the label, twice, and -2 once; with s = sigmoid(2 beta) the
    >>> # right rows have slope -2 (1 - s) each, the wrong one 2 s: 2 s - 4 (1 - s) = 0 at s = 2/3,
    >>> # so exp(2 beta) = 2, beta = log(2) / 2 and T = 2 / log 2 = 2.8854
    >>> round(float(fit_temperature([[1.0, -1.0], [-1.0, 1.0], [1.0, -1.0]], [0, 1, 1])), 4)
    2.8854
    """
    z = as_float_array(logits, "logits")
    if z.ndim != 2 or z.shape[0] == 0 or z.shape[1] < 2:
        raise ValueError(f"logits must have shape (N, K) with N >= 1 and K >= 2, got shape {z.shape}")
    y = as_class_indices(labels, z.shape[1], "labels")
    if y.shape != (z.shape[0],):
        raise ValueError(f"labels must have shape (N,) = ({z.shape[0]},) for logits of shape {z.shape}, got {y.shape}")
    if not np.all(np.isfinite(z)):
        return z.dtype.type(np.nan)  # NaN or infinite logits: no temperature is defined
    # shift each row so its maximum is 0: softmax(beta z) is unchanged and exp(beta z) <= 1
    z = z - np.max(z, axis=1, keepdims=True)
    z_true = z[np.arange(z.shape[0]), y]
    # the slope at beta = 0 (uniform p) and its limit at beta -> inf
    if np.mean(np.mean(z, axis=1) - z_true) >= 0:
        return z.dtype.type(np.inf)
    if np.all(z_true == 0):
        return z.dtype.type(0.0)
    # bracket the root: double beta until the slope turns positive
    lo, hi = 0.0, 1.0 / max(float(np.max(-z)), np.finfo(z.dtype).tiny)
    while _nll_slope(hi, z, z_true) < 0:
        lo, hi = hi, 2 * hi
    # bisect until the bracket is as narrow as the dtype resolves
    while hi - lo > 4 * np.finfo(z.dtype).eps * hi:
        mid = 0.5 * (lo + hi)
        if _nll_slope(mid, z, z_true) < 0:
            lo = mid
        else:
            hi = mid
    return z.dtype.type(2.0 / (lo + hi))
# --8<-- [end:fit_temperature]
