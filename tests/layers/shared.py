"""Helpers shared by the layer tests: random or extreme values, a convolution's geometry for
property tests, and the error bound of a sum compared with PyTorch's."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from hypothesis import strategies as st

from tests.reference import EXTREMES


def values(rng: np.random.Generator, extreme: bool) -> Callable[[tuple[int, ...]], np.ndarray]:
    """A draw of float64 values of a given shape: standard normal, or picked from the EXTREMES."""
    if extreme:
        return lambda shape: rng.choice(EXTREMES, size=shape)
    return lambda shape: rng.normal(size=shape)


@st.composite
def window_geometry(draw):
    """A kernel (kH, kW) and stride (sH, sW) of 1 to 3, a padding (pH, pW) of 0 to 2 and an image
    size (H, W) of at most 7 that the kernel fits once padded; then a numpy Generator drawn from
    a hypothesis seed, for the values."""
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    h = draw(st.integers(max(1, kh - 2 * ph), 7))
    w = draw(st.integers(max(1, kw - 2 * pw), 7))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return (kh, kw), (sh, sw), (ph, pw), (h, w), rng


def assert_within(name: str, ours, ref, scale, dtype, ulps: float) -> float:
    """Assert ``ours`` has ref's shape and ``dtype`` and |ours - ref| <= ulps * eps * scale + tiny
    per element (``scale``: the size the rounding is relative to); return the worst |ours - ref|."""
    ours = np.asarray(ours)
    assert ours.shape == np.shape(ref) and ours.dtype == dtype, name
    err = np.abs(ours.astype(np.float64) - ref)
    bound = ulps * np.finfo(dtype).eps * scale + np.finfo(dtype).tiny
    assert np.all(err <= bound), f"{name}: worst ratio {np.max(err / bound):.2f}"
    return float(err.max(initial=0.0))


def assert_sums_match(names: Sequence[str], ours, ref, sums, dtype, ulps: float = 8) -> float:
    """Results that are sums of products against PyTorch's, each within ``ulps`` eps of
    (|ref| + sum |products|): PyTorch and we add in different orders, and a sum is exact to about
    eps * sum |products|; ``sums`` are those sums, our own functions applied to |inputs|. A result
    whose reference is None (an absent bias) must be None too. Returns the worst |ours - ref|."""
    worst = 0.0
    for name, a, r, s in zip(names, ours, ref, sums, strict=True):
        if r is None:
            assert a is None, name
            continue
        worst = max(worst, assert_within(name, a, r, np.abs(r) + np.asarray(s, np.float64), dtype, ulps))
    return worst
