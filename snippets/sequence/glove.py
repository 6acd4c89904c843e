"""GloVe (global vectors): word vectors fitted by weighted least squares to the logarithm of a
corpus's word-word co-occurrence counts."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import (
    as_bool,
    as_float_array,
    as_grad_out,
    as_int,
    as_real_scalar,
    check_shape,
    propagates_nonfinite,
)

__all__ = ["cooccurrence_matrix", "glove_weight", "glove_loss", "glove_loss_backward"]


# --8<-- [start:cooccurrence_matrix]
def cooccurrence_matrix(
    token_ids: ArrayLike, vocab_size: int, window_size: int, distance_weighting: bool = True
) -> np.ndarray:
    """Symmetric word-word co-occurrence counts within a window, as GloVe builds them.

    Parameters
    ----------
    token_ids : array_like of int, shape (L,)
        Token ids in ``[0, vocab_size)``.
    vocab_size, window_size : int >= 1
    distance_weighting : bool, default True
        GloVe's convention: a pair at distance d adds ``1/d``; False adds 1 (plain counts).

    Returns
    -------
    ndarray of float64, shape (V, V)
        ``X[i, j]``: (weighted) count of j in the windows of i; symmetric.

    Examples
    --------
    "a b a" with window 2: (a, b) at distance 1 twice, (a, a) at distance 2 in both directions.

    >>> cooccurrence_matrix([0, 1, 0], vocab_size=2, window_size=2)
    array([[1., 2.],
           [2., 0.]])
    """
    ids = np.asarray(token_ids)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"token_ids must hold integer token ids, got dtype {ids.dtype}")
    if ids.ndim != 1:
        raise ValueError(f"token_ids must be a 1-D sequence of token ids, got shape {ids.shape}")
    v = as_int(vocab_size, "vocab_size", low=1)
    w = as_int(window_size, "window_size", low=1)
    weighted = as_bool(distance_weighting, "distance_weighting")
    if ids.size and (ids.min() < 0 or ids.max() >= v):
        bad = ids[(ids < 0) | (ids >= v)][0]
        raise ValueError(f"token_ids contains id {bad}, outside the vocabulary [0, {v - 1}]")
    x = np.zeros((v, v))
    for d in range(1, min(w, len(ids) - 1) + 1):       # one vectorised pass per distance
        left, right = ids[:-d], ids[d:]
        # each pair counts in both directions: the window is symmetric
        np.add.at(x, (left, right), 1 / d if weighted else 1.0)
        np.add.at(x, (right, left), 1 / d if weighted else 1.0)
    return x
# --8<-- [end:cooccurrence_matrix]


def _check_weight_params(x_max, alpha) -> tuple[float, float]:
    return (as_real_scalar(x_max, "x_max", low=0.0, low_open=True),
            as_real_scalar(alpha, "alpha", low=0.0))


# --8<-- [start:glove_weight]
@propagates_nonfinite
def glove_weight(x: ArrayLike, x_max: float = 100.0, alpha: float = 0.75) -> np.ndarray:
    """GloVe's weighting function ``f(x) = min(1, (x / x_max) ** alpha)``.

    Parameters
    ----------
    x : array_like, any shape
        Co-occurrence counts, ``>= 0``.
    x_max : float > 0, default 100
        The count from which a pair gets full weight 1.
    alpha : float >= 0, default 0.75

    Returns
    -------
    ndarray, shape of x
        0 at x = 0, rising to 1 at ``x_max``, flat after it. A weight of data: no backward.

    Examples
    --------
    (1/16)^(3/4) = 1/8; 100 and beyond weigh 1; 0 weighs 0.

    >>> glove_weight([0.0, 6.25, 100.0, 1e4])
    array([0.   , 0.125, 1.   , 1.   ])
    """
    x = as_float_array(x, "x")
    if np.any(x < 0):
        raise ValueError(f"x must hold non-negative counts, found {x[x < 0].ravel()[0]}")
    x_max, alpha = _check_weight_params(x_max, alpha)
    # clip the ratio at 1 before the power: beyond x_max the weight is exactly 1; an absent pair
    # weighs 0 even for alpha = 0 (where 0 ** 0 would give 1)
    return np.where(x == 0, 0, np.minimum(x / x_max, 1) ** alpha).astype(x.dtype, copy=False)
# --8<-- [end:glove_weight]


def _check_glove(W, W_tilde, b, b_tilde, X):
    w = as_float_array(W, "W")
    if w.ndim != 2 or 0 in w.shape:
        raise ValueError(f"W must be a non-empty 2-D array (V, D), got shape {w.shape}")
    v = w.shape[0]
    wt = as_float_array(W_tilde, "W_tilde")
    check_shape(wt, w.shape, "W_tilde", "(V, D)", f"W of shape {w.shape}")
    bb = as_float_array(b, "b")
    check_shape(bb, (v,), "b", "(V,)", f"W of shape {w.shape}")
    bt = as_float_array(b_tilde, "b_tilde")
    check_shape(bt, (v,), "b_tilde", "(V,)", f"W of shape {w.shape}")
    x = as_float_array(X, "X")
    check_shape(x, (v, v), "X", "(V, V)", f"W of shape {w.shape}")
    if np.any(x < 0):
        raise ValueError(f"X must hold non-negative co-occurrence counts, found {x[x < 0][0]}")
    dtype = np.result_type(w, wt, bb, bt)
    return [a.astype(dtype, copy=False) for a in (w, wt, bb, bt, x)]


def _glove_residual(w, wt, bb, bt, x, x_max, alpha):
    """The weights f(X) and the residuals w_i . w~_j + b_i + b~_j - log X_ij, both 0 where X = 0."""
    present = x != 0                        # NaN counts as present: NaN in, NaN out
    f = np.where(present, np.minimum(x / x_max, 1) ** alpha, 0).astype(w.dtype, copy=False)
    # log X only where X > 0: the absent pairs' terms are 0 (f = 0), never 0 * inf
    log_x = np.log(np.where(present, x, 1))
    r = np.where(present, w @ wt.T + bb[:, None] + bt[None, :] - log_x, 0).astype(w.dtype, copy=False)
    return f, r


# --8<-- [start:glove_loss]
@propagates_nonfinite
def glove_loss(
    W: ArrayLike, W_tilde: ArrayLike, b: ArrayLike, b_tilde: ArrayLike, X: ArrayLike,
    x_max: float = 100.0, alpha: float = 0.75,
) -> np.floating:
    """GloVe's weighted least-squares objective (Pennington et al., 2014), summed over the pairs
    that co-occur.

    Parameters
    ----------
    W, W_tilde : array_like, shape (V, D)
        Word vectors and context vectors.
    b, b_tilde : array_like, shape (V,)
        Word and context biases.
    X : array_like, shape (V, V)
        Co-occurrence counts (:func:`cooccurrence_matrix`); not differentiable.
    x_max, alpha : float
        The weighting function's parameters (:func:`glove_weight`).

    Returns
    -------
    numpy scalar
        ``sum_{i, j : X_ij > 0} f(X_ij) (w_i . w~_j + b_i + b~_j - log X_ij)^2``: the paper's J,
        without the 1/2 of the reference C code.

    Examples
    --------
    One word, X = e^2 (log X = 2), f = (e^2 / 100)^(3/4) = e^(1.5 - 0.75 ln 100) = 0.141723;
    w . w~ = 1 and b + b~ = 0.5 leave a residual of -0.5, so J = f / 4.

    >>> round(float(glove_loss([[1.0]], [[1.0]], [0.25], [0.25], [[np.e ** 2]])), 5)
    0.03543
    """
    w, wt, bb, bt, x = _check_glove(W, W_tilde, b, b_tilde, X)
    x_max, alpha = _check_weight_params(x_max, alpha)
    f, r = _glove_residual(w, wt, bb, bt, x, x_max, alpha)
    return np.sum(f * r * r)
# --8<-- [end:glove_loss]


# --8<-- [start:glove_loss_backward]
@propagates_nonfinite
def glove_loss_backward(
    grad_out: ArrayLike, W: ArrayLike, W_tilde: ArrayLike, b: ArrayLike, b_tilde: ArrayLike, X: ArrayLike,
    x_max: float = 100.0, alpha: float = 0.75,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`glove_loss` with respect to ``W``, ``W_tilde``, ``b`` and ``b_tilde``.

    Parameters
    ----------
    grad_out : array_like, shape ()
    W, W_tilde, b, b_tilde, X, x_max, alpha
        As in :func:`glove_loss`.

    Returns
    -------
    tuple of 4 ndarrays
        With ``E = 2 f(X) * residual`` (V, V): ``(E @ W_tilde, E.T @ W, E.sum(1), E.sum(0))``.

    Examples
    --------
    The example of :func:`glove_loss`: E = 2 f (-0.5) = -f = -0.141723, times w~ = w = 1.

    >>> [g.round(6).tolist() for g in glove_loss_backward(1.0, [[1.0]], [[1.0]], [0.25], [0.25], [[np.e ** 2]])]
    [[[-0.141723]], [[-0.141723]], [-0.141723], [-0.141723]]
    """
    w, wt, bb, bt, x = _check_glove(W, W_tilde, b, b_tilde, X)
    x_max, alpha = _check_weight_params(x_max, alpha)
    g = as_grad_out(grad_out, (), w.dtype)
    f, r = _glove_residual(w, wt, bb, bt, x, x_max, alpha)
    # d/d(score_ij) of f r^2 is 2 f r; the score is w_i . w~_j + b_i + b~_j
    e = 2 * f * r * g
    return e @ wt, e.T @ w, np.sum(e, axis=1), np.sum(e, axis=0)
# --8<-- [end:glove_loss_backward]
