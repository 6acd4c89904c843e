"""Variational autoencoder: the Gaussian KL term and the evidence lower bound (ELBO) with a
Bernoulli decoder, with their gradients."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import (
    as_float_array,
    as_grad_out,
    as_probabilities,
    as_real_scalar,
    check_same_shape,
    propagates_nonfinite,
)
from snippets.activations.sigmoid import sigmoid

__all__ = [
    "gaussian_kl",
    "gaussian_kl_backward",
    "elbo",
    "elbo_backward",
]

# 1/k! for k = 2 .. 17: the Taylor coefficients of (e^x - 1 - x) / x^2 up to x^15. For |x| <= 1/2
# the first term left out, 0.5^16 / 18!, is 2e-21 of the sum's leading term 1/2: below float64's eps
_EXPM1_MINUS_X_COEFFS = tuple(1.0 / math.factorial(k) for k in range(17, 1, -1))  # Python floats: keep float32


def _expm1_minus_x(x: np.ndarray) -> np.ndarray:
    """``exp(x) - 1 - x`` without cancellation near 0 (where it is about x^2 / 2): a Taylor series
    for |x| <= 1/2, ``expm1(x) - x`` elsewhere (there it loses at most 3 bits). Overflows to inf
    for x above the log of the largest float."""
    small = np.abs(x) <= 0.5
    xs = np.where(small, x, 0)
    poly = np.zeros_like(xs)
    for c in _EXPM1_MINUS_X_COEFFS:  # Horner's rule on the series (e^x - 1 - x) / x^2
        poly = poly * xs + c
    with np.errstate(over="ignore"):  # e^x beyond the float range: the term is inf, its true size
        large = np.expm1(np.where(small, 0, x)) - np.where(small, 0, x)
    return np.where(small, poly * xs * xs, large)


def _check_gaussian(mu: ArrayLike, logvar: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``mu`` and ``logvar`` as float arrays of one shape and dtype, at least 1-D."""
    mu, logvar = as_float_array(mu, "mu"), as_float_array(logvar, "logvar")
    check_same_shape(mu, logvar, "mu", "logvar")
    if mu.ndim == 0:
        raise ValueError("mu and logvar must have at least one dimension (the latent axis), got shape ()")
    dtype = np.result_type(mu, logvar)
    return mu.astype(dtype, copy=False), logvar.astype(dtype, copy=False)


# --8<-- [start:gaussian_kl]
@propagates_nonfinite
def gaussian_kl(mu: ArrayLike, logvar: ArrayLike) -> np.ndarray:
    """``KL(N(mu, exp(logvar)) || N(0, I))`` of a diagonal Gaussian, summed over the last axis.

    As ``torch.distributions.kl_divergence(Normal(mu, exp(logvar / 2)), Normal(0, 1)).sum(-1)``,
    without its cancellation near the prior: ``exp(logvar) - 1 - logvar`` comes from a series there.

    Parameters
    ----------
    mu : array_like, shape (*, Z)
        Means of the approximate posterior q(z | x), Z latent dimensions on the last axis.
    logvar : array_like, shape (*, Z)
        Log-variances ``log sigma**2`` of q(z | x), the same shape as ``mu``.

    Returns
    -------
    ndarray or numpy scalar, shape (*)
        ``0.5 * sum(mu**2 + exp(logvar) - 1 - logvar)``, >= 0, in the inputs' float dtype; ``inf``
        where ``exp(logvar)`` overflows (logvar > 709.78 in float64, 88.72 in float32).

    Examples
    --------
    >>> float(gaussian_kl([0.0, 0.0], [0.0, 0.0]))  # q is the prior itself
    0.0
    >>> # 0.5 * (1 + 0 - 1 - 0) + 0.5 * (0 + 2 - 1 - ln 2) = 1 - ln(2) / 2
    >>> round(float(gaussian_kl([1.0, 0.0], [0.0, np.log(2.0)])), 6)
    0.653426
    """
    mu, logvar = _check_gaussian(mu, logvar)
    # per dimension: KL of N(m, s^2) from N(0, 1) is (m^2 + s^2 - 1 - log s^2) / 2
    return 0.5 * np.sum(mu * mu + _expm1_minus_x(logvar), axis=-1)
# --8<-- [end:gaussian_kl]


# --8<-- [start:gaussian_kl_backward]
@propagates_nonfinite
def gaussian_kl_backward(grad_out: ArrayLike, mu: ArrayLike, logvar: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`gaussian_kl` with respect to ``mu`` and ``logvar``.

    Parameters
    ----------
    grad_out : array_like, shape (*)
        Upstream gradient, one value per divergence.
    mu, logvar : array_like, shape (*, Z)

    Returns
    -------
    (ndarray, ndarray), each shape (*, Z)
        ``dmu = grad_out * mu`` and ``dlogvar = grad_out * (exp(logvar) - 1) / 2``.

    Examples
    --------
    >>> dmu, dlogvar = gaussian_kl_backward(1.0, [1.0, 0.0], [0.0, np.log(2.0)])
    >>> dmu, dlogvar  # mu, and (2 - 1) / 2 for the second variance
    (array([1., 0.]), array([0. , 0.5]))
    """
    mu, logvar = _check_gaussian(mu, logvar)
    g = as_grad_out(grad_out, mu.shape[:-1], mu.dtype)[..., None]
    with np.errstate(over="ignore"):  # e^logvar beyond the float range: the slope is inf
        # d/dm (m^2 / 2) = m;  d/dv (e^v - 1 - v) / 2 = (e^v - 1) / 2, exact near v = 0 with expm1
        return g * mu, g * (0.5 * np.expm1(logvar))
# --8<-- [end:gaussian_kl_backward]


def _check_elbo_inputs(
    x: ArrayLike, x_recon_logits: ArrayLike, mu: ArrayLike, logvar: ArrayLike, beta: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """Checked inputs of :func:`elbo` in one float dtype."""
    x = as_probabilities(x, "x")
    z = as_float_array(x_recon_logits, "x_recon_logits")
    check_same_shape(x, z, "x", "x_recon_logits")
    mu, logvar = _check_gaussian(mu, logvar)
    if z.ndim == 0 or z.shape[:-1] != mu.shape[:-1]:
        raise ValueError(
            "x_recon_logits (*, D) and mu (*, Z) must share their batch shape (*): "
            f"x_recon_logits has shape {z.shape}, mu has shape {mu.shape}"
        )
    beta = as_real_scalar(beta, "beta", low=0.0)
    dtype = np.result_type(z, mu, logvar)
    return x.astype(dtype, copy=False), z.astype(dtype, copy=False), mu.astype(dtype), logvar.astype(dtype), beta


# --8<-- [start:elbo]
@propagates_nonfinite
def elbo(
    x: ArrayLike, x_recon_logits: ArrayLike, mu: ArrayLike, logvar: ArrayLike, beta: float = 1.0
) -> np.ndarray:
    """Evidence lower bound of a VAE with a Bernoulli decoder, one value per example:
    ``log p(x | z) - beta * KL(q(z | x) || N(0, I))``, summed over pixels and latent dimensions.

    The reconstruction term is ``-F.binary_cross_entropy_with_logits(x_recon_logits, x,
    reduction="none").sum(-1)``. Maximise the ELBO (Kingma & Welling minimise ``-elbo(...).sum()``).

    Parameters
    ----------
    x : array_like, shape (*, D)
        Data in [0, 1] (binary pixels, or grey levels read as Bernoulli means).
    x_recon_logits : array_like, shape (*, D)
        The decoder's logits for ``x``, given one sample ``z ~ q(z | x)``.
    mu, logvar : array_like, shape (*, Z)
        Mean and log-variance of q(z | x), with the batch shape (*) of ``x``.
    beta : float, default 1.0
        Weight of the KL term, ``>= 0`` (beta-VAE; 1 is the true ELBO).

    Returns
    -------
    ndarray or numpy scalar, shape (*)
        In the common float dtype of the logits and the Gaussian.

    Examples
    --------
    >>> # two coin-flip pixels (log 1/2 each) and q equal to the prior (KL 0): -2 ln 2
    >>> round(float(elbo([1.0, 0.0], [0.0, 0.0], [0.0], [0.0])), 6)
    -1.386294
    """
    x, z, mu, logvar, beta = _check_elbo_inputs(x, x_recon_logits, mu, logvar, beta)
    # log p(x | z) = -BCE = -[max(l, 0) - x l + log(1 + e^-|l|)], never forming sigmoid(l)
    log_lik = -np.sum(np.maximum(z, 0) - x * z + np.log1p(np.exp(-np.abs(z))), axis=-1)
    # the KL term is weighted by beta (only when beta > 0: 0 * inf would be NaN)
    kl = gaussian_kl(mu, logvar)
    return log_lik - (beta * kl if beta > 0 else np.zeros_like(kl))
# --8<-- [end:elbo]


# --8<-- [start:elbo_backward]
@propagates_nonfinite
def elbo_backward(
    grad_out: ArrayLike, x: ArrayLike, x_recon_logits: ArrayLike, mu: ArrayLike, logvar: ArrayLike, beta: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`elbo` with respect to ``x_recon_logits``, ``mu`` and ``logvar`` (``x`` is
    data). To minimise ``-elbo`` averaged over N examples, pass ``grad_out = -1 / N``.

    Parameters
    ----------
    grad_out : array_like, shape (*)
        Upstream gradient, one value per example.
    x, x_recon_logits, mu, logvar, beta
        As in the forward pass.

    Returns
    -------
    (ndarray, ndarray, ndarray), shapes (*, D), (*, Z), (*, Z)
        ``grad_out * (x - sigmoid(l))``, ``-beta * grad_out * mu``, ``-beta * grad_out * (exp(logvar) - 1) / 2``.

    Examples
    --------
    >>> elbo_backward(1.0, [1.0, 0.0], [0.0, 0.0], [2.0], [0.0])  # x - 1/2; -mu; (e^0 - 1) / 2 = 0
    (array([ 0.5, -0.5]), array([-2.]), array([-0.]))
    """
    x, z, mu, logvar, beta = _check_elbo_inputs(x, x_recon_logits, mu, logvar, beta)
    g = as_grad_out(grad_out, z.shape[:-1], z.dtype)
    # d/dl log p(x | z) = x - sigmoid(l): the log-sigmoid's slope, summed over pixels d
    d_logits = g[..., None] * (x - sigmoid(z))
    d_mu, d_logvar = gaussian_kl_backward(g, mu, logvar)
    return d_logits, -beta * d_mu, -beta * d_logvar
# --8<-- [end:elbo_backward]
