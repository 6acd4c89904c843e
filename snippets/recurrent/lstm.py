"""LSTM (long short-term memory): a gated recurrent cell whose additive cell state carries
information, and gradients, across many time steps. Layout of ``torch.nn.LSTMCell``."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, check_same_shape, check_shape, propagates_nonfinite
from snippets.activations.sigmoid import sigmoid

__all__ = ["lstm_cell", "lstm_cell_backward", "lstm"]


def _as_common_float(**arrays: ArrayLike) -> list[np.ndarray]:
    """Each argument as a float array, all in one dtype: float32 only if every one is float32."""
    converted = [as_float_array(value, name) for name, value in arrays.items()]
    dtype = np.result_type(*converted)
    return [a.astype(dtype, copy=False) for a in converted]


def _check_weights(
    w_ih: np.ndarray, w_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray,
    gates: int, hidden: int, inputs: int,
) -> None:
    """Check the stacked weights of a cell with ``gates`` gates (4 for LSTM, 3 for GRU)."""
    k = f"{gates}H"
    sizes = f"hidden size H = {hidden} and input size I = {inputs}"
    check_shape(w_ih, (gates * hidden, inputs), "w_ih", f"({k}, I)", sizes)
    check_shape(w_hh, (gates * hidden, hidden), "w_hh", f"({k}, H)", f"hidden size H = {hidden}")
    check_shape(b_ih, (gates * hidden,), "b_ih", f"({k},)", f"hidden size H = {hidden}")
    check_shape(b_hh, (gates * hidden,), "b_hh", f"({k},)", f"hidden size H = {hidden}")


def _check_state(h: np.ndarray, x: np.ndarray, h_name: str, x_name: str) -> None:
    """The state must be (N, H) with the batch size N of the input (its second-to-last axis)."""
    n = x.shape[-2]
    if h.ndim != 2 or h.shape[0] != n:
        raise ValueError(
            f"{h_name} must have shape (N, H) with N = {n} as in {x_name} of shape {x.shape}, "
            f"got {h.shape}"
        )


def _check_lstm(
    x: ArrayLike, h: ArrayLike, c: ArrayLike,
    w_ih: ArrayLike, w_hh: ArrayLike, b_ih: ArrayLike, b_hh: ArrayLike,
    names: tuple[str, str, str] = ("x", "h", "c"),
) -> list[np.ndarray]:
    """Validate the arguments of :func:`lstm_cell` (or, with a 3-D ``x``, :func:`lstm`)."""
    x_name, h_name, c_name = names
    x, h, c, w_ih, w_hh, b_ih, b_hh = _as_common_float(
        **{x_name: x, h_name: h, c_name: c}, w_ih=w_ih, w_hh=w_hh, b_ih=b_ih, b_hh=b_hh
    )
    want = 3 if x_name == "x_seq" else 2
    if x.ndim != want:
        layout = "(T, N, I)" if want == 3 else "(N, I)"
        raise ValueError(f"{x_name} must be a {want}-D array {layout}, got shape {x.shape}")
    _check_state(h, x, h_name, x_name)
    check_same_shape(h, c, h_name, c_name)
    _check_weights(w_ih, w_hh, b_ih, b_hh, 4, h.shape[1], x.shape[-1])
    return [x, h, c, w_ih, w_hh, b_ih, b_hh]


def _upstream(grad: ArrayLike, name: str, output: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """An upstream gradient: the shape of the forward output it belongs to, in the inputs' dtype."""
    g = as_float_array(grad, name)
    check_shape(g, shape, name, "(N, H)", f"N = {shape[0]}, H = {shape[1]} (the shape of {output})")
    return g.astype(dtype, copy=False)


# --8<-- [start:lstm_step]
def _lstm_step(
    xw: np.ndarray, h: np.ndarray, c: np.ndarray, w_hh: np.ndarray, b_hh: np.ndarray
) -> tuple[np.ndarray, tuple[np.ndarray, ...], np.ndarray, np.ndarray, np.ndarray]:
    """One LSTM step from the input projection ``xw = x W_ih^T + b_ih`` (N, 4H).

    Returns the gate pre-activations ``a`` (N, 4H), the gates ``(i, f, g, o)``, ``c_new``,
    ``tanh(c_new)`` and ``h_new``; the backward pass needs all of them.
    """
    # pre-activations of all four gates at once: a = x W_ih^T + b_ih + h W_hh^T + b_hh
    a = (h @ w_hh.T + b_hh) + xw
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)  # PyTorch's order: input, forget, cell, output
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    # the cell state is updated additively: keep a fraction f of the old, write i * g
    c_new = f * c + i * g
    tanh_c = np.tanh(c_new)
    # the output gate decides how much of the squashed cell state is shown as h
    return a, (i, f, g, o), c_new, tanh_c, o * tanh_c
# --8<-- [end:lstm_step]


# --8<-- [start:lstm_cell]
@propagates_nonfinite
def lstm_cell(
    x: ArrayLike, h: ArrayLike, c: ArrayLike,
    w_ih: ArrayLike, w_hh: ArrayLike, b_ih: ArrayLike, b_hh: ArrayLike,
) -> tuple[np.ndarray, np.ndarray]:
    """One step of an LSTM cell, as ``torch.nn.LSTMCell`` computes it.

    Parameters
    ----------
    x : array_like, shape (N, I)
        Input at this time step, for a batch of N sequences.
    h, c : array_like, shape (N, H)
        Hidden state and cell state from the previous step (zeros at the start).
    w_ih : array_like, shape (4H, I)
        Input-to-hidden weights of the gates stacked in the order input, forget, cell, output
        (``LSTMCell.weight_ih``, loadable as it is).
    w_hh : array_like, shape (4H, H)
        Hidden-to-hidden weights, same order (``LSTMCell.weight_hh``).
    b_ih, b_hh : array_like, shape (4H,)
        The two biases (``bias_ih``, ``bias_hh``); only their sum matters.

    Returns
    -------
    h_new, c_new : ndarray, shape (N, H)
        ``c_new = f * c + i * g`` and ``h_new = o * tanh(c_new)``, in the common float dtype of
        the inputs (float32 only if every input is float32).

    Examples
    --------
    With every weight and bias 0, each gate sees 0: i = f = o = 1/2 and g = tanh 0 = 0, so
    c' = c / 2 = 1 and h' = tanh(1) / 2.

    >>> z4 = np.zeros((4, 1))
    >>> h, c = lstm_cell([[0.0]], [[0.0]], [[2.0]], z4, z4, np.zeros(4), np.zeros(4))
    >>> print(h, c)
    [[0.38079708]] [[1.]]
    """
    x, h, c, w_ih, w_hh, b_ih, b_hh = _check_lstm(x, h, c, w_ih, w_hh, b_ih, b_hh)
    *_, c_new, _, h_new = _lstm_step(x @ w_ih.T + b_ih, h, c, w_hh, b_hh)
    return h_new, c_new
# --8<-- [end:lstm_cell]


# --8<-- [start:lstm_cell_backward]
@propagates_nonfinite
def lstm_cell_backward(
    grad_h: ArrayLike, grad_c: ArrayLike,
    x: ArrayLike, h: ArrayLike, c: ArrayLike,
    w_ih: ArrayLike, w_hh: ArrayLike, b_ih: ArrayLike, b_hh: ArrayLike,
) -> tuple[np.ndarray, ...]:
    """Gradients of :func:`lstm_cell` with respect to all seven inputs.

    Parameters
    ----------
    grad_h, grad_c : array_like, shape (N, H)
        Upstream gradients dL/dh_new and dL/dc_new (in backpropagation through time: what the
        next step sends back, plus, for h, the loss at this step).
    x, h, c, w_ih, w_hh, b_ih, b_hh
        The forward inputs, as in :func:`lstm_cell`.

    Returns
    -------
    tuple of 7 ndarrays
        ``(dx, dh, dc, dw_ih, dw_hh, db_ih, db_hh)``, each shaped like its input;
        ``dc = dL/dc_new_total * f`` is the gradient that flows along the cell state, and
        ``db_ih`` equals ``db_hh`` (the biases are added together).

    Examples
    --------
    All weights 0 and c = 2 as in :func:`lstm_cell`; grad_c = 1. Along the cell state
    dc'/dc = f = 1/2; the forget gate's pre-activation gets c * sigma'(0) = 2/4 and the cell
    candidate's gets i * tanh'(0) = 1/2; the other gates get nothing.

    >>> z4 = np.zeros((4, 1))
    >>> grads = lstm_cell_backward([[0.0]], [[1.0]], [[0.0]], [[0.0]], [[2.0]], z4, z4, np.zeros(4), np.zeros(4))
    >>> print(grads[2], grads[5])
    [[0.5]] [0.  0.5 0.5 0. ]
    """
    x, h, c, w_ih, w_hh, b_ih, b_hh = _check_lstm(x, h, c, w_ih, w_hh, b_ih, b_hh)
    grad_h = _upstream(grad_h, "grad_h", "h_new", h.shape, x.dtype)
    grad_c = _upstream(grad_c, "grad_c", "c_new", h.shape, x.dtype)
    a, (i, f, g, o), _, tanh_c, _ = _lstm_step(x @ w_ih.T + b_ih, h, c, w_hh, b_hh)
    a_i, a_f, _, a_o = np.split(a, 4, axis=1)
    # total gradient on c_new: its own upstream gradient plus the path through h_new = o tanh(c_new)
    dc_new = grad_c + grad_h * o * (1 - tanh_c * tanh_c)
    # c_new = f c + i g and h_new = o tanh(c_new), differentiated for each gate;
    # then through the non-linearities: sigma'(a) = sigma(a) sigma(-a), tanh'(a) = 1 - tanh(a)^2
    da = np.concatenate(
        [
            dc_new * g * i * sigmoid(-a_i),
            dc_new * c * f * sigmoid(-a_f),
            dc_new * i * (1 - g * g),
            grad_h * tanh_c * o * sigmoid(-a_o),
        ],
        axis=1,
    )
    # a = x W_ih^T + b_ih + h W_hh^T + b_hh: the linear maps' vector-Jacobian products
    db = np.sum(da, axis=0)
    return da @ w_ih, da @ w_hh, dc_new * f, da.T @ x, da.T @ h, db, db.copy()
# --8<-- [end:lstm_cell_backward]


# --8<-- [start:lstm]
@propagates_nonfinite
def lstm(
    x_seq: ArrayLike, h0: ArrayLike, c0: ArrayLike,
    w_ih: ArrayLike, w_hh: ArrayLike, b_ih: ArrayLike, b_hh: ArrayLike,
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Run an LSTM cell over a sequence: a single-layer ``torch.nn.LSTM``.

    Parameters
    ----------
    x_seq : array_like, shape (T, N, I)
        The inputs, time first (``nn.LSTM``'s default ``batch_first=False``).
    h0, c0 : array_like, shape (N, H)
        Initial states (``nn.LSTM`` takes them as ``h0[None]``, ``c0[None]``: one layer).
    w_ih, w_hh, b_ih, b_hh
        As in :func:`lstm_cell` (``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``).

    Returns
    -------
    outputs : ndarray, shape (T, N, H)
        The hidden state after every step.
    (h_T, c_T) : tuple of ndarrays, shape (N, H)
        The final states (``h_T`` equals ``outputs[-1]``; for T = 0, copies of ``h0``, ``c0``).

    Examples
    --------
    With every weight 0 each step halves the cell state: c = 2 -> 1 -> 1/2, and
    h_t = tanh(c_t) / 2, i.e. tanh(1) / 2 and tanh(1/2) / 2.

    >>> z4 = np.zeros((4, 1))
    >>> out, (h_T, c_T) = lstm(np.ones((2, 1, 1)), [[0.0]], [[2.0]], z4, z4, np.zeros(4), np.zeros(4))
    >>> print(out.ravel(), c_T)
    [0.38079708 0.23105858] [[0.5]]
    """
    x_seq, h, c, w_ih, w_hh, b_ih, b_hh = _check_lstm(
        x_seq, h0, c0, w_ih, w_hh, b_ih, b_hh, names=("x_seq", "h0", "c0")
    )
    # the input projection does not depend on the state: one product for all T steps
    # (as a single (T*N, I) x (I, 4H) matrix product, which BLAS does faster than T stacked ones)
    t_steps, n, i = x_seq.shape
    xw = (x_seq.reshape(t_steps * n, i) @ w_ih.T).reshape(t_steps, n, w_ih.shape[0]) + b_ih
    outputs = np.empty((x_seq.shape[0], *h.shape), dtype=x_seq.dtype)
    h, c = h.copy(), c.copy()  # never hand the caller's own arrays back
    for t in range(x_seq.shape[0]):
        *_, c, _, h = _lstm_step(xw[t], h, c, w_hh, b_hh)
        outputs[t] = h
    return outputs, (h, c)
# --8<-- [end:lstm]
