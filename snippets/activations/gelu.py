"""GELU (Gaussian error linear unit): x weighted by the probability that a standard normal is below x."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out
from snippets.activations._blocks import aligned_empty
from snippets.activations.sigmoid import sigmoid

__all__ = ["gelu", "gelu_backward"]

_INV_SQRT_2PI = 0.3989422804014326779  # 1 / sqrt(2 pi), the standard normal density at 0
_SQRT_2_OVER_PI = 0.7978845608028654  # sqrt(2 / pi), the tanh approximation's scale
_TANH_CUBIC = 0.044715  # the tanh approximation's cubic coefficient (Hendrycks & Gimpel)

# The normal tail, Phi(-a) = exp(-a^2 / 2) R(a) / 2 for a >= 0, where R(a) = erfcx(a / sqrt 2) falls
# smoothly from R(0) = 1 like sqrt(2 / pi) / a: a ratio of polynomials P(a) / Q(a) (degree of Q one
# more than P's) fits it with a small *relative* error everywhere. Coefficients of a^0, a^1, ...,
# minimax in relative error (fitted with mpmath; tests/activations/test_gelu.py measures the result):
# - float32: degrees 4 and 5, error 5.9e-9 on [0, 14.5]; beyond, |x| Phi(-|x|) < 1e-46 rounds to 0;
_P32 = (1.0000000059128777, 0.876601761234812, 0.3664792138453808, 0.08126950743082562,
        0.008233082360609009)
_Q32 = (1.0, 1.6744867427207488, 1.2025215407231633, 0.4694824434519589, 0.10186266805743206,
        0.01031851880889544)
# - float64: degrees 10 and 11, error 9e-17 on [0, 38.6]; beyond, |x| Phi(-|x|) < 5e-324 rounds to 0.
_P64 = (1.0, 1.655368127734903, 1.3584700157638343, 0.7141148574934046, 0.2638115693682934,
        0.07124046215676773, 0.014222639639886576, 0.002075404535796055, 0.0002126585223504726,
        1.3914558173678426e-05, 4.4695650437951083e-07)
_Q64 = (1.0, 2.4532526885377686, 2.8158824596962324, 2.000199173119476, 0.9792691929261343,
        0.34793674336878766, 0.09185293388821814, 0.018090842900051342, 0.0026185731580451077,
        0.0002670881093849131, 1.7439312473601027e-05, 5.601769057038245e-07)

# Elements per block. The exact GELU is evaluated block by block: the float64 temporaries of one
# block (1 to 2 MB) stay in the CPU cache, where numpy's passes over them are several times cheaper
# than passes over whole arrays in main memory (snippets/activations/_blocks.py). A multiple of 8,
# so that every row of a 64-byte aligned block buffer starts on a cache line.
_BLOCK = 12288


# --8<-- [start:normal_tail]
def _tail_rows(p: tuple[float, ...], q: tuple[float, ...], backward: bool) -> np.ndarray:
    """The coefficient matrix ``C`` (2 rows) with ``C @ [1, a, a^2, ...] = [num(a), Q(a)]``.

    forward:  num = a P(a) / 2,                so that a Phi(-a)          = exp(-a^2 / 2) num / Q;
    backward: num = P(a) / 2 - a Q(a) phi(0),  so that Phi(-a) - a phi(a) = exp(-a^2 / 2) num / Q.
    """
    rows = np.zeros((2, len(q) + 1 if backward else len(q)))  # up to a^deg(a Q) or a^deg(a P)
    if backward:
        rows[0, : len(p)] = np.multiply(p, 0.5)
        rows[0, 1:] -= np.multiply(q, _INV_SQRT_2PI)
    else:
        rows[0, 1 : len(p) + 1] = np.multiply(p, 0.5)
    rows[1, : len(q)] = q
    return rows


_ROWS = {
    (np.float32, False): _tail_rows(_P32, _Q32, backward=False),
    (np.float32, True): _tail_rows(_P32, _Q32, backward=True),
    (np.float64, False): _tail_rows(_P64, _Q64, backward=False),
    (np.float64, True): _tail_rows(_P64, _Q64, backward=True),
}
# |x| is clipped where the tail is already 0 in the dtype: x = +-inf then stays finite in the powers
_TAIL_CLIP = {np.float32: 15.0, np.float64: 40.0}


def _normal_tail(x: np.ndarray, rows: np.ndarray, clip: float, powers: np.ndarray,
                 out: np.ndarray, scratch: np.ndarray, float32_input: bool) -> np.ndarray:
    """E = exp(-x^2 / 2) for one float64 block ``x``; ``out`` receives num and Q (:func:`_tail_rows`).

    ``powers`` (row 0 holding ones), ``out`` (2 rows) and ``scratch`` (rows 0 and 1; the callers
    use row 2) are the block's preallocated float64 buffers; E is returned in ``scratch[0]``.
    """
    # a = |x|, clipped where the tail is already 0
    a = powers[1]
    np.abs(x, out=a)
    np.minimum(a, clip, out=a)
    # a^2, a^3, ...: squares where possible (one rounding each), else one more factor a
    for k in range(2, len(powers)):
        if k % 2 == 0:
            np.square(powers[k // 2], out=powers[k])
        else:
            np.multiply(powers[k - 1], a, out=powers[k])
    # num(a) and Q(a), both polynomials, in one matrix product
    np.matmul(rows, powers, out=out)
    e = scratch[0]
    if float32_input:
        # a is a float32 number: its square (48 bits) is exact in float64
        np.multiply(powers[2], -0.5, out=e)
        np.exp(e, out=e)
        return e
    # float64: rounding a^2 would cost exp(-a^2 / 2) a relative error of a^2 eps (700 eps at
    # a = 37). Split a = h + (a - h) with h = a rounded to float32: h^2 is exact (48 bits) and
    # exp(-a^2 / 2) = exp(-h^2 / 2) exp(-(a - h)(a + h) / 2), each factor good to an ulp.
    h, d = powers[2], scratch[1]  # a^2 is not needed any more: its row holds h
    np.copyto(h, a.astype(np.float32))
    np.subtract(a, h, out=d)
    np.add(a, h, out=e)
    np.multiply(d, e, out=d)
    np.multiply(d, -0.5, out=d)
    np.exp(d, out=d)
    np.square(h, out=e)
    np.multiply(e, -0.5, out=e)
    np.exp(e, out=e)
    np.multiply(e, d, out=e)
    return e
# --8<-- [end:normal_tail]


def _block_buffers(dtype: np.dtype, backward: bool, n: int) -> tuple:
    """The float64 buffers of one block (allocated once per call, reused by every block)."""
    rows = _ROWS[(dtype.type, backward)]
    block = min(_BLOCK, -(-n // 8) * 8)
    powers = aligned_empty((rows.shape[1], block))
    powers[0] = 1.0
    return rows, _TAIL_CLIP[dtype.type], powers, aligned_empty((2, block)), aligned_empty((3, block))


# --8<-- [start:exact_gelu]
def _exact_gelu(x: np.ndarray) -> np.ndarray:
    """x Phi(x) for a float32 or float64 array, computed in float64 block by block."""
    y = np.empty(x.shape, x.dtype)
    flat_x, flat_y = np.ravel(x), y.reshape(-1)
    float32_input = x.dtype == np.float32
    rows, clip, powers, out, scratch = _block_buffers(x.dtype, False, x.size)
    for start in range(0, x.size, _BLOCK):
        m = min(_BLOCK, x.size - start)
        xb, yb = flat_x[start : start + m], flat_y[start : start + m]
        full = m == powers.shape[1]  # all but a last, shorter block use the buffers whole
        p, o, s = (powers, out, scratch) if full else (powers[:, :m], out[:, :m], scratch[:, :m])
        # the block in float64 (for float64 input, the output block serves as its buffer)
        t = s[2] if float32_input else yb
        np.copyto(t, xb)
        # q = |x| Phi(-|x|) = E num / Q: positive, and accurate relative to itself in both tails
        e = _normal_tail(t, rows, clip, p, o, s, float32_input)
        q = o[0]
        np.multiply(q, e, out=q)
        np.divide(q, o[1], out=q)
        # x Phi(x) = relu(x) - |x| Phi(-|x|), which is x Phi(x) for x < 0 and x (1 - Phi(-x)) for
        # x > 0: no cancellation (at most half of x is taken away), and +-inf give +inf and 0
        np.maximum(t, 0.0, out=t)
        np.subtract(t, q, out=t)
        if float32_input:
            np.copyto(yb, t, casting="same_kind")  # rounded once to float32
    return y


def _exact_gelu_slope(grad_out: np.ndarray, x: np.ndarray) -> np.ndarray:
    """grad_out (Phi(x) + x phi(x)), the slope computed in float64 block by block."""
    dx = np.empty(x.shape, x.dtype)
    flat_x, flat_g, flat_dx = np.ravel(x), np.ravel(grad_out), dx.reshape(-1)
    float32_input = x.dtype == np.float32
    rows, clip, powers, out, scratch = _block_buffers(x.dtype, True, x.size)
    for start in range(0, x.size, _BLOCK):
        m = min(_BLOCK, x.size - start)
        xb, gb, dxb = flat_x[start : start + m], flat_g[start : start + m], flat_dx[start : start + m]
        full = m == powers.shape[1]  # all but a last, shorter block use the buffers whole
        p, o, s = (powers, out, scratch) if full else (powers[:, :m], out[:, :m], scratch[:, :m])
        t = s[2] if float32_input else dxb
        np.copyto(t, xb)
        # w = Phi(-|x|) - |x| phi(x) = E num / Q: the slope is w for x < 0 and 1 - w for x > 0
        e = _normal_tail(t, rows, clip, p, o, s, float32_input)
        # s w with s = sign(x): copysign puts the sign of x on E >= 0, no multiplication needed
        sw = o[0]
        np.copysign(e, t, out=e)
        np.multiply(sw, e, out=sw)
        np.divide(sw, o[1], out=sw)
        # slope = H - s w with H = 1 where x >= +0 and 0 where x <= -0 (the sign copysign saw; at
        # x = 0 both give 1/2): exact for x < 0, where the slope is w itself, tiny in the left tail
        np.copysign(0.5, t, out=t)
        np.add(t, 0.5, out=t)
        np.subtract(t, sw, out=t)
        # times grad_out, in x's dtype: the slope rounded once, then the product, as PyTorch does
        if float32_input:
            np.copyto(dxb, t, casting="same_kind")
            np.multiply(dxb, gb, out=dxb)
        else:
            np.multiply(t, gb, out=dxb)
    return dx
# --8<-- [end:exact_gelu]


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
    if approximate == "none":
        # relu(x) - |x| Phi(-|x|), with the normal tail from a rational approximation
        return _exact_gelu(x)
    # below x = -40 the true value is below the smallest float64: clipping there changes nothing
    # and turns x = -inf into 0 instead of -inf * 0 = NaN
    z = np.maximum(x.astype(np.float64), -40.0)
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
        dL/dx = grad_out * (Phi(x) + x phi(x)) with phi the standard normal density (the slope
        computed in float64; for float32 input rounded to float32 before the product, as PyTorch
        multiplies in float32); for ``"tanh"``, the derivative of the approximation.

    Examples
    --------
    >>> gelu_backward([1.0, 1.0], [0.0, 40.0])  # Phi(0) + 0 = 1/2; Phi(40) + 40 phi(40) = 1
    array([0.5, 1. ])
    """
    x = as_float_array(x, "x")
    approximate = _check_approximate(approximate)
    grad_out = as_grad_out(grad_out, x.shape, x.dtype)
    if approximate == "none":
        # d/dx [x Phi(x)] = Phi(x) + x phi(x), from the same rational approximation of the tail
        return _exact_gelu_slope(grad_out, x)
    # d/dx [x s(2u)] = s(2u) + x * 2 s(2u) s(-2u) * u',  u' = sqrt(2/pi) (1 + 3 c x^2)
    zc = np.clip(x.astype(np.float64), -1e3, 1e3)
    u = _SQRT_2_OVER_PI * (zc + _TANH_CUBIC * zc**3)
    du = _SQRT_2_OVER_PI * (1.0 + 3.0 * _TANH_CUBIC * zc**2)
    slope = sigmoid(2.0 * u) + zc * 2.0 * sigmoid(2.0 * u) * sigmoid(-2.0 * u) * du
    return (grad_out * slope.astype(x.dtype, copy=False)).astype(x.dtype, copy=False)
# --8<-- [end:gelu_backward]
