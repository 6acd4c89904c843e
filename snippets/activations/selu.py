"""SELU, the scaled ELU of self-normalizing networks, and alpha dropout, the dropout that keeps them so."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import (
    as_bool,
    as_float_array,
    as_grad_out,
    as_real_scalar,
    check_generator,
    propagates_nonfinite,
)

__all__ = ["selu", "selu_backward", "alpha_dropout"]

# the fixed point of Klambauer et al. (2017), eq. 14: mean 0 and variance 1 in, the same out
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _coefficients(dtype: np.dtype) -> tuple[np.floating, np.floating]:
    """lambda and lambda * alpha in ``dtype``, rounded as PyTorch rounds them (each constant to the
    dtype, then their product)."""
    scale = dtype.type(SELU_SCALE)
    return scale, dtype.type(SELU_ALPHA) * scale


# --8<-- [start:selu]
@propagates_nonfinite
def selu(x: ArrayLike) -> np.ndarray:
    """Scaled exponential linear unit, element-wise: ``lambda * (x if x > 0 else alpha * (exp(x) - 1))``.

    With the constants ``alpha = SELU_ALPHA`` (1.6733) and ``lambda = SELU_SCALE`` (1.0507); the
    same values as ``torch.nn.functional.selu(x)``.

    Parameters
    ----------
    x : array_like, shape (*)
        Input of any shape. float32 stays float32; other real input is computed in float64.

    Returns
    -------
    ndarray, shape (*)
        Values above ``-lambda * alpha`` (-1.7581), with the shape and float dtype of ``x``.

    Examples
    --------
    >>> selu([0.0, 1.0]) / SELU_SCALE  # 0 and 1 pass through, times lambda
    array([0., 1.])
    >>> bool(np.isclose(selu(-np.inf), -SELU_ALPHA * SELU_SCALE))  # saturates at -lambda alpha
    True
    """
    x = as_float_array(x, "x")
    scale, scale_alpha = _coefficients(x.dtype)
    # lambda alpha (e^x - 1) on the non-positive part (expm1 of min(x, 0): exact near 0, no overflow)
    y = np.minimum(x, 0, out=np.empty_like(x))
    np.expm1(y, out=y)
    np.multiply(y, scale_alpha, out=y)
    # lambda x on x > 0 (NaN stays NaN: NaN > 0 is False)
    return np.where(x > 0, np.multiply(x, scale), y)
# --8<-- [end:selu]


# --8<-- [start:selu_backward]
@propagates_nonfinite
def selu_backward(grad_out: ArrayLike, x: ArrayLike) -> np.ndarray:
    """Gradient of :func:`selu` with respect to ``x``.

    The derivative is ``lambda`` for ``x > 0`` and ``lambda * alpha * exp(x)`` for ``x <= 0``; at
    ``x = 0`` this returns ``lambda * alpha`` (the left slope), as PyTorch's autograd does.

    Parameters
    ----------
    grad_out : array_like, shape (*)
        Upstream gradient dL/dy, the shape of ``selu(x)``.
    x : array_like, shape (*)
        The forward input.

    Returns
    -------
    ndarray, shape (*)
        dL/dx = grad_out * lambda where x > 0, grad_out * lambda * alpha * exp(x) where x <= 0.

    Examples
    --------
    >>> selu_backward([1.0, 1.0], [-1.0, 2.0]) / SELU_SCALE  # alpha e^-1 = 1.67326 * 0.36788;  1
    array([0.61555915, 1.        ])
    """
    x = as_float_array(x, "x")
    grad_out = as_grad_out(grad_out, x.shape, x.dtype)
    scale, scale_alpha = _coefficients(x.dtype)
    # lambda alpha e^x on x <= 0 (exponent clipped at 0: no overflow), lambda on x > 0
    slope = np.minimum(x, 0, out=np.empty_like(x))
    np.exp(slope, out=slope)
    np.multiply(slope, scale_alpha, out=slope)
    np.copyto(slope, scale, where=x > 0)
    return np.multiply(slope, grad_out, out=slope)
# --8<-- [end:selu_backward]


# --8<-- [start:alpha_dropout]
@propagates_nonfinite
def alpha_dropout(
    x: ArrayLike, p: float = 0.5, training: bool = True, rng: np.random.Generator | None = None
) -> np.ndarray:
    """Alpha dropout: drop each unit with probability ``p`` to SELU's saturation value, then apply
    the affine map that restores mean 0 and variance 1.

    Same semantics as ``torch.nn.functional.alpha_dropout(x, p, training)``: a kept unit becomes
    ``a * x + a * alpha' * p`` and a dropped one ``-a * alpha' * (1 - p)``, with
    ``alpha' = lambda * alpha`` (1.7581) and ``a = ((alpha'^2 p + 1) (1 - p))^(-1/2)``. Outside training,
    with ``p = 0`` or on an empty input, ``x`` comes back unchanged (a copy); with ``p = 1`` every
    unit is 0, as in PyTorch. A dropped unit is that constant even where ``x`` is infinite or NaN
    (PyTorch multiplies ``x`` by 0 there and gives NaN).

    Parameters
    ----------
    x : array_like, shape (*)
        Input of any shape (meant to be standardised: mean 0, variance 1, as SELU keeps it).
    p : float, default 0.5
        Drop probability, in [0, 1].
    training : bool, default True
        Whether to drop at all (``False``: the identity, as at evaluation time).
    rng : numpy.random.Generator, optional
        Source of the mask; a fresh ``np.random.default_rng()`` when omitted.

    Returns
    -------
    ndarray, shape (*)
        The shape and float dtype of ``x``.

    Examples
    --------
    >>> y = alpha_dropout(np.zeros(8), p=0.5, rng=np.random.default_rng(0))
    >>> np.unique(y.round(4))  # x = 0, p = 1/2: a = (alpha'^2 / 2 + 1)^(-1/2) sqrt 2, values -+a alpha' / 2
    array([-0.7792,  0.7792])
    >>> alpha_dropout([1.0, 2.0], p=0.5, training=False)
    array([1., 2.])
    """
    x = as_float_array(x, "x")
    p = as_real_scalar(p, "p", low=0.0, high=1.0)
    training = as_bool(training, "training")
    rng = np.random.default_rng() if rng is None else check_generator(rng)
    if not training or p == 0 or x.size == 0:
        return x.copy()
    if p == 1:
        return np.zeros_like(x)
    alpha_prime = SELU_SCALE * SELU_ALPHA
    # the affine map a (m x + alpha' (m - 1)) + a alpha' p that gives mean 0 and variance 1 back
    a = 1.0 / np.sqrt((alpha_prime**2 * p + 1.0) * (1.0 - p))
    kept_shift = x.dtype.type(a * alpha_prime * p)
    dropped = x.dtype.type(-a * alpha_prime * (1.0 - p))
    keep = rng.random(x.shape) >= p  # kept with probability 1 - p
    return np.where(keep, x * x.dtype.type(a) + kept_shift, dropped)
# --8<-- [end:alpha_dropout]
