"""Mutual information: how much knowing one variable tells about another, in nats."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, as_labels, check_same_shape, propagates_nonfinite

__all__ = ["mutual_information", "mutual_information_backward", "mutual_info_score"]


def _as_joint(joint: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Validate non-negative finite weights of shape (*, Kx, Ky) with positive sums; return
    (joint, its sum over the last two axes, kept)."""
    p = as_float_array(joint, "joint")
    if p.ndim < 2:
        raise ValueError(f"joint must have shape (*, Kx, Ky): a table of X values by Y values, got shape {p.shape}")
    if p.shape[-2] == 0 or p.shape[-1] == 0:
        raise ValueError(f"joint must have at least one value of X and of Y, got shape {p.shape}")
    if np.any(p < 0):
        raise ValueError(f"joint must be non-negative, found {p[p < 0].ravel()[0]}")
    if np.any(np.isinf(p)):
        raise ValueError(f"joint must be finite, found {p[np.isinf(p)].ravel()[0]}")
    s = np.sum(p, axis=(-2, -1), keepdims=True)
    if np.any(s == 0):
        raise ValueError(f"joint must have a positive sum: a table of joint (shape {p.shape}) is all zeros")
    return p, s


def _pmi(q: np.ndarray) -> np.ndarray:
    """Pointwise mutual information log(q_xy / (q_x q_y)) where q_xy > 0, and 0 elsewhere."""
    qx = np.sum(q, axis=-1, keepdims=True)  # marginal of X (rows)
    qy = np.sum(q, axis=-2, keepdims=True)  # marginal of Y (columns)
    pos = q > 0  # q_xy > 0 implies q_x > 0 and q_y > 0: no log(0) below
    # log q_xy - log q_x - log q_y: three logs, as the product q_x q_y can underflow to 0
    return np.where(pos, np.log(np.where(pos, q, 1)) - np.log(np.where(pos, qx, 1)) - np.log(np.where(pos, qy, 1)), 0)


# --8<-- [start:mutual_information]
@propagates_nonfinite
def mutual_information(joint: ArrayLike) -> np.ndarray:
    """Mutual information ``I(X; Y) = sum p(x, y) log(p(x, y) / (p(x) p(y)))`` of a joint pmf, in nats.

    Parameters
    ----------
    joint : array_like, shape (*, Kx, Ky)
        Non-negative weights of the pairs (x, y): a joint probability table, or counts (each table
        is divided by its sum first). ``0 log 0`` counts as 0.

    Returns
    -------
    ndarray or numpy scalar, shape (*)
        ``I >= 0``, 0 exactly when X and Y are independent, at most ``min(H(X), H(Y))``; the float
        dtype of ``joint``. NaN where a table holds NaN.

    Examples
    --------
    >>> round(float(mutual_information([[0.5, 0.0], [0.0, 0.5]])), 6)  # Y = X, a fair bit: ln 2
    0.693147
    >>> float(mutual_information([[0.1, 0.3], [0.15, 0.45]]))  # the outer product (0.4, 0.6) x (0.25, 0.75)
    0.0
    """
    p, s = _as_joint(joint)
    q = p / s
    # sum over the table of q_xy * pmi_xy; cells with q_xy = 0 contribute 0
    terms = q * _pmi(q)
    terms = np.where(np.isnan(q), q, terms)  # NaN in, NaN out (q > 0 is False for NaN)
    # a sum of rounded terms of an independent table can land at -1e-17: I >= 0, clip as scikit-learn
    return np.maximum(np.sum(terms, axis=(-2, -1)), 0)
# --8<-- [end:mutual_information]


# --8<-- [start:mutual_information_backward]
@propagates_nonfinite
def mutual_information_backward(grad_out: ArrayLike, joint: ArrayLike) -> np.ndarray:
    """Gradient of :func:`mutual_information` with respect to the (unnormalised) ``joint``.

    With ``s = sum(joint)``, ``q = joint / s`` and ``pmi = log(q_xy / (q_x q_y))``:
    ``dI/djoint_xy = (pmi_xy - I) / s``. At an empty cell (``joint_xy = 0``) the derivative is
    ``-inf`` (``q log q`` has an infinite slope at 0), so every cell must be positive here.

    Parameters
    ----------
    grad_out : array_like, shape (*)
        Upstream gradient dL/dI, one per table.
    joint : array_like, shape (*, Kx, Ky)
        The forward input, every entry > 0.

    Returns
    -------
    ndarray, shape (*, Kx, Ky)
        dL/djoint.

    Examples
    --------
    >>> mutual_information_backward(1.0, [[1.0, 1.0], [1.0, 1.0]])  # independent: pmi = 0, I = 0
    array([[0., 0.],
           [0., 0.]])
    """
    p, s = _as_joint(joint)
    if np.any(p == 0):
        raise ValueError(
            f"joint must be positive everywhere for the gradient (it is -inf at an empty cell), "
            f"found a 0 at index {np.argwhere(p == 0)[0].tolist()} of shape {p.shape}"
        )
    q = p / s
    pmi = _pmi(q)
    mi = np.sum(q * pmi, axis=(-2, -1), keepdims=True)
    g = as_grad_out(grad_out, p.shape[:-2], p.dtype)[..., np.newaxis, np.newaxis]
    # dI/dq_xy = pmi_xy - 1, then through q = p / s: subtract the q-weighted mean, divide by s
    return g * (pmi - mi) / s
# --8<-- [end:mutual_information_backward]


# --8<-- [start:mutual_info_score]
def mutual_info_score(labels_true: ArrayLike, labels_pred: ArrayLike) -> np.float64:
    """Mutual information between two labellings of the same samples, in nats.

    The same value as ``sklearn.metrics.mutual_info_score(labels_true, labels_pred)``: the
    mutual information of the contingency table of label pairs, counted from the data. It is
    symmetric, ignores what the labels are called (renaming clusters changes nothing) and is 0
    when either labelling has a single class. Labels are integers or whole-valued floats (not
    strings, which scikit-learn also accepts).

    Parameters
    ----------
    labels_true : array_like of int, shape (N,)
        One labelling (e.g. the ground-truth classes), N >= 1.
    labels_pred : array_like of int, shape (N,)
        The other (e.g. cluster assignments).

    Returns
    -------
    numpy.float64
        ``I >= 0``, at most ``min(H(labels_true), H(labels_pred))``.

    Examples
    --------
    >>> round(float(mutual_info_score([0, 0, 1, 1], [5, 5, 7, 7])), 6)  # a renaming: I = H = ln 2
    0.693147
    >>> float(mutual_info_score([0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0]))  # independent: 0
    0.0
    """
    a = as_labels(labels_true, "labels_true")
    b = as_labels(labels_pred, "labels_pred")
    if a.ndim != 1:
        raise ValueError(f"labels_true must be 1-D, got shape {a.shape}")
    if b.ndim != 1:
        raise ValueError(f"labels_pred must be 1-D, got shape {b.shape}")
    check_same_shape(a, b, "labels_true", "labels_pred")
    if a.size == 0:
        raise ValueError("labels_true and labels_pred must not be empty, got shape (0,)")
    # class codes 0..Kx-1 and 0..Ky-1, then the non-empty cells of the contingency table
    _, i = np.unique(a, return_inverse=True)
    _, j = np.unique(b, return_inverse=True)
    row, col = np.bincount(i).astype(np.float64), np.bincount(j).astype(np.float64)
    cells, n_ij = np.unique(i * len(col) + j, return_counts=True)
    n_ij = n_ij.astype(np.float64)
    a_i, b_j = row[cells // len(col)], col[cells % len(col)]
    n = float(a.size)
    # sum over cells of (n_ij / N) log(n_ij N / (a_i b_j)), grouped so that a single class gives 0 exactly
    terms = n_ij / n * ((np.log(n_ij) - np.log(a_i)) - (np.log(b_j) - np.log(n)))
    return np.maximum(np.sum(terms), 0.0)  # I >= 0: clip a rounding below 0, as scikit-learn
# --8<-- [end:mutual_info_score]
