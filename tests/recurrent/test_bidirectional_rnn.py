"""bidirectional_rnn / bidirectional_rnn_backward: hand values, structure, stability, bad input and
torch.nn.RNN(bidirectional=True) with copied weights."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import bidirectional_rnn, bidirectional_rnn_backward, numerical_gradient, rnn, rnn_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require

def make(rng: np.random.Generator, t: int, n: int, i: int, h: int, scale: float = 0.8, dtype=np.float64) -> list:
    """x_seq (T, N, I), h0 (2, N, H), then the forward and the reverse (w_ih, w_hh, b_ih, b_hh)."""
    shapes = [(t, n, i), (2, n, h)] + [(h, i), (h, h), (h,), (h,)] * 2
    return [(rng.normal(size=s) * scale).astype(dtype) for s in shapes]


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_values() -> None:
    # one unit; forward: w_ih = 1, w_hh = 0 -> h_t = tanh(x_t); reverse: w_ih = 0, w_hh = 1,
    # bias 0, h0 = 0.5 -> the reverse state is tanh applied again and again to 0.5, once per step:
    # after x_3: tanh(0.5), after x_2: tanh(tanh(0.5)), after x_1: tanh(tanh(tanh(0.5)))
    x = np.array([0.2, -0.4, 0.9]).reshape(3, 1, 1)
    h0 = np.array([0.0, 0.5]).reshape(2, 1, 1)
    one, zero, b = np.ones((1, 1)), np.zeros((1, 1)), np.zeros(1)
    out, h_n = bidirectional_rnn(x, h0, one, zero, b, b, zero, one, b, b)
    t1 = math.tanh(0.5)
    t2, t3 = math.tanh(t1), math.tanh(math.tanh(t1))
    np.testing.assert_allclose(out[:, 0, 0], np.tanh([0.2, -0.4, 0.9]), rtol=1e-15)
    np.testing.assert_allclose(out[:, 0, 1], [t3, t2, t1], rtol=1e-15)
    np.testing.assert_allclose(h_n.ravel(), [math.tanh(0.9), t3], rtol=1e-15)


def test_is_two_rnns_one_on_the_reversed_sequence() -> None:
    rng = np.random.default_rng(0)
    x, h0, *p = make(rng, 5, 3, 4, 2)
    out, h_n = bidirectional_rnn(x, h0, *p)
    out_f, h_f = rnn(x, h0[0], *p[:4])
    out_r, h_r = rnn(x[::-1], h0[1], *p[4:])
    np.testing.assert_array_equal(out[..., :2], out_f)
    np.testing.assert_array_equal(out[..., 2:], out_r[::-1])
    np.testing.assert_array_equal(h_n, np.stack([h_f, h_r]))
    # the gradients are the two directions' BPTT gradients, the input's summed
    g = rng.normal(size=out.shape)
    grads = bidirectional_rnn_backward(g, np.zeros_like(h_n), x, h0, *p)
    ref_f = rnn_backward(g[..., :2], x, h0[0], *p[:4])
    ref_r = rnn_backward(g[..., 2:][::-1], x[::-1], h0[1], *p[4:])
    np.testing.assert_allclose(grads[0], ref_f[0] + ref_r[0][::-1], rtol=1e-15)
    for a, b in zip(grads[2:], [*ref_f[2:], *ref_r[2:]]):
        np.testing.assert_array_equal(a, b)


def test_each_output_sees_the_whole_sequence() -> None:
    # changing the last input changes the first output (through the reverse half only), and
    # changing the first input changes the last output (through the forward half only)
    rng = np.random.default_rng(1)
    x, h0, *p = make(rng, 6, 1, 3, 2)
    out = bidirectional_rnn(x, h0, *p)[0]
    x2 = x.copy()
    x2[-1] += 1.0
    out2 = bidirectional_rnn(x2, h0, *p)[0]
    assert np.all(out2[0, :, :2] == out[0, :, :2]) and np.any(out2[0, :, 2:] != out[0, :, 2:])


def test_empty_sequence() -> None:
    # T = 0: no output, h_n = h0, and dL/dh_n flows straight to h0
    rng = np.random.default_rng(2)
    x, h0, *p = make(rng, 0, 2, 3, 2)
    out, h_n = bidirectional_rnn(x, h0, *p)
    assert out.shape == (0, 2, 4)
    np.testing.assert_array_equal(h_n, h0)
    g_n = rng.normal(size=h0.shape)
    grads = bidirectional_rnn_backward(np.zeros((0, 2, 4)), g_n, x, h0, *p)
    np.testing.assert_array_equal(grads[1], g_n)
    assert all(np.all(d == 0) for d in grads[2:])


# ---------------------------------------------------------------- properties
@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.integers(1, 2), st.integers(1, 3), st.integers(1, 3), st.integers(0, 10**6))
def test_backward_matches_finite_differences(t, n, i, h, seed) -> None:
    rng = np.random.default_rng(seed)
    args = make(rng, t, n, i, h)
    g, g_n = rng.normal(size=(t, n, 2 * h)), rng.normal(size=(2, n, h))
    grads = bidirectional_rnn_backward(g, g_n, *args)
    for j, analytic in enumerate(grads):
        def loss(v, j=j):
            out, h_n = bidirectional_rnn(*args[:j], v, *args[j + 1:])
            return np.sum(g * out) + np.sum(g_n * h_n)

        # central differences with step 1e-6 on O(1) values: error ~1e-10 (gradcheck.py)
        np.testing.assert_allclose(analytic, numerical_gradient(loss, args[j]), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_up_to_1e4(dtype) -> None:
    # tanh saturates: inputs and weights up to 1e4 give states in [-1, 1] and finite gradients
    rng = np.random.default_rng(3)
    x = rng.choice(EXTREMES, size=(4, 2, 3)).astype(dtype)
    _, h0, *p = make(rng, 4, 2, 3, 2, scale=1e3, dtype=dtype)
    out, h_n = bidirectional_rnn(x, h0, *p)
    grads = bidirectional_rnn_backward(np.ones_like(out), np.ones_like(h_n), x, h0, *p)
    for v in (out, h_n, *grads):
        assert v.dtype == dtype and np.all(np.isfinite(v))
    assert np.all(np.abs(out) <= 1)


def test_nan_in_nan_out() -> None:
    rng = np.random.default_rng(4)
    x, h0, *p = make(rng, 3, 2, 2, 2)
    x[1, 0, 0] = np.nan
    out, _ = bidirectional_rnn(x, h0, *p)
    # sequence 0 is NaN from step 1 on (forward) and up to step 1 (reverse); sequence 1 is clean
    assert np.isnan(out[1:, 0, :2]).all() and np.isnan(out[:2, 0, 2:]).all() and np.isfinite(out[:, 1]).all()


# ---------------------------------------------------------------- bad input
def test_rejects_bad_shapes() -> None:
    rng = np.random.default_rng(5)
    x, h0, *p = make(rng, 3, 2, 4, 5)
    with pytest.raises(ValueError, match=r"h0 must have shape \(2, N, H\): .* got shape \(2, 5\)"):
        bidirectional_rnn(x, h0[0], *p)
    with pytest.raises(ValueError, match=r"h0 must have shape \(2, N, H\)"):
        bidirectional_rnn(x, np.concatenate([h0, h0]), *p)
    bad = list(p)
    bad[4] = np.ones((5, 3))
    with pytest.raises(ValueError, match=r"w_ih_reverse must have shape \(H, I\) = \(5, 4\) for hidden size H = 5 and input size I = 4, got \(5, 3\)"):
        bidirectional_rnn(x, h0, *bad)
    bad = list(p)
    bad[1] = np.ones((5, 4))
    with pytest.raises(ValueError, match=r"w_hh must have shape \(H, H\) = \(5, 5\)"):
        bidirectional_rnn(x, h0, *bad)
    with pytest.raises(ValueError, match=r"x_seq must be a 3-D array \(T, N, I\), got shape \(2, 4\)"):
        bidirectional_rnn(x[0], h0, *p)
    with pytest.raises(ValueError, match=r"grad_outputs must have shape \(T, N, 2H\) = \(3, 2, 10\)"):
        bidirectional_rnn_backward(np.ones((3, 2, 5)), np.ones((2, 2, 5)), x, h0, *p)
    with pytest.raises(ValueError, match=r"grad_h_n must have shape \(2, N, H\) = \(2, 2, 5\)"):
        bidirectional_rnn_backward(np.ones((3, 2, 10)), np.ones((2, 5)), x, h0, *p)
    with pytest.raises(TypeError, match="x_seq must be real-valued"):
        bidirectional_rnn(x * 1j, h0, *p)


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weight_scale", [0.5, 3.0], ids=["moderate", "saturating"])
def test_matches_torch_nn_rnn(dtype, weight_scale) -> None:
    torch = require("torch")
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    rng = np.random.default_rng(6)
    t, n, i, h = 7, 3, 4, 5
    x, h0, *p = make(rng, t, n, i, h, scale=weight_scale, dtype=dtype)
    module = torch.nn.RNN(i, h, bidirectional=True).to(tdtype)
    # weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, then the same with _reverse
    torch_names = [f"{k}_l0{suffix}" for suffix in ("", "_reverse") for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    with torch.no_grad():  # copy our weights into the module
        for torch_name, value in zip(torch_names, p):
            getattr(module, torch_name).copy_(torch.tensor(value))
    tx, th = torch.tensor(x, requires_grad=True), torch.tensor(h0, requires_grad=True)
    out_t, hn_t = module(tx, th)
    g, g_n = rng.normal(size=out_t.shape).astype(dtype), rng.normal(size=hn_t.shape).astype(dtype)
    ((out_t * torch.tensor(g)).sum() + (hn_t * torch.tensor(g_n)).sum()).backward()
    out, h_n = bidirectional_rnn(x, h0, *p)
    # states are tanh values in [-1, 1]: a few ulps of 1 after 7 steps of rounding
    assert_matches(out, out_t.detach().numpy(), dtype, scale=4)
    assert_matches(h_n, hn_t.detach().numpy(), dtype, scale=4)
    grads = bidirectional_rnn_backward(g, g_n, x, h0, *p)
    refs = [tx.grad.numpy(), th.grad.numpy(), *[getattr(module, k).grad.numpy() for k in torch_names]]
    # gradients: sums over T * N = 21 step-and-sequence terms, each of size |g| * |w| * |x| <=
    # 4 * 4 * weight_scale * 4 * weight_scale (weight_scale <= 3: <= 600), relative to that size
    scale = 21 * 64 * weight_scale ** 2
    for a, r in zip(grads, refs):
        assert_matches(a, r, dtype, scale=scale)
