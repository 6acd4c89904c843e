"""Negative sampling (SGNS): skip-gram trained as binary classification of the true context word
against K noise words drawn from the unigram distribution raised to the power 3/4."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import (
    as_float_array,
    as_grad_out,
    as_int,
    as_probabilities,
    as_real_scalar,
    check_generator,
    check_shape,
    propagates_nonfinite,
)
from snippets.activations.sigmoid import sigmoid

__all__ = ["noise_distribution", "sample_negatives", "negative_sampling_loss", "negative_sampling_loss_backward"]


# --8<-- [start:noise_distribution]
@propagates_nonfinite
def noise_distribution(counts: ArrayLike, power: float = 0.75) -> np.ndarray:
    """The noise distribution of negative sampling: word counts raised to ``power``, normalised.

    Parameters
    ----------
    counts : array_like, shape (V,)
        How often each vocabulary word occurs (non-negative; need not be integers).
    power : float >= 0, default 0.75
        Mikolov et al.'s 3/4; 1 gives the unigram distribution, 0 the uniform one over the words
        that occur.

    Returns
    -------
    ndarray, shape (V,)
        ``counts**power / sum(counts**power)``; a word with count 0 gets probability 0.

    Examples
    --------
    16^(3/4) = 8 and 1^(3/4) = 1: the frequent word's share drops from 16/17 to 8/9.

    >>> noise_distribution([1.0, 16.0, 0.0]).round(6)
    array([0.111111, 0.888889, 0.      ])
    """
    c = as_float_array(counts, "counts")
    if c.ndim != 1 or c.size == 0:
        raise ValueError(f"counts must be a non-empty 1-D array (V,), got shape {c.shape}")
    if np.any(c < 0):
        raise ValueError(f"counts must be non-negative, found {c[c < 0][0]}")
    p = as_real_scalar(power, "power", low=0.0)
    big = np.max(c)
    if big == 0:
        raise ValueError("counts must not all be zero: there is no word to sample")
    # divide by the largest count first: c**power cannot overflow, the ratios are unchanged
    weights = np.where(c > 0, (c / big) ** p, 0).astype(c.dtype, copy=False)
    return weights / np.sum(weights)
# --8<-- [end:noise_distribution]


def _as_size(k) -> tuple[int, ...]:
    """``k`` as an output shape: an int or a tuple of non-negative ints."""
    if isinstance(k, tuple):
        return tuple(as_int(n, "k", low=0) for n in k)
    return (as_int(k, "k", low=0),)


# --8<-- [start:sample_negatives]
def sample_negatives(dist: ArrayLike, k: int | tuple[int, ...], rng: np.random.Generator | None = None) -> np.ndarray:
    """Draw word ids independently from ``dist`` (with replacement), by inverting its CDF.

    Parameters
    ----------
    dist : array_like, shape (V,)
        Probabilities, e.g. from :func:`noise_distribution` (renormalised to sum 1).
    k : int or tuple of int
        The output shape: K negatives, or ``(N, K)`` for K per pair.
    rng : numpy.random.Generator, optional
        Source of randomness (a fresh default generator when None).

    Returns
    -------
    ndarray of int64, shape k
        Ids in ``[0, V)``; an id of probability 0 is never drawn; the true context is not excluded.

    Examples
    --------
    All the mass on id 1: every draw is 1.

    >>> sample_negatives([0.0, 1.0, 0.0], 4, rng=np.random.default_rng(0))
    array([1, 1, 1, 1])
    """
    p = as_probabilities(dist, "dist")
    if p.ndim != 1 or p.size == 0:
        raise ValueError(f"dist must be a non-empty 1-D array (V,), got shape {p.shape}")
    if np.isnan(p).any() or not np.sum(p) > 0:
        raise ValueError("dist must hold finite probabilities with a positive sum")
    size = _as_size(k)
    rng = np.random.default_rng() if rng is None else check_generator(rng)
    # inverse CDF: the first id whose cumulative mass exceeds a uniform draw on [0, total)
    cdf = np.cumsum(p, dtype=np.float64)
    ids = np.searchsorted(cdf, rng.random(size) * cdf[-1], side="right")
    # u * total can round up to total itself: give that draw to the last id with mass
    return np.minimum(ids, np.flatnonzero(p)[-1]).astype(np.int64)
# --8<-- [end:sample_negatives]


def _check_sgns(center_vec, context_vec, negative_vecs):
    v = as_float_array(center_vec, "center_vec")
    if v.ndim != 2 or 0 in v.shape:
        raise ValueError(f"center_vec must be a non-empty 2-D array (N, D), got shape {v.shape}")
    u = as_float_array(context_vec, "context_vec")
    check_shape(u, v.shape, "context_vec", "(N, D)", f"center_vec of shape {v.shape}")
    neg = as_float_array(negative_vecs, "negative_vecs")
    if neg.ndim != 3 or neg.shape[0] != v.shape[0] or neg.shape[2] != v.shape[1]:
        raise ValueError(
            f"negative_vecs must have shape (N, K, D) with N, D = {v.shape}, got {neg.shape}"
        )
    dtype = np.result_type(v, u, neg)
    return v.astype(dtype, copy=False), u.astype(dtype, copy=False), neg.astype(dtype, copy=False)


# --8<-- [start:negative_sampling_loss]
@propagates_nonfinite
def negative_sampling_loss(center_vec: ArrayLike, context_vec: ArrayLike, negative_vecs: ArrayLike) -> np.floating:
    """Skip-gram negative-sampling loss (Mikolov et al., 2013): sigmoid "real" for the true pair,
    "noise" for K noise pairs.

    Parameters
    ----------
    center_vec, context_vec : array_like, shape (N, D)
        v_c (input vector of the center) and u_o (output vector of the true context) per pair.
    negative_vecs : array_like, shape (N, K, D)
        u_k, output vectors of K noise words per pair.

    Returns
    -------
    numpy scalar
        ``mean_n [-log sigma(u_o . v_c) - sum_k log sigma(-u_k . v_c)]``: summed over the K
        negatives, averaged over the pairs.

    Examples
    --------
    Scores 2 (true pair), 0 and -1 (negatives): softplus(-2) + softplus(0) + softplus(-1).

    >>> round(float(negative_sampling_loss([[1.0]], [[2.0]], [[[0.0], [-1.0]]])), 6)
    1.133337
    """
    v, u, neg = _check_sgns(center_vec, context_vec, negative_vecs)
    pos = np.sum(u * v, axis=-1)                  # (N,) true-pair scores
    negs = np.einsum("nkd,nd->nk", neg, v)        # (N, K) noise-pair scores
    # -log sigma(x) = log(1 + e^-x) = logaddexp(0, -x): no overflow, no log(0)
    per_pair = np.logaddexp(0, -pos) + np.sum(np.logaddexp(0, negs), axis=-1)
    return np.mean(per_pair)
# --8<-- [end:negative_sampling_loss]


# --8<-- [start:negative_sampling_loss_backward]
@propagates_nonfinite
def negative_sampling_loss_backward(
    grad_out: ArrayLike, center_vec: ArrayLike, context_vec: ArrayLike, negative_vecs: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`negative_sampling_loss` with respect to all three inputs.

    Parameters
    ----------
    grad_out : array_like, shape ()
    center_vec, context_vec, negative_vecs
        As in :func:`negative_sampling_loss`.

    Returns
    -------
    tuple of 3 ndarrays
        ``(d_center, d_context, d_negatives)``, shaped like the inputs: the true score's
        derivative is ``-sigma(-s)/N``, each noise score's ``sigma(s_k)/N``.

    Examples
    --------
    As above: -sigma(-2) = -0.119203, sigma(0) = 0.5, sigma(-1) = 0.268941; d_center =
    -0.119203 * 2 + 0.5 * 0 + 0.268941 * (-1).

    >>> dv, du, dneg = negative_sampling_loss_backward(1.0, [[1.0]], [[2.0]], [[[0.0], [-1.0]]])
    >>> dv.round(6).tolist(), du.round(6).tolist(), dneg.round(6).tolist()
    ([[-0.507347]], [[-0.119203]], [[[0.5], [0.268941]]])
    """
    v, u, neg = _check_sgns(center_vec, context_vec, negative_vecs)
    g = as_grad_out(grad_out, (), v.dtype)
    n = len(v)
    pos = np.sum(u * v, axis=-1)
    negs = np.einsum("nkd,nd->nk", neg, v)
    # d softplus(-s) / ds = -sigma(-s); d softplus(s_k) / ds_k = sigma(s_k); the mean divides by N
    d_pos = -sigmoid(-pos) * (g / n)
    d_negs = sigmoid(negs) * (g / n)
    # the scores are dot products: each side gets the other vector times the score's gradient
    d_center = d_pos[:, None] * u + np.einsum("nk,nkd->nd", d_negs, neg)
    return d_center, d_pos[:, None] * v, d_negs[:, :, None] * v[:, None, :]
# --8<-- [end:negative_sampling_loss_backward]
