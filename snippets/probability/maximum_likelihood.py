"""Maximum-likelihood estimates in closed form: the Gaussian's mean and variance, a categorical's frequencies."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_class_indices, as_float_array, check_axis, check_shape, propagates_nonfinite

__all__ = ["gaussian_mle", "gaussian_mle_backward", "categorical_mle"]


def _check_samples(x: ArrayLike, axis: int) -> tuple[np.ndarray, int]:
    x = np.atleast_1d(as_float_array(x, "x"))
    axis = check_axis(axis, x.ndim, x.shape)
    if x.shape[axis] == 0:
        raise ValueError(f"x must hold at least one sample along axis {axis}, got shape {x.shape}")
    return x, axis


# --8<-- [start:gaussian_mle]
@propagates_nonfinite
def gaussian_mle(x: ArrayLike, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood mean and variance of a Gaussian fitted to the samples ``x``.

    Maximising ``sum_n log N(x_n; mu, var)`` gives the sample mean and the *biased* sample
    variance (divided by N, not N - 1): ``scipy.stats.norm.fit(x)`` returns ``(mu, sqrt(var))``.

    Parameters
    ----------
    x : array_like, shape (N, *) for axis=0
        N samples along ``axis``; every other axis is fitted separately.
    axis : int, default 0
        The axis that holds the samples.

    Returns
    -------
    mean, var : ndarray or numpy scalar, shape of ``x`` without ``axis``
        ``mean(x)`` and ``mean((x - mean)^2)`` along ``axis``, in the float dtype of ``x``.

    Examples
    --------
    >>> mu, var = gaussian_mle([1.0, 2.0, 3.0, 6.0])  # mean 3; squared deviations 4, 1, 0, 9
    >>> float(mu), float(var)                          # 14 / 4 = 3.5 (not 14 / 3)
    (3.0, 3.5)
    """
    x, axis = _check_samples(x, axis)
    # d/dmu = 0  ->  mu = the sample mean
    mean = np.mean(x, axis=axis)
    # d/dvar = 0 ->  var = the mean squared deviation from mu (two passes: no cancellation)
    var = np.mean((x - np.expand_dims(mean, axis)) ** 2, axis=axis)
    return mean, var
# --8<-- [end:gaussian_mle]


# --8<-- [start:gaussian_mle_backward]
@propagates_nonfinite
def gaussian_mle_backward(
    grad_mean: ArrayLike, grad_var: ArrayLike, x: ArrayLike, axis: int = 0
) -> np.ndarray:
    """Gradient of :func:`gaussian_mle` with respect to ``x``.

    Parameters
    ----------
    grad_mean, grad_var : array_like, shape of ``x`` without ``axis``
        Upstream gradients of the two outputs.
    x : array_like, shape (N, *) for axis=0
        The forward input.
    axis : int, default 0
        The axis that holds the samples.

    Returns
    -------
    ndarray, shape of ``x``
        ``(grad_mean + 2 grad_var (x - mean)) / N``.

    Examples
    --------
    >>> gaussian_mle_backward(1.0, 1.0, [1.0, 3.0])  # (1 + 2 (x - 2)) / 2 = -1/2 and 3/2
    array([-0.5,  1.5])
    """
    x, axis = _check_samples(x, axis)
    out_shape = x.shape[:axis] + x.shape[axis + 1 :]
    where = f"x of shape {x.shape} reduced over axis {axis}"
    grads = []
    for g, name in ((grad_mean, "grad_mean"), (grad_var, "grad_var")):
        g = as_float_array(g, name)
        check_shape(g, out_shape, name, "x.shape without axis", where)
        grads.append(np.expand_dims(g.astype(x.dtype, copy=False), axis))
    n = x.shape[axis]
    centred = x - np.expand_dims(np.mean(x, axis=axis), axis)
    # d mean / d x_n = 1/N;  d var / d x_n = 2 (x_n - mean) / N (the mean's own shift sums to 0)
    return (grads[0] + 2 * grads[1] * centred) / n
# --8<-- [end:gaussian_mle_backward]


# --8<-- [start:categorical_mle]
def categorical_mle(labels: ArrayLike, num_classes: int) -> np.ndarray:
    """Maximum-likelihood class probabilities from observed labels: the class frequencies.

    Maximising ``sum_n log p[labels[n]]`` subject to ``sum_c p[c] = 1`` gives
    ``p[c] = count(c) / N`` — the same ``p`` that minimises the cross-entropy between the
    empirical label distribution and ``p``.

    Parameters
    ----------
    labels : array_like of int, shape (N,)
        Observed classes in ``[0, num_classes)``; N >= 1.
    num_classes : int
        The number of classes C (classes never observed get probability 0).

    Returns
    -------
    ndarray, shape (C,)
        float64 frequencies that sum to 1.

    Examples
    --------
    >>> categorical_mle([0, 2, 2, 2], num_classes=3)  # counts 1, 0, 3 out of 4
    array([0.25, 0.  , 0.75])
    """
    if isinstance(num_classes, (bool, np.bool_)) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"num_classes must be an integer, got {type(num_classes).__name__}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be at least 1, got {num_classes}")
    labels = as_class_indices(labels, int(num_classes), "labels")
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError(f"labels must be a non-empty 1-D array (N,), got shape {labels.shape}")
    # the Lagrangian's stationary point: p_c proportional to the count of class c
    return np.bincount(labels, minlength=int(num_classes)) / labels.size
# --8<-- [end:categorical_mle]
