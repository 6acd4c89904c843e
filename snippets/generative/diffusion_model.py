"""Denoising diffusion (DDPM): the noise schedules, the closed-form forward process q(x_t | x_0), one
step of ancestral sampling, and the epsilon-prediction loss."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import (
    as_float_array,
    as_int,
    as_probabilities,
    as_real_scalar,
    check_same_shape,
    propagates_nonfinite,
)
from snippets.losses.loss_function import mse_loss, mse_loss_backward

__all__ = [
    "linear_beta_schedule",
    "cosine_beta_schedule",
    "q_sample",
    "ddpm_step",
    "diffusion_loss",
    "diffusion_loss_backward",
]


# --8<-- [start:linear_beta_schedule]
@propagates_nonfinite
def linear_beta_schedule(T: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> np.ndarray:
    """DDPM's noise schedule: ``T`` variances ``beta_t`` evenly spaced from ``beta_start`` to ``beta_end``.

    Ho et al. (2020) use T = 1000, 1e-4 and 0.02. Entry ``t`` (0-based) belongs to step t + 1.

    Parameters
    ----------
    T : int
        Number of diffusion steps, >= 1.
    beta_start, beta_end : float
        The first and last variance, each in (0, 1).

    Returns
    -------
    ndarray of float64, shape (T,)
        ``numpy.linspace(beta_start, beta_end, T)`` (``beta_start`` alone when T = 1).

    Examples
    --------
    >>> linear_beta_schedule(3, 0.1, 0.3)
    array([0.1, 0.2, 0.3])
    """
    T = as_int(T, "T", low=1)
    b0 = as_real_scalar(beta_start, "beta_start", low=0.0, high=1.0, low_open=True, high_open=True)
    b1 = as_real_scalar(beta_end, "beta_end", low=0.0, high=1.0, low_open=True, high_open=True)
    # equal increments between the two ends, both included
    return np.linspace(b0, b1, T)
# --8<-- [end:linear_beta_schedule]


# --8<-- [start:cosine_beta_schedule]
@propagates_nonfinite
def cosine_beta_schedule(T: int, s: float = 0.008) -> np.ndarray:
    """Nichol & Dhariwal's (2021) cosine schedule: ``alpha_bar(t) = f(t) / f(0)``,
    ``f(t) = cos(((t / T + s) / (1 + s)) * pi / 2)**2``, ``beta_t = 1 - alpha_bar(t) / alpha_bar(t - 1)``
    clipped at 0.999 (near t = T the ratio goes to 0).

    Parameters
    ----------
    T : int
        Number of diffusion steps, >= 1.
    s : float, default 0.008
        Offset that keeps ``beta_1`` from being tiny near t = 0, in [0, 1].

    Returns
    -------
    ndarray of float64, shape (T,)
        ``beta_1 ... beta_T`` in (0, 0.999].

    Examples
    --------
    >>> # T = 2, s = 0: alpha_bar = (1, cos^2(pi / 4), 0) = (1, 1/2, 0): betas 1/2 and 1 -> 0.999
    >>> cosine_beta_schedule(2, s=0.0)
    array([0.5  , 0.999])
    """
    T = as_int(T, "T", low=1)
    s = as_real_scalar(s, "s", low=0.0, high=1.0)
    # alpha_bar on the grid t = 0, 1, ..., T; the ratio f(t) / f(t - 1) makes f(0) cancel
    t = np.arange(T + 1) / T
    f = np.cos((t + s) / (1 + s) * np.pi / 2) ** 2
    # beta_t = 1 - f(t) / f(t - 1), as 1 - ratio; f(T) is ~1e-35 rather than 0 (cos of pi / 2 rounds)
    betas = 1 - f[1:] / f[:-1]
    return np.minimum(betas, 0.999)
# --8<-- [end:cosine_beta_schedule]


def _check_timesteps(t: ArrayLike, num_steps: int, n: int) -> np.ndarray:
    """``t`` as integer steps in [0, num_steps), one per example (shape (n,)) or one for all (shape ())."""
    t = np.asarray(t)
    if t.dtype.kind not in "iu":
        raise TypeError(f"t must hold integer time steps, got dtype {t.dtype}")
    if t.ndim > 1 or (t.ndim == 1 and t.shape[0] != n):
        raise ValueError(f"t must have shape () or (N,) = ({n},), one step per example, got {t.shape}")
    bad = (t < 0) | (t >= num_steps)
    if np.any(bad):
        raise ValueError(f"t must lie in [0, {num_steps - 1}] for a schedule of {num_steps} steps, found {t[bad].ravel()[0]}")
    return t


def _check_q_sample(x0, t, noise, alphas_cumprod) -> tuple[np.ndarray, ...]:
    """Checked inputs of :func:`q_sample`: x0, noise and alphas_cumprod in one float dtype."""
    x0, noise = as_float_array(x0, "x0"), as_float_array(noise, "noise")
    check_same_shape(x0, noise, "x0", "noise")
    if x0.ndim == 0:
        raise ValueError("x0 must have a leading batch axis (N, *), got shape ()")
    ac = as_probabilities(alphas_cumprod, "alphas_cumprod")
    if ac.ndim != 1 or ac.size == 0:
        raise ValueError(f"alphas_cumprod must have shape (T,) with T >= 1, got {ac.shape}")
    t = _check_timesteps(t, ac.size, x0.shape[0])
    dtype = np.result_type(x0, noise)
    return x0.astype(dtype, copy=False), t, noise.astype(dtype, copy=False), ac.astype(dtype, copy=False)


# --8<-- [start:q_sample]
@propagates_nonfinite
def q_sample(x0: ArrayLike, t: ArrayLike, noise: ArrayLike, alphas_cumprod: ArrayLike) -> np.ndarray:
    """Jump straight to step ``t`` of the forward process: ``sqrt(ac[t]) x0 + sqrt(1 - ac[t]) noise``.

    A sample of ``q(x_t | x_0)``, the t one-step Gaussians composed. No backward: data and noise are
    not trained.

    Parameters
    ----------
    x0 : array_like, shape (N, *)
        Clean data, N examples.
    t : array_like of int, shape (N,) or ()
        The step of each example, or one for all; 0-based: ``t = 0`` is one step of noise.
    noise : array_like, shape (N, *)
        Standard normal noise, the shape of ``x0``.
    alphas_cumprod : array_like, shape (T,)
        ``alpha_bar = cumprod(1 - betas)``, values in [0, 1].

    Returns
    -------
    ndarray, shape (N, *)
        ``x_t``, in the float dtype of ``x0`` and ``noise``.

    Examples
    --------
    >>> # alpha_bar = 0.64 at t = 0: 0.8 x0 + 0.6 noise; alpha_bar = 0.36 at t = 1: 0.6 x0 + 0.8 noise
    >>> q_sample([[1.0, 1.0], [1.0, 1.0]], [0, 1], [[1.0, -1.0], [1.0, -1.0]], [0.64, 0.36])
    array([[ 1.4,  0.2],
           [ 1.4, -0.2]])
    """
    x0, t, noise, ac = _check_q_sample(x0, t, noise, alphas_cumprod)
    # one alpha_bar per example, broadcast over its remaining axes
    a = ac[t].reshape(t.shape + (1,) * (x0.ndim - t.ndim))
    # the mean shrinks by sqrt(alpha_bar); the noise fills the variance up to 1
    return np.sqrt(a) * x0 + np.sqrt(1 - a) * noise
# --8<-- [end:q_sample]


def _check_ddpm_step(x_t, t, eps_pred, betas, noise, variance) -> tuple:
    """Checked inputs of :func:`ddpm_step`: x_t, eps_pred and noise in one float dtype."""
    x_t, eps_pred, noise = as_float_array(x_t, "x_t"), as_float_array(eps_pred, "eps_pred"), as_float_array(noise, "noise")
    check_same_shape(x_t, eps_pred, "x_t", "eps_pred")
    check_same_shape(x_t, noise, "x_t", "noise")
    betas = as_probabilities(betas, "betas")
    if betas.ndim != 1 or betas.size == 0 or np.any(betas == 0):
        raise ValueError(f"betas must have shape (T,) with T >= 1 and values in (0, 1], got shape {betas.shape}")
    t = as_int(t, "t", low=0, high=betas.size - 1)
    if variance not in ("beta", "posterior"):
        raise ValueError(f"variance must be 'beta' or 'posterior', got {variance!r}")
    dtype = np.result_type(x_t, eps_pred, noise)
    # the schedule stays in float64 (a cumulative product of T factors); the result takes dtype
    return x_t.astype(dtype, copy=False), eps_pred.astype(dtype, copy=False), noise.astype(dtype, copy=False), betas, t


# --8<-- [start:ddpm_step]
@propagates_nonfinite
def ddpm_step(
    x_t: ArrayLike, t: int, eps_pred: ArrayLike, betas: ArrayLike, noise: ArrayLike, variance: str = "beta"
) -> np.ndarray:
    """One step of DDPM's ancestral sampler, from ``x_t`` to ``x_{t-1}`` (0-based ``t``).

    ``(x_t - beta_t / sqrt(1 - alpha_bar_t) * eps_pred) / sqrt(1 - beta_t) + sigma_t * noise``, no
    noise at ``t = 0``. Sampling, not training: no backward.

    Parameters
    ----------
    x_t, eps_pred, noise : array_like, shape (N, *)
        The current samples (``t + 1`` steps of noise), the predicted noise, fresh N(0, I) noise.
    t : int
        The current step, in [0, T).
    betas : array_like, shape (T,)
        The noise schedule, values in (0, 1].
    variance : {"beta", "posterior"}, default "beta"
        ``sigma_t^2 = beta_t`` or ``(1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) beta_t`` (Ho et al.).

    Returns
    -------
    ndarray, shape (N, *)
        ``x_{t-1}``, in the float dtype of ``x_t``, ``eps_pred`` and ``noise``.

    Examples
    --------
    >>> # betas (0.36, 0.75): at t = 0, alpha = 0.64, alpha_bar = 0.64: (1 - 0.36 / 0.6 * 0.5) / 0.8
    >>> ddpm_step([[1.0]], 0, [[0.5]], [0.36, 0.75], [[9.0]])
    array([[0.875]])
    """
    x_t, eps_pred, noise, betas, t = _check_ddpm_step(x_t, t, eps_pred, betas, noise, variance)
    alpha_bar = np.cumprod(1 - betas)
    beta, ab = betas[t], alpha_bar[t]
    # the mean: remove the predicted noise's share of x_t, then undo the shrinking by sqrt(alpha_t)
    mean = (x_t - (beta / np.sqrt(1 - ab)) * eps_pred) / np.sqrt(1 - beta)
    if t == 0:
        return mean.astype(x_t.dtype)  # the last step adds no noise
    # the spread: beta_t, or the variance of q(x_{t-1} | x_t, x_0)
    var = beta if variance == "beta" else (1 - alpha_bar[t - 1]) / (1 - ab) * beta
    return (mean + np.sqrt(var) * noise).astype(x_t.dtype)
# --8<-- [end:ddpm_step]


def _noise_pair(eps_pred: ArrayLike, noise: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``eps_pred`` and ``noise`` as float arrays, shapes equal and non-empty."""
    eps_pred, noise = as_float_array(eps_pred, "eps_pred"), as_float_array(noise, "noise")
    check_same_shape(eps_pred, noise, "eps_pred", "noise")
    if eps_pred.size == 0:
        raise ValueError(f"eps_pred must not be empty (a mean over no elements), got shape {eps_pred.shape}")
    return eps_pred, noise


# --8<-- [start:diffusion_loss]
@propagates_nonfinite
def diffusion_loss(eps_pred: ArrayLike, noise: ArrayLike) -> np.floating:
    """DDPM's simplified training loss ``L_simple = mean((eps_pred - noise)**2)``.

    The mean over every element, as ``torch.nn.functional.mse_loss``.

    Parameters
    ----------
    eps_pred : array_like, shape (N, *)
        Predicted noise.
    noise : array_like, shape (N, *)
        The noise ``q_sample`` used.

    Returns
    -------
    numpy scalar
        The mean squared error, in the float dtype of ``eps_pred``.

    Examples
    --------
    >>> float(diffusion_loss([[0.5, -1.0]], [[0.0, 1.0]]))  # (0.25 + 4) / 2
    2.125
    """
    eps_pred, noise = _noise_pair(eps_pred, noise)
    # epsilon-prediction: a plain mean squared error against the noise that was added
    return mse_loss(eps_pred, noise)
# --8<-- [end:diffusion_loss]


# --8<-- [start:diffusion_loss_backward]
@propagates_nonfinite
def diffusion_loss_backward(grad_out: ArrayLike, eps_pred: ArrayLike, noise: ArrayLike) -> np.ndarray:
    """Gradient of :func:`diffusion_loss` with respect to ``eps_pred``: ``2 (eps_pred - noise) / size``.

    Parameters
    ----------
    grad_out : array_like, shape ()
        Upstream gradient of the scalar loss.
    eps_pred, noise : array_like, shape (N, *)

    Returns
    -------
    ndarray, shape (N, *)

    Examples
    --------
    >>> diffusion_loss_backward(1.0, [[0.5, -1.0]], [[0.0, 1.0]])  # 2 (0.5, -2) / 2
    array([[ 0.5, -2. ]])
    """
    eps_pred, noise = _noise_pair(eps_pred, noise)
    # d/dr of r^2 is 2r; the mean divides by the number of elements
    return mse_loss_backward(grad_out, eps_pred, noise)
# --8<-- [end:diffusion_loss_backward]
