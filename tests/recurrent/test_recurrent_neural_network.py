"""rnn_cell / rnn_cell_backward / rnn: hand values, properties, stability, bad input, PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import rnn, rnn_cell, rnn_cell_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require

finite = st.floats(-1e4, 1e4, allow_nan=False)


def params(rng: np.random.Generator, n: int, i: int, h: int, scale: float = 1.0, dtype=np.float64):
    """x (N, I), h (N, H) and w_ih (H, I), w_hh (H, H), b_ih, b_hh (H,), normal with std ``scale``."""
    shapes = [(n, i), (n, h), (h, i), (h, h), (h,), (h,)]
    return [(rng.normal(size=s) * scale).astype(dtype) for s in shapes]


def absolute_preactivation(x, h, w_ih, w_hh, b_ih, b_hh) -> float:
    """S: the largest sum of |terms| in a pre-activation; any summation order makes it exact to
    about K eps S with K = I + H + 2 terms."""
    a = [np.abs(np.asarray(v, np.float64)) for v in (x, h, w_ih, w_hh, b_ih, b_hh)]
    return float(np.max(a[0] @ a[2].T + a[4] + a[1] @ a[3].T + a[5], initial=1.0))


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_values() -> None:
    # H = 1, I = 2: a = (1, 2) . (c, 0) + 0 + 3 * 0 + (b_hh = c') with c chosen so that a = artanh(3/5)
    c = math.atanh(0.6)
    x, h = np.array([[1.0, 2.0]]), np.array([[3.0]])
    w_ih, w_hh = np.array([[c / 2, c / 4]]), np.zeros((1, 1))
    b_ih, b_hh = np.zeros(1), np.zeros(1)
    # a = c/2 + 2 c/4 = c -> h' = 3/5; tanh' = 1 - 9/25 = 16/25
    np.testing.assert_allclose(rnn_cell(x, h, w_ih, w_hh, b_ih, b_hh), [[0.6]], rtol=1e-15)
    dx, dh, dw_ih, dw_hh, db_ih, db_hh = rnn_cell_backward([[2.0]], x, h, w_ih, w_hh, b_ih, b_hh)
    da = 2 * 16 / 25
    np.testing.assert_allclose(dx, da * w_ih, rtol=1e-15)
    np.testing.assert_array_equal(dh, [[0.0]])                       # through w_hh = 0
    np.testing.assert_allclose(dw_ih, [[da * 1.0, da * 2.0]], rtol=1e-15)
    np.testing.assert_allclose(dw_hh, [[da * 3.0]], rtol=1e-15)
    np.testing.assert_allclose(db_ih, [da], rtol=1e-15)
    np.testing.assert_allclose(db_hh, [da], rtol=1e-15)


def test_hand_checked_sequence() -> None:
    # w_ih = 1, w_hh = 2, c = artanh(1/2): inputs c, c - 1, c - 1 keep the state at 1/2
    c = math.atanh(0.5)
    out, h_T = rnn([[[c]], [[c - 1]], [[c - 1]]], [[0.0]], [[1.0]], [[2.0]], [0.0], [0.0])
    np.testing.assert_allclose(out.ravel(), [0.5, 0.5, 0.5], rtol=1e-14)
    np.testing.assert_array_equal(h_T, out[-1])


def test_empty_sequence_returns_a_copy_of_the_initial_state() -> None:
    rng = np.random.default_rng(0)
    _, h0, *w = params(rng, 2, 3, 4)
    out, h_T = rnn(np.zeros((0, 2, 3)), h0, *w)
    assert out.shape == (0, 2, 4)
    np.testing.assert_array_equal(h_T, h0)
    assert h_T is not h0


# ---------------------------------------------------------------- properties
@st.composite
def cell_inputs(draw, elements=finite):
    n, i, h = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    shapes = [(n, i), (n, h), (h, i), (h, h), (h,), (h,)]
    return [draw(arrays(np.float64, s, elements=elements)) for s in shapes]


@given(cell_inputs())
def test_state_is_bounded(args) -> None:
    h_new = rnn_cell(*args)
    assert np.all(np.abs(h_new) <= 1)


@given(cell_inputs(elements=st.floats(-3, 3)))
def test_only_the_sum_of_the_biases_matters(args) -> None:
    x, h, w_ih, w_hh, b_ih, b_hh = args
    moved = rnn_cell(x, h, w_ih, w_hh, b_ih + b_hh, np.zeros_like(b_hh))
    np.testing.assert_allclose(rnn_cell(*args), moved, rtol=1e-13, atol=1e-13)


@given(cell_inputs(elements=st.floats(-3, 3)))
def test_backward_is_odd_in_the_upstream_gradient(args) -> None:
    # the backward pass is linear in grad_h
    g = np.ones_like(args[1])
    for a, b in zip(rnn_cell_backward(g, *args), rnn_cell_backward(-2 * g, *args)):
        np.testing.assert_allclose(b, -2 * a, rtol=1e-14, atol=1e-300)


def test_sequence_equals_a_loop_over_the_cell() -> None:
    rng = np.random.default_rng(1)
    x_seq = rng.normal(size=(6, 3, 5))
    _, h, *w = params(rng, 3, 5, 4)
    out, h_T = rnn(x_seq, h, *w)
    loop = []
    for x in x_seq:
        h = rnn_cell(x, h, *w)
        loop.append(h)
    # rnn computes x W_ih^T for all steps in one product, possibly in another summation order;
    # tanh is 1-Lipschitz and the recurrence through W_hh can carry an error over T = 6 steps
    s = absolute_preactivation(np.abs(x_seq).max(0), np.ones_like(h), *w)
    assert_matches(out, np.array(loop), np.float64, ulps=6 * (5 + 4 + 2), scale=s * np.abs(w[1]).sum(1).max() ** 6)
    np.testing.assert_array_equal(h_T, out[-1])


def test_mixed_dtypes_promote_and_integers_become_float64() -> None:
    rng = np.random.default_rng(2)
    args = params(rng, 2, 3, 2, dtype=np.float32)
    assert rnn_cell(*args).dtype == np.float32
    assert all(g.dtype == np.float32 for g in rnn_cell_backward(np.ones((2, 2), np.float32), *args))
    args[2] = args[2].astype(np.float64)
    assert rnn_cell(*args).dtype == np.float64
    assert rnn_cell(*[np.ones(np.shape(a), dtype=np.int64) for a in args]).dtype == np.float64


# ---------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", range(3))
def test_saturated_state_stays_finite(dtype, seed) -> None:
    rng = np.random.default_rng(seed)
    x, h, w_ih, w_hh, b_ih, b_hh = params(rng, 4, 3, 5, dtype=dtype)
    w_ih, w_hh, b_ih, b_hh = (w * dtype(1e3) for w in (w_ih, w_hh, b_ih, b_hh))
    args = (x, h, w_ih, w_hh, b_ih, b_hh)
    out, h_T = rnn(np.stack([x] * 20), h, w_ih, w_hh, b_ih, b_hh)
    for r in [rnn_cell(*args), *rnn_cell_backward(np.ones_like(h), *args), out, h_T]:
        assert r.dtype == dtype and np.all(np.isfinite(r))


@pytest.mark.parametrize("dtype", DTYPES)
@given(x=arrays(np.float64, (2, 15), elements=finite))
def test_extreme_inputs_stay_finite(dtype, x: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    _, h, w_ih, w_hh, b_ih, b_hh = params(rng, 2, 15, 3, dtype=dtype)
    x = x.astype(dtype)
    for r in [rnn_cell(x, h * 1e4, w_ih, w_hh, b_ih, b_hh), *rnn_cell_backward(h, x, h * 1e4, w_ih, w_hh, b_ih, b_hh)]:
        assert r.dtype == dtype and np.all(np.isfinite(r))


def test_nan_in_nan_out() -> None:
    rng = np.random.default_rng(3)
    x, h, *w = params(rng, 2, 3, 2)
    x[0, 0] = np.nan
    h_new = rnn_cell(x, h, *w)
    assert np.all(np.isnan(h_new[0])) and np.all(np.isfinite(h_new[1]))
    grads = rnn_cell_backward(np.ones_like(h), x, h, *w)
    assert np.isnan(grads[2]).any() and np.isnan(grads[0][0]).all()


# ---------------------------------------------------------------- bad input
def test_rejects_bad_shapes_naming_argument_and_shapes() -> None:
    rng = np.random.default_rng(4)
    x, h, w_ih, w_hh, b_ih, b_hh = params(rng, 2, 3, 8)
    with pytest.raises(ValueError, match=r"^w_hh must have shape \(H, H\) = \(8, 8\) for hidden size H = 8, got \(8, 7\)$"):
        rnn_cell(x, h, w_ih, w_hh[:, :7], b_ih, b_hh)
    with pytest.raises(ValueError, match=r"w_ih must have shape \(H, I\) = \(8, 3\) for hidden size H = 8 and input size I = 3, got \(3, 8\)"):
        rnn_cell(x, h, w_ih.T, w_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=r"b_ih must have shape \(H,\) = \(8,\) for hidden size H = 8, got \(1, 8\)"):
        rnn_cell(x, h, w_ih, w_hh, b_ih[None], b_hh)
    with pytest.raises(ValueError, match=r"b_hh must have shape \(H,\) = \(8,\) for hidden size H = 8, got \(7,\)"):
        rnn_cell(x, h, w_ih, w_hh, b_ih, b_hh[:7])
    with pytest.raises(ValueError, match=r"x must be a 2-D array \(N, I\), got shape \(3,\)"):
        rnn_cell(x[0], h, w_ih, w_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=r"h must have shape \(N, H\) with N = 2 as in x of shape \(2, 3\), got \(1, 8\)"):
        rnn_cell(x, h[:1], w_ih, w_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=r"grad_h must have shape \(N, H\) = \(2, 8\) for N = 2, H = 8 \(the shape of h_new\), got \(8,\)"):
        rnn_cell_backward(np.ones(8), x, h, w_ih, w_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=r"x_seq must be a 3-D array \(T, N, I\), got shape \(2, 3\)"):
        rnn(x, h, w_ih, w_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=r"h0 must have shape \(N, H\) with N = 2 as in x_seq of shape \(5, 2, 3\), got \(1, 2, 8\)"):
        rnn(np.zeros((5, 2, 3)), h[None], w_ih, w_hh, b_ih, b_hh)


def test_rejects_complex_and_non_numeric() -> None:
    rng = np.random.default_rng(5)
    args = params(rng, 2, 3, 2)
    with pytest.raises(TypeError, match="w_hh must be real-valued"):
        rnn_cell(*args[:3], args[3] * 1j, *args[4:])
    with pytest.raises(TypeError, match="x must be numeric"):
        rnn_cell(np.array([["a", "b", "c"]] * 2), *args[1:])


# ---------------------------------------------------------------- PyTorch
def gradient_scales(args, grad_h) -> tuple[float, list[float]]:
    """(ulps, scales) for the cell's output and its six gradients against PyTorch.

    The pre-activation is exact to K eps S (K = I + H + 2 terms, S its absolute evaluation); tanh is
    1-Lipschitz, so h' is too (plus its own rounding). 1 - h'^2 then moves by at most 2 K eps (S + 1),
    which da = grad_h (1 - h'^2) multiplies by |grad_h|; each gradient sums da times a weight, an
    input or 1 over H (dx, dh) or N (weights, biases) more terms. So every result is within
    (K + N + H) eps * 2 (S + 1) * (its absolute evaluation with |da| <= |grad_h|), and two
    implementations within twice that.
    """
    x, h, w_ih, w_hh, *_ = args
    s = absolute_preactivation(*args) + 1
    ag = np.abs(np.asarray(grad_h, np.float64))
    a = [np.abs(np.asarray(v, np.float64)) for v in (x, h, w_ih, w_hh)]
    evals = [1.0, (ag @ a[2]).max(), (ag @ a[3]).max(), (ag.T @ a[0]).max(), (ag.T @ a[1]).max(),
             ag.sum(0).max(), ag.sum(0).max()]
    k = x.shape[1] + h.shape[1] + 2 + x.shape[0] + h.shape[1]
    return 2 * k, [s] + [2 * s * e for e in evals[1:]]


def torch_rnn_cell(torch, args, grad_h):
    x, h, w_ih, w_hh, b_ih, b_hh = (torch.tensor(a) for a in args)
    cell = torch.nn.RNNCell(x.shape[1], h.shape[1], nonlinearity="tanh", dtype=x.dtype)
    with torch.no_grad():
        for p, value in zip((cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh), (w_ih, w_hh, b_ih, b_hh)):
            p.copy_(value)
    x.requires_grad_(True), h.requires_grad_(True)
    h_new = cell(x, h)
    h_new.backward(torch.tensor(grad_h))
    grads = [x.grad, h.grad, cell.weight_ih.grad, cell.weight_hh.grad, cell.bias_ih.grad, cell.bias_hh.grad]
    return h_new.detach().numpy(), [g.numpy() for g in grads]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weight_scale", [0.5, 3.0], ids=["random", "large"])
@pytest.mark.parametrize("extreme", [False, True], ids=["normal-x", "extreme-x"])
def test_cell_matches_torch(dtype, weight_scale, extreme) -> None:
    torch = require("torch")
    rng = np.random.default_rng(6)
    x, h, *w = params(rng, 6, 5, 4, dtype=dtype)
    if extreme:
        x[0, :] = EXTREMES[:5]
    args = [x, h, *(a * dtype(weight_scale) for a in w)]
    grad_h = rng.normal(size=(6, 4)).astype(dtype)
    ref_h, ref_grads = torch_rnn_cell(torch, args, grad_h)
    ulps, scales = gradient_scales(args, grad_h)
    assert_matches(rnn_cell(*args), ref_h, dtype, ulps=ulps, scale=scales[0])
    for ours, ref, scale in zip(rnn_cell_backward(grad_h, *args), ref_grads, scales[1:]):
        assert_matches(ours, ref, dtype, ulps=ulps, scale=scale)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sequence_matches_torch_rnn(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(7)
    t_steps, n, i, hidden = 12, 3, 4, 5
    x_seq = rng.normal(size=(t_steps, n, i)).astype(dtype)
    _, h0, *w = params(rng, n, i, hidden, scale=0.5, dtype=dtype)
    net = torch.nn.RNN(i, hidden, num_layers=1, nonlinearity="tanh", dtype=torch.from_numpy(x_seq).dtype)
    with torch.no_grad():
        for name, value in zip(("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"), w):
            getattr(net, name).copy_(torch.tensor(value))
        out, h_T = net(torch.tensor(x_seq), torch.tensor(h0[None]))
    ours, ours_h = rnn(x_seq, h0, *w)
    # each step's error is K eps S (as in gradient_scales, with |h| <= 1); it is carried to the
    # next step through W_hh (times at most the largest row sum r of |W_hh|, tanh being 1-Lipschitz):
    # after T steps at most K eps S (1 + r + ... + r^(T-1))
    s = absolute_preactivation(np.abs(x_seq).max(0), np.ones_like(h0), *w)
    r = float(np.abs(w[1]).sum(1).max())
    carried = sum(r**k for k in range(t_steps))
    assert_matches(ours, out.numpy(), dtype, ulps=2 * (i + hidden + 2), scale=s * carried)
    assert_matches(ours_h, h_T[0].numpy(), dtype, ulps=2 * (i + hidden + 2), scale=s * carried)
