"""Our optimizer steps against ``torch.optim``, step by step: the harness shared by the reference
tests of test_sgd.py, test_rmsprop.py and test_adam.py."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from tests.reference import assert_matches, require

STEPS = 150
SHAPE = (4, 5)


def start_and_gradients(dtype: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A seeded start ``p0`` of shape SHAPE, STEPS random gradients whose size jumps between 1e-3,
    1 and 100 from step to step, and the diagonal ``H`` of the quadratic loss sum(p^T H p) / 2."""
    rng = np.random.default_rng(0)
    p0 = (rng.normal(size=SHAPE) * 3).astype(dtype)
    scales = rng.choice([1e-3, 1.0, 100.0], size=(STEPS, 1, 1))
    fixed = (rng.normal(size=(STEPS, *SHAPE)) * scales).astype(dtype)
    H = np.diag(rng.uniform(0.1, 5.0, size=SHAPE[0])).astype(dtype)
    return p0, fixed, H


def steps_against_torch(
    optimizer: str, ours: Callable[..., tuple[np.ndarray, dict]], config: dict, dtype: Any, source: str
) -> Iterator[tuple[dict, Any]]:
    """Take STEPS steps with ``ours`` and with ``torch.optim.<optimizer>`` from the same start.

    After each step, assert that the parameters agree and yield our state and torch's state for
    the parameter (a dict of tensors), for the caller to compare.
    """
    torch = require("torch")
    p0, fixed, H = start_and_gradients(dtype)
    t = torch.tensor(p0.copy(), requires_grad=True)
    opt = getattr(torch.optim, optimizer)([t], **config)
    p, state, p_max = p0, {}, float(np.max(np.abs(p0)))
    for k in range(STEPS):
        # both sides get the same gradient: a fixed random one, or the quadratic's at torch's point
        g = fixed[k] if source == "random" else H @ t.detach().numpy()
        t.grad = torch.tensor(g)
        opt.step()
        p, state = ours(p, g, state, **config)
        ref = t.detach().numpy()
        # torch's CPU kernels may fuse a multiply-add (p + alpha * g in one rounding) where numpy
        # rounds the product first: one step can differ by ~1 ulp of |p|. Both sides get the same
        # gradient, so the differences only add up (an error made while |p| was large persists
        # after p has shrunk, hence the running maximum of |p| as scale); the default 8 ulps
        # holds over the 150 steps (SGD measured < 2 eps * max|p|)
        p_max = max(p_max, float(np.max(np.abs(ref))))
        assert_matches(p, ref, dtype, scale=p_max)
        yield state, opt.state[t]


def assert_state_matches(state: dict, ref_state: Any, keys: Iterable[str], dtype: Any) -> None:
    """Each running average of ``keys`` that torch keeps matches ours to the default 8 ulps of
    its own largest entry, and the step counts agree."""
    for key in keys:
        if key in ref_state:
            ref_s = ref_state[key].numpy()
            assert_matches(state[key], ref_s, dtype, scale=float(np.max(np.abs(ref_s))))
    assert state["step"] == int(ref_state["step"])
