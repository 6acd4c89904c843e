"""mutual_information / mutual_information_backward / mutual_info_score: hand values, properties,
stability, bad input, scikit-learn and the entropy identity (scipy)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import entropy, mutual_info_score, mutual_information, mutual_information_backward
from tests.reference import DTYPES, assert_matches, require

weights = st.floats(0, 1e4, allow_nan=False)
labels = st.lists(st.integers(0, 6), min_size=1, max_size=60)


def test_hand_checked_values() -> None:
    # Y = X for a fair bit: I = H(X) = ln 2; for a fair die: ln 6
    assert math.isclose(mutual_information([[0.5, 0.0], [0.0, 0.5]]), math.log(2), rel_tol=1e-15)
    assert math.isclose(mutual_information(np.eye(6)), math.log(6), rel_tol=1e-15)
    # an outer product (independent X and Y): I = 0; counts are normalised first
    # (each pmi is a sum of three rounded logs of size <= ln 12: zero to a few eps)
    assert 0.0 <= mutual_information([[1.0, 3.0], [2.0, 6.0]]) <= 4 * np.finfo(float).eps
    # binary symmetric channel, X a fair bit flipped with probability 1/4:
    # I = ln 2 - H_b(1/4) = ln 2 - (1/4 ln 4 + 3/4 ln 4/3)
    bsc = np.array([[3 / 8, 1 / 8], [1 / 8, 3 / 8]])
    assert math.isclose(mutual_information(bsc), math.log(2) - 0.25 * math.log(4) - 0.75 * math.log(4 / 3), rel_tol=1e-14)
    # labels: a renaming of two balanced classes, I = ln 2; one true class: I = 0 (sklearn's rule)
    assert math.isclose(mutual_info_score([0, 0, 1, 1], [7, 7, 3, 3]), math.log(2), rel_tol=1e-15)
    assert mutual_info_score([1, 1, 1], [0, 1, 2]) == 0.0
    # (0,0), (0,1), (1,1), (1,1): table [[1, 1], [0, 2]] / 4, marginals (1/2, 1/2), (1/4, 3/4):
    # 1/4 ln(1/4 / 1/8) + 1/4 ln(1/4 / 3/8) + 1/2 ln(1/2 / 3/8) = 1/4 ln 2 + 1/4 ln(2/3) + 1/2 ln(4/3)
    expected = 0.25 * math.log(2) + 0.25 * math.log(2 / 3) + 0.5 * math.log(4 / 3)
    assert math.isclose(mutual_info_score([0, 0, 1, 1], [0, 1, 1, 1]), expected, rel_tol=1e-14)


def test_backward_hand_values() -> None:
    # Y = X with a little noise: table [[2, 1], [1, 2]] / 6 (s = 6); pmi on the diagonal
    # ln((1/3) / (1/4)) = ln(4/3), off it ln(2/3); I = 2/3 ln(4/3) + 1/3 ln(2/3); grad = (pmi - I) / 6
    table = np.array([[2.0, 1.0], [1.0, 2.0]])
    mi = 2 / 3 * math.log(4 / 3) + 1 / 3 * math.log(2 / 3)
    pmi = np.array([[math.log(4 / 3), math.log(2 / 3)], [math.log(2 / 3), math.log(4 / 3)]])
    np.testing.assert_allclose(mutual_information_backward(1.0, table), (pmi - mi) / 6, rtol=1e-14)


def test_shapes_and_scalars() -> None:
    batch = np.ones((3, 2, 4))
    assert mutual_information(batch).shape == (3,)
    assert isinstance(mutual_information(np.eye(2)), np.float64)
    assert isinstance(mutual_information(np.eye(2, dtype=np.float32)), np.float32)
    assert mutual_information_backward(np.ones(3), batch).shape == (3, 2, 4)
    assert isinstance(mutual_info_score([0, 1], [1, 0]), np.float64)


@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 5)), elements=weights))
def test_entropy_identity_and_bounds(p: np.ndarray) -> None:
    if p.sum() == 0:
        return
    i = mutual_information(p)
    hx, hy, hxy = entropy(p.sum(axis=1)), entropy(p.sum(axis=0)), entropy(p.ravel())
    # I = H(X) + H(Y) - H(X, Y), and 0 <= I <= min(H(X), H(Y))
    np.testing.assert_allclose(i, hx + hy - hxy, atol=1e-12)
    assert 0 <= i <= min(hx, hy) + 1e-12
    # symmetric: swapping X and Y transposes the table; blind to scale and to relabelling rows
    np.testing.assert_allclose(mutual_information(p.T), i, atol=1e-13)
    np.testing.assert_allclose(mutual_information(7.0 * p[::-1]), i, atol=1e-13)


@given(labels, st.data())
def test_labels_properties(a: list[int], data) -> None:
    b = data.draw(st.lists(st.integers(0, 4), min_size=len(a), max_size=len(a)))
    a, b = np.array(a), np.array(b)
    i = mutual_info_score(a, b)
    np.testing.assert_allclose(mutual_info_score(b, a), i, atol=1e-13)  # symmetric
    np.testing.assert_allclose(mutual_info_score(3 * a + 10, b), i, atol=1e-13)  # names do not matter
    # equal to mutual_information of the contingency table of counts
    table = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(table, (a, b), 1.0)
    np.testing.assert_allclose(i, mutual_information(table), atol=1e-13)
    # against itself: I(X; X) = H(X)
    np.testing.assert_allclose(mutual_info_score(a, a), entropy(np.bincount(a)), atol=1e-13)


@pytest.mark.parametrize("dtype", DTYPES)
def test_extremes_are_finite(dtype) -> None:
    tiny = 1e-300 if dtype == np.float64 else 1e-38
    p = np.array([[tiny, 1e30 if dtype == np.float32 else 1e300], [0.0, 1.0]], dtype=dtype)
    i = mutual_information(p)
    assert i.dtype == dtype and np.isfinite(i) and i >= 0
    big = np.array([[1e4, 1.0], [1.0, 1e4]], dtype=dtype)
    assert np.all(np.isfinite(mutual_information_backward(np.ones((), dtype), big)))


def test_nan_in_nan_out() -> None:
    i = mutual_information(np.array([[[np.nan, 1.0], [1.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]]))
    assert np.isnan(i[0]) and math.isclose(i[1], math.log(2))


def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"joint must have shape \(\*, Kx, Ky\).*got shape \(3,\)"):
        mutual_information([0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match="joint must be non-negative, found -1.0"):
        mutual_information([[1.0, -1.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match="joint must have a positive sum"):
        mutual_information(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="joint must be finite, found inf"):
        mutual_information([[np.inf, 1.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match=r"joint must be positive everywhere .* index \[0, 1\]"):
        mutual_information_backward(1.0, [[1.0, 0.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match=r"labels_pred must have the same shape as labels_true"):
        mutual_info_score([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="labels_true must be 1-D"):
        mutual_info_score([[0, 1]], [[0, 1]])
    with pytest.raises(ValueError, match="must not be empty"):
        mutual_info_score([], [])
    with pytest.raises(ValueError, match="labels_pred must hold class labels.* found 0.5"):
        mutual_info_score([0, 1], [0.5, 1.0])
    with pytest.raises(TypeError, match="labels_true must hold integer class labels"):
        mutual_info_score(np.array(["a", "b"]), [0, 1])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_sklearn(seed: int) -> None:
    metrics = require("sklearn.metrics")
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 8, size=500)
    b = np.where(rng.random(500) < 0.6, a, rng.integers(0, 5, size=500))  # partly dependent
    b = b * 13 - 4  # arbitrary names
    # a sum of at most 8 x 12 terms, each a product of a ratio <= 1 and logs <= ln 500: a few eps
    assert_matches(mutual_info_score(a, b), metrics.mutual_info_score(a, b), np.float64, ulps=16, scale=math.log(500))
    # extremes: a single cluster (exactly 0), every sample its own cluster (I = H(a)), two samples
    for x, y in ((a, np.zeros(500, dtype=int)), (a, np.arange(500)), (np.array([0, 1]), np.array([1, 0]))):
        assert_matches(mutual_info_score(x, y), metrics.mutual_info_score(x, y), np.float64, ulps=16, scale=math.log(500))


@pytest.mark.parametrize("dtype", DTYPES)
def test_joint_matches_scipy_entropy_identity(dtype) -> None:
    # I = H(X) + H(Y) - H(X, Y), each entropy from scipy; tiny and huge weights, exact zeros
    stats = require("scipy.stats")
    rng = np.random.default_rng(3)
    p = (rng.random((6, 5)) ** 3).astype(dtype)
    p[0, :2] = 0.0
    p[2] *= 1e-20
    p[3, 1] = 1e6
    ref = stats.entropy(p.sum(axis=1)) + stats.entropy(p.sum(axis=0)) - stats.entropy(p.ravel())
    # a difference of three entropies of size <= log 30: absolute error a few eps * log 30
    assert_matches(mutual_information(p), ref, dtype, ulps=32, scale=math.log(30))


def test_backward_matches_torch_autograd() -> None:
    torch = require("torch")
    for dtype in DTYPES:
        rng = np.random.default_rng(4)
        p = (rng.random((3, 4, 5)) + 0.05).astype(dtype) * np.array([1, 1e-3, 1e3], dtype=dtype)[:, None, None]
        g = rng.normal(size=3).astype(dtype)
        t = torch.tensor(p, requires_grad=True)
        q = t / t.sum(dim=(-2, -1), keepdim=True)
        outer = q.sum(-1, keepdim=True) * q.sum(-2, keepdim=True)
        mi = (q * (q.log() - outer.log())).sum(dim=(-2, -1))
        mi.backward(torch.tensor(g))
        assert_matches(mutual_information(p), mi.detach().numpy(), dtype, ulps=32, scale=math.log(20))
        # the gradient is (pmi - I) / s: logs of ratios up to ~ln 20, divided by each table's sum s
        s = p.sum(axis=(-2, -1), keepdims=True).astype(np.float64)
        ours = mutual_information_backward(g, p)
        eps = np.finfo(dtype).eps
        bound = 64 * eps * math.log(20) * np.abs(g)[:, None, None] / s
        assert ours.dtype == dtype and np.all(np.abs(ours - t.grad.numpy()) <= bound)
