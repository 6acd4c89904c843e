"""Greedy decoding: generate a sequence by appending, at every step, the single most probable next token."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from snippets._validate import as_callable_result, as_int, check_callable

__all__ = ["greedy_decode"]


def _next_log_probs(step_fn: Callable, prefix: list[int], vocab_size: int | None) -> np.ndarray:
    """Call ``step_fn`` on ``prefix`` (bos first) and check what it returns: a 1-D array of scores,
    one per token of the vocabulary (the same size at every step), no NaN, no +inf, not all -inf."""
    scores = as_callable_result(step_fn(np.asarray(prefix, dtype=np.int64)), "step_fn")
    if scores.ndim != 1 or scores.size == 0 or (vocab_size is not None and scores.size != vocab_size):
        expected = "a non-empty 1-D array" if vocab_size is None else f"shape ({vocab_size},)"
        raise ValueError(f"step_fn must return {expected} of log-probabilities (one per token), "
                         f"got shape {scores.shape} for a prefix of length {len(prefix)}")
    bad = np.isnan(scores) | (scores == np.inf)
    if np.any(bad):
        raise ValueError(f"step_fn must return log-probabilities without NaN or +inf, got {scores[bad][0]} "
                         f"for token {int(np.flatnonzero(bad)[0])} after a prefix of length {len(prefix)}")
    if np.all(scores == -np.inf):
        raise ValueError(f"step_fn gave every token log-probability -inf after a prefix of length {len(prefix)}: "
                         "no continuation is possible")
    return scores


# --8<-- [start:greedy_decode]
def greedy_decode(step_fn: Callable, bos_id: int, eos_id: int, max_len: int) -> list[int]:
    """Decode by taking the most probable next token at every step.

    Starting from ``[bos_id]``, call ``step_fn`` on the prefix, append the token with the
    largest log-probability, and repeat until ``eos_id`` is appended or ``max_len`` tokens are
    generated. A tie goes to the smallest token id (``np.argmax`` and ``torch.argmax`` both
    return the first maximum). It searches; it has no gradient.

    Parameters
    ----------
    step_fn : callable
        ``step_fn(prefix_ids) -> log_probs``: given the prefix so far (a 1-D int64 array that
        starts with ``bos_id``), the log-probabilities of the next token, shape ``(V,)``, the same
        V at every step. ``-inf`` forbids a token; NaN, ``+inf`` or all ``-inf`` raise ``ValueError``.
        Unnormalised scores (logits) give the same result: only their argmax is used.
    bos_id : int
        The start token, ``>= 0``; it begins every prefix and is not part of the output.
    eos_id : int
        The end token, in ``[0, V)``; decoding stops once it is generated.
    max_len : int
        The largest number of tokens to generate, ``>= 0``.

    Returns
    -------
    list of int
        The generated ids after ``bos_id``, at most ``max_len`` of them, ending with ``eos_id`` if
        it was produced.

    Examples
    --------
    >>> # a 3-token vocabulary (0 = bos, 1 = "a", 2 = eos): "a" is likelier twice, then eos
    >>> table = np.log([[0.1, 0.6, 0.3], [0.1, 0.5, 0.4], [0.1, 0.2, 0.7]])
    >>> greedy_decode(lambda prefix: table[len(prefix) - 1], bos_id=0, eos_id=2, max_len=5)
    [1, 1, 2]
    >>> greedy_decode(lambda prefix: table[len(prefix) - 1], bos_id=0, eos_id=2, max_len=2)  # cut short
    [1, 1]
    """
    step_fn = check_callable(step_fn, "step_fn")
    bos_id = as_int(bos_id, "bos_id", low=0)
    eos_id = as_int(eos_id, "eos_id", low=0)
    max_len = as_int(max_len, "max_len", low=0)
    prefix, vocab_size = [bos_id], None
    for _ in range(max_len):
        log_probs = _next_log_probs(step_fn, prefix, vocab_size)
        if vocab_size is None:
            vocab_size = log_probs.size
            if eos_id >= vocab_size:
                raise ValueError(f"eos_id must be a token of the vocabulary [0, {vocab_size}), got {eos_id}")
        # the one most probable continuation (first index on ties)
        token = int(np.argmax(log_probs))
        prefix.append(token)
        if token == eos_id:
            break
    return prefix[1:]
# --8<-- [end:greedy_decode]
