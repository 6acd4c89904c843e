"""Activation functions compared: the local slope of each one, and how much of an input saturates it."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_real_scalar, propagates_nonfinite
from snippets.activations.gelu import gelu_backward
from snippets.activations.leaky_relu import leaky_relu_backward
from snippets.activations.relu import relu_backward
from snippets.activations.sigmoid import sigmoid_backward
from snippets.activations.silu import silu_backward
from snippets.activations.softmax import softmax
from snippets.activations.tanh import tanh_backward

__all__ = ["activation_slope", "saturation_fraction"]

# element-wise activations: name -> backward; the slope is backward(ones, x)
_ELEMENTWISE = {
    "sigmoid": sigmoid_backward,
    "tanh": tanh_backward,
    "relu": relu_backward,
    "leaky_relu": leaky_relu_backward,
    "gelu": gelu_backward,
    "silu": silu_backward,
}
_NAMES = (*_ELEMENTWISE, "softmax")


def _check_name(name: object) -> str:
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    if name not in _NAMES:
        raise ValueError(f"name must be one of {', '.join(_NAMES)}; got {name!r}")
    return name


# --8<-- [start:activation_slope]
@propagates_nonfinite
def activation_slope(name: str, x: ArrayLike) -> np.ndarray:
    """The derivative of activation ``name`` at each element of ``x``.

    For the element-wise activations this is ``<name>_backward(ones, x)`` with default
    hyperparameters (leaky ReLU slope 0.01, exact GELU). Softmax is not element-wise: its slope
    here is the diagonal of its Jacobian along the last axis, ``d p_i / d x_i = p_i (1 - p_i)``.

    Parameters
    ----------
    name : {"sigmoid", "tanh", "relu", "leaky_relu", "gelu", "silu", "softmax"}
        The activation.
    x : array_like, shape (*)
        Pre-activations (for softmax, scores with the classes on the last axis).

    Returns
    -------
    ndarray, shape (*)
        The slope at each element, with the shape and float dtype of ``x``.

    Examples
    --------
    >>> activation_slope("sigmoid", [0.0])  # sigma(0) (1 - sigma(0)) = 1/4
    array([0.25])
    >>> activation_slope("softmax", [0.0, 0.0])  # p = (1/2, 1/2): p (1 - p) = 1/4
    array([0.25, 0.25])
    """
    name = _check_name(name)
    x = as_float_array(x, "x")
    if name == "softmax":
        # diagonal of diag(p) - p p^T along the last axis
        p = softmax(x, axis=-1)
        return p * (1 - p)
    # d f / d x_i for an element-wise f: the backward pass with upstream gradient 1
    return _ELEMENTWISE[name](np.ones_like(x), x)
# --8<-- [end:activation_slope]


# --8<-- [start:saturation_fraction]
def saturation_fraction(name: str, x: ArrayLike, threshold: float = 0.01) -> np.float64:
    """Fraction of the elements of ``x`` at which activation ``name`` is saturated.

    An element counts as saturated when ``|activation_slope(name, x)| < threshold``: a gradient
    passing back through it is shrunk by more than ``1 / threshold``.

    Parameters
    ----------
    name : {"sigmoid", "tanh", "relu", "leaky_relu", "gelu", "silu", "softmax"}
        The activation.
    x : array_like, shape (*)
        Pre-activations, not empty.
    threshold : float, default 0.01
        A non-negative slope below which an element counts as saturated.

    Returns
    -------
    numpy.float64
        A number in [0, 1]; NaN if ``x`` contains NaN.

    Examples
    --------
    >>> float(saturation_fraction("tanh", [0.0, 1.0, 10.0, -10.0]))  # sech^2 10 ~ 8e-9: 2 of 4
    0.5
    """
    name = _check_name(name)
    x = as_float_array(x, "x")
    threshold = as_real_scalar(threshold, "threshold", low=0.0)
    if x.size == 0:
        raise ValueError(f"x must not be empty, got shape {x.shape}")
    slope = activation_slope(name, x)
    if np.isnan(slope).any():  # NaN in, NaN out: a NaN element is neither saturated nor not
        return np.float64(np.nan)
    # mean of a boolean mask: the fraction of elements whose slope is below the threshold
    return np.mean(np.abs(slope) < threshold, dtype=np.float64)
# --8<-- [end:saturation_fraction]
