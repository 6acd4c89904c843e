"""iterate_minibatches / minibatch_gradient: hand batches and means, partition and unbiasedness
properties, the 1/B variance law, bad input, PyTorch's DataLoader and autograd."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from snippets import iterate_minibatches, minibatch_gradient, minibatch_gradient_backward
from tests.reference import EXTREMES, assert_matches, require, torch_forward_backward


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- hand-checked values
def test_hand_batches() -> None:
    # 0..9 in batches of 4: [0..3], [4..7], [8, 9]; drop_last removes [8, 9]
    assert [b.tolist() for b in iterate_minibatches(10, 4, shuffle=False)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [b.tolist() for b in iterate_minibatches(10, 4, shuffle=False, drop_last=True)] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert list(iterate_minibatches(0, 4)) == []
    assert list(iterate_minibatches(3, 4, drop_last=True, rng=rng())) == []
    # B = N: one batch, the whole (shuffled) set
    (whole,) = iterate_minibatches(5, 5, rng=rng(1))
    assert sorted(whole.tolist()) == [0, 1, 2, 3, 4] and whole.dtype == np.int64


def test_checked_at_call_time_not_at_first_batch() -> None:
    # a generator function would only complain inside the loop; this raises on the call itself
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got 0"):
        iterate_minibatches(10, 0)


def test_hand_means() -> None:
    g = np.array([[1.0, 0.0], [3.0, 2.0], [5.0, 4.0], [7.0, 6.0]])
    # rows 1 and 3: ((3 + 7) / 2, (2 + 6) / 2) = (5, 4)
    np.testing.assert_array_equal(minibatch_gradient(g, np.array([1, 3])), [5.0, 4.0])
    # a repeated index counts twice: (1 + 1 + 7) / 3 = 3, (0 + 0 + 6) / 3 = 2
    np.testing.assert_array_equal(minibatch_gradient(g, [0, 0, 3]), [3.0, 2.0])
    # every row once: the full-data gradient, the column means (4, 3)
    np.testing.assert_array_equal(minibatch_gradient(g, np.arange(4)), [4.0, 3.0])
    # scalar per-example gradients give a NumPy scalar
    out = minibatch_gradient(np.array([2.0, 4.0, 9.0], dtype=np.float32), [0, 1])
    assert isinstance(out, np.float32) and out == 3.0
    # backward: 1/B to each chosen row, twice for a repeated one
    back = minibatch_gradient_backward(np.array([3.0, 6.0]), g, [0, 0, 3])
    np.testing.assert_array_equal(back, [[2.0, 4.0], [0.0, 0.0], [0.0, 0.0], [1.0, 2.0]])


# ---------------------------------------------------------------- properties
@given(st.integers(0, 300), st.integers(1, 400), st.booleans(), st.booleans(), st.integers(0, 2**32 - 1))
def test_batches_partition_the_indices(n: int, b: int, shuffle: bool, drop_last: bool, seed: int) -> None:
    got = list(iterate_minibatches(n, b, shuffle=shuffle, drop_last=drop_last, rng=rng(seed)))
    assert len(got) == (n // b if drop_last else math.ceil(n / b))
    assert all(len(x) == b for x in got[:-1]) and all(len(x) > 0 for x in got)
    flat = np.concatenate(got) if got else np.zeros(0, np.int64)
    assert len(np.unique(flat)) == len(flat) == ((n // b) * b if drop_last else n)
    if not shuffle:
        np.testing.assert_array_equal(flat, np.arange(len(flat)))


@given(st.integers(1, 40), st.integers(1, 40), st.integers(0, 2**32 - 1))
def test_equal_batches_average_to_the_full_gradient(n_batches: int, b: int, seed: int) -> None:
    # one epoch of equal batches: the mean of the batch means is the mean of all rows
    g = rng(seed).normal(size=(n_batches * b, 3))
    means = [minibatch_gradient(g, idx) for idx in iterate_minibatches(len(g), b, rng=rng(seed + 1))]
    np.testing.assert_allclose(np.mean(means, axis=0), g.mean(axis=0), atol=1e-12)


def test_variance_of_every_batch_is_the_finite_population_formula() -> None:
    # all C(10, B) batches without replacement, each equally likely: the exact variance of g_B is
    # sigma^2 / B * (N - B) / (N - 1), sigma^2 the population variance of the per-example gradients
    g = rng(2).normal(size=10)
    sigma2 = np.var(g)
    for b in range(1, 11):
        means = np.array([minibatch_gradient(g, list(c)) for c in itertools.combinations(range(10), b)])
        assert abs(means.mean() - g.mean()) < 1e-12  # unbiased
        np.testing.assert_allclose(np.var(means), sigma2 / b * (10 - b) / 9, rtol=1e-10, atol=1e-15)


def test_gradient_noise_falls_like_one_over_b() -> None:
    # N = 1024 per-example gradients; 3000 shuffled batches per size. The sample variance of 3000
    # draws has relative sd sqrt(2 / 2999) = 2.6 %, and the batch mean is close to normal: 5 sd = 13 %
    g = rng(3).normal(size=1024)
    expected = lambda b: np.var(g) / b * (1024 - b) / 1023  # noqa: E731
    gen = rng(4)
    for b in (1, 4, 16, 64):
        means = np.array([minibatch_gradient(g, next(iterate_minibatches(1024, b, rng=gen))) for _ in range(3000)])
        assert abs(np.var(means, ddof=1) / expected(b) - 1) < 0.13, b


def test_stability_at_large_values() -> None:
    for dtype in (np.float32, np.float64):
        g = np.array([[1e4, -1e4], [1e4, 1e4], [-1e4, 1e4]], dtype=dtype)
        out = minibatch_gradient(g, [0, 1, 1, 2])
        assert out.dtype == dtype and np.all(np.isfinite(out))
        np.testing.assert_array_equal(out, np.array([5e3, 5e3], dtype=dtype))
    # NaN in one row reaches the mean only through that row
    g = np.array([[np.nan, 1.0], [2.0, 3.0]])
    assert np.isnan(minibatch_gradient(g, [0, 1])[0]) and minibatch_gradient(g, [1])[0] == 2.0


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    g = np.zeros((4, 2))
    with pytest.raises(ValueError, match=r"idx contains class index 4, outside the valid range \[0, 3\]"):
        minibatch_gradient(g, [0, 4])
    with pytest.raises(TypeError, match="idx holding class indices must have an integer dtype"):
        minibatch_gradient(g, [0.0, 1.0])
    with pytest.raises(ValueError, match=r"idx must be a non-empty 1-D array of sample indices, got shape \(0,\)"):
        minibatch_gradient(g, np.array([], dtype=np.int64))
    with pytest.raises(ValueError, match=r"per_example_grads must have one row per sample, shape \(N, \*\), got shape \(\)"):
        minibatch_gradient(1.0, [0])
    with pytest.raises(TypeError, match="per_example_grads must be real-valued"):
        minibatch_gradient(np.zeros(3, complex), [0])
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2,\)"):
        minibatch_gradient_backward(np.zeros(3), g, [0])
    with pytest.raises(TypeError, match="n must be an integer, got float"):
        iterate_minibatches(10.0, 2)
    with pytest.raises(TypeError, match="drop_last must be a bool, got int"):
        iterate_minibatches(10, 2, True, 1)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        iterate_minibatches(10, 2, rng=7)


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("drop_last", [False, True])
def test_batches_match_torch_dataloader(drop_last: bool) -> None:
    torch = require("torch")
    from torch.utils.data import DataLoader, TensorDataset

    for n, b in [(10, 3), (32, 8), (33, 8), (5, 7), (100, 1), (257, 64)]:
        data = TensorDataset(torch.arange(n))
        ref = [t.tolist() for (t,) in DataLoader(data, batch_size=b, shuffle=False, drop_last=drop_last)]
        assert [x.tolist() for x in iterate_minibatches(n, b, shuffle=False, drop_last=drop_last)] == ref


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mean_and_gradient_match_torch(dtype) -> None:
    require("torch")
    g = rng(5)
    # random per-example gradients with EXTREMES mixed in, a batch with repeats
    per_example = g.normal(size=(40, 15)).astype(dtype)
    per_example[::3] = EXTREMES.astype(dtype)
    idx = g.integers(0, 40, size=25)
    grad_out = g.normal(size=15).astype(dtype)
    ref, (ref_grad,) = torch_forward_backward(lambda x, i: x[i].mean(0), [per_example, idx], grad_out, wrt=[0])
    ours = minibatch_gradient(per_example, idx)
    # a mean of 25 values up to 1e4: each partial sum rounds to eps * 25 * 1e4 at worst, and
    # torch and numpy add in different orders (pairwise vs sequential); relative to 1e4 that is
    # 25 ulps of the largest input
    assert_matches(ours, ref, dtype, ulps=25, scale=1e4)
    # the gradient is grad_out / 25 scattered (and summed for repeats): one division, one sum of
    # at most a few equal terms, exact to a couple of ulps
    assert_matches(minibatch_gradient_backward(grad_out, per_example, idx), ref_grad, dtype, ulps=4)
