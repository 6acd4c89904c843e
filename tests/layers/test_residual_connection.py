"""residual_block / residual_block_backward: hand values, properties, stability, bad input, PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import linear, relu, residual_block, residual_block_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require


def block(rng: np.random.Generator, d: int = 4, h: int = 5, dtype=np.float64, scale: float = 1.0):
    """w1 (H, D), b1 (H,), w2 (D, H), b2 (D,) ~ N(0, scale^2)."""
    return [(rng.normal(size=s) * scale).astype(dtype) for s in [(h, d), (h,), (d, h), (d,)]]


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_values() -> None:
    # D = 2, H = 2: w1 = I, b1 = 0 -> r = relu(x); w2 = [[0, 1], [1, 0]] swaps, b2 = (1, 0)
    w1, b1 = np.eye(2), np.zeros(2)
    w2, b2 = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([1.0, 0.0])
    x = np.array([[3.0, -2.0]])
    # r = (3, 0); F = (0 + 1, 3 + 0) = (1, 3); y = x + F = (4, 1)
    np.testing.assert_array_equal(residual_block(x, w1, b1, w2, b2), [[4.0, 1.0]])
    # grad_out = (1, 10): dr = g w2 = (10, 1); relu mask (1, 0) -> dz = (10, 0)
    # dx = g + dz w1 = (1 + 10, 10 + 0); dw1 = dz^T x; db1 = dz; dw2 = g^T r; db2 = g
    dx, dw1, db1, dw2, db2 = residual_block_backward([[1.0, 10.0]], x, w1, b1, w2, b2)
    np.testing.assert_array_equal(dx, [[11.0, 10.0]])
    np.testing.assert_array_equal(dw1, [[30.0, -20.0], [0.0, 0.0]])
    np.testing.assert_array_equal(db1, [10.0, 0.0])
    np.testing.assert_array_equal(dw2, [[3.0, 0.0], [30.0, 0.0]])
    np.testing.assert_array_equal(db2, [1.0, 10.0])


def test_zero_branch_is_the_identity_and_passes_the_gradient_unchanged() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4))
    w1, b1, _, _ = block(rng)
    zero_w2, zero_b2 = np.zeros((4, 5)), np.zeros(4)
    np.testing.assert_array_equal(residual_block(x, w1, b1, zero_w2, zero_b2), x)
    g = rng.normal(size=x.shape)
    np.testing.assert_array_equal(residual_block_backward(g, x, w1, b1, zero_w2, zero_b2)[0], g)


# ---------------------------------------------------------------- properties
@given(arrays(np.float64, (3, 4), elements=st.floats(-100, 100)), st.integers(0, 2**32 - 1))
def test_block_minus_input_is_the_branch(x, seed) -> None:
    w1, b1, w2, b2 = block(np.random.default_rng(seed))
    branch = linear(relu(linear(x, w1, b1)), w2, b2)
    # y - x = F(x) up to the rounding of one addition of |x| + |F|
    np.testing.assert_allclose(residual_block(x, w1, b1, w2, b2) - x, branch, rtol=0,
                               atol=4e-16 * (np.abs(x).max() + np.abs(branch).max() + 1))


@given(arrays(np.float64, (3, 4), elements=st.floats(-100, 100)), st.integers(0, 2**32 - 1))
def test_input_gradient_is_identity_plus_branch_jacobian(x, seed) -> None:
    # with grad_out = e_j per sample, dx - e_j is row j of the branch's Jacobian, J = W2 diag(z > 0) W1
    w1, b1, w2, b2 = block(np.random.default_rng(seed))
    z = x @ w1.T + b1
    for j in range(4):
        g = np.zeros_like(x)
        g[:, j] = 1.0
        dx = residual_block_backward(g, x, w1, b1, w2, b2)[0]
        jac_row = ((w2[j] * (z > 0)) @ w1)              # (N, D): row j of J for each sample
        np.testing.assert_allclose(dx - g, jac_row, rtol=1e-12, atol=1e-12)


def test_dtypes_and_leading_axes() -> None:
    rng = np.random.default_rng(1)
    w = block(rng, dtype=np.float32)
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    assert residual_block(x, *w).dtype == np.float32 and residual_block(x, *w).shape == (2, 3, 4)
    grads = residual_block_backward(np.ones_like(x), x, *w)
    assert all(g.dtype == np.float32 for g in grads)
    assert [g.shape for g in grads] == [x.shape, (5, 4), (5,), (4, 5), (4,)]
    assert residual_block(x.astype(np.float64), *w).dtype == np.float64


# ---------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", DTYPES)
def test_extreme_inputs_stay_finite(dtype) -> None:
    rng = np.random.default_rng(2)
    x = np.stack([EXTREMES, -EXTREMES])[:, :12].reshape(6, 4).astype(dtype)
    w = block(rng, dtype=dtype)
    # |F| <= 4 * 5 * 1e4 * |w|^2: around 1e6, far below float32's overflow
    results = [residual_block(x, *w), *residual_block_backward(np.full_like(x, 1e4), x, *w)]
    for r in results:
        assert r.dtype == dtype and np.all(np.isfinite(r))


def test_nan_in_nan_out() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 4))
    x[0, 0] = np.nan
    y = residual_block(x, *block(rng))
    assert np.isnan(y[0, 0]) and np.all(np.isfinite(y[1]))


# ---------------------------------------------------------------- bad input
def test_rejects_bad_shapes_naming_argument_and_shapes() -> None:
    rng = np.random.default_rng(4)
    x = np.ones((2, 4))
    w1, b1, w2, b2 = block(rng)
    with pytest.raises(ValueError, match=r"^w2 must have shape \(D, H\) = \(4, 5\) for w1 of shape \(5, 4\) \(H = 5, D = 4\), got \(5, 4\)$"):
        residual_block(x, w1, b1, w2.T, b2)
    with pytest.raises(ValueError, match=r"x must have shape \(\*, D\) with D = 4 as in w1 of shape \(5, 4\), got \(2, 3\)"):
        residual_block(np.ones((2, 3)), w1, b1, w2, b2)
    with pytest.raises(ValueError, match=r"b1 must have shape \(H,\) = \(5,\) for w1 of shape \(5, 4\) \(H = 5, D = 4\), got \(4,\)"):
        residual_block(x, w1, b2, w2, b2)
    with pytest.raises(ValueError, match=r"b2 must have shape \(D,\) = \(4,\)"):
        residual_block(x, w1, b1, w2, b1)
    with pytest.raises(ValueError, match=r"w1 must be a 2-D array \(H, D\), got shape \(4,\)"):
        residual_block(x, np.ones(4), b1, w2, b2)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2, 4\), got shape \(4,\)"):
        residual_block_backward(np.ones(4), x, w1, b1, w2, b2)
    with pytest.raises(TypeError, match="w1 must be real-valued"):
        residual_block(x, w1 * 1j, b1, w2, b2)


# ---------------------------------------------------------------- PyTorch
def absolute_evaluation(g, x, w1, b1, w2, b2) -> list[float]:
    """Each result (y, dx, dw1, db1, dw2, db2) evaluated with every input replaced by its absolute
    value and relu's mask by 1: the standard forward-error bound for sums and products is
    gamma_K * (that value), with K the number of terms summed along the longest chain."""
    ag, ax, aw1, ab1, aw2, ab2 = (np.abs(np.asarray(v, np.float64)) for v in (g, x, w1, b1, w2, b2))
    ag, ax = ag.reshape(-1, ax.shape[-1]), ax.reshape(-1, ax.shape[-1])
    a_r = ax @ aw1.T + ab1
    a_dz = ag @ aw2
    values = [ax + a_r @ aw2.T + ab2, ag + a_dz @ aw1, a_dz.T @ ax, a_dz.sum(0), ag.T @ a_r, ag.sum(0)]
    return [float(v.max()) for v in values]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("extreme", [False, True], ids=["random", "extreme"])
def test_matches_torch(dtype, extreme) -> None:
    torch = require("torch")
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 5, 4)).astype(dtype)
    if extreme:
        x.reshape(-1)[:15] = EXTREMES
    w = block(rng, dtype=dtype)
    g = rng.normal(size=x.shape).astype(dtype)
    tx, *tw = (torch.tensor(a, requires_grad=True) for a in (x, *w))
    ty = tx + torch.nn.functional.linear(torch.relu(torch.nn.functional.linear(tx, tw[0], tw[1])), tw[2], tw[3])
    ty.backward(torch.tensor(g))
    z = x.astype(np.float64) @ w[0].T.astype(np.float64) + w[1]
    z_abs = np.abs(x.astype(np.float64)) @ np.abs(w[0].T.astype(np.float64)) + np.abs(w[1])
    assert np.all(np.abs(z) > 8 * np.finfo(dtype).eps * z_abs), "a pre-activation is within rounding of relu's kink"
    ours = [residual_block(x, *w), *residual_block_backward(g, x, *w)]
    ref = [ty.detach().numpy(), tx.grad.numpy(), *(t.grad.numpy() for t in tw)]
    # longest chain of summed terms: D (z) + H (F or dz) + N (sums over the 15 samples) + 2 additions;
    # each side is within K eps of the absolute evaluation, so the two differ by at most 2 K eps of it
    # (relu's mask agrees on both sides: the assertion above keeps every pre-activation clear of 0)
    k = 4 + 5 + 15 + 2
    for a, b, scale in zip(ours, ref, absolute_evaluation(g, x, *w)):
        assert_matches(a, b, dtype, ulps=2 * k, scale=scale)
