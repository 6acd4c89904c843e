"""precision_recall_curve and average_precision: hand values, properties, extremes, bad input,
scikit-learn."""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from snippets import average_precision, precision_recall_curve, roc_auc_score
from tests.metrics import binary
from tests.metrics.binary import assert_inputs_unchanged, check_bad_input, reference_cases
from tests.reference import assert_matches, require

EPS = np.finfo(np.float64).eps


def exact_ap(y_true, scores) -> Fraction:
    """The definition, by brute force: for every positive i, the precision of the rule
    "score >= s_i" (positives and negatives at or above it), averaged over the positives, in
    rational arithmetic. Independent of any sorting."""
    y, s = np.asarray(y_true) == 1, np.asarray(scores)
    total = Fraction(0)
    for si in s[y]:
        flagged = s >= si
        total += Fraction(int(np.sum(flagged & y)), int(np.sum(flagged)))
    return total / int(np.sum(y))


# ---------------------------------------------------------------- hand-checked values
def test_curve_hand_values() -> None:
    # decreasing scores 0.8 (+), 0.4 (-), 0.35 (+), 0.1 (-): (TP, FP) = (1, 0), (1, 1), (2, 1),
    # (2, 2), so precision = 1, 1/2, 2/3, 1/2 and recall = 1/2, 1/2, 1, 1; listed by increasing
    # threshold and closed by (precision, recall) = (1, 0)
    p, r, t = precision_recall_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert p.tolist() == [0.5, 2 / 3, 0.5, 1.0, 1.0]
    assert r.tolist() == [1.0, 1.0, 0.5, 0.5, 0.0]
    assert t.tolist() == [0.1, 0.35, 0.4, 0.8]
    # AP: the two positives are admitted at precision 1 and 2/3, each adding recall 1/2
    assert average_precision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == (1 + 2 / 3) / 2


def test_a_tie_is_one_point() -> None:
    # levels 0.9 (+), 0.5 (+, -, -), 0.1 (+): (TP, FP) = (1, 0), (2, 2), (3, 2); the tied level
    # is admitted at once, at precision 2/4. AP = (1 * 1 + 1 * 1/2 + 1 * 3/5) / 3 = 2.1 / 3 = 0.7
    y, s = [1, 1, 0, 0, 1], [0.9, 0.5, 0.5, 0.5, 0.1]
    p, r, t = precision_recall_curve(y, s)
    assert p.tolist() == [0.6, 0.5, 1.0, 1.0]
    assert r.tolist() == [1.0, 2 / 3, 1 / 3, 0.0]
    assert t.tolist() == [0.1, 0.5, 0.9]
    # (3/5 is not a binary fraction: the sum 1 + 1/2 + 0.6 rounds once more, within 2 EPS)
    assert exact_ap(y, s) == Fraction(7, 10)
    assert abs(average_precision(y, s) - 0.7) <= 2 * EPS


def test_extreme_orders() -> None:
    y = [0, 1, 0, 1, 0]
    assert average_precision(y, [1, 5, 2, 4, 3]) == 1.0  # positives on top: precision 1 each time
    # positives at the bottom: admitted at precision 1/4 and 2/5 -> (1/4 + 2/5) / 2 = 13/40
    assert abs(average_precision(y, [5, 1, 4, 2, 3]) - float(Fraction(13, 40))) <= 2 * EPS
    # all tied: one threshold flags everything, precision = the fraction of positives, 2/5
    assert average_precision(y, [7, 7, 7, 7, 7]) == 0.4
    assert precision_recall_curve(y, [7, 7, 7, 7, 7])[0].tolist() == [0.4, 1.0]


def test_only_positives_is_allowed() -> None:
    # no negative: every threshold has precision 1 (scikit-learn agrees, see below)
    p, r, t = precision_recall_curve([1, 1, 1], [0.1, 0.2, 0.2])
    assert p.tolist() == [1.0, 1.0, 1.0] and r.tolist() == [1.0, 2 / 3, 0.0] and t.tolist() == [0.1, 0.2]
    assert average_precision([1, 1, 1], [0.1, 0.2, 0.2]) == 1.0


def test_label_encodings_and_result_types() -> None:
    scores = np.array([0.1, 0.4, 0.35, 0.8])
    expected = precision_recall_curve(np.array([0, 0, 1, 1]), scores)
    for y in ([-1, -1, 1, 1], [False, False, True, True], np.array([0.0, 0.0, 1.0, 1.0]),
              np.array([0, 0, 1, 1], dtype=np.uint8)):
        for ours, ref in zip(precision_recall_curve(y, scores), expected):
            np.testing.assert_array_equal(ours, ref)
        value = average_precision(y, scores)
        assert isinstance(value, np.float64) and value == (1 + 2 / 3) / 2
    # the rates are ratios of counts (float64); the thresholds keep the scores' dtype (scikit-learn)
    for dtype in (np.float32, np.int64):
        p, r, t = precision_recall_curve([0, 0, 1, 1], (scores * 10).astype(dtype))
        assert p.dtype == r.dtype == np.float64 and t.dtype == dtype
        assert isinstance(average_precision([0, 0, 1, 1], scores.astype(dtype)), np.float64)


def test_inputs_are_not_modified() -> None:
    assert_inputs_unchanged(precision_recall_curve, average_precision)


# ---------------------------------------------------------------- extremes
EXTREME_SCORES = {
    # only comparisons touch the scores: nothing can overflow, even at the ends of the range
    np.float64: [-np.finfo(np.float64).max, -1e300, -1e4, -1.0, -5e-324, 0.0, 5e-324, 1.0,
                 np.nextafter(1.0, 2.0), 1e4, 1e300, np.finfo(np.float64).max],
    np.float32: [-np.finfo(np.float32).max, -1e38, -1e4, -1.0, -1e-45, 0.0, 1e-45, 1.0,
                 np.nextafter(np.float32(1.0), np.float32(2.0)), 1e4, 1e38, np.finfo(np.float32).max],
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_scores_match_the_definition(dtype) -> None:
    rng = np.random.default_rng(5)
    values = np.array(EXTREME_SCORES[dtype], dtype=dtype)
    assert np.unique(values).size == values.size  # all distinct in this dtype
    for _ in range(40):
        scores = rng.choice(values, size=int(rng.integers(1, 25)))
        y = rng.integers(0, 2, size=scores.size)
        y[0] = 1
        # at most 25 positives: a sum of <= 25 rounded precisions, divided once, is within
        # (1 + 25 / 2) EPS of the exact rational; 16 EPS covers it
        assert abs(average_precision(y, scores) - float(exact_ap(y, scores))) <= 16 * EPS
        p, r, t = precision_recall_curve(y, scores)
        assert np.isfinite(t).all() and np.isfinite(p).all() and r[0] == 1.0
    # the smallest gaps still separate: 0 < the smallest subnormal, 1 < nextafter(1)
    for pair in ([0.0, EXTREME_SCORES[dtype][6]], [1.0, EXTREME_SCORES[dtype][8]]):
        assert average_precision([0, 1], np.array(pair, dtype=dtype)) == 1.0
        assert average_precision([1, 0], np.array(pair, dtype=dtype)) == 0.5


def test_integer_scores_rank_as_integers() -> None:
    # 2**62 + 0 ... 2**62 + 3 are one float64 value but four integers: the positives on top
    scores = np.int64(2**62) + np.array([0, 1, 2, 3], dtype=np.int64)
    assert average_precision([0, 0, 1, 1], scores) == 1.0
    assert precision_recall_curve([0, 0, 1, 1], scores)[2].tolist() == (2**62 + np.arange(4)).tolist()


# ---------------------------------------------------------------- properties
def labelled_scores(integers: bool = False):
    """1-D labels in {0, 1} with at least one positive, and scores with frequent ties."""
    return binary.labelled_scores(30, (1,), 1e4, integers)


@given(labelled_scores())
def test_ap_is_the_definition(data) -> None:
    # <= 30 positives: the sum of rounded precisions (each within EPS/2) and one division,
    # within (1 + 30 / 2) EPS of the exact mean of precisions <= 1
    y, s = data
    ap = average_precision(y, s)
    assert 0.0 < ap <= 1.0
    assert abs(ap - float(exact_ap(y, s))) <= 16 * EPS


@given(labelled_scores())
def test_ap_is_the_step_area_under_the_curve(data) -> None:
    # the right-continuous step integral of the returned curve, -sum(diff(recall) * precision[:-1])
    # (scikit-learn's own formula) gives the same number up to the rounding of the recalls
    y, s = data
    p, r, _ = precision_recall_curve(y, s)
    assert abs(-np.sum(np.diff(r) * p[:-1]) - average_precision(y, s)) <= 16 * EPS


@given(labelled_scores())
def test_curve_points_are_direct_counts(data) -> None:
    y, s = data
    p, r, t = precision_recall_curve(y, s)
    assert (p[-1], r[-1]) == (1.0, 0.0) and r[0] == 1.0
    assert p.size == r.size == t.size + 1 and np.all(np.diff(t) > 0) and np.all(np.diff(r) <= 0)
    assert t.tolist() == np.unique(s).tolist()  # every distinct score, increasing
    for pk, rk, tk in zip(p, r, t):  # each point is the rule "score >= t", counted with masks
        flagged = s >= tk
        assert pk == np.sum(flagged & (y == 1)) / np.sum(flagged)
        assert rk == np.sum(flagged & (y == 1)) / np.sum(y == 1)


@given(labelled_scores(integers=True))
def test_strictly_increasing_transforms_change_nothing(data) -> None:
    # integers in [-20, 20] stay distinct under these maps in floating point: same counts, same bits
    y, s = data
    ap, (p, r, _) = average_precision(y, s), precision_recall_curve(y, s)
    for transform in (np.exp, np.arctan, lambda v: 3 * v - 7):
        assert average_precision(y, transform(s)) == ap
        p_t, r_t, _ = precision_recall_curve(y, transform(s))
        np.testing.assert_array_equal(p_t, p)
        np.testing.assert_array_equal(r_t, r)


@given(labelled_scores(), st.randoms(use_true_random=False))
def test_permuting_samples_changes_nothing(data, random) -> None:
    y, s = data
    order = np.array(random.sample(range(y.size), y.size))
    assert average_precision(y[order], s[order]) == average_precision(y, s)


@given(labelled_scores())
def test_copying_negatives_lowers_ap_but_not_auc(data) -> None:
    # precision counts the negatives, ROC rates do not: doubling every negative cannot raise AP
    y, s = data
    if np.all(y == 1):
        return
    y2, s2 = np.r_[y, y[y == 0]], np.r_[s, s[y == 0]]
    assert average_precision(y2, s2) <= average_precision(y, s) + 16 * EPS
    assert roc_auc_score(y2, s2) == roc_auc_score(y, s)


# ---------------------------------------------------------------- bad input
FUNCTIONS = [precision_recall_curve, average_precision]
IDS = ["precision_recall_curve", "average_precision"]


@pytest.mark.parametrize("fn", FUNCTIONS, ids=IDS)
def test_bad_input(fn) -> None:
    check_bad_input(fn)  # shapes, non-finite scores, labels and types, shared with roc_auc
    for negatives in ([0, 0], [-1, -1], [False, False]):
        with pytest.raises(ValueError, match=r"y_true contains only the label .*: .* needs at least one positive sample \(label 1\), or recall is 0/0"):
            fn(negatives, [0.1, 0.2])


# ---------------------------------------------------------------- scikit-learn
CASES = reference_cases(240, (1, 300), both_classes=False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_precision_recall_curve_matches_sklearn(dtype) -> None:
    metrics = require("sklearn.metrics")
    for y, s in CASES:
        if s.dtype != dtype:
            continue
        # the same integer counts divided the same way, the same scores: bit for bit, dtypes too
        for a, b in zip(precision_recall_curve(y, s), metrics.precision_recall_curve(y, s)):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_average_precision_matches_sklearn(dtype) -> None:
    metrics = require("sklearn.metrics")
    for y, s in CASES:
        if s.dtype != dtype:
            continue
        # ours: K rounded precisions times integer steps, summed, divided once; scikit-learn:
        # rounded recalls differenced and multiplied, summed. Each is within about
        # (2 + log2 K) / 2 EPS of the exact value (numpy's pairwise sum), K <= 300: 8 ulps
        assert_matches(average_precision(y, s), metrics.average_precision_score(y, s), np.float64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extremes_match_sklearn(dtype) -> None:
    metrics = require("sklearn.metrics")
    rng = np.random.default_rng(11)
    values = np.array(EXTREME_SCORES[dtype], dtype=dtype)
    for _ in range(40):
        s = rng.choice(values, size=int(rng.integers(1, 30)))
        y = rng.integers(0, 2, size=s.size)
        y[0] = 1
        # scikit-learn's finiteness check sums the scores (overflow between -max and +max,
        # a RuntimeWarning, an error under pytest) though its results stay right: silence it
        with np.errstate(over="ignore", invalid="ignore"):
            ref_curve, ref_ap = metrics.precision_recall_curve(y, s), metrics.average_precision_score(y, s)
        for a, b in zip(precision_recall_curve(y, s), ref_curve):
            np.testing.assert_array_equal(a, b)
        assert_matches(average_precision(y, s), ref_ap, np.float64)  # <= 12 points: see above


def test_where_we_differ_from_sklearn_on_purpose() -> None:
    metrics = require("sklearn.metrics")
    # no positive: scikit-learn warns, sets recall to 1 and returns AP 0; we raise, naming y_true
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert metrics.average_precision_score([0, 0, 0], [0.1, 0.2, 0.3]) == 0.0
    assert caught
    with pytest.raises(ValueError, match="y_true contains only the label 0"):
        average_precision([0, 0, 0], [0.1, 0.2, 0.3])
    # no negative: both give precision 1 everywhere
    assert metrics.average_precision_score([1, 1], [0.1, 0.2]) == average_precision([1, 1], [0.1, 0.2]) == 1.0
