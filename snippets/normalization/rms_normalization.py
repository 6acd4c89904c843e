"""RMS normalization: divide each example by the root mean square of its features, then rescale it."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_grad_out, propagates_nonfinite
from snippets.normalization.batch_normalization import _check_eps, _rms
from snippets.normalization.layer_normalization import _check_norm_inputs

__all__ = ["rms_norm", "rms_norm_backward"]


def _default_eps(eps: object, dtype: np.dtype) -> float:
    """``eps=None`` means the machine epsilon of x's dtype, as in PyTorch (1.19e-7 or 2.22e-16)."""
    return float(np.finfo(dtype).eps) if eps is None else _check_eps(eps)


# --8<-- [start:rms_norm]
@propagates_nonfinite
def rms_norm(
    x: ArrayLike,
    normalized_shape: int | tuple[int, ...],
    weight: ArrayLike | None = None,
    eps: float | None = None,
) -> np.ndarray:
    """RMS normalization over the trailing ``normalized_shape`` dims, as ``torch.nn.functional.rms_norm``.

    ``y = x / sqrt(mean(x^2) + eps) * weight``, with the mean taken over the last
    ``len(normalized_shape)`` dimensions of each example. Unlike layer normalization nothing is
    subtracted: there is no mean and no bias.

    Parameters
    ----------
    x : array_like, shape (*, *normalized_shape)
        Input; float32 stays float32, other real input is computed in float64.
    normalized_shape : int or tuple of ints
        The trailing dimensions to normalise over (an int ``D`` means ``(D,)``); must equal them.
    weight : array_like, shape normalized_shape, optional
        Element-wise scale (the gain g); None means 1. Cast to x's dtype.
    eps : float > 0 or None, default None
        Added to the mean square; None means ``np.finfo(x.dtype).eps``, as in PyTorch.

    Returns
    -------
    ndarray, shape of x
        The normalised input, in x's float dtype.

    Examples
    --------
    >>> # (3, 4): mean square (9 + 16) / 2 = 12.5, rms = sqrt(12.5) = 3.5355;
    >>> # 3 / 3.5355 = 0.8485 and 4 / 3.5355 = 1.1314 (eps = 2.2e-16 changes nothing here)
    >>> rms_norm([3.0, 4.0], 2).round(4)
    array([0.8485, 1.1314])
    """
    x, _, weight, axes = _check_norm_inputs(x, normalized_shape, weight)
    eps = _default_eps(eps, x.dtype)
    # divide by the root mean square of each example's features
    y = x / _rms(x, axes, eps)
    # the optional element-wise gain
    return y if weight is None else y * weight
# --8<-- [end:rms_norm]


# --8<-- [start:rms_norm_backward]
@propagates_nonfinite
def rms_norm_backward(
    grad_out: ArrayLike,
    x: ArrayLike,
    normalized_shape: int | tuple[int, ...],
    weight: ArrayLike | None = None,
    eps: float | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Gradients of :func:`rms_norm` with respect to ``x`` and ``weight``.

    Parameters
    ----------
    grad_out : array_like, shape of x
        Upstream gradient dL/dy.
    x : array_like, shape (*, *normalized_shape)
        The forward input.
    normalized_shape : int or tuple of ints
        The forward ``normalized_shape``.
    weight : array_like, shape normalized_shape, optional
        The forward gain.
    eps : float > 0 or None, default None
        The forward ``eps`` (None: the machine epsilon of x's dtype).

    Returns
    -------
    (dx, dweight) : ndarray of x's shape, then one of shape normalized_shape or None
        Always a pair; ``dweight`` is None when ``weight`` is None. With r = sqrt(mean(x^2) + eps),
        x_hat = x / r, g = grad_out and ĝ = g * weight (means over the normalised dims, sums over
        the leading dims): ``dweight = sum(g * x_hat)`` and ``dx = (ĝ - x_hat * mean(ĝ * x_hat)) / r``.

    Examples
    --------
    >>> # x = (3, 4), r = sqrt(12.5), x_hat = (3, 4) / r; for g = x_hat: mean(g x_hat) = 12.5 / 12.5 = 1,
    >>> # so dx = (x_hat - x_hat) / r = 0: scaling x along itself does not change y
    >>> x = np.array([3.0, 4.0])
    >>> rms_norm_backward(x / np.sqrt(12.5), x, 2)[0].round(12) + 0.0
    array([0., 0.])
    """
    x, shape, weight, axes = _check_norm_inputs(x, normalized_shape, weight)
    eps = _default_eps(eps, x.dtype)
    g = as_grad_out(grad_out, x.shape, x.dtype)
    batch_axes = tuple(range(x.ndim - len(shape)))
    # recompute the forward pass: r = sqrt(mean(x^2) + eps), x_hat = x / r
    r = _rms(x, axes, eps)
    x_hat = x / r
    # y = weight * x_hat: the gain's gradient is a sum over the batch dims
    dweight = None if weight is None else np.sum(g * x_hat, axis=batch_axes)
    # through x_hat directly and through r (d r / d x_j = x_j / (H r))
    g_hat = g if weight is None else g * weight
    dx = (g_hat - x_hat * np.mean(g_hat * x_hat, axis=axes, keepdims=True)) / r
    return dx, dweight
# --8<-- [end:rms_norm_backward]
