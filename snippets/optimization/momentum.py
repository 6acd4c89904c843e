"""Momentum (heavy ball) and Nesterov momentum: the step-size rules behind sgd_step's momentum."""

from __future__ import annotations

import math

from snippets._validate import as_real_scalar, propagates_nonfinite

__all__ = ["momentum_effective_lr", "heavy_ball_params"]


# --8<-- [start:momentum_effective_lr]
@propagates_nonfinite
def momentum_effective_lr(lr: float, momentum: float) -> float:
    """The step per unit gradient that momentum settles to when the gradient stays constant.

    With ``b <- momentum * b + g`` and ``param <- param - lr * b`` (PyTorch's SGD), a constant
    gradient ``g`` makes ``b`` converge to ``g / (1 - momentum)``, so each step moves
    ``lr / (1 - momentum)`` times ``g``: momentum 0.9 is a tenfold learning rate along directions
    where the gradient keeps its sign.

    Parameters
    ----------
    lr : float
        Learning rate, ``>= 0``.
    momentum : float
        Momentum factor, in ``[0, 1)``.

    Returns
    -------
    float
        ``lr / (1 - momentum)``.

    Examples
    --------
    >>> momentum_effective_lr(0.1, 0.75)  # 0.1 / 0.25: four times the plain step
    0.4
    """
    lr = as_real_scalar(lr, "lr", low=0.0)
    momentum = as_real_scalar(momentum, "momentum", low=0.0)
    if momentum >= 1:
        raise ValueError(f"momentum must be < 1 for the buffer to converge, got {momentum}")
    # geometric series: 1 + m + m^2 + ... = 1 / (1 - m)
    return lr / (1 - momentum)
# --8<-- [end:momentum_effective_lr]


# --8<-- [start:heavy_ball_params]
@propagates_nonfinite
def heavy_ball_params(mu: float, L: float) -> tuple[float, float]:
    """Polyak's optimal ``(lr, momentum)`` for a quadratic with curvatures in ``[mu, L]``.

    For ``f(x) = x^T H x / 2`` with the eigenvalues of ``H`` in ``[mu, L]``, heavy-ball momentum
    ``x_{k+1} = x_k - lr * grad f(x_k) + momentum * (x_k - x_{k-1})`` -- which is what
    ``sgd_step(..., momentum=momentum)`` computes -- converges fastest with
    ``lr = 4 / (sqrt(L) + sqrt(mu))^2`` and ``momentum = ((sqrt(L) - sqrt(mu)) / (sqrt(L) + sqrt(mu)))^2``;
    the error then shrinks by ``sqrt(momentum) = (sqrt(kappa) - 1) / (sqrt(kappa) + 1)`` per step,
    ``kappa = L / mu``, against ``(kappa - 1) / (kappa + 1)`` for the best plain gradient descent.

    Parameters
    ----------
    mu : float
        Smallest curvature (eigenvalue of the Hessian), ``> 0``.
    L : float
        Largest curvature, ``>= mu``.

    Returns
    -------
    lr : float
    momentum : float
        In ``[0, 1)``.

    Examples
    --------
    >>> heavy_ball_params(1.0, 9.0)  # sqrt: 1 and 3 -> lr = 4 / 16, momentum = (2 / 4)^2
    (0.25, 0.25)
    """
    mu = as_real_scalar(mu, "mu", low=0.0)
    L = as_real_scalar(L, "L", low=0.0)
    if mu <= 0 or L < mu:
        raise ValueError(f"need 0 < mu <= L, got mu={mu}, L={L}")
    # Polyak (1964): equalise the spectral radius at both ends of [mu, L]
    s_mu, s_L = math.sqrt(mu), math.sqrt(L)
    return 4 / (s_L + s_mu) ** 2, ((s_L - s_mu) / (s_L + s_mu)) ** 2
# --8<-- [end:heavy_ball_params]
