"""hardtanh / relu6 and their backwards: hand values, clipping identities, the kinks exactly as
PyTorch, limits, bad min_val / max_val.

The contract every element-wise activation shares (shape, dtype, stability, bad x, PyTorch in float32
and float64) is their lines in tests/activations/elementwise.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import hardtanh, hardtanh_backward, relu, relu6, relu6_backward
from tests.reference import DTYPES, require, torch_forward_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)
vectors = arrays(np.float64, st.integers(1, 20), elements=finite)


def test_hand_checked_values() -> None:
    # clipping to [-1, 1] and to [-2, 0.5]; relu6 clips to [0, 6]
    np.testing.assert_array_equal(hardtanh([-3.0, -0.5, 0.25, 2.0]), [-1.0, -0.5, 0.25, 1.0])
    np.testing.assert_array_equal(hardtanh([-3.0, 0.0, 2.0], -2.0, 0.5), [-2.0, 0.0, 0.5])
    np.testing.assert_array_equal(relu6([-1.0, 0.0, 3.0, 6.0, 8.0]), [0.0, 0.0, 3.0, 6.0, 6.0])
    # slope 1 strictly inside, 0 outside AND at both ends (PyTorch's choice); times grad_out
    np.testing.assert_array_equal(hardtanh_backward([3.0] * 5, [-2.0, -1.0, 0.0, 1.0, 2.0]), [0, 0, 3.0, 0, 0])
    np.testing.assert_array_equal(relu6_backward([3.0] * 5, [-1.0, 0.0, 3.0, 6.0, 7.0]), [0, 0, 3.0, 0, 0])


@given(vectors, st.floats(-100, 100), st.floats(0, 100))
def test_is_a_clip(x: np.ndarray, lo: float, width: float) -> None:
    hi = lo + width
    np.testing.assert_array_equal(hardtanh(x, lo, hi), np.clip(x, lo, hi))
    # relu6 = min(relu(x), 6); hardtanh with min_val = max_val is a constant
    np.testing.assert_array_equal(relu6(x), np.minimum(relu(x), 6.0))
    np.testing.assert_array_equal(hardtanh(x, lo, lo), np.full_like(x, lo))


@pytest.mark.parametrize("dtype", DTYPES)
def test_kinks_and_bounds_match_torch_exactly(dtype) -> None:
    # at x = min_val and x = max_val PyTorch's gradient is 0 (it tests x <= min_val || x >= max_val);
    # bounds are rounded to the dtype first (0.1 is not a float32), so the kink is float32(0.1)
    torch = require("torch")
    F = torch.nn.functional
    for lo, hi in [(-1.0, 1.0), (-0.3, 0.1), (0.0, 6.0)]:
        lo_d, hi_d = dtype(lo), dtype(hi)
        x = np.array([lo_d, hi_d, np.nextafter(lo_d, hi_d), np.nextafter(hi_d, lo_d), -0.0, 0.0, 1e4, -1e4], dtype)
        g = np.arange(1, 9, dtype=dtype)
        ref_y, (ref_dx,) = torch_forward_backward(lambda t: F.hardtanh(t, lo, hi), [x], g, wrt=[0])
        np.testing.assert_array_equal(hardtanh(x, lo, hi), ref_y)
        np.testing.assert_array_equal(hardtanh_backward(g, x, lo, hi), ref_dx)
    ref_y, (ref_dx,) = torch_forward_backward(F.relu6, [x], g, wrt=[0])
    np.testing.assert_array_equal(relu6(x), ref_y)
    np.testing.assert_array_equal(relu6_backward(g, x), ref_dx)


def test_nan_and_infinity() -> None:
    y = hardtanh([np.nan, -np.inf, np.inf])
    assert np.isnan(y[0]) and y[1] == -1.0 and y[2] == 1.0
    g = hardtanh_backward([1.0, 1.0, 1.0], [np.nan, -np.inf, np.inf])
    # NaN in, NaN out (PyTorch passes grad_out through at NaN: its test x <= min or x >= max is False)
    assert np.isnan(g[0]) and g[1] == 0.0 and g[2] == 0.0


def test_bad_bounds() -> None:
    with pytest.raises(ValueError, match="min_val must not be greater than max_val, got min_val=2, max_val=1"):
        hardtanh([0.0], 2.0, 1.0)
    with pytest.raises(ValueError, match="max_val must be a finite number .*got inf"):
        hardtanh_backward([1.0], [0.0], 0.0, float("inf"))
    with pytest.raises(TypeError, match="min_val must be a real number, got str"):
        hardtanh([0.0], "-1")
