"""Top-k and top-p (nucleus) sampling: cut the unlikely tail of the next-token distribution before sampling."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_int, as_real_scalar, propagates_nonfinite
from snippets.probability.softmax_temperature import sample_with_temperature

__all__ = ["top_k_filter", "top_p_filter", "sample_next_token"]


def _check_logits(logits: ArrayLike) -> np.ndarray:
    x = as_float_array(logits, "logits")
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError(f"logits must have at least one token along the last axis, got shape {x.shape}")
    return x


# --8<-- [start:top_k_filter]
@propagates_nonfinite
def top_k_filter(logits: ArrayLike, k: int) -> np.ndarray:
    """Keep the ``k`` largest logits of the last axis and set the others to ``-inf``.

    Ties at the k-th largest value are all kept (as Hugging Face's ``TopKLogitsWarper``), so
    more than ``k`` tokens survive when several share that value: the result depends on the
    values only, not on the order of the vocabulary. ``torch.topk`` would pick some of the tied
    tokens, by position. A filter, not a layer: no gradient.

    Parameters
    ----------
    logits : array_like, shape (*, V)
        Next-token scores over V tokens on the last axis.
    k : int
        ``k >= 1``; ``k >= V`` keeps everything.

    Returns
    -------
    ndarray, shape of ``logits``
        The logits where kept, ``-inf`` elsewhere; the float dtype of ``logits``. A NaN logit
        counts as the largest (as in ``torch.topk``) and stays NaN.

    Examples
    --------
    >>> top_k_filter([1.0, 3.0, 2.0, 0.5], k=2)  # 3 and 2 are the two largest
    array([-inf,   3.,   2., -inf])
    >>> top_k_filter([1.0, 2.0, 2.0, 0.5], k=2)  # 2 is both the 1st and the 2nd: tie kept
    array([-inf,   2.,   2., -inf])
    """
    x = _check_logits(logits)
    k = as_int(k, "k", low=1)
    kk = min(k, x.shape[-1])
    # the k-th largest value of each row (NaN sorts last, i.e. as the largest)
    kth = np.sort(x, axis=-1)[..., -kk][..., None]
    # everything strictly below it goes; ties with it stay
    return np.where(x < kth, -np.inf, x).astype(x.dtype, copy=False)
# --8<-- [end:top_k_filter]


# --8<-- [start:top_p_filter]
@propagates_nonfinite
def top_p_filter(logits: ArrayLike, p: float, min_tokens_to_keep: int = 1) -> np.ndarray:
    """Keep the smallest set of most probable tokens whose probabilities sum to at least ``p``.

    Tokens are ranked by ``softmax(logits)`` along the last axis; a token is kept when the
    tokens ranked above it hold less than ``p`` of the mass (so the kept set is the smallest
    with mass >= p), or when it is among the ``min_tokens_to_keep`` first. Equal probabilities
    are ranked by position (the smaller index first), so the set stays the smallest even at a
    tie. The probabilities are computed in float64. A filter, not a layer: no gradient.

    Parameters
    ----------
    logits : array_like, shape (*, V)
        Next-token scores over V tokens on the last axis.
    p : float
        The mass to cover, in ``[0, 1]``: 1 keeps every token of non-zero probability, 0 keeps
        only ``min_tokens_to_keep``.
    min_tokens_to_keep : int, default 1
        ``>= 1`` tokens are always kept.

    Returns
    -------
    ndarray, shape of ``logits``
        The logits where kept, ``-inf`` elsewhere; the float dtype of ``logits``. A row holding
        NaN is returned unchanged (NaN in, NaN out: its distribution is undefined); ``+inf``
        logits hold all the mass, shared equally.

    Examples
    --------
    >>> # probabilities 0.5, 0.25, 0.125, 0.125: the first two hold 0.75 >= 0.7
    >>> top_p_filter(np.log([0.5, 0.25, 0.125, 0.125]), p=0.7)
    array([-0.69314718, -1.38629436,        -inf,        -inf])
    >>> top_p_filter(np.log([0.5, 0.25, 0.125, 0.125]), p=0.4)  # the first alone holds 0.5
    array([-0.69314718,        -inf,        -inf,        -inf])
    """
    x = _check_logits(logits)
    p = as_real_scalar(p, "p", low=0.0, high=1.0)
    m = as_int(min_tokens_to_keep, "min_tokens_to_keep", low=1)
    z = x.astype(np.float64)
    top = np.max(z, axis=-1, keepdims=True)
    # softmax in float64, max subtracted; +inf logits share the mass, NaN rows are left alone
    shifted = np.where(top == np.inf, np.where(z == np.inf, 0.0, -np.inf), z - np.where(np.isfinite(top), top, 0.0))
    weights = np.exp(shifted)
    probs = weights / np.sum(weights, axis=-1, keepdims=True)
    # rank by probability, descending; stable: equal probabilities keep their index order
    order = np.argsort(-probs, axis=-1, kind="stable")
    ranked = np.take_along_axis(probs, order, axis=-1)
    # the mass of the tokens ranked above each one (exclusive cumulative sum)
    above = np.cumsum(ranked, axis=-1) - ranked
    keep_ranked = (above < p) | (np.arange(x.shape[-1]) < m)
    if p == 1.0:
        keep_ranked |= ranked > 0  # rounding must not drop a token of non-zero probability
    keep = np.empty_like(keep_ranked)
    np.put_along_axis(keep, order, keep_ranked, axis=-1)
    keep |= np.isnan(top)  # undefined distribution: nothing is removed
    return np.where(keep, x, -np.inf).astype(x.dtype, copy=False)
# --8<-- [end:top_p_filter]


# --8<-- [start:sample_next_token]
@propagates_nonfinite
def sample_next_token(
    logits: ArrayLike,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Sample one token per row: temperature, then top-k, then top-p, then a categorical draw.

    The order is Hugging Face's: the logits are divided by the temperature first, which matters
    for top-p (it sees the tempered probabilities) but not for top-k (the ranking is the same).
    ``temperature=0`` is greedy decoding (the argmax).

    Parameters
    ----------
    logits : array_like, shape (*, V)
        Next-token scores on the last axis.
    temperature : float, default 1.0
        ``T >= 0``.
    top_k : int, optional
        Keep the ``top_k`` largest logits (:func:`top_k_filter`); None keeps all.
    top_p : float, optional
        Keep the nucleus of mass ``top_p`` (:func:`top_p_filter`); None keeps all.
    rng : numpy.random.Generator, optional
        Source of randomness (a fresh unseeded generator if None).

    Returns
    -------
    ndarray of int64, shape ``logits.shape[:-1]``
        The sampled token ids.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = np.log([[0.5, 0.3, 0.15, 0.05]])
    >>> int(sample_next_token(z, top_k=1, rng=rng)[0])  # only the top token is left
    0
    >>> draws = sample_next_token(np.repeat(z, 1000, axis=0), top_p=0.75, rng=rng)
    >>> sorted(set(draws.tolist()))  # the nucleus {0, 1} holds 0.8 >= 0.75
    [0, 1]
    """
    x = _check_logits(logits)
    t = as_real_scalar(temperature, "temperature", low=0.0)
    k = None if top_k is None else as_int(top_k, "top_k", low=1)
    p = None if top_p is None else as_real_scalar(top_p, "top_p", low=0.0, high=1.0)
    if t == 0:
        return sample_with_temperature(x, 0.0, axis=-1)  # greedy: the filters keep the argmax
    # temperature first (the filters see the tempered distribution); the max is subtracted
    # before dividing, so that a tiny T gives -inf, not overflow
    with np.errstate(over="ignore", invalid="ignore"):
        z = ((x - np.max(x, axis=-1, keepdims=True)) / np.float64(t)).astype(x.dtype)
    if k is not None:
        z = top_k_filter(z, k)
    if p is not None:
        z = top_p_filter(z, p)
    return sample_with_temperature(z, 1.0, rng=rng, axis=-1)
# --8<-- [end:sample_next_token]
