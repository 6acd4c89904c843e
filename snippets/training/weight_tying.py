"""Weight tying: one (vocab_size, d_model) matrix is both the input embedding table and the output
projection of a language model, ``logits = h E^T``; its gradient is the sum of both uses."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_class_indices, as_float_array, check_shape, propagates_nonfinite
from snippets.layers.embedding import embedding_backward
from snippets.layers.fully_connected_layer import linear, linear_backward

__all__ = ["tied_lm_logits", "tied_lm_logits_backward", "tied_embedding_grad"]


def _check_tied(h: ArrayLike, embedding: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``h`` (*, d_model) and ``embedding`` (vocab_size, d_model) in one float dtype."""
    h, embedding = as_float_array(h, "h"), as_float_array(embedding, "embedding")
    if embedding.ndim != 2:
        raise ValueError(
            f"embedding must be a 2-D array (vocab_size, d_model), got shape {embedding.shape}"
        )
    if h.ndim == 0 or h.shape[-1] != embedding.shape[1]:
        raise ValueError(
            f"h must have shape (*, d_model) with d_model = {embedding.shape[1]} as in embedding of "
            f"shape {embedding.shape}, got {h.shape}"
        )
    dtype = np.result_type(h, embedding)
    return h.astype(dtype, copy=False), embedding.astype(dtype, copy=False)


# --8<-- [start:tied_lm_logits]
@propagates_nonfinite
def tied_lm_logits(h: ArrayLike, embedding: ArrayLike) -> np.ndarray:
    """Next-token logits from the embedding table itself: ``h E^T``, one score per vocabulary entry.

    The same as ``F.linear(h, embedding)`` where ``embedding`` is the ``nn.Embedding.weight`` the
    model looks its input tokens up in (``lm_head.weight = embed.weight`` in PyTorch).

    Parameters
    ----------
    h : array_like, shape (*, d_model)
        The final hidden states, one row per position.
    embedding : array_like, shape (vocab_size, d_model)
        The shared table: row ``v`` is token ``v``'s input vector and its output weight vector.

    Returns
    -------
    ndarray, shape (*, vocab_size)
        ``logits[..., v] = h . E[v]``: a token scores high where the state points along its vector.

    Examples
    --------
    Two tokens with vectors (1, 0) and (0, 2): the state (3, 1) scores 3 and 2.

    >>> tied_lm_logits([3.0, 1.0], [[1.0, 0.0], [0.0, 2.0]])
    array([3., 2.])
    """
    h, embedding = _check_tied(h, embedding)
    # each token's score is the dot product of the state with that token's (shared) vector
    return linear(h, embedding)
# --8<-- [end:tied_lm_logits]


# --8<-- [start:tied_lm_logits_backward]
@propagates_nonfinite
def tied_lm_logits_backward(
    grad_out: ArrayLike, h: ArrayLike, embedding: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`tied_lm_logits` with respect to ``h`` and ``embedding``.

    The ``embedding`` gradient returned here is only the output projection's share; the table's
    full gradient adds what the input lookup sends back (:func:`tied_embedding_grad`).

    Parameters
    ----------
    grad_out : array_like, shape (*, vocab_size)
        Upstream gradient dL/dlogits.
    h, embedding
        The forward inputs, as in :func:`tied_lm_logits`.

    Returns
    -------
    dh : ndarray, shape (*, d_model)
        ``grad_out E``.
    dembedding : ndarray, shape (vocab_size, d_model)
        ``grad_out^T h``, summed over every leading axis.

    Examples
    --------
    >>> dh, dE = tied_lm_logits_backward([1.0, -1.0], [3.0, 1.0], [[1.0, 0.0], [0.0, 2.0]])
    >>> print(dh, dE.tolist())
    [ 1. -2.] [[3.0, 1.0], [-3.0, -1.0]]
    """
    h, embedding = _check_tied(h, embedding)
    dh, dembedding, _ = linear_backward(grad_out, h, embedding)
    return dh, dembedding
# --8<-- [end:tied_lm_logits_backward]


# --8<-- [start:tied_embedding_grad]
@propagates_nonfinite
def tied_embedding_grad(
    grad_embedded: ArrayLike, input_ids: ArrayLike, grad_logits: ArrayLike, h: ArrayLike
) -> np.ndarray:
    """The full gradient of a tied table: the input lookup's share plus the output projection's.

    In a model ``x = E[input_ids] -> ... -> h -> logits = h E^T`` the table ``E`` is used twice,
    so by the multivariable chain rule its gradient is the sum of the gradient through each use.
    This is what ``E.grad`` holds in PyTorch after ``backward()`` on a model with tied weights.

    Parameters
    ----------
    grad_embedded : array_like, shape (*, d_model)
        dL/dx, the gradient reaching the looked-up input vectors.
    input_ids : array_like of int, shape (*)
        The token ids that were looked up, in ``[0, vocab_size)``.
    grad_logits : array_like, shape (*', vocab_size)
        dL/dlogits at the output.
    h : array_like, shape (*', d_model)
        The final hidden states the logits were computed from.

    Returns
    -------
    ndarray, shape (vocab_size, d_model)
        Row ``v``: the sum of ``grad_embedded`` over every position holding token ``v``, plus
        ``sum over positions of grad_logits[..., v] * h``.

    Examples
    --------
    Token 0 is read once (gradient (1, 1) through the input); at the output, grad_logits = (1, 0)
    with h = (2, 0) adds (2, 0) to row 0 and nothing to row 1.

    >>> tied_embedding_grad([[1.0, 1.0]], [0], [[1.0, 0.0]], [[2.0, 0.0]]).tolist()
    [[3.0, 1.0], [0.0, 0.0]]
    """
    grad_logits = as_float_array(grad_logits, "grad_logits")
    h = as_float_array(h, "h")
    if grad_logits.ndim == 0 or h.ndim == 0 or h.shape[:-1] != grad_logits.shape[:-1]:
        raise ValueError(
            f"grad_logits (*, vocab_size) and h (*, d_model) must share their leading axes, got "
            f"shapes {grad_logits.shape} and {h.shape}"
        )
    vocab_size, d_model = grad_logits.shape[-1], h.shape[-1]
    ids = as_class_indices(input_ids, vocab_size, "input_ids")
    g_in = as_float_array(grad_embedded, "grad_embedded")
    check_shape(g_in, (*ids.shape, d_model), "grad_embedded", "(*input_ids.shape, d_model)",
                f"input_ids of shape {ids.shape} and h of shape {h.shape}")
    dtype = np.result_type(grad_logits, h, g_in)
    # output use: logits = h E^T, so dL/dE gets grad_logits^T h (summed over positions)
    g2, h2 = grad_logits.reshape(-1, vocab_size).astype(dtype), h.reshape(-1, d_model).astype(dtype)
    from_output = g2.T @ h2
    # input use: x = E[input_ids], so each row gets the gradients of the positions that read it
    from_input = embedding_backward(g_in.astype(dtype), ids, np.zeros((vocab_size, d_model), dtype))
    # one matrix, two uses: the chain rule adds the two contributions
    return from_input + from_output
# --8<-- [end:tied_embedding_grad]
