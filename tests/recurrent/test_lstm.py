"""lstm_cell / lstm_cell_backward / lstm: hand values, properties, stability, bad input, PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import lstm, lstm_cell, lstm_cell_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require

finite = st.floats(-1e4, 1e4, allow_nan=False)


def params(rng: np.random.Generator, n: int, i: int, h: int, scale: float = 1.0, dtype=np.float64):
    """x (N, I), h (N, H), c (N, H) and the four weight arrays, normal with std ``scale``."""
    shapes = [(n, i), (n, h), (n, h), (4 * h, i), (4 * h, h), (4 * h,), (4 * h,)]
    return [(rng.normal(size=s) * scale).astype(dtype) for s in shapes]


def preact_scale(x, h, w_ih, w_hh, b_ih, b_hh) -> float:
    """S: the largest sum of |terms| in a gate pre-activation a = x W_ih^T + b_ih + h W_hh^T + b_hh.

    Rounding (in any summation order) makes a exact only to about eps * S.
    """
    terms = np.abs(x) @ np.abs(w_ih).T + np.abs(b_ih) + np.abs(h) @ np.abs(w_hh).T + np.abs(b_hh)
    return float(np.max(terms, initial=1.0))


def amplification(pre_activations: np.ndarray, s: float, dtype) -> float:
    """1 + S * D: how much larger than one rounding an error in the outputs can be.

    An error of up to r = 8 eps S in a pre-activation a moves a gate by at most r times the
    largest slope on [a - r, a + r], and a gate's derivative by r times the largest curvature.
    For sigma and tanh both are at most D = 8 sigma'(xi) with xi = max(|a| - r, 0) (since
    tanh'(a) = 4 sigma'(2a) <= 4 sigma'(a), |sigma''| <= sigma', |tanh''| <= 2 tanh'). D is about 2
    for gates in their linear range and underflows to 0 for saturated ones, so saturated gates,
    whose outputs are exact, are held to the rounding of the remaining arithmetic.
    """
    r = 8 * np.finfo(dtype).eps * s
    xi = max(float(np.min(np.abs(pre_activations))) - r, 0.0)
    return 1 + s * 8 * (1 / (1 + math.exp(-xi))) * (1 / (1 + math.exp(xi)))


def preact(x, h, w_ih, w_hh, b_ih, b_hh) -> np.ndarray:
    """The gate pre-activations, in float64, to locate the gates on their curves."""
    x, h, w_ih, w_hh, b_ih, b_hh = (np.asarray(a, dtype=np.float64) for a in (x, h, w_ih, w_hh, b_ih, b_hh))
    return x @ w_ih.T + b_ih + h @ w_hh.T + b_hh


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_values() -> None:
    # one unit, weights 0, biases chosen so the gates are exact: a_i = ln 3 -> i = 3/4,
    # a_f = -ln 3 -> f = 1/4, a_g = artanh(1/2) -> g = 1/2, a_o = 0 -> o = 1/2 (split over b_ih, b_hh)
    b_ih = np.array([math.log(3), 0.0, math.atanh(0.5), 0.0])
    b_hh = np.array([0.0, -math.log(3), 0.0, 0.0])
    w_ih, w_hh = np.zeros((4, 2)), np.zeros((4, 1))
    x, h, c = np.array([[5.0, -7.0]]), np.array([[3.0]]), np.array([[2.0]])
    h_new, c_new = lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh)
    # c' = f c + i g = 2/4 + 3/8 = 7/8; h' = o tanh(c') = tanh(7/8) / 2
    np.testing.assert_allclose(c_new, [[0.875]], rtol=1e-15)
    np.testing.assert_allclose(h_new, [[math.tanh(0.875) / 2]], rtol=1e-15)
    # grad_c = 1, grad_h = 0: dc = f = 1/4; the pre-activation gradients are
    # i: g i (1-i) = 1/2 * 3/16 = 3/32; f: c f (1-f) = 2 * 3/16 = 3/8; g: i (1 - g^2) = 3/4 * 3/4; o: 0
    dx, dh, dc, dw_ih, dw_hh, db_ih, db_hh = lstm_cell_backward(
        [[0.0]], [[1.0]], x, h, c, w_ih, w_hh, b_ih, b_hh
    )
    da = np.array([3 / 32, 3 / 8, 9 / 16, 0.0])
    np.testing.assert_allclose(dc, [[0.25]], rtol=1e-15)
    np.testing.assert_allclose(db_ih, da, rtol=1e-15)
    np.testing.assert_allclose(db_hh, da, rtol=1e-15)
    # the weight gradients are outer products of da with the inputs; dx, dh go through zero weights
    np.testing.assert_allclose(dw_ih, np.outer(da, [5.0, -7.0]), rtol=1e-15)
    np.testing.assert_allclose(dw_hh, np.outer(da, [3.0]), rtol=1e-15)
    np.testing.assert_array_equal(dx, [[0.0, 0.0]])
    np.testing.assert_array_equal(dh, [[0.0]])


def test_hand_checked_sequence() -> None:
    # weights 0 and only b_o = ln 3 (o = 3/4, i = f = 1/2, g = 0): each step halves c
    b = np.array([0.0, 0.0, 0.0, math.log(3)])
    out, (h_T, c_T) = lstm(np.ones((3, 1, 2)), [[0.0]], [[8.0]], np.zeros((4, 2)), np.zeros((4, 1)), b, np.zeros(4))
    np.testing.assert_allclose(out[:, 0, 0], 0.75 * np.tanh([4.0, 2.0, 1.0]), rtol=1e-15)
    np.testing.assert_array_equal(c_T, [[1.0]])
    np.testing.assert_array_equal(h_T, out[-1])


def test_empty_sequence_returns_copies_of_the_initial_state() -> None:
    rng = np.random.default_rng(0)
    _, h0, c0, *w = params(rng, 2, 3, 4)
    out, (h_T, c_T) = lstm(np.zeros((0, 2, 3)), h0, c0, *w)
    assert out.shape == (0, 2, 4)
    np.testing.assert_array_equal(h_T, h0)
    np.testing.assert_array_equal(c_T, c0)
    assert h_T is not h0 and c_T is not c0


# ---------------------------------------------------------------- properties
@st.composite
def cell_inputs(draw, elements=finite):
    n, i, h = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    shapes = [(n, i), (n, h), (n, h), (4 * h, i), (4 * h, h), (4 * h,), (4 * h,)]
    return [draw(arrays(np.float64, s, elements=elements)) for s in shapes]


@given(cell_inputs())
def test_states_stay_bounded(args) -> None:
    # |h'| = |o tanh(c')| <= 1 and |c'| <= f |c| + i |g| <= |c| + 1, for any finite input
    h_new, c_new = lstm_cell(*args)
    c = args[2]
    assert np.all(np.abs(h_new) <= 1)
    assert np.all(np.abs(c_new) <= np.abs(c) + 1)


@given(cell_inputs(elements=st.floats(-3, 3)))
def test_only_the_sum_of_the_biases_matters(args) -> None:
    x, h, c, w_ih, w_hh, b_ih, b_hh = args
    moved = lstm_cell(x, h, c, w_ih, w_hh, b_ih + b_hh, np.zeros_like(b_hh))
    # (a + b_ih) + b_hh vs a + (b_ih + b_hh): equal up to the rounding of one addition
    for ours, other in zip(lstm_cell(*args), moved):
        np.testing.assert_allclose(ours, other, rtol=1e-13, atol=1e-13)


@given(cell_inputs(elements=st.floats(-3, 3)))
def test_constant_error_carousel(args) -> None:
    # forget gate saturated open (f = 1) and input gate shut (i = 0): the cell state is carried
    # unchanged and its gradient flows back through it untouched: dc = grad_c exactly
    x, h, c, w_ih, w_hh, b_ih, b_hh = args
    hidden = h.shape[1]
    b_ih = b_ih.copy()
    b_ih[:hidden] = -1e4  # input gate
    b_ih[hidden : 2 * hidden] = 1e4  # forget gate
    _, c_new = lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh)
    np.testing.assert_array_equal(c_new, c)
    grad_c = np.ones_like(c)
    dc = lstm_cell_backward(np.zeros_like(h), grad_c, x, h, c, w_ih, w_hh, b_ih, b_hh)[2]
    np.testing.assert_array_equal(dc, grad_c)


def test_sequence_equals_a_loop_over_the_cell() -> None:
    rng = np.random.default_rng(1)
    x_seq = rng.normal(size=(6, 3, 5))
    _, h, c, *w = params(rng, 3, 5, 4)
    out, (h_T, c_T) = lstm(x_seq, h, c, *w)
    loop = []
    for x in x_seq:
        h, c = lstm_cell(x, h, c, *w)
        loop.append(h)
    # the same arithmetic, except that lstm computes x W_ih^T for all steps in one product,
    # whose summation order may differ: agreement to rounding of the pre-activations
    scale = preact_scale(np.abs(x_seq).max(0), np.ones_like(h), *w)
    assert_matches(out, np.array(loop), np.float64, scale=scale)
    assert_matches(c_T, c, np.float64, scale=scale)
    np.testing.assert_array_equal(h_T, out[-1])


def test_mixed_dtypes_promote_and_integers_become_float64() -> None:
    rng = np.random.default_rng(2)
    args = params(rng, 2, 3, 2, dtype=np.float32)
    assert all(a.dtype == np.float32 for a in lstm_cell(*args))
    args[3] = args[3].astype(np.float64)
    assert all(a.dtype == np.float64 for a in lstm_cell(*args))
    ints = [np.ones(np.shape(a), dtype=np.int64) for a in args]
    assert all(a.dtype == np.float64 for a in lstm_cell(*ints))


# ---------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", range(5))
def test_saturated_gates_stay_finite(dtype, seed) -> None:
    # weights scaled so that pre-activations reach about +-1e4 (inputs ~N(0, 1), weights ~N(0, 1e3)):
    # every gate saturates; nothing may overflow, warn (pytest turns warnings into errors) or turn NaN
    rng = np.random.default_rng(seed)
    x, h, c, w_ih, w_hh, b_ih, b_hh = params(rng, 4, 3, 5, dtype=dtype)
    w_ih, w_hh, b_ih, b_hh = (w * dtype(1e3) for w in (w_ih, w_hh, b_ih, b_hh))
    assert preact_scale(x, h, w_ih, w_hh, b_ih, b_hh) > 1e3
    args = (x, h, c, w_ih, w_hh, b_ih, b_hh)
    results = [*lstm_cell(*args), *lstm_cell_backward(np.ones_like(h), np.ones_like(c), *args)]
    out, (h_T, c_T) = lstm(np.stack([x] * 20), h, c, w_ih, w_hh, b_ih, b_hh)
    for r in [*results, out, h_T, c_T]:
        assert r.dtype == dtype and np.all(np.isfinite(r))


@pytest.mark.parametrize("dtype", DTYPES)
@given(x=arrays(np.float64, (2, 15), elements=finite))
def test_extreme_inputs_stay_finite(dtype, x: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    _, h, c, w_ih, w_hh, b_ih, b_hh = params(rng, 2, 15, 3, dtype=dtype)
    x = x.astype(dtype)
    results = [*lstm_cell(x, h * 1e4, c * 1e4, w_ih, w_hh, b_ih, b_hh),
               *lstm_cell_backward(h, c, x, h * 1e4, c * 1e4, w_ih, w_hh, b_ih, b_hh)]
    for r in results:
        assert r.dtype == dtype and np.all(np.isfinite(r))


def test_nan_in_nan_out() -> None:
    rng = np.random.default_rng(3)
    x, h, c, *w = params(rng, 2, 3, 2)
    x[0, 0] = np.nan
    h_new, c_new = lstm_cell(x, h, c, *w)
    # a NaN in sample 0 reaches every unit of sample 0 (through the weights) and nothing else
    assert np.all(np.isnan(h_new[0])) and np.all(np.isnan(c_new[0]))
    assert np.all(np.isfinite(h_new[1])) and np.all(np.isfinite(c_new[1]))
    grads = lstm_cell_backward(np.ones_like(h), np.ones_like(c), x, h, c, *w)
    assert np.isnan(grads[3]).any() and np.isnan(grads[0][0]).all()


# ---------------------------------------------------------------- bad input
def test_rejects_bad_shapes_naming_argument_and_shapes() -> None:
    rng = np.random.default_rng(4)
    x, h, c, w_ih, w_hh, b_ih, b_hh = params(rng, 2, 3, 8)
    with pytest.raises(ValueError, match=r"^w_hh must have shape \(4H, H\) = \(32, 8\) for hidden size H = 8, got \(32, 7\)$"):
        lstm_cell(x, h, c, w_ih, w_hh[:, :7], b_ih, b_hh)
    with pytest.raises(ValueError, match=r"w_ih must have shape \(4H, I\) = \(32, 3\) for hidden size H = 8 and input size I = 3, got \(3, 32\)"):
        lstm_cell(x, h, c, w_ih.T, w_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=r"b_ih must have shape \(4H,\) = \(32,\) for hidden size H = 8, got \(1, 32\)"):
        lstm_cell(x, h, c, w_ih, w_hh, b_ih[None], b_hh)
    with pytest.raises(ValueError, match=r"b_hh must have shape \(4H,\) = \(32,\) for hidden size H = 8, got \(24,\)"):
        lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh[:24])
    with pytest.raises(ValueError, match=r"x must be a 2-D array \(N, I\), got shape \(3,\)"):
        lstm_cell(x[0], h, c, w_ih, w_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=r"h must have shape \(N, H\) with N = 2 as in x of shape \(2, 3\), got \(1, 8\)"):
        lstm_cell(x, h[:1], c, w_ih, w_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=r"c must have the same shape as h: h has shape \(2, 8\), c has shape \(2, 7\)"):
        lstm_cell(x, h, c[:, :7], w_ih, w_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=r"grad_c must have shape \(N, H\) = \(2, 8\) for N = 2, H = 8 \(the shape of c_new\), got \(8,\)"):
        lstm_cell_backward(np.ones((2, 8)), np.ones(8), x, h, c, w_ih, w_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=r"x_seq must be a 3-D array \(T, N, I\), got shape \(2, 3\)"):
        lstm(x, h, c, w_ih, w_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=r"h0 must have shape \(N, H\) with N = 2 as in x_seq of shape \(5, 2, 3\), got \(1, 2, 8\)"):
        lstm(np.zeros((5, 2, 3)), h[None], c, w_ih, w_hh, b_ih, b_hh)


def test_rejects_complex_and_non_numeric() -> None:
    rng = np.random.default_rng(5)
    args = params(rng, 2, 3, 2)
    with pytest.raises(TypeError, match="w_hh must be real-valued"):
        lstm_cell(*args[:4], args[4] * 1j, *args[5:])
    with pytest.raises(TypeError, match="x must be numeric"):
        lstm_cell(np.array([["a", "b", "c"]] * 2), *args[1:])


# ---------------------------------------------------------------- PyTorch
def torch_lstm_cell(torch, args, grad_h, grad_c):
    """Outputs of torch.nn.LSTMCell with our weights copied in, and the gradients of
    sum(h' grad_h) + sum(c' grad_c) for (x, h, c, weight_ih, weight_hh, bias_ih, bias_hh)."""
    x, h, c, w_ih, w_hh, b_ih, b_hh = (torch.tensor(a) for a in args)
    cell = torch.nn.LSTMCell(x.shape[1], h.shape[1], dtype=x.dtype)
    with torch.no_grad():
        for p, value in zip((cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh), (w_ih, w_hh, b_ih, b_hh)):
            p.copy_(value)
    x.requires_grad_(True), h.requires_grad_(True), c.requires_grad_(True)
    h_new, c_new = cell(x, (h, c))
    (h_new * torch.tensor(grad_h) + c_new * torch.tensor(grad_c)).sum().backward()
    grads = [x.grad, h.grad, c.grad, cell.weight_ih.grad, cell.weight_hh.grad, cell.bias_ih.grad, cell.bias_hh.grad]
    return h_new.detach().numpy(), c_new.detach().numpy(), [g.numpy() for g in grads]


def gradient_scales(args, grad_h, grad_c, amp: float) -> list[float]:
    """What each gradient's rounding error is relative to, in the order of lstm_cell_backward.

    The pre-activation gradients da are products of the upstream gradients with gate values and
    slopes, bounded by G = (|grad_h| + |grad_c|) (1 + |c|); an error in the pre-activations
    reaches them amplified as in ``amplification``. Each gradient then sums products of da with
    a weight, an input or 1 (the biases): its error is relative to G * amp * (sum of |those|).
    """
    x, h, c, w_ih, w_hh, *_ = args
    g = (np.max(np.abs(grad_h)) + np.max(np.abs(grad_c))) * (1 + np.max(np.abs(c)))
    sums = [np.abs(w_ih).sum(0).max(), np.abs(w_hh).sum(0).max(), 1.0,
            np.abs(x).sum(0).max(), np.abs(h).sum(0).max(), len(x), len(x)]
    return [float(g * amp * m) for m in sums]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weight_scale", [0.5, 3.0, 1e3], ids=["random", "large", "saturating"])
def test_cell_matches_torch(dtype, weight_scale) -> None:
    torch = require("torch")
    rng = np.random.default_rng(6)
    x, h, c, *w = params(rng, 6, 5, 4, dtype=dtype)
    if weight_scale > 100:
        x[0, :] = EXTREMES[:5]  # and extreme inputs in one sample: S ~ 1e7, every gate saturated
    args = [x, h, c, *(a * dtype(weight_scale) for a in w)]
    grad_h, grad_c = rng.normal(size=(2, 6, 4)).astype(dtype)
    ref_h, ref_c, ref_grads = torch_lstm_cell(torch, args, grad_h, grad_c)
    weights = args[:2] + args[3:]
    amp = amplification(preact(*weights), preact_scale(*weights), dtype)
    # forward: c' = f c + i g and h' = o tanh(c') are exact to one rounding of 1 + |c|, times amp
    s = amp * (1 + np.max(np.abs(c)))
    h_new, c_new = lstm_cell(*args)
    assert_matches(h_new, ref_h, dtype, scale=s)
    assert_matches(c_new, ref_c, dtype, scale=s)
    ours = lstm_cell_backward(grad_h, grad_c, *args)
    for a, b, scale in zip(ours, ref_grads, gradient_scales(args, grad_h, grad_c, amp)):
        assert_matches(a, b, dtype, scale=scale)


def lstm_bptt(x_seq, h0, c0, w, grad_out, grad_h_T, grad_c_T):
    """Backpropagation through time by chaining lstm_cell_backward, last step first.

    Returns the gradients for (x_seq, h0, c0, w_ih, w_hh, b_ih, b_hh) and the largest |c_t|,
    |upstream dh_t| and |upstream dc_t| met on the way (for the tolerance).
    """
    hs, cs = [np.asarray(h0)], [np.asarray(c0)]
    for x in x_seq:
        h, c = lstm_cell(x, hs[-1], cs[-1], *w)
        hs.append(h), cs.append(c)
    dh, dc = grad_h_T, grad_c_T
    dx_seq, dw = np.zeros_like(x_seq), [np.zeros_like(p) for p in w]
    seen = np.zeros(3)
    for t in reversed(range(len(x_seq))):
        # the output at step t is h_t: its loss gradient joins what step t + 1 sent back
        upstream = dh + grad_out[t]
        seen = np.maximum(seen, [np.max(np.abs(cs[t])), np.max(np.abs(upstream)), np.max(np.abs(dc))])
        dx_seq[t], dh, dc, *dp = lstm_cell_backward(upstream, dc, x_seq[t], hs[t], cs[t], *w)
        dw = [a + b for a, b in zip(dw, dp)]  # the weights are shared by every step: gradients add
    return [dx_seq, dh, dc, *dw], seen


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weight_scale", [0.5, 1e3], ids=["random", "saturating"])
def test_sequence_and_bptt_match_torch_lstm(dtype, weight_scale) -> None:
    torch = require("torch")
    rng = np.random.default_rng(7)
    t_steps, n, i, hidden = 12, 3, 4, 5
    x_seq = rng.normal(size=(t_steps, n, i)).astype(dtype)
    _, h0, c0, *w = params(rng, n, i, hidden, dtype=dtype)
    w = [a * dtype(weight_scale) for a in w]
    grad_out = rng.normal(size=(t_steps, n, hidden)).astype(dtype)
    grad_h_T, grad_c_T = rng.normal(size=(2, n, hidden)).astype(dtype)

    net = torch.nn.LSTM(i, hidden, num_layers=1, dtype=torch.from_numpy(x_seq).dtype)
    with torch.no_grad():
        for name, value in zip(("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"), w):
            getattr(net, name).copy_(torch.tensor(value))
    tx, th, tc = (torch.tensor(a, requires_grad=True) for a in (x_seq, h0[None], c0[None]))
    out, (h_T, c_T) = net(tx, (th, tc))
    loss = (out * torch.tensor(grad_out)).sum() + (h_T[0] * torch.tensor(grad_h_T)).sum() \
        + (c_T[0] * torch.tensor(grad_c_T)).sum()
    loss.backward()
    ref = [tx.grad.numpy(), th.grad[0].numpy(), tc.grad[0].numpy()] + [
        getattr(net, name).grad.numpy() for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    ]
    grads, (c_max, dh_max, dc_max) = lstm_bptt(x_seq, h0, c0, w, grad_out, grad_h_T, grad_c_T)

    # one step's error is bounded as in test_cell_matches_torch, with |h| <= 1 and the largest
    # |c_t| and upstream gradients actually met; the errors of T steps add up (the states and the
    # shared weights' gradients are sums over the steps), so every bound is T times a step's
    ours_out, (ours_h, ours_c) = lstm(x_seq, h0, c0, *w)
    h_prev = np.concatenate([h0[None], ours_out[:-1]])
    bound_args = [np.abs(x_seq).max(0), np.ones_like(h0), np.full_like(c0, c_max), *w]
    amp = amplification(preact(x_seq, h_prev, *w), preact_scale(*bound_args[:2], *bound_args[3:]), dtype)
    s = t_steps * amp * (1 + c_max)
    assert_matches(ours_out, out.detach().numpy(), dtype, scale=s)
    assert_matches(ours_h, h_T[0].detach().numpy(), dtype, scale=s)
    assert_matches(ours_c, c_T[0].detach().numpy(), dtype, scale=s)
    step = gradient_scales(bound_args, np.full_like(h0, dh_max), np.full_like(c0, dc_max), amp)
    for a, b, scale in zip(grads, ref, step):
        assert_matches(a, b, dtype, scale=t_steps * scale)
