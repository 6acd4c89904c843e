"""InfoNCE (NT-Xent) and CLIP's symmetric contrastive loss: cross-entropy over cosine
similarities divided by a temperature, the positive key as the class to pick."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, as_real_scalar, check_shape, propagates_nonfinite
from snippets.activations.softmax import log_softmax, softmax

__all__ = ["info_nce", "info_nce_backward", "clip_loss", "clip_loss_backward"]

#: F.normalize's floor on the norm: a zero vector stays zero instead of dividing by 0
_NORM_EPS = 1e-12


# --8<-- [start:normalize]
def _normalize(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``x / max(||x||, 1e-12)`` along the last axis (``torch.nn.functional.normalize``), and the
    divisor. The norm is scaled by the largest component so that squaring cannot overflow."""
    big = np.max(np.abs(x), axis=-1, keepdims=True)
    safe = np.where(big > 0, big, 1)
    norm = big * np.sqrt(np.sum((x / safe) ** 2, axis=-1, keepdims=True))
    r = np.maximum(norm, _NORM_EPS)
    return x / r, r


def _normalize_backward(grad_u: np.ndarray, u: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Gradient through ``u = x / r``: remove the radial part, ``(g - u <u, g>) / r``; below the
    floor r is the constant 1e-12 and the map is linear, ``g / r``."""
    radial = np.where(r > _NORM_EPS, np.sum(u * grad_u, axis=-1, keepdims=True), 0)
    return (grad_u - u * radial) / r
# --8<-- [end:normalize]


def _check_embeddings(name: str, x, n_dim: int = 2) -> np.ndarray:
    x = as_float_array(x, name)
    if x.ndim != n_dim or 0 in x.shape:
        shape = "(N, D)" if n_dim == 2 else "(N, M, D)"
        raise ValueError(f"{name} must be a non-empty {n_dim}-D array {shape}, got shape {x.shape}")
    return x


def _check_info_nce(query, positive_key, negative_keys, temperature):
    """The embeddings as arrays of one dtype, checked against each other, and the temperature."""
    q = _check_embeddings("query", query)
    p = as_float_array(positive_key, "positive_key")
    check_shape(p, q.shape, "positive_key", "(N, D)", f"query of shape {q.shape}")
    arrays = [q, p]
    if negative_keys is not None:
        neg = as_float_array(negative_keys, "negative_keys")
        n, d = q.shape
        if not ((neg.ndim == 2 and neg.shape[1] == d and neg.shape[0] > 0)
                or (neg.ndim == 3 and neg.shape[0] == n and neg.shape[2] == d and neg.shape[1] > 0)):
            raise ValueError(f"negative_keys must have shape (M, D) or (N, M, D) with D = {d}, N = {n}, "
                             f"got {neg.shape}")
        arrays.append(neg)
    dtype = np.result_type(*arrays)
    tau = as_real_scalar(temperature, "temperature", low=0.0, low_open=True)
    return [a.astype(dtype, copy=False) for a in arrays], tau


def _info_nce_logits(q_hat, p_hat, n_hat, tau):
    """Logits (N, K) and the index of each row's positive: in-batch (K = N, the positive of row i
    is column i) or explicit negatives (K = 1 + M, the positive in column 0)."""
    if n_hat is None:
        return q_hat @ p_hat.T / tau, np.arange(len(q_hat))
    pos = np.sum(q_hat * p_hat, axis=-1, keepdims=True)
    neg = q_hat @ n_hat.T if n_hat.ndim == 2 else np.einsum("nd,nmd->nm", q_hat, n_hat)
    return np.concatenate([pos, neg], axis=1) / tau, np.zeros(len(q_hat), dtype=np.int64)


# --8<-- [start:info_nce]
@propagates_nonfinite
def info_nce(
    query: ArrayLike, positive_key: ArrayLike, negative_keys: ArrayLike | None = None, temperature: float = 0.1
) -> np.floating:
    """InfoNCE loss: the mean cross-entropy of picking each query's positive key among the keys.

    Every embedding is L2-normalised first (``torch.nn.functional.normalize``); the logits are
    cosine similarities divided by ``temperature``. Without ``negative_keys``, the other rows'
    positive keys serve as negatives ("in-batch negatives", NT-Xent in one direction); that equals
    ``F.cross_entropy(q @ p.T / temperature, arange(N))`` on the normalised embeddings.

    Parameters
    ----------
    query : array_like, shape (N, D)
    positive_key : array_like, shape (N, D)
        The key that belongs to each query.
    negative_keys : array_like, shape (M, D) or (N, M, D), optional
        Negatives shared by all queries, or M of their own for each query.
    temperature : float > 0, default 0.1
        Divides the cosine similarities: small values sharpen the softmax.

    Returns
    -------
    numpy scalar
        ``-mean_n log softmax(logits_n)[positive]`` in the common float dtype of the inputs.

    Examples
    --------
    >>> # two queries, each equal to its own key and orthogonal to the other: logits (10, 0) by row
    >>> round(float(info_nce([[1.0, 0.0], [0.0, 1.0]], [[2.0, 0.0], [0.0, 3.0]])), 6)  # log(1 + e^-10)
    4.5e-05
    """
    (q, p, *neg), tau = _check_info_nce(query, positive_key, negative_keys, temperature)
    # cosine similarities: normalise every embedding to unit length
    q_hat, p_hat = _normalize(q)[0], _normalize(p)[0]
    n_hat = _normalize(neg[0])[0] if neg else None
    logits, target = _info_nce_logits(q_hat, p_hat, n_hat, tau)
    # cross-entropy of the positive among all keys of its row (0 - mean: a zero loss is +0, not -0)
    return 0.0 - np.mean(log_softmax(logits, axis=1)[np.arange(len(target)), target])
# --8<-- [end:info_nce]


# --8<-- [start:info_nce_backward]
@propagates_nonfinite
def info_nce_backward(
    grad_out: ArrayLike,
    query: ArrayLike,
    positive_key: ArrayLike,
    negative_keys: ArrayLike | None = None,
    temperature: float = 0.1,
) -> tuple[np.ndarray, ...]:
    """Gradients of :func:`info_nce` with respect to ``query``, ``positive_key`` and (when given)
    ``negative_keys``.

    Parameters
    ----------
    grad_out : array_like, shape ()
        Upstream gradient of the scalar loss.
    query, positive_key, negative_keys, temperature
        As in :func:`info_nce`.

    Returns
    -------
    tuple of ndarray
        ``(d_query, d_positive_key)``, or ``(d_query, d_positive_key, d_negative_keys)``, each of
        its input's shape: the cross-entropy's ``(softmax - onehot) / N / temperature`` sent back
        through the similarities and the normalisation.

    Examples
    --------
    >>> dq, dk = info_nce_backward(1.0, [[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]], temperature=1.0)
    >>> dq.round(6)  # (softmax - onehot) / 2 = (-s, s) with s = 1 / (2 (1 + e)), then minus its radial part
    array([[0.      , 0.134471],
           [0.134471, 0.      ]])
    """
    (q, p, *neg), tau = _check_info_nce(query, positive_key, negative_keys, temperature)
    g = as_grad_out(grad_out, (), q.dtype)
    (q_hat, q_r), (p_hat, p_r) = _normalize(q), _normalize(p)
    n_hat, n_r = _normalize(neg[0]) if neg else (None, None)
    logits, target = _info_nce_logits(q_hat, p_hat, n_hat, tau)
    n = len(target)
    # d mean CE / d logits = (softmax - onehot) / N, then through the division by tau
    d_logits = softmax(logits, axis=1)
    d_logits[np.arange(n), target] -= 1
    d_logits *= g / (n * tau)
    if n_hat is None:
        # logits = q_hat @ p_hat.T
        d_q_hat, d_p_hat, grads_neg = d_logits @ p_hat, d_logits.T @ q_hat, ()
    else:
        d_pos, d_neg = d_logits[:, :1], d_logits[:, 1:]
        if n_hat.ndim == 2:  # shared negatives: logits[:, 1:] = q_hat @ n_hat.T
            d_q_hat = d_pos * p_hat + d_neg @ n_hat
            d_n_hat = d_neg.T @ q_hat
        else:  # per-query negatives: logits[n, 1 + m] = <q_hat[n], n_hat[n, m]>
            d_q_hat = d_pos * p_hat + np.einsum("nm,nmd->nd", d_neg, n_hat)
            d_n_hat = d_neg[:, :, None] * q_hat[:, None, :]
        d_p_hat = d_pos * q_hat
        grads_neg = (_normalize_backward(d_n_hat, n_hat, n_r),)
    return (_normalize_backward(d_q_hat, q_hat, q_r), _normalize_backward(d_p_hat, p_hat, p_r), *grads_neg)
# --8<-- [end:info_nce_backward]


def _check_clip(image_emb, text_emb, temperature):
    img = _check_embeddings("image_emb", image_emb)
    txt = as_float_array(text_emb, "text_emb")
    check_shape(txt, img.shape, "text_emb", "(N, D)", f"image_emb of shape {img.shape}")
    dtype = np.result_type(img, txt)
    tau = as_real_scalar(temperature, "temperature", low=0.0, low_open=True)
    return img.astype(dtype, copy=False), txt.astype(dtype, copy=False), tau


# --8<-- [start:clip_loss]
@propagates_nonfinite
def clip_loss(image_emb: ArrayLike, text_emb: ArrayLike, temperature: float = 0.07) -> np.floating:
    """CLIP's symmetric contrastive loss: InfoNCE from images to texts and from texts to images,
    averaged, with the matching pair of each row as the positive.

    Parameters
    ----------
    image_emb, text_emb : array_like, shape (N, D)
        Embeddings of N matching image-text pairs (row i of each belong together).
    temperature : float > 0, default 0.07
        CLIP's initial temperature (it learns ``log(1 / temperature)``).

    Returns
    -------
    numpy scalar
        ``(CE(S, arange(N)) + CE(S.T, arange(N))) / 2`` with ``S = normalize(image) @
        normalize(text).T / temperature``.

    Examples
    --------
    >>> # identical, orthogonal pairs: each row's logits are (1/T, 0); both directions give log(1 + e^-1/T)
    >>> round(float(clip_loss([[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]], temperature=1.0)), 6)
    0.313262
    """
    img, txt, tau = _check_clip(image_emb, text_emb, temperature)
    s = _normalize(img)[0] @ _normalize(txt)[0].T / tau
    rows = np.arange(len(s))
    # image i should pick text i (rows), and text i should pick image i (columns)
    return 0.0 - (np.mean(log_softmax(s, axis=1)[rows, rows]) + np.mean(log_softmax(s, axis=0)[rows, rows])) / 2
# --8<-- [end:clip_loss]


# --8<-- [start:clip_loss_backward]
@propagates_nonfinite
def clip_loss_backward(
    grad_out: ArrayLike, image_emb: ArrayLike, text_emb: ArrayLike, temperature: float = 0.07
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`clip_loss` with respect to ``image_emb`` and ``text_emb``.

    Parameters
    ----------
    grad_out : array_like, shape ()
        Upstream gradient of the scalar loss.
    image_emb, text_emb, temperature
        As in :func:`clip_loss`.

    Returns
    -------
    (ndarray, ndarray), each shape (N, D)
        ``dS = (softmax_rows(S) + softmax_cols(S) - 2 I) / (2 N temperature)``, sent back through
        ``S = i_hat @ t_hat.T`` and the two normalisations.

    Examples
    --------
    >>> di, dt = clip_loss_backward(1.0, [[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]], temperature=1.0)
    >>> di.round(6)  # two directions of (softmax - I) / (2 N): (-s, s) per row, s = 1 / (2 (1 + e)); radial part removed
    array([[0.      , 0.134471],
           [0.134471, 0.      ]])
    """
    img, txt, tau = _check_clip(image_emb, text_emb, temperature)
    g = as_grad_out(grad_out, (), img.dtype)
    (i_hat, i_r), (t_hat, t_r) = _normalize(img), _normalize(txt)
    s = i_hat @ t_hat.T / tau
    n = len(s)
    # both cross-entropies: softmax over rows and over columns, minus the identity, each / N, halved
    d_s = (softmax(s, axis=1) + softmax(s, axis=0) - 2 * np.eye(n, dtype=s.dtype)) * (g / (2 * n * tau))
    return _normalize_backward(d_s @ t_hat, i_hat, i_r), _normalize_backward(d_s.T @ i_hat, t_hat, t_r)
# --8<-- [end:clip_loss_backward]
