"""Input checks shared by every snippet.

Each helper turns a user argument into a NumPy array (or a checked value) or raises an
exception that names the argument and what was wrong with it. They depend on numpy alone,
so a term's standalone copy can carry them along.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

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


def as_probabilities(x: Any, name: str) -> np.ndarray:
    """Return ``x`` as a float array (:func:`as_float_array`) of probabilities in [0, 1].

    A value below 0 or above 1 (infinities included) raises ``ValueError`` naming the argument
    and the first such value; NaN passes through, so that NaN in gives NaN out.
    """
    arr = as_float_array(x, name)
    outside = (arr < 0) | (arr > 1)
    if np.any(outside):
        raise ValueError(f"{name} must hold probabilities in [0, 1], found {arr[outside].ravel()[0]}")
    return arr


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


def as_optional_parameter(
    value: Any, name: str, expected: tuple[int, ...], symbols: str, where: str, dtype: np.dtype
) -> np.ndarray | None:
    """Return an optional parameter (a ``bias``, an affine ``weight``) of shape ``expected`` in ``dtype``.

    None stays None (the parameter is absent). Anything else goes through :func:`as_float_array`
    and :func:`check_shape` (``symbols`` and ``where`` word its error) and is cast to ``dtype``,
    the input's, e.g. ``as_optional_parameter(bias, "bias", (8,), "(C_out,)", "weight of shape
    (8, 3, 3, 3)", x.dtype)``.
    """
    if value is None:
        return None
    arr = as_float_array(value, name)
    check_shape(arr, expected, name, symbols, where)
    return arr.astype(dtype, copy=False)


def as_real_scalar(
    value: Any,
    name: str,
    *,
    low: float = -np.inf,
    high: float = np.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return a scalar hyperparameter (``lam``, ``p``, ``lr``, ``eps``...) as a Python float.

    Accepts Python and NumPy integers and floats (and 0-d arrays of them); booleans, strings,
    complex numbers, lists and arrays with elements raise ``TypeError``. NaN, infinity and values
    outside the interval from ``low`` to ``high`` raise ``ValueError`` naming the argument and the
    value. The interval is closed unless ``low_open`` / ``high_open`` exclude an end: a learning
    rate is ``low=0.0, low_open=True`` (> 0), a decay rate ``low=0.0, high=1.0, high_open=True``
    ([0, 1)).
    """
    arr = np.asarray(value) if isinstance(value, (int, float, np.generic, np.ndarray)) else None
    if arr is None or isinstance(value, bool) or arr.ndim != 0 or arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    v = float(arr)
    above = v > low if low_open else v >= low
    below = v < high if high_open else v <= high
    if not (np.isfinite(v) and above and below):
        if np.isfinite(low) and np.isfinite(high):
            allowed = f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        elif np.isfinite(low):
            allowed = f"{'>' if low_open else '>='} {low:g}"
        elif np.isfinite(high):
            allowed = f"{'<' if high_open else '<='} {high:g}"
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


def as_labels(y: Any, name: str) -> np.ndarray:
    """Return class labels as an integer array: integers, booleans (0/1) or whole-valued floats.

    scikit-learn's classification metrics accept float labels such as ``[0.0, 1.0, 2.0]`` (a
    model's ``predict`` often returns them), so every metric here does too: whole-valued floats
    become int64. A float that is not a whole number, NaN or infinity raises ``ValueError``
    naming the argument and the value (scikit-learn calls such targets "continuous" and
    refuses them too); complex and non-numeric data raise ``TypeError``.
    """
    arr = np.asarray(y)
    if arr.dtype.kind == "b":
        return arr.astype(np.int64)
    if arr.dtype.kind in "iu":
        return arr
    if arr.dtype.kind == "f":
        # a whole number is finite and equal to its own truncation; |y| < 2^63 fits in int64
        whole = np.isfinite(arr) & (np.trunc(arr) == arr) & (np.abs(arr) < 2.0**63)
        if not whole.all():
            bad = arr[~whole].ravel()[0]
            raise ValueError(
                f"{name} must hold class labels: integers, or floats with whole values below 2^63 "
                f"such as 1.0; found {bad} at index {np.argwhere(~whole)[0].tolist()}"
            )
        return arr.astype(np.int64)
    kind = "complex" if arr.dtype.kind == "c" else "non-numeric"
    raise TypeError(f"{name} must hold integer class labels, got {kind} dtype {arr.dtype}")


def check_callable(value: Any, name: str) -> Callable:
    """Return ``value`` if it can be called (``grad_fn``, ``loss_fn``...), else raise ``TypeError``."""
    if not callable(value):
        raise TypeError(f"{name} must be callable (a function), got {type(value).__name__}")
    return value


def as_callable_result(value: Any, name: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Return what the callable argument ``name`` returned as a float array of ``shape``.

    The errors name the callable: ``TypeError`` when the result is not real numbers (a string,
    None, a ragged list), ``ValueError`` when it has the wrong shape (``shape=()`` for a scalar).
    """
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):  # a ragged list: numpy cannot make an array of it
        raise TypeError(f"{name} must return an array of real numbers, got {type(value).__name__}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must return real numbers, got {type(value).__name__} of dtype {arr.dtype}")
    result = as_float_array(arr, name)
    if shape is not None and result.shape != tuple(shape):
        if tuple(shape) == ():
            raise ValueError(f"{name} must return a scalar, got shape {result.shape}")
        raise ValueError(f"{name} must return shape {tuple(shape)}, got {result.shape}")
    return result


#: The documented range of finite input (CONTRIBUTING.md, "Bad input"): up to this magnitude
#: every result is finite and warning-free, so that a numpy warning there is a bug.
DOCUMENTED_RANGE = 1e4


def _outside_range(value: Any) -> bool:
    """True if ``value`` (an array, a float, or a list, tuple or dict of them) holds a number that
    is NaN, infinite or larger in magnitude than :data:`DOCUMENTED_RANGE`."""
    if isinstance(value, Mapping):
        return any(_outside_range(v) for v in value.values())
    if isinstance(value, (list, tuple)) and not all(isinstance(v, (int, float)) for v in value):
        return any(_outside_range(v) for v in value)  # a list of arrays: look at each one
    if isinstance(value, (float, np.floating, np.ndarray, list, tuple)):
        arr = np.asarray(value)
        if arr.dtype.kind in "iuf" and arr.size:
            # the extremes, two reductions without a temporary; a NaN makes both tests False
            return not (-DOCUMENTED_RANGE <= arr.min() and arr.max() <= DOCUMENTED_RANGE)
    return False


def nonfinite_errstate(*values: Any) -> contextlib.AbstractContextManager:
    """The floating-point error state for arithmetic on ``values``: the package's rule for bad input.

    When every number in ``values`` is finite and inside the documented range, nothing changes,
    so a ``RuntimeWarning`` still exposes a bug. When one of them is NaN, infinite or larger than
    :data:`DOCUMENTED_RANGE`, IEEE arithmetic already gives the honest result (NaN where it is
    undefined, +-inf where it overflows; PyTorch returns the same values, silently), and numpy's
    overflow, invalid-value and division warnings are switched off for the computation.
    """
    if any(_outside_range(v) for v in values):
        return np.errstate(over="ignore", invalid="ignore", divide="ignore")
    return contextlib.nullcontext()


_F = TypeVar("_F", bound=Callable[..., Any])


def propagates_nonfinite(fn: _F) -> _F:
    """Decorator: run ``fn`` under :func:`nonfinite_errstate` of all its arguments.

    NaN, infinite and overflowing input then give NaN and +-inf out (or whatever the function
    raises first), never a ``RuntimeWarning``; finite input inside the documented range runs
    exactly as without the decorator. The values computed are the same either way: only
    numpy's warnings depend on it. A callable argument (``grad_fn``, ``f``) evaluated during a
    call with bad input is evaluated in the same quiet state: at a bad point its IEEE values
    are the answer too. With good input its own warnings still reach its author.
    """

    @functools.wraps(fn)
    def checked(*args: Any, **kwargs: Any) -> Any:
        with nonfinite_errstate(*args, *kwargs.values()):
            return fn(*args, **kwargs)

    return checked  # type: ignore[return-value]
