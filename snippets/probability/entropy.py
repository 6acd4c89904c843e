"""Shannon entropy of a discrete distribution, in nats."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, check_axis, propagates_nonfinite

__all__ = ["entropy"]


def _as_distribution(p: ArrayLike, axis: int) -> tuple[np.ndarray, int]:
    """Validate non-negative, finite weights with a positive sum along ``axis``; return (p, axis)."""
    p = np.atleast_1d(as_float_array(p, "p"))
    axis = check_axis(axis, p.ndim, p.shape)
    if p.shape[axis] == 0:
        raise ValueError(f"p must have at least one outcome along axis {axis}, got shape {p.shape}")
    if np.any(p < 0):
        raise ValueError(f"p must be non-negative, found {p[p < 0].ravel()[0]}")
    if np.any(np.isinf(p)):
        raise ValueError(f"p must be finite, found {p[np.isinf(p)].ravel()[0]}")
    if np.any(np.sum(p, axis=axis) == 0):
        raise ValueError(f"p must have a positive sum along axis {axis}: a slice of p (shape {p.shape}) is all zeros")
    return p, axis


# --8<-- [start:entropy]
@propagates_nonfinite
def entropy(p: ArrayLike, axis: int = -1) -> np.ndarray:
    """Shannon entropy ``H(p) = -sum_i p_i log p_i`` (natural log: nats) along ``axis``.

    The same values as ``scipy.stats.entropy(p, axis=axis)``: ``p`` is first divided by its sum
    along ``axis``, so unnormalised counts or weights are accepted, and ``0 log 0`` counts as 0.
    Unlike scipy, negative or infinite entries and all-zero slices raise ``ValueError`` instead of
    returning -inf or NaN. Note that scipy's default axis is 0; here it is -1 (PyTorch's layout).

    Parameters
    ----------
    p : array_like, shape (*, K, *)
        Non-negative weights of K outcomes along ``axis`` (probabilities, or counts).
    axis : int, default -1
        The axis that holds the outcomes.

    Returns
    -------
    ndarray or numpy scalar, shape of ``p`` without ``axis``
        Entropies in [0, log K], in the float dtype of ``p``; NaN where a slice holds NaN.

    Examples
    --------
    >>> round(float(entropy([1, 1, 2])), 6)  # q = (1/4, 1/4, 1/2): 2 (ln 4)/4 + (ln 2)/2 = 1.5 ln 2
    1.039721
    >>> round(float(entropy([0.5, 0.5])), 6)  # a fair coin: ln 2 nats (one bit)
    0.693147
    """
    p, axis = _as_distribution(p, axis)
    # normalise along the axis: q = p / sum(p)
    q = p / np.sum(p, axis=axis, keepdims=True)
    # -q log q, with 0 log 0 = 0 (the limit); log of 1 where q = 0 avoids log(0) = -inf
    terms = np.where(q > 0, q * np.log(np.where(q > 0, q, 1)), 0)
    # NaN in, NaN out (q > 0 is False for NaN, which would otherwise hide it)
    terms = np.where(np.isnan(q), q, terms)
    return 0.0 - np.sum(terms, axis=axis)  # 0 - sum rather than -sum: a certain outcome gives +0, not -0
# --8<-- [end:entropy]
