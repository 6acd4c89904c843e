"""precision and the shared label checks: hand values, properties, bad input, scikit-learn."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import f1_score, fbeta_score, precision, recall
from tests.reference import require

AVERAGES = ("binary", "micro", "macro", "weighted")
MULTI = ("micro", "macro", "weighted")

# Hand example 1 (binary). Samples 0-3 are positive, 4-9 negative; the classifier says 1 for 0-2
# and 4-6: TP = 3 (0, 1, 2), FN = 1 (3), FP = 3 (4, 5, 6), TN = 3 (7, 8, 9).
BIN_TRUE = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
BIN_PRED = np.array([1, 1, 1, 0, 1, 1, 1, 0, 0, 0])

# Hand example 2 (three classes), pairs (true, predicted): (0,0) (0,1) (0,2) (1,1) (1,1) (2,0).
# Confusion matrix rows [1 1 1], [0 2 0], [1 0 0]: TP = (1, 2, 0), predicted (column sums)
# = (2, 3, 1), support (row sums) = (3, 2, 1).
MC_TRUE = np.array([0, 0, 0, 1, 1, 2])
MC_PRED = np.array([0, 1, 2, 1, 1, 0])


def exact(p: int, q: int) -> float:
    """p / q correctly rounded: what one division of two exactly stored counts gives."""
    return float(Fraction(p, q))


# ---------------------------------------------------------------- hand-checked values
def test_binary_hand_values() -> None:
    # precision = TP / (TP + FP) = 3 / 6; for pos_label = 0 the roles swap: the classifier says 0
    # for samples 3, 7, 8, 9, of which 7, 8, 9 are 0: 3 / 4
    assert precision(BIN_TRUE, BIN_PRED) == exact(3, 6)
    assert precision(BIN_TRUE, BIN_PRED, pos_label=0) == exact(3, 4)
    # a single division of counts: exactly the rounded fraction, for every label set
    assert precision(BIN_TRUE + 5, BIN_PRED + 5, pos_label=6) == exact(3, 6)


def test_multiclass_hand_values() -> None:
    # per class TP / predicted = (1/2, 2/3, 0/1)
    assert np.isclose(precision(MC_TRUE, MC_PRED, average="macro"), (1 / 2 + 2 / 3 + 0) / 3, rtol=1e-15, atol=0)
    # 7/18: the mean of 1/2, 2/3, 0 in exact arithmetic
    assert np.isclose(precision(MC_TRUE, MC_PRED, average="macro"), exact(7, 18), rtol=1e-15, atol=0)
    # weighted by support (3, 2, 1): (3/2 + 4/3 + 0) / 6 = 17/36
    assert np.isclose(precision(MC_TRUE, MC_PRED, average="weighted"), exact(17, 36), rtol=1e-15, atol=0)
    # micro: all TP over all predictions = 3 / 6, which is the accuracy
    assert precision(MC_TRUE, MC_PRED, average="micro") == exact(3, 6)


def test_zero_denominators_give_zero_without_warning() -> None:
    # nothing predicted positive: TP + FP = 0 -> 0.0 (pytest would fail on any warning)
    assert precision([1, 0, 1], [0, 0, 0]) == 0.0
    # only one label anywhere and it is not pos_label: no positives at all -> 0.0, as sklearn does
    assert precision([0, 0], [0, 0]) == 0.0
    assert precision([4, 4], [4, 4]) == 0.0
    # a label only in y_true (2) is never predicted: its precision 0/0 counts as 0 in the macro mean
    assert precision([0, 1, 2], [0, 1, 1], average="macro") == (1 + 0.5 + 0) / 3


def test_result_is_a_float64_scalar_for_every_input_kind() -> None:
    for y_true, y_pred in [
        ([0, 1, 1], [0, 1, 0]),
        (np.array([0, 1, 1], dtype=np.uint8), np.array([0, 1, 0], dtype=np.int32)),
        (np.array([False, True, True]), np.array([False, True, False])),
    ]:
        for average in AVERAGES:
            value = precision(y_true, y_pred, average=average)
            assert isinstance(value, np.float64), type(value)
            assert value == precision(np.array([0, 1, 1]), np.array([0, 1, 0]), average=average)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int64, np.uint64])
def test_extreme_label_values(dtype) -> None:
    # labels at the ends of each integer type behave like 0 and 1: only equality and order matter
    lo, hi = np.iinfo(dtype).min, np.iinfo(dtype).max
    y_true, y_pred = np.array([lo, hi], dtype=dtype)[BIN_TRUE], np.array([lo, hi], dtype=dtype)[BIN_PRED]
    assert precision(y_true, y_pred, pos_label=hi) == precision(BIN_TRUE, BIN_PRED)
    assert precision(y_true, y_pred, pos_label=lo) == precision(BIN_TRUE, BIN_PRED, pos_label=0)


def test_inputs_are_not_modified() -> None:
    y_true, y_pred = MC_TRUE.copy(), MC_PRED.copy()
    y_true.setflags(write=False)
    y_pred.setflags(write=False)
    for average in MULTI:
        precision(y_true, y_pred, average=average)
    np.testing.assert_array_equal(y_true, MC_TRUE)
    np.testing.assert_array_equal(y_pred, MC_PRED)


# ---------------------------------------------------------------- properties
@st.composite
def label_pairs(draw, low: int = -2, high: int = 4):
    """Two 1-D integer label arrays of one length; each label drawn from [low, high]."""
    n = draw(st.integers(1, 30))
    y_true = draw(arrays(np.int64, n, elements=st.integers(low, high)))
    y_pred = draw(arrays(np.int64, n, elements=st.integers(low, high)))
    return y_true, y_pred


@given(label_pairs(), st.sampled_from(MULTI))
def test_bounded(pair, average) -> None:
    assert 0.0 <= precision(*pair, average=average) <= 1.0


@given(label_pairs(0, 1))
def test_binary_bounded(pair) -> None:
    assert 0.0 <= precision(*pair) <= 1.0


@given(label_pairs(), st.sampled_from(MULTI), st.randoms(use_true_random=False))
def test_permuting_samples_changes_nothing(pair, average, random) -> None:
    y_true, y_pred = pair
    order = np.array(random.sample(range(y_true.size), y_true.size))
    # the counts are the same integers, so the result is bit-for-bit the same
    assert precision(y_true[order], y_pred[order], average=average) == precision(y_true, y_pred, average=average)


@given(label_pairs())
def test_micro_precision_is_accuracy(pair) -> None:
    # single-label classification, every label counted: sum of TP = correct answers and
    # sum of predictions = N, so micro precision = correct / N, the same single division
    y_true, y_pred = pair
    assert precision(y_true, y_pred, average="micro") == np.mean(y_true == y_pred)


@given(label_pairs())
def test_macro_precision_from_the_confusion_matrix(pair) -> None:
    # an independent route: diagonal over column sums, one class at a time with boolean masks
    y_true, y_pred = pair
    per_class = [
        np.sum((y_pred == k) & (y_true == k)) / np.sum(y_pred == k) if np.any(y_pred == k) else 0.0
        for k in np.union1d(y_true, y_pred)
    ]
    assert precision(y_true, y_pred, average="macro") == pytest.approx(np.mean(per_class), rel=1e-15, abs=0)


@given(label_pairs(), st.integers(-3, 3), st.integers(1, 5))
def test_renaming_labels_monotonically_changes_nothing(pair, shift, scale) -> None:
    # the metrics depend on which samples share a label, not on the label values
    y_true, y_pred = pair
    for average in MULTI:
        assert precision(y_true * scale + shift, y_pred * scale + shift, average=average) == precision(
            y_true, y_pred, average=average
        )


# ---------------------------------------------------------------- bad input (shared by all metrics)
METRICS = [precision, recall, f1_score, lambda t, p, **kw: fbeta_score(t, p, 2.0, **kw)]


@pytest.mark.parametrize("metric", METRICS, ids=["precision", "recall", "f1_score", "fbeta_score"])
def test_bad_labels(metric) -> None:
    with pytest.raises(ValueError, match=r"y_pred must have the same shape as y_true: y_true has shape \(3,\), y_pred has shape \(2,\)"):
        metric([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match=r"non-empty 1-D arrays of labels, got shapes \(2, 2\) and \(2, 2\)"):
        metric(np.zeros((2, 2), dtype=int), np.zeros((2, 2), dtype=int))
    with pytest.raises(ValueError, match=r"non-empty 1-D arrays of labels, got shapes \(0,\) and \(0,\)"):
        metric([], [])
    with pytest.raises(ValueError, match=r"non-empty 1-D arrays of labels, got shapes \(\) and \(\)"):
        metric(1, 1)
    with pytest.raises(ValueError, match=r"y_true must hold class labels: .* found 0.5 at index \[1\]"):
        metric([0.0, 0.5], [0, 1])
    with pytest.raises(ValueError, match=r"y_pred must hold class labels: .* found nan at index \[0\]"):
        metric([0, 1], [np.nan, 1.0])
    with pytest.raises(ValueError, match=r"y_pred must hold class labels: .* found inf"):
        metric([0, 1], np.array([0.0, np.inf], dtype=np.float32))
    with pytest.raises(TypeError, match="y_pred must hold integer class labels, got complex dtype complex128"):
        metric([0, 1], [0j, 1j])
    with pytest.raises(TypeError, match="y_true must hold integer class labels, got non-numeric dtype <U1"):
        metric(["a", "b"], [0, 1])
    with pytest.raises(TypeError, match="y_pred must hold integer class labels, got non-numeric dtype object"):
        metric([0, 1], [None, 1])


@pytest.mark.parametrize("metric", METRICS, ids=["precision", "recall", "f1_score", "fbeta_score"])
def test_bad_average_and_pos_label(metric) -> None:
    with pytest.raises(ValueError, match=r"average must be one of \('binary', 'micro', 'macro', 'weighted'\), got 'samples'"):
        metric([0, 1], [0, 1], average="samples")
    with pytest.raises(ValueError, match=r"average must be one of .*, got None"):
        metric([0, 1], [0, 1], average=None)
    with pytest.raises(ValueError, match=r"average='binary' needs at most 2 distinct labels .* found 3: \[0 1 2\]"):
        metric([0, 1, 2], [0, 1, 1])
    # three labels in the union, though each array alone has two: still not binary
    with pytest.raises(ValueError, match=r"found 3: \[0 1 2\]"):
        metric([0, 1, 1], [1, 2, 2])
    with pytest.raises(ValueError, match=r"pos_label=1 is not one of the labels \[0 2\]"):
        metric([0, 2], [2, 2])
    with pytest.raises(TypeError, match="pos_label must be an integer label, got float"):
        metric([0, 1], [0, 1], pos_label=1.0)
    with pytest.raises(TypeError, match="pos_label must be an integer label, got bool"):
        metric([0, 1], [0, 1], pos_label=True)


# ---------------------------------------------------------------- scikit-learn
def reference_label_pairs(seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Label arrays for the scikit-learn comparisons: random multiclass and binary, and degenerate."""
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(100):
        # multiclass: y_true and y_pred draw from overlapping windows of a shuffled label pool,
        # so some labels occur only in y_true and others only in y_pred
        n = int(rng.integers(1, 60))
        pool = rng.choice(np.arange(-3, 9), size=int(rng.integers(2, 7)), replace=False)
        y_true = rng.choice(pool[: rng.integers(1, pool.size + 1)], size=n)
        y_pred = rng.choice(pool[rng.integers(0, pool.size) :], size=n)
        pairs.append((y_true, y_pred))
    for _ in range(100):
        # binary, with 0/1 and other label pairs; predictions right about 70% of the time
        labels = np.array([[0, 1], [-1, 1], [1, 2], [0, 2], [3, 7]][rng.integers(5)])
        n = int(rng.integers(1, 60))
        y_true = rng.choice(labels, size=n)
        y_pred = np.where(rng.random(n) < 0.7, y_true, rng.choice(labels, size=n))
        pairs.append((y_true, y_pred))
    y = rng.integers(0, 2, size=25)
    y[0] = 1
    zeros, ones = np.zeros_like(y), np.ones_like(y)
    three = rng.integers(0, 3, size=25)
    pairs += [
        (y, zeros),  # all-negative predictions
        (y, ones),  # all-positive predictions
        (zeros, zeros), (ones, ones), (zeros, ones), (ones, zeros),  # one label per array
        (y, y), (y, 1 - y),  # perfect and always wrong
        (np.array([1]), np.array([1])), (np.array([0]), np.array([1])), (np.array([5]), np.array([5])),
        (three, np.full(25, 2)), (three, three + 3), (three, three),  # multiclass extremes
    ]
    return pairs


PAIRS = reference_label_pairs()


def sklearn_or_error(fn, *args, **kwargs):
    """scikit-learn's value, or the ValueError it raises."""
    try:
        return fn(*args, **kwargs)
    except ValueError as error:
        return error


def binary_settings(y_true: np.ndarray, y_pred: np.ndarray) -> list[int]:
    """Every label present, plus one absent (valid when only one label occurs, an error otherwise)."""
    labels = np.union1d(y_true, y_pred)
    return [int(k) for k in labels] + [int(labels.max()) + 1]


@pytest.mark.parametrize("metric", METRICS, ids=["precision", "recall", "f1_score", "fbeta_score"])
@pytest.mark.parametrize("average", AVERAGES)
def test_whole_valued_float_labels_are_labels(metric, average) -> None:
    # scikit-learn takes labels 0.0, 1.0, 2.0 as the classes 0, 1, 2 (a model's predict often
    # returns floats); so do we, in float32 and float64 and mixed with integer labels
    metrics = require("sklearn.metrics")
    ref_fn = {"precision": metrics.precision_score, "recall": metrics.recall_score,
              "f1_score": metrics.f1_score}.get(getattr(metric, "__name__", ""),
                                                lambda t, p, **kw: metrics.fbeta_score(t, p, beta=2.0, **kw))
    y_true, y_pred = (BIN_TRUE, BIN_PRED) if average == "binary" else (MC_TRUE, MC_PRED)
    for dtype in (np.float32, np.float64):
        t, p = y_true.astype(dtype), y_pred.astype(dtype)
        expected = ref_fn(t, p, average=average, zero_division=0.0)
        assert metric(t, p, average=average) == metric(y_true, y_pred, average=average) == expected
        assert metric(t, y_pred, average=average) == expected


@pytest.mark.parametrize("average", MULTI)
def test_precision_matches_sklearn(average) -> None:
    metrics = require("sklearn.metrics")
    for y_true, y_pred in PAIRS:
        ref = metrics.precision_score(y_true, y_pred, average=average, zero_division=0.0)
        # the same counts divided and averaged in the same order: bit-for-bit equal
        assert precision(y_true, y_pred, average=average) == ref, (y_true, y_pred)


def test_precision_binary_matches_sklearn() -> None:
    metrics = require("sklearn.metrics")
    checked = 0
    for y_true, y_pred in PAIRS:
        for pos_label in binary_settings(y_true, y_pred):
            ref = sklearn_or_error(
                metrics.precision_score, y_true, y_pred, average="binary", pos_label=pos_label, zero_division=0.0
            )
            if isinstance(ref, ValueError):
                with pytest.raises(ValueError, match="average='binary'|pos_label"):
                    precision(y_true, y_pred, pos_label=pos_label)
            else:
                assert precision(y_true, y_pred, pos_label=pos_label) == ref, (y_true, y_pred, pos_label)
                checked += 1
    assert checked > 200  # the binary pairs, each with both labels as pos_label
