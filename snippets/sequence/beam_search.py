"""Beam search: keep the k most probable partial sequences at every step instead of only the best one."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from snippets._validate import as_int, as_real_scalar, check_callable
from snippets.sequence.greedy_decoding import _next_log_probs

__all__ = ["beam_search"]


# --8<-- [start:beam_search]
def beam_search(
    step_fn: Callable,
    bos_id: int,
    eos_id: int,
    beam_size: int,
    max_len: int,
    length_penalty: float = 0.0,
) -> tuple[list[int], np.floating]:
    """The most probable sequence that a beam of ``beam_size`` hypotheses finds.

    Each step extends every live hypothesis by every token and keeps the ``beam_size`` best
    candidates by total log-probability (ties: the better parent, then the smaller token id). A
    kept candidate ending in ``eos_id`` is finished and leaves the beam, which shrinks by one
    (so ``beam_size=1`` is greedy decoding). After the beam empties or ``max_len`` tokens, the
    finished hypotheses and the unfinished ones of length ``max_len`` compete on
    ``total_log_prob / length ** length_penalty`` (length: generated ids, eos included). With
    ``beam_size >= V ** max_len`` nothing is pruned: the exact best sequence. No gradient.

    Parameters
    ----------
    step_fn : callable
        ``step_fn(prefix_ids) -> log_probs``: given a prefix (a 1-D int64 array starting with
        ``bos_id``), the log-probabilities of the next token, shape ``(V,)``, the same V at every
        step. ``-inf`` forbids a token; NaN, ``+inf`` or all ``-inf`` raise ``ValueError``.
    bos_id : int
        The start token, ``>= 0``; not part of the output.
    eos_id : int
        The end token, in ``[0, V)``.
    beam_size : int
        The number of hypotheses kept, ``>= 1``.
    max_len : int
        The largest number of tokens to generate, ``>= 0``.
    length_penalty : float, default 0.0
        The exponent alpha in ``[-10, 10]`` of the final ranking: 0 ranks by probability
        (favouring short sequences), 1 by the mean log-probability per token.

    Returns
    -------
    ids : list of int
        The generated ids after ``bos_id``, at most ``max_len``, ending with ``eos_id`` if the
        winner finished.
    total_log_prob : numpy scalar
        The winner's summed log-probability (not length-normalised), in the dtype of what
        ``step_fn`` returns (float64 for lists).

    Examples
    --------
    >>> # vocabulary 0 = eos, 1 = "a", 2 = "b"; bos = 3 only starts the prefix
    >>> def step(prefix):
    ...     if len(prefix) == 1:                      # first token: "a" 0.5, "b" 0.4, eos 0.1
    ...         return np.log([0.1, 0.5, 0.4])
    ...     if prefix[1] == 1:                        # after "a": unsure, 0.4 / 0.3 / 0.3
    ...         return np.log([0.4, 0.3, 0.3])
    ...     return np.log([0.9, 0.05, 0.05])          # after "b": eos 0.9
    >>> ids, logp = beam_search(step, bos_id=3, eos_id=0, beam_size=1, max_len=2)
    >>> ids, round(float(np.exp(logp)), 6)  # greedy: "a" (0.5), then eos (0.4): 0.2
    ([1, 0], 0.2)
    >>> ids, logp = beam_search(step, bos_id=3, eos_id=0, beam_size=2, max_len=2)
    >>> ids, round(float(np.exp(logp)), 6)  # "b" eos: 0.4 * 0.9 = 0.36 beats 0.5 * 0.4 = 0.2
    ([2, 0], 0.36)
    """
    step_fn = check_callable(step_fn, "step_fn")
    bos_id = as_int(bos_id, "bos_id", low=0)
    eos_id = as_int(eos_id, "eos_id", low=0)
    beam_size = as_int(beam_size, "beam_size", low=1)
    max_len = as_int(max_len, "max_len", low=0)
    alpha = as_real_scalar(length_penalty, "length_penalty", low=-10.0, high=10.0)
    beams: list[list[int]] = [[]]           # live hypotheses (generated ids), best first
    beam_scores = np.zeros(1)               # their total log-probabilities (float64)
    finished: list[tuple[list[int], float]] = []
    vocab_size, dtype = None, np.dtype(np.float64)
    for _ in range(max_len):
        if not beams:
            break
        rows = []
        for ids in beams:
            rows.append(_next_log_probs(step_fn, [bos_id, *ids], vocab_size))
            vocab_size, dtype = rows[-1].size, rows[-1].dtype
        if eos_id >= vocab_size:
            raise ValueError(f"eos_id must be a token of the vocabulary [0, {vocab_size}), got {eos_id}")
        # every (hypothesis, token) extension: its total log-probability, shape (B, V)
        candidates = beam_scores[:, None] + np.stack(rows).astype(np.float64)
        flat = candidates.ravel()
        # the beam_size best possible extensions (stable: ties keep parent order, then token id)
        order = np.argsort(-flat, kind="stable")[:beam_size]
        order = order[flat[order] > -np.inf]
        parents, tokens = np.divmod(order, vocab_size)
        new_beams, new_scores = [], []
        for parent, token, score in zip(parents, tokens, flat[order]):
            ids = [*beams[parent], int(token)]
            if token == eos_id:
                finished.append((ids, float(score)))  # leaves the beam: the beam shrinks
            else:
                new_beams.append(ids)
                new_scores.append(score)
        beams, beam_scores = new_beams, np.array(new_scores, dtype=np.float64)
    # finished hypotheses and the unfinished ones still alive compete on the penalised score
    pool = finished + list(zip(beams, beam_scores.tolist()))
    if max_len == 0:
        return [], dtype.type(0.0)
    lengths = np.array([len(ids) for ids, _ in pool], dtype=np.float64)
    totals = np.array([score for _, score in pool], dtype=np.float64)
    best = int(np.argmax(totals / lengths**alpha))
    return pool[best][0], dtype.type(totals[best])
# --8<-- [end:beam_search]
