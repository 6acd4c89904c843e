"""Focal loss (Lin et al., RetinaNet): binary cross-entropy scaled down on well-classified examples."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_probabilities, as_real_scalar, check_same_shape, propagates_nonfinite
from snippets.losses._reduction import _check_reduction, _reduce, _unreduce
from snippets.losses.cross_entropy import _times

__all__ = ["sigmoid_focal_loss", "sigmoid_focal_loss_backward"]


def _check_focal(inputs, targets, alpha, gamma, reduction):
    """``inputs`` as floats, ``targets`` in [0, 1] of the same shape and dtype, the hyperparameters."""
    x = as_float_array(inputs, "inputs")
    t = as_probabilities(targets, "targets")
    check_same_shape(x, t, "inputs", "targets")
    alpha = as_real_scalar(alpha, "alpha", high=1.0)
    gamma = as_real_scalar(gamma, "gamma", low=0.0)
    return x, t.astype(x.dtype, copy=False), alpha, gamma, _check_reduction(reduction)


# --8<-- [start:focal_terms]
def _focal_terms(x: np.ndarray, t: np.ndarray, alpha: float, gamma: float):
    """The pieces of the focal loss, all from the logits (no probability is rounded to 0 or 1):
    the class weight a_t, the cross-entropy ce, log p, log(1 - p) and log m with m = 1 - p_t."""
    softplus_abs = np.log1p(np.exp(-np.abs(x)))
    # log p = -softplus(-x), log(1 - p) = -softplus(x)
    log_p = -(np.maximum(-x, 0) + softplus_abs)
    log_1mp = -(np.maximum(x, 0) + softplus_abs)
    # binary cross-entropy with logits; a target weight of exactly 0 leaves 0 even at |x| = inf
    ce = _times(1 - t, np.maximum(x, 0)) + _times(t, np.maximum(-x, 0)) + softplus_abs
    # m = 1 - p_t = p (1 - t) + (1 - p) t, the probability given to the wrong answer, as a log
    with np.errstate(divide="ignore"):  # log 0 for a hard target 0 or 1: that term drops out
        log_m = np.logaddexp(log_p + np.log1p(-t), log_1mp + np.log(t))
    # alpha_t = alpha for positives, 1 - alpha for negatives; alpha < 0 switches it off
    a_t = alpha * t + (1 - alpha) * (1 - t) if alpha >= 0 else np.ones_like(x)
    return a_t, ce, log_p, log_1mp, log_m
# --8<-- [end:focal_terms]


# --8<-- [start:sigmoid_focal_loss]
@propagates_nonfinite
def sigmoid_focal_loss(
    inputs: ArrayLike, targets: ArrayLike, alpha: float = 0.25, gamma: float = 2.0, reduction: str = "none"
) -> np.ndarray:
    """Sigmoid focal loss ``-a_t (1 - p_t)^gamma log p_t``, as ``torchvision.ops.sigmoid_focal_loss``.

    Parameters
    ----------
    inputs : array_like, shape (*)
        Logits, one per binary decision (an anchor and a class, in object detection).
    targets : array_like, shape (*)
        Binary labels (0 or 1; soft labels in [0, 1] are accepted, as torchvision does).
    alpha : float <= 1, default 0.25
        Weight of the positives (``1 - alpha`` for the negatives); a negative alpha means no weighting.
    gamma : float >= 0, default 2.0
        The focusing parameter: gamma = 0 is (alpha-weighted) binary cross-entropy.
    reduction : {"none", "mean", "sum"}, default "none"
        torchvision's default is "none": one loss per element.

    Returns
    -------
    ndarray of shape (*), or a numpy scalar for "mean" and "sum"
        ``a_t * (1 - p_t)**gamma * bce_with_logits(inputs, targets)`` with ``p = sigmoid(inputs)``,
        ``p_t = p t + (1 - p)(1 - t)``, ``a_t = alpha t + (1 - alpha)(1 - t)``. In the float dtype
        of ``inputs``. Computed in log space: where torchvision's ``1 - p_t`` rounds to 0 (|x| > 17
        in float32), this keeps the tiny but non-zero value.

    Examples
    --------
    >>> # x = 0: p = 1/2, so (1 - p_t)^2 = 1/4 and ce = log 2; a positive is weighted 0.25
    >>> sigmoid_focal_loss([0.0, 0.0], [1.0, 0.0]).round(6)  # 0.25 log 2 / 4, 0.75 log 2 / 4
    array([0.043322, 0.129965])
    """
    x, t, alpha, gamma, reduction = _check_focal(inputs, targets, alpha, gamma, reduction)
    a_t, ce, _, _, log_m = _focal_terms(x, t, alpha, gamma)
    # the modulating factor (1 - p_t)^gamma, 1 for gamma = 0 (also where 1 - p_t = 0)
    focus = np.exp(gamma * log_m) if gamma > 0 else np.ones_like(x)
    return _reduce(a_t * _times(focus, ce), reduction, "inputs")
# --8<-- [end:sigmoid_focal_loss]


# --8<-- [start:sigmoid_focal_loss_backward]
@propagates_nonfinite
def sigmoid_focal_loss_backward(
    grad_out: ArrayLike,
    inputs: ArrayLike,
    targets: ArrayLike,
    alpha: float = 0.25,
    gamma: float = 2.0,
    reduction: str = "none",
) -> np.ndarray:
    """Gradient of :func:`sigmoid_focal_loss` with respect to ``inputs``.

    Parameters
    ----------
    grad_out : array_like, shape (*) for "none", () otherwise
        Upstream gradient of the loss.
    inputs, targets, alpha, gamma, reduction
        As in :func:`sigmoid_focal_loss`.

    Returns
    -------
    ndarray, shape (*)
        ``a_t [(p - t) m^gamma + gamma ce m^(gamma-1) p (1 - p)(1 - 2t)]`` with ``m = 1 - p_t``,
        times the upstream gradient; the second term is formed as one exponential of a sum of logs,
        which cannot overflow.

    Examples
    --------
    >>> # x = 0, t = 1: a_t [(1/2 - 1) / 4 + 2 log 2 (1/2)(1/4)(-1)] = 0.25 (-0.125 - 0.173287)
    >>> sigmoid_focal_loss_backward([1.0], [0.0], [1.0]).round(6)
    array([-0.074572])
    """
    x, t, alpha, gamma, reduction = _check_focal(inputs, targets, alpha, gamma, reduction)
    g = _unreduce(grad_out, x.shape, reduction, x.dtype, "inputs")
    a_t, ce, log_p, log_1mp, log_m = _focal_terms(x, t, alpha, gamma)
    p_minus_t = np.exp(log_p) - t
    if gamma == 0:
        # plain (weighted) binary cross-entropy: d ce / dx = p - t
        return g * a_t * p_minus_t
    # d/dx [m^gamma ce] = m^gamma (p - t) + gamma ce m^(gamma - 1) dm/dx, dm/dx = p (1 - p)(1 - 2t);
    # gamma m^(gamma-1) p (1 - p) = gamma exp((gamma - 1) log m + log p + log(1 - p)) <= gamma
    focus = np.exp(gamma * log_m)
    slope = gamma * np.exp((gamma - 1) * log_m + log_p + log_1mp) * (1 - 2 * t)
    return g * a_t * (focus * p_minus_t + _times(slope, ce))
# --8<-- [end:sigmoid_focal_loss_backward]
