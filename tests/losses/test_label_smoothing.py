"""smooth_labels: hand values, properties, bad input, and the equivalence with cross_entropy's
label_smoothing (checked against PyTorch)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import cross_entropy, cross_entropy_backward, smooth_labels
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward


# ---------------------------------------------------------------- hand-checked values
def test_hand_values() -> None:
    # C = 4, eps = 0.2: 0.05 off the true class, 0.8 + 0.05 on it. 0.05 is not a binary
    # fraction, so the expected values are built with the same two roundings: eps / C, then + (1 - eps)
    out = smooth_labels([2, 0], 4, 0.2)
    off, on = 0.2 / 4, 0.2 / 4 + (1 - 0.2)
    np.testing.assert_array_equal(out, [[off, off, on, off], [on, off, off, off]])
    # eps = 0 is the one-hot encoding, eps = 1 the uniform distribution
    np.testing.assert_array_equal(smooth_labels([1, 0], 2, 0.0), [[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_array_equal(smooth_labels([1, 0], 2, 1.0), np.full((2, 2), 0.5))
    # eps = 0.5, C = 2: (0.25, 0.75), exact
    np.testing.assert_array_equal(smooth_labels([1], 2, 0.5), [[0.25, 0.75]])
    # a single class: always probability 1
    np.testing.assert_array_equal(smooth_labels([0, 0], 1, 0.3), [[1.0], [1.0]])
    # no samples: an empty (0, C) array
    assert smooth_labels(np.zeros(0, dtype=int), 3, 0.1).shape == (0, 3)


# ---------------------------------------------------------------- properties
@st.composite
def labels_and_eps(draw):
    c = draw(st.integers(1, 12))
    y = draw(arrays(np.int64, draw(st.integers(1, 10)), elements=st.integers(0, c - 1)))
    return y, c, draw(st.floats(0, 1))


@given(labels_and_eps())
def test_rows_are_distributions_peaked_at_the_label(data) -> None:
    y, c, eps = data
    t = smooth_labels(y, c, eps)
    assert t.shape == (y.size, c) and t.dtype == np.float64
    np.testing.assert_allclose(t.sum(axis=1), 1.0, rtol=1e-15 * c)
    assert np.all(t >= 0)
    # the true class keeps the largest share (ties only at eps = 1)
    assert np.all(t[np.arange(y.size), y] >= t.max(axis=1))


@given(labels_and_eps(), st.integers(0, 2**32 - 1))
def test_cross_entropy_of_smoothed_labels_equals_label_smoothing(data, seed) -> None:
    y, c, eps = data
    logits = np.random.default_rng(seed).normal(size=(y.size, c)) * 5
    np.testing.assert_allclose(
        cross_entropy(logits, smooth_labels(y, c, eps)), cross_entropy(logits, y, label_smoothing=eps),
        rtol=1e-13, atol=1e-15,
    )
    np.testing.assert_allclose(
        cross_entropy_backward(1.0, logits, smooth_labels(y, c, eps)),
        cross_entropy_backward(1.0, logits, y, label_smoothing=eps), atol=1e-15,
    )


def test_inputs_are_not_modified() -> None:
    y = np.array([0, 2])
    y.setflags(write=False)
    smooth_labels(y, 3, 0.1)


# ---------------------------------------------------------------- bad input
def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match=r"target contains class index 3, outside the valid range \[0, 2\]"):
        smooth_labels([0, 3], 3, 0.1)
    with pytest.raises(ValueError, match=r"class index -1"):
        smooth_labels([-1], 3, 0.1)
    with pytest.raises(TypeError, match="target holding class indices must have an integer dtype, got float64"):
        smooth_labels([0.0, 1.0], 3, 0.1)
    with pytest.raises(ValueError, match=r"target must be a 1-D array of class indices \(N,\), got shape \(2, 1\)"):
        smooth_labels([[0], [1]], 3, 0.1)
    with pytest.raises(ValueError, match=r"epsilon must be a finite number in \[0, 1\], got 1.5"):
        smooth_labels([0], 3, 1.5)
    with pytest.raises(ValueError, match=r"epsilon must be a finite number in \[0, 1\], got -0.1"):
        smooth_labels([0], 3, -0.1)
    with pytest.raises(TypeError, match="epsilon must be a real number, got str"):
        smooth_labels([0], 3, "0.1")
    with pytest.raises(TypeError, match="num_classes must be an integer, got float"):
        smooth_labels([0], 3.0, 0.1)
    with pytest.raises(ValueError, match="num_classes must be at least 1, got 0"):
        smooth_labels(np.zeros(0, dtype=int), 0, 0.1)


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("eps", [0.05, 0.3, 1.0])
def test_soft_targets_match_torch_label_smoothing(dtype, eps) -> None:
    # torch's own label_smoothing on class indices is the reference for our soft targets
    torch = require("torch")
    rng = np.random.default_rng(8)
    logits = (rng.normal(size=(20, len(EXTREMES))) * rng.choice([1, 10, 1000], size=(20, 1))).astype(dtype)
    logits[0] = EXTREMES
    y = rng.integers(0, logits.shape[1], size=20)
    ref_loss, (ref_grad,) = torch_forward_backward(
        lambda z, t: torch.nn.functional.cross_entropy(z, t, label_smoothing=eps), [logits, y], np.array(1.0), wrt=[0]
    )
    soft = smooth_labels(y, logits.shape[1], eps).astype(dtype)
    # a mean of terms as large as max|logit| (the smoothed part sums log p over all classes)
    assert_matches(cross_entropy(logits, soft), ref_loss, dtype, scale=float(np.max(np.abs(logits))))
    assert_matches(cross_entropy_backward(1.0, logits, soft), ref_grad, dtype)
