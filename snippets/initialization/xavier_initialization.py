"""Xavier (Glorot) initialisation: weights whose variance keeps signals and gradients at one scale."""

from __future__ import annotations

import math

import numpy as np

from snippets._validate import as_real_scalar, check_generator

__all__ = ["fan_in_and_fan_out", "calculate_gain", "xavier_uniform", "xavier_normal"]

_LINEAR_FNS = (
    "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
)


def _as_shape(shape: object) -> tuple[int, ...]:
    """A weight shape as a tuple of non-negative ints."""
    dims = (shape,) if isinstance(shape, (int, np.integer)) else shape
    if not isinstance(dims, (tuple, list)) or not all(
        isinstance(d, (int, np.integer)) and not isinstance(d, (bool, np.bool_)) for d in dims
    ):
        raise TypeError(f"shape must be a tuple of integers, got {shape!r}")
    if any(d < 0 for d in dims):
        raise ValueError(f"shape must not have negative sizes, got {tuple(dims)}")
    return tuple(int(d) for d in dims)


# --8<-- [start:fan_in_and_fan_out]
def fan_in_and_fan_out(shape: tuple[int, ...]) -> tuple[int, int]:
    """Number of inputs and outputs each weight connects, as ``torch.nn.init._calculate_fan_in_and_fan_out``.

    Parameters
    ----------
    shape : tuple of int
        A weight's shape with at least 2 dimensions: ``(out_features, in_features)`` for a linear
        layer, ``(C_out, C_in, *kernel_size)`` for a convolution.

    Returns
    -------
    fan_in, fan_out : int
        ``shape[1] * receptive field`` and ``shape[0] * receptive field``, where the receptive
        field is the product of ``shape[2:]`` (1 for a linear layer).

    Examples
    --------
    >>> fan_in_and_fan_out((256, 784))          # a linear layer 784 -> 256
    (784, 256)
    >>> fan_in_and_fan_out((64, 3, 3, 3))       # a 3x3 convolution, 3 -> 64 channels: 3*9, 64*9
    (27, 576)
    """
    dims = _as_shape(shape)
    if len(dims) < 2:
        raise ValueError(
            f"Fan in and fan out can not be computed for a shape with fewer than 2 dimensions, got {dims}"
        )
    # every kernel position is one more connection per input and per output channel
    receptive_field = math.prod(dims[2:])
    return dims[1] * receptive_field, dims[0] * receptive_field
# --8<-- [end:fan_in_and_fan_out]


# --8<-- [start:calculate_gain]
def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """Recommended scale factor for a nonlinearity, as ``torch.nn.init.calculate_gain``.

    Parameters
    ----------
    nonlinearity : str
        ``"linear"``, ``"conv1d"`` ... ``"conv_transpose3d"``, ``"sigmoid"`` (gain 1), ``"tanh"``
        (5/3), ``"relu"`` (sqrt 2), ``"leaky_relu"`` (sqrt(2 / (1 + slope^2))) or ``"selu"`` (3/4).
    param : float, optional
        The negative slope of ``"leaky_relu"`` (default 0.01), an int or a float (any other
        type raises ``ValueError``, as in PyTorch); ignored otherwise.

    Returns
    -------
    float
        The gain; for ``"leaky_relu"`` it tends to 0 as the slope grows (0 at an infinite slope,
        NaN for a NaN slope, as in PyTorch).

    Examples
    --------
    >>> calculate_gain("tanh"), calculate_gain("leaky_relu", 1.0)   # 5/3; sqrt(2 / 2) = 1
    (1.6666666666666667, 1.0)
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = float(param)
        else:
            # PyTorch's ValueError, naming the argument (its message calls it negative_slope)
            raise ValueError(f"param, leaky_relu's negative slope, must be an int or a float: {param!r} is not a valid number")
        # relu's sqrt(2), corrected for the variance the negative part lets through: sqrt(2 / (1 + s^2)),
        # as PyTorch rounds it; beyond 2^500, where s^2 would overflow, as sqrt(2 / (1 + s^-2)) / |s|
        if abs(slope) <= 2.0**500:
            return math.sqrt(2.0 / (1 + slope**2))
        return math.sqrt(2.0 / (1 + slope**-2)) / abs(slope)
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")
# --8<-- [end:calculate_gain]


# --8<-- [start:xavier_std]
def _xavier_std(shape: tuple[int, ...], gain: float) -> float:
    """``gain * sqrt(2 / (fan_in + fan_out))``, the std of both Xavier draws; 0.0 for a zero-size shape."""
    fan_in, fan_out = fan_in_and_fan_out(shape)
    gain = as_real_scalar(gain, "gain", low=0.0)
    if fan_in + fan_out == 0:
        return 0.0  # nothing to draw: the weight has no elements
    # the compromise between the forward (1/fan_in) and backward (1/fan_out) conditions
    return gain * math.sqrt(2.0 / (fan_in + fan_out))
# --8<-- [end:xavier_std]


# --8<-- [start:xavier_uniform]
def xavier_uniform(shape: tuple[int, ...], rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    """Weights drawn from U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))``, as ``torch.nn.init.xavier_uniform_``.

    Parameters
    ----------
    shape : tuple of int
        The weight's shape, at least 2-D (see :func:`fan_in_and_fan_out`).
    rng : numpy.random.Generator
        The source of randomness, e.g. ``np.random.default_rng(0)``.
    gain : float, default 1.0
        Scale factor, >= 0 (see :func:`calculate_gain`).

    Returns
    -------
    ndarray of float64, shape ``shape``
        Mean 0, variance ``gain^2 * 2 / (fan_in + fan_out)``.

    Examples
    --------
    >>> w = xavier_uniform((3, 5), np.random.default_rng(0))
    >>> a = np.sqrt(6 / (5 + 3))                     # = 0.866...
    >>> w.shape, bool(np.all(np.abs(w) <= a))
    ((3, 5), True)
    """
    std = _xavier_std(shape, gain)
    rng = check_generator(rng)
    # U(-a, a) has variance a^2 / 3
    a = math.sqrt(3.0) * std
    return rng.uniform(-a, a, size=_as_shape(shape))
# --8<-- [end:xavier_uniform]


# --8<-- [start:xavier_normal]
def xavier_normal(shape: tuple[int, ...], rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    """Weights drawn from N(0, std^2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``, as ``torch.nn.init.xavier_normal_``.

    Parameters
    ----------
    shape : tuple of int
        The weight's shape, at least 2-D (see :func:`fan_in_and_fan_out`).
    rng : numpy.random.Generator
        The source of randomness.
    gain : float, default 1.0
        Scale factor, >= 0.

    Returns
    -------
    ndarray of float64, shape ``shape``

    Examples
    --------
    >>> # std = sqrt(2 / (fan_in + fan_out)) = sqrt(2 / 200) = 0.1, so the sample std is close to 0.1
    >>> w = xavier_normal((100, 100), np.random.default_rng(0))
    >>> bool(abs(w.std() - 0.1) < 0.005)
    True
    """
    std = _xavier_std(shape, gain)
    rng = check_generator(rng)
    return rng.normal(0.0, std, size=_as_shape(shape))
# --8<-- [end:xavier_normal]
