"""Transfer learning: reuse a network trained on one task as the starting point for another."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from snippets._validate import (
    as_callable_result,
    as_float_array,
    as_real_scalar,
    check_callable,
    check_shape,
    propagates_nonfinite,
)

__all__ = ["freeze", "extract_features", "linear_probe"]


# --8<-- [start:freeze]
def freeze(params: Mapping[str, Any], trainable_names: Iterable[str]) -> dict[str, bool]:
    """Which parameters the optimizer may change: ``True`` for those named, ``False`` (frozen) for the rest.

    The flags ``p.requires_grad_(name in trainable_names)`` would set on a PyTorch module's
    ``named_parameters()``. A training step then updates only the parameters flagged ``True``;
    the frozen ones stay bit for bit as they were (the pretrained backbone).

    Parameters
    ----------
    params : mapping of str to array_like
        The model's parameters by name.
    trainable_names : iterable of str
        Names of the parameters to keep training (typically the new head); each must be a key
        of ``params``.

    Returns
    -------
    dict of str to bool
        ``requires_grad`` for every name in ``params``, in its order.

    Examples
    --------
    >>> params = {"backbone.weight": np.ones((4, 3)), "head.weight": np.zeros((2, 4)), "head.bias": np.zeros(2)}
    >>> freeze(params, ["head.weight", "head.bias"])
    {'backbone.weight': False, 'head.weight': True, 'head.bias': True}
    """
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict of named parameters, got {type(params).__name__}")
    if isinstance(trainable_names, str):
        raise TypeError("trainable_names must be a list of names, got a single str (wrap it in a list)")
    names = list(trainable_names)
    unknown = [n for n in names if n not in params]
    if unknown:
        raise ValueError(f"trainable_names holds {unknown}, not among the parameters {list(params)}")
    keep = set(names)
    # requires_grad: True only for the parameters still being trained
    return {name: name in keep for name in params}
# --8<-- [end:freeze]


# --8<-- [start:extract_features]
@propagates_nonfinite
def extract_features(backbone_fn: Callable[[np.ndarray], Any], X: Any) -> np.ndarray:
    """Run a frozen backbone over the inputs and flatten its output to one feature row per sample.

    The *feature extraction* form of transfer learning: the pretrained network, without its
    output layer, maps each input to a vector, and only a small model on those vectors is
    trained. ``torch.flatten(backbone(X), 1)`` under ``torch.no_grad()``.

    Parameters
    ----------
    backbone_fn : callable
        ``backbone_fn(X) -> activations`` of shape ``(N, *)``, one entry per input row.
    X : array_like, shape (N, *)
        Inputs, one per row.

    Returns
    -------
    ndarray, shape (N, D)
        The activations with every axis after the first flattened (D = their product), in the
        float dtype the backbone returned.

    Examples
    --------
    >>> # a "backbone" that returns a 2 x 2 map per sample: flattened to 4 features
    >>> extract_features(lambda x: np.stack([x, 2 * x], axis=1), np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([[1., 2., 2., 4.],
           [3., 4., 6., 8.]])
    """
    backbone_fn = check_callable(backbone_fn, "backbone_fn")
    X = as_float_array(X, "X")
    if X.ndim < 1:
        raise ValueError(f"X must hold one input per row, shape (N, *), got shape {X.shape}")
    out = as_callable_result(backbone_fn(X), "backbone_fn")
    if out.ndim < 1 or out.shape[0] != X.shape[0]:
        raise ValueError(f"backbone_fn must return one row per input: X has {X.shape[0]} rows, got shape {out.shape}")
    # (N, *) -> (N, D): one feature vector per sample
    return out.reshape(out.shape[0], -1)
# --8<-- [end:extract_features]


# --8<-- [start:linear_probe]
@propagates_nonfinite
def linear_probe(features: Any, y: Any, alpha: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Fit a ridge-regression head on frozen features, in closed form.

    Minimises ``||F w + b - y||^2 + alpha ||w||^2`` (the intercept b is not penalised): centre F
    and y, solve ``(Fc^T Fc + alpha I) w = Fc^T yc``, then ``b = mean(y) - mean(F) w``. The
    coefficients of ``sklearn.linear_model.Ridge(alpha, fit_intercept=True)``. For
    classification pass one-hot targets (K columns) and predict the class of the largest score.

    Parameters
    ----------
    features : array_like, shape (N, D)
        Frozen features, one row per sample (:func:`extract_features`).
    y : array_like, shape (N,) or (N, K)
        Targets (K columns: K heads fitted at once).
    alpha : float, default 1.0
        Ridge penalty, ``> 0``.

    Returns
    -------
    coef : ndarray, shape (D,) or (K, D)
        Weights, laid out as ``Ridge.coef_`` (and as ``nn.Linear.weight``: out_features first).
    intercept : ndarray, shape () or (K,)
        Bias. Predictions are ``features @ coef.T + intercept``. In the dtype of ``features``;
        all NaN when the input holds NaN or inf.

    Examples
    --------
    >>> # y = 2 f exactly; alpha = 1 shrinks the slope: centred f = (-1, 0, 1), sum fc^2 = 2,
    >>> # sum fc yc = 4, so w = 4 / (2 + 1) = 4/3 and b = mean(y) - mean(f) w = 2 - 4/3 = 2/3
    >>> coef, intercept = linear_probe(np.array([[0.0], [1.0], [2.0]]), np.array([0.0, 2.0, 4.0]))
    >>> print(coef.round(6), intercept.round(6))
    [1.333333] 0.666667
    """
    F = as_float_array(features, "features")
    if F.ndim != 2 or F.shape[0] == 0:
        raise ValueError(f"features must be a non-empty 2-D array (N, D), got shape {F.shape}")
    Y = as_float_array(y, "y").astype(F.dtype, copy=False)
    if Y.ndim == 2:
        check_shape(Y, (F.shape[0], Y.shape[1]), "y", "(N, K)", f"N = {F.shape[0]} rows of features")
    else:
        check_shape(Y, (F.shape[0],), "y", "(N,)", f"N = {F.shape[0]} rows of features")
    alpha = as_real_scalar(alpha, "alpha", low=0.0, low_open=True)
    d = F.shape[1]
    k_shape = Y.shape[1:]
    if not (np.all(np.isfinite(F)) and np.all(np.isfinite(Y))):
        nan = np.full((*k_shape[::-1], d), np.nan, dtype=F.dtype)
        return nan, np.full(k_shape, np.nan, dtype=F.dtype)
    # centre: the intercept absorbs the means and is not shrunk
    f_mean, y_mean = F.mean(axis=0), Y.mean(axis=0)
    Fc, Yc = F - f_mean, Y - y_mean
    # normal equations of ridge regression: symmetric positive definite for alpha > 0
    gram = Fc.T @ Fc + F.dtype.type(alpha) * np.eye(d, dtype=F.dtype)
    rhs = Fc.T @ Yc
    if not (np.all(np.isfinite(gram)) and np.all(np.isfinite(rhs))):
        raise ValueError(
            f"features (max |value| {np.max(np.abs(F)):.3g}) and y (max |value| {np.max(np.abs(Y)):.3g}) "
            f"overflow the normal equations in {F.dtype}: rescale them"
        )
    w = np.linalg.solve(gram, rhs)  # (D,) or (D, K)
    intercept = y_mean - f_mean @ w
    return w.T.copy(), np.asarray(intercept, dtype=F.dtype)
# --8<-- [end:linear_probe]
