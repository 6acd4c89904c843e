"""embedding / embedding_backward: hand values, properties, stability, bad input, PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import embedding, embedding_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_values() -> None:
    w = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
    idx = np.array([[2, 0], [2, 2]])
    # each index picks its row: output (2, 2, 2)
    np.testing.assert_array_equal(embedding(idx, w), [[[4.0, 5.0], [0.0, 1.0]], [[4.0, 5.0], [4.0, 5.0]]])
    # grad_out rows 1, 10, 100, 1000 (times (1, -1)): id 2 collects 1 + 100 + 1000, id 0 collects 10
    g = np.array([1.0, 10.0, 100.0, 1000.0])[:, None] * [1.0, -1.0]
    grad = embedding_backward(g.reshape(2, 2, 2), idx, w)
    np.testing.assert_array_equal(grad, [[10.0, -10.0], [0.0, 0.0], [1101.0, -1101.0]])


def test_shapes_scalar_and_empty_indices() -> None:
    w = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(embedding(1, w), [2.0, 3.0])      # a 0-d index gives one vector (D,)
    assert embedding(np.zeros((0, 4), int), w).shape == (0, 4, 2)
    np.testing.assert_array_equal(embedding_backward(np.ones(2), 1, w), [[0, 0], [1, 1], [0, 0]])
    np.testing.assert_array_equal(embedding_backward(np.ones((0, 2)), np.zeros(0, int), w), np.zeros((3, 2)))


def test_output_is_a_copy_and_dtypes_follow_weight() -> None:
    w = np.ones((3, 2), np.float32)
    out = embedding([0, 0], w)
    assert out.dtype == np.float32 and not np.shares_memory(out, w)
    assert embedding_backward(np.ones((2, 2)), [0, 0], w).dtype == np.float32
    assert embedding([0], [[1, 2]]).dtype == np.float64
    assert embedding(np.array([0], np.uint8), np.ones((3, 2))).dtype == np.float64


# ---------------------------------------------------------------- properties
@st.composite
def lookups(draw):
    v, d = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    shape = draw(st.lists(st.integers(0, 4), min_size=0, max_size=3))
    idx = draw(arrays(np.int64, tuple(shape), elements=st.integers(0, v - 1)))
    w = draw(arrays(np.float64, (v, d), elements=st.floats(-1e4, 1e4)))
    g = draw(arrays(np.float64, (*shape, d), elements=st.floats(-1e4, 1e4)))
    return idx, w, g


@given(lookups())
def test_lookup_is_one_hot_times_weight(args) -> None:
    idx, w, g = args
    one_hot = np.eye(w.shape[0])[idx]                    # (*, V)
    # exactly one non-zero term per sum: the products are exact
    np.testing.assert_array_equal(embedding(idx, w), one_hot @ w)
    # and the backward is the transposed product, summing the gradients of repeated ids
    d = w.shape[1]
    np.testing.assert_allclose(
        embedding_backward(g, idx, w), one_hot.reshape(-1, w.shape[0]).T @ g.reshape(-1, d), rtol=1e-12, atol=1e-8
    )


@given(lookups())
def test_gradient_mass_is_conserved_and_absent_rows_are_zero(args) -> None:
    idx, w, g = args
    grad = embedding_backward(g, idx, w)
    absent = np.setdiff1d(np.arange(w.shape[0]), idx)
    np.testing.assert_array_equal(grad[absent], 0.0)
    np.testing.assert_allclose(grad.sum(axis=0), g.reshape(-1, w.shape[1]).sum(axis=0), rtol=1e-12, atol=1e-8)


# ---------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", DTYPES)
def test_extreme_values_pass_through_unchanged(dtype) -> None:
    w = np.stack([EXTREMES, -EXTREMES]).T.astype(dtype)    # (15, 2)
    idx = np.arange(15)[::-1]
    np.testing.assert_array_equal(embedding(idx, w), w[idx])
    g = np.full((15, 2), 1e4, dtype)
    grad = embedding_backward(g, np.zeros(15, int), w)      # 15 gradients of 1e4 into one row
    assert grad.dtype == dtype and np.all(np.isfinite(grad))
    np.testing.assert_array_equal(grad[0], [1.5e5, 1.5e5])


def test_nan_in_nan_out() -> None:
    w = np.ones((3, 2))
    w[1, 0] = np.nan
    out = embedding([0, 1], w)
    assert np.isnan(out[1, 0]) and np.all(np.isfinite(out[0]))
    g = np.ones((2, 2))
    g[0, 1] = np.nan
    grad = embedding_backward(g, [0, 1], w)
    assert np.isnan(grad[0, 1]) and np.all(np.isfinite(grad[1:]))


# ---------------------------------------------------------------- bad input
def test_rejects_bad_input_naming_argument_and_values() -> None:
    w = np.ones((5, 3))
    with pytest.raises(ValueError, match=r"^indices contains class index 5, outside the valid range \[0, 4\]$"):
        embedding([0, 5], w)
    with pytest.raises(ValueError, match=r"indices contains class index -1, outside the valid range \[0, 4\]"):
        embedding([-1], w)
    with pytest.raises(TypeError, match=r"indices holding class indices must have an integer dtype, got float64"):
        embedding([0.0, 1.0], w)
    with pytest.raises(ValueError, match=r"weight must be a 2-D array \(num_embeddings, embedding_dim\), got shape \(5,\)"):
        embedding([0], np.ones(5))
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2, 3\), got shape \(3, 2\)"):
        embedding_backward(np.ones((3, 2)), [0, 1], w)
    with pytest.raises(TypeError, match="weight must be real-valued"):
        embedding([0], w * 1j)


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("extreme", [False, True], ids=["random", "extreme"])
def test_matches_torch(dtype, extreme) -> None:
    torch = require("torch")
    rng = np.random.default_rng(0)
    w = rng.normal(size=(7, 4)).astype(dtype)
    idx = rng.integers(0, 7, size=(3, 5))                # 15 lookups from 7 ids: many repeats
    g = rng.normal(size=(3, 5, 4)).astype(dtype)
    if extreme:
        w[:, 0] = EXTREMES[:7]
        g.reshape(-1, 4)[:, 1] = EXTREMES
    tw = torch.tensor(w, requires_grad=True)
    out = torch.nn.functional.embedding(torch.from_numpy(idx), tw)
    out.backward(torch.from_numpy(g))
    # the forward is a copy: bit-identical
    np.testing.assert_array_equal(embedding(idx, w), out.detach().numpy())
    # each gradient row is a sum of K = (occurrences of the id) terms, which PyTorch may add in
    # another order: the two differ by at most ~2 K eps times the sum of the terms' magnitudes
    counts = np.bincount(idx.ravel(), minlength=7)
    sums = np.zeros_like(w, dtype=np.float64)
    np.add.at(sums, idx.ravel(), np.abs(g.reshape(-1, 4)).astype(np.float64))
    assert_matches(embedding_backward(g, idx, w), tw.grad.numpy(), dtype, ulps=2 * counts.max(), scale=sums.max())
