"""Perplexity: the exponential of the mean cross-entropy, an "effective number of choices"."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import propagates_nonfinite
from snippets.losses.cross_entropy import cross_entropy

__all__ = ["perplexity"]


# --8<-- [start:perplexity]
@propagates_nonfinite
def perplexity(logits: ArrayLike, target: ArrayLike) -> np.floating:
    """Perplexity of class (token) predictions: ``exp(cross_entropy(logits, target))``.

    The same value as ``torch.exp(torch.nn.functional.cross_entropy(logits, target))``.

    Parameters
    ----------
    logits : array_like, shape (N, C)
        Unnormalised scores of C classes (a vocabulary) for N predictions (tokens).
    target : array_like of int, shape (N,)
        The true class of each prediction, in ``[0, C)``.

    Returns
    -------
    numpy scalar
        ``exp(-mean_n log softmax(logits)[n, target[n]])`` in [1, inf), in the float dtype of
        ``logits``; ``inf`` when the mean cross-entropy exceeds the log of the largest float.

    Examples
    --------
    >>> # uniform logits over 8 classes: cross-entropy log 8, perplexity 8
    >>> round(float(perplexity(np.zeros((3, 8)), [0, 5, 7])), 9)
    8.0
    """
    target = np.asarray(target)
    if target.ndim != 1:
        raise ValueError(f"target must be a 1-D array of class indices (N,), got shape {target.shape}")
    loss = cross_entropy(logits, target)
    # perplexity = exp(mean negative log-likelihood); beyond the float range it is inf
    with np.errstate(over="ignore"):
        return np.exp(loss)
# --8<-- [end:perplexity]
