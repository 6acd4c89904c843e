"""The reparameterization trick: a Gaussian sample as a differentiable function of its parameters,
and the two Monte Carlo gradient estimators it separates (pathwise and score function)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import (
    as_callable_result,
    as_float_array,
    as_grad_out,
    check_callable,
    check_same_shape,
    check_shape,
    nonfinite_errstate,
    propagates_nonfinite,
)
from snippets.layers.broadcasting import unbroadcast

__all__ = ["reparameterize", "reparameterize_backward", "pathwise_grad", "score_function_grad"]


def _check_reparameterize(mu: ArrayLike, logvar: ArrayLike, eps: ArrayLike) -> tuple[np.ndarray, ...]:
    """``mu``, ``logvar`` and ``eps`` as float arrays of one dtype, and their broadcast shape."""
    mu, logvar, eps = as_float_array(mu, "mu"), as_float_array(logvar, "logvar"), as_float_array(eps, "eps")
    try:
        shape = np.broadcast_shapes(mu.shape, logvar.shape, eps.shape)
    except ValueError:
        raise ValueError(
            f"mu, logvar and eps must broadcast together: mu has shape {mu.shape}, logvar has shape "
            f"{logvar.shape}, eps has shape {eps.shape}"
        ) from None
    dtype = np.result_type(mu, logvar)  # the noise takes the parameters' dtype
    return mu.astype(dtype, copy=False), logvar.astype(dtype, copy=False), eps.astype(dtype, copy=False), shape


def _scaled_noise(logvar: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """``exp(logvar / 2) * eps``: one product while the standard deviation is a normal float; where
    it overflows or underflows, ``sign(eps) exp(logvar / 2 + log|eps|)`` (finite whenever the product
    is); 0 where ``eps`` is 0, whatever the standard deviation."""
    half = 0.5 * logvar
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        std = np.exp(half)
        normal = (std >= np.finfo(std.dtype).tiny) & np.isfinite(std)
        # the fallback adds logs; a product beyond the float range is inf, its true size
        via_logs = np.sign(eps) * np.exp(half + np.log(np.abs(eps)))
    with np.errstate(invalid="ignore"):  # 0 * inf where eps = 0 is replaced just below
        noise = np.where(normal, std * eps, via_logs)
    return np.where(eps == 0, 0, noise).astype(std.dtype, copy=False)


# --8<-- [start:reparameterize]
@propagates_nonfinite
def reparameterize(mu: ArrayLike, logvar: ArrayLike, eps: ArrayLike) -> np.ndarray:
    """A sample of ``N(mu, exp(logvar))`` written as ``mu + exp(logvar / 2) * eps``.

    With ``eps ~ N(0, 1)`` drawn outside, the sample is a smooth function of ``mu`` and ``logvar``,
    so gradients flow through it (:func:`reparameterize_backward`). The same value as
    ``torch.distributions.Normal(mu, torch.exp(logvar / 2)).rsample()`` drawing ``eps``.

    Parameters
    ----------
    mu : array_like, shape broadcastable with the others
        Means.
    logvar : array_like, shape broadcastable with the others
        Log-variances ``log sigma**2`` (not ``log sigma``).
    eps : array_like, shape broadcastable with the others
        Standard normal noise, cast to the dtype of ``mu`` and ``logvar``; a leading axis of K
        draws gives K samples per Gaussian.

    Returns
    -------
    ndarray, the broadcast shape
        ``mu + sigma * eps`` in the float dtype of ``mu`` and ``logvar``. ``sigma * eps`` is computed through logs
        where ``sigma`` alone would overflow or underflow, so it is finite whenever the product is,
        and exactly 0 when ``eps`` is 0.

    Examples
    --------
    >>> reparameterize([1.0, 0.0], [0.0, np.log(4.0)], [0.5, 0.5])  # sigma = 1 and 2
    array([1.5, 1. ])
    """
    mu, logvar, eps, _ = _check_reparameterize(mu, logvar, eps)
    # shift and scale a standard normal draw: z = mu + sigma eps, sigma = exp(logvar / 2)
    return mu + _scaled_noise(logvar, eps)
# --8<-- [end:reparameterize]


# --8<-- [start:reparameterize_backward]
@propagates_nonfinite
def reparameterize_backward(
    grad_out: ArrayLike, mu: ArrayLike, logvar: ArrayLike, eps: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`reparameterize` with respect to ``mu`` and ``logvar`` (``eps`` is noise,
    not a parameter).

    Parameters
    ----------
    grad_out : array_like, the broadcast shape
        Upstream gradient dL/dz.
    mu, logvar, eps
        As in the forward pass (the same ``eps``).

    Returns
    -------
    (ndarray, ndarray), shapes of ``mu`` and ``logvar``
        ``dmu = grad_out`` and ``dlogvar = grad_out * sigma * eps / 2``, each summed over the axes
        its argument was broadcast along (K samples of one Gaussian add their gradients).

    Examples
    --------
    >>> # sigma = 2, eps = 0.5: dz/dlogvar = sigma eps / 2 = 0.5; two samples of one Gaussian add up
    >>> reparameterize_backward([1.0, 1.0], 0.0, np.log(4.0), [0.5, 0.5])
    (array(2.), array(1.))
    """
    mu, logvar, eps, shape = _check_reparameterize(mu, logvar, eps)
    g = as_grad_out(grad_out, shape, mu.dtype)
    # dz/dmu = 1; dz/dlogvar = d/dv [e^(v/2) eps] = e^(v/2) eps / 2 = (z - mu) / 2
    d_logvar = g * (0.5 * _scaled_noise(logvar, eps))
    return unbroadcast(g, mu.shape), unbroadcast(d_logvar, logvar.shape)
# --8<-- [end:reparameterize_backward]


def _check_gaussian_params(mu: ArrayLike, sigma: ArrayLike, draws: ArrayLike, draws_name: str):
    """``mu`` and ``sigma`` of one shape (*), ``sigma > 0``, and ``draws`` of shape (K, *), K >= 1."""
    mu, sigma = as_float_array(mu, "mu"), as_float_array(sigma, "sigma")
    check_same_shape(mu, sigma, "mu", "sigma")
    if np.any(sigma <= 0):
        raise ValueError(f"sigma must hold standard deviations > 0, found {sigma[sigma <= 0].ravel()[0]}")
    d = as_float_array(draws, draws_name)
    if d.ndim != mu.ndim + 1 or d.shape[0] == 0:
        raise ValueError(f"{draws_name} must have shape (K, *mu.shape) with K >= 1 draws, got {d.shape} for mu of shape {mu.shape}")
    check_shape(d, (d.shape[0], *mu.shape), draws_name, "(K, *mu.shape)", f"mu of shape {mu.shape}")
    dtype = np.result_type(mu, sigma)  # the draws take the parameters' dtype
    return mu.astype(dtype, copy=False), sigma.astype(dtype, copy=False), d.astype(dtype, copy=False)


# --8<-- [start:pathwise_grad]
@propagates_nonfinite
def pathwise_grad(
    f_grad: Callable[[np.ndarray], ArrayLike], mu: ArrayLike, sigma: ArrayLike, eps: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Pathwise (reparameterization) estimate of the gradient of ``E_{x ~ N(mu, sigma^2)}[f(x)]``.

    With ``x = mu + sigma * eps``: ``mean f'(x)`` and ``mean f'(x) eps`` over the K draws. An
    estimator of a gradient, not a layer: no backward.

    Parameters
    ----------
    f_grad : callable
        ``f_grad(x)`` returns the gradient of f at each of the K points ``x``, shape (K, *).
    mu, sigma : array_like, shape (*)
        Mean and standard deviation (> 0) of the independent Gaussian coordinates of x.
    eps : array_like, shape (K, *)
        K standard normal draws.

    Returns
    -------
    (ndarray, ndarray), each shape (*)
        The estimates of ``dE[f]/dmu`` and ``dE[f]/dsigma``.

    Examples
    --------
    >>> # E[x^2] = mu^2 + sigma^2 has gradient (2 mu, 2 sigma) = (2, 4) at mu = 1, sigma = 2; draws
    >>> # (1, -1) average f'(x) = 2x to 2 mu and 2x eps to 2 sigma exactly
    >>> [float(g) for g in pathwise_grad(lambda x: 2 * x, 1.0, 2.0, [1.0, -1.0])]
    [2.0, 4.0]
    """
    mu, sigma, eps = _check_gaussian_params(mu, sigma, eps, "eps")
    f_grad = check_callable(f_grad, "f_grad")
    # the sample as a function of the parameters: x = mu + sigma eps
    x = mu + sigma * eps
    df = as_callable_result(f_grad(x), "f_grad", x.shape).astype(x.dtype, copy=False)
    with nonfinite_errstate(df):  # infinite slopes average to an infinite estimate, silently
        # chain rule through x: dx/dmu = 1, dx/dsigma = eps; then the Monte Carlo average
        return np.mean(df, axis=0), np.mean(df * eps, axis=0)
# --8<-- [end:pathwise_grad]


# --8<-- [start:score_function_grad]
@propagates_nonfinite
def score_function_grad(
    f: Callable[[np.ndarray], ArrayLike], mu: ArrayLike, sigma: ArrayLike, samples: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Score-function (REINFORCE, likelihood-ratio) estimate of the gradient of ``E_{x ~ N(mu, sigma^2)}[f(x)]``.

    ``mean f(x) d/dtheta log N(x; mu, sigma^2)`` over the K samples: values of ``f`` only (it may be
    a step function or a simulator), at the price of a larger variance. No backward.

    Parameters
    ----------
    f : callable
        ``f(x)`` for samples ``x`` of shape (K, *) returns the K values ``f(x_k)``, shape (K,).
    mu, sigma : array_like, shape (*)
        Mean and standard deviation (> 0) of the independent Gaussian coordinates of x.
    samples : array_like, shape (K, *)
        K samples of ``N(mu, sigma^2)`` (``mu + sigma * eps``).

    Returns
    -------
    (ndarray, ndarray), each shape (*)
        The estimates of ``dE[f]/dmu`` and ``dE[f]/dsigma``.

    Examples
    --------
    >>> # f = x^2 at mu = 1, sigma = 2 (gradient (2, 4)); the samples mu + sigma eps with eps =
    >>> # (+-sqrt 3, 0, 0, 0, 0) match E[eps^2] = 1 and E[eps^4] = 3, so both averages are exact
    >>> eps = np.array([3**0.5, -(3**0.5), 0, 0, 0, 0])
    >>> g_mu, g_sigma = score_function_grad(lambda x: x[:, 0] ** 2, [1.0], [2.0], (1 + 2 * eps)[:, None])
    >>> g_mu.round(12), g_sigma.round(12)
    (array([2.]), array([4.]))
    """
    mu, sigma, x = _check_gaussian_params(mu, sigma, samples, "samples")
    f = check_callable(f, "f")
    k = x.shape[0]
    values = as_callable_result(f(x), "f", (k,)).astype(x.dtype, copy=False)
    v = values.reshape((k,) + (1,) * mu.ndim)
    with nonfinite_errstate(values):
        # the scores: d/dmu log N(x) = (x - mu) / sigma^2, d/dsigma log N(x) = ((x - mu)^2 - sigma^2) / sigma^3
        u = (x - mu) / sigma
        # f(x) times each score, averaged over the K samples
        return np.mean(v * u, axis=0) / sigma, np.mean(v * (u * u - 1), axis=0) / sigma
# --8<-- [end:score_function_grad]
