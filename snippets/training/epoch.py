"""Epoch, batch and iteration: how a training set is cut into mini-batches, one pass at a time."""

from __future__ import annotations

import numpy as np

from snippets._validate import as_bool, as_int, check_generator

__all__ = ["iterations_per_epoch", "batch_indices"]


# --8<-- [start:iterations_per_epoch]
def iterations_per_epoch(n_samples: int, batch_size: int, drop_last: bool = False) -> int:
    """Number of mini-batches (optimizer steps) in one pass over ``n_samples`` samples.

    The value of ``len(torch.utils.data.DataLoader(dataset, batch_size, drop_last=drop_last))``
    for a dataset of ``n_samples`` items.

    Parameters
    ----------
    n_samples : int
        Size N of the training set, ``>= 0``.
    batch_size : int
        Samples per mini-batch B, ``>= 1``.
    drop_last : bool, default False
        ``False`` keeps a smaller last batch of ``N mod B`` samples (``ceil(N / B)`` batches);
        ``True`` discards it (``floor(N / B)`` batches).

    Returns
    -------
    int
        ``ceil(N / B)`` or ``floor(N / B)``.

    Examples
    --------
    >>> iterations_per_epoch(1000, 32)  # 31 full batches of 32 = 992, then one batch of 8
    32
    >>> iterations_per_epoch(1000, 32, drop_last=True)  # the 8 leftover samples are skipped
    31
    """
    n = as_int(n_samples, "n_samples", low=0)
    b = as_int(batch_size, "batch_size", low=1)
    drop_last = as_bool(drop_last, "drop_last")
    # floor(N / B) full batches, plus one partial batch when N mod B > 0 and it is kept
    full, rest = divmod(n, b)
    return full + (1 if rest and not drop_last else 0)
# --8<-- [end:iterations_per_epoch]


# --8<-- [start:batch_indices]
def batch_indices(
    n_samples: int,
    batch_size: int,
    rng: np.random.Generator,
    drop_last: bool = False,
    shuffle: bool = True,
) -> list[np.ndarray]:
    """The sample indices of every mini-batch of one epoch.

    Like the index batches a ``torch.utils.data.DataLoader(..., shuffle=shuffle,
    drop_last=drop_last)`` draws: a fresh random permutation of ``0 .. N-1`` (when ``shuffle``)
    cut into consecutive batches of ``batch_size``. Call it once per epoch with the same
    generator to get a new order each epoch.

    Parameters
    ----------
    n_samples : int
        Size N of the training set, ``>= 0``.
    batch_size : int
        Samples per mini-batch B, ``>= 1``.
    rng : numpy.random.Generator
        Source of the permutation (unused when ``shuffle=False``).
    drop_last : bool, default False
        Discard the last batch when it has fewer than B samples.
    shuffle : bool, default True
        ``False`` keeps the order ``0, 1, ..., N-1``.

    Returns
    -------
    list of ndarray of int64
        ``iterations_per_epoch(N, B, drop_last)`` arrays, each of shape (B,) except a shorter
        last one (shape ``(N mod B,)``) when ``drop_last`` is False. Together they hold every
        index exactly once (every index but the ``N mod B`` dropped ones with ``drop_last``).

    Examples
    --------
    >>> # no shuffling: 0..6 in batches of 3, the last one holding the single leftover sample
    >>> batch_indices(7, 3, np.random.default_rng(0), shuffle=False)
    [array([0, 1, 2]), array([3, 4, 5]), array([6])]
    >>> [len(b) for b in batch_indices(7, 3, np.random.default_rng(0), drop_last=True)]
    [3, 3]
    """
    n = as_int(n_samples, "n_samples", low=0)
    b = as_int(batch_size, "batch_size", low=1)
    drop_last = as_bool(drop_last, "drop_last")
    shuffle = as_bool(shuffle, "shuffle")
    check_generator(rng)
    # one pass: every index once, in a random order when shuffling
    order = rng.permutation(n) if shuffle else np.arange(n)
    order = order.astype(np.int64, copy=False)
    # cut after every B samples; with drop_last the tail of N mod B indices is left out
    stop = (n // b) * b if drop_last else n
    return np.split(order[:stop], np.arange(b, stop, b)) if stop else []
# --8<-- [end:batch_indices]
