"""Backpropagation through time (BPTT): the gradient of a loss on a recurrent network's outputs,
by unrolling the network over the sequence and applying backpropagation to the unrolled graph."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, check_shape, propagates_nonfinite
from snippets.recurrent.recurrent_neural_network import _check_rnn, rnn

__all__ = ["rnn_backward"]


# --8<-- [start:rnn_backward]
@propagates_nonfinite
def rnn_backward(
    grad_outputs: ArrayLike,
    x_seq: ArrayLike, h0: ArrayLike,
    w_ih: ArrayLike, w_hh: ArrayLike, b_ih: ArrayLike, b_hh: ArrayLike,
) -> tuple[np.ndarray, ...]:
    """Gradients of a loss on every output of :func:`rnn`, by backpropagation through time.

    Parameters
    ----------
    grad_outputs : array_like, shape (T, N, H)
        dL/dh_t for every output h_1 ... h_T of ``rnn`` (the first of its two results). A loss on
        the final state alone puts its gradient in ``grad_outputs[-1]`` and zeros elsewhere.
    x_seq, h0, w_ih, w_hh, b_ih, b_hh
        The forward inputs, as in :func:`rnn`.

    Returns
    -------
    tuple of 6 ndarrays
        ``(dx_seq, dh0, dw_ih, dw_hh, db_ih, db_hh)``, each shaped like its input. The weight and
        bias gradients are sums over all time steps (the weights are shared); ``db_ih`` equals
        ``db_hh``.

    Examples
    --------
    One unit, all weights 0 except w_hh = 1/2 and h0 = 0: every state is tanh(0) = 0, tanh' = 1,
    so with dL/dh_2 = 1 (and dL/dh_1 = 0) step 2 sends back dh_1 = 1/2, and step 1 sends
    dh0 = 1/4. The bias sees 1 at step 2 and 1/2 at step 1.

    >>> grads = rnn_backward([[[0.0]], [[1.0]]], np.zeros((2, 1, 1)), [[0.0]], [[0.0]], [[0.5]], [0.0], [0.0])
    >>> print(grads[1], grads[4])
    [[0.25]] [1.5]
    """
    x_seq, h0, w_ih, w_hh, b_ih, b_hh = _check_rnn(x_seq, h0, w_ih, w_hh, b_ih, b_hh, names=("x_seq", "h0"))
    t_steps, n, hidden = x_seq.shape[0], h0.shape[0], h0.shape[1]
    g = as_float_array(grad_outputs, "grad_outputs")
    check_shape(g, (t_steps, n, hidden), "grad_outputs", "(T, N, H)", f"T = {t_steps}, N = {n}, H = {hidden} (the shape of outputs)")
    g = g.astype(x_seq.dtype, copy=False)
    # forward pass, keeping every state: h_prev[t] = h_{t-1}, outputs[t] = h_t
    outputs, _ = rnn(x_seq, h0, w_ih, w_hh, b_ih, b_hh)
    h_prev = np.concatenate([h0[None], outputs], axis=0)[:-1]
    # backward through time: the only sequential part is the gradient on the state
    da = np.empty_like(outputs)
    dh = np.zeros_like(h0)                       # what step t + 1 sends back to h_t
    for t in reversed(range(t_steps)):
        # h_t is read by the loss at step t and by step t + 1: the two gradients add
        da[t] = (g[t] + dh) * (1 - outputs[t] * outputs[t])   # through tanh
        dh = da[t] @ w_hh                        # to h_{t-1}, through the recurrent weights
    # every step's share of the shared weights' gradient, summed over time and batch at once
    db = da.sum(axis=(0, 1))
    dw_ih = np.einsum("tnh,tni->hi", da, x_seq)
    dw_hh = np.einsum("tnh,tnk->hk", da, h_prev)
    return da @ w_ih, dh, dw_ih, dw_hh, db, db.copy()
# --8<-- [end:rnn_backward]
