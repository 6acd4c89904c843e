"""Bidirectional RNN: one tanh RNN reads the sequence forwards, a second one backwards, and the
output at every step is the two hidden states side by side. Layout of
``torch.nn.RNN(..., bidirectional=True)`` (single layer, tanh)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, check_shape, propagates_nonfinite
from snippets.recurrent.backpropagation_through_time import rnn_backward
from snippets.recurrent.lstm import _as_common_float
from snippets.recurrent.recurrent_neural_network import _check_rnn, rnn

__all__ = ["bidirectional_rnn", "bidirectional_rnn_backward"]


def _check_bidirectional(
    x_seq: ArrayLike, h0: ArrayLike, *params: ArrayLike
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """x_seq (T, N, I), h0 (2, N, H) and the two directions' (w_ih, w_hh, b_ih, b_hh), all in one
    float dtype and checked against each other (each direction as :func:`rnn` checks it)."""
    names = ["w_ih", "w_hh", "b_ih", "b_hh", "w_ih_reverse", "w_hh_reverse", "b_ih_reverse", "b_hh_reverse"]
    arrays = _as_common_float(x_seq=x_seq, h0=h0, **dict(zip(names, params)))
    x_seq, h0, params = arrays[0], arrays[1], arrays[2:]
    if h0.ndim != 3 or h0.shape[0] != 2:
        raise ValueError(
            f"h0 must have shape (2, N, H): the initial states of the forward and the reverse "
            f"direction, got shape {h0.shape}"
        )
    forward, reverse = params[:4], params[4:]
    # each direction is an ordinary RNN; the reverse one's weights must fit the same sizes
    _check_rnn(x_seq, h0[0], *forward, names=("x_seq", "h0"))
    hidden, inputs = h0.shape[2], x_seq.shape[-1]
    for name, arr, shape, symbols in zip(
        names[4:], reverse, [(hidden, inputs), (hidden, hidden), (hidden,), (hidden,)],
        ["(H, I)", "(H, H)", "(H,)", "(H,)"],
    ):
        check_shape(arr, shape, name, symbols, f"hidden size H = {hidden} and input size I = {inputs}")
    return x_seq, h0, forward, reverse


# --8<-- [start:bidirectional_rnn]
@propagates_nonfinite
def bidirectional_rnn(
    x_seq: ArrayLike, h0: ArrayLike,
    w_ih: ArrayLike, w_hh: ArrayLike, b_ih: ArrayLike, b_hh: ArrayLike,
    w_ih_reverse: ArrayLike, w_hh_reverse: ArrayLike, b_ih_reverse: ArrayLike, b_hh_reverse: ArrayLike,
) -> tuple[np.ndarray, np.ndarray]:
    """A single-layer bidirectional tanh RNN, as ``torch.nn.RNN(I, H, bidirectional=True)``.

    The forward direction runs :func:`rnn` over x_1 ... x_T; the reverse direction, with its own
    weights, over x_T ... x_1. The output at step t concatenates the forward state after x_1..x_t
    and the reverse state after x_T..x_t, so every output has seen the whole sequence.

    Parameters
    ----------
    x_seq : array_like, shape (T, N, I)
        The inputs, time first (``batch_first=False``).
    h0 : array_like, shape (2, N, H)
        Initial states: ``h0[0]`` for the forward direction, ``h0[1]`` for the reverse one.
    w_ih, w_hh, b_ih, b_hh : array_like, shapes (H, I), (H, H), (H,), (H,)
        The forward direction (``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``).
    w_ih_reverse, w_hh_reverse, b_ih_reverse, b_hh_reverse : array_like
        The reverse direction (``weight_ih_l0_reverse`` ...), same shapes.

    Returns
    -------
    outputs : ndarray, shape (T, N, 2H)
        ``[forward h_t, reverse h_t]`` along the last axis, for t = 1 ... T.
    h_n : ndarray, shape (2, N, H)
        The final state of each direction: forward after x_T (``outputs[-1, :, :H]``), reverse
        after x_1 (``outputs[0, :, H:]``), as PyTorch returns them.

    Examples
    --------
    One unit, input weights 1 and recurrent weights 0 in both directions, no bias: each state is
    tanh of the current input alone, so both halves equal tanh(x_t) = tanh(0.5) = 0.4621, tanh(1) = 0.7616.

    >>> one, zero = np.ones((1, 1)), np.zeros(1)
    >>> out, h_n = bidirectional_rnn([[[0.5]], [[1.0]]], np.zeros((2, 1, 1)),
    ...                              one, 0 * one, zero, zero, one, 0 * one, zero, zero)
    >>> print(out[:, 0].round(4))
    [[0.4621 0.4621]
     [0.7616 0.7616]]
    """
    x_seq, h0, forward, reverse = _check_bidirectional(
        x_seq, h0, w_ih, w_hh, b_ih, b_hh, w_ih_reverse, w_hh_reverse, b_ih_reverse, b_hh_reverse
    )
    # forward direction: x_1 ... x_T
    out_f, h_f = rnn(x_seq, h0[0], *forward)
    # reverse direction: x_T ... x_1, its outputs flipped back to the time order of x
    out_r, h_r = rnn(x_seq[::-1], h0[1], *reverse)
    return np.concatenate([out_f, out_r[::-1]], axis=-1), np.stack([h_f, h_r])
# --8<-- [end:bidirectional_rnn]


# --8<-- [start:bidirectional_rnn_backward]
@propagates_nonfinite
def bidirectional_rnn_backward(
    grad_outputs: ArrayLike, grad_h_n: ArrayLike,
    x_seq: ArrayLike, h0: ArrayLike,
    w_ih: ArrayLike, w_hh: ArrayLike, b_ih: ArrayLike, b_hh: ArrayLike,
    w_ih_reverse: ArrayLike, w_hh_reverse: ArrayLike, b_ih_reverse: ArrayLike, b_hh_reverse: ArrayLike,
) -> tuple[np.ndarray, ...]:
    """Gradients of :func:`bidirectional_rnn` (both outputs) with respect to all ten inputs.

    Parameters
    ----------
    grad_outputs : array_like, shape (T, N, 2H)
        dL/doutputs.
    grad_h_n : array_like, shape (2, N, H)
        dL/dh_n (zeros when the loss reads only ``outputs``).
    x_seq, h0, w_ih, ..., b_hh_reverse
        The forward inputs, as in :func:`bidirectional_rnn`.

    Returns
    -------
    tuple of 10 ndarrays
        ``(dx_seq, dh0, dw_ih, dw_hh, db_ih, db_hh, dw_ih_reverse, dw_hh_reverse, db_ih_reverse,
        db_hh_reverse)``, each shaped like its input. ``dx_seq`` is the sum of the two
        directions' input gradients: every input feeds both.

    Examples
    --------
    The example of :func:`bidirectional_rnn`: each state is tanh(x_t), so dL/dx_t collects
    tanh'(x_t) = 1 - tanh(x_t)^2 once from each direction: 2 (1 - 0.4621^2) = 1.5729 and
    2 (1 - 0.7616^2) = 0.8399 for an upstream gradient of ones.

    >>> one, zero = np.ones((1, 1)), np.zeros(1)
    >>> grads = bidirectional_rnn_backward(np.ones((2, 1, 2)), np.zeros((2, 1, 1)),
    ...                                    [[[0.5]], [[1.0]]], np.zeros((2, 1, 1)),
    ...                                    one, 0 * one, zero, zero, one, 0 * one, zero, zero)
    >>> print(grads[0].ravel().round(4))
    [1.5729 0.8399]
    """
    x_seq, h0, forward, reverse = _check_bidirectional(
        x_seq, h0, w_ih, w_hh, b_ih, b_hh, w_ih_reverse, w_hh_reverse, b_ih_reverse, b_hh_reverse
    )
    t_steps, n, hidden = x_seq.shape[0], h0.shape[1], h0.shape[2]
    g = as_float_array(grad_outputs, "grad_outputs")
    check_shape(g, (t_steps, n, 2 * hidden), "grad_outputs", "(T, N, 2H)", f"T = {t_steps}, N = {n}, H = {hidden}")
    g_n = as_float_array(grad_h_n, "grad_h_n")
    check_shape(g_n, (2, n, hidden), "grad_h_n", "(2, N, H)", f"N = {n}, H = {hidden}")
    g, g_n = g.astype(x_seq.dtype, copy=False), g_n.astype(x_seq.dtype, copy=False)
    # split the output gradient by direction; h_n is the last state each direction computed
    g_f, g_r = g[..., :hidden].copy(), g[..., hidden:][::-1].copy()  # g_r in the reverse run's order
    if t_steps:
        g_f[-1] += g_n[0]
        g_r[-1] += g_n[1]
    # backpropagation through time in each direction separately
    dx_f, dh0_f, *d_forward = rnn_backward(g_f, x_seq, h0[0], *forward)
    dx_r, dh0_r, *d_reverse = rnn_backward(g_r, x_seq[::-1], h0[1], *reverse)
    if not t_steps:  # no step: h_n is h0 itself
        dh0_f, dh0_r = dh0_f + g_n[0], dh0_r + g_n[1]
    # every input feeds both directions: the reverse run saw x backwards
    return (dx_f + dx_r[::-1], np.stack([dh0_f, dh0_r]), *d_forward, *d_reverse)
# --8<-- [end:bidirectional_rnn_backward]
