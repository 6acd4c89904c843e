"""The logit (log-odds) function, the inverse of the sigmoid: logit(p) = log(p / (1 - p))."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_grad_out, as_probabilities, propagates_nonfinite

__all__ = ["logit", "logit_backward"]


# --8<-- [start:logit]
@propagates_nonfinite
def logit(p: ArrayLike) -> np.ndarray:
    """Log-odds of a probability, element-wise: ``log(p / (1 - p))``, the inverse of the sigmoid.

    The same values as ``scipy.special.logit(p)``: ``-inf`` at 0 and ``+inf`` at 1, without a
    warning. Unlike scipy (which returns NaN), values outside [0, 1] raise ``ValueError``.

    Parameters
    ----------
    p : array_like, shape (*)
        Probabilities in [0, 1]. float32 stays float32; other real input is computed in float64.

    Returns
    -------
    ndarray, shape (*)
        Real numbers (log-odds), with the shape and float dtype of ``p``; NaN stays NaN.

    Examples
    --------
    >>> logit([0.5, 0.75, 0.25])  # odds 1, 3 and 1/3: log-odds 0, ln 3, -ln 3
    array([ 0.        ,  1.09861229, -1.09861229])
    """
    p = as_probabilities(p, "p")
    with np.errstate(divide="ignore"):  # log 0 = -inf and atanh(1) = +inf are the right answers
        # p >= 1/4: logit(p) = 2 atanh(2p - 1), where 2p - 1 is exact (no rounding near p = 1/2 or 1)
        upper = 2 * np.arctanh(2 * np.maximum(p, 0.25) - 1)
        # p < 1/4: log p - log(1 - p), two logs with no cancellation
        lower = np.log(p) - np.log1p(-np.minimum(p, 0.25))
    return np.where(p >= 0.25, upper, lower)
# --8<-- [end:logit]


# --8<-- [start:logit_backward]
@propagates_nonfinite
def logit_backward(grad_out: ArrayLike, p: ArrayLike) -> np.ndarray:
    """Gradient of :func:`logit` with respect to ``p``.

    Parameters
    ----------
    grad_out : array_like, shape (*)
        Upstream gradient dL/dy, the shape of ``logit(p)``.
    p : array_like, shape (*)
        The forward input, probabilities in [0, 1].

    Returns
    -------
    ndarray, shape (*)
        dL/dp = grad_out / (p (1 - p)): at least 4 |grad_out|, and infinite at p = 0 and p = 1
        (and where 1 / p exceeds the largest float).

    Examples
    --------
    >>> logit_backward([1.0, 1.0], [0.5, 0.75])  # 1 / (1/2 * 1/2) = 4; 1 / (3/4 * 1/4) = 16/3
    array([4.        , 5.33333333])
    """
    p = as_probabilities(p, "p")
    grad_out = as_grad_out(grad_out, p.shape, p.dtype)
    # d/dp [log p - log(1 - p)] = 1/p + 1/(1 - p) = 1 / (p (1 - p)); 1 - p is exact for p >= 1/2
    with np.errstate(divide="ignore", over="ignore"):  # the derivative is infinite at 0 and 1
        return grad_out / (p * (1 - p))
# --8<-- [end:logit_backward]
