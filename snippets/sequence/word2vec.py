"""Word2vec: skip-gram and CBOW, the two shallow models that learn word vectors by predicting a
word from its neighbours (CBOW) or the neighbours from a word (skip-gram), with a full softmax."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_class_indices, as_float_array, as_grad_out, as_int, propagates_nonfinite
from snippets.activations.softmax import log_softmax, softmax

__all__ = ["skipgram_pairs", "skipgram_softmax_loss", "skipgram_softmax_loss_backward", "cbow_loss", "cbow_loss_backward"]


def _as_token_ids(token_ids: ArrayLike, name: str) -> np.ndarray:
    """A 1-D array of non-negative integer token ids."""
    ids = np.asarray(token_ids)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer token ids, got dtype {ids.dtype}")
    if ids.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of token ids, got shape {ids.shape}")
    if ids.size and ids.min() < 0:
        raise ValueError(f"{name} must hold non-negative token ids, found {ids.min()}")
    return ids


# --8<-- [start:skipgram_pairs]
def skipgram_pairs(token_ids: ArrayLike, window_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (center, context) pair with a fixed, symmetric window: positions i and j with
    ``1 <= |i - j| <= window_size`` (the word2vec tool shrinks the window at random instead).

    Parameters
    ----------
    token_ids : array_like of int, shape (L,)
    window_size : int >= 1

    Returns
    -------
    (ndarray, ndarray), each int64 of shape (P,)
        ``centers`` and ``contexts``, by center position, then offset ``-window_size..window_size``.

    Examples
    --------
    Four tokens, window 1: two neighbours for each inner word, one for each end word.

    >>> centers, contexts = skipgram_pairs([10, 11, 12, 13], window_size=1)
    >>> centers.tolist(), contexts.tolist()
    ([10, 11, 11, 12, 12, 13], [11, 10, 12, 11, 13, 12])
    """
    ids = _as_token_ids(token_ids, "token_ids").astype(np.int64)
    w = as_int(window_size, "window_size", low=1)
    length = len(ids)
    # every (position, offset) pair, offsets -w..-1, 1..w; keep those whose context lies inside
    offsets = np.concatenate([np.arange(-w, 0), np.arange(1, w + 1)])
    center_pos = np.repeat(np.arange(length), len(offsets))
    context_pos = center_pos + np.tile(offsets, length)
    inside = (context_pos >= 0) & (context_pos < length)
    return ids[center_pos[inside]], ids[context_pos[inside]]
# --8<-- [end:skipgram_pairs]


def _check_tables(w_in: ArrayLike, w_out: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """The two (V, D) tables, in their common float dtype."""
    w_in, w_out = as_float_array(w_in, "W_in"), as_float_array(w_out, "W_out")
    if w_in.ndim != 2 or 0 in w_in.shape:
        raise ValueError(f"W_in must be a non-empty 2-D array (V, D), got shape {w_in.shape}")
    if w_out.shape != w_in.shape:
        raise ValueError(f"W_out must have the shape of W_in (V, D) = {w_in.shape}, got {w_out.shape}")
    dtype = np.result_type(w_in, w_out)
    return w_in.astype(dtype, copy=False), w_out.astype(dtype, copy=False)


def _check_skipgram(center, context, w_in, w_out):
    w_in, w_out = _check_tables(w_in, w_out)
    vocab = w_in.shape[0]
    center = as_class_indices(center, vocab, "center")
    context = as_class_indices(context, vocab, "context")
    if center.ndim != 1 or center.shape != context.shape or len(center) == 0:
        raise ValueError(
            f"center and context must be non-empty 1-D arrays of one shape (N,), got {center.shape} and {context.shape}"
        )
    return center, context, w_in, w_out


# --8<-- [start:skipgram_softmax_loss]
@propagates_nonfinite
def skipgram_softmax_loss(center: ArrayLike, context: ArrayLike, W_in: ArrayLike, W_out: ArrayLike) -> np.floating:
    """Skip-gram with a full softmax: mean cross-entropy of each context word given its center.

    Parameters
    ----------
    center, context : array_like of int, shape (N,)
        Word ids of N pairs (:func:`skipgram_pairs`).
    W_in, W_out : array_like, shape (V, D)
        Center ("input") vectors v and context ("output") vectors u, one row per word.

    Returns
    -------
    numpy scalar
        ``F.cross_entropy(W_in[center] @ W_out.T, context)``.

    Examples
    --------
    V = 2, D = 1: v_0 = 1, u = (1, 0), so the logits are (1, 0) and the loss is log(1 + e^-1).

    >>> round(float(skipgram_softmax_loss([0], [0], [[1.0], [0.0]], [[1.0], [0.0]])), 6)
    0.313262
    """
    center, context, w_in, w_out = _check_skipgram(center, context, W_in, W_out)
    # scores of every vocabulary word as context: u_w . v_c for all w, one row per pair
    logits = w_in[center] @ w_out.T
    # cross-entropy of the true context word (0 - mean: a zero loss is +0)
    return 0.0 - np.mean(log_softmax(logits, axis=1)[np.arange(len(center)), context])
# --8<-- [end:skipgram_softmax_loss]


# --8<-- [start:skipgram_softmax_loss_backward]
@propagates_nonfinite
def skipgram_softmax_loss_backward(
    grad_out: ArrayLike, center: ArrayLike, context: ArrayLike, W_in: ArrayLike, W_out: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`skipgram_softmax_loss` with respect to ``W_in`` and ``W_out``.

    Parameters
    ----------
    grad_out : array_like, shape ()
    center, context, W_in, W_out
        As in :func:`skipgram_softmax_loss` (the ids are not differentiable).

    Returns
    -------
    (ndarray, ndarray), each shape (V, D)
        ``dW_in`` (zero in rows that are no center) and ``dW_out`` (dense).

    Examples
    --------
    As above: dlogits = softmax(1, 0) - (1, 0) = (-0.268941, 0.268941); dv_0 = dlogits @ u.

    >>> d_in, d_out = skipgram_softmax_loss_backward(1.0, [0], [0], [[1.0], [0.0]], [[1.0], [0.0]])
    >>> d_in.round(6).tolist(), d_out.round(6).tolist()
    ([[-0.268941], [0.0]], [[-0.268941], [0.268941]])
    """
    center, context, w_in, w_out = _check_skipgram(center, context, W_in, W_out)
    g = as_grad_out(grad_out, (), w_in.dtype)
    n = len(center)
    v = w_in[center]
    # d mean CE / d logits = (softmax - onehot) / N
    d_logits = softmax(v @ w_out.T, axis=1)
    d_logits[np.arange(n), context] -= 1
    d_logits *= g / n
    # logits = v @ W_out.T: back to the gathered center vectors and to W_out
    d_in = np.zeros_like(w_in)
    np.add.at(d_in, center, d_logits @ w_out)  # scatter-add: a repeated center sums its rows
    return d_in, d_logits.T @ v
# --8<-- [end:skipgram_softmax_loss_backward]


def _check_cbow(contexts, center, w_in, w_out):
    w_in, w_out = _check_tables(w_in, w_out)
    vocab = w_in.shape[0]
    contexts = as_class_indices(contexts, vocab, "contexts")
    center = as_class_indices(center, vocab, "center")
    if contexts.ndim != 2 or 0 in contexts.shape or center.shape != (contexts.shape[0],):
        raise ValueError(
            f"contexts must be a non-empty 2-D array (N, C) and center 1-D (N,), got {contexts.shape} and {center.shape}"
        )
    return contexts, center, w_in, w_out


# --8<-- [start:cbow_loss]
@propagates_nonfinite
def cbow_loss(contexts: ArrayLike, center: ArrayLike, W_in: ArrayLike, W_out: ArrayLike) -> np.floating:
    """CBOW with a full softmax: mean cross-entropy of each center word given its contexts' average.

    Parameters
    ----------
    contexts : array_like of int, shape (N, C)
        C context word ids per center word.
    center : array_like of int, shape (N,)
        The word to predict.
    W_in, W_out : array_like, shape (V, D)
        Input vectors (averaged: ``h_n = mean_j W_in[contexts[n, j]]``) and output vectors.

    Returns
    -------
    numpy scalar
        ``-mean_n log softmax(W_out @ h_n)[center[n]]`` (the average, gensim's ``cbow_mean=1``).

    Examples
    --------
    h = (1 + 0) / 2 and u = (2, 0): logits (1, 0), the target 0 costs log(1 + e^-1).

    >>> round(float(cbow_loss([[0, 1]], [0], [[1.0], [0.0]], [[2.0], [0.0]])), 6)
    0.313262
    """
    contexts, center, w_in, w_out = _check_cbow(contexts, center, W_in, W_out)
    # the hidden layer: average of the context words' input vectors, (N, D)
    h = np.mean(w_in[contexts], axis=1)
    logits = h @ w_out.T
    return 0.0 - np.mean(log_softmax(logits, axis=1)[np.arange(len(center)), center])
# --8<-- [end:cbow_loss]


# --8<-- [start:cbow_loss_backward]
@propagates_nonfinite
def cbow_loss_backward(
    grad_out: ArrayLike, contexts: ArrayLike, center: ArrayLike, W_in: ArrayLike, W_out: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`cbow_loss` with respect to ``W_in`` and ``W_out``.

    Parameters
    ----------
    grad_out : array_like, shape ()
    contexts, center, W_in, W_out
        As in :func:`cbow_loss`.

    Returns
    -------
    (ndarray, ndarray), each shape (V, D)
        ``dW_in`` (each context of row n receives ``dh_n / C``) and ``dW_out``.

    Examples
    --------
    dlogits = (-0.268941, 0.268941), dh = dlogits @ u = -0.537883: half to each context.

    >>> d_in, d_out = cbow_loss_backward(1.0, [[0, 1]], [0], [[1.0], [0.0]], [[2.0], [0.0]])
    >>> d_in.round(6).tolist(), d_out.round(6).tolist()
    ([[-0.268941], [-0.268941]], [[-0.134471], [0.134471]])
    """
    contexts, center, w_in, w_out = _check_cbow(contexts, center, W_in, W_out)
    g = as_grad_out(grad_out, (), w_in.dtype)
    n, c = contexts.shape
    h = np.mean(w_in[contexts], axis=1)
    d_logits = softmax(h @ w_out.T, axis=1)
    d_logits[np.arange(n), center] -= 1
    d_logits *= g / n
    # through the average: each of the C context rows receives dh / C
    d_h = (d_logits @ w_out) / c
    d_in = np.zeros_like(w_in)
    np.add.at(d_in, contexts.reshape(-1), np.repeat(d_h, c, axis=0))
    return d_in, d_logits.T @ h
# --8<-- [end:cbow_loss_backward]
