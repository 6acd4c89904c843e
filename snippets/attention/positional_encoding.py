"""Sinusoidal positional encoding: a fixed vector per position, made of sines and cosines of
geometrically spaced frequencies, added to token embeddings so that attention can tell order."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["sinusoidal_positional_encoding"]


def _check_size(value: object, name: str, minimum: int) -> int:
    """A non-negative (or positive) integer size, as a Python int."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        kind = "positive" if minimum > 0 else "non-negative"
        raise ValueError(f"{name} must be a {kind} integer, got {value}")
    return int(value)


# --8<-- [start:sinusoidal_positional_encoding]
def sinusoidal_positional_encoding(seq_len: int, d_model: int) -> np.ndarray:
    """The sinusoidal positional encoding of "Attention Is All You Need" (Vaswani et al., 2017).

    ``PE[pos, 2i] = sin(pos / 10000^(2i / d_model))`` and
    ``PE[pos, 2i + 1] = cos(pos / 10000^(2i / d_model))``.

    Parameters
    ----------
    seq_len : int
        Number of positions (0, 1, ..., seq_len - 1); non-negative.
    d_model : int
        Size of each encoding (the embedding size); positive. For an odd ``d_model`` the formula
        is applied column by column, so the last column is a sine without its cosine partner.

    Returns
    -------
    ndarray of float64, shape (seq_len, d_model)
        Values in [-1, 1]; row ``pos`` is added to the embedding of the token at ``pos``.

    Examples
    --------
    With d_model = 4 the frequencies are 1 and 1/10000^(2/4) = 1/100, so position 0 is
    (sin 0, cos 0, sin 0, cos 0) and position 100 is (sin 100, cos 100, sin 1, cos 1).

    >>> pe = sinusoidal_positional_encoding(101, 4)
    >>> pe[0]
    array([0., 1., 0., 1.])
    >>> np.allclose(pe[100], [np.sin(100), np.cos(100), np.sin(1), np.cos(1)])
    True
    """
    seq_len = _check_size(seq_len, "seq_len", 0)
    d_model = _check_size(d_model, "d_model", 1)
    # column c belongs to pair i = c // 2, whose angular frequency is 10000^(-2i / d_model)
    pair = np.arange(d_model) // 2
    frequency = np.exp(-(2 * pair / d_model) * math.log(10000.0))
    # one angle per (position, column): pos * omega_i
    angle = np.arange(seq_len, dtype=np.float64)[:, None] * frequency[None, :]
    # even columns take the sine, odd columns the cosine of the same angle
    return np.where(np.arange(d_model) % 2 == 0, np.sin(angle), np.cos(angle))
# --8<-- [end:sinusoidal_positional_encoding]
