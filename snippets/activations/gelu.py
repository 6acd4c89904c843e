"""GELU (Gaussian error linear unit): x weighted by the probability that a standard normal is below x."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out
from snippets.activations.sigmoid import sigmoid

__all__ = ["gelu", "gelu_backward"]

_SQRT1_2 = 0.7071067811865475244  # 1 / sqrt(2)
_INV_SQRT_2PI = 0.3989422804014326779  # 1 / sqrt(2 pi), the standard normal density at 0
_SQRT_2_OVER_PI = 0.7978845608028654  # sqrt(2 / pi), the tanh approximation's scale
_TANH_CUBIC = 0.044715  # the tanh approximation's cubic coefficient (Hendrycks & Gimpel)

# Cephes (S. L. Moshier) rational approximations, as in scipy.special.ndtr:
# erf(t) = t T(t^2) / U(t^2) for |t| < 1, and erfc(t) = exp(-t^2) P(t) / Q(t) for 1 <= t < 8,
# exp(-t^2) R(t) / S(t) for t >= 8 (U, Q and S have a leading coefficient 1, not stored).
_ERF_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
          7.00332514112805075473e3, 5.55923013010394962768e4)
_ERF_U = (3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
          2.26290000613890934246e4, 4.92673942608635921086e4)
_ERFC_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
           4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
           9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2)
_ERFC_Q = (1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
           9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
           1.65666309194161350182e3, 5.57535340817727675546e2)
_ERFC_R = (5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0,
           6.16021097993053585195e0, 7.40974269950448939160e0, 2.97886665372100240670e0)
_ERFC_S = (2.26052863220117276590e0, 9.39603524938001434673e0, 1.20489539808096656605e1,
           1.70814450747565897222e1, 9.60896809063285878198e0, 3.36907645100081516050e0)


def _polyval(t: np.ndarray, coefficients: tuple[float, ...], monic: bool = False) -> np.ndarray:
    """Horner's rule, highest power first; ``monic`` prepends the unstored leading 1."""
    acc = np.ones_like(t) if monic else np.full_like(t, coefficients[0])
    for c in coefficients if monic else coefficients[1:]:
        acc = acc * t + c
    return acc


def _exp_minus_half_square(x: np.ndarray) -> np.ndarray:
    """``exp(-x^2 / 2)`` to a few ulps for float64 ``x``, however large ``x^2`` is.

    Forming ``x * x`` first rounds it by up to x^2 * eps, which exp turns into a relative error
    of that size (~800 eps at |x| = 40). Splitting ``x = h + l`` with ``h`` a multiple of 1/32
    makes ``h^2`` exact and leaves only the small product ``(x - h)(x + h)`` to round.
    """
    a = np.minimum(np.abs(x), 40.0)  # exp(-800) is 0 in float64: larger |x| changes nothing
    h = np.round(a * 32.0) / 32.0
    return np.exp(-0.5 * h * h) * np.exp(-0.5 * (a - h) * (a + h))


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF ``Phi(x) = erfc(-x / sqrt 2) / 2`` for float64 ``x``, element-wise.

    Accurate to a few ulps *relative* in both tails: for x < 0 the tail erfc(|x| / sqrt 2) / 2 is
    computed directly, never as 1 - (something close to 1).
    """
    t = np.abs(x) * _SQRT1_2
    # centre (|t| < 1): Phi = 1/2 + erf(x / sqrt 2) / 2, erf from its odd rational approximation
    t_small = np.minimum(t, 1.0)
    erf_small = t_small * _polyval(t_small**2, _ERF_T) / _polyval(t_small**2, _ERF_U, monic=True)
    centre = 0.5 + 0.5 * np.copysign(erf_small, x)
    # tails (|t| >= 1): Phi(-|x|) = exp(-x^2/2) * P(t) / (2 Q(t)); t is clipped so the
    # polynomials stay finite (the exponential is already 0 there)
    t_big = np.clip(t, 1.0, 30.0)
    ratio = np.where(
        t_big < 8.0,
        _polyval(t_big, _ERFC_P) / _polyval(t_big, _ERFC_Q, monic=True),
        _polyval(t_big, _ERFC_R) / _polyval(t_big, _ERFC_S, monic=True),
    )
    lower_tail = 0.5 * _exp_minus_half_square(x) * ratio
    tail = np.where(x < 0, lower_tail, 1.0 - lower_tail)
    return np.where(t < 1.0, centre, tail)


def _check_approximate(approximate: object) -> str:
    if not isinstance(approximate, str):
        raise TypeError(f"approximate must be a string ('none' or 'tanh'), got {type(approximate).__name__}")
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    return approximate


# --8<-- [start:gelu]
def gelu(x: ArrayLike, approximate: str = "none") -> np.ndarray:
    """Gaussian error linear unit, element-wise: ``x * Phi(x)``, Phi the standard normal CDF.

    The same values as ``torch.nn.functional.gelu(x, approximate=approximate)``.

    Parameters
    ----------
    x : array_like, shape (*)
        Input of any shape. float32 stays float32 (computed in float64, then rounded once);
        other real input is computed in float64.
    approximate : {"none", "tanh"}, default "none"
        ``"none"``: the exact ``x * Phi(x) = x / 2 * (1 + erf(x / sqrt 2))``. ``"tanh"``: the
        approximation ``x / 2 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3)))``.

    Returns
    -------
    ndarray, shape (*)
        Values >= -0.17 (the minimum, near x = -0.75), with the shape and float dtype of ``x``.

    Examples
    --------
    >>> gelu([-1.0, 0.0, 1.0])  # 1 * Phi(1) = 0.841345; -1 * Phi(-1) = -(1 - 0.841345)
    array([-0.15865525,  0.        ,  0.84134475])
    """
    x = as_float_array(x, "x")
    approximate = _check_approximate(approximate)
    # below x = -40 the true value is below the smallest float64 (|x| Phi(x) < 1e-340): clipping
    # there changes nothing and turns x = -inf into 0 instead of -inf * 0 = NaN
    z = np.maximum(x.astype(np.float64), -40.0)
    if approximate == "none":
        # x * Phi(x), with Phi accurate in the far left tail (no 1 + erf cancellation)
        y = z * _normal_cdf(z)
    else:
        # 1 + tanh(u) = 2 sigmoid(2u): x/2 (1 + tanh u) = x sigmoid(2u), no cancellation for x << 0
        zc = np.minimum(z, 1e3)  # keeps x^3 finite; sigmoid(2u) is exactly 1 beyond
        u = _SQRT_2_OVER_PI * (zc + _TANH_CUBIC * zc**3)
        y = z * sigmoid(2.0 * u)
    return y.astype(x.dtype, copy=False)
# --8<-- [end:gelu]


# --8<-- [start:gelu_backward]
def gelu_backward(grad_out: ArrayLike, x: ArrayLike, approximate: str = "none") -> np.ndarray:
    """Gradient of :func:`gelu` with respect to ``x``.

    Parameters
    ----------
    grad_out : array_like, shape (*)
        Upstream gradient dL/dy, the shape of ``gelu(x)``.
    x : array_like, shape (*)
        The forward input.
    approximate : {"none", "tanh"}, default "none"
        The variant the forward pass used.

    Returns
    -------
    ndarray, shape (*)
        dL/dx = grad_out * (Phi(x) + x phi(x)) with phi the standard normal density; for
        ``"tanh"``, the derivative of the approximation.

    Examples
    --------
    >>> gelu_backward([1.0, 1.0], [0.0, 40.0])  # Phi(0) + 0 = 1/2; Phi(40) + 40 phi(40) = 1
    array([0.5, 1. ])
    """
    x = as_float_array(x, "x")
    approximate = _check_approximate(approximate)
    grad_out = as_grad_out(grad_out, x.shape, x.dtype)
    z = x.astype(np.float64)
    if approximate == "none":
        # d/dx [x Phi(x)] = Phi(x) + x phi(x); x is clipped where phi(x) is exactly 0 so that
        # x = +-inf gives the limits 1 and 0 instead of inf * 0
        zc = np.clip(z, -40.0, 40.0)
        slope = _normal_cdf(z) + zc * _INV_SQRT_2PI * _exp_minus_half_square(zc)
    else:
        # d/dx [x s(2u)] = s(2u) + x * 2 s(2u) s(-2u) * u',  u' = sqrt(2/pi) (1 + 3 c x^2)
        zc = np.clip(z, -1e3, 1e3)
        u = _SQRT_2_OVER_PI * (zc + _TANH_CUBIC * zc**3)
        du = _SQRT_2_OVER_PI * (1.0 + 3.0 * _TANH_CUBIC * zc**2)
        slope = sigmoid(2.0 * u) + zc * 2.0 * sigmoid(2.0 * u) * sigmoid(-2.0 * u) * du
    return (grad_out * slope.astype(x.dtype, copy=False)).astype(x.dtype, copy=False)
# --8<-- [end:gelu_backward]
