"""iterations_per_epoch / batch_indices: hand counts, partition properties, bad input,
PyTorch's DataLoader and BatchSampler."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from snippets import batch_indices, iterations_per_epoch
from tests.reference import require

sizes = st.integers(0, 500)
batches = st.integers(1, 600)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- hand-checked values
def test_hand_counts() -> None:
    # 1000 = 31 * 32 + 8: 31 full batches and one of 8 (kept) or none (dropped)
    assert iterations_per_epoch(1000, 32) == 32
    assert iterations_per_epoch(1000, 32, drop_last=True) == 31
    # divisible: 1000 = 10 * 100, drop_last changes nothing
    assert iterations_per_epoch(1000, 100) == iterations_per_epoch(1000, 100, drop_last=True) == 10
    # batch larger than the set: one short batch, or none at all with drop_last
    assert iterations_per_epoch(5, 8) == 1 and iterations_per_epoch(5, 8, drop_last=True) == 0
    assert iterations_per_epoch(0, 4) == 0
    # full-batch training: one iteration per epoch
    assert iterations_per_epoch(60_000, 60_000) == 1
    # numpy integers are accepted, the result is a Python int
    assert type(iterations_per_epoch(np.int64(10), np.int32(3))) is int


def test_hand_batches() -> None:
    # 0..9 in batches of 4: [0..3], [4..7], [8, 9]; drop_last removes [8, 9]
    got = batch_indices(10, 4, rng(), shuffle=False)
    assert [b.tolist() for b in got] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    got = batch_indices(10, 4, rng(), shuffle=False, drop_last=True)
    assert [b.tolist() for b in got] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert batch_indices(0, 4, rng()) == []
    assert batch_indices(3, 4, rng(), drop_last=True) == []
    assert all(b.dtype == np.int64 for b in batch_indices(10, 4, rng()))


# ---------------------------------------------------------------- properties
@given(sizes, batches, st.booleans())
def test_count_is_ceil_or_floor(n: int, b: int, drop_last: bool) -> None:
    expected = n // b if drop_last else math.ceil(n / b)
    assert iterations_per_epoch(n, b, drop_last) == expected


@given(sizes, batches, st.booleans(), st.booleans(), st.integers(0, 2**32 - 1))
def test_batches_partition_the_indices(n: int, b: int, drop_last: bool, shuffle: bool, seed: int) -> None:
    got = batch_indices(n, b, rng(seed), drop_last=drop_last, shuffle=shuffle)
    assert len(got) == iterations_per_epoch(n, b, drop_last)
    sizes_ = [len(x) for x in got]
    # every batch is full except possibly the last, which is never empty
    assert all(s == b for s in sizes_[:-1])
    assert all(s > 0 for s in sizes_)
    if drop_last:
        assert all(s == b for s in sizes_)
    flat = np.concatenate(got) if got else np.zeros(0, dtype=np.int64)
    # no index twice; all of them unless the short tail was dropped
    assert len(np.unique(flat)) == len(flat) == ((n // b) * b if drop_last else n)
    assert np.all((flat >= 0) & (flat < max(n, 1)))
    if not drop_last:
        np.testing.assert_array_equal(np.sort(flat), np.arange(n))


def test_seed_reproduces_and_epochs_differ() -> None:
    a = batch_indices(100, 10, rng(7))
    b = batch_indices(100, 10, rng(7))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    # the same generator used twice: the second epoch has a new order
    g = rng(7)
    first, second = batch_indices(100, 10, g), batch_indices(100, 10, g)
    assert not np.array_equal(np.concatenate(first), np.concatenate(second))


def test_every_sample_is_equally_likely_in_the_first_batch() -> None:
    # 20 000 shuffled epochs of N = 10, B = 2: each index lands in batch 0 with probability 1/5;
    # the count is Binomial(20 000, 0.2), sd = sqrt(20 000 * 0.2 * 0.8) = 56.6: a 5-sigma band
    g = rng(3)
    counts = np.zeros(10)
    for _ in range(20_000):
        counts[batch_indices(10, 2, g)[0]] += 1
    assert np.all(np.abs(counts - 4000) < 5 * 56.6)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("bad", [2.0, "3", True, None, [3]])
def test_non_integer_sizes_are_type_errors(bad) -> None:
    with pytest.raises(TypeError, match="batch_size must be an integer, got"):
        iterations_per_epoch(10, bad)
    with pytest.raises(TypeError, match="n_samples must be an integer, got"):
        batch_indices(bad, 3, rng())


def test_out_of_range_sizes_are_value_errors() -> None:
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got 0"):
        iterations_per_epoch(10, 0)
    with pytest.raises(ValueError, match="n_samples must be an integer >= 0, got -1"):
        batch_indices(-1, 3, rng())


def test_bad_flags_and_generator() -> None:
    with pytest.raises(TypeError, match="drop_last must be a bool, got int"):
        iterations_per_epoch(10, 3, drop_last=1)
    with pytest.raises(TypeError, match="shuffle must be a bool, got str"):
        batch_indices(10, 3, rng(), shuffle="yes")
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        batch_indices(10, 3, 0)


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("drop_last", [False, True])
def test_count_matches_torch_dataloader(drop_last: bool) -> None:
    torch = require("torch")
    from torch.utils.data import DataLoader

    for n in [0, 1, 2, 7, 31, 32, 33, 100, 999, 1000, 1001]:
        for b in [1, 2, 3, 8, 32, 100, 1000, 2000]:
            loader = DataLoader(torch.arange(n), batch_size=b, drop_last=drop_last)
            assert iterations_per_epoch(n, b, drop_last) == len(loader), (n, b)


@pytest.mark.parametrize("drop_last", [False, True])
def test_batches_match_torch_samplers(drop_last: bool) -> None:
    require("torch")
    from torch.utils.data import BatchSampler, DataLoader, SequentialSampler

    for n, b in [(10, 3), (32, 8), (33, 8), (5, 7), (1000, 32)]:
        # without shuffling: the same batches as DataLoader(shuffle=False)
        ours = batch_indices(n, b, rng(), drop_last=drop_last, shuffle=False)
        ref = list(BatchSampler(SequentialSampler(range(n)), b, drop_last))
        assert [x.tolist() for x in ours] == ref
        loader = DataLoader(list(range(n)), batch_size=b, drop_last=drop_last, shuffle=False)
        assert [x.tolist() for x in ours] == [t.tolist() for t in loader]
        # with shuffling: BatchSampler over the same permutation cuts it at the same places
        perm = rng(11).permutation(n).tolist()
        ours = batch_indices(n, b, rng(11), drop_last=drop_last)
        assert [x.tolist() for x in ours] == list(BatchSampler(perm, b, drop_last))
