"""Mixed-precision training: 16-bit formats (float16, bfloat16) and dynamic loss scaling."""

from __future__ import annotations

from typing import Any

import numpy as np

from snippets._validate import as_float_array, as_int, as_real_scalar, propagates_nonfinite

__all__ = ["to_bfloat16", "float16_range", "dynamic_loss_scale_step"]


# --8<-- [start:to_bfloat16]
@propagates_nonfinite
def to_bfloat16(x: Any) -> np.ndarray:
    """Round ``x`` to the nearest bfloat16 value (ties to even), returned in x's float dtype.

    bfloat16 keeps float32's sign and 8 exponent bits and the top 7 of its 23 fraction bits:
    the upper 16 bits of the float32 pattern. Rounding adds ``0x7FFF`` plus the lowest kept
    bit to the pattern and clears the low 16 bits, which rounds to nearest with ties to even
    and carries into the exponent (up to infinity) where needed. The values equal those of
    ``torch.tensor(x).to(torch.bfloat16)``; float64 input is first rounded to float32, as there.

    Parameters
    ----------
    x : array_like, shape (*)
        Values to round; float64 beyond float32's range becomes +-inf.

    Returns
    -------
    ndarray, shape (*)
        The bfloat16 values, in float32 (or float64 for float64 input, holding the same values).
        NaN stays NaN; +-inf stays +-inf; values beyond bfloat16's largest finite
        number 3.3895e38 by more than half a unit in the last place become +-inf.

    Examples
    --------
    >>> # 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: the tie goes to the even pattern, 1
    >>> # 1 + 3 * 2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: it goes up to 1 + 2^-6
    >>> to_bfloat16(np.array([1.0 + 2.0**-8, 1.0 + 3 * 2.0**-8, 3.14159265], dtype=np.float32))
    array([1.      , 1.015625, 3.140625], dtype=float32)
    """
    x = as_float_array(x, "x")
    # float64 -> float32 first (round to nearest), then work on the 32-bit patterns
    bits = x.astype(np.float32).view(np.uint32)
    # round half to even at bit 16: add 0x7FFF, plus 1 when the lowest kept bit is odd
    rounded = (bits + (np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1)))) & np.uint32(0xFFFF0000)
    out = rounded.view(np.float32)
    # NaN patterns would be rounded like numbers (and may wrap around): keep them NaN
    out = np.where(np.isnan(x), np.float32(np.nan), out)
    return out.astype(x.dtype, copy=False)
# --8<-- [end:to_bfloat16]


# --8<-- [start:float16_range]
def float16_range(dtype: str = "float16") -> dict[str, float]:
    """The limits of a binary floating-point format, derived from its bit layout.

    ``float16`` (IEEE 754 half precision) has 5 exponent bits and 10 fraction bits; ``bfloat16``
    has 8 and 7, float32's exponent with a short fraction. With ``e`` exponent bits, ``m``
    fraction bits and bias ``2^(e-1) - 1``, the largest finite value is
    ``(2 - 2^-m) * 2^bias``, the smallest normal value ``2^(1 - bias)``, the smallest
    subnormal value ``2^(1 - bias - m)`` and the machine epsilon (spacing at 1) ``2^-m``:
    the fields of ``torch.finfo(torch.float16)`` (``max``, ``tiny``, ``smallest_subnormal``
    there as ``numpy.finfo``'s, ``eps``).

    Parameters
    ----------
    dtype : {"float16", "bfloat16", "float32"}, default "float16"
        The format to describe.

    Returns
    -------
    dict of str to float
        ``max``, ``tiny`` (smallest positive normal), ``smallest_subnormal`` and ``eps``.

    Examples
    --------
    >>> r = float16_range()
    >>> r["max"], r["tiny"] == 2.0**-14, r["smallest_subnormal"] == 2.0**-24, r["eps"]
    (65504.0, True, True, 0.0009765625)
    """
    layouts = {"float16": (5, 10), "bfloat16": (8, 7), "float32": (8, 23)}
    if dtype not in layouts:
        raise ValueError(f"dtype must be one of {sorted(layouts)}, got {dtype!r}")
    e, m = layouts[dtype]
    bias = 2 ** (e - 1) - 1
    # all exponent bits but the last set, all fraction bits set: (2 - 2^-m) * 2^bias
    return {
        "max": (2.0 - 2.0**-m) * 2.0**bias,
        "tiny": 2.0 ** (1 - bias),
        "smallest_subnormal": 2.0 ** (1 - bias - m),
        "eps": 2.0**-m,
    }
# --8<-- [end:float16_range]


# --8<-- [start:dynamic_loss_scale_step]
@propagates_nonfinite
def dynamic_loss_scale_step(
    grads: Any,
    scale: float,
    growth_tracker: int = 0,
    growth_factor: float = 2.0,
    backoff_factor: float = 0.5,
    growth_interval: int = 2000,
) -> tuple[np.ndarray, bool, float, int]:
    """One step of dynamic loss scaling: unscale the gradients and update the scale.

    The loss was multiplied by ``scale`` before the backward pass, so ``grads`` are ``scale``
    times too large. They are multiplied by the float32 reciprocal of ``scale``. If any of them
    is infinite or NaN, the step must be skipped and the scale is multiplied by
    ``backoff_factor``; otherwise, after ``growth_interval`` finite steps in a row, it is
    multiplied by ``growth_factor`` (kept when that would overflow float32). This is the rule
    of ``torch.amp.GradScaler`` (``unscale_`` and ``update``), whose scale is a float32 number.

    Parameters
    ----------
    grads : array_like, shape (*)
        The scaled gradients (all parameters' gradients, concatenated).
    scale : float
        Current loss scale, ``> 0`` and finite (GradScaler starts at ``2^16``).
    growth_tracker : int, default 0
        Finite steps in a row since the scale last changed, in ``[0, growth_interval)``.
    growth_factor : float, default 2.0
        Factor applied after ``growth_interval`` finite steps, ``> 1``.
    backoff_factor : float, default 0.5
        Factor applied after a step with a non-finite gradient, in (0, 1).
    growth_interval : int, default 2000
        Finite steps needed before the scale grows, ``>= 1``.

    Returns
    -------
    grads : ndarray, shape (*)
        The unscaled gradients, in the dtype of ``grads``.
    found_inf : bool
        True if a gradient was infinite or NaN: skip this optimizer step.
    scale : float
        The new scale (a float32 value).
    growth_tracker : int
        The new count of finite steps in a row.

    Examples
    --------
    >>> g, found_inf, scale, tracker = dynamic_loss_scale_step(np.array([1024.0, -2048.0]), 1024.0, 2, growth_interval=3)
    >>> g, found_inf, scale, tracker  # third finite step in a row: the scale doubles
    (array([ 1., -2.]), False, 2048.0, 0)
    >>> dynamic_loss_scale_step(np.array([np.inf, 1.0]), 1024.0, 2)[1:]  # overflow: halve, reset
    (True, 512.0, 0)
    """
    g = as_float_array(grads, "grads")
    s = as_real_scalar(scale, "scale", low=0.0, low_open=True)
    interval = as_int(growth_interval, "growth_interval", low=1)
    tracker = as_int(growth_tracker, "growth_tracker", low=0, high=interval - 1)
    growth = as_real_scalar(growth_factor, "growth_factor", low=1.0, low_open=True)
    backoff = as_real_scalar(backoff_factor, "backoff_factor", low=0.0, high=1.0, low_open=True, high_open=True)
    s32 = np.float32(s)
    if not np.isfinite(s32):
        raise ValueError(f"scale must be a finite float32 number (below 3.4e38), got {scale}")
    # unscale with the float32 reciprocal of the scale, as GradScaler does
    inv_scale = np.float32(1.0 / np.float64(s32))
    unscaled = g * g.dtype.type(inv_scale)
    found_inf = bool(not np.all(np.isfinite(g)))
    if found_inf:
        # an overflow (or NaN): shrink the scale and start counting again
        return unscaled, True, float(np.float32(np.float64(s32) * backoff)), 0
    tracker += 1
    if tracker == interval:
        # growth_interval clean steps: grow the scale, unless float32 would overflow
        with np.errstate(over="ignore"):  # the product is rounded to float32, as in PyTorch
            grown = np.float32(np.float64(s32) * growth)
        return unscaled, False, float(grown if np.isfinite(grown) else s32), 0
    return unscaled, False, float(s32), tracker
# --8<-- [end:dynamic_loss_scale_step]
