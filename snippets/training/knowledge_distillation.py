"""Knowledge distillation: a student learns from a teacher's softened class probabilities."""

from __future__ import annotations

from typing import Any

import numpy as np

from snippets._validate import (
    as_class_indices,
    as_float_array,
    as_grad_out,
    as_real_scalar,
    check_same_shape,
    propagates_nonfinite,
)
from snippets.activations.softmax import log_softmax, softmax
from snippets.losses.cross_entropy import cross_entropy, cross_entropy_backward

__all__ = ["distillation_loss", "distillation_loss_backward"]


def _check_distillation_inputs(
    student_logits: Any, teacher_logits: Any, labels: Any, temperature: Any, alpha: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """Validate the arguments of :func:`distillation_loss`; the teacher in the student's dtype."""
    s = as_float_array(student_logits, "student_logits")
    if s.ndim != 2 or s.shape[0] == 0 or s.shape[1] == 0:
        raise ValueError(f"student_logits must be a non-empty 2-D array (N, C), got shape {s.shape}")
    t = as_float_array(teacher_logits, "teacher_logits")
    check_same_shape(s, t, "student_logits", "teacher_logits")
    y = np.asarray(labels)
    if y.shape != (s.shape[0],):
        raise ValueError(f"labels must have shape (N,) = ({s.shape[0]},) for student_logits {s.shape}, got {y.shape}")
    y = as_class_indices(y, s.shape[1], "labels")
    temperature = as_real_scalar(temperature, "temperature", low=0.0, low_open=True)
    alpha = as_real_scalar(alpha, "alpha", low=0.0, high=1.0)
    return s, t.astype(s.dtype, copy=False), y, temperature, alpha


# --8<-- [start:distillation_loss]
@propagates_nonfinite
def distillation_loss(
    student_logits: Any,
    teacher_logits: Any,
    labels: Any,
    temperature: float = 4.0,
    alpha: float = 0.9,
) -> np.floating:
    """Hinton et al.'s distillation loss: soft-target KL divergence plus hard-label cross-entropy.

    ``alpha * T^2 * KL(softmax(t / T) || softmax(s / T)) + (1 - alpha) * CE(s, labels)``,
    the KL divergence summed over classes and averaged over the batch. The ``T^2`` keeps the
    soft term's gradient the same size whatever the temperature. Equal to
    ``alpha * F.kl_div(F.log_softmax(s / T, 1), F.softmax(t / T, 1), reduction="batchmean") * T**2
    + (1 - alpha) * F.cross_entropy(s, labels)``. The teacher is a fixed target: no gradient flows
    into it.

    Parameters
    ----------
    student_logits : array_like, shape (N, C)
        Logits s of the model being trained.
    teacher_logits : array_like, shape (N, C)
        Logits t of the trained teacher on the same inputs.
    labels : array_like of int, shape (N,)
        True classes, each in ``[0, C)``.
    temperature : float, default 4.0
        Softening temperature T, ``> 0``; T = 1 gives the plain softmax.
    alpha : float, default 0.9
        Weight of the soft (teacher) term, in [0, 1]; ``1 - alpha`` weighs the hard labels.

    Returns
    -------
    numpy scalar
        The mean loss over the batch, in the float dtype of ``student_logits``.

    Examples
    --------
    >>> # the student copies the teacher, so the KL term is 0; the hard term is CE of logits
    >>> # (0, 0) against class 0: log 2, weighted by 1 - alpha = 0.5
    >>> distillation_loss(np.array([[0.0, 0.0]]), np.array([[0.0, 0.0]]), np.array([0]), alpha=0.5)
    np.float64(0.34657359027997264)
    """
    s, t, y, T, alpha = _check_distillation_inputs(student_logits, teacher_logits, labels, temperature, alpha)
    n = s.shape[0]
    # soft targets and the student's log-probabilities at temperature T
    log_p_t = log_softmax(t / T, axis=1)
    log_p_s = log_softmax(s / T, axis=1)
    # KL(p_t || p_s) = sum_c p_t (log p_t - log p_s); a class with p_t = 0 adds 0
    kl = np.sum(np.exp(log_p_t) * (log_p_t - log_p_s)) / n
    # the soft term times T^2, the hard term as usual
    return s.dtype.type(alpha * T * T * kl + (1.0 - alpha) * cross_entropy(s, y))
# --8<-- [end:distillation_loss]


# --8<-- [start:distillation_loss_backward]
@propagates_nonfinite
def distillation_loss_backward(
    grad_out: Any,
    student_logits: Any,
    teacher_logits: Any,
    labels: Any,
    temperature: float = 4.0,
    alpha: float = 0.9,
) -> np.ndarray:
    """Gradient of :func:`distillation_loss` with respect to ``student_logits``.

    ``grad_out * (alpha * T * (softmax(s / T) - softmax(t / T)) + (1 - alpha) * (softmax(s) -
    onehot(labels))) / N``: the chain rule through ``s / T`` takes one factor T from ``T^2``.

    Parameters
    ----------
    grad_out : array_like, shape ()
        Upstream gradient of the scalar loss.
    student_logits, teacher_logits, labels, temperature, alpha
        As for :func:`distillation_loss`.

    Returns
    -------
    ndarray, shape (N, C)
        Gradient with respect to ``student_logits``; each row sums to 0.

    Examples
    --------
    >>> # alpha = 1, T = 1: (softmax(s) - softmax(t)) / N = ((0.5, 0.5) - (1, 0)) / 1 for t -> (big, 0)
    >>> distillation_loss_backward(1.0, [[0.0, 0.0]], [[50.0, 0.0]], [0], temperature=1.0, alpha=1.0).round(6)
    array([[-0.5,  0.5]])
    """
    s, t, y, T, alpha = _check_distillation_inputs(student_logits, teacher_logits, labels, temperature, alpha)
    g = as_grad_out(grad_out, (), s.dtype)
    n = s.shape[0]
    # d(T^2 KL)/ds = T^2 * (p_s - p_t) / (T N): one T cancels against the 1/T of s / T
    soft = (softmax(s / T, axis=1) - softmax(t / T, axis=1)) * s.dtype.type(alpha * T / n)
    hard = cross_entropy_backward(s.dtype.type(1.0 - alpha), s, y)
    return g * (soft + hard)
# --8<-- [end:distillation_loss_backward]
