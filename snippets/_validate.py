"""Input checks shared by every snippet.

Each helper turns a user argument into a NumPy array (or a checked value) or raises an
exception that names the argument and what was wrong with it. They depend on numpy alone,
so a term's standalone copy can carry them along.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def as_float_array(x: Any, name: str) -> np.ndarray:
    """Return ``x`` as a float32 or float64 array without copying when possible.

    float32 and float64 arrays keep their dtype. Integers, booleans, lists and every other
    real dtype (float16 included) are computed in float64. Complex or non-numeric data raise
    ``TypeError``. The caller must never write into the result: it may be ``x`` itself.
    """
    arr = np.asarray(x)
    if arr.dtype == np.float32 or arr.dtype == np.float64:
        return arr
    if arr.dtype.kind in "biuf":  # bool, signed int, unsigned int, other floats
        return arr.astype(np.float64)
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must be real-valued, got complex dtype {arr.dtype}")
    raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")


def check_same_shape(a: np.ndarray, b: np.ndarray, a_name: str, b_name: str) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have exactly the same shape (no broadcasting)."""
    if a.shape != b.shape:
        raise ValueError(
            f"{b_name} must have the same shape as {a_name}: "
            f"{a_name} has shape {a.shape}, {b_name} has shape {b.shape}"
        )


def check_axis(axis: Any, ndim: int, shape: tuple[int, ...]) -> int:
    """Return ``axis`` as a non-negative index into an array of ``ndim`` dimensions.

    A 0-d array is treated as having one axis (as PyTorch does for ``dim=0`` and ``dim=-1``).
    """
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"axis must be an integer, got {type(axis).__name__}")
    n = max(ndim, 1)
    if not -n <= axis < n:
        raise ValueError(f"axis {axis} is out of range for an input of shape {shape}")
    return int(axis) % n


def as_class_indices(target: Any, num_classes: int, name: str) -> np.ndarray:
    """Return integer class indices, checking that each lies in ``[0, num_classes)``."""
    idx = np.asarray(target)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{name} holding class indices must have an integer dtype, got {idx.dtype}")
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        bad = idx[(idx < 0) | (idx >= num_classes)].ravel()[0]
        raise ValueError(
            f"{name} contains class index {bad}, outside the valid range [0, {num_classes - 1}]"
        )
    return idx


def as_grad_out(grad_out: Any, out_shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """Check that ``grad_out`` matches the forward output's shape and cast it to ``dtype``."""
    g = as_float_array(grad_out, "grad_out")
    if g.shape != tuple(out_shape):
        raise ValueError(
            f"grad_out must have the shape of the forward output {tuple(out_shape)}, "
            f"got shape {g.shape}"
        )
    return g.astype(dtype, copy=False)


def check_shape(a: np.ndarray, expected: tuple[int, ...], name: str, symbols: str, where: str) -> None:
    """Raise ``ValueError`` unless ``a.shape == expected`` (no broadcasting).

    ``symbols`` is the shape written with the sizes' names and ``where`` says where those sizes
    come from, e.g. ``check_shape(w_hh, (32, 8), "w_hh", "(4H, H)", "hidden size H = 8")`` raises
    "w_hh must have shape (4H, H) = (32, 8) for hidden size H = 8, got (32, 7)".
    """
    if a.shape != tuple(expected):
        raise ValueError(
            f"{name} must have shape {symbols} = {tuple(expected)} for {where}, got {a.shape}"
        )


def as_real_scalar(value: Any, name: str, *, low: float = -np.inf, high: float = np.inf) -> float:
    """Return a scalar hyperparameter (``lam``, ``p``, ``tol``...) as a Python float.

    Accepts Python and NumPy integers and floats (and 0-d arrays of them); booleans, strings,
    complex numbers and arrays with elements raise ``TypeError``. NaN, infinity and values outside
    the closed interval ``[low, high]`` raise ``ValueError`` naming the argument and the value.
    """
    arr = np.asarray(value)
    if arr.ndim != 0 or arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    v = float(arr)
    if not (np.isfinite(v) and low <= v <= high):
        if np.isfinite(low) and np.isfinite(high):
            allowed = f"in [{low:g}, {high:g}]"
        elif np.isfinite(low):
            allowed = f">= {low:g}"
        elif np.isfinite(high):
            allowed = f"<= {high:g}"
        else:
            allowed = "(not NaN or infinite)"
        raise ValueError(f"{name} must be a finite number {allowed}, got {value}")
    return v


def as_int(value: Any, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """Return an integer hyperparameter (``batch_size``, ``patience``, ``degree``...) as a Python int.

    Accepts Python and NumPy integers (and 0-d integer arrays); booleans, floats (even 3.0),
    strings and arrays with elements raise ``TypeError``. Values outside the closed interval
    ``[low, high]`` raise ``ValueError`` naming the argument and the value.
    """
    arr = np.asarray(value)
    if isinstance(value, (bool, np.bool_)) or arr.ndim != 0 or arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    v = int(arr)
    if (low is not None and v < low) or (high is not None and v > high):
        if low is not None and high is not None:
            allowed = f"in [{low}, {high}]"
        else:
            allowed = f">= {low}" if low is not None else f"<= {high}"
        raise ValueError(f"{name} must be an integer {allowed}, got {v}")
    return v


def check_generator(rng: Any, name: str = "rng") -> np.random.Generator:
    """Return ``rng`` unchanged if it is a ``numpy.random.Generator``, else raise ``TypeError``."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name} must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}"
        )
    return rng


def as_bool(value: Any, name: str) -> bool:
    """Return a flag (``amsgrad``, ``centered``, ``drop_last``...) as a Python bool.

    Accepts ``True``/``False`` and NumPy booleans only: ints, strings and None raise ``TypeError``
    naming the argument, so that a value passed in the wrong position is not taken as a flag.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return bool(value)
