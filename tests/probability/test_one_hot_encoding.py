"""one_hot / from_one_hot: hand values, properties, bad input, PyTorch and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from snippets import cross_entropy, from_one_hot, one_hot
from tests.reference import require


def test_hand_checked_values() -> None:
    # index k -> a row of C zeros with a 1 in column k; C = max + 1 = 3 when not given
    np.testing.assert_array_equal(one_hot([2, 0, 1]), [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    np.testing.assert_array_equal(one_hot([0], num_classes=3), [[1, 0, 0]])
    # a 0-d index gives one vector; a (2, 2) batch gives (2, 2, C)
    np.testing.assert_array_equal(one_hot(np.int64(1), 2), [0, 1])
    np.testing.assert_array_equal(one_hot([[0, 1], [1, 1]])[1, 0], [0, 1])
    # the inverse reads the column of the 1 back
    np.testing.assert_array_equal(from_one_hot([[0, 1, 0], [0, 0, 1]]), [1, 2])
    np.testing.assert_array_equal(from_one_hot([[1, 0], [0, 1], [0, 0]], axis=0), [0, 1])


def test_dtypes_and_shapes() -> None:
    y = one_hot(np.array([1, 0], dtype=np.int32), 4)
    assert y.dtype == np.int64 and y.shape == (2, 4)
    assert one_hot(np.zeros((0, 3), dtype=np.int64), 5).shape == (0, 3, 5)  # empty batch, as PyTorch
    assert from_one_hot(np.eye(3, dtype=np.float32)).dtype == np.int64
    assert from_one_hot(np.eye(3, dtype=bool)).tolist() == [0, 1, 2]


@given(arrays(np.int64, array_shapes(min_dims=1, max_dims=3, max_side=5), elements=st.integers(0, 6)), st.integers(0, 3))
def test_round_trip_and_row_sums(idx: np.ndarray, extra: int) -> None:
    c = int(idx.max()) + 1 + extra
    y = one_hot(idx, c)
    assert y.shape == (*idx.shape, c)
    np.testing.assert_array_equal(y.sum(axis=-1), 1)  # exactly one 1 per vector
    np.testing.assert_array_equal(from_one_hot(y), idx)  # from_one_hot inverts one_hot
    np.testing.assert_array_equal(from_one_hot(np.moveaxis(y, -1, 0), axis=0), idx)
    # the one-hot matrix of a batch selects rows: Y @ W is W[idx]
    w = np.arange(c * 2.0).reshape(c, 2)
    np.testing.assert_array_equal(y @ w, w[idx])


def test_cross_entropy_with_one_hot_targets_equals_class_indices() -> None:
    # CE with a one-hot probability target is -log p[k]: the same as the class-index form
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(5, 4))
    k = np.array([0, 3, 1, 1, 2])
    np.testing.assert_allclose(cross_entropy(logits, one_hot(k, 4).astype(float)), cross_entropy(logits, k), rtol=1e-14)


def test_bad_input() -> None:
    with pytest.raises(TypeError, match="indices .* integer dtype, got float64"):
        one_hot([1.0, 2.0])
    with pytest.raises(ValueError, match=r"indices contains class index -1"):
        one_hot([0, -1])
    with pytest.raises(ValueError, match=r"indices contains class index 3, outside the valid range \[0, 2\]"):
        one_hot([3], num_classes=3)
    with pytest.raises(ValueError, match=r"num_classes=-1 cannot be inferred from empty indices \(shape \(0,\)\)"):
        one_hot(np.array([], dtype=np.int64))
    with pytest.raises(ValueError, match="num_classes must be -1 .* got 0"):
        one_hot([0], num_classes=0)
    with pytest.raises(ValueError, match="num_classes must be an integer >= -1, got -2"):
        one_hot([0], num_classes=-2)
    with pytest.raises(TypeError, match="num_classes must be an integer"):
        one_hot([0], num_classes=3.0)
    with pytest.raises(ValueError, match="y must hold only 0s and 1s .* found 0.7"):
        from_one_hot([0.7, 0.3])
    with pytest.raises(ValueError, match=r"exactly one 1 along axis 1 \(shape \(2, 2\)\); the vector at index \[1\] has 0"):
        from_one_hot([[0, 1], [0, 0]])
    with pytest.raises(ValueError, match="y must hold only 0s and 1s .* found nan"):
        from_one_hot([np.nan, 1.0])
    with pytest.raises(TypeError, match="y must be real-valued"):
        from_one_hot(np.array([1j, 0]))


@pytest.mark.parametrize("num_classes", [-1, 7])
def test_matches_torch(num_classes: int) -> None:
    torch = require("torch")
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 6, size=(4, 5, 3))
    ref = torch.nn.functional.one_hot(torch.tensor(idx), num_classes).numpy()
    ours = one_hot(idx, num_classes)
    assert ours.dtype == ref.dtype == np.int64  # integers: exact equality, no tolerance
    np.testing.assert_array_equal(ours, ref)


def test_matches_sklearn_one_hot_encoder() -> None:
    preprocessing = require("sklearn.preprocessing")
    rng = np.random.default_rng(1)
    idx = rng.integers(0, 5, size=40)
    encoder = preprocessing.OneHotEncoder(categories=[np.arange(6)], sparse_output=False)
    ref = encoder.fit_transform(idx.reshape(-1, 1))
    np.testing.assert_array_equal(one_hot(idx, 6), ref)
    np.testing.assert_array_equal(from_one_hot(ref), encoder.inverse_transform(ref).ravel())
