"""Learning-rate schedules in closed form: step decay, cosine annealing and linear warm-up."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_int, as_real_scalar, propagates_nonfinite

__all__ = ["step_lr", "cosine_annealing_lr", "linear_warmup_lr"]


def _as_steps(step: ArrayLike) -> np.ndarray:
    """Step counts as a float64 array (0-d for a single step), checked to be >= 0 integers."""
    arr = np.asarray(step)
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise TypeError(f"step must be an integer or an array of integers, got dtype {arr.dtype}")
    steps = arr.astype(np.float64)
    if not np.all(np.isfinite(steps) & (steps >= 0) & (steps == np.floor(steps))):
        raise ValueError(f"step must hold non-negative whole numbers, got {step!r}")
    return steps


def _out(values: np.ndarray) -> np.ndarray:
    """A NumPy float64 scalar for a single step, an array otherwise."""
    return values[()] if values.ndim == 0 else values


# --8<-- [start:step_lr]
@propagates_nonfinite
def step_lr(step: ArrayLike, lr0: float, step_size: int, gamma: float = 0.1) -> np.ndarray:
    """Step decay (``torch.optim.lr_scheduler.StepLR``): ``lr0 * gamma ** floor(step / step_size)``.

    Parameters
    ----------
    step : int or array_like of int, shape (*)
        Scheduler step count(s) ``>= 0`` (epochs or iterations, whichever the scheduler counts).
    lr0 : float
        Initial learning rate, ``>= 0``.
    step_size : int
        Steps between two decays, ``>= 1``.
    gamma : float, default 0.1
        Multiplicative decay, ``>= 0``.

    Returns
    -------
    numpy float64 scalar or ndarray of float64, shape (*)
        The learning rate at each step.

    Examples
    --------
    >>> step_lr([0, 29, 30, 60], lr0=0.1, step_size=30, gamma=0.5)  # halved every 30 steps
    array([0.1  , 0.1  , 0.05 , 0.025])
    """
    t = _as_steps(step)
    lr0 = as_real_scalar(lr0, "lr0", low=0.0)
    step_size = as_int(step_size, "step_size", low=1)
    gamma = as_real_scalar(gamma, "gamma", low=0.0)
    # one factor gamma per completed block of step_size steps
    return _out(lr0 * gamma ** np.floor(t / step_size))
# --8<-- [end:step_lr]


# --8<-- [start:cosine_annealing_lr]
@propagates_nonfinite
def cosine_annealing_lr(step: ArrayLike, lr0: float, t_max: int, eta_min: float = 0.0) -> np.ndarray:
    """Cosine annealing, the closed form documented for ``CosineAnnealingLR``.

    ``eta_min + (lr0 - eta_min) * (1 + cos(pi * step / t_max)) / 2``: from ``lr0`` at step 0 down
    to ``eta_min`` at ``t_max`` along half a cosine (Loshchilov & Hutter 2017, without restarts);
    past ``t_max`` the cosine rises again, as PyTorch's scheduler does.

    Parameters
    ----------
    step : int or array_like of int, shape (*)
        Scheduler step count(s) ``>= 0``.
    lr0 : float
        Initial (maximum) learning rate, ``>= 0``.
    t_max : int
        Steps to go from ``lr0`` to ``eta_min``, ``>= 1``.
    eta_min : float, default 0
        Final (minimum) learning rate, ``>= 0``.

    Returns
    -------
    numpy float64 scalar or ndarray of float64, shape (*)

    Examples
    --------
    >>> cosine_annealing_lr([0, 50, 100], lr0=0.1, t_max=100)  # cos 0 = 1, cos(pi/2) = 0, cos pi = -1
    array([0.1 , 0.05, 0.  ])
    """
    t = _as_steps(step)
    lr0 = as_real_scalar(lr0, "lr0", low=0.0)
    t_max = as_int(t_max, "t_max", low=1)
    eta_min = as_real_scalar(eta_min, "eta_min", low=0.0)
    # half a cosine period over t_max steps, rescaled from [-1, 1] to [eta_min, lr0]
    return _out(eta_min + (lr0 - eta_min) * (1 + np.cos(np.pi * t / t_max)) / 2)
# --8<-- [end:cosine_annealing_lr]


# --8<-- [start:linear_warmup_lr]
@propagates_nonfinite
def linear_warmup_lr(step: ArrayLike, lr0: float, warmup_steps: int) -> np.ndarray:
    """Linear warm-up: ``lr0 * min(1, step / warmup_steps)``, from 0 to ``lr0``, then constant.

    Parameters
    ----------
    step : int or array_like of int, shape (*)
        Step count(s) ``>= 0``.
    lr0 : float
        Learning rate reached at the end of the warm-up, ``>= 0``.
    warmup_steps : int
        Length of the ramp, ``>= 1``.

    Returns
    -------
    numpy float64 scalar or ndarray of float64, shape (*)

    Examples
    --------
    >>> linear_warmup_lr([0, 1, 2, 4, 10], lr0=0.4, warmup_steps=4)  # 0.4 * (0, 1/4, 1/2, 1, 1)
    array([0. , 0.1, 0.2, 0.4, 0.4])
    """
    t = _as_steps(step)
    lr0 = as_real_scalar(lr0, "lr0", low=0.0)
    warmup_steps = as_int(warmup_steps, "warmup_steps", low=1)
    # the fraction of the warm-up completed, capped at 1
    return _out(lr0 * np.minimum(1.0, t / warmup_steps))
# --8<-- [end:linear_warmup_lr]
