"""lora_linear / lora_linear_backward / lora_merge: hand values, merge identity, zero init, shapes,
bad input, PyTorch autograd in float32 and float64."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import linear, lora_linear, lora_linear_backward, lora_merge
from tests.reference import DTYPES, assert_matches, require, torch_forward_backward


def layer(rng: np.random.Generator, out_f: int = 5, in_f: int = 4, r: int = 2, batch=(3,)):
    """x (*batch, in), W (out, in), A (r, in), B (out, r), all N(0, 1)."""
    return (
        rng.normal(size=(*batch, in_f)), rng.normal(size=(out_f, in_f)),
        rng.normal(size=(r, in_f)), rng.normal(size=(out_f, r)),
    )


def test_hand_checked_values() -> None:
    # W = I, A = (1, 1), B = (1, 0)^T, alpha / r = 3 / 1: B A = [[1, 1], [0, 0]], so for x = (2, -1)
    # the update adds 3 * (2 - 1) = 3 to the first output: (2 + 3, -1)
    W, A, B = np.eye(2), [[1.0, 1.0]], [[1.0], [0.0]]
    np.testing.assert_array_equal(lora_linear([2.0, -1.0], W, A, B, alpha=3, r=1), [5.0, -1.0])
    np.testing.assert_array_equal(lora_merge(W, A, B, alpha=3, r=1), [[4.0, 3.0], [0.0, 1.0]])
    # grad_out = (1, 0): dx = W^T g + 3 (B A)^T g = (1, 0) + 3 (1, 1) = (4, 3);
    # dA = 3 (g B)^T x = 3 * 1 * (2, -1) = (6, -3); dB = 3 g^T (x A^T) = 3 * (1, 0)^T * 1 = (3, 0)^T
    dx, dA, dB = lora_linear_backward([1.0, 0.0], [2.0, -1.0], W, A, B, alpha=3, r=1)
    np.testing.assert_array_equal(dx, [4.0, 3.0])
    np.testing.assert_array_equal(dA, [[6.0, -3.0]])
    np.testing.assert_array_equal(dB, [[3.0], [0.0]])


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 4), st.floats(0.5, 64.0))
def test_merged_layer_equals_the_adapter(seed: int, r: int, alpha: float) -> None:
    # x W^T + s (x A^T) B^T = x (W + s B A)^T: the same sums in another order, so equal to rounding
    # (each output sums ~in_features + r products of N(0, 1) numbers: 1e-12 absolute is ~5000 eps)
    x, W, A, B = layer(np.random.default_rng(seed), r=r, batch=(2, 3))
    np.testing.assert_allclose(lora_linear(x, W, A, B, alpha, r), linear(x, lora_merge(W, A, B, alpha, r)),
                               rtol=0, atol=1e-12 * alpha)


def test_zero_b_starts_at_the_pretrained_layer_and_only_b_moves_first() -> None:
    rng = np.random.default_rng(0)
    x, W, A, _ = layer(rng)
    B = np.zeros((5, 2))
    np.testing.assert_array_equal(lora_linear(x, W, A, B, 16, 2), linear(x, W))
    dx, dA, dB = lora_linear_backward(rng.normal(size=(3, 5)), x, W, A, B, 16, 2)
    assert np.all(dA == 0) and np.any(dB != 0)
    # both zero: no gradient reaches either factor, the adapter can never leave zero
    dx, dA, dB = lora_linear_backward(rng.normal(size=(3, 5)), x, W, np.zeros((2, 4)), B, 16, 2)
    assert np.all(dA == 0) and np.all(dB == 0)


def test_leading_axes_and_empty_batch() -> None:
    rng = np.random.default_rng(1)
    x, W, A, B = layer(rng, batch=(2, 3))
    y = lora_linear(x, W, A, B, 8, 2)
    assert y.shape == (2, 3, 5)
    np.testing.assert_allclose(y[1, 2], lora_linear(x[1, 2], W, A, B, 8, 2), rtol=1e-14)
    dx, dA, dB = lora_linear_backward(np.ones((0, 5)), np.zeros((0, 4)), W, A, B, 8, 2)
    assert dx.shape == (0, 4) and np.all(dA == 0) and np.all(dB == 0)


def test_a_frozen_weight_in_float64_follows_the_float32_adapter() -> None:
    rng = np.random.default_rng(2)
    x, W, A, B = (a.astype(np.float32) for a in layer(rng))
    y = lora_linear(x, W.astype(np.float64), A, B, 4, 2)
    assert y.dtype == np.float32
    assert lora_merge(W.astype(np.float64), A, B, 4, 2).dtype == np.float64


def test_bad_input_names_the_argument_and_shapes() -> None:
    x, W, A, B = layer(np.random.default_rng(3))
    with pytest.raises(ValueError, match=r"A must have shape \(r, in_features\) = \(3, 4\).*got \(2, 4\)"):
        lora_linear(x, W, A, B, 8, 3)
    with pytest.raises(ValueError, match=r"B must have shape \(out_features, r\) = \(5, 2\).*got \(2, 5\)"):
        lora_linear(x, W, A, B.T, 8, 2)
    with pytest.raises(ValueError, match=r"x must have shape \(\*, in_features\)"):
        lora_linear(x[:, :3], W, A, B, 8, 2)
    with pytest.raises(ValueError, match="r must be"):
        lora_merge(W, A, B, 8, 0)
    with pytest.raises(TypeError, match="alpha must be a real number"):
        lora_merge(W, A, B, "8", 2)
    with pytest.raises(TypeError, match="W must be"):
        lora_merge(np.array([["a"]]), A, B, 8, 2)
    with pytest.raises(ValueError, match=r"grad_out.*\(3, 5\)"):
        lora_linear_backward(np.ones((3, 4)), x, W, A, B, 8, 2)


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch_autograd(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(4)
    # a layer of realistic proportions, with inputs up to ~30 and a large scaling alpha / r = 8
    x, W, A, B = (a.astype(dtype) for a in layer(rng, out_f=24, in_f=32, r=4, batch=(6, 5)))
    x = x * dtype(10)
    alpha, r = 32.0, 4
    grad_out = rng.normal(size=(6, 5, 24)).astype(dtype)

    def torch_lora(x_t, W_t, A_t, B_t):
        F = torch.nn.functional
        return F.linear(x_t, W_t) + (alpha / r) * F.linear(F.linear(x_t, A_t), B_t)

    ref_y, (ref_dx, ref_dA, ref_dB) = torch_forward_backward(torch_lora, [x, W, A, B], grad_out, wrt=[0, 2, 3])
    # Every result is a sum of products computed in another order than PyTorch's. A sum of n
    # products is within n * eps/2 * sum|products| of the exact value (Higham, Accuracy and Stability,
    # eq. 3.5), for each side: so the two agree to n ulps of the same sum taken over |.|, element by
    # element, where n is the length of the longest chain of additions behind that element
    s, ab = alpha / r, np.abs
    g2, x2 = ab(grad_out).reshape(-1, 24), ab(x).reshape(-1, 32)
    dx, dA, dB = lora_linear_backward(grad_out, x, W, A, B, alpha, r)
    y_mag = ab(x) @ ab(W).T + s * (ab(x) @ ab(A).T) @ ab(B).T
    assert_matches(lora_linear(x, W, A, B, alpha, r), ref_y, dtype, ulps=32 + r, scale=y_mag)
    dx_mag = ab(grad_out) @ ab(W) + s * (ab(grad_out) @ ab(B)) @ ab(A)
    assert_matches(dx, ref_dx, dtype, ulps=24 + r, scale=dx_mag)
    assert_matches(dA, ref_dA, dtype, ulps=24 + 30, scale=s * (g2 @ ab(B)).T @ x2)
    assert_matches(dB, ref_dB, dtype, ulps=30 + 32, scale=s * g2.T @ (x2 @ ab(A).T))
