"""GRU (gated recurrent unit): a recurrent cell whose update gate interpolates between the old
state and a candidate. Layout and equations of ``torch.nn.GRUCell``."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import propagates_nonfinite
from snippets.activations.sigmoid import sigmoid
from snippets.recurrent.lstm import _as_common_float, _check_state, _check_weights, _upstream

__all__ = ["gru_cell", "gru_cell_backward"]


def _check_gru(
    x: ArrayLike, h: ArrayLike, w_ih: ArrayLike, w_hh: ArrayLike, b_ih: ArrayLike, b_hh: ArrayLike
) -> list[np.ndarray]:
    """Validate the arguments of :func:`gru_cell`."""
    x, h, w_ih, w_hh, b_ih, b_hh = _as_common_float(
        x=x, h=h, w_ih=w_ih, w_hh=w_hh, b_ih=b_ih, b_hh=b_hh
    )
    if x.ndim != 2:
        raise ValueError(f"x must be a 2-D array (N, I), got shape {x.shape}")
    _check_state(h, x, "h", "x")
    _check_weights(w_ih, w_hh, b_ih, b_hh, 3, h.shape[1], x.shape[1])
    return [x, h, w_ih, w_hh, b_ih, b_hh]


# --8<-- [start:gru_step]
def _gru_step(
    x: np.ndarray, h: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...], np.ndarray]:
    """One GRU step. Returns the pre-activations of r and z, ``h W_hn^T + b_hn``, the gates
    ``(r, z, n)`` and ``h_new = (1 - z) n + z h``; the backward pass needs all of them."""
    # the two affine maps, each stacked over the gates in PyTorch's order: reset, update, new
    x_r, x_z, x_n = np.split(x @ w_ih.T + b_ih, 3, axis=1)
    h_r, h_z, h_n = np.split(h @ w_hh.T + b_hh, 3, axis=1)
    a_r, a_z = x_r + h_r, x_z + h_z
    r, z = sigmoid(a_r), sigmoid(a_z)
    # candidate state: the reset gate scales the recurrent term *after* its matrix product
    n = np.tanh(x_n + r * h_n)
    # interpolate between candidate and old state; 1 - z = sigma(-a_z) stays exact when z ~ 1,
    # so a saturated update gate copies h bit for bit
    return (a_r, a_z, h_n), (r, z, n), sigmoid(-a_z) * n + z * h
# --8<-- [end:gru_step]


# --8<-- [start:gru_cell]
@propagates_nonfinite
def gru_cell(
    x: ArrayLike, h: ArrayLike,
    w_ih: ArrayLike, w_hh: ArrayLike, b_ih: ArrayLike, b_hh: ArrayLike,
) -> np.ndarray:
    """One step of a GRU cell, as ``torch.nn.GRUCell`` computes it.

    Parameters
    ----------
    x : array_like, shape (N, I)
        Input at this time step, for a batch of N sequences.
    h : array_like, shape (N, H)
        Hidden state from the previous step (zeros at the start).
    w_ih : array_like, shape (3H, I)
        Input-to-hidden weights of the gates stacked in the order reset, update, new
        (``GRUCell.weight_ih``, loadable as it is).
    w_hh : array_like, shape (3H, H)
        Hidden-to-hidden weights, same order (``GRUCell.weight_hh``).
    b_ih, b_hh : array_like, shape (3H,)
        The two biases. Unlike the LSTM's they are not interchangeable: the reset gate
        multiplies the new-gate part of ``b_hh`` but not that of ``b_ih``.

    Returns
    -------
    ndarray, shape (N, H)
        ``h_new = (1 - z) * n + z * h`` with ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``,
        in the common float dtype of the inputs (float32 only if every input is float32).

    Examples
    --------
    With every weight 0 and b_in = 1 (the third block of b_ih): r = z = 1/2 and
    n = tanh(1 + r * 0) = tanh 1, so h' = (tanh 1 + h) / 2 = (0.76159416 + 2) / 2 for h = 2.

    >>> z3 = np.zeros((3, 1))
    >>> gru_cell([[0.0]], [[2.0]], z3, z3, np.array([0.0, 0.0, 1.0]), np.zeros(3))
    array([[1.38079708]])
    """
    x, h, w_ih, w_hh, b_ih, b_hh = _check_gru(x, h, w_ih, w_hh, b_ih, b_hh)
    return _gru_step(x, h, w_ih, w_hh, b_ih, b_hh)[-1]
# --8<-- [end:gru_cell]


# --8<-- [start:gru_cell_backward]
@propagates_nonfinite
def gru_cell_backward(
    grad_h: ArrayLike, x: ArrayLike, h: ArrayLike,
    w_ih: ArrayLike, w_hh: ArrayLike, b_ih: ArrayLike, b_hh: ArrayLike,
) -> tuple[np.ndarray, ...]:
    """Gradients of :func:`gru_cell` with respect to all six inputs.

    Parameters
    ----------
    grad_h : array_like, shape (N, H)
        Upstream gradient dL/dh_new.
    x, h, w_ih, w_hh, b_ih, b_hh
        The forward inputs, as in :func:`gru_cell`.

    Returns
    -------
    tuple of 6 ndarrays
        ``(dx, dh, dw_ih, dw_hh, db_ih, db_hh)``, each shaped like its input. ``dh`` includes
        the direct path ``grad_h * z``: the one that keeps gradients alive when z is near 1.

    Examples
    --------
    The setting of :func:`gru_cell` with grad_h = 1. Directly dh'/dh = z = 1/2 (the weights
    are 0, so no other path reaches h); b_iz gets (h - n) sigma'(0) = (2 - tanh 1) / 4 and b_in
    gets (1 - z)(1 - tanh^2 1) = (1 - tanh^2 1) / 2.

    >>> z3 = np.zeros((3, 1))
    >>> grads = gru_cell_backward([[1.0]], [[0.0]], [[2.0]], z3, z3, np.array([0.0, 0.0, 1.0]), np.zeros(3))
    >>> print(grads[1], grads[4])
    [[0.5]] [0.         0.30960146 0.20998717]
    """
    x, h, w_ih, w_hh, b_ih, b_hh = _check_gru(x, h, w_ih, w_hh, b_ih, b_hh)
    grad_h = _upstream(grad_h, "grad_h", "h_new", h.shape, x.dtype)
    (a_r, a_z, h_n), (r, z, n), _ = _gru_step(x, h, w_ih, w_hh, b_ih, b_hh)
    # h_new = (1 - z) n + z h; 1 - z = sigma(-a_z) keeps its precision when z is near 1
    dn = grad_h * sigmoid(-a_z)
    da_n = dn * (1 - n * n)  # through n = tanh(x_n + r h_n)
    da_z = grad_h * (h - n) * z * sigmoid(-a_z)  # sigma'(a) = sigma(a) sigma(-a)
    da_r = da_n * h_n * r * sigmoid(-a_r)
    # the input side sees the new gate's pre-activation directly, the hidden side through r
    dx_side = np.concatenate([da_r, da_z, da_n], axis=1)
    dh_side = np.concatenate([da_r, da_z, da_n * r], axis=1)
    dh = grad_h * z + dh_side @ w_hh
    return (
        dx_side @ w_ih, dh, dx_side.T @ x, dh_side.T @ h,
        np.sum(dx_side, axis=0), np.sum(dh_side, axis=0),
    )
# --8<-- [end:gru_cell_backward]
