"""Triplet margin loss: an anchor should be closer to a positive than to a negative, by a margin."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_bool, as_float_array, as_real_scalar, check_same_shape, propagates_nonfinite
from snippets.losses._reduction import _check_reduction, _reduce, _unreduce

__all__ = ["triplet_margin_loss", "triplet_margin_loss_backward"]


def _check_triplet(anchor, positive, negative, margin, p, eps, swap, reduction):
    """The three embeddings as float arrays of one shape (D,) or (N, D) and one dtype, and the
    checked hyperparameters."""
    a = as_float_array(anchor, "anchor")
    pos = as_float_array(positive, "positive")
    neg = as_float_array(negative, "negative")
    if a.ndim not in (1, 2) or a.shape[-1] == 0:
        raise ValueError(f"anchor must be embeddings (D,) or (N, D) with D >= 1, got shape {a.shape}")
    check_same_shape(a, pos, "anchor", "positive")
    check_same_shape(a, neg, "anchor", "negative")
    dtype = np.result_type(a, pos, neg)
    margin = as_real_scalar(margin, "margin")
    p = as_real_scalar(p, "p", low=0.0, low_open=True)
    eps = as_real_scalar(eps, "eps")
    return (a.astype(dtype, copy=False), pos.astype(dtype, copy=False), neg.astype(dtype, copy=False),
            margin, p, eps, as_bool(swap, "swap"), _check_reduction(reduction))


# --8<-- [start:pairwise_distance]
def _pnorm(v: np.ndarray, p: float) -> np.ndarray:
    """``(sum |v|^p) ** (1/p)`` over the last axis, scaled by the largest |v| so that the
    powers can neither overflow nor underflow to 0."""
    a = np.abs(v)
    big = np.max(a, axis=-1, keepdims=True)
    safe = np.where(big > 0, big, 1)
    return big[..., 0] * np.sum((a / safe) ** p, axis=-1) ** (1 / p)


def _pnorm_grad(v: np.ndarray, norm: np.ndarray, p: float) -> np.ndarray:
    """d||v||_p / dv = sign(v) (|v| / ||v||)^(p - 1); 0 where v = 0 or the norm is 0."""
    safe = np.where(norm > 0, norm, 1)[..., None]
    ratio = np.abs(v) / safe
    with np.errstate(divide="ignore"):  # p < 1 and v = 0: 0^(p-1) = inf, masked just below
        power = ratio ** (p - 1)
    return np.where((v != 0) & (norm[..., None] > 0), np.sign(v) * power, 0 * v)
# --8<-- [end:pairwise_distance]


def _distances(a, pos, neg, p, eps, swap):
    """``d(a, p)``, ``d(a, n)``, ``d(p, n)`` (or None) as PyTorch's ``pairwise_distance``:
    the p-norm of ``x1 - x2 + eps``, the eps added to every component."""
    v_ap, v_an = a - pos + eps, a - neg + eps
    v_pn = pos - neg + eps if swap else None
    return v_ap, v_an, v_pn, _pnorm(v_ap, p), _pnorm(v_an, p), None if v_pn is None else _pnorm(v_pn, p)


# --8<-- [start:triplet_margin_loss]
@propagates_nonfinite
def triplet_margin_loss(
    anchor: ArrayLike,
    positive: ArrayLike,
    negative: ArrayLike,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    reduction: str = "mean",
) -> np.ndarray:
    """Triplet margin loss ``max(d(a, p) - d(a, n) + margin, 0)``, as
    ``torch.nn.functional.triplet_margin_loss``.

    Parameters
    ----------
    anchor, positive, negative : array_like, shape (N, D) or (D,)
        Embeddings: each anchor, an example of the same identity, and one of another.
    margin : float, default 1.0
        How much farther the negative must be than the positive.
    p : float > 0, default 2
        The norm of the distance ``d(x, y) = ||x - y + eps||_p`` (PyTorch's ``pairwise_distance``).
    eps : float, default 1e-6
        Added to every component of the difference (PyTorch's convention), keeping the gradient
        finite when two embeddings coincide.
    swap : bool, default False
        Use ``min(d(a, n), d(p, n))`` as the negative distance (the "distance swap" of Balntas et al.).
    reduction : {"mean", "sum", "none"}, default "mean"

    Returns
    -------
    numpy scalar, or ndarray of shape (N,) (or ()) for ``reduction="none"``
        In the common float dtype of the inputs.

    Examples
    --------
    >>> # d(a, p) = |(3, 4)| = 5, d(a, n) = 5.5: 5 - 5.5 + 1 = 0.5
    >>> float(triplet_margin_loss([[0.0, 0.0]], [[3.0, 4.0]], [[0.0, 5.5]], eps=0.0))
    0.5
    >>> # swap: d(p, n) = |(3, -1.5)| = sqrt(11.25) < 5.5 is used instead: 6 - sqrt(11.25)
    >>> round(float(triplet_margin_loss([[0.0, 0.0]], [[3.0, 4.0]], [[0.0, 5.5]], eps=0.0, swap=True)), 6)
    2.645898
    """
    a, pos, neg, margin, p, eps, swap, reduction = _check_triplet(
        anchor, positive, negative, margin, p, eps, swap, reduction)
    _, _, _, d_ap, d_an, d_pn = _distances(a, pos, neg, p, eps, swap)
    if swap:
        # the harder of the two negative distances: from the anchor or from the positive
        d_an = np.minimum(d_an, d_pn)
    # the hinge on the distance gap
    return _reduce(np.maximum(d_ap - d_an + margin, 0), reduction, "anchor")
# --8<-- [end:triplet_margin_loss]


# --8<-- [start:triplet_margin_loss_backward]
@propagates_nonfinite
def triplet_margin_loss_backward(
    grad_out: ArrayLike,
    anchor: ArrayLike,
    positive: ArrayLike,
    negative: ArrayLike,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    reduction: str = "mean",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`triplet_margin_loss` with respect to ``anchor``, ``positive`` and ``negative``.

    Parameters
    ----------
    grad_out : array_like, shape (), or (N,) (or ()) for ``reduction="none"``
        Upstream gradient of the loss.
    anchor, positive, negative, margin, p, eps, swap, reduction
        As in :func:`triplet_margin_loss`.

    Returns
    -------
    (ndarray, ndarray, ndarray), each of the inputs' shape
        Where ``d(a, p) - d(a, n) + margin >= 0`` (PyTorch passes the gradient at 0 too):
        ``u(a - p) - u(a - n)``, ``-u(a - p)`` and ``u(a - n)`` times the upstream gradient, with
        ``u(v) = sign(v) (|v| / ||v||_p)^(p-1)`` the gradient of the norm (``v / ||v||`` for
        p = 2). With ``swap``, a negative distance taken from the positive moves its gradient
        there; a tie splits it in halves, as PyTorch's ``min``.

    Examples
    --------
    >>> da, dp, dn = triplet_margin_loss_backward(1.0, [[0.0, 0.0]], [[3.0, 4.0]], [[0.0, 5.0]], eps=0.0)
    >>> da, dp, dn  # unit vectors: u(a - p) = -(0.6, 0.8), u(a - n) = (0, -1)
    (array([[-0.6,  0.2]]), array([[0.6, 0.8]]), array([[ 0., -1.]]))
    """
    a, pos, neg, margin, p, eps, swap, reduction = _check_triplet(
        anchor, positive, negative, margin, p, eps, swap, reduction)
    v_ap, v_an, v_pn, d_ap, d_an, d_pn = _distances(a, pos, neg, p, eps, swap)
    g = _unreduce(grad_out, d_ap.shape, reduction, a.dtype, "anchor")
    # which negative distance the forward pass used: from the anchor (w_an) or the positive (w_pn)
    w_an = np.ones_like(d_an)
    if swap:
        w_an = np.where(d_pn < d_an, 0.0, np.where(d_pn == d_an, 0.5, 1.0)).astype(a.dtype)
        d_an = np.minimum(d_an, d_pn)
    # the hinge passes the upstream gradient where its argument is >= 0 (PyTorch's clamp_min)
    z = d_ap - d_an + margin
    g = np.where(z >= 0, g, np.where(np.isnan(z), np.nan, 0)).astype(a.dtype, copy=False)[..., None]
    u_ap = _pnorm_grad(v_ap, d_ap, p)
    u_an = _pnorm_grad(v_an, _pnorm(v_an, p), p) * w_an[..., None]
    grad_a = g * (u_ap - u_an)
    grad_p = -g * u_ap
    grad_n = g * u_an
    if swap:
        # -d(p, n) when it was the smaller: pushes the positive towards and the negative away
        u_pn = _pnorm_grad(v_pn, d_pn, p) * (1 - w_an)[..., None]
        grad_p = grad_p - g * u_pn
        grad_n = grad_n + g * u_pn
    return grad_a, grad_p, grad_n
# --8<-- [end:triplet_margin_loss_backward]
