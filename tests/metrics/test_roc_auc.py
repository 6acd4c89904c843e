"""roc_curve and roc_auc_score: hand values, properties, extremes, bad input, scikit-learn."""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from snippets import roc_auc_score, roc_curve
from tests.metrics import binary
from tests.metrics.binary import assert_inputs_unchanged, check_bad_input, reference_cases
from tests.reference import assert_matches, require

EPS = np.finfo(np.float64).eps


def pairwise_auc(y_true, scores) -> Fraction:
    """The definition, by brute force over every (positive, negative) pair: a win counts 1, a
    tie 1/2. Exact rational arithmetic, independent of any sorting."""
    y, s = np.asarray(y_true) == 1, np.asarray(scores)
    pos, neg = s[y][:, None], s[~y][None, :]
    twice_u = 2 * int(np.sum(pos > neg)) + int(np.sum(pos == neg))
    return Fraction(twice_u, 2 * pos.size * neg.size)


# ---------------------------------------------------------------- hand-checked values
def test_curve_hand_values() -> None:
    # decreasing scores 0.8 (+), 0.4 (-), 0.35 (+), 0.1 (-); lowering the threshold through them
    # gives (TP, FP) = (1, 0), (1, 1), (2, 1), (2, 2); with 2 positives and 2 negatives the
    # rates are halves, and (0, 0) at threshold inf comes first
    fpr, tpr, thresholds = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert fpr.tolist() == [0.0, 0.0, 0.5, 0.5, 1.0]
    assert tpr.tolist() == [0.0, 0.5, 0.5, 1.0, 1.0]
    assert thresholds.tolist() == [np.inf, 0.8, 0.4, 0.35, 0.1]
    # area: the staircase covers 1/2 * 1/2 (second column at height 1/2) + 1/2 * 1 = 3/4, and
    # pairwise: 0.8 beats both negatives, 0.35 beats 0.1 only -> 3 of 4 pairs
    assert roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75


def test_tie_gives_a_diagonal_and_half_credit() -> None:
    # levels 0.8 (1 pos), 0.4 (1 pos + 1 neg, tied), 0.1 (1 neg): (TP, FP) = (1, 0), (2, 1),
    # (2, 2); the tie is one diagonal step from (0, 1/2) to (1/2, 1)
    fpr, tpr, thresholds = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.4, 0.8])
    assert fpr.tolist() == [0.0, 0.0, 0.5, 1.0]
    assert tpr.tolist() == [0.0, 0.5, 1.0, 1.0]
    assert thresholds.tolist() == [np.inf, 0.8, 0.4, 0.1]
    # pairs: 0.8 beats both (2), 0.4 beats 0.1 (1) and ties 0.4 (1/2): 3.5 / 4
    assert roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.4, 0.8]) == 0.875


def test_collinear_points_are_dropped() -> None:
    # (TP, FP) at 5, 4, 3, 2, 1 = (1, 0), (2, 0), (3, 0), (3, 1), (3, 2): (2, 0) lies on the
    # vertical segment and (3, 1) on the horizontal one, so only thresholds 5, 3, 1 remain
    fpr, tpr, thresholds = roc_curve([1, 1, 1, 0, 0], [5, 4, 3, 2, 1])
    assert fpr.tolist() == [0.0, 0.0, 0.0, 1.0]
    assert tpr.tolist() == [0.0, float(Fraction(1, 3)), 1.0, 1.0]
    assert thresholds.tolist() == [np.inf, 5.0, 3.0, 1.0]
    assert roc_auc_score([1, 1, 1, 0, 0], [5, 4, 3, 2, 1]) == 1.0  # every pair won


def test_extreme_orders() -> None:
    y = [0, 1, 0, 1]
    assert roc_auc_score(y, [1, 2, 1, 2]) == 1.0  # positives on top: every pair won
    assert roc_auc_score(y, [2, 1, 2, 1]) == 0.0  # reversed: every pair lost
    assert roc_auc_score(y, [7, 7, 7, 7]) == 0.5  # all tied: every pair half won
    # all tied: one threshold admits everything at once, the chance diagonal
    fpr, tpr, thresholds = roc_curve(y, [7, 7, 7, 7])
    assert (fpr.tolist(), tpr.tolist(), thresholds.tolist()) == ([0.0, 1.0], [0.0, 1.0], [np.inf, 7.0])


def test_an_exact_fraction() -> None:
    # negatives 1, 3, 5, positives 2, 4, 6: 2 beats 1, 4 beats 1 and 3, 6 beats all three:
    # 6 of 9 pairs -> 2/3, correctly rounded (one division of exact counts)
    assert roc_auc_score([0, 1, 0, 1, 0, 1], [1, 2, 3, 4, 5, 6]) == float(Fraction(2, 3))


def test_label_encodings_and_result_types() -> None:
    scores = np.array([0.1, 0.4, 0.35, 0.8])
    expected = roc_curve(np.array([0, 0, 1, 1]), scores)
    for y in ([-1, -1, 1, 1], [False, False, True, True], np.array([0.0, 0.0, 1.0, 1.0]),
              np.array([0, 0, 1, 1], dtype=np.uint8)):
        for ours, ref in zip(roc_curve(y, scores), expected):
            assert ours.dtype == np.float64
            np.testing.assert_array_equal(ours, ref)
        value = roc_auc_score(y, scores)
        assert isinstance(value, np.float64) and value == 0.75
    # float32 scores: the rates are ratios of counts (float64), the thresholds float64 copies
    fpr, tpr, thresholds = roc_curve([0, 0, 1, 1], scores.astype(np.float32))
    assert fpr.dtype == tpr.dtype == thresholds.dtype == np.float64
    assert thresholds[1:].tolist() == scores.astype(np.float32).astype(np.float64)[[3, 1, 2, 0]].tolist()
    assert isinstance(roc_auc_score([0, 0, 1, 1], scores.astype(np.float32)), np.float64)


def test_inputs_are_not_modified() -> None:
    assert_inputs_unchanged(roc_curve, roc_auc_score)


# ---------------------------------------------------------------- extremes
EXTREME_SCORES = {
    # only comparisons touch the scores, so nothing overflows, even at the ends of the range
    np.float64: [-np.finfo(np.float64).max, -1e300, -1.0, -5e-324, 0.0, 5e-324, 1.0,
                 np.nextafter(1.0, 2.0), 1e300, np.finfo(np.float64).max],
    np.float32: [-np.finfo(np.float32).max, -1e38, -1.0, -1e-45, 0.0, 1e-45, 1.0,
                 np.nextafter(np.float32(1.0), np.float32(2.0)), 1e38, np.finfo(np.float32).max],
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_scores_match_the_pairwise_count(dtype) -> None:
    rng = np.random.default_rng(5)
    values = np.array(EXTREME_SCORES[dtype], dtype=dtype)
    assert np.unique(values).size == values.size  # all distinct in this dtype, tiny gaps included
    for _ in range(50):
        scores = rng.choice(values, size=int(rng.integers(2, 30)))
        y = rng.integers(0, 2, size=scores.size)
        y[:2] = [0, 1]
        assert roc_auc_score(y, scores) == float(pairwise_auc(y, scores))
        fpr, tpr, thresholds = roc_curve(y, scores)
        assert np.isfinite(thresholds[1:]).all() and fpr[-1] == tpr[-1] == 1.0
    # the smallest possible gaps still separate: 0 < the smallest subnormal, 1 < nextafter(1)
    for pair in ([0.0, EXTREME_SCORES[dtype][5]], [1.0, EXTREME_SCORES[dtype][7]]):
        assert roc_auc_score([0, 1], np.array(pair, dtype=dtype)) == 1.0
        assert roc_auc_score([1, 0], np.array(pair, dtype=dtype)) == 0.0


def test_integer_scores_rank_as_integers() -> None:
    # 2**62 + 0 ... 2**62 + 3 collapse to one float64 value, but as integers they are 4 levels
    scores = np.int64(2**62) + np.array([0, 1, 2, 3], dtype=np.int64)
    assert roc_auc_score([0, 0, 1, 1], scores) == 1.0
    assert roc_curve([0, 0, 1, 1], scores)[1].tolist() == [0.0, 0.5, 1.0, 1.0]


# ---------------------------------------------------------------- properties
def labelled_scores(integers: bool = False):
    """1-D labels in {0, 1} with both classes present, and scores with frequent ties."""
    return binary.labelled_scores(40, (0, 1), 1e6, integers)


@given(labelled_scores())
def test_auc_is_the_pairwise_count(data) -> None:
    # exactly: the integer count 2U divided once by 2 n_pos n_neg is the correctly rounded fraction
    y, s = data
    auc = roc_auc_score(y, s)
    assert 0.0 <= auc <= 1.0
    assert auc == float(pairwise_auc(y, s))


@given(labelled_scores())
def test_negating_the_scores_gives_one_minus_auc(data) -> None:
    # exact in rationals (U(-s) = n_pos n_neg - U(s)); in floats both sides are correctly rounded
    # values of complementary fractions, and 1 - x adds at most half an ulp of 1: within EPS
    y, s = data
    assert abs(roc_auc_score(y, -s) - (1.0 - roc_auc_score(y, s))) <= EPS
    assert roc_auc_score(y, -s) == float(1 - pairwise_auc(y, s))


@given(labelled_scores(integers=True))
def test_strictly_increasing_transforms_change_nothing(data) -> None:
    # on integers in [-20, 20] these maps are strictly increasing in floating point too (no two
    # values collapse), so the order, the counts and every result are bit-for-bit the same
    y, s = data
    auc = roc_auc_score(y, s)
    fpr, tpr, _ = roc_curve(y, s)
    for transform in (np.exp, np.arctan, lambda v: v**3 + 2 * v, lambda v: 3 * v - 7):
        t = transform(s)
        assert roc_auc_score(y, t) == auc
        fpr_t, tpr_t, _ = roc_curve(y, t)
        np.testing.assert_array_equal(fpr_t, fpr)
        np.testing.assert_array_equal(tpr_t, tpr)


@given(labelled_scores(), st.randoms(use_true_random=False))
def test_permuting_samples_changes_nothing(data, random) -> None:
    y, s = data
    order = np.array(random.sample(range(y.size), y.size))
    assert roc_auc_score(y[order], s[order]) == roc_auc_score(y, s)
    for a, b in zip(roc_curve(y[order], s[order]), roc_curve(y, s)):
        np.testing.assert_array_equal(a, b)


@given(labelled_scores())
def test_curve_shape_and_points(data) -> None:
    y, s = data
    fpr, tpr, thresholds = roc_curve(y, s)
    # from (0, 0) at threshold inf to (1, 1), never going back
    assert (fpr[0], tpr[0], thresholds[0]) == (0.0, 0.0, np.inf)
    assert (fpr[-1], tpr[-1]) == (1.0, 1.0)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    assert np.all(np.diff(thresholds) < 0)
    # every point is the rule "score >= t", counted directly with masks
    positives, negatives = s[y == 1], s[y == 0]
    for f, t, th in zip(fpr[1:], tpr[1:], thresholds[1:]):
        assert t == np.sum(positives >= th) / positives.size
        assert f == np.sum(negatives >= th) / negatives.size
    # the trapezoid area under the kept points is the AUC (collinear points add nothing); the
    # trapezoid sum rounds once per term and per addition: a few EPS for at most 40 points
    assert abs(np.trapezoid(tpr, fpr) - roc_auc_score(y, s)) <= 8 * EPS


# ---------------------------------------------------------------- bad input
FUNCTIONS = [roc_curve, roc_auc_score]


@pytest.mark.parametrize("fn", FUNCTIONS, ids=["roc_curve", "roc_auc_score"])
def test_bad_input(fn) -> None:
    check_bad_input(fn)  # shapes, non-finite scores, labels and types, shared with average_precision
    with pytest.raises(ValueError, match=r"y_true contains only the label 1: ROC needs both classes"):
        fn([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"y_true contains only the label 0: ROC needs both classes"):
        fn([0], [0.1])
    with pytest.raises(ValueError, match=r"y_true contains only the label False: ROC needs both classes"):
        fn([False, False], [0.1, 0.2])


# ---------------------------------------------------------------- scikit-learn
CASES = reference_cases(300, (2, 400), both_classes=True)


def test_roc_curve_matches_sklearn() -> None:
    metrics = require("sklearn.metrics")
    for y, s in CASES:
        ours, ref = roc_curve(y, s), metrics.roc_curve(y, s)
        # the same integer counts, divided by the same totals: bit for bit
        for a, b in zip(ours, ref):
            assert a.dtype == b.dtype == np.float64
            np.testing.assert_array_equal(a, b)


def test_roc_auc_score_matches_sklearn() -> None:
    metrics = require("sklearn.metrics")
    for y, s in CASES:
        ours = roc_auc_score(y, s)
        # ours is the correctly rounded U / (n_pos n_neg) (checked against the pairwise count);
        # scikit-learn sums trapezoids over K <= 400 points: about one rounding per rate and
        # per product, plus numpy's pairwise summation (log2 K roundings), at most about
        # (4 + log2 K) / 2 = 6.4 EPS on a value <= 1, inside the default 8 ulps
        assert_matches(ours, metrics.roc_auc_score(y, s), np.float64)
        assert ours == float(pairwise_auc(y, s))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extremes_match_sklearn(dtype) -> None:
    metrics = require("sklearn.metrics")
    rng = np.random.default_rng(11)
    values = np.array(EXTREME_SCORES[dtype], dtype=dtype)
    for _ in range(50):
        s = rng.choice(values, size=int(rng.integers(2, 40)))
        y = rng.integers(0, 2, size=s.size)
        y[:2] = [0, 1]
        # scikit-learn's finiteness check sums the scores and its tie search uses np.diff: both
        # overflow between -max and +max (a RuntimeWarning, an error under pytest), although
        # its results stay right. Ours only compares scores. Silence numpy for its call only.
        with np.errstate(over="ignore", invalid="ignore"):
            ref_curve, ref_auc = metrics.roc_curve(y, s), metrics.roc_auc_score(y, s)
        for a, b in zip(roc_curve(y, s), ref_curve):
            np.testing.assert_array_equal(a, b)
        assert_matches(roc_auc_score(y, s), ref_auc, np.float64)  # <= 11 points: see above


def test_integer_scores_match_sklearn() -> None:
    metrics = require("sklearn.metrics")
    rng = np.random.default_rng(2)
    for _ in range(20):
        # integers closer together than float64 can resolve: both rank them as integers
        s = np.int64(2**62) + rng.integers(0, 6, size=30)
        y = rng.integers(0, 2, size=30)
        y[:2] = [0, 1]
        for a, b in zip(roc_curve(y, s), metrics.roc_curve(y, s)):
            np.testing.assert_array_equal(a, b)
        assert_matches(roc_auc_score(y, s), metrics.roc_auc_score(y, s), np.float64)


def test_where_we_differ_from_sklearn_on_purpose() -> None:
    metrics = require("sklearn.metrics")
    exceptions = require("sklearn.exceptions")
    # one class: scikit-learn warns and returns NaN; we raise, naming y_true
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert np.isnan(metrics.roc_auc_score([1, 1, 1], [0.1, 0.2, 0.3]))
    assert any(issubclass(w.category, exceptions.UndefinedMetricWarning) for w in caught)
    with pytest.raises(ValueError, match="y_true contains only the label 1"):
        roc_auc_score([1, 1, 1], [0.1, 0.2, 0.3])
    # labels other than {0, 1} / {-1, 1}: scikit-learn asks for pos_label, we ask for a mask
    with pytest.raises(ValueError, match="pos_label"):
        metrics.roc_curve([1, 2, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"Pass y_true == <your positive label>"):
        roc_curve([1, 2, 2], [0.1, 0.2, 0.3])
