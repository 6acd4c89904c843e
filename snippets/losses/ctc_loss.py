"""Connectionist temporal classification (CTC): the negative log-probability of a label sequence,
summed over every frame-by-frame alignment, by the forward-backward algorithm."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_bool, as_class_indices, as_float_array, as_grad_out, as_int, propagates_nonfinite
from snippets.losses._reduction import _check_reduction, _reduce, _unreduce

__all__ = ["ctc_loss", "ctc_loss_backward"]


def _check_ctc(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity):
    """Validate the arguments of :func:`ctc_loss` (shapes, integer lengths in range, no blank
    inside a target) and return them as arrays."""
    lp = as_float_array(log_probs, "log_probs")
    if lp.ndim != 3 or 0 in lp.shape:
        raise ValueError(f"log_probs must be a non-empty 3-D array (T, N, C), got shape {lp.shape}")
    t_max, n, c = lp.shape
    blank = as_int(blank, "blank", low=0, high=c - 1)
    tg = np.asarray(targets)
    if tg.ndim != 2 or tg.shape[0] != n:
        raise ValueError(f"targets must be padded label sequences (N, S) = ({n}, S) for log_probs {lp.shape}, "
                         f"got shape {tg.shape}")
    tg = as_class_indices(tg, c, "targets")
    lengths = []
    for name, value, high in (("input_lengths", input_lengths, t_max), ("target_lengths", target_lengths, tg.shape[1])):
        arr = np.asarray(value)
        if arr.dtype.kind not in "iu" or arr.shape != (n,):
            raise ValueError(f"{name} must be {n} integers (one per sequence), got {arr.dtype} of shape {arr.shape}")
        low = 1 if name == "input_lengths" else 0
        if np.any((arr < low) | (arr > high)):
            raise ValueError(f"{name} must lie in [{low}, {high}], found {arr[(arr < low) | (arr > high)][0]}")
        lengths.append(arr.astype(np.int64))
    in_len, tg_len = lengths
    inside = np.arange(tg.shape[1]) < tg_len[:, None]
    if np.any(inside & (tg == blank)):
        raise ValueError(f"targets must not contain the blank label {blank} within target_lengths")
    return lp, tg, in_len, tg_len, blank, _check_reduction(reduction), as_bool(zero_infinity, "zero_infinity")


def _logsumexp3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """log(e^a + e^b + e^c) element-wise; -inf where all three are -inf (no warning)."""
    m = np.maximum(np.maximum(a, b), c)
    m = np.where(np.isfinite(m), m, 0)  # all -inf: the sum below is 0 and its log -inf
    with np.errstate(divide="ignore"):
        return m + np.log(np.exp(a - m) + np.exp(b - m) + np.exp(c - m))


def _shift(x: np.ndarray, k: int) -> np.ndarray:
    """``x[..., s - k]`` along the last axis (k > 0: from the left, k < 0: from the right), -inf
    where that index falls outside."""
    out = np.full_like(x, -np.inf)
    if k > 0:
        out[..., k:] = x[..., :-k]
    else:
        out[..., :k] = x[..., -k:]
    return out


# --8<-- [start:ctc_forward]
def _ctc_alphas(lp: np.ndarray, tg: np.ndarray, in_len: np.ndarray, tg_len: np.ndarray, blank: int):
    """The forward variables log alpha (T, N, 2S+1) over the blank-extended targets, and the
    per-sequence negative log-likelihoods (N,)."""
    t_max, n, _ = lp.shape
    s_ext = 2 * tg.shape[1] + 1
    # the extended label sequence: blank, l1, blank, l2, ..., blank
    ext = np.full((n, s_ext), blank, dtype=np.int64)
    ext[:, 1::2] = tg
    # log y_t(l'_s): the log-probability of each extended label at each frame
    lp_ext = np.take_along_axis(lp, np.broadcast_to(ext, (t_max, n, s_ext)), axis=2)
    s = np.arange(s_ext)
    valid = s < 2 * tg_len[:, None] + 1
    # a label may be reached from two positions back unless it repeats the label there
    skip = (s % 2 == 1) & (s >= 2) & (ext != np.roll(ext, 2, axis=1))
    alpha = np.full((t_max, n, s_ext), -np.inf, dtype=lp.dtype)
    # a path starts with a blank or with the first label
    alpha[0][:, :2] = np.where(valid[:, :2], lp_ext[0][:, :2], -np.inf)
    for t in range(1, t_max):
        prev = alpha[t - 1]
        # stay on s, advance from s - 1, or skip a blank from s - 2
        step = _logsumexp3(prev, _shift(prev, 1), np.where(skip, _shift(prev, 2), -np.inf))
        alpha[t] = np.where(valid & (t < in_len[:, None]), lp_ext[t] + step, -np.inf)
    # a path ends on the last label or the blank after it, at the sequence's last frame
    rows = np.arange(n)
    last = alpha[in_len - 1, rows]
    end = 2 * tg_len
    log_p = np.logaddexp(last[rows, end], np.where(tg_len > 0, last[rows, np.maximum(end - 1, 0)], -np.inf))
    return alpha, -log_p, ext, lp_ext, skip, valid
# --8<-- [end:ctc_forward]


# --8<-- [start:ctc_loss]
@propagates_nonfinite
def ctc_loss(
    log_probs: ArrayLike,
    targets: ArrayLike,
    input_lengths: ArrayLike,
    target_lengths: ArrayLike,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> np.ndarray:
    """CTC loss, as ``torch.nn.functional.ctc_loss`` with padded targets.

    ``-log p(target | input)``, where ``p`` sums, over every alignment of length T_n that
    collapses to the target (merge repeats, then drop blanks), the product of the per-frame
    probabilities.

    Parameters
    ----------
    log_probs : array_like, shape (T, N, C)
        Log-probabilities per frame (e.g. a log-softmax over C classes, blank included), time first.
    targets : array_like of int, shape (N, S)
        Label sequences padded to length S; labels in ``[0, C)``, never ``blank`` within the target
        length. (PyTorch also takes one concatenated 1-D sequence; this function does not.)
    input_lengths : array_like of int, shape (N,)
        Frames used of each sequence, in ``[1, T]``.
    target_lengths : array_like of int, shape (N,)
        Labels used of each target, in ``[0, S]``.
    blank : int, default 0
        The index of the blank label.
    reduction : {"mean", "sum", "none"}, default "mean"
        "mean" divides each loss by its target length (at least 1), then averages over the
        batch, as PyTorch does.
    zero_infinity : bool, default False
        Replace infinite losses (no alignment fits in the frames) and their gradients by 0.

    Returns
    -------
    numpy scalar, or ndarray of shape (N,) for ``reduction="none"``
        In the float dtype of ``log_probs``; ``inf`` for a target that no alignment can produce.

    Examples
    --------
    >>> # 2 frames, uniform over (blank, a): the alignments aa, -a, a- give "a": p = 3/4
    >>> lp = np.log(np.full((2, 1, 2), 0.5))
    >>> round(float(ctc_loss(lp, [[1]], [2], [1])), 6)  # -log(3/4)
    0.287682
    """
    lp, tg, in_len, tg_len, blank, reduction, zero_inf = _check_ctc(
        log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity)
    _, nll, *_ = _ctc_alphas(lp, tg, in_len, tg_len, blank)
    if zero_inf:
        nll = np.where(nll == np.inf, 0, nll)
    if reduction == "mean":
        # PyTorch's mean: each loss per target label first, then the batch average
        return np.mean(nll / np.maximum(tg_len, 1).astype(lp.dtype))
    return _reduce(nll, reduction, "log_probs")
# --8<-- [end:ctc_loss]


# --8<-- [start:ctc_loss_backward]
@propagates_nonfinite
def ctc_loss_backward(
    grad_out: ArrayLike,
    log_probs: ArrayLike,
    targets: ArrayLike,
    input_lengths: ArrayLike,
    target_lengths: ArrayLike,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> np.ndarray:
    """Gradient of :func:`ctc_loss` with respect to ``log_probs``.

    Parameters
    ----------
    grad_out : array_like, shape (), or (N,) for ``reduction="none"``
        Upstream gradient of the loss.
    log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity
        As in :func:`ctc_loss`.

    Returns
    -------
    ndarray, shape (T, N, C)
        ``-g_n * gamma_t(c)``: minus the posterior probability that frame t emits label c, summed
        over the positions of c in the extended target (the forward-backward occupancy), for
        ``t < input_lengths[n]``, and 0 beyond. This is the true gradient with respect to the
        log-probabilities; PyTorch returns it plus ``g_n * exp(log_probs)``, which a preceding
        log-softmax cancels (each frame's occupancies sum to 1). NaN for an infinite loss,
        0 with ``zero_infinity``.

    Examples
    --------
    >>> lp = np.log(np.full((2, 1, 2), 0.5))
    >>> # of the three alignments aa, -a, a-, two emit "a" at each frame: occupancy 2/3, blank 1/3
    >>> ctc_loss_backward(1.0, lp, [[1]], [2], [1]).round(6)
    array([[[-0.333333, -0.666667]],
    <BLANKLINE>
           [[-0.333333, -0.666667]]])
    """
    lp, tg, in_len, tg_len, blank, reduction, zero_inf = _check_ctc(
        log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity)
    t_max, n, c = lp.shape
    alpha, nll, ext, lp_ext, skip, valid = _ctc_alphas(lp, tg, in_len, tg_len, blank)
    if reduction == "mean":
        g = as_grad_out(grad_out, (), lp.dtype) / n / np.maximum(tg_len, 1).astype(lp.dtype)
    else:
        g = _unreduce(grad_out, (n,), reduction, lp.dtype, "log_probs")
    # the backward variables log beta, from each sequence's last frame down to frame 0
    rows = np.arange(n)
    end = 2 * tg_len
    final = np.full((n, ext.shape[1]), -np.inf, dtype=lp.dtype)
    final[rows, end] = 0.0
    final[rows[tg_len > 0], end[tg_len > 0] - 1] = 0.0
    skip_next = _shift(skip.astype(float), -2) > 0  # may s + 2 be reached from s?
    beta = np.full_like(alpha, -np.inf)
    for t in range(t_max - 1, -1, -1):
        if t < t_max - 1:
            nxt = beta[t + 1]
            step = _logsumexp3(nxt, _shift(nxt, -1), np.where(skip_next, _shift(nxt, -2), -np.inf))
        else:
            step = np.full_like(final, -np.inf)
        here = np.where((t == in_len - 1)[:, None], final, np.where((t < in_len - 1)[:, None], step, -np.inf))
        beta[t] = np.where(valid, lp_ext[t] + here, -np.inf)
    # log occupancy of (t, s): alpha + beta counts y_t(l'_s) twice; divided by p = e^-nll
    no_path = (alpha == -np.inf) | (beta == -np.inf)  # NaN is neither: it propagates
    finite_nll = np.where(nll == np.inf, 0, nll)  # the impossible sequences are handled below
    with np.errstate(invalid="ignore"):  # -inf - (-inf) where no path passes: masked by no_path
        log_occ = np.where(no_path, -np.inf, alpha + beta - lp_ext + finite_nll[None, :, None])
    occ = np.exp(log_occ)
    # sum the occupancies of the positions that carry the same label c
    one_hot = (ext[:, :, None] == np.arange(c)).astype(lp.dtype)
    grad = -np.einsum("tns,nsc->tnc", occ, one_hot)
    # an impossible target: the loss is +inf whatever the input, its gradient undefined
    impossible = (nll == np.inf)[None, :, None] & (np.arange(t_max)[:, None, None] < in_len[None, :, None])
    grad = np.where(impossible, 0.0 if zero_inf else np.nan, grad)
    return (grad * g[None, :, None]).astype(lp.dtype, copy=False)
# --8<-- [end:ctc_loss_backward]
