"""accuracy and top_k_accuracy: hand values, properties, bad input, scikit-learn."""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import accuracy, confusion_matrix, precision, top_k_accuracy
from tests.metrics.test_precision import MC_PRED, MC_TRUE, PAIRS, label_pairs
from tests.reference import require


# ---------------------------------------------------------------- hand-checked values
def test_accuracy_hand_values() -> None:
    # MC pairs (0,0) (0,1) (0,2) (1,1) (1,1) (2,0): 3 of 6 on the diagonal
    assert accuracy(MC_TRUE, MC_PRED) == 0.5
    # 2 of 3, correctly rounded: one division of two exact counts
    assert accuracy([1, 2, 3], [1, 2, 0]) == float(Fraction(2, 3))
    assert accuracy([True, False], [True, True]) == 0.5
    assert isinstance(accuracy([0], [0]), np.float64)


def test_top_k_hand_values() -> None:
    scores = np.array([[0.5, 0.1, 0.4], [0.1, 0.5, 0.4], [0.2, 0.3, 0.5]])
    y = np.array([2, 0, 2])
    # ranks of the true class: row 0 second, row 1 third, row 2 first
    assert top_k_accuracy(y, scores, k=1) == float(Fraction(1, 3))
    assert top_k_accuracy(y, scores, k=2) == float(Fraction(2, 3))
    assert top_k_accuracy(y, scores, k=3) == 1.0
    assert top_k_accuracy(y, scores, k=10) == 1.0


def test_top_k_ties_favour_the_larger_index() -> None:
    # all scores equal: the ranking is 2, 1, 0 (larger index first), as scikit-learn's reversed
    # stable sort gives. With k = 1 only class 2 is a hit; with k = 2 classes 2 and 1
    ties = np.zeros((3, 3))
    y = np.array([0, 1, 2])
    assert top_k_accuracy(y, ties, k=1) == float(Fraction(1, 3))
    assert top_k_accuracy(y, ties, k=2) == float(Fraction(2, 3))
    # a tie for the top between classes 0 and 1: class 1 wins the first place
    assert top_k_accuracy([1], [[5.0, 5.0, 1.0]], k=1) == 1.0
    assert top_k_accuracy([0], [[5.0, 5.0, 1.0]], k=1) == 0.0


# ---------------------------------------------------------------- properties
@given(label_pairs())
def test_accuracy_is_trace_over_n_and_micro_precision(pair) -> None:
    y_true, y_pred = pair
    cm = confusion_matrix(y_true, y_pred)
    assert accuracy(y_true, y_pred) == np.trace(cm) / cm.sum()
    assert accuracy(y_true, y_pred) == precision(y_true, y_pred, average="micro")


@st.composite
def scores_and_labels(draw):
    n, c = draw(st.integers(1, 12)), draw(st.integers(1, 6))
    # few distinct values, so that ties are common
    scores = draw(arrays(np.float64, (n, c), elements=st.sampled_from([-1e4, -1.0, 0.0, 0.5, 1.0, 1e4])))
    y = draw(arrays(np.int64, n, elements=st.integers(0, c - 1)))
    return y, scores


@given(scores_and_labels())
def test_top_k_is_monotone_and_top_1_is_argmax_accuracy(data) -> None:
    y, scores = data
    values = [top_k_accuracy(y, scores, k) for k in range(1, scores.shape[1] + 1)]
    assert all(a <= b for a, b in zip(values, values[1:]))
    assert values[-1] == 1.0
    # top-1 is the accuracy of the arg-max, with ties going to the LAST maximal index
    last_argmax = scores.shape[1] - 1 - np.argmax(scores[:, ::-1], axis=1)
    assert values[0] == accuracy(y, last_argmax)


@given(scores_and_labels())
def test_top_k_matches_a_sort(data) -> None:
    # an independent route: the reversed stable argsort, as in scikit-learn, row by row
    y, scores = data
    for k in range(1, scores.shape[1] + 1):
        order = np.argsort(scores, axis=1, kind="stable")[:, ::-1][:, :k]
        assert top_k_accuracy(y, scores, k) == np.mean([y[i] in order[i] for i in range(y.size)])


def test_inputs_are_not_modified() -> None:
    y, s = np.array([0, 1]), np.array([[0.2, 0.8], [0.6, 0.4]])
    y.setflags(write=False)
    s.setflags(write=False)
    top_k_accuracy(y, s, 1)
    accuracy(y, y)


# ---------------------------------------------------------------- bad input
def test_accuracy_rejects_bad_labels() -> None:
    with pytest.raises(ValueError, match=r"y_true has shape \(2,\), y_pred has shape \(3,\)"):
        accuracy([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match=r"y_pred must hold class labels: .* found 1.5 at index \[1\]"):
        accuracy([0, 1], [0.0, 1.5])
    with pytest.raises(TypeError, match="y_pred must hold integer class labels, got complex dtype"):
        accuracy([0, 1], [0j, 1j])
    with pytest.raises(ValueError, match="non-empty 1-D arrays of labels"):
        accuracy([], [])


def test_top_k_rejects_bad_input() -> None:
    s = np.zeros((2, 3))
    with pytest.raises(TypeError, match="k must be an integer, got float"):
        top_k_accuracy([0, 1], s, 2.0)
    with pytest.raises(TypeError, match="k must be an integer, got bool"):
        top_k_accuracy([0, 1], s, True)
    with pytest.raises(ValueError, match="k must be at least 1, got 0"):
        top_k_accuracy([0, 1], s, 0)
    with pytest.raises(ValueError, match=r"scores must be a non-empty 2-D array \(N, C\) of class scores, got shape \(2,\)"):
        top_k_accuracy([0, 1], [0.3, 0.7], 1)
    with pytest.raises(ValueError, match="scores must not contain NaN"):
        top_k_accuracy([0], [[np.nan, 0.0]], 1)
    with pytest.raises(ValueError, match=r"y_true must have shape \(2,\) to match scores \(2, 3\), got shape \(3,\)"):
        top_k_accuracy([0, 1, 2], s, 1)
    with pytest.raises(ValueError, match=r"y_true contains class index 3, outside the valid range \[0, 2\]"):
        top_k_accuracy([0, 3], s, 1)
    with pytest.raises(ValueError, match=r"y_true must hold class labels: .* found nan"):
        top_k_accuracy([0.0, np.nan], s, 1)
    with pytest.raises(TypeError, match="scores must be real-valued"):
        top_k_accuracy([0], [[1j, 0]], 1)


# ---------------------------------------------------------------- scikit-learn
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_whole_valued_float_labels_are_labels(dtype) -> None:
    # scikit-learn scores float labels 0.0, 1.0, 2.0 as the classes 0, 1, 2; so do we
    metrics = require("sklearn.metrics")
    t, p = MC_TRUE.astype(dtype), MC_PRED.astype(dtype)
    assert accuracy(t, p) == accuracy(MC_TRUE, MC_PRED) == metrics.accuracy_score(t, p)
    assert accuracy(t, MC_PRED) == metrics.accuracy_score(t, MC_PRED)
    scores = np.random.default_rng(0).normal(size=(MC_TRUE.size, 3))
    assert top_k_accuracy(t, scores, 2) == top_k_accuracy(MC_TRUE, scores, 2) == metrics.top_k_accuracy_score(
        t, scores, k=2, labels=[0, 1, 2]
    )


def test_accuracy_matches_sklearn() -> None:
    metrics = require("sklearn.metrics")
    for y_true, y_pred in PAIRS:
        # the same count divided by the same N: bit for bit
        assert accuracy(y_true, y_pred) == metrics.accuracy_score(y_true, y_pred)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_top_k_matches_sklearn(dtype) -> None:
    metrics = require("sklearn.metrics")
    rng = np.random.default_rng(9)
    checked = 0
    for _ in range(60):
        n, c = int(rng.integers(1, 40)), int(rng.integers(3, 8))
        # rounded scores: many ties, which is where implementations differ
        scores = np.round(rng.normal(size=(n, c)) * rng.choice([0.5, 3, 1e4]), int(rng.integers(0, 2))).astype(dtype)
        y = rng.integers(0, c, size=n)
        for k in range(1, c + 1):
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="'k' .* greater than or equal to", category=Warning)
                ref = metrics.top_k_accuracy_score(y, scores, k=k, labels=np.arange(c))
            assert top_k_accuracy(y, scores, k) == ref, (y, scores, k)
            checked += 1
    assert checked > 200
