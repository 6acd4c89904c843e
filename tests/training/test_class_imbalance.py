"""balanced_class_weights / weighted_cross_entropy(+backward) / oversample_indices: hand values,
properties, bad input, scikit-learn's compute_class_weight and PyTorch's cross_entropy(weight=)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import (
    balanced_class_weights,
    cross_entropy,
    oversample_indices,
    weighted_cross_entropy,
    weighted_cross_entropy_backward,
)
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

labels = arrays(np.int64, st.integers(1, 60), elements=st.integers(0, 4))


def test_hand_checked_values() -> None:
    # counts (3, 1, 2) of n = 6, k = 3: 6/9, 6/3, 6/6
    np.testing.assert_allclose(balanced_class_weights([0, 0, 0, 1, 2, 2]), [2 / 3, 2.0, 1.0], rtol=1e-15)
    # classes given in another order: the weights follow that order
    np.testing.assert_allclose(balanced_class_weights([0, 0, 0, 1, 2, 2], classes=[2, 0, 1]), [1.0, 2 / 3, 2.0], rtol=1e-15)
    # p(target) = 1/4 for example 0 (weight 1) and 1/2 for example 1 (weight 3): (ln 4 + 3 ln 2) / 4
    loss = weighted_cross_entropy([[0.0, math.log(3)], [0.0, 0.0]], [0, 1], [1.0, 3.0])
    assert math.isclose(loss, (math.log(4) + 3 * math.log(2)) / 4, rel_tol=1e-15)
    # gradient rows: w_i / sum w * (softmax - onehot) = 1/4 (1/4 - 1, 3/4) and 3/4 (1/2, 1/2 - 1)
    np.testing.assert_allclose(
        weighted_cross_entropy_backward(1.0, [[0.0, math.log(3)], [0.0, 0.0]], [0, 1], [1.0, 3.0]),
        [[-3 / 16, 3 / 16], [3 / 8, -3 / 8]], rtol=1e-15,
    )


@given(labels)
def test_weights_times_counts_sum_to_n_and_balance_the_classes(y: np.ndarray) -> None:
    w = balanced_class_weights(y)
    counts = np.bincount(y)[np.unique(y)]
    np.testing.assert_allclose(np.sum(w * counts), y.size, rtol=1e-13)
    # every class carries the same total weight n / k
    np.testing.assert_allclose(w * counts, y.size / len(counts), rtol=1e-13)


@settings(max_examples=30, deadline=None)
@given(labels, st.integers(0, 2**32 - 1))
def test_equal_weights_give_the_plain_cross_entropy(y: np.ndarray, seed: int) -> None:
    logits = np.random.default_rng(seed).normal(size=(y.size, 5)) * 3
    np.testing.assert_allclose(weighted_cross_entropy(logits, y, np.full(5, 2.5)), cross_entropy(logits, y), rtol=1e-13)


@settings(max_examples=30, deadline=None)
@given(labels, st.integers(0, 2**32 - 1))
def test_oversampling_equalises_the_classes_and_keeps_every_example(y: np.ndarray, seed: int) -> None:
    idx = oversample_indices(y, np.random.default_rng(seed))
    counts = np.bincount(y[idx], minlength=5)[np.unique(y)]
    assert np.all(counts == np.bincount(y).max())
    assert set(np.arange(y.size)) <= set(idx.tolist())
    assert idx.dtype == np.int64


def test_empty_labels_and_stable_logits() -> None:
    assert oversample_indices([], np.random.default_rng(0)).shape == (0,)
    # logits up to 1e4: a stable log-softmax, finite loss and gradient in both dtypes
    for dtype in DTYPES:
        logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]], dtype=dtype)
        loss = weighted_cross_entropy(logits, [1, 1], [1.0, 2.0, 3.0])
        grad = weighted_cross_entropy_backward(1.0, logits, [1, 1], [1.0, 2.0, 3.0])
        assert np.isfinite(loss) and np.all(np.isfinite(grad)) and loss.dtype == grad.dtype == dtype


def test_bad_input_names_the_argument() -> None:
    with pytest.raises(ValueError, match=r"classes must include every label of y; \[2\] are not listed"):
        balanced_class_weights([0, 1, 2], classes=[0, 1])
    with pytest.raises(ValueError, match=r"every class in classes must occur in y.*\[3\]"):
        balanced_class_weights([0, 1, 2], classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match="classes must not repeat a class"):
        balanced_class_weights([0, 1], classes=[0, 1, 1])
    with pytest.raises(ValueError, match="y must hold class labels"):
        balanced_class_weights([0.5, 1.0])
    logits = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"weight must have shape \(C,\) = \(3,\)"):
        weighted_cross_entropy(logits, [0, 1], [1.0, 2.0])
    with pytest.raises(ValueError, match="weight must hold finite non-negative numbers"):
        weighted_cross_entropy(logits, [0, 1], [1.0, -2.0, 1.0])
    with pytest.raises(ValueError, match="weight gives every example of the batch weight 0"):
        weighted_cross_entropy(logits, [0, 0], [0.0, 2.0, 1.0])
    with pytest.raises(ValueError, match="target contains class index 3"):
        weighted_cross_entropy(logits, [0, 3], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=r"target must have shape \(N,\) = \(2,\)"):
        weighted_cross_entropy(logits, [0, 1, 2], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="logits must hold at least one example"):
        weighted_cross_entropy(np.zeros((0, 3)), np.zeros(0, int), [1.0, 1.0, 1.0])
    with pytest.raises(TypeError, match="rng"):
        oversample_indices([0, 1], rng=0)


def test_matches_scikit_learn() -> None:
    class_weight = require("sklearn.utils.class_weight")
    rng = np.random.default_rng(0)
    for _ in range(20):
        y = rng.choice(7, size=rng.integers(1, 200), p=rng.dirichlet(np.ones(7)))
        classes = np.unique(y)
        ref = class_weight.compute_class_weight("balanced", classes=classes, y=y)
        # both compute n / (k n_c) in float64, one division each: identical up to one rounding
        np.testing.assert_allclose(balanced_class_weights(y), ref, rtol=2 * np.finfo(np.float64).eps)


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch_cross_entropy_with_weight(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(1)
    n, c = 64, 5
    logits = (rng.normal(size=(n, c)) * 10).astype(dtype)
    logits[:3, :3] = EXTREMES[:9].reshape(3, 3)  # rows with |logits| up to 1e4
    target = rng.integers(0, c, size=n)
    weight = rng.uniform(0.1, 5.0, size=c).astype(dtype)
    ref, (ref_grad,) = torch_forward_backward(
        lambda t: torch.nn.functional.cross_entropy(t, torch.tensor(target), weight=torch.tensor(weight)),
        [logits], np.array(1.0, dtype=dtype), wrt=[0],
    )
    # a weighted mean of n log-softmax values (each a difference of numbers up to |logits|): the
    # rounding of each is relative to the largest |logit| (1e4), summed over n terms
    assert_matches(weighted_cross_entropy(logits, target, weight), ref, dtype, ulps=n, scale=1e4)
    assert_matches(weighted_cross_entropy_backward(dtype(1.0), logits, target, weight), ref_grad, dtype)
