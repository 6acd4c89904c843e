"""The one-cycle policy and cyclical learning rates: the rate rises to a peak and falls again."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_bool, as_int, as_real_scalar, propagates_nonfinite
from snippets.optimization.learning_rate_schedule import _as_steps, _out

__all__ = ["one_cycle_lr", "cyclic_lr"]


# --8<-- [start:one_cycle_lr]
@propagates_nonfinite
def one_cycle_lr(
    step: ArrayLike,
    total_steps: int,
    max_lr: float,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
) -> np.ndarray:
    """The learning rate ``torch.optim.lr_scheduler.OneCycleLR`` gives after ``step`` scheduler steps.

    From ``max_lr / div_factor`` up to ``max_lr`` over the first ``pct_start`` of the run, then down
    to ``max_lr / (div_factor * final_div_factor)`` at step ``total_steps - 1``, each phase along
    half a cosine (``"cos"``) or a straight line (``"linear"``). ``three_phase`` comes back down to
    the starting rate symmetrically before the final descent (Smith's original shape). Phase ``i``
    ends at step ``pct_start * total_steps - 1`` (and ``2 * pct_start * total_steps - 2`` for the
    second of three), as PyTorch places them.

    Parameters
    ----------
    step : int or array_like of int, shape (*)
        Scheduler step count(s), from 0 to ``total_steps``. The optimizer steps use 0 to
        ``total_steps - 1``; PyTorch allows one more ``scheduler.step()``, whose rate continues the
        last phase past its end (below the minimum; with ``"linear"`` it can be negative).
    total_steps : int
        Length of the cycle, ``>= 1``.
    max_lr : float
        Peak learning rate, ``>= 0``.
    pct_start : float, default 0.3
        Fraction of the steps spent increasing the rate, in ``[0, 1]``.
    anneal_strategy : {"cos", "linear"}, default "cos"
    div_factor : float, default 25
        The starting rate is ``max_lr / div_factor``, ``> 0``.
    final_div_factor : float, default 1e4
        The final rate is the starting rate divided by this, ``> 0``.
    three_phase : bool, default False
        Up, back down to the starting rate, then down to the final rate.

    Returns
    -------
    numpy float64 scalar or ndarray of float64, shape (*)

    Notes
    -----
    Where a phase has length 0 (``pct_start * total_steps == 1`` puts the peak at step 0), PyTorch
    divides by zero (``ZeroDivisionError``); here that step gets the phase's end value.

    Examples
    --------
    >>> # start 1 / 4 = 0.25, peak at step 0.4 * 10 - 1 = 3, final 0.25 / 2 = 0.125 at step 9
    >>> one_cycle_lr([0, 3, 9], total_steps=10, max_lr=1.0, pct_start=0.4, anneal_strategy="linear",
    ...              div_factor=4.0, final_div_factor=2.0)
    array([0.25 , 1.   , 0.125])
    """
    t = _as_steps(step)
    total_steps = as_int(total_steps, "total_steps", low=1)
    max_lr = as_real_scalar(max_lr, "max_lr", low=0.0)
    pct_start = as_real_scalar(pct_start, "pct_start", low=0.0, high=1.0)
    if anneal_strategy not in ("cos", "linear"):
        raise ValueError(f"anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
    div_factor = as_real_scalar(div_factor, "div_factor", low=0.0, low_open=True)
    final_div_factor = as_real_scalar(final_div_factor, "final_div_factor", low=0.0, low_open=True)
    three_phase = as_bool(three_phase, "three_phase")
    if t.size and t.max() > total_steps:
        raise ValueError(f"step must be at most total_steps = {total_steps} (as OneCycleLR), got {t.max():g}")
    initial_lr = max_lr / div_factor
    min_lr = initial_lr / final_div_factor
    # the phases as PyTorch lays them out: (last step, rate at its start, rate at its end)
    if three_phase:
        phases = [(pct_start * total_steps - 1, initial_lr, max_lr),
                  (2 * pct_start * total_steps - 2, max_lr, initial_lr),
                  (total_steps - 1, initial_lr, min_lr)]
    else:
        phases = [(pct_start * total_steps - 1, initial_lr, max_lr), (total_steps - 1, max_lr, min_lr)]
    ends = np.array([p[0] for p in phases])
    starts = np.concatenate([[0.0], ends[:-1]])
    # each step belongs to the first phase whose end it has not passed; the last takes the rest
    not_passed = t[..., None] <= ends[:-1]
    phase = np.where(not_passed.any(axis=-1), np.argmax(not_passed, axis=-1), len(phases) - 1)
    start, end = starts[phase], ends[phase]
    lr_start, lr_end = np.array([p[1] for p in phases])[phase], np.array([p[2] for p in phases])[phase]
    # the fraction of the phase done (1 in a phase of length 0)
    length = end - start
    pct = np.divide(t - start, length, out=np.ones_like(t), where=length != 0)
    if anneal_strategy == "cos":
        # half a cosine from lr_start (pct = 0) to lr_end (pct = 1)
        return _out(lr_end + (lr_start - lr_end) / 2.0 * (np.cos(np.pi * pct) + 1))
    # a straight line from lr_start to lr_end
    return _out((lr_end - lr_start) * pct + lr_start)
# --8<-- [end:one_cycle_lr]


# --8<-- [start:cyclic_lr]
@propagates_nonfinite
def cyclic_lr(
    step: ArrayLike,
    base_lr: float,
    max_lr: float,
    step_size_up: int = 2000,
    step_size_down: int | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
) -> np.ndarray:
    """The learning rate of ``torch.optim.lr_scheduler.CyclicLR`` after ``step`` scheduler steps.

    A triangle wave between ``base_lr`` and ``max_lr`` (Smith 2017): up for ``step_size_up``
    steps, down for ``step_size_down``, again and again. ``"triangular2"`` halves the height of
    each new cycle; ``"exp_range"`` multiplies it by ``gamma ** step``.

    Parameters
    ----------
    step : int or array_like of int, shape (*)
        Scheduler step count(s) ``>= 0``.
    base_lr : float
        Rate at the bottom of every cycle, ``>= 0``.
    max_lr : float
        Rate at the top of the first cycle, ``>= 0`` (usually above ``base_lr``).
    step_size_up : int, default 2000
        Steps from the bottom to the top, ``>= 1``.
    step_size_down : int, optional
        Steps from the top back to the bottom, ``>= 1``; ``step_size_up`` when None.
    mode : {"triangular", "triangular2", "exp_range"}, default "triangular"
    gamma : float, default 1.0
        Decay per step of the height in ``"exp_range"``, in ``(0, 1]``.

    Returns
    -------
    numpy float64 scalar or ndarray of float64, shape (*)

    Examples
    --------
    >>> # up 4 steps, down 4: 0.25 at 0 and 8, 1.25 at 4, halfway (0.75) at 2 and 6
    >>> cyclic_lr([0, 2, 4, 6, 8], base_lr=0.25, max_lr=1.25, step_size_up=4)
    array([0.25, 0.75, 1.25, 0.75, 0.25])
    >>> cyclic_lr([4, 12], 0.25, 1.25, 4, mode="triangular2")  # the second peak is half as high
    array([1.25, 0.75])
    """
    t = _as_steps(step)
    base_lr = as_real_scalar(base_lr, "base_lr", low=0.0)
    max_lr = as_real_scalar(max_lr, "max_lr", low=0.0)
    up = float(as_int(step_size_up, "step_size_up", low=1))
    down = up if step_size_down is None else float(as_int(step_size_down, "step_size_down", low=1))
    if mode not in ("triangular", "triangular2", "exp_range"):
        raise ValueError(f"mode must be 'triangular', 'triangular2' or 'exp_range', got {mode!r}")
    gamma = as_real_scalar(gamma, "gamma", low=0.0, high=1.0, low_open=True)
    total, ratio = up + down, up / (up + down)
    # which cycle (from 1), and the position x in [0, 1) inside it
    cycle = np.floor(1 + t / total)
    x = 1.0 + t / total - cycle
    # the triangle: 0 -> 1 over the rising part, 1 -> 0 over the falling part
    height = np.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
    base_height = (max_lr - base_lr) * height
    if mode == "triangular2":
        return _out(base_lr + base_height * (1 / 2.0 ** (cycle - 1)))  # half the amplitude every cycle
    if mode == "exp_range":
        return _out(base_lr + base_height * gamma**t)                   # shrink the amplitude every step
    return _out(base_lr + base_height)
# --8<-- [end:cyclic_lr]
