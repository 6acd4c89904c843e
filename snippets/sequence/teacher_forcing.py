"""Teacher forcing: during training, a sequence decoder is fed the ground-truth previous token
(the target sequence shifted right by one, ``<bos>`` first) instead of its own prediction; and
scheduled sampling (Bengio et al., 2015), which feeds its own prediction some of the time.

Convention: ``p`` is the probability of feeding the ground truth (Bengio et al.'s epsilon_i,
PyTorch's seq2seq tutorial's ``teacher_forcing_ratio``), so ``p = 1`` is teacher forcing and
``p = 0`` is free running; the coin is tossed per token (the paper's rule), not per sequence.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_int, as_real_scalar, check_generator, check_same_shape

__all__ = ["teacher_forcing_inputs", "scheduled_sampling_inputs"]


def _as_token_ids(x: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} holding token ids must have an integer dtype, got {arr.dtype}")
    if arr.ndim < 1:
        raise ValueError(f"{name} must have a time axis: shape (*, T), got shape {arr.shape}")
    return arr.astype(np.int64)


# --8<-- [start:teacher_forcing_inputs]
def teacher_forcing_inputs(targets: ArrayLike, bos_id: int) -> np.ndarray:
    """The decoder inputs under teacher forcing: ``targets`` shifted right by one, ``bos_id`` first.

    Parameters
    ----------
    targets : array_like of int, shape (*, T)
        The target token ids, time last (e.g. (B, T), ``<eos>`` included).
    bos_id : int >= 0
        The id of the beginning-of-sequence token fed at step 0.

    Returns
    -------
    ndarray of int64, shape (*, T)
        ``inputs[..., 0] = bos_id`` and ``inputs[..., t] = targets[..., t - 1]``: at step t the
        decoder sees the true previous token and is trained to output ``targets[..., t]``. The
        last target is never an input.

    Examples
    --------
    >>> teacher_forcing_inputs([[5, 6, 7, 2]], bos_id=1)  # 2 = <eos>: predicted, never fed
    array([[1, 5, 6, 7]])
    """
    targets = _as_token_ids(targets, "targets")
    bos_id = as_int(bos_id, "bos_id", low=0)
    # shift right along time: <bos>, y_0, ..., y_{T-2}
    bos = np.full((*targets.shape[:-1], min(1, targets.shape[-1])), bos_id, dtype=np.int64)
    return np.concatenate([bos, targets[..., :-1]], axis=-1)
# --8<-- [end:teacher_forcing_inputs]


# --8<-- [start:scheduled_sampling_inputs]
def scheduled_sampling_inputs(
    targets: ArrayLike,
    predictions: ArrayLike,
    bos_id: int,
    p: float,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Decoder inputs that mix the true previous token (probability ``p``) and the model's own.

    Parameters
    ----------
    targets : array_like of int, shape (*, T)
        The target token ids, time last.
    predictions : array_like of int, shape (*, T)
        The model's predicted token at each step (``predictions[..., t]`` is its guess for
        ``targets[..., t]``), e.g. the argmax or a sample of its output. Bengio et al. feed each
        prediction as soon as it is made (call this once per step during decoding); computing
        all of them first in one teacher-forced pass is the parallel approximation.
    bos_id : int >= 0
        The id fed at step 0 (the suggested API had no ``bos_id``; it is needed, as for
        :func:`teacher_forcing_inputs`).
    p : float in [0, 1]
        The probability of feeding the ground truth at each step: 1 is teacher forcing, 0 feeds
        the model's predictions only. Bengio et al. decay it during training.
    rng : numpy.random.Generator, optional
        One coin per token; a fresh unseeded generator when None.

    Returns
    -------
    ndarray of int64, shape (*, T)
        ``inputs[..., 0] = bos_id``; ``inputs[..., t]`` is ``targets[..., t - 1]`` with
        probability p, else ``predictions[..., t - 1]``.

    Examples
    --------
    >>> targets, predictions = [[5, 6, 7, 2]], [[5, 9, 7, 3]]
    >>> scheduled_sampling_inputs(targets, predictions, bos_id=1, p=1.0)  # teacher forcing
    array([[1, 5, 6, 7]])
    >>> scheduled_sampling_inputs(targets, predictions, bos_id=1, p=0.0)  # the model's own tokens
    array([[1, 5, 9, 7]])
    """
    targets = _as_token_ids(targets, "targets")
    predictions = _as_token_ids(predictions, "predictions")
    check_same_shape(targets, predictions, "targets", "predictions")
    p = as_real_scalar(p, "p", low=0.0, high=1.0)
    rng = np.random.default_rng() if rng is None else check_generator(rng)
    # one coin per token: the ground truth with probability p, else the model's prediction
    use_truth = rng.random(targets.shape) < p
    previous = np.where(use_truth, targets, predictions)
    # shifted right like teacher forcing: step t sees the token chosen for step t - 1
    return teacher_forcing_inputs(previous, bos_id)
# --8<-- [end:scheduled_sampling_inputs]
