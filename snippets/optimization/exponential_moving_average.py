"""The exponential moving average: of a series (with optional bias correction) and of model weights."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import (
    as_bool,
    as_float_array,
    as_grad_out,
    as_real_scalar,
    check_same_shape,
    propagates_nonfinite,
)
from snippets.optimization.rmsprop import _lerp

__all__ = ["ema", "ema_backward", "ema_update"]

_BLOCK = 128  # steps per block: the block's weight matrix holds _BLOCK^2 numbers


def _decay_filter(x: np.ndarray, decay: float) -> np.ndarray:
    """``s_t = decay * s_{t-1} + x_t`` along axis 0, from ``s_{-1} = 0``.

    Inside a block of B steps the recurrence is the lower-triangular matrix ``decay^(t - j)``
    (entries <= 1: nothing overflows); the carry from the previous block enters as
    ``decay^(t + 1) * s_last``. A loop over blocks, not over steps.
    """
    dt = x.dtype.type
    T = x.shape[0]
    k = np.arange(min(T, _BLOCK), dtype=x.dtype)
    lag = k[:, None] - k[None, :]
    # decay^(t - j) below the diagonal, 0 above it (0^0 = 1 keeps decay = 0 exact)
    weights = np.where(lag >= 0, np.power(dt(decay), np.maximum(lag, 0)), dt(0))
    powers = np.power(dt(decay), k + 1)
    flat = x.reshape(T, int(np.prod(x.shape[1:])))
    out = np.empty_like(flat)
    carry = np.zeros(flat.shape[1], dtype=x.dtype)
    if not np.all(np.isfinite(flat)):
        # NaN or inf: the matrix's zeros above the diagonal would carry it back in time (0 * inf
        # is NaN), so take the recurrence step by step, as lfilter and torch do
        for t in range(T):
            carry = dt(decay) * carry + flat[t]
            out[t] = carry
        return out.reshape(x.shape)
    for start in range(0, T, _BLOCK):
        n = min(_BLOCK, T - start)
        block = weights[:n, :n] @ flat[start:start + n] + powers[:n, None] * carry
        out[start:start + n] = block
        carry = block[-1]
    return out.reshape(x.shape)


def _correction(decay: float, T: int, ndim: int, dtype: np.dtype) -> np.ndarray:
    """``1 - decay**t`` for t = 1..T, shaped to broadcast along axis 0 of a (T, *) array."""
    t = np.arange(1, T + 1, dtype=np.float64).reshape((-1,) + (1,) * (ndim - 1))
    return (1 - decay**t).astype(dtype)


def _checked(values: ArrayLike, decay: float, bias_correction: bool) -> tuple[np.ndarray, float, bool]:
    values = as_float_array(values, "values")
    if values.ndim == 0:
        raise ValueError("values must have at least one axis (the time steps along axis 0), got a scalar")
    decay = as_real_scalar(decay, "decay", low=0.0, high=1.0, high_open=True)
    return values, decay, as_bool(bias_correction, "bias_correction")


# --8<-- [start:ema]
@propagates_nonfinite
def ema(values: ArrayLike, decay: float, bias_correction: bool = False) -> np.ndarray:
    """The exponential moving average of a series, along axis 0.

    ``s_t = decay * s_{t-1} + (1 - decay) * x_t`` from ``s_0 = 0`` (t = 1, 2, ...); with
    ``bias_correction``, ``s_t / (1 - decay**t)``, Adam's correction of the start at 0 (the
    weights then sum to 1 at every step). ``scipy.signal.lfilter([1 - decay], [1, -decay], x)``
    computes the same filter.

    Parameters
    ----------
    values : array_like, shape (T, *)
        The series: step t along axis 0, any number of independent series along the other axes.
    decay : float
        The weight of the past, in ``[0, 1)`` (0 returns the values; the average spans about
        ``1 / (1 - decay)`` steps).
    bias_correction : bool, default False
        Divide by ``1 - decay**t``.

    Returns
    -------
    ndarray, shape (T, *)
        The average after each step.

    Examples
    --------
    >>> # decay 0.5 on 4, 4, 4: 2, 3, 3.5 from the start at 0; corrected: 2 / 0.5, 3 / 0.75, 3.5 / 0.875 = 4
    >>> ema([4.0, 4.0, 4.0], 0.5)
    array([2. , 3. , 3.5])
    >>> ema([4.0, 4.0, 4.0], 0.5, bias_correction=True)
    array([4., 4., 4.])
    """
    x, decay, bias_correction = _checked(values, decay, bias_correction)
    dt = x.dtype.type
    # s_t = (1 - decay) sum_j decay^(t - j) x_j
    s = dt(1 - decay) * _decay_filter(x, decay)
    if bias_correction:
        # the weights (1 - decay) decay^(t - j) sum to 1 - decay^t: divide it out (formed in
        # float64 from the Python float, as Adam's correction is, then rounded once)
        s = s / _correction(decay, x.shape[0], x.ndim, x.dtype)
    return s
# --8<-- [end:ema]


# --8<-- [start:ema_backward]
@propagates_nonfinite
def ema_backward(grad_out: ArrayLike, values: ArrayLike, decay: float, bias_correction: bool = False) -> np.ndarray:
    """Gradient of :func:`ema` with respect to ``values``.

    The filter is linear: ``dL/dx_j = (1 - decay) * sum_{t >= j} decay^(t - j) * g_t``, the same
    filter run backward in time over ``g_t = dL/ds_t`` (divided first by ``1 - decay**t`` with
    ``bias_correction``).

    Parameters
    ----------
    grad_out : array_like, shape (T, *)
        Gradient of the loss with respect to ``ema(values, decay, bias_correction)``.
    values, decay, bias_correction
        As in :func:`ema`.

    Returns
    -------
    ndarray, shape (T, *)

    Examples
    --------
    >>> # only the last output counts: x_3 gets 1 - 0.5, x_2 gets 0.5 * 0.5, x_1 gets 0.25 * 0.5
    >>> ema_backward([0.0, 0.0, 1.0], [4.0, 4.0, 4.0], 0.5)
    array([0.125, 0.25 , 0.5  ])
    """
    x, decay, bias_correction = _checked(values, decay, bias_correction)
    g = as_grad_out(grad_out, x.shape, x.dtype)
    dt = x.dtype.type
    if bias_correction:
        g = g / _correction(decay, x.shape[0], x.ndim, x.dtype)
    # the transposed filter: the same recurrence, run from the last step back to the first
    return dt(1 - decay) * _decay_filter(g[::-1], decay)[::-1]
# --8<-- [end:ema_backward]


# --8<-- [start:ema_update]
@propagates_nonfinite
def ema_update(avg_params: ArrayLike, params: ArrayLike, decay: float) -> np.ndarray:
    """One update of an EMA of model weights: ``decay * avg_params + (1 - decay) * params``.

    What ``torch.optim.swa_utils.get_ema_multi_avg_fn(decay)`` does to an ``AveragedModel``'s
    copy after every optimizer step (as a lerp, rounded as ``torch.lerp``). ``AveragedModel``
    copies the weights on its first update instead of averaging them with its initial copy.

    Parameters
    ----------
    avg_params : array_like, shape (*)
        The running average of the weights. Never modified; the result has its dtype.
    params : array_like, shape (*)
        The current weights, cast to ``avg_params``'s dtype.
    decay : float
        Weight of the old average, in ``[0, 1]`` (1 freezes it, 0 copies ``params``).

    Returns
    -------
    ndarray, shape (*)

    Examples
    --------
    >>> ema_update([1.0, 2.0], [3.0, 2.0], decay=0.75)   # 0.75 * 1 + 0.25 * 3 = 1.5
    array([1.5, 2. ])
    """
    avg = as_float_array(avg_params, "avg_params")
    params = as_float_array(params, "params")
    check_same_shape(avg, params, "avg_params", "params")
    decay = as_real_scalar(decay, "decay", low=0.0, high=1.0)
    # move the average a fraction 1 - decay of the way toward the current weights
    return _lerp(avg, params.astype(avg.dtype, copy=False), 1 - decay)
# --8<-- [end:ema_update]
