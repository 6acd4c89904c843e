"""The "gold" side of the reference tests: PyTorch (and later scipy / scikit-learn).

Reference libraries are optional test extras (`pip install -e .[ref]`). Without them the
reference tests skip with a message; with GLOSSARY_REQUIRE_REFERENCE=1 (set by .ci/run) a
missing library is a failure instead, so CI can never report a skipped comparison as a pass.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from types import ModuleType

import numpy as np
import pytest

DTYPES = (np.float32, np.float64)

# Inputs that break naive formulas: huge magnitudes, exp's overflow edge (88.7 in float32,
# 709.8 in float64), tiny non-zero values and exact zeros.
EXTREMES = np.array(
    [-1e4, -1e3, -709.8, -100.0, -88.7, -20.0, -1e-8, 0.0, 1e-8, 20.0, 88.7, 100.0, 709.8, 1e3, 1e4]
)


def require(name: str) -> ModuleType:
    """Import a reference library, or skip (fail in CI) when it is not installed."""
    try:
        module = importlib.import_module(name)
    except ImportError:
        message = f"reference library {name!r} is not installed (pip install -e '.[ref]')"
        if os.environ.get("GLOSSARY_REQUIRE_REFERENCE") == "1":
            pytest.fail(message + "; GLOSSARY_REQUIRE_REFERENCE=1 forbids skipping")
        pytest.skip(message)
    if name == "torch":
        module.set_num_threads(1)
    return module


def assert_matches(ours, ref, dtype, *, ulps: float = 8, scale: float | np.ndarray = 1.0) -> None:
    """Assert ``ours`` equals ``ref`` to within ``ulps`` units of the dtype's precision.

    ``scale`` is the magnitude of the numbers the result was computed from (e.g. the largest
    |logit| for log-softmax): a difference of two large numbers is only exact to eps * scale.
    It may be an array of ``ours``' shape, one magnitude per element.
    NaN must match NaN; the dtype of ``ours`` must be ``dtype``.
    """
    ours = np.asarray(ours)
    assert ours.dtype == dtype, f"expected dtype {np.dtype(dtype)}, got {ours.dtype}"
    eps = np.finfo(dtype).eps
    tiny = np.finfo(dtype).tiny  # results below the normal range carry no relative precision
    ref = np.asarray(ref, dtype=dtype)
    if np.ndim(scale) == 0:
        np.testing.assert_allclose(ours, ref, rtol=ulps * eps, atol=ulps * eps * scale + tiny, equal_nan=True)
        return
    # a scale per element (assert_allclose takes one atol only): the same test, element by element
    atol = ulps * eps * np.broadcast_to(scale, ours.shape) + tiny
    close = np.isclose(ours, ref, rtol=ulps * eps, atol=atol, equal_nan=True)
    if not np.all(close):
        i = np.flatnonzero(~close)[0]
        raise AssertionError(
            f"{np.count_nonzero(~close)} of {close.size} elements differ by more than {ulps} ulps"
            f" (scale per element); first at flat index {i}: ours {ours.flat[i]!r}, reference {ref.flat[i]!r}"
        )


def torch_forward_backward(
    torch_fn: Callable, inputs: Sequence[np.ndarray], grad_out: np.ndarray, wrt: Sequence[int]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Run ``torch_fn`` on copies of ``inputs`` and return its output and the gradients of
    ``sum(output * grad_out)`` with respect to the inputs at positions ``wrt``."""
    torch = require("torch")
    tensors = [torch.tensor(np.asarray(a)) for a in inputs]
    for i in wrt:
        tensors[i].requires_grad_(True)
    out = torch_fn(*tensors)
    out.backward(torch.tensor(np.asarray(grad_out, dtype=out.detach().numpy().dtype)))
    return out.detach().numpy(), [tensors[i].grad.numpy() for i in wrt]
