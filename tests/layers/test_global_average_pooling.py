"""adaptive_avg_pool2d / global_avg_pool2d and their backwards: hand values, properties,
stability, bad input, and PyTorch's adaptive_avg_pool2d."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import (
    adaptive_avg_pool2d,
    adaptive_avg_pool2d_backward,
    avg_pool2d,
    global_avg_pool2d,
    global_avg_pool2d_backward,
)
from tests.layers.shared import values
from tests.reference import DTYPES, EXTREMES, require, torch_forward_backward


# ---------------------------------------------------------------- hand-checked values
def test_hand_values_overlapping_cells() -> None:
    # a row of 5 into 3 cells: starts floor(5i/3) = 0, 1, 3; ends ceil(5(i+1)/3) = 2, 4, 5;
    # cells [0, 2), [1, 4), [3, 5) over 1 2 3 4 5: means 1.5, 3, 4.5
    row = np.array([[[[1.0, 2.0, 3.0, 4.0, 5.0]]]])
    np.testing.assert_array_equal(adaptive_avg_pool2d(row, (1, 3)), [[[[1.5, 3.0, 4.5]]]])
    # into more cells than pixels (2 -> 3): [0, 1), [0, 2), [1, 2): 10, 15, 20
    np.testing.assert_array_equal(adaptive_avg_pool2d([[[[10.0, 20.0]]]], (1, 3)), [[[[10.0, 15.0, 20.0]]]])


def test_none_keeps_the_input_size() -> None:
    # (None, 1): keep the 2 rows, average each row: (1 + 2 + 3) / 3 and (4 + 5 + 6) / 3
    x = np.array([[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]])
    np.testing.assert_array_equal(adaptive_avg_pool2d(x, (None, 1)), [[[[2.0], [5.0]]]])


def test_global_hand_values() -> None:
    # the mean of 0..11 is 5.5; of 2 * (0..11) it is 11
    x = np.stack([np.arange(12.0).reshape(3, 4), 2 * np.arange(12.0).reshape(3, 4)])[None]
    np.testing.assert_array_equal(global_avg_pool2d(x), [[5.5, 11.0]])
    np.testing.assert_array_equal(global_avg_pool2d_backward([[12.0, 24.0]], x)[0, :, 0, 0], [1.0, 2.0])


def test_backward_hand_values() -> None:
    # the row of 5 into cells [0, 2), [1, 4), [3, 5) of sizes 2, 3, 2; g = (2, 3, 4):
    # shares 1, 1, 2; pixel 0: 1; pixel 1: 1 + 1; pixel 2: 1; pixel 3: 1 + 2; pixel 4: 2
    dx = adaptive_avg_pool2d_backward([[[[2.0, 3.0, 4.0]]]], np.zeros((1, 1, 1, 5)), (1, 3))
    np.testing.assert_array_equal(dx, [[[[1.0, 2.0, 1.0, 3.0, 2.0]]]])


# ---------------------------------------------------------------- properties
@st.composite
def problems(draw):
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    h_out, w_out = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.normal(size=(n, c, h, w)), (h_out, w_out)


@settings(max_examples=60, deadline=None)
@given(problems())
def test_adjoint_and_range(problem) -> None:
    x, size = problem
    y = adaptive_avg_pool2d(x, size)
    assert y.shape == (*x.shape[:2], *size)
    # a mean never leaves the range of what it averages
    assert y.min() >= x.min() - 1e-12 and y.max() <= x.max() + 1e-12
    # linear: the backward pass is the adjoint. Tolerance: rounding of sums of |g x| terms
    g = np.random.default_rng(0).normal(size=y.shape)
    dx = adaptive_avg_pool2d_backward(g, x, size)
    assert abs(np.sum(g * y) - np.sum(dx * x)) < 1e-12 * (1 + np.abs(g).sum() * np.abs(x).max())
    # every cell hands out exactly its gradient: the total is conserved
    np.testing.assert_allclose(dx.sum(axis=(2, 3)), g.sum(axis=(2, 3)), rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(problems())
def test_global_is_adaptive_1_and_the_mean(problem) -> None:
    x, _ = problem
    np.testing.assert_allclose(global_avg_pool2d(x), adaptive_avg_pool2d(x, 1)[:, :, 0, 0], rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(global_avg_pool2d(x), x.reshape(*x.shape[:2], -1).mean(axis=-1), rtol=1e-14, atol=1e-15)
    g = np.random.default_rng(2).normal(size=x.shape[:2])
    np.testing.assert_allclose(global_avg_pool2d_backward(g, x), adaptive_avg_pool2d_backward(g[:, :, None, None], x, 1),
                               rtol=1e-15, atol=0)


def test_divisible_sizes_equal_average_pooling() -> None:
    # when H_out divides H (and W_out divides W) the cells tile the map: avg_pool2d with
    # kernel = stride = H / H_out
    x = np.random.default_rng(3).normal(size=(2, 3, 6, 8))
    np.testing.assert_allclose(adaptive_avg_pool2d(x, (3, 2)), avg_pool2d(x, (2, 4)), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_up_to_1e4(dtype) -> None:
    rng = np.random.default_rng(4)
    x = rng.choice(EXTREMES, size=(2, 3, 7, 5)).astype(dtype)
    outs = (adaptive_avg_pool2d(x, (3, 4)), adaptive_avg_pool2d_backward(np.full((2, 3, 3, 4), 1e4, dtype), x, (3, 4)),
            global_avg_pool2d(x), global_avg_pool2d_backward(np.full((2, 3), 1e4, dtype), x))
    for v in outs:
        assert v.dtype == dtype and np.all(np.isfinite(v))


def test_infinity_stays_in_its_cells() -> None:
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 0, 0] = np.inf
    y = adaptive_avg_pool2d(x, 2)
    assert np.isposinf(y[0, 0, 0, 0]) and np.isfinite(y).sum() == 3


def test_empty_batch_and_empty_maps() -> None:
    x = np.zeros((0, 3, 4, 4))
    assert adaptive_avg_pool2d(x, 2).shape == (0, 3, 2, 2)
    assert global_avg_pool2d(x).shape == (0, 3)
    assert adaptive_avg_pool2d_backward(np.zeros((0, 3, 2, 2)), x, 2).shape == x.shape
    with pytest.raises(ValueError, match=r"x must have a non-empty height and width to average over, got shape \(1, 3, 0, 4\)"):
        global_avg_pool2d(np.zeros((1, 3, 0, 4)))


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    x = np.ones((1, 2, 4, 4))
    with pytest.raises(ValueError, match=r"x must have shape \(N, C, H, W\) or \(C, H, W\), got shape \(4, 4\)"):
        adaptive_avg_pool2d(np.ones((4, 4)), 2)
    with pytest.raises(ValueError, match=r"x must have shape \(N, C, H, W\), got shape \(2, 4, 4\)"):
        global_avg_pool2d(np.ones((2, 4, 4)))  # an unbatched map is adaptive_avg_pool2d's only
    with pytest.raises(ValueError, match=r"output_size must be >= 1 in both directions, got \(0, 2\)"):
        adaptive_avg_pool2d(x, (0, 2))
    with pytest.raises(TypeError, match=r"output_size must be an int or a pair of ints \(height, width\), got 1.5"):
        adaptive_avg_pool2d(x, 1.5)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(1, 2, 2, 2\)"):
        adaptive_avg_pool2d_backward(np.ones((1, 2, 2, 3)), x, 2)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(1, 2\)"):
        global_avg_pool2d_backward(np.ones((1, 2, 1, 1)), x)
    with pytest.raises(TypeError, match="x must be real-valued"):
        global_avg_pool2d(x * 1j)


# ---------------------------------------------------------------- PyTorch
GRID = [((2, 3, 7, 7), 1), ((2, 3, 7, 5), (3, 2)), ((1, 2, 5, 9), (4, 4)), ((1, 1, 3, 3), (5, 7)),
        ((1, 2, 6, 4), (None, 3)), ((3, 2, 10, 10), (3, 3))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("xs", "size"), GRID)
@pytest.mark.parametrize("extreme", [False, True])
def test_matches_torch(dtype, xs, size, extreme) -> None:
    torch = require("torch")
    rng = np.random.default_rng(5)
    draw = values(rng, extreme)
    x = draw(xs).astype(dtype)
    y = adaptive_avg_pool2d(x, size)
    g = draw(y.shape).astype(dtype)
    ref_y, (ref_dx,) = torch_forward_backward(
        lambda a: torch.nn.functional.adaptive_avg_pool2d(a, size), [x], g, [0])
    eps, tiny = np.finfo(dtype).eps, np.finfo(dtype).tiny
    # y: a sum of k = (cell area) terms, added in different orders by PyTorch and by us, then one
    # division. Summing k terms in any order is exact to (k - 1) eps * sum |terms| (first-order
    # bound), so per cell: (k + 1) eps * mean |x over the cell|
    k = int(np.ceil(xs[2] / y.shape[2]) + 1) * int(np.ceil(xs[3] / y.shape[3]) + 1)
    bound = (k + 1) * eps * adaptive_avg_pool2d(np.abs(x), size) + tiny
    assert y.dtype == dtype and np.all(np.abs(y.astype(np.float64) - ref_y) <= bound)
    # dx: a pixel is in at most 2 x 2 cells, so a sum of at most 4 shares g / area: 4 eps of
    # the sum of |shares|
    dx = adaptive_avg_pool2d_backward(g, x, size)
    bound = 4 * eps * adaptive_avg_pool2d_backward(np.abs(g), x, size) + tiny
    assert dx.dtype == dtype and np.all(np.abs(dx.astype(np.float64) - ref_dx) <= bound)
    if size == 1:
        # the global version against adaptive_avg_pool2d(x, 1) flattened, same bounds
        ref_g, (ref_gdx,) = torch_forward_backward(
            lambda a: torch.flatten(torch.nn.functional.adaptive_avg_pool2d(a, 1), 1), [x], g[:, :, 0, 0], [0])
        np.testing.assert_array_less(np.abs(global_avg_pool2d(x) - ref_g), (k + 1) * eps * np.abs(x).mean(axis=(2, 3)) + 2 * tiny)
        np.testing.assert_array_less(np.abs(global_avg_pool2d_backward(g[:, :, 0, 0], x) - ref_gdx),
                                     eps * np.abs(ref_gdx) + 2 * tiny)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_an_unbatched_map_works_as_in_pytorch(dtype) -> None:
    # F.adaptive_avg_pool2d accepts (C, H, W) as one sample; so does ours, with the same numbers as
    # the batched call on x[None] (checked against torch elsewhere), and its gradient likewise
    torch = require("torch")
    rng = np.random.default_rng(7)
    x = rng.normal(size=(3, 7, 5)).astype(dtype)
    g = rng.normal(size=(3, 3, 2)).astype(dtype)
    t = torch.tensor(x, requires_grad=True)
    out = torch.nn.functional.adaptive_avg_pool2d(t, (3, 2))
    out.backward(torch.tensor(g))
    np.testing.assert_array_equal(adaptive_avg_pool2d(x, (3, 2)), adaptive_avg_pool2d(x[None], (3, 2))[0])
    np.testing.assert_allclose(adaptive_avg_pool2d(x, (3, 2)), out.detach().numpy(), rtol=8 * np.finfo(dtype).eps)
    np.testing.assert_allclose(adaptive_avg_pool2d_backward(g, x, (3, 2)), t.grad.numpy(), rtol=8 * np.finfo(dtype).eps)
    with pytest.raises(ValueError, match=r"x must have shape \(N, C, H, W\) or \(C, H, W\)"):
        adaptive_avg_pool2d(np.zeros((4, 4)), 2)
