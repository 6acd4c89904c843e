"""soft_vote(+backward) / hard_vote / bagging_indices: hand values, properties, bad input,
scikit-learn's soft-voting average, scipy.stats.mode, and the bootstrap's 1 - 1/e coverage."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import bagging_indices, hard_vote, soft_vote, soft_vote_backward
from tests.reference import require


def test_hand_checked_values() -> None:
    # equal weights: the plain mean; weights (1, 3) -> (0.25 * 0.9 + 0.75 * 0.4, ...) = (0.525, 0.475)
    np.testing.assert_allclose(soft_vote([[[0.9, 0.1]], [[0.4, 0.6]]]), [[0.65, 0.35]], rtol=1e-15)
    np.testing.assert_allclose(soft_vote([[[0.9, 0.1]], [[0.4, 0.6]]], [1, 3]), [[0.525, 0.475]], rtol=1e-15)
    np.testing.assert_allclose(soft_vote_backward([[1.0, -2.0]], [[[0.9, 0.1]], [[0.4, 0.6]]], [1, 3]),
                               [[[0.25, -0.5]], [[0.75, -1.5]]], rtol=1e-15)
    # majority per column; a tie goes to the smallest label
    np.testing.assert_array_equal(hard_vote([[2, 1, 1, 3], [2, 0, 0, 3], [0, 0, 2, 1]]), [2, 0, 0, 3])


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(1, 8), st.integers(2, 5), st.integers(0, 2**32 - 1))
def test_soft_vote_keeps_probabilities_and_is_the_weighted_mean(m: int, n: int, c: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(c), size=(m, n))
    w = rng.uniform(0.0, 2.0, size=m) + 1e-3
    v = soft_vote(p, w)
    np.testing.assert_allclose(v.sum(axis=-1), 1.0, rtol=1e-13)
    assert np.all(v >= p.min(axis=0) - 1e-15) and np.all(v <= p.max(axis=0) + 1e-15)
    # scaling every weight by the same factor changes nothing
    np.testing.assert_allclose(soft_vote(p, 7.0 * w), v, rtol=1e-14)


@settings(max_examples=40, deadline=None)
@given(arrays(np.int64, st.tuples(st.integers(1, 7), st.integers(0, 12)), elements=st.integers(0, 4)))
def test_hard_vote_is_scipy_mode(predictions: np.ndarray) -> None:
    stats = require("scipy.stats")
    expected = stats.mode(predictions, axis=0).mode if predictions.shape[1] else np.zeros(0, np.int64)
    np.testing.assert_array_equal(hard_vote(predictions), expected)


def test_soft_vote_matches_scikit_learn_voting() -> None:
    # VotingClassifier(voting="soft") averages predict_proba with np.average(axis=0, weights=...)
    ensemble = require("sklearn.ensemble")
    linear_model = require("sklearn.linear_model")
    tree = require("sklearn.tree")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = (X[:, 0] + 0.5 * X[:, 1] ** 2 + 0.3 * rng.normal(size=120) > 0.5).astype(int)
    models = [("lr", linear_model.LogisticRegression()), ("tree", tree.DecisionTreeClassifier(max_depth=3, random_state=0))]
    voting = ensemble.VotingClassifier(models, voting="soft", weights=[2, 1]).fit(X, y)
    probas = np.stack([model.predict_proba(X) for model in voting.estimators_])
    # both take the same weighted mean of the same numbers: to a few roundings of values <= 1
    np.testing.assert_allclose(soft_vote(probas, [2, 1]), voting.predict_proba(X), rtol=0, atol=4 * np.finfo(float).eps)
    np.testing.assert_array_equal(np.argmax(soft_vote(probas, [2, 1]), axis=1), voting.predict(X))


def test_bootstrap_covers_one_minus_one_over_e() -> None:
    # the share of distinct examples in a bootstrap sample of n has mean 1 - (1 - 1/n)^n -> 1 - 1/e;
    # over 200 samples of n = 500 its standard error is sqrt(Var / 200) ~ 0.0010 (Var of the count
    # ~ 57 for n = 500): 0.005 is five standard errors
    idx = bagging_indices(500, 200, np.random.default_rng(0))
    share = np.mean([len(np.unique(row)) / 500 for row in idx])
    assert abs(share - (1 - (1 - 1 / 500) ** 500)) < 0.005
    assert idx.dtype == np.int64 and idx.min() >= 0 and idx.max() < 500


def test_float32_and_empty() -> None:
    p = np.full((3, 0, 2), 0.5, dtype=np.float32)
    assert soft_vote(p).shape == (0, 2) and soft_vote(p).dtype == np.float32
    assert hard_vote(np.zeros((3, 0), int)).shape == (0,)
    assert soft_vote(np.full((2, 1, 2), 0.5, np.float32), [1.0, 2.0]).dtype == np.float32


def test_bad_input_names_the_argument() -> None:
    p = np.full((2, 3, 2), 0.5)
    with pytest.raises(ValueError, match=r"weights must have shape \(n_models,\) = \(2,\)"):
        soft_vote(p, [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="weights must be finite, non-negative and not all 0"):
        soft_vote(p, [0.0, 0.0])
    with pytest.raises(ValueError, match="weights must be finite, non-negative and not all 0"):
        soft_vote(p, [1.0, -1.0])
    with pytest.raises(ValueError, match="probas must have shape \\(n_models, ...\\) with at least one model"):
        soft_vote(np.zeros((0, 3, 2)))
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(3, 2\)"):
        soft_vote_backward(np.ones((2, 3, 2)), p)
    with pytest.raises(ValueError, match=r"predictions must have shape \(n_models, n_samples\)"):
        hard_vote([1, 2, 3])
    with pytest.raises(ValueError, match="predictions must hold non-negative labels"):
        hard_vote([[0, -1]])
    with pytest.raises(ValueError, match="predictions must hold class labels"):
        hard_vote([[0.5, 1.0]])
    with pytest.raises(ValueError, match="n_estimators must be"):
        bagging_indices(10, 0, np.random.default_rng(0))
