"""gru_cell / gru_cell_backward: hand values, properties, stability, bad input, PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import gru_cell, gru_cell_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require

finite = st.floats(-1e4, 1e4, allow_nan=False)


def params(rng: np.random.Generator, n: int, i: int, h: int, scale: float = 1.0, dtype=np.float64):
    """x (N, I), h (N, H) and the four weight arrays, normal with std ``scale``."""
    shapes = [(n, i), (n, h), (3 * h, i), (3 * h, h), (3 * h,), (3 * h,)]
    return [(rng.normal(size=s) * scale).astype(dtype) for s in shapes]


def preact_scale(x, h, w_ih, w_hh, b_ih, b_hh) -> float:
    """S: the largest sum of |terms| in a pre-activation (x W_ih^T + b_ih + h W_hh^T + b_hh bounds
    those of r, z and n alike); rounding makes each exact only to about eps * S."""
    terms = np.abs(x) @ np.abs(w_ih).T + np.abs(b_ih) + np.abs(h) @ np.abs(w_hh).T + np.abs(b_hh)
    return float(np.max(terms, initial=1.0))


def preact(x, h, w_ih, w_hh, b_ih, b_hh) -> np.ndarray:
    """The pre-activations of r, z and n, in float64, to locate the gates on their curves."""
    x, h, w_ih, w_hh, b_ih, b_hh = (np.asarray(a, dtype=np.float64) for a in (x, h, w_ih, w_hh, b_ih, b_hh))
    x_r, x_z, x_n = np.split(x @ w_ih.T + b_ih, 3, axis=-1)
    h_r, h_z, h_n = np.split(h @ w_hh.T + b_hh, 3, axis=-1)
    r = 1 / (1 + np.exp(-np.clip(x_r + h_r, -700, 700)))
    return np.concatenate([x_r + h_r, x_z + h_z, x_n + r * h_n], axis=-1)


def amplification(pre_activations: np.ndarray, s: float, dtype) -> float:
    """1 + S * D, with D = 8 sigma'(max(min |a| - r, 0)) and r = 8 eps S: an error of up to r in a
    pre-activation moves a gate (or a gate's derivative) by at most r times D, which bounds the
    slope and curvature of sigma and tanh on [a - r, a + r] (tanh'(a) = 4 sigma'(2a) <= 4 sigma'(a),
    |sigma''| <= sigma', |tanh''| <= 2 tanh'). D is about 2 for gates in their linear range and
    underflows to 0 for saturated ones, whose outputs are exact."""
    r = 8 * np.finfo(dtype).eps * s
    xi = max(float(np.min(np.abs(pre_activations))) - r, 0.0)
    return 1 + s * 8 * (1 / (1 + math.exp(-xi))) * (1 / (1 + math.exp(xi)))


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_values() -> None:
    # one unit, weights 0: a_r = ln 3 -> r = 3/4, a_z = -ln 3 -> z = 1/4; b_hn = 0.4 and
    # b_in = artanh(1/2) - r b_hn, so n = tanh(b_in + r b_hn) = 1/2
    b_hh = np.array([0.0, 0.0, 0.4])
    b_ih = np.array([math.log(3), -math.log(3), math.atanh(0.5) - 0.75 * 0.4])
    w_ih, w_hh = np.zeros((3, 2)), np.zeros((3, 1))
    x, h = np.array([[5.0, -7.0]]), np.array([[2.0]])
    # h' = (1 - z) n + z h = 3/4 * 1/2 + 1/4 * 2 = 7/8
    np.testing.assert_allclose(gru_cell(x, h, w_ih, w_hh, b_ih, b_hh), [[0.875]], rtol=1e-15)
    dx, dh, dw_ih, dw_hh, db_ih, db_hh = gru_cell_backward([[1.0]], x, h, w_ih, w_hh, b_ih, b_hh)
    # n's pre-activation: (1 - z)(1 - n^2) = 3/4 * 3/4 = 9/16; z's: (h - n) z (1 - z) = 3/2 * 3/16;
    # r's: 9/16 * b_hn * r (1 - r) = 9/16 * 0.4 * 3/16; the hidden side sees n's through r: * 3/4
    da_x = np.array([9 / 16 * 0.4 * 3 / 16, 9 / 32, 9 / 16])
    da_h = da_x * [1.0, 1.0, 0.75]
    np.testing.assert_allclose(db_ih, da_x, rtol=1e-14)
    np.testing.assert_allclose(db_hh, da_h, rtol=1e-14)
    np.testing.assert_allclose(dw_ih, np.outer(da_x, [5.0, -7.0]), rtol=1e-14)
    np.testing.assert_allclose(dw_hh, np.outer(da_h, [2.0]), rtol=1e-14)
    # h reaches h' only directly (its weights are 0): dh = z = 1/4; x only through zero weights
    np.testing.assert_allclose(dh, [[0.25]], rtol=1e-15)
    np.testing.assert_array_equal(dx, [[0.0, 0.0]])


# ---------------------------------------------------------------- properties
@st.composite
def cell_inputs(draw, elements=finite):
    n, i, h = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    shapes = [(n, i), (n, h), (3 * h, i), (3 * h, h), (3 * h,), (3 * h,)]
    return [draw(arrays(np.float64, s, elements=elements)) for s in shapes]


@given(cell_inputs())
def test_new_state_lies_between_candidate_and_old_state(args) -> None:
    # h' = (1 - z) n + z h with z in [0, 1] and |n| <= 1: between n and h, so |h'| <= max(|h|, 1)
    h = args[1]
    h_new = gru_cell(*args)
    assert np.all(np.abs(h_new) <= np.maximum(np.abs(h), 1) * (1 + 1e-15))


@given(cell_inputs(elements=st.floats(-3, 3)))
def test_only_the_new_gate_bias_is_not_interchangeable(args) -> None:
    x, h, w_ih, w_hh, b_ih, b_hh = args
    hidden = h.shape[1]
    # moving the reset and update parts of b_hh into b_ih changes nothing but rounding
    moved = b_hh.copy()
    moved[: 2 * hidden] = 0
    shifted = b_ih.copy()
    shifted[: 2 * hidden] += b_hh[: 2 * hidden]
    np.testing.assert_allclose(gru_cell(x, h, w_ih, w_hh, shifted, moved), gru_cell(*args), rtol=1e-13, atol=1e-13)


def test_moving_the_new_gate_bias_changes_the_result() -> None:
    # b_hn is multiplied by r, b_in is not: with r = 1/2 moving b_hn = 1 into b_in changes n
    w_ih, w_hh = np.zeros((3, 1)), np.zeros((3, 1))
    x, h = [[0.0]], [[0.0]]
    inside = gru_cell(x, h, w_ih, w_hh, np.zeros(3), np.array([0.0, 0.0, 1.0]))  # n = tanh(r * 1)
    outside = gru_cell(x, h, w_ih, w_hh, np.array([0.0, 0.0, 1.0]), np.zeros(3))  # n = tanh(1)
    # h = 0 and z = 1/2: h' = n / 2
    np.testing.assert_allclose(inside, [[math.tanh(0.5) / 2]], rtol=1e-15)
    np.testing.assert_allclose(outside, [[math.tanh(1.0) / 2]], rtol=1e-15)


@given(cell_inputs(elements=st.floats(-3, 3)))
def test_saturated_update_gate_copies_state_and_gradient(args) -> None:
    # z = 1 exactly (update gate bias +1e4): h' = h bit for bit, and dh = grad_h exactly:
    # the GRU's uninterrupted path, its counterpart of the LSTM's cell state
    x, h, w_ih, w_hh, b_ih, b_hh = args
    hidden = h.shape[1]
    b_ih = b_ih.copy()
    b_ih[hidden : 2 * hidden] = 1e4
    np.testing.assert_array_equal(gru_cell(x, h, w_ih, w_hh, b_ih, b_hh), h)
    grad = np.ones_like(h)
    np.testing.assert_array_equal(gru_cell_backward(grad, x, h, w_ih, w_hh, b_ih, b_hh)[1], grad)


def test_mixed_dtypes_promote_and_integers_become_float64() -> None:
    rng = np.random.default_rng(2)
    args = params(rng, 2, 3, 2, dtype=np.float32)
    assert gru_cell(*args).dtype == np.float32
    args[0] = args[0].astype(np.float64)
    assert gru_cell(*args).dtype == np.float64
    assert gru_cell(*[np.ones(np.shape(a), dtype=np.int64) for a in args]).dtype == np.float64


# ---------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", range(5))
def test_saturated_gates_stay_finite(dtype, seed) -> None:
    # weights ~N(0, 1e3): pre-activations of about +-1e4, every gate saturated; no overflow,
    # no warning (pytest turns warnings into errors), nothing infinite or NaN
    rng = np.random.default_rng(seed)
    x, h, *w = params(rng, 4, 3, 5, dtype=dtype)
    w = [a * dtype(1e3) for a in w]
    assert preact_scale(x, h, *w) > 1e3
    results = [gru_cell(x, h, *w), *gru_cell_backward(np.ones_like(h), x, h, *w)]
    for r in results:
        assert r.dtype == dtype and np.all(np.isfinite(r))


@pytest.mark.parametrize("dtype", DTYPES)
@given(x=arrays(np.float64, (2, 15), elements=finite))
def test_extreme_inputs_stay_finite(dtype, x: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    _, h, *w = params(rng, 2, 15, 3, dtype=dtype)
    x = x.astype(dtype)
    for r in [gru_cell(x, h * 1e4, *w), *gru_cell_backward(h, x, h * 1e4, *w)]:
        assert r.dtype == dtype and np.all(np.isfinite(r))


def test_nan_in_nan_out() -> None:
    rng = np.random.default_rng(3)
    x, h, *w = params(rng, 2, 3, 2)
    x[0, 0] = np.nan
    h_new = gru_cell(x, h, *w)
    assert np.all(np.isnan(h_new[0])) and np.all(np.isfinite(h_new[1]))
    grads = gru_cell_backward(np.ones_like(h), x, h, *w)
    assert np.isnan(grads[2]).any() and np.isnan(grads[0][0]).all()


# ---------------------------------------------------------------- bad input
def test_rejects_bad_shapes_naming_argument_and_shapes() -> None:
    rng = np.random.default_rng(4)
    x, h, w_ih, w_hh, b_ih, b_hh = params(rng, 2, 3, 8)
    with pytest.raises(ValueError, match=r"^w_hh must have shape \(3H, H\) = \(24, 8\) for hidden size H = 8, got \(32, 8\)$"):
        gru_cell(x, h, w_ih, np.zeros((32, 8)), b_ih, b_hh)
    with pytest.raises(ValueError, match=r"w_ih must have shape \(3H, I\) = \(24, 3\) for hidden size H = 8 and input size I = 3, got \(24, 4\)"):
        gru_cell(x, h, np.zeros((24, 4)), w_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=r"b_ih must have shape \(3H,\) = \(24,\) for hidden size H = 8, got \(32,\)"):
        gru_cell(x, h, w_ih, w_hh, np.zeros(32), b_hh)
    with pytest.raises(ValueError, match=r"b_hh must have shape \(3H,\) = \(24,\) for hidden size H = 8, got \(\)"):
        gru_cell(x, h, w_ih, w_hh, b_ih, 0.0)
    with pytest.raises(ValueError, match=r"x must be a 2-D array \(N, I\), got shape \(1, 2, 3\)"):
        gru_cell(x[None], h, w_ih, w_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=r"h must have shape \(N, H\) with N = 2 as in x of shape \(2, 3\), got \(8,\)"):
        gru_cell(x, h[0], w_ih, w_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=r"grad_h must have shape \(N, H\) = \(2, 8\) for N = 2, H = 8 \(the shape of h_new\), got \(2, 3\)"):
        gru_cell_backward(np.ones((2, 3)), x, h, w_ih, w_hh, b_ih, b_hh)


def test_rejects_complex_and_non_numeric() -> None:
    rng = np.random.default_rng(5)
    args = params(rng, 2, 3, 2)
    with pytest.raises(TypeError, match="b_ih must be real-valued"):
        gru_cell(*args[:4], args[4] * 1j, args[5])
    with pytest.raises(TypeError, match="h must be numeric"):
        gru_cell(args[0], np.array([["a", "b"]] * 2), *args[2:])


# ---------------------------------------------------------------- PyTorch
def torch_gru_cell(torch, args, grad_h):
    """torch.nn.GRUCell with our weights copied in: h' and the gradients of sum(h' grad_h)
    for (x, h, weight_ih, weight_hh, bias_ih, bias_hh)."""
    x, h, w_ih, w_hh, b_ih, b_hh = (torch.tensor(a) for a in args)
    cell = torch.nn.GRUCell(x.shape[1], h.shape[1], dtype=x.dtype)
    with torch.no_grad():
        for p, value in zip((cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh), (w_ih, w_hh, b_ih, b_hh)):
            p.copy_(value)
    x.requires_grad_(True), h.requires_grad_(True)
    h_new = cell(x, h)
    (h_new * torch.tensor(grad_h)).sum().backward()
    grads = [x.grad, h.grad, cell.weight_ih.grad, cell.weight_hh.grad, cell.bias_ih.grad, cell.bias_hh.grad]
    return h_new.detach().numpy(), [g.numpy() for g in grads]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weight_scale", [0.5, 3.0, 1e3], ids=["random", "large", "saturating"])
def test_cell_matches_torch(dtype, weight_scale) -> None:
    torch = require("torch")
    rng = np.random.default_rng(6)
    x, h, *w = params(rng, 6, 5, 4, dtype=dtype)
    if weight_scale > 100:
        x[0, :] = EXTREMES[:5]  # and extreme inputs in one sample: S ~ 1e7, every gate saturated
    args = [x, h, *(a * dtype(weight_scale) for a in w)]
    grad_h = rng.normal(size=(6, 4)).astype(dtype)
    ref_h, ref_grads = torch_gru_cell(torch, args, grad_h)
    s = preact_scale(*args)
    amp = amplification(preact(*args), s, dtype)
    d = (amp - 1) / s  # the slope bound D
    # forward: h' = (1 - z) n + z h is exact to a rounding of 1 + |h|, times amp for the errors
    # that reach z and n. PyTorch writes h' = n + z (h - n), which rounds differently by
    # eps * (|n| + |h|): inside the same bound
    h_max = float(np.max(np.abs(h)))
    assert_matches(gru_cell(*args), ref_h, dtype, scale=amp * (1 + h_max))
    # backward: the pre-activation gradients are products of grad_h with gate values and slopes
    # (<= D), bounded by G = |grad_h| (1 + |h| + S D) (the reset gate's carries h_n, up to S);
    # errors reach them amplified by amp. Each gradient sums products of them with a weight, an
    # input or 1 (the biases), plus the direct path grad_h z for dh
    g = float(np.max(np.abs(grad_h))) * (1 + h_max + s * d)
    x_, h_, w_ih, w_hh = args[:4]
    sums = [np.abs(w_ih).sum(0).max(), np.abs(w_hh).sum(0).max() + 1, np.abs(x_).sum(0).max(),
            np.abs(h_).sum(0).max(), len(x_), len(x_)]
    for ours, ref, m in zip(gru_cell_backward(grad_h, *args), ref_grads, sums):
        assert_matches(ours, ref, dtype, scale=g * amp * float(m))
