"""Bias-variance trade-off: expected squared error = bias^2 + variance + noise, estimated over training sets."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_real_scalar, check_shape, propagates_nonfinite

__all__ = ["bias_variance_decomposition"]


# --8<-- [start:bias_variance_decomposition]
@propagates_nonfinite
def bias_variance_decomposition(
    predictions: ArrayLike, f_true: ArrayLike, noise_var: float = 0.0
) -> tuple[np.floating, np.floating, np.floating]:
    """Squared bias, variance and noise of a learning method, averaged over test inputs.

    Row ``r`` of ``predictions`` holds the predictions, at M fixed test inputs, of the model
    trained on the r-th of R independent training sets. Then, averaged over the M inputs,
    ``bias2 + variance == mean((predictions - f_true) ** 2)`` exactly (up to rounding), and
    adding ``noise`` gives the expected squared error against noisy targets ``f_true + eps``
    with ``Var(eps) = noise_var``.

    Parameters
    ----------
    predictions : array_like, shape (R, M)
        Predictions of R fitted models (R >= 1) at M test inputs (M >= 1).
    f_true : array_like, shape (M,)
        The noise-free target function at the M test inputs.
    noise_var : float, default 0.0
        Variance sigma^2 of the target noise, ``>= 0``; returned as the noise term.

    Returns
    -------
    bias2, variance, noise : numpy scalars in the float dtype of ``predictions``
        ``bias2 = mean_m (mean_r pred[r, m] - f[m])^2``;
        ``variance = mean_m mean_r (pred[r, m] - mean_r pred[r, m])^2`` (divided by R, not
        R - 1: the identity above needs it); ``noise = noise_var``.

    Examples
    --------
    >>> # two fits at two inputs; f = (1, 1). Mean prediction (2, 4): bias^2 = (1 + 9) / 2 = 5;
    >>> # every prediction is 1 from its mean: variance = 1. Check: mean((0, 2, 2, 4)^2) = 6 = 5 + 1
    >>> [float(v) for v in bias_variance_decomposition([[1.0, 3.0], [3.0, 5.0]], [1.0, 1.0], 0.09)]
    [5.0, 1.0, 0.09]
    """
    pred = as_float_array(predictions, "predictions")
    if pred.ndim != 2 or 0 in pred.shape:
        raise ValueError(
            f"predictions must have shape (R, M) with R >= 1 fitted models and M >= 1 test inputs, "
            f"got shape {pred.shape}"
        )
    f = as_float_array(f_true, "f_true").astype(pred.dtype, copy=False)
    check_shape(f, (pred.shape[1],), "f_true", "(M,)", f"M = {pred.shape[1]} test inputs in predictions")
    noise = pred.dtype.type(as_real_scalar(noise_var, "noise_var", low=0.0))
    # the average model: E_D[y_hat(x)] at every test input
    mean_pred = np.mean(pred, axis=0)
    # bias^2: how far the average model is from the truth
    bias2 = np.mean((mean_pred - f) ** 2)
    # variance: how far single fits scatter around the average model (two passes: no cancellation)
    variance = np.mean((pred - mean_pred) ** 2)
    return bias2, variance, noise
# --8<-- [end:bias_variance_decomposition]
