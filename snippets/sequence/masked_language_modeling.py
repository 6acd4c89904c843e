"""Masked language modeling (BERT's pre-training task): hide a random 15 % of the tokens and
train the model to predict them from both sides.

``mask_tokens`` follows Hugging Face's ``DataCollatorForLanguageModeling``: each token is selected
independently with probability ``mlm_prob`` (the original BERT code picks exactly
``round(0.15 L)`` positions per sequence instead); of the selected, 80 % become ``[MASK]``, 10 % a
token drawn uniformly from the whole vocabulary (possibly the original one) and 10 % stay as they
are. ``mlm_loss`` is the cross-entropy over the selected positions only, as
``torch.nn.functional.cross_entropy(..., ignore_index=-100)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import (
    as_class_indices,
    as_float_array,
    as_grad_out,
    as_int,
    as_real_scalar,
    check_generator,
    propagates_nonfinite,
)
from snippets.activations.softmax import log_softmax, softmax

__all__ = ["mask_tokens", "mlm_loss", "mlm_loss_backward"]


# --8<-- [start:mask_tokens]
def mask_tokens(
    ids: ArrayLike,
    mask_id: int,
    vocab_size: int,
    mlm_prob: float = 0.15,
    special_ids: Sequence[int] = (),
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Corrupt token ids for masked language modeling and return the inputs and the labels.

    Parameters
    ----------
    ids : array_like of int, any shape (*), e.g. (B, L)
        Token ids in ``[0, vocab_size)``.
    mask_id : int
        The id of ``[MASK]``.
    vocab_size : int >= 1
        V: random replacements are drawn uniformly from ``[0, V)``.
    mlm_prob : float in [0, 1], default 0.15
        The probability that a token is selected for prediction.
    special_ids : sequence of int, default ()
        Ids never selected (``[CLS]``, ``[SEP]``, ``[PAD]``).
    rng : numpy.random.Generator, optional
        Source of randomness; a fresh unseeded one when None.

    Returns
    -------
    inputs : ndarray of int64, shape (*)
        ``ids`` with the selected tokens replaced: 80 % by ``mask_id``, 10 % by a random id,
        10 % unchanged.
    labels : ndarray of int64, shape (*)
        The original id at the selected positions, ``-100`` elsewhere (the loss ignores them).

    Examples
    --------
    With ``mlm_prob=0`` nothing is selected; with ``mlm_prob=1`` every token but the special
    ones is, and the labels are the original ids.

    >>> rng = np.random.default_rng(0)
    >>> inputs, labels = mask_tokens([[5, 6, 7]], mask_id=1, vocab_size=10, mlm_prob=0.0, rng=rng)
    >>> inputs, labels
    (array([[5, 6, 7]]), array([[-100, -100, -100]]))
    >>> inputs, labels = mask_tokens([[0, 6, 7]], 1, 10, mlm_prob=1.0, special_ids=(0,), rng=rng)
    >>> labels
    array([[-100,    6,    7]])
    """
    vocab_size = as_int(vocab_size, "vocab_size", low=1)
    ids = as_class_indices(np.asarray(ids), vocab_size, "ids").astype(np.int64)
    mask_id = as_int(mask_id, "mask_id", low=0, high=vocab_size - 1)
    mlm_prob = as_real_scalar(mlm_prob, "mlm_prob", low=0.0, high=1.0)
    special = np.asarray(special_ids) if len(special_ids) else np.zeros(0, np.int64)
    if special.dtype.kind not in "iu" or special.ndim != 1:
        raise TypeError(f"special_ids must be a sequence of integer ids, got {special_ids!r}")
    rng = np.random.default_rng() if rng is None else check_generator(rng)
    # select each non-special token independently with probability mlm_prob
    selected = (rng.random(ids.shape) < mlm_prob) & ~np.isin(ids, special)
    labels = np.where(selected, ids, -100)
    # one uniform draw per token splits the selected ones 80 / 10 / 10
    u = rng.random(ids.shape)
    to_mask = selected & (u < 0.8)
    to_random = selected & (u >= 0.8) & (u < 0.9)
    inputs = np.where(to_mask, mask_id, ids)
    inputs = np.where(to_random, rng.integers(0, vocab_size, size=ids.shape), inputs)
    return inputs, labels
# --8<-- [end:mask_tokens]


def _check_mlm(logits: ArrayLike, labels: ArrayLike, ignore_index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Logits as (N, V) float, labels as (N,) ints, and the mask of positions that count."""
    logits = as_float_array(logits, "logits")
    labels = np.asarray(labels)
    ignore_index = as_int(ignore_index, "ignore_index")
    if logits.ndim < 1 or logits.shape[-1] == 0 or logits.shape[:-1] != labels.shape:
        raise ValueError(
            f"logits must have shape (*, V) and labels shape (*): got logits {logits.shape}, labels {labels.shape}"
        )
    if labels.size == 0:
        raise ValueError(f"labels must not be empty, got shape {labels.shape}")
    if labels.dtype.kind not in "iu":
        raise TypeError(f"labels holding token ids must have an integer dtype, got {labels.dtype}")
    flat_logits = logits.reshape(-1, logits.shape[-1])
    flat_labels = labels.reshape(-1)
    keep = flat_labels != ignore_index
    as_class_indices(flat_labels[keep], logits.shape[-1], "labels")
    return flat_logits, flat_labels, keep


# --8<-- [start:mlm_loss]
@propagates_nonfinite
def mlm_loss(logits: ArrayLike, labels: ArrayLike, ignore_index: int = -100) -> np.floating:
    """Mean cross-entropy over the positions whose label is not ``ignore_index``.

    The same value as ``torch.nn.functional.cross_entropy(logits.reshape(-1, V),
    labels.reshape(-1), ignore_index=ignore_index)``.

    Parameters
    ----------
    logits : array_like, shape (*, V)
        The model's scores over the vocabulary at every position (vocabulary last, as a
        transformer's output; PyTorch's loss wants it flattened to (N, V)).
    labels : array_like of int, shape (*)
        The original token at the selected positions, ``ignore_index`` elsewhere.
    ignore_index : int, default -100
        The label of positions that do not count.

    Returns
    -------
    numpy scalar
        ``-mean over kept positions of log softmax(logits)[label]``, in the float dtype of
        ``logits``; NaN when every position is ignored (0 / 0, as PyTorch).

    Examples
    --------
    Only position 1 counts; its logits are uniform over V = 4: the loss is log 4.

    >>> round(float(mlm_loss([[9.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]], [-100, 2])), 6)
    1.386294
    """
    logits, labels, keep = _check_mlm(logits, labels, ignore_index)
    if not keep.any():
        return logits.dtype.type(np.nan)  # no position counts: 0 / 0, as PyTorch
    # -log p(label) at the kept positions only: ignored rows cannot spoil the mean
    log_p = log_softmax(logits[keep], axis=-1)
    return -np.mean(log_p[np.arange(len(log_p)), labels[keep]])
# --8<-- [end:mlm_loss]


# --8<-- [start:mlm_loss_backward]
@propagates_nonfinite
def mlm_loss_backward(grad_out: ArrayLike, logits: ArrayLike, labels: ArrayLike, ignore_index: int = -100) -> np.ndarray:
    """Gradient of :func:`mlm_loss` with respect to ``logits``.

    Parameters
    ----------
    grad_out : array_like, shape ()
        Upstream gradient of the scalar loss.
    logits, labels, ignore_index
        As in :func:`mlm_loss`.

    Returns
    -------
    ndarray, shape (*, V)
        ``grad_out * (softmax(logits) - onehot(label)) / M`` at the M kept positions, exactly 0
        at the ignored ones (all 0 when every position is ignored, as PyTorch).

    Examples
    --------
    >>> mlm_loss_backward(1.0, [[9.0, 0.0], [0.0, 0.0]], [-100, 1])  # M = 1: p - onehot(1)
    array([[ 0. ,  0. ],
           [ 0.5, -0.5]])
    """
    shape = np.shape(logits)
    flat, labels, keep = _check_mlm(logits, labels, ignore_index)
    g = as_grad_out(grad_out, (), flat.dtype)
    grad = np.zeros_like(flat)
    m = int(keep.sum())
    if m:
        # d(-log softmax(z)[y]) / dz = softmax(z) - onehot(y), averaged over the M kept rows
        rows = softmax(flat[keep], axis=-1)
        rows[np.arange(m), labels[keep]] -= 1
        grad[keep] = rows * (g / m)
    return grad.reshape(shape)
# --8<-- [end:mlm_loss_backward]
