"""He (Kaiming) initialisation: weight variance 2 / fan for rectifier networks."""

from __future__ import annotations

import math

import numpy as np

from snippets._validate import as_real_scalar, check_generator
from snippets.initialization.xavier_initialization import _as_shape, calculate_gain, fan_in_and_fan_out

__all__ = ["kaiming_uniform", "kaiming_normal"]


# --8<-- [start:kaiming_std]
def _kaiming_std(shape: tuple[int, ...], a: float, mode: str, nonlinearity: str) -> float:
    """gain / sqrt(fan), with PyTorch's checks and messages; 0.0 for a zero-size shape."""
    if not isinstance(mode, str):
        raise TypeError(f"mode must be a string, got {type(mode).__name__}")
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = fan_in_and_fan_out(shape)
    a = as_real_scalar(a, "a")
    gain = calculate_gain(nonlinearity, a)
    fan = fan_in if mode == "fan_in" else fan_out
    if 0 in _as_shape(shape):
        return 0.0  # nothing to draw (PyTorch warns and returns the tensor untouched)
    return gain / math.sqrt(fan)
# --8<-- [end:kaiming_std]


# --8<-- [start:kaiming_uniform]
def kaiming_uniform(
    shape: tuple[int, ...],
    rng: np.random.Generator,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
) -> np.ndarray:
    """Weights from U(-b, b) with ``b = gain * sqrt(3 / fan)``, as ``torch.nn.init.kaiming_uniform_``.

    Parameters
    ----------
    shape : tuple of int
        The weight's shape, at least 2-D: ``(out_features, in_features)`` or ``(C_out, C_in, *kernel)``.
    rng : numpy.random.Generator
        The source of randomness.
    a : float, default 0.0
        Negative slope of the rectifier that follows (0 for ReLU); used when ``nonlinearity`` is
        ``"leaky_relu"``.
    mode : {"fan_in", "fan_out"}, default "fan_in"
        ``"fan_in"`` keeps the forward activations' variance, ``"fan_out"`` the backward gradients'.
    nonlinearity : str, default "leaky_relu"
        Passed to :func:`calculate_gain` with ``a``: the default gives sqrt(2 / (1 + a^2)).

    Returns
    -------
    ndarray of float64, shape ``shape``
        Mean 0, variance ``gain^2 / fan``.

    Examples
    --------
    >>> # fan_in 6, gain sqrt(2): b = sqrt(2) * sqrt(3 / 6) = 1
    >>> w = kaiming_uniform((4, 6), np.random.default_rng(0))
    >>> w.shape, bool(np.all(np.abs(w) <= 1.0))
    ((4, 6), True)
    """
    std = _kaiming_std(shape, a, mode, nonlinearity)
    rng = check_generator(rng)
    # U(-b, b) has variance b^2 / 3
    bound = math.sqrt(3.0) * std
    return rng.uniform(-bound, bound, size=_as_shape(shape))
# --8<-- [end:kaiming_uniform]


# --8<-- [start:kaiming_normal]
def kaiming_normal(
    shape: tuple[int, ...],
    rng: np.random.Generator,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
) -> np.ndarray:
    """Weights from N(0, std^2) with ``std = gain / sqrt(fan)``, as ``torch.nn.init.kaiming_normal_``.

    Parameters
    ----------
    shape : tuple of int
        The weight's shape, at least 2-D.
    rng : numpy.random.Generator
        The source of randomness.
    a : float, default 0.0
        Negative slope of the rectifier (0 for ReLU).
    mode : {"fan_in", "fan_out"}, default "fan_in"
    nonlinearity : str, default "leaky_relu"

    Returns
    -------
    ndarray of float64, shape ``shape``

    Examples
    --------
    >>> # relu after a 200-input layer: std = sqrt(2 / 200) = 0.1
    >>> w = kaiming_normal((200, 200), np.random.default_rng(0), nonlinearity="relu")
    >>> bool(abs(w.std() - 0.1) < 0.005)
    True
    """
    std = _kaiming_std(shape, a, mode, nonlinearity)
    rng = check_generator(rng)
    return rng.normal(0.0, std, size=_as_shape(shape))
# --8<-- [end:kaiming_normal]
