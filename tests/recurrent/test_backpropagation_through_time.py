"""rnn_backward (BPTT): hand values, finite differences, chaining the cell, stability, bad input, PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import numerical_gradient, rnn, rnn_backward, rnn_cell, rnn_cell_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require


def sequence(rng: np.random.Generator, t: int, n: int, i: int, h: int, scale: float = 0.8, dtype=np.float64):
    """grad_outputs (T, N, H), x_seq (T, N, I), h0 (N, H), w_ih, w_hh, b_ih, b_hh ~ N(0, scale^2)."""
    shapes = [(t, n, h), (t, n, i), (n, h), (h, i), (h, h), (h,), (h,)]
    return [(rng.normal(size=s) * scale).astype(dtype) for s in shapes]


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_values() -> None:
    # one unit, w_ih = 0, w_hh = 1/2, biases 0, h0 = 0: every state is 0 and tanh' = 1.
    # grad_outputs (1, 1): step 2 gets da_2 = 1 and sends 1/2 back; step 1 gets 1 + 1/2 = 3/2
    # and sends 3/4 to h0. db = 1 + 3/2; dw_hh = da . h_prev = 0; dx_t = da_t * w_ih = 0
    g = np.ones((2, 1, 1))
    dx, dh0, dw_ih, dw_hh, db_ih, db_hh = rnn_backward(
        g, np.zeros((2, 1, 1)), [[0.0]], [[0.0]], [[0.5]], [0.0], [0.0]
    )
    np.testing.assert_array_equal(dh0, [[0.75]])
    np.testing.assert_array_equal(db_ih, [2.5])
    np.testing.assert_array_equal(db_hh, [2.5])
    np.testing.assert_array_equal(dw_hh, [[0.0]])
    np.testing.assert_array_equal(dx, np.zeros((2, 1, 1)))
    # dw_ih = sum_t da_t x_t: with x = (1, 0) and w_ih = 0 the states stay 0, so it is da_1 = 3/2
    grads = rnn_backward(g, np.array([1.0, 0.0]).reshape(2, 1, 1), [[0.0]], [[0.0]], [[0.5]], [0.0], [0.0])
    np.testing.assert_array_equal(grads[2], [[1.5]])


def test_empty_sequence_gives_zero_gradients() -> None:
    rng = np.random.default_rng(0)
    _, _, h0, *w = sequence(rng, 1, 2, 3, 4)
    grads = rnn_backward(np.zeros((0, 2, 4)), np.zeros((0, 2, 3)), h0, *w)
    assert grads[0].shape == (0, 2, 3)
    for g, like in zip(grads[1:], [h0, *w]):
        np.testing.assert_array_equal(g, np.zeros_like(like))


# ---------------------------------------------------------------- finite differences
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backward_matches_finite_differences(seed) -> None:
    # the check the generic table cannot run: rnn returns (outputs, h_T) but rnn_backward takes
    # the gradient of the outputs only; the loss is sum(grad_outputs * outputs)
    rng = np.random.default_rng(seed)
    g, *args = sequence(rng, 5, 2, 3, 4)
    analytic = rnn_backward(g, *args)
    assert len(analytic) == 6
    for j in range(6):
        def loss(v, j=j):
            return np.sum(g * rnn(*args[:j], v, *args[j + 1:])[0])
        numeric = numerical_gradient(loss, args[j])
        assert analytic[j].shape == args[j].shape
        # central differences with eps = 1e-6 on O(1) values: error ~1e-10 (see tests/gradcheck.py)
        np.testing.assert_allclose(analytic[j], numeric, rtol=1e-6, atol=1e-8, err_msg=f"argument {j}")


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 8), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_equals_chaining_the_cell_backward(t, n, i, h, seed) -> None:
    g, x_seq, h0, *w = sequence(np.random.default_rng(seed), t, n, i, h)
    ours = rnn_backward(g, x_seq, h0, *w)
    hs = [h0]
    for x in x_seq:
        hs.append(rnn_cell(x, hs[-1], *w))
    dh, dx_seq, dw = np.zeros_like(h0), np.zeros_like(x_seq), [np.zeros_like(p) for p in w]
    for step in reversed(range(t)):
        dx_seq[step], dh, *dp = rnn_cell_backward(g[step] + dh, x_seq[step], hs[step], *w)
        dw = [a + b for a, b in zip(dw, dp)]
    # the same arithmetic except the order of the sums over time and batch for the weights
    for a, b in zip(ours, [dx_seq, dh, *dw]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_no_loss_no_gradient_and_linearity() -> None:
    rng = np.random.default_rng(3)
    g, *args = sequence(rng, 6, 2, 3, 4)
    for z in rnn_backward(np.zeros_like(g), *args):
        np.testing.assert_array_equal(z, 0.0)
    # BPTT is linear in the upstream gradient: the sum of the losses has the sum of the gradients
    g2 = rng.normal(size=g.shape)
    for a, b, c in zip(rnn_backward(g + g2, *args), rnn_backward(g, *args), rnn_backward(g2, *args)):
        np.testing.assert_allclose(a, b + c, rtol=1e-12, atol=1e-12)


def test_dtypes() -> None:
    rng = np.random.default_rng(4)
    args = sequence(rng, 3, 2, 3, 2, dtype=np.float32)
    assert all(a.dtype == np.float32 for a in rnn_backward(*args))
    args[4] = args[4].astype(np.float64)
    assert all(a.dtype == np.float64 for a in rnn_backward(*args))
    ints = [np.ones(np.shape(a), dtype=np.int64) for a in args]
    assert all(a.dtype == np.float64 for a in rnn_backward(*ints))


# ---------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", DTYPES)
def test_saturated_and_extreme_stay_finite(dtype) -> None:
    rng = np.random.default_rng(5)
    g, x_seq, h0, *w = sequence(rng, 15, 2, 3, 4, dtype=dtype)
    x_seq[:, 0, 0] = EXTREMES
    g[:, 1, :] = dtype(1e4)
    w = [a * dtype(1e3) for a in w]
    for r in rnn_backward(g, x_seq, h0, *w):
        assert r.dtype == dtype and np.all(np.isfinite(r))


def test_nan_in_nan_out() -> None:
    rng = np.random.default_rng(6)
    g, x_seq, h0, *w = sequence(rng, 4, 2, 3, 2)
    x_seq[1, 0, 0] = np.nan
    dx, dh0, dw_ih, *_ = rnn_backward(g, x_seq, h0, *w)
    # sample 0's states from step 2 on are NaN, so its gradients back to step 1 and h0 are too
    assert np.isnan(dh0[0]).all() and np.all(np.isfinite(dh0[1]))
    assert np.isnan(dw_ih).any()


# ---------------------------------------------------------------- bad input
def test_rejects_bad_shapes() -> None:
    rng = np.random.default_rng(7)
    g, x_seq, h0, *w = sequence(rng, 5, 2, 3, 4)
    with pytest.raises(ValueError, match=r"^grad_outputs must have shape \(T, N, H\) = \(5, 2, 4\) for T = 5, N = 2, H = 4 \(the shape of outputs\), got \(2, 4\)$"):
        rnn_backward(g[-1], x_seq, h0, *w)
    with pytest.raises(ValueError, match=r"x_seq must be a 3-D array \(T, N, I\), got shape \(2, 3\)"):
        rnn_backward(g, x_seq[0], h0, *w)
    with pytest.raises(ValueError, match=r"w_hh must have shape \(H, H\) = \(4, 4\) for hidden size H = 4, got \(4, 3\)"):
        rnn_backward(g, x_seq, h0, w[0], w[1][:, :3], *w[2:])
    with pytest.raises(TypeError, match="grad_outputs must be real-valued"):
        rnn_backward(g * 1j, x_seq, h0, *w)


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weight_scale", [0.5, 1.5], ids=["contracting", "expanding"])
def test_matches_torch_autograd_through_nn_rnn(dtype, weight_scale) -> None:
    torch = require("torch")
    rng = np.random.default_rng(8)
    t_steps, n, i, hidden = 12, 3, 4, 5
    g, x_seq, h0, *w = sequence(rng, t_steps, n, i, hidden, scale=1.0, dtype=dtype)
    w = [(a * dtype(weight_scale / np.sqrt(hidden))).astype(dtype) for a in w]
    net = torch.nn.RNN(i, hidden, num_layers=1, nonlinearity="tanh", dtype=torch.from_numpy(x_seq).dtype)
    names = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    with torch.no_grad():
        for name, value in zip(names, w):
            getattr(net, name).copy_(torch.tensor(value))
    tx, th = torch.tensor(x_seq, requires_grad=True), torch.tensor(h0[None], requires_grad=True)
    out, _ = net(tx, th)
    out.backward(torch.tensor(g))
    ref = [tx.grad.numpy(), th.grad[0].numpy(), *(getattr(net, name).grad.numpy() for name in names)]
    ours = rnn_backward(g, x_seq, h0, *w)
    # Error budget. One step's pre-activation is exact to K eps S (K = I + H + 2 terms, S its
    # absolute evaluation with |h| <= 1); an error e in a state reaches the gradient on it scaled by
    # 2 |dL/dh| (through 1 - h^2), and the gradient on the state is carried back through at most
    # r = max row sum of |W_hh| per step. With G the largest |upstream| met and T steps, every
    # gradient is within about 2 K eps (S + 1) G (1 + r + ... + r^(T-1)) times the sums it enters
    # (|W| for dx and dh0; |x|, |h| <= 1 or 1 summed over N T terms for the weights and biases).
    a = [np.abs(np.asarray(v, np.float64)) for v in (x_seq, h0, *w)]
    s = float((a[0].max() * a[2].sum(1) + 1.0 * a[3].sum(1) + a[4] + a[5]).max()) + 1
    r = float(a[3].sum(1).max())
    carried = sum(r**k for k in range(t_steps))
    big_g = float(np.abs(g).max()) * carried              # bound on |dL/dh_t| over the sequence
    k = i + hidden + 2 + n * t_steps
    sums = [a[2].sum(0).max(), a[3].sum(0).max(), n * t_steps * a[0].max(), n * t_steps, n * t_steps, n * t_steps]
    for ours_g, ref_g, m in zip(ours, ref, sums):
        assert_matches(ours_g, ref_g, dtype, ulps=2 * k, scale=2 * s * big_g * carried * m)
