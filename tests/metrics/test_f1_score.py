"""f1_score / fbeta_score: hand values, properties, bad beta, scikit-learn.

The label checks are shared with precision and tested for every metric in test_precision.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from snippets import f1_score, fbeta_score, precision, recall
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

BETAS = (0.3, 0.5, 1.0, 2.0, 3.0, 10.0)


def close(ours, expected) -> bool:
    """Equal to within 4 units of float64 rounding, relative (see check_against_sklearn)."""
    return abs(ours - expected) <= 4 * np.finfo(np.float64).eps * abs(expected)


# ---------------------------------------------------------------- hand-checked values
def test_binary_hand_values() -> None:
    # TP = 3, FN = 1, FP = 3: F1 = 2TP / (2TP + FP + FN) = 6/10; P = 1/2, R = 3/4, 2PR/(P+R) = 3/5
    assert f1_score(BIN_TRUE, BIN_PRED) == exact(6, 10)
    # F2 = 5 TP / (5 TP + 4 FN + FP) = 15 / 22; F0.5 = 1.25 TP / (1.25 TP + 0.25 FN + FP) = 15 / 28
    # (the weights 4/5, 1/5 of FN and FP are rounded: a few ulps, not exact)
    assert close(fbeta_score(BIN_TRUE, BIN_PRED, 2.0), exact(15, 22))
    assert close(fbeta_score(BIN_TRUE, BIN_PRED, 0.5), exact(15, 28))
    # pos_label = 0: TP = 3, FP = 1 (sample 3), FN = 3 (samples 4, 5, 6): 6 / 10 again
    assert f1_score(BIN_TRUE, BIN_PRED, pos_label=0) == exact(6, 10)
    # an integer beta is accepted: F2 once more
    assert fbeta_score(BIN_TRUE, BIN_PRED, 2) == fbeta_score(BIN_TRUE, BIN_PRED, 2.0)


def test_multiclass_hand_values() -> None:
    # per class 2TP / (predicted + support) = (2/5, 4/5, 0/2); macro = (6/5) / 3 = 2/5
    assert np.isclose(f1_score(MC_TRUE, MC_PRED, average="macro"), exact(2, 5), rtol=1e-15, atol=0)
    # weighted by support (3, 2, 1): (6/5 + 8/5 + 0) / 6 = 7/15
    assert np.isclose(f1_score(MC_TRUE, MC_PRED, average="weighted"), exact(7, 15), rtol=1e-15, atol=0)
    # micro: 2 * 3 / (6 + 6) = 1/2, the accuracy
    assert f1_score(MC_TRUE, MC_PRED, average="micro") == exact(1, 2)
    # macro F1 is the mean of per-class F1s, not the F1 of macro P = 7/18 and macro R = 4/9
    p, r = precision(MC_TRUE, MC_PRED, average="macro"), recall(MC_TRUE, MC_PRED, average="macro")
    assert not np.isclose(f1_score(MC_TRUE, MC_PRED, average="macro"), 2 * p * r / (p + r))


def test_zero_denominators_give_zero_without_warning() -> None:
    # no positives anywhere (TP = FP = FN = 0): 0/0 -> 0.0
    assert f1_score([0, 0, 0], [0, 0, 0]) == 0.0
    assert fbeta_score([0, 0, 0], [0, 0, 0], 3.0) == 0.0
    # all-negative predictions: TP = 0, so F = 0 whatever beta
    assert f1_score([1, 0, 1], [0, 0, 0]) == 0.0


@given(label_pairs(), st.sampled_from(MULTI), st.floats(1e-3, 1e3))
def test_no_errors_give_exactly_one(pair, average, beta) -> None:
    # TP / (TP + 0) = 1 exactly; sklearn's (1 + b^2) TP / (b^2 TP + TP) can round to 1 + 2^-52
    y_true, _ = pair
    assert fbeta_score(y_true, y_true, beta, average=average) == 1.0


def test_extreme_beta_tends_to_recall_and_precision() -> None:
    # b^2 = 1e400 overflows and 1e-400 underflows: the rearranged formula gives the limits exactly
    assert fbeta_score(BIN_TRUE, BIN_PRED, 1e200) == recall(BIN_TRUE, BIN_PRED)
    assert fbeta_score(BIN_TRUE, BIN_PRED, 1e-200) == precision(BIN_TRUE, BIN_PRED)
    assert fbeta_score(BIN_TRUE, BIN_PRED, np.finfo(np.float64).max) == recall(BIN_TRUE, BIN_PRED)


def test_result_is_a_float64_scalar() -> None:
    for average in ("binary", *MULTI):
        assert isinstance(f1_score([0, 1], [1, 1], average=average), np.float64)
        assert isinstance(fbeta_score([0, 1], [1, 1], np.float32(2.0), average=average), np.float64)


# ---------------------------------------------------------------- bad input
def test_bad_beta() -> None:
    for beta in (0, 0.0, -1.0, math.inf, -math.inf, math.nan):
        with pytest.raises(ValueError, match=r"beta must be finite and > 0, got"):
            fbeta_score([0, 1], [0, 1], beta)
    for beta in ("2", None, True, [2.0], 2j):
        with pytest.raises(TypeError, match="beta must be a real number, got"):
            fbeta_score([0, 1], [0, 1], beta)


def test_bad_labels_are_checked() -> None:
    # the checks are shared with precision (tested in full there); one of each kind here
    with pytest.raises(ValueError, match=r"y_true has shape \(2,\), y_pred has shape \(3,\)"):
        f1_score([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="y_pred must hold class labels: .* found 0.5"):
        fbeta_score([0, 1], [0.5, 1.0], 2.0)
    with pytest.raises(ValueError, match="average='binary' needs at most 2 distinct labels"):
        f1_score([0, 1, 2], [0, 1, 2])


# ---------------------------------------------------------------- properties
@given(label_pairs(), st.sampled_from(MULTI), st.floats(0.01, 100.0))
def test_bounded(pair, average, beta) -> None:
    assert 0.0 <= f1_score(*pair, average=average) <= 1.0
    assert 0.0 <= fbeta_score(*pair, beta, average=average) <= 1.0


@given(label_pairs(0, 1), st.sampled_from([0, 1]))
def test_binary_f1_is_the_harmonic_mean(pair, pos_label) -> None:
    # 2PR/(P+R) rounds P, R, their product, their sum and the quotient (about 3.5 ulps in all);
    # F1 = 2TP / (2TP + FP + FN) rounds once: 4 ulps covers the difference
    y_true, y_pred = pair
    p, r = precision(y_true, y_pred, pos_label=pos_label), recall(y_true, y_pred, pos_label=pos_label)
    harmonic = 2 * p * r / (p + r) if p + r > 0 else 0.0
    f1 = f1_score(y_true, y_pred, pos_label=pos_label)
    assert_matches(f1, harmonic, np.float64, ulps=4)
    # a harmonic mean lies between its two numbers, and below their arithmetic mean
    assert min(p, r) <= f1 * (1 + 1e-15) and f1 <= (p + r) / 2 * (1 + 1e-15)


@given(label_pairs(0, 1), st.floats(0.01, 100.0))
def test_binary_fbeta_is_the_weighted_harmonic_mean(pair, beta) -> None:
    # van Rijsbergen: 1/F = a/P + (1 - a)/R with a = 1 / (1 + b^2); rounding as above
    y_true, y_pred = pair
    p, r = precision(y_true, y_pred), recall(y_true, y_pred)
    b2 = beta**2
    expected = (1 + b2) * p * r / (b2 * p + r) if p > 0 and r > 0 else 0.0
    assert_matches(fbeta_score(y_true, y_pred, beta), expected, np.float64)


@given(label_pairs())
def test_micro_f1_is_accuracy(pair) -> None:
    # micro TP = correct answers, micro (T + P) = 2N: 2 c / 2N is c / N exactly
    y_true, y_pred = pair
    assert f1_score(y_true, y_pred, average="micro") == np.mean(y_true == y_pred)
    assert f1_score(y_true, y_pred, average="micro") == precision(y_true, y_pred, average="micro")
    assert f1_score(y_true, y_pred, average="micro") == recall(y_true, y_pred, average="micro")


@given(label_pairs(), st.sampled_from(MULTI), st.randoms(use_true_random=False))
def test_permuting_samples_changes_nothing(pair, average, random) -> None:
    y_true, y_pred = pair
    order = np.array(random.sample(range(y_true.size), y_true.size))
    assert f1_score(y_true[order], y_pred[order], average=average) == f1_score(y_true, y_pred, average=average)


@given(label_pairs(), st.sampled_from(["micro", "macro"]))
def test_f1_is_symmetric_in_true_and_predicted(pair, average) -> None:
    # swapping the arrays swaps FP and FN, which F1 weighs equally
    y_true, y_pred = pair
    assert f1_score(y_true, y_pred, average=average) == f1_score(y_pred, y_true, average=average)


@given(label_pairs(), st.sampled_from(MULTI))
def test_f1_is_fbeta_with_beta_one(pair, average) -> None:
    assert f1_score(*pair, average=average) == fbeta_score(*pair, 1.0, average=average)


# ---------------------------------------------------------------- scikit-learn
def check_against_sklearn(ours, ref, beta: float) -> None:
    if beta == 1:
        # weights 1/2 and 1/2 are exact, so TP / (TP + FN/2 + FP/2) is one rounding of
        # 2TP / (2TP + FN + FP), as is sklearn's 2TP / (T + P): bit for bit equal
        assert ours == ref
    else:
        # we round the weights b^2/(1+b^2), 1/(1+b^2) once each, sklearn rounds b^2 and the
        # products (1+b^2)TP, b^2 T: both sides carry about 3 roundings of relative size 2^-53,
        # so they may differ by up to ~3 eps relative (measured: 2.05 eps over these pairs)
        assert_matches(ours, ref, np.float64, ulps=4)


@pytest.mark.parametrize("average", MULTI)
def test_f1_matches_sklearn(average) -> None:
    metrics = require("sklearn.metrics")
    for y_true, y_pred in PAIRS:
        ref = metrics.f1_score(y_true, y_pred, average=average, zero_division=0.0)
        assert f1_score(y_true, y_pred, average=average) == ref, (y_true, y_pred)


@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("average", MULTI)
def test_fbeta_matches_sklearn(average, beta) -> None:
    metrics = require("sklearn.metrics")
    for y_true, y_pred in PAIRS:
        ref = metrics.fbeta_score(y_true, y_pred, beta=beta, average=average, zero_division=0.0)
        check_against_sklearn(fbeta_score(y_true, y_pred, beta, average=average), ref, beta)


def test_f1_binary_matches_sklearn() -> None:
    metrics = require("sklearn.metrics")
    checked = 0
    for y_true, y_pred in PAIRS:
        for pos_label in binary_settings(y_true, y_pred):
            ref = sklearn_or_error(metrics.f1_score, y_true, y_pred, pos_label=pos_label, zero_division=0.0)
            if isinstance(ref, ValueError):
                with pytest.raises(ValueError, match="average='binary'|pos_label"):
                    f1_score(y_true, y_pred, pos_label=pos_label)
                continue
            assert f1_score(y_true, y_pred, pos_label=pos_label) == ref, (y_true, y_pred, pos_label)
            checked += 1
    assert checked > 200


@pytest.mark.parametrize("beta", [0.5, 2.0, 3.0])
def test_fbeta_binary_matches_sklearn(beta) -> None:
    metrics = require("sklearn.metrics")
    checked = 0
    for y_true, y_pred in PAIRS:
        for pos_label in binary_settings(y_true, y_pred):
            ref = sklearn_or_error(
                metrics.fbeta_score, y_true, y_pred, beta=beta, average="binary", pos_label=pos_label,
                zero_division=0.0,
            )
            if isinstance(ref, ValueError):
                with pytest.raises(ValueError, match="average='binary'|pos_label"):
                    fbeta_score(y_true, y_pred, beta, pos_label=pos_label)
                continue
            check_against_sklearn(fbeta_score(y_true, y_pred, beta, pos_label=pos_label), ref, beta)
            checked += 1
    assert checked > 200
