"""Affine (asymmetric) int8 quantization: real numbers stored as 8-bit integers ``q`` with a scale
and a zero point, ``x ~ scale * (q - zero_point)``. Semantics of PyTorch's per-tensor affine
quantization (``torch.quantize_per_tensor``, ``MinMaxObserver``, ``torch.fake_quantize_per_tensor_affine``)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, as_int, as_real_scalar, propagates_nonfinite

__all__ = ["choose_qparams", "quantize_per_tensor", "dequantize", "fake_quantize", "fake_quantize_backward"]

_INTEGER_RANGES = {np.dtype(np.uint8): (0, 255), np.dtype(np.int8): (-128, 127)}


def _check_range(quant_min: int, quant_max: int) -> tuple[int, int]:
    quant_min = as_int(quant_min, "quant_min")
    quant_max = as_int(quant_max, "quant_max")
    if quant_min >= quant_max:
        raise ValueError(f"quant_min must be below quant_max, got {quant_min} and {quant_max}")
    return quant_min, quant_max


def _check_qparams(scale: float, zero_point: int, quant_min: int, quant_max: int) -> tuple[float, int]:
    scale = as_real_scalar(scale, "scale", low=0.0, low_open=True)
    zero_point = as_int(zero_point, "zero_point", low=quant_min, high=quant_max)
    return scale, zero_point


# --8<-- [start:choose_qparams]
def choose_qparams(x: ArrayLike, qmin: int = 0, qmax: int = 255) -> tuple[float, int]:
    """Scale and zero point that map the range of ``x`` (widened to include 0) onto ``[qmin, qmax]``.

    PyTorch's ``MinMaxObserver`` with the per-tensor affine scheme: the range always contains 0 so
    that 0 (padding, ReLU outputs) is represented exactly, by the integer ``zero_point``.

    Parameters
    ----------
    x : array_like
        The values to be quantized (a weight tensor, or activations seen during calibration).
    qmin, qmax : int, default 0 and 255
        The integer range: (0, 255) for uint8, (-128, 127) for int8.

    Returns
    -------
    scale : float
        ``(max(x, 0) - min(x, 0)) / (qmax - qmin)``, at least float32's eps (so an all-zero
        tensor still gets a usable scale).
    zero_point : int
        ``qmin - round(min(x, 0) / scale)``, clamped to ``[qmin, qmax]``: the integer that stands for 0.

    Examples
    --------
    The range [-1, 3] spread over 255 steps: scale 4 / 255; 0 sits 63.75 steps above -1, so the
    zero point is 64.

    >>> scale, zero_point = choose_qparams([-1.0, 2.0, 3.0])
    >>> round(scale * 255, 6), zero_point
    (4.0, 64)
    """
    x = as_float_array(x, "x")
    qmin, qmax = _check_range(qmin, qmax)
    if x.size == 0:
        raise ValueError("x must hold at least one value to choose a range from, got an empty array")
    if not np.all(np.isfinite(x)):
        raise ValueError("x must be finite to choose a quantization range, got inf or nan")
    # the range to cover, widened to contain 0 exactly
    low, high = min(float(x.min()), 0.0), max(float(x.max()), 0.0)
    # one integer step covers (high - low) / (qmax - qmin); PyTorch's floor at float32 eps
    scale = max((high - low) / (qmax - qmin), float(np.finfo(np.float32).eps))
    # the integer that represents 0: low maps to qmin
    zero_point = int(np.clip(qmin - np.round(low / scale), qmin, qmax))
    return scale, zero_point
# --8<-- [end:choose_qparams]


# --8<-- [start:quantize_per_tensor]
@propagates_nonfinite
def quantize_per_tensor(
    x: ArrayLike, scale: float, zero_point: int, dtype: type = np.uint8
) -> np.ndarray:
    """Integers ``q = clamp(round(x / scale) + zero_point, qmin, qmax)``, as ``quantize_per_tensor(...).int_repr()``.

    Parameters
    ----------
    x : array_like
        Real values.
    scale : float
        Step between neighbouring integers, ``> 0``.
    zero_point : int
        The integer that stands for 0, inside the dtype's range.
    dtype : numpy.uint8 or numpy.int8, default numpy.uint8
        The storage type; sets the range [0, 255] or [-128, 127].

    Returns
    -------
    ndarray of ``dtype``, the shape of ``x``
        Rounded half to even (IEEE ``nearbyint``, as PyTorch); values beyond the range saturate
        at its ends. NaN has no integer: it is a ``ValueError``.

    Examples
    --------
    Scale 0.5, zero point 10: 1.0 is two steps above 0 (12); 0.25 is half a step and rounds to
    the even 10; 1000 saturates at 255.

    >>> quantize_per_tensor([1.0, 0.25, -1.0, 1000.0], 0.5, 10)
    array([ 12,  10,   8, 255], dtype=uint8)
    """
    x = as_float_array(x, "x")
    if np.dtype(dtype) not in _INTEGER_RANGES:
        raise ValueError(f"dtype must be numpy.uint8 or numpy.int8, got {np.dtype(dtype)}")
    qmin, qmax = _INTEGER_RANGES[np.dtype(dtype)]
    scale, zero_point = _check_qparams(scale, zero_point, qmin, qmax)
    if np.any(np.isnan(x)):
        raise ValueError("x must not contain NaN: it has no integer representation")
    # steps from 0 in units of scale, rounded half to even, shifted by the zero point
    steps = np.rint(x * (x.dtype.type(1) / x.dtype.type(scale)))
    # saturate: the stored integer is clamped to the dtype's range
    return np.clip(steps + zero_point, qmin, qmax).astype(dtype)
# --8<-- [end:quantize_per_tensor]


# --8<-- [start:dequantize]
@propagates_nonfinite
def dequantize(q: ArrayLike, scale: float, zero_point: int) -> np.ndarray:
    """Real values ``scale * (q - zero_point)``, float32 (PyTorch's ``dequantize`` gives float32).

    Parameters
    ----------
    q : array_like of int
        Stored integers.
    scale : float
        Step, ``> 0`` and representable in float32.
    zero_point : int
        The integer standing for 0.

    Returns
    -------
    ndarray of float32, the shape of ``q``

    Examples
    --------
    >>> dequantize([12, 10, 8, 255], 0.5, 10)
    array([  1. ,   0. ,  -1. , 122.5], dtype=float32)
    """
    q = np.asarray(q)
    if q.dtype.kind not in "iu":
        raise TypeError(f"q must hold integers, got dtype {q.dtype}")
    # the result is float32, as PyTorch's: so must the scale be
    scale = as_real_scalar(scale, "scale", low=0.0, low_open=True, high=float(np.finfo(np.float32).max))
    zero_point = as_int(zero_point, "zero_point")
    # the integer difference is exact; one rounding, to float32, in the product
    return (np.float32(scale) * (q.astype(np.int64) - zero_point).astype(np.float32)).astype(np.float32)
# --8<-- [end:dequantize]


# --8<-- [start:fake_quantize]
@propagates_nonfinite
def fake_quantize(
    x: ArrayLike, scale: float, zero_point: int, quant_min: int, quant_max: int
) -> np.ndarray:
    """Quantize and dequantize in one step, staying in floating point: what quantization-aware
    training (QAT) puts in the forward pass, as ``torch.fake_quantize_per_tensor_affine``.

    Parameters
    ----------
    x : array_like
        Real values (weights or activations).
    scale : float
        Step, ``> 0``.
    zero_point : int
        The integer standing for 0, in ``[quant_min, quant_max]``.
    quant_min, quant_max : int
        The integer range, e.g. 0 and 255.

    Returns
    -------
    ndarray, the shape and float dtype of ``x``
        ``(clamp(round(x / scale) + zero_point, quant_min, quant_max) - zero_point) * scale``:
        every value moved to the nearest representable one. Computed in ``x``'s precision:
        for float64 input PyTorch (whose scale is a float32) forms the product in float32, so
        its float64 results are float32 numbers, within a float32 rounding of these.

    Examples
    --------
    >>> fake_quantize([0.26, 0.74, 300.0], 0.5, 0, 0, 255)
    array([  0.5,   0.5, 127.5])
    """
    x = as_float_array(x, "x")
    quant_min, quant_max = _check_range(quant_min, quant_max)
    scale, zero_point = _check_qparams(scale, zero_point, quant_min, quant_max)
    s = x.dtype.type(scale)
    # round to the integer grid, saturate, and map back to real numbers
    q = np.clip(np.rint(x * (1 / s)) + zero_point, quant_min, quant_max)
    return (q - zero_point) * s
# --8<-- [end:fake_quantize]


# --8<-- [start:fake_quantize_backward]
@propagates_nonfinite
def fake_quantize_backward(
    grad_out: ArrayLike, x: ArrayLike, scale: float, zero_point: int, quant_min: int, quant_max: int
) -> np.ndarray:
    """The straight-through estimator of :func:`fake_quantize`'s gradient, as PyTorch's.

    Rounding has derivative 0 almost everywhere, which would stop all learning; the
    straight-through estimator (Bengio et al., 2013) treats it as the identity instead, and keeps
    only the clamp's gradient: ``grad_out`` where the rounded value lies inside the range, 0 where
    it saturates.

    Parameters
    ----------
    grad_out : array_like, the shape of ``x``
        Upstream gradient.
    x, scale, zero_point, quant_min, quant_max
        As in :func:`fake_quantize`.

    Returns
    -------
    ndarray, the shape and dtype of ``x``

    Examples
    --------
    >>> fake_quantize_backward([1.0, 1.0, 1.0], [0.26, -3.0, 300.0], 0.5, 0, 0, 255)
    array([1., 0., 0.])
    """
    x = as_float_array(x, "x")
    quant_min, quant_max = _check_range(quant_min, quant_max)
    scale, zero_point = _check_qparams(scale, zero_point, quant_min, quant_max)
    g = as_grad_out(grad_out, x.shape, x.dtype)
    # pass the gradient through where the integer was not clamped (a NaN x gives a NaN gradient)
    q = np.rint(x * (1 / x.dtype.type(scale))) + zero_point
    inside = (q >= quant_min) & (q <= quant_max)
    return np.where(np.isnan(x), x, np.where(inside, g, x.dtype.type(0)))
# --8<-- [end:fake_quantize_backward]
