"""Relative position encoding: a bias added to the attention scores that depends on the distance
between query and key. ALiBi (Press et al.) uses a fixed linear penalty with one slope per head;
T5 (Raffel et al.) learns one bias per head and per distance bucket, the buckets growing
logarithmically with the distance."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_bool, as_int, as_labels, as_real_scalar, propagates_nonfinite

__all__ = ["alibi_slopes", "alibi_bias", "t5_relative_position_bucket"]


# --8<-- [start:alibi_slopes]
@propagates_nonfinite
def alibi_slopes(num_heads: int, max_bias: float = 8.0) -> np.ndarray:
    """ALiBi's head slopes: a geometric sequence from 2^(-max_bias/n) down to 2^(-max_bias).

    For n = num_heads a power of two, head h (h = 1..n) gets ``2^(-max_bias * h / n)``. Otherwise
    the slopes of the nearest lower power of two p are used for the first p heads and every other
    slope of 2p for the rest (the rule of the ALiBi authors' code).

    Parameters
    ----------
    num_heads : int
        Number of heads, >= 1.
    max_bias : float, default 8.0
        > 0; the paper's 8 gives slopes 1/2, 1/4, ..., 1/256 for 8 heads.

    Returns
    -------
    ndarray, shape (num_heads,), float64

    Examples
    --------
    Eight heads: 2^(-8h/8) = 2^-h. Four heads with max_bias 8: 2^(-2h) = 1/4, 1/16, ...

    >>> alibi_slopes(8, max_bias=8.0) * 256
    array([128.,  64.,  32.,  16.,   8.,   4.,   2.,   1.])
    >>> alibi_slopes(4)
    array([0.25      , 0.0625    , 0.015625  , 0.00390625])
    """
    n = as_int(num_heads, "num_heads", low=1)
    max_bias = as_real_scalar(max_bias, "max_bias", low=0.0, low_open=True)

    def geometric(k: int) -> np.ndarray:
        # 2^(-max_bias h / k) for h = 1..k
        return 2.0 ** (-max_bias * np.arange(1, k + 1) / k)

    p = 2 ** int(math.floor(math.log2(n)))
    # n not a power of two: p heads as usual, the rest interleaved from the 2p sequence
    return np.concatenate([geometric(p), geometric(2 * p)[0::2][: n - p]])
# --8<-- [end:alibi_slopes]


# --8<-- [start:alibi_bias]
@propagates_nonfinite
def alibi_bias(num_heads: int, seq_len: int, max_bias: float = 8.0) -> np.ndarray:
    """ALiBi's additive attention bias ``-slope_h * |i - j|`` for query i and key j.

    Add it to the scores (``attn_mask`` of :func:`scaled_dot_product_attention`); with the causal
    mask only j <= i remains, where it is ``slope_h * (j - i)``, the paper's form.

    Parameters
    ----------
    num_heads : int
        H, >= 1.
    seq_len : int
        L, >= 0.
    max_bias : float, default 8.0
        See :func:`alibi_slopes`.

    Returns
    -------
    ndarray, shape (H, L, L), float64
        Broadcasts against scores of shape (N, H, L, L).

    Examples
    --------
    One head: its slope is 2^(-8 / 1) = 1/256, so 256 times the bias is -|i - j| (+ 0.0 turns
    the -0.0 of the diagonal into 0.0):

    >>> alibi_bias(1, 3, max_bias=8.0)[0] * 256 + 0.0
    array([[ 0., -1., -2.],
           [-1.,  0., -1.],
           [-2., -1.,  0.]])
    """
    slopes = alibi_slopes(num_heads, max_bias)
    length = as_int(seq_len, "seq_len", low=0)
    pos = np.arange(length)
    # distance between query i and key j, penalised linearly with each head's own slope
    distance = np.abs(pos[:, None] - pos[None, :])
    return -slopes[:, None, None] * distance
# --8<-- [end:alibi_bias]


# --8<-- [start:t5_relative_position_bucket]
def t5_relative_position_bucket(
    relative_position: ArrayLike, bidirectional: bool = True, num_buckets: int = 32, max_distance: int = 128
) -> np.ndarray:
    """T5's bucket index of each relative position ``key_position - query_position``.

    Each side has B buckets (B = num_buckets, or num_buckets / 2 per side when bidirectional:
    keys after the query then use the upper half). Distances 0..B/2 - 1 get one bucket each;
    the other B/2 buckets cover distances up to ``max_distance`` with logarithmically growing
    widths, and farther distances share the last one. As Mesh TensorFlow's and Hugging Face's
    ``_relative_position_bucket``.

    Parameters
    ----------
    relative_position : array_like of int
        Offsets ``j - i`` (whole numbers; any shape).
    bidirectional : bool, default True
        False for a causal decoder: positive offsets (the future) all map to bucket 0.
    num_buckets : int, default 32
        Total number of buckets, >= 2 (>= 4 when bidirectional); even when bidirectional.
    max_distance : int, default 128
        Distances from here on share the last bucket; > the exact range.

    Returns
    -------
    ndarray of int64, shape of relative_position
        Bucket indices in ``[0, num_buckets)``.

    Examples
    --------
    Bidirectional, 32 buckets: 16 per side, of which 8 are exact (distances 0..7); offset +3 is
    bucket 16 + 3 = 19. Distance 20 lies in the logarithmic part: 8 + floor(log(20/8) /
    log(128/8) * 8) = 8 + floor(2.64) = 10. Offset +200 is beyond max_distance: the last bucket
    of the upper half, 31.

    >>> t5_relative_position_bucket([-3, 0, 3, -20, 200])
    array([ 3,  0, 19, 10, 31])
    """
    rel = as_labels(relative_position, "relative_position")
    bidirectional = as_bool(bidirectional, "bidirectional")
    n = as_int(num_buckets, "num_buckets", low=4 if bidirectional else 2)
    if bidirectional and n % 2:
        raise ValueError(f"num_buckets must be even when bidirectional (two halves), got {n}")
    bucket = np.zeros(rel.shape, dtype=np.int64)
    if bidirectional:
        n //= 2
        # keys after the query go to the upper half
        bucket += (rel > 0) * n
        distance = np.abs(rel)
    else:
        # a causal decoder: only keys before the query (rel <= 0) are told apart
        distance = np.maximum(-rel, 0)
    exact = n // 2
    far = as_int(max_distance, "max_distance", low=exact + 1)
    # distances 0..exact-1 each get their own bucket; beyond, buckets widen geometrically
    with np.errstate(divide="ignore"):  # log(0) for distance 0, which takes the exact branch
        log_ratio = np.log(np.maximum(distance, 1) / exact) / math.log(far / exact)
    large = exact + (log_ratio * (n - exact)).astype(np.int64)
    large = np.minimum(large, n - 1)  # everything at max_distance or beyond: the last bucket
    return bucket + np.where(distance < exact, distance, large)
# --8<-- [end:t5_relative_position_bucket]
