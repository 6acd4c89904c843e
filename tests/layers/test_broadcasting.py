"""broadcast_shapes / unbroadcast / unbroadcast_backward: hand values, properties, bad input, and
torch.broadcast_shapes, numpy.broadcast_shapes, Tensor.sum_to_size and autograd of broadcast ops."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from snippets import broadcast_shapes, unbroadcast, unbroadcast_backward
from tests.layers.shared import values
from tests.reference import DTYPES, EXTREMES, require, torch_forward_backward


# ---------------------------------------------------------------- hand-checked values
def test_broadcast_shapes_hand_values() -> None:
    # right-aligned: (5, 4) with (4,) -> (5, 4); (15, 3, 5) with (15, 1, 5) -> (15, 3, 5);
    # (3, 1) with (1, 4) -> the outer grid (3, 4); a size 0 wins against 1
    assert broadcast_shapes((5, 4), (4,)) == (5, 4)
    assert broadcast_shapes((15, 3, 5), (15, 1, 5)) == (15, 3, 5)
    assert broadcast_shapes((3, 1), (1, 4)) == (3, 4)
    assert broadcast_shapes((0, 1), (1, 4)) == (0, 4)
    assert broadcast_shapes(3, ()) == (3,)
    assert broadcast_shapes() == ()


def test_unbroadcast_hand_values() -> None:
    g = np.arange(6.0).reshape(2, 3)                 # [[0, 1, 2], [3, 4, 5]]
    np.testing.assert_array_equal(unbroadcast(g, (3,)), [3.0, 5.0, 7.0])     # column sums
    np.testing.assert_array_equal(unbroadcast(g, (2, 1)), [[3.0], [12.0]])   # row sums, kept 2-d
    assert unbroadcast(g, ()) == 15.0                                        # a scalar: everything
    np.testing.assert_array_equal(unbroadcast(g, (2, 3)), g)                 # nothing to sum


def test_backward_hand_values() -> None:
    # unbroadcast to (2, 1) sums each row: its adjoint copies each row's gradient along the row
    np.testing.assert_array_equal(unbroadcast_backward([[1.0], [5.0]], np.zeros((2, 3)), (2, 1)), [[1, 1, 1], [5, 5, 5]])


# ---------------------------------------------------------------- properties
@st.composite
def compatible_shapes(draw):
    """A target shape and 1-3 shapes that broadcast to it (axes dropped from the front or set to 1)."""
    target = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))
    shapes = []
    for _ in range(draw(st.integers(1, 3))):
        keep = draw(st.integers(0, len(target)))
        tail = target[len(target) - keep :]
        shapes.append(tuple(n if draw(st.booleans()) else 1 for n in tail))
    return target, shapes


@settings(max_examples=100, deadline=None)
@given(compatible_shapes())
def test_broadcast_shapes_matches_numpy(problem) -> None:
    target, shapes = problem
    # numpy.broadcast_shapes as the independent rule; and broadcasting the arrays really works
    expected = np.broadcast_shapes(*shapes)
    assert broadcast_shapes(*shapes) == expected
    assert np.broadcast_arrays(*[np.zeros(s) for s in shapes])[0].shape == expected


@settings(max_examples=100, deadline=None)
@given(compatible_shapes(), st.integers(0, 2**32 - 1))
def test_unbroadcast_is_the_adjoint_of_broadcasting(problem, seed) -> None:
    # <broadcast_to(x, G), g> = <x, unbroadcast(g, x.shape)> for every x of a shape that broadcasts
    # to G; the tolerance is float64 rounding of a sum of at most 4^4 products
    target, shapes = problem
    rng = np.random.default_rng(seed)
    g = rng.normal(size=target)
    for s in shapes:
        x = rng.normal(size=s)
        lhs = np.sum(np.broadcast_to(x, target) * g)
        rhs = np.sum(x * unbroadcast(g, s))
        assert abs(lhs - rhs) <= 1e-12 * (1 + np.sum(np.abs(g)) * max(1.0, np.abs(x).max(initial=0.0)))
        # and the backward of unbroadcast is broadcasting, exactly
        y = rng.normal(size=s)
        np.testing.assert_array_equal(unbroadcast_backward(y, g, s), np.broadcast_to(y, target))


def test_gradient_of_a_broadcast_sum() -> None:
    # z = x + b with x (4, 3) and b (3,): dz/db = unbroadcast(g, (3,)); and for a product
    # z = x * s with s (4, 1): dz/ds = unbroadcast(g * x, (4, 1))
    rng = np.random.default_rng(0)
    x, g = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    np.testing.assert_allclose(unbroadcast(g, (3,)), g.sum(axis=0), rtol=1e-15)
    np.testing.assert_allclose(unbroadcast(g * x, (4, 1)), (g * x).sum(axis=1, keepdims=True), rtol=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtype_and_stability(dtype) -> None:
    g = np.random.default_rng(1).choice(EXTREMES, size=(3, 4, 5)).astype(dtype)
    for s in [(5,), (4, 1), (1, 1, 1), ()]:
        out = unbroadcast(g, s)
        assert out.dtype == dtype and out.shape == s and np.all(np.isfinite(out))
        assert unbroadcast_backward(np.ones(s, dtype), g, s).dtype == dtype


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"shapes \[\(2, 3\), \(3, 2\)\] cannot be broadcast: sizes \[2, 3\] meet at axis -2"):
        broadcast_shapes((2, 3), (3, 2))
    with pytest.raises(ValueError, match=r"shapes must be an integer >= 0, got -1"):
        broadcast_shapes((2, -1))
    with pytest.raises(TypeError, match="shapes must be an integer, got float"):
        broadcast_shapes((2.0, 3))
    with pytest.raises(ValueError, match=r"shape \(2,\) does not broadcast to the gradient's shape \(2, 3\)"):
        unbroadcast(np.ones((2, 3)), (2,))
    with pytest.raises(ValueError, match=r"shape \(1, 2, 3\) does not broadcast to the gradient's shape \(2, 3\)"):
        unbroadcast(np.ones((2, 3)), (1, 2, 3))
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(3,\)"):
        unbroadcast_backward(np.ones(2), np.ones((2, 3)), (3,))
    with pytest.raises(TypeError, match="grad must be real-valued"):
        unbroadcast(np.ones(3) * 1j, (3,))


# ---------------------------------------------------------------- PyTorch
SHAPES = [[(8, 1, 6, 1), (7, 1, 5)], [(3,), (1,)], [(), (2, 3)], [(0, 1), (1, 4)], [(2, 1), (1, 3), (4, 1, 1)],
          [4, (3, 4)], [(5,)]]


@pytest.mark.parametrize("shapes", SHAPES)
def test_broadcast_shapes_matches_torch(shapes) -> None:
    torch = require("torch")
    assert broadcast_shapes(*shapes) == tuple(torch.broadcast_shapes(*shapes))


SUMS = [((2, 3), (3,)), ((2, 3), (2, 1)), ((4, 2, 3), (1, 3)), ((4, 2, 3), ()), ((2, 3), (2, 3)),
        ((3, 4, 5), (4, 1)), ((0, 3), (3,))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("grad_shape", "shape"), SUMS)
@pytest.mark.parametrize("extreme", [False, True])
def test_unbroadcast_matches_torch(dtype, grad_shape, shape, extreme) -> None:
    torch = require("torch")
    rng = np.random.default_rng(2)
    g = values(rng, extreme)(grad_shape).astype(dtype)
    ours = unbroadcast(g, shape)
    eps, tiny = np.finfo(dtype).eps, np.finfo(dtype).tiny
    # a sum of k = (size of grad / size of shape) terms in another order: within k eps of the
    # sum of their magnitudes (the first-order bound for any summation order)
    k = max(1, int(np.prod(grad_shape)) // max(1, int(np.prod(shape))))
    bound = k * eps * unbroadcast(np.abs(g), shape).astype(np.float64) + tiny
    ref = torch.tensor(g).sum_to_size(shape).numpy()
    assert ours.dtype == dtype and ours.shape == ref.shape
    assert np.all(np.abs(ours.astype(np.float64) - ref) <= bound)
    # what autograd does for x + y when x had `shape`: x.grad is the unbroadcast upstream gradient
    x = rng.normal(size=shape).astype(dtype)
    y = rng.normal(size=grad_shape).astype(dtype)
    _, (dx, dy) = torch_forward_backward(lambda a, b: a + b, [x, y], g, [0, 1])
    assert np.all(np.abs(ours.astype(np.float64) - dx) <= bound)
    np.testing.assert_array_equal(unbroadcast(g, grad_shape), dy)
    # and the backward of unbroadcast is the gradient of sum_to_size: a broadcast, exactly
    up = rng.normal(size=shape).astype(dtype)
    _, (dg,) = torch_forward_backward(lambda a: a.sum_to_size(shape), [g], up, [0])
    np.testing.assert_array_equal(unbroadcast_backward(up, g, shape), dg)
