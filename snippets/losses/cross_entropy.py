"""Cross-entropy losses: multi-class (from logits) and binary (from probabilities or logits)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import (
    as_class_indices,
    as_float_array,
    as_grad_out,
    as_probabilities,
    as_real_scalar,
    check_same_shape,
    propagates_nonfinite,
)
from snippets.activations.sigmoid import sigmoid
from snippets.activations.softmax import log_softmax, softmax

__all__ = [
    "cross_entropy",
    "cross_entropy_backward",
    "binary_cross_entropy",
    "binary_cross_entropy_backward",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_backward",
]


def _check_ce_inputs(logits: ArrayLike, target: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``(logits, target)`` for :func:`cross_entropy`.

    Returns the logits as a float array and the target either as class indices ``(N,)``
    (integer dtype) or as class probabilities ``(N, C)`` in the dtype of the logits.
    """
    logits = as_float_array(logits, "logits")
    if logits.ndim != 2 or logits.shape[0] == 0 or logits.shape[1] == 0:
        raise ValueError(f"logits must be a non-empty 2-D array (N, C), got shape {logits.shape}")
    n, c = logits.shape
    target = np.asarray(target)
    if target.ndim == 1:
        if target.shape[0] != n:
            raise ValueError(
                f"target of class indices must have shape ({n},) to match logits {logits.shape}, "
                f"got shape {target.shape}"
            )
        return logits, as_class_indices(target, c, "target")
    if target.ndim == 2:
        probs = as_float_array(target, "target")
        check_same_shape(logits, probs, "logits", "target")
        return logits, probs.astype(logits.dtype, copy=False)
    raise ValueError(
        f"target must be class indices (N,) or class probabilities (N, C) for logits {logits.shape}, "
        f"got shape {target.shape}"
    )


# --8<-- [start:cross_entropy]
@propagates_nonfinite
def cross_entropy(logits: ArrayLike, target: ArrayLike, label_smoothing: float = 0.0) -> np.floating:
    """Mean cross-entropy between the softmax of ``logits`` and ``target``.

    The same value as ``torch.nn.functional.cross_entropy(logits, target,
    label_smoothing=label_smoothing)``.

    Parameters
    ----------
    logits : array_like, shape (N, C)
        Unnormalised scores for N samples and C classes.
    target : array_like, shape (N,) or (N, C)
        Either integer class indices in ``[0, C)`` or class probabilities (soft labels).
    label_smoothing : float in [0, 1], default 0.0
        ε: the target is replaced by ``(1 - ε) * target + ε / C``, where an index target
        counts as its one-hot row.

    Returns
    -------
    numpy scalar
        ``-mean_n sum_c t[n, c] * log softmax(logits)[n, c]`` with ``t`` the (smoothed) target
        distribution; for indices and ε = 0 that is ``-mean_n log softmax(logits)[n, target[n]]``.
        In the float dtype of ``logits``.

    Examples
    --------
    >>> round(float(cross_entropy([[2.0, 0.0, 0.0]], [0])), 6)  # log(1 + 2 e^-2)
    0.239545
    >>> # ε = 0.3, C = 2, logits 0: every class has log p = -log 2, so the loss stays log 2
    >>> round(float(cross_entropy([[0.0, 0.0]], [1], label_smoothing=0.3)), 6)
    0.693147
    """
    logits, target = _check_ce_inputs(logits, target)
    eps = as_real_scalar(label_smoothing, "label_smoothing", low=0.0, high=1.0)
    c = logits.shape[1]
    # log p(c | x_n), computed stably from the logits in one step
    log_p = log_softmax(logits, axis=1)
    if target.ndim == 1:
        # pick log p of the true class in each row: -log p(y_n | x_n)
        nll = -log_p[np.arange(len(target)), target]
        if eps == 0:
            # no smoothing: a -inf logit of another class must not enter (0 * -inf is NaN)
            return np.mean(nll)
        # smoothing: weight 1 - ε on the true class, ε / C spread over all C classes
        return np.mean((1 - eps) * nll - eps / c * np.sum(log_p, axis=1))
    # soft labels, mixed with the uniform distribution: (1 - ε) t + ε / C
    target = (1 - eps) * target + eps / c
    # the expected negative log-probability under the target distribution
    return -np.mean(np.sum(target * log_p, axis=1))
# --8<-- [end:cross_entropy]


# --8<-- [start:cross_entropy_backward]
@propagates_nonfinite
def cross_entropy_backward(
    grad_out: ArrayLike, logits: ArrayLike, target: ArrayLike, label_smoothing: float = 0.0
) -> np.ndarray:
    """Gradient of :func:`cross_entropy` with respect to ``logits``.

    Parameters
    ----------
    grad_out : array_like, shape ()
        Upstream gradient of the scalar loss (1.0 when the loss is the final output).
    logits : array_like, shape (N, C)
    target : array_like, shape (N,) or (N, C)
    label_smoothing : float in [0, 1], default 0.0

    Returns
    -------
    ndarray, shape (N, C)
        ``grad_out * (softmax(logits) - t) / N`` with ``t = (1 - ε) onehot(target) + ε / C``
        (for probabilities: ``grad_out * (softmax(logits) * sum_c t - t) / N`` with
        ``t = (1 - ε) target + ε / C``).

    Examples
    --------
    >>> cross_entropy_backward(1.0, [[0.0, 0.0]], [1])
    array([[ 0.5, -0.5]])
    >>> # ε = 0.5, C = 2: t = (0.25, 0.75); p = (0.5, 0.5) -> p - t = (0.25, -0.25)
    >>> cross_entropy_backward(1.0, [[0.0, 0.0]], [1], label_smoothing=0.5)
    array([[ 0.25, -0.25]])
    """
    logits, target = _check_ce_inputs(logits, target)
    eps = as_real_scalar(label_smoothing, "label_smoothing", low=0.0, high=1.0)
    grad_out = as_grad_out(grad_out, (), logits.dtype)
    n, c = logits.shape
    p = softmax(logits, axis=1)
    if target.ndim == 1:
        # d(-sum_c t_c log p_c)/dz = p - t, with t = (1 - ε) onehot(y) + ε / C
        p -= eps / c
        p[np.arange(n), target] -= 1 - eps
        # times grad_out / N, in place
        p *= grad_out
        p /= n
        return p
    target = (1 - eps) * target + eps / c
    # rows of target need not sum to 1, so keep the general form p * sum(t) - t
    return grad_out * (p * np.sum(target, axis=1, keepdims=True) - target) / n
# --8<-- [end:cross_entropy_backward]


def _check_binary_inputs(
    first: ArrayLike, y: ArrayLike, first_name: str
) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``(p or z, y)``: same shape, non-empty, ``y`` in [0, 1] (and ``p`` too); ``y``
    cast to the dtype of the first.

    PyTorch's ``binary_cross_entropy`` raises for targets outside [0, 1] as well (a target of 2
    would make the loss negative); its ``_with_logits`` form does not check, but its formula
    assumes them too, so both forms refuse them here, forward and backward alike.
    """
    first = as_probabilities(first, first_name) if first_name == "p" else as_float_array(first, first_name)
    y = as_probabilities(y, "y")
    check_same_shape(first, y, first_name, "y")
    if first.size == 0:
        raise ValueError(f"{first_name} must not be empty, got shape {first.shape}")
    return first, y.astype(first.dtype, copy=False)


def _times(weight: np.ndarray, value: np.ndarray) -> np.ndarray:
    """``weight * value`` where a weight of exactly 0 gives 0, also for an infinite value.

    The term's limit: it is 0 for every finite value, so 0 * inf counts as 0 (IEEE says NaN).
    """
    out = np.zeros(np.broadcast_shapes(weight.shape, value.shape), dtype=np.result_type(weight, value))
    return np.multiply(weight, value, out=out, where=weight != 0)


# --8<-- [start:binary_cross_entropy]
@propagates_nonfinite
def binary_cross_entropy(p: ArrayLike, y: ArrayLike) -> np.floating:
    """Mean binary cross-entropy between predicted probabilities ``p`` and targets ``y``.

    Each log is clamped at -100, as in ``torch.nn.functional.binary_cross_entropy``, so
    ``p = 0`` or ``p = 1`` gives a large finite loss instead of ``inf``.

    Parameters
    ----------
    p : array_like, shape (*)
        Predicted probabilities in [0, 1] (e.g. the output of a sigmoid).
    y : array_like, shape (*)
        Targets in [0, 1], the same shape as ``p``.

    Returns
    -------
    numpy scalar
        ``-mean(y * log(p) + (1 - y) * log(1 - p))`` in the float dtype of ``p``.

    Raises
    ------
    ValueError
        If ``p`` or ``y`` holds a value outside [0, 1] (as PyTorch raises); NaN gives NaN.

    Examples
    --------
    >>> round(float(binary_cross_entropy([0.9, 0.2], [1.0, 0.0])), 6)  # -(log 0.9 + log 0.8) / 2
    0.164252
    """
    p, y = _check_binary_inputs(p, y, "p")
    with np.errstate(divide="ignore"):  # log(0) = -inf is expected: the clamp below catches it
        log_p = np.maximum(np.log(p), -100)
        log_1mp = np.maximum(np.log1p(-p), -100)
    return -np.mean(y * log_p + (1 - y) * log_1mp)
# --8<-- [end:binary_cross_entropy]


# --8<-- [start:binary_cross_entropy_backward]
@propagates_nonfinite
def binary_cross_entropy_backward(grad_out: ArrayLike, p: ArrayLike, y: ArrayLike) -> np.ndarray:
    """Gradient of :func:`binary_cross_entropy` with respect to ``p``.

    Parameters
    ----------
    grad_out : array_like, shape ()
        Upstream gradient of the scalar loss.
    p, y : array_like, shape (*)
        The forward inputs, both in [0, 1] (``ValueError`` otherwise, as in the forward pass).

    Returns
    -------
    ndarray, shape (*)
        ``grad_out * (p - y) / max(p * (1 - p), 1e-12) / p.size``; the floor on the denominator
        is PyTorch's, and keeps the gradient finite at p = 0 and p = 1.

    Examples
    --------
    >>> binary_cross_entropy_backward(1.0, [0.5], [1.0])
    array([-2.])
    """
    p, y = _check_binary_inputs(p, y, "p")
    grad_out = as_grad_out(grad_out, (), p.dtype)
    # d/dp [-(y log p + (1-y) log(1-p))] = (p - y) / (p (1 - p)), averaged over p.size terms
    return grad_out * (p - y) / np.maximum(p * (1 - p), 1e-12) / p.size
# --8<-- [end:binary_cross_entropy_backward]


# --8<-- [start:binary_cross_entropy_with_logits]
@propagates_nonfinite
def binary_cross_entropy_with_logits(z: ArrayLike, y: ArrayLike) -> np.floating:
    """Mean binary cross-entropy of ``sigmoid(z)`` against ``y``, computed from the logits ``z``.

    The same value as ``torch.nn.functional.binary_cross_entropy_with_logits(z, y)``,
    finite for every finite ``z``: no probability is ever formed, so none rounds to 0 or 1.

    Parameters
    ----------
    z : array_like, shape (*)
        Logits (any real numbers; ``+-inf`` give the loss's limits).
    y : array_like, shape (*)
        Targets in [0, 1], the same shape as ``z`` (``ValueError`` otherwise).

    Returns
    -------
    numpy scalar
        ``mean((1 - y) * max(z, 0) + y * max(-z, 0) + log(1 + exp(-|z|)))`` in the float dtype
        of ``z``. At ``z = +inf`` an element contributes its limit: 0 if ``y = 1``, ``inf``
        otherwise (and likewise at ``-inf`` with ``y = 0``); PyTorch gives NaN there.

    Examples
    --------
    >>> float(binary_cross_entropy_with_logits([1000.0], [0.0]))
    1000.0
    >>> float(binary_cross_entropy_with_logits([np.inf, -np.inf], [1.0, 0.0]))  # certain and right
    0.0
    >>> float(binary_cross_entropy_with_logits([np.inf], [0.0]))  # certain and wrong
    inf
    """
    z, y = _check_binary_inputs(z, y, "z")
    # -[y log s(z) + (1-y) log(1-s(z))] = (1-y) max(z,0) + y max(-z,0) + log(1 + e^-|z|): the
    # log of the larger of s(z), 1 - s(z) is -log(1 + e^-|z|), and the other one is that minus |z|.
    # Each weight multiplies a non-negative term, and a weight of 0 leaves 0 even at |z| = inf
    linear = _times(1 - y, np.maximum(z, 0)) + _times(y, np.maximum(-z, 0))
    return np.mean(linear + np.log1p(np.exp(-np.abs(z))))
# --8<-- [end:binary_cross_entropy_with_logits]


# --8<-- [start:binary_cross_entropy_with_logits_backward]
@propagates_nonfinite
def binary_cross_entropy_with_logits_backward(
    grad_out: ArrayLike, z: ArrayLike, y: ArrayLike
) -> np.ndarray:
    """Gradient of :func:`binary_cross_entropy_with_logits` with respect to ``z``.

    Parameters
    ----------
    grad_out : array_like, shape ()
        Upstream gradient of the scalar loss.
    z, y : array_like, shape (*)
        The forward inputs.

    Returns
    -------
    ndarray, shape (*)
        ``grad_out * (sigmoid(z) - y) / z.size``.

    Examples
    --------
    >>> binary_cross_entropy_with_logits_backward(1.0, [0.0, 0.0], [1.0, 0.0])
    array([-0.25,  0.25])
    """
    z, y = _check_binary_inputs(z, y, "z")
    grad_out = as_grad_out(grad_out, (), z.dtype)
    # the sigmoid's derivative cancels against the log's: d loss / dz = s(z) - y
    return grad_out * (sigmoid(z) - y) / z.size
# --8<-- [end:binary_cross_entropy_with_logits_backward]
