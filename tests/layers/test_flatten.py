"""flatten / unflatten and their backwards: hand values, properties, bad input, and PyTorch's
torch.flatten, nn.Flatten and torch.unflatten."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from snippets import flatten, flatten_backward, unflatten, unflatten_backward
from tests.reference import DTYPES, EXTREMES, require, torch_forward_backward


# ---------------------------------------------------------------- hand-checked values
def test_hand_values_row_major_order() -> None:
    # x[n, c, h, w] = 1000 n + 100 c + 10 h + w for shape (2, 2, 2, 3): row n of flatten(x) lists
    # c, h, w in row-major order, so element (c, h, w) sits at (c * 2 + h) * 3 + w
    n, c, h, w = np.indices((2, 2, 2, 3))
    x = 1000.0 * n + 100 * c + 10 * h + w
    y = flatten(x)
    assert y.shape == (2, 12)
    np.testing.assert_array_equal(y[1, :4], [1000, 1001, 1002, 1010])
    assert y[0, (1 * 2 + 1) * 3 + 2] == 112
    # start_dim=0 (torch.flatten's default) gives one vector; (1, 2) keeps the last axis
    assert flatten(x, 0).shape == (24,)
    assert flatten(x, 1, 2).shape == (2, 4, 3)
    assert flatten(x, -2, -1).shape == (2, 2, 6)


def test_scalar_and_single_axis() -> None:
    # a 0-d input counts as one axis (torch.flatten(torch.tensor(5.)) has shape (1,));
    # flattening a single axis changes nothing
    np.testing.assert_array_equal(flatten(np.float64(5.0), 0), [5.0])
    assert flatten(np.ones((3, 4)), 1, 1).shape == (3, 4)


def test_unflatten_hand_values() -> None:
    # 0..11 as (12,) -> (3, 4): row i holds 4i .. 4i + 3; (-1, 6) infers 2
    y = unflatten(np.arange(12.0), 0, (3, 4))
    np.testing.assert_array_equal(y[2], [8, 9, 10, 11])
    assert unflatten(np.zeros((2, 12)), -1, (-1, 6)).shape == (2, 2, 6)


def test_backward_hand_values() -> None:
    # y[0] = x[0, 0, 0], y[1] = x[0, 0, 1], ... : the gradient of y[k] goes back to the k-th element
    np.testing.assert_array_equal(flatten_backward([[1.0, 2.0, 3.0, 4.0]], np.zeros((1, 2, 2))), [[[1.0, 2.0], [3.0, 4.0]]])
    np.testing.assert_array_equal(unflatten_backward([[1.0, 2.0], [3.0, 4.0]], np.zeros(4), 0, (2, 2)), [1.0, 2.0, 3.0, 4.0])


# ---------------------------------------------------------------- properties
shapes = hnp.array_shapes(min_dims=1, max_dims=5, min_side=0, max_side=4)


@settings(max_examples=80, deadline=None)
@given(shapes, st.data())
def test_round_trip_and_values(shape, data) -> None:
    ndim = len(shape)
    start = data.draw(st.integers(-ndim, ndim - 1))
    end = data.draw(st.integers(start % ndim, ndim - 1))
    x = np.arange(np.prod(shape), dtype=float).reshape(shape)
    y = flatten(x, start, end)
    # the same elements in the same (row-major) order, and the merged axis is the product
    np.testing.assert_array_equal(y.ravel(), x.ravel())
    s, e = start % ndim, end
    assert y.shape == shape[:s] + (int(np.prod(shape[s : e + 1])),) + shape[e + 1 :]
    # unflatten with the original sizes undoes it, and each backward undoes its forward
    np.testing.assert_array_equal(unflatten(y, s, shape[s : e + 1]), x)
    np.testing.assert_array_equal(flatten_backward(y, x, start, end), x)
    np.testing.assert_array_equal(unflatten_backward(x, y, s, shape[s : e + 1]), y)


def test_flatten_is_a_view_of_contiguous_float_input() -> None:
    # as torch.flatten: no copy for a contiguous input; a copy when the layout needs one
    x = np.zeros((2, 3, 4))
    assert np.shares_memory(flatten(x), x)
    xt = np.zeros((4, 3, 2)).transpose(2, 1, 0)           # not C-contiguous
    assert not np.shares_memory(flatten(xt), xt)
    np.testing.assert_array_equal(flatten(xt), xt.reshape(2, 12))


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtype_and_extremes_pass_through(dtype) -> None:
    # no arithmetic: every value, NaN and inf included, arrives unchanged
    x = np.append(EXTREMES, [np.nan, np.inf, -np.inf, 1e300 if dtype == np.float64 else 3e38]).astype(dtype)
    y = flatten(x.reshape(1, x.size, 1, 1), 1)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y.ravel(), x)
    assert flatten(np.arange(4).reshape(2, 2)).dtype == np.float64   # ints are computed in float64


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    x = np.ones((2, 3, 4))
    with pytest.raises(ValueError, match=r"start_dim must be an integer in \[-3, 2\], got 3"):
        flatten(x, 3)
    with pytest.raises(ValueError, match=r"end_dim must be an integer in \[-3, 2\], got -4"):
        flatten(x, 0, -4)
    with pytest.raises(TypeError, match="start_dim must be an integer, got float"):
        flatten(x, 1.0)
    with pytest.raises(ValueError, match=r"start_dim must not come after end_dim, got start_dim=2 and end_dim=1"):
        flatten(x, 2, 1)
    with pytest.raises(ValueError, match=r"start_dim must be an integer in \[-1, 0\], got 1"):
        flatten(np.ones(5))                                   # as torch.flatten(x1d, 1): out of range
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2, 12\)"):
        flatten_backward(np.ones((2, 3, 4)), x)
    with pytest.raises(ValueError, match=r"sizes \(2, 2\) must multiply to the size 3 of axis 1"):
        unflatten(x, 1, (2, 2))
    with pytest.raises(ValueError, match=r"sizes may contain at most one -1, got \(-1, -1\)"):
        unflatten(x, 2, (-1, -1))
    with pytest.raises(ValueError, match=r"sizes \(-1, 3\) cannot split axis 2 of size 4"):
        unflatten(x, 2, (-1, 3))
    with pytest.raises(TypeError, match="sizes must be a non-empty tuple or list of ints"):
        unflatten(x, 2, 4)
    with pytest.raises(ValueError, match=r"axis must be an integer in \[-3, 2\], got 5"):
        unflatten(x, 5, (1, 4))
    with pytest.raises(TypeError, match="x must be real-valued"):
        flatten(x * 1j)


# ---------------------------------------------------------------- PyTorch
CASES = [((2, 3, 4, 5), 1, -1), ((2, 3, 4, 5), 0, -1), ((2, 3, 4, 5), 1, 2), ((2, 3, 4, 5), -3, -2),
         ((3, 1, 1, 2), 2, 3), ((6,), 0, 0), ((0, 3, 2), 1, -1)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "start", "end"), CASES)
def test_matches_torch(dtype, shape, start, end) -> None:
    # no arithmetic anywhere: values and gradients must be identical to PyTorch's, bit for bit
    torch = require("torch")
    rng = np.random.default_rng(0)
    x = rng.choice(EXTREMES, size=shape).astype(dtype)
    y = flatten(x, start, end)
    g = rng.normal(size=y.shape).astype(dtype)
    ref_y, (ref_dx,) = torch_forward_backward(lambda a: torch.flatten(a, start, end), [x], g, [0])
    assert y.dtype == dtype and y.shape == ref_y.shape
    np.testing.assert_array_equal(y, ref_y)
    np.testing.assert_array_equal(flatten_backward(g, x, start, end), ref_dx)
    if start % len(shape) == 1 and end == -1:
        # nn.Flatten() is exactly the default flatten(x)
        np.testing.assert_array_equal(flatten(x), torch.nn.Flatten()(torch.tensor(x)).numpy())
    # and torch.unflatten undoes it
    sizes = shape[start % len(shape) : end % len(shape) + 1]
    ref_u, (ref_du,) = torch_forward_backward(lambda a: torch.unflatten(a, start % len(shape), sizes), [y], x, [0])
    np.testing.assert_array_equal(unflatten(y, start % len(shape), sizes), ref_u)
    np.testing.assert_array_equal(unflatten_backward(x, y, start % len(shape), sizes), ref_du)
