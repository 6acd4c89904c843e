"""tied_lm_logits / tied_lm_logits_backward / tied_embedding_grad: hand values, the two-path sum,
bad input, and a whole tied model against PyTorch autograd (one nn.Parameter used twice)."""

from __future__ import annotations

import numpy as np
import pytest

from snippets import (
    embedding,
    embedding_backward,
    linear,
    tanh,
    tanh_backward,
    tied_embedding_grad,
    tied_lm_logits,
    tied_lm_logits_backward,
)
from tests.reference import DTYPES, assert_matches, require


def test_hand_checked_values() -> None:
    # E = [[1, 0], [0, 2], [1, 1]], h = (3, 1): logits = (3, 2, 4)
    E = [[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]
    np.testing.assert_array_equal(tied_lm_logits([3.0, 1.0], E), [3.0, 2.0, 4.0])
    # grad_logits = (1, 0, -1): dh = E^T g = (1 - 1, 0 - 1) = (0, -1); dE rows = g_v h
    dh, dE = tied_lm_logits_backward([1.0, 0.0, -1.0], [3.0, 1.0], E)
    np.testing.assert_array_equal(dh, [0.0, -1.0])
    np.testing.assert_array_equal(dE, [[3.0, 1.0], [0.0, 0.0], [-3.0, -1.0]])
    # input ids (2, 2, 0) with input gradients (1, 0), (0, 1), (5, 5): row 2 gets (1, 1), row 0 (5, 5);
    # the output use above adds (3, 1) to row 0 and (-3, -1) to row 2
    total = tied_embedding_grad([[1.0, 0.0], [0.0, 1.0], [5.0, 5.0]], [2, 2, 0], [[1.0, 0.0, -1.0]], [[3.0, 1.0]])
    np.testing.assert_array_equal(total, [[8.0, 6.0], [0.0, 0.0], [-2.0, 0.0]])


def test_the_total_is_the_sum_of_the_two_uses() -> None:
    rng = np.random.default_rng(0)
    V, D = 7, 4
    E = rng.normal(size=(V, D))
    ids = rng.integers(0, V, size=(2, 5))
    g_x, g_logits, h = rng.normal(size=(2, 5, D)), rng.normal(size=(2, 5, V)), rng.normal(size=(2, 5, D))
    _, from_output = tied_lm_logits_backward(g_logits, h, E)
    from_input = embedding_backward(g_x, ids, E)
    np.testing.assert_allclose(tied_embedding_grad(g_x, ids, g_logits, h), from_input + from_output, rtol=1e-14, atol=1e-14)


def test_empty_and_float32() -> None:
    E = np.ones((3, 2), np.float32)
    assert tied_lm_logits(np.zeros((0, 2), np.float32), E).shape == (0, 3)
    g = tied_embedding_grad(np.zeros((0, 2), np.float32), np.zeros(0, int), np.zeros((0, 3), np.float32),
                            np.zeros((0, 2), np.float32))
    assert g.shape == (3, 2) and g.dtype == np.float32 and np.all(g == 0)


def test_bad_input_names_the_argument_and_shapes() -> None:
    E = np.ones((3, 2))
    with pytest.raises(ValueError, match=r"h must have shape \(\*, d_model\) with d_model = 2.*got \(4, 3\)"):
        tied_lm_logits(np.ones((4, 3)), E)
    with pytest.raises(ValueError, match=r"embedding must be a 2-D array"):
        tied_lm_logits(np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match=r"input_ids contains class index 3"):
        tied_embedding_grad(np.ones((1, 2)), [3], np.ones((1, 3)), np.ones((1, 2)))
    with pytest.raises(ValueError, match=r"grad_embedded must have shape \(\*input_ids.shape, d_model\) = \(2, 2\)"):
        tied_embedding_grad(np.ones((1, 2)), [0, 1], np.ones((1, 3)), np.ones((1, 2)))
    with pytest.raises(ValueError, match=r"share their leading axes.*\(1, 3\) and \(2, 2\)"):
        tied_embedding_grad(np.ones((1, 2)), [0], np.ones((1, 3)), np.ones((2, 2)))
    with pytest.raises(TypeError, match="input_ids holding class indices must have an integer dtype"):
        tied_embedding_grad(np.ones((1, 2)), [0.5], np.ones((1, 3)), np.ones((1, 2)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_tied_model_matches_torch_autograd(dtype) -> None:
    # x = E[ids]; h = tanh(x M^T); logits = h E^T; L = sum(G * logits). One nn.Parameter E is read
    # twice, so torch accumulates both paths into E.grad; ours adds them with tied_embedding_grad
    torch = require("torch")
    rng = np.random.default_rng(1)
    V, D, B, T = 50, 16, 4, 9
    E = (rng.normal(size=(V, D)) * 0.5).astype(dtype)
    M = (rng.normal(size=(D, D)) / 4).astype(dtype)
    ids = rng.integers(0, V, size=(B, T))
    G = rng.normal(size=(B, T, V)).astype(dtype)

    E_t, M_t = torch.tensor(E, requires_grad=True), torch.tensor(M)
    h_t = torch.tanh(torch.nn.functional.linear(torch.nn.functional.embedding(torch.tensor(ids), E_t), M_t))
    logits_t = torch.nn.functional.linear(h_t, E_t)
    logits_t.backward(torch.tensor(G))

    x = embedding(ids, E)
    z = linear(x, M)
    h = tanh(z)
    logits = tied_lm_logits(h, E)
    dh, _ = tied_lm_logits_backward(G, h, E)
    dx = tanh_backward(dh, z) @ M                                     # back through tanh and x M^T
    dE = tied_embedding_grad(dx, ids, G, h)
    # each logit and each gradient entry is a sum of at most D + V + B T products of O(1) numbers,
    # computed in another order than PyTorch's: within that many ulps of the largest term's size
    # (Higham's bound for a sum of n terms, both sides); measured well inside it
    assert_matches(logits, logits_t.detach().numpy(), dtype, ulps=D, scale=float(np.max(np.abs(logits))))
    assert_matches(dE, E_t.grad.numpy(), dtype, ulps=D + V + B * T, scale=float(np.max(np.abs(dE))))
