"""recall: hand values, properties, scikit-learn (input checks are shared: tests/metrics/test_precision.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from snippets import precision, recall
from tests.metrics.test_precision import (
    BIN_PRED,
    BIN_TRUE,
    MC_PRED,
    MC_TRUE,
    MULTI,
    PAIRS,
    binary_settings,
    exact,
    label_pairs,
    sklearn_or_error,
)
from tests.reference import assert_matches, require


# ---------------------------------------------------------------- hand-checked values
def test_binary_hand_values() -> None:
    # recall = TP / (TP + FN) = 3 / 4; for pos_label = 0: 3 of the 6 true 0s (7, 8, 9) are found
    assert recall(BIN_TRUE, BIN_PRED) == exact(3, 4)
    assert recall(BIN_TRUE, BIN_PRED, pos_label=0) == exact(3, 6)


def test_multiclass_hand_values() -> None:
    # per class TP / support = (1/3, 2/2, 0/1); macro = (4/3) / 3 = 4/9
    assert np.isclose(recall(MC_TRUE, MC_PRED, average="macro"), exact(4, 9), rtol=1e-15, atol=0)
    # weighted by support: (3 * 1/3 + 2 * 1 + 0) / 6 = 3/6, the accuracy (see the property below)
    assert np.isclose(recall(MC_TRUE, MC_PRED, average="weighted"), exact(3, 6), rtol=1e-15, atol=0)
    assert recall(MC_TRUE, MC_PRED, average="micro") == exact(3, 6)


def test_zero_denominators_give_zero_without_warning() -> None:
    # no true positives exist (the union has one label, 0): 0/0 -> 0.0
    assert recall([0, 0], [0, 0]) == 0.0
    # all-negative predictions: TP = 0 of 2 positives
    assert recall([1, 0, 1], [0, 0, 0]) == 0.0
    # a label only in y_pred (2) has no true samples: its recall 0/0 counts as 0 in the macro mean
    assert recall([0, 1, 1], [0, 1, 2], average="macro") == (1 + 0.5 + 0) / 3


def test_result_is_a_float64_scalar() -> None:
    for average in ("binary", *MULTI):
        assert isinstance(recall(np.array([True, False]), [1, 1], average=average), np.float64)


def test_bad_input_is_checked() -> None:
    # the checks are shared with precision (tested in full there); one of each kind here
    with pytest.raises(ValueError, match=r"y_true has shape \(2,\), y_pred has shape \(1,\)"):
        recall([0, 1], [0])
    with pytest.raises(ValueError, match="y_true must hold class labels: .* found 0.5"):
        recall([0.5], [1])
    with pytest.raises(ValueError, match="average must be one of"):
        recall([0, 1], [0, 1], average="samples")


# ---------------------------------------------------------------- properties
@given(label_pairs(), st.sampled_from(MULTI))
def test_bounded(pair, average) -> None:
    assert 0.0 <= recall(*pair, average=average) <= 1.0


@given(label_pairs(), st.sampled_from(MULTI), st.randoms(use_true_random=False))
def test_permuting_samples_changes_nothing(pair, average, random) -> None:
    y_true, y_pred = pair
    order = np.array(random.sample(range(y_true.size), y_true.size))
    assert recall(y_true[order], y_pred[order], average=average) == recall(y_true, y_pred, average=average)


@given(label_pairs())
def test_micro_recall_is_accuracy(pair) -> None:
    # sum of TP = correct answers and sum of supports = N: one division, exactly the accuracy
    y_true, y_pred = pair
    assert recall(y_true, y_pred, average="micro") == np.mean(y_true == y_pred)


@given(label_pairs())
def test_weighted_recall_is_accuracy(pair) -> None:
    # sum_k (n_k / N) (TP_k / n_k) = sum_k TP_k / N; each TP_k / n_k is rounded once, then
    # multiplied back by n_k and summed: a few roundings, hence 8 ulps (assert_matches' default)
    y_true, y_pred = pair
    assert_matches(recall(y_true, y_pred, average="weighted"), np.mean(y_true == y_pred), np.float64)


@given(label_pairs(), st.sampled_from(["micro", "macro"]))
def test_recall_is_precision_with_the_roles_swapped(pair, average) -> None:
    # swapping y_true and y_pred swaps FN and FP, hence precision and recall
    y_true, y_pred = pair
    assert recall(y_true, y_pred, average=average) == precision(y_pred, y_true, average=average)


@given(label_pairs(0, 1), st.sampled_from([0, 1]))
def test_binary_recall_is_precision_with_the_roles_swapped(pair, pos_label) -> None:
    y_true, y_pred = pair
    assert recall(y_true, y_pred, pos_label=pos_label) == precision(y_pred, y_true, pos_label=pos_label)


@given(label_pairs(0, 1))
def test_predicting_everything_positive_gives_recall_one(pair) -> None:
    y_true, _ = pair
    expected = 1.0 if np.any(y_true == 1) else 0.0  # no positives at all: 0/0 -> 0
    assert recall(y_true, np.ones_like(y_true)) == expected


# ---------------------------------------------------------------- scikit-learn
@pytest.mark.parametrize("average", MULTI)
def test_recall_matches_sklearn(average) -> None:
    metrics = require("sklearn.metrics")
    for y_true, y_pred in PAIRS:
        ref = metrics.recall_score(y_true, y_pred, average=average, zero_division=0.0)
        # the same counts divided and averaged in the same order: bit-for-bit equal
        assert recall(y_true, y_pred, average=average) == ref, (y_true, y_pred)


def test_recall_binary_matches_sklearn() -> None:
    metrics = require("sklearn.metrics")
    checked = 0
    for y_true, y_pred in PAIRS:
        for pos_label in binary_settings(y_true, y_pred):
            ref = sklearn_or_error(
                metrics.recall_score, y_true, y_pred, average="binary", pos_label=pos_label, zero_division=0.0
            )
            if isinstance(ref, ValueError):
                with pytest.raises(ValueError, match="average='binary'|pos_label"):
                    recall(y_true, y_pred, pos_label=pos_label)
            else:
                assert recall(y_true, y_pred, pos_label=pos_label) == ref, (y_true, y_pred, pos_label)
                checked += 1
    assert checked > 200
