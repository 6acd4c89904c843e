"""Negative log-likelihood loss: the mean of -log p(true class), given log-probabilities."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_class_indices, as_float_array, as_grad_out, propagates_nonfinite

__all__ = ["nll_loss", "nll_loss_backward"]


def _check_nll_inputs(log_probs: ArrayLike, target: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``(log_probs, target)``: a non-empty (N, C) float array and N class indices."""
    log_probs = as_float_array(log_probs, "log_probs")
    if log_probs.ndim != 2 or log_probs.shape[0] == 0 or log_probs.shape[1] == 0:
        raise ValueError(f"log_probs must be a non-empty 2-D array (N, C), got shape {log_probs.shape}")
    n, c = log_probs.shape
    target = np.asarray(target)
    if target.shape != (n,):
        raise ValueError(
            f"target must hold one class index per row, shape ({n},) for log_probs {log_probs.shape}, "
            f"got shape {target.shape}"
        )
    return log_probs, as_class_indices(target, c, "target")


# --8<-- [start:nll_loss]
@propagates_nonfinite
def nll_loss(log_probs: ArrayLike, target: ArrayLike) -> np.floating:
    """Mean negative log-likelihood of the true classes.

    The same value as ``torch.nn.functional.nll_loss(log_probs, target)``. The input is not
    checked to be log-probabilities: the loss simply picks and negates one entry per row.

    Parameters
    ----------
    log_probs : array_like, shape (N, C)
        Log-probabilities of C classes for N samples, e.g. ``log_softmax(logits, axis=1)``.
    target : array_like of int, shape (N,)
        The true class of each sample, in ``[0, C)``.

    Returns
    -------
    numpy scalar
        ``-mean_n log_probs[n, target[n]]``, in the float dtype of ``log_probs``.

    Examples
    --------
    >>> # picks log 0.5 and log 0.25: -(log 0.5 + log 0.25) / 2 = 1.5 log 2
    >>> round(float(nll_loss(np.log([[0.5, 0.5], [0.75, 0.25]]), [0, 1])), 6)
    1.039721
    """
    log_probs, target = _check_nll_inputs(log_probs, target)
    # the log-likelihood of each sample is the entry of its true class
    picked = log_probs[np.arange(target.size), target]
    return -np.mean(picked)
# --8<-- [end:nll_loss]


# --8<-- [start:nll_loss_backward]
@propagates_nonfinite
def nll_loss_backward(grad_out: ArrayLike, log_probs: ArrayLike, target: ArrayLike) -> np.ndarray:
    """Gradient of :func:`nll_loss` with respect to ``log_probs``.

    Parameters
    ----------
    grad_out : array_like, shape ()
        Upstream gradient of the scalar loss.
    log_probs : array_like, shape (N, C)
    target : array_like of int, shape (N,)

    Returns
    -------
    ndarray, shape (N, C)
        ``-grad_out / N`` at ``[n, target[n]]`` and 0 everywhere else: only the picked entries
        reach the loss.

    Examples
    --------
    >>> nll_loss_backward(1.0, np.zeros((2, 3)), [2, 0])
    array([[ 0. ,  0. , -0.5],
           [-0.5,  0. ,  0. ]])
    """
    log_probs, target = _check_nll_inputs(log_probs, target)
    grad_out = as_grad_out(grad_out, (), log_probs.dtype)
    n = target.size
    grad = np.zeros_like(log_probs)
    # d(-mean_n a[n, y_n]) / d a[n, c] = -1/N if c = y_n, else 0
    grad[np.arange(n), target] = -grad_out / n
    return grad
# --8<-- [end:nll_loss_backward]
