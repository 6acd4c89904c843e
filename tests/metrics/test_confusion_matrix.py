"""confusion_matrix: hand values, properties, bad input, scikit-learn (moved here from test_precision.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from snippets import confusion_matrix
from tests.metrics.test_precision import BIN_PRED, BIN_TRUE, MC_PRED, MC_TRUE, PAIRS, label_pairs
from tests.reference import require


# ---------------------------------------------------------------- hand-checked values
def test_confusion_matrix_hand_values() -> None:
    # MC pairs (true, predicted): (0,0) (0,1) (0,2) (1,1) (1,1) (2,0), counted cell by cell
    np.testing.assert_array_equal(confusion_matrix(MC_TRUE, MC_PRED), [[1, 1, 1], [0, 2, 0], [1, 0, 0]])
    # binary example: rows (true 0, true 1) = (TN FP; FN TP) = (3 3; 1 3)
    np.testing.assert_array_equal(confusion_matrix(BIN_TRUE, BIN_PRED), [[3, 3], [1, 3]])
    # a label only predicted (7) gets an all-zero row; one only true (-2) an all-zero column
    np.testing.assert_array_equal(confusion_matrix([-2, 0, 0], [0, 0, 7]), [[0, 1, 0], [0, 1, 1], [0, 0, 0]])
    assert confusion_matrix(MC_TRUE, MC_PRED).dtype == np.int64
    # booleans count as 0 and 1
    np.testing.assert_array_equal(confusion_matrix([True, False], [True, True]), [[0, 1], [0, 1]])


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int64, np.uint64])
def test_extreme_label_values(dtype) -> None:
    # labels at the ends of each integer type behave like 0 and 1: only equality and order matter
    lo, hi = np.iinfo(dtype).min, np.iinfo(dtype).max
    y_true, y_pred = np.array([lo, hi], dtype=dtype)[BIN_TRUE], np.array([lo, hi], dtype=dtype)[BIN_PRED]
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred), confusion_matrix(BIN_TRUE, BIN_PRED))


def test_inputs_are_not_modified() -> None:
    y_true, y_pred = MC_TRUE.copy(), MC_PRED.copy()
    y_true.setflags(write=False)
    y_pred.setflags(write=False)
    confusion_matrix(y_true, y_pred)
    np.testing.assert_array_equal(y_true, MC_TRUE)
    np.testing.assert_array_equal(y_pred, MC_PRED)


# ---------------------------------------------------------------- properties
@given(label_pairs())
def test_confusion_matrix_margins(pair) -> None:
    y_true, y_pred = pair
    cm = confusion_matrix(y_true, y_pred)
    labels = np.union1d(y_true, y_pred)
    assert cm.shape == (labels.size, labels.size)
    assert cm.sum() == y_true.size  # every sample counted once
    # rows sum to how often each label is true, columns to how often it is predicted
    np.testing.assert_array_equal(cm.sum(axis=1), (y_true[:, None] == labels).sum(axis=0))
    np.testing.assert_array_equal(cm.sum(axis=0), (y_pred[:, None] == labels).sum(axis=0))
    assert np.trace(cm) == np.sum(y_true == y_pred)


@given(label_pairs(), st.randoms(use_true_random=False))
def test_permuting_samples_changes_nothing(pair, random) -> None:
    y_true, y_pred = pair
    order = np.array(random.sample(range(y_true.size), y_true.size))
    np.testing.assert_array_equal(confusion_matrix(y_true[order], y_pred[order]), confusion_matrix(y_true, y_pred))


@given(label_pairs())
def test_swapping_arguments_transposes(pair) -> None:
    y_true, y_pred = pair
    np.testing.assert_array_equal(confusion_matrix(y_pred, y_true), confusion_matrix(y_true, y_pred).T)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_whole_valued_float_labels_are_labels(dtype) -> None:
    # scikit-learn counts float labels 0.0, 1.0, 2.0 as the classes 0, 1, 2; so do we
    metrics = require("sklearn.metrics")
    t, p = MC_TRUE.astype(dtype), MC_PRED.astype(dtype)
    expected = metrics.confusion_matrix(t, p)
    np.testing.assert_array_equal(confusion_matrix(t, p), expected)
    np.testing.assert_array_equal(confusion_matrix(t, MC_PRED), expected)


# ---------------------------------------------------------------- bad input
def test_confusion_matrix_bad_labels() -> None:
    with pytest.raises(ValueError, match=r"y_true has shape \(2,\), y_pred has shape \(3,\)"):
        confusion_matrix([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match=r"y_true must hold class labels: .* found 0.25 at index \[0\]"):
        confusion_matrix(np.array([0.25, 1.0], dtype=np.float32), [0, 1])
    with pytest.raises(TypeError, match="y_true must hold integer class labels, got non-numeric dtype <U1"):
        confusion_matrix(["a", "b"], [0, 1])
    with pytest.raises(ValueError, match=r"non-empty 1-D arrays of labels, got shapes \(0,\) and \(0,\)"):
        confusion_matrix([], [])
    with pytest.raises(ValueError, match=r"non-empty 1-D arrays of labels, got shapes \(1, 2\) and \(1, 2\)"):
        confusion_matrix([[0, 1]], [[0, 1]])


# ---------------------------------------------------------------- scikit-learn
def test_confusion_matrix_matches_sklearn() -> None:
    metrics = require("sklearn.metrics")
    for y_true, y_pred in PAIRS:
        with warnings.catch_warnings():
            # sklearn warns when only one label occurs (its matrix is then 1 x 1, as ours)
            warnings.filterwarnings("ignore", message="A single label was found", category=UserWarning)
            ref = metrics.confusion_matrix(y_true, y_pred)
        ours = confusion_matrix(y_true, y_pred)
        assert ours.dtype == ref.dtype
        np.testing.assert_array_equal(ours, ref)
