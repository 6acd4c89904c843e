"""Early stopping: end training when the validation loss has stopped improving; keep the best epoch."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_int, as_real_scalar, propagates_nonfinite

__all__ = ["early_stopping_epoch", "generalization_loss"]


def _as_curve(val_losses: ArrayLike) -> np.ndarray:
    losses = as_float_array(val_losses, "val_losses")
    if losses.ndim != 1 or losses.size == 0:
        raise ValueError(f"val_losses must be a non-empty 1-D array (one loss per epoch), got shape {losses.shape}")
    return losses


# --8<-- [start:early_stopping_epoch]
def early_stopping_epoch(val_losses: ArrayLike, patience: int, min_delta: float = 0.0) -> tuple[int, int]:
    """The epoch at which patience-based early stopping ends training, and the best epoch.

    Epochs are numbered from 0; ``val_losses[e]`` is the validation loss after epoch ``e``.
    Epoch ``e`` is an *improvement* when ``val_losses[e] < best - min_delta``, where ``best`` is
    the loss at the previous improvement (``+inf`` before the first one). Training stops after
    the first epoch that ends ``patience`` epochs in a row without improvement; if that never
    happens it runs to the last epoch given.

    Parameters
    ----------
    val_losses : array_like, shape (E,)
        Validation loss after each of E >= 1 epochs. NaN is never an improvement.
    patience : int
        Number of consecutive epochs without improvement that ends training, ``>= 1``.
    min_delta : float, default 0.0
        Smallest decrease that counts as an improvement, ``>= 0``.

    Returns
    -------
    stop_epoch : int
        The last epoch trained: ``best_epoch + patience``, or ``E - 1`` when patience never ran out.
    best_epoch : int
        The last improvement before stopping, whose weights should be restored; -1 if no epoch
        improved (all NaN): keep the initial weights.

    Examples
    --------
    >>> # improvements at epochs 0 and 1; epochs 2 and 3 are worse than 0.8: patience 2 runs out at 3
    >>> early_stopping_epoch([1.0, 0.8, 0.9, 0.85, 0.7], patience=2)
    (3, 1)
    >>> # with patience 3 epoch 4 improves again, and training runs to the end
    >>> early_stopping_epoch([1.0, 0.8, 0.9, 0.85, 0.7], patience=3)
    (4, 4)
    """
    losses = _as_curve(val_losses)
    patience = as_int(patience, "patience", low=1)
    min_delta = as_real_scalar(min_delta, "min_delta", low=0.0)
    best, best_epoch = np.inf, -1
    for epoch, loss in enumerate(losses.tolist()):
        # an improvement must beat the last improvement by more than min_delta (NaN never does)
        if loss < best - min_delta:
            best, best_epoch = loss, epoch
        # patience epochs in a row without improvement: stop after this one
        elif epoch - best_epoch >= patience:
            return epoch, best_epoch
    return losses.size - 1, best_epoch
# --8<-- [end:early_stopping_epoch]


# --8<-- [start:generalization_loss]
@propagates_nonfinite
def generalization_loss(val_losses: ArrayLike) -> np.ndarray:
    """Prechelt's generalization loss: how far (in %) each epoch is above the best so far.

    ``GL(t) = 100 * (E_va(t) / E_opt(t) - 1)`` with ``E_opt(t) = min over t' <= t of E_va(t')``.
    Prechelt's criterion GL_alpha stops at the first epoch with ``GL(t) > alpha``.

    Parameters
    ----------
    val_losses : array_like, shape (E,)
        Validation loss after each epoch, all > 0 (a ratio to the best is meaningless otherwise).

    Returns
    -------
    ndarray, shape (E,)
        ``GL(t) >= 0``, 0 at every epoch that sets a new minimum; float dtype of ``val_losses``;
        ``inf`` where the ratio exceeds the dtype's range (e.g. after a best loss near 1e-38).

    Examples
    --------
    >>> generalization_loss([2.0, 1.0, 1.1, 1.5])  # best so far 2, 1, 1, 1: (0, 0, 10, 50) %
    array([ 0.,  0., 10., 50.])
    """
    losses = _as_curve(val_losses)
    if np.any(losses <= 0):
        raise ValueError(f"val_losses must be > 0 for a ratio to the best, found {losses[losses <= 0][0]}")
    # the lowest validation loss up to each epoch
    best_so_far = np.minimum.accumulate(losses)
    # relative excess over it, in percent (a ratio beyond the dtype's range is inf, without a warning)
    with np.errstate(over="ignore"):
        return 100 * (losses / best_so_far - 1)
# --8<-- [end:generalization_loss]
