"""perplexity: hand values, properties, stability, bad input, PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import cross_entropy, perplexity
from tests.reference import DTYPES, EXTREMES, assert_matches, require


def test_hand_values() -> None:
    # uniform over C classes: cross-entropy log C, perplexity C
    for c in (1, 2, 10, 50000):
        assert math.isclose(perplexity(np.zeros((2, c)), [0, c - 1]), c, rel_tol=1e-12)
    # p(true) = 1/4 and 1/16 (logits log p): mean NLL = (log 4 + log 16) / 2 = log 8 -> 8,
    # the geometric mean of 1 / p(true)
    logits = np.log([[0.25, 0.75], [1 / 16, 15 / 16]])
    assert math.isclose(perplexity(logits, [0, 0]), 8.0, rel_tol=1e-14)


@given(st.integers(1, 6).flatmap(lambda c: st.tuples(
    arrays(np.float64, (5, c), elements=st.floats(-30, 30)), arrays(np.int64, 5, elements=st.integers(0, c - 1)))))
def test_between_one_and_the_inverse_of_the_smallest_true_probability(data) -> None:
    logits, y = data
    value = perplexity(logits, y)
    p_true = np.exp(logits - logits.max(axis=1, keepdims=True))
    p_true = p_true[np.arange(5), y] / p_true.sum(axis=1)
    assert value >= 1 - 1e-12
    # the geometric mean of 1/p lies between the smallest and largest 1/p
    assert value <= 1 / p_true.min() * (1 + 1e-9)


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtype_and_overflow(dtype) -> None:
    x = np.array([[0.0, 1.0]], dtype=dtype)
    assert perplexity(x, [1]).dtype == dtype
    # a loss of 2e4 nats is beyond exp's range in both dtypes: inf, without a warning
    assert perplexity(np.array([[-1e4, 1e4]], dtype=dtype), [0]) == np.inf


def test_nan_in_nan_out() -> None:
    assert np.isnan(perplexity([[np.nan, 0.0]], [0]))


def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match=r"target must be a 1-D array of class indices \(N,\), got shape \(2, 2\)"):
        perplexity(np.zeros((2, 2)), np.eye(2))
    with pytest.raises(ValueError, match=r"target contains class index 2, outside the valid range \[0, 1\]"):
        perplexity(np.zeros((2, 2)), [0, 2])
    with pytest.raises(ValueError, match=r"logits must be a non-empty 2-D array \(N, C\)"):
        perplexity(np.zeros(3), [0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(10)
    logits = (rng.normal(size=(64, 15)) * rng.choice([0.5, 2, 5], size=(64, 1))).astype(dtype)
    logits[0] = np.clip(EXTREMES, -20, 20)
    y = rng.integers(0, 15, size=64)
    ref = torch.exp(torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(y))).numpy()
    # the loss is exact to 8 eps * max|logit| in absolute terms (see test_cross_entropy); exp turns
    # an absolute error d of its argument into a relative error d of its result
    assert_matches(perplexity(logits, y), ref, dtype, ulps=8 * float(np.max(np.abs(logits))))
