"""Recurrent neural network (Elman network): a hidden state updated from the previous state and
the current input by one tanh layer, with the same weights at every time step. Layout of
``torch.nn.RNNCell`` / ``torch.nn.RNN`` (single layer, ``nonlinearity="tanh"``)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import check_shape, propagates_nonfinite
from snippets.recurrent.lstm import _as_common_float, _check_state, _upstream

__all__ = ["rnn_cell", "rnn_cell_backward", "rnn"]


def _check_rnn(
    x: ArrayLike, h: ArrayLike,
    w_ih: ArrayLike, w_hh: ArrayLike, b_ih: ArrayLike, b_hh: ArrayLike,
    names: tuple[str, str] = ("x", "h"),
) -> list[np.ndarray]:
    """Validate the arguments of :func:`rnn_cell` (or, with names ``("x_seq", "h0")``, :func:`rnn`)."""
    x_name, h_name = names
    x, h, w_ih, w_hh, b_ih, b_hh = _as_common_float(
        **{x_name: x, h_name: h}, w_ih=w_ih, w_hh=w_hh, b_ih=b_ih, b_hh=b_hh
    )
    want = 3 if x_name == "x_seq" else 2
    if x.ndim != want:
        layout = "(T, N, I)" if want == 3 else "(N, I)"
        raise ValueError(f"{x_name} must be a {want}-D array {layout}, got shape {x.shape}")
    _check_state(h, x, h_name, x_name)
    hidden, inputs = h.shape[1], x.shape[-1]
    check_shape(w_ih, (hidden, inputs), "w_ih", "(H, I)", f"hidden size H = {hidden} and input size I = {inputs}")
    check_shape(w_hh, (hidden, hidden), "w_hh", "(H, H)", f"hidden size H = {hidden}")
    check_shape(b_ih, (hidden,), "b_ih", "(H,)", f"hidden size H = {hidden}")
    check_shape(b_hh, (hidden,), "b_hh", "(H,)", f"hidden size H = {hidden}")
    return [x, h, w_ih, w_hh, b_ih, b_hh]


# --8<-- [start:rnn_cell]
@propagates_nonfinite
def rnn_cell(
    x: ArrayLike, h: ArrayLike, w_ih: ArrayLike, w_hh: ArrayLike, b_ih: ArrayLike, b_hh: ArrayLike
) -> np.ndarray:
    """One step of a tanh RNN, as ``torch.nn.RNNCell`` computes it.

    Parameters
    ----------
    x : array_like, shape (N, I)
        Input at this time step, for a batch of N sequences.
    h : array_like, shape (N, H)
        Hidden state from the previous step (zeros at the start).
    w_ih : array_like, shape (H, I)
        Input-to-hidden weights (``RNNCell.weight_ih``).
    w_hh : array_like, shape (H, H)
        Hidden-to-hidden (recurrent) weights (``RNNCell.weight_hh``).
    b_ih, b_hh : array_like, shape (H,)
        The two biases; only their sum matters.

    Returns
    -------
    ndarray, shape (N, H)
        ``tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``, in the common float dtype of the inputs.

    Examples
    --------
    One unit: x = 1, h = 1, w_ih = artanh(1/2) / 2 and w_hh the same, no bias: the
    pre-activation is artanh(1/2) and the new state 1/2.

    >>> w = np.arctanh(0.5) / 2
    >>> print(rnn_cell([[1.0]], [[1.0]], [[w]], [[w]], [0.0], [0.0]).round(12))
    [[0.5]]
    """
    x, h, w_ih, w_hh, b_ih, b_hh = _check_rnn(x, h, w_ih, w_hh, b_ih, b_hh)
    # the new state mixes the input and the previous state through one tanh layer
    return np.tanh((x @ w_ih.T + b_ih) + (h @ w_hh.T + b_hh))
# --8<-- [end:rnn_cell]


# --8<-- [start:rnn_cell_backward]
@propagates_nonfinite
def rnn_cell_backward(
    grad_h: ArrayLike,
    x: ArrayLike, h: ArrayLike, w_ih: ArrayLike, w_hh: ArrayLike, b_ih: ArrayLike, b_hh: ArrayLike,
) -> tuple[np.ndarray, ...]:
    """Gradients of :func:`rnn_cell` with respect to all six inputs.

    Parameters
    ----------
    grad_h : array_like, shape (N, H)
        Upstream gradient dL/dh_new.
    x, h, w_ih, w_hh, b_ih, b_hh
        The forward inputs, as in :func:`rnn_cell`.

    Returns
    -------
    tuple of 6 ndarrays
        ``(dx, dh, dw_ih, dw_hh, db_ih, db_hh)``, each shaped like its input; ``dh`` is what
        flows back to the previous time step, and ``db_ih`` equals ``db_hh``.

    Examples
    --------
    Weights as in :func:`rnn_cell` (new state 1/2): tanh' = 1 - 1/4 = 3/4, so with grad_h = 1
    every bias gradient is 3/4 and dh = 3/4 * w_hh.

    >>> w = np.arctanh(0.5) / 2
    >>> grads = rnn_cell_backward([[1.0]], [[1.0]], [[1.0]], [[w]], [[w]], [0.0], [0.0])
    >>> print(grads[4], (grads[1] / w).round(12))
    [0.75] [[0.75]]
    """
    x, h, w_ih, w_hh, b_ih, b_hh = _check_rnn(x, h, w_ih, w_hh, b_ih, b_hh)
    grad_h = _upstream(grad_h, "grad_h", "h_new", h.shape, x.dtype)
    h_new = np.tanh((x @ w_ih.T + b_ih) + (h @ w_hh.T + b_hh))
    # through tanh: tanh'(a) = 1 - tanh(a)^2, from the output itself
    da = grad_h * (1 - h_new * h_new)
    # a = x W_ih^T + b_ih + h W_hh^T + b_hh: the linear maps' vector-Jacobian products
    db = np.sum(da, axis=0)
    return da @ w_ih, da @ w_hh, da.T @ x, da.T @ h, db, db.copy()
# --8<-- [end:rnn_cell_backward]


# --8<-- [start:rnn]
@propagates_nonfinite
def rnn(
    x_seq: ArrayLike, h0: ArrayLike, w_ih: ArrayLike, w_hh: ArrayLike, b_ih: ArrayLike, b_hh: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Run :func:`rnn_cell` over a sequence: a single-layer ``torch.nn.RNN`` (tanh).

    Parameters
    ----------
    x_seq : array_like, shape (T, N, I)
        The inputs, time first (``nn.RNN``'s default ``batch_first=False``).
    h0 : array_like, shape (N, H)
        Initial state (``nn.RNN`` takes it as ``h0[None]``: one layer).
    w_ih, w_hh, b_ih, b_hh
        As in :func:`rnn_cell` (``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``).

    Returns
    -------
    outputs : ndarray, shape (T, N, H)
        The hidden state after every step, h_1 ... h_T.
    h_T : ndarray, shape (N, H)
        The final state (equal to ``outputs[-1]``; for T = 0, a copy of ``h0``).

    Examples
    --------
    One unit, w_ih = 1, w_hh = 2, h0 = 0, with c = artanh(1/2): x_1 = c gives h_1 = tanh(c) = 1/2;
    x_2 = c - 1 gives h_2 = tanh(c - 1 + 2 * 1/2) = 1/2 again: the state carried the 1 needed.

    >>> c = np.arctanh(0.5)
    >>> out, h_T = rnn([[[c]], [[c - 1]]], [[0.0]], [[1.0]], [[2.0]], [0.0], [0.0])
    >>> print(out.ravel().round(12), h_T.round(12))
    [0.5 0.5] [[0.5]]
    """
    x_seq, h, w_ih, w_hh, b_ih, b_hh = _check_rnn(x_seq, h0, w_ih, w_hh, b_ih, b_hh, names=("x_seq", "h0"))
    # the input projection does not depend on the state: one product for all T steps
    xw = x_seq @ w_ih.T + b_ih
    outputs = np.empty((x_seq.shape[0], *h.shape), dtype=x_seq.dtype)
    h = h.copy()  # never hand the caller's own array back
    for t in range(x_seq.shape[0]):
        # the recurrence: the same weights at every step
        h = np.tanh(xw[t] + (h @ w_hh.T + b_hh))
        outputs[t] = h
    return outputs, h
# --8<-- [end:rnn]
