"""causal_mask, self_attention and its backward: hand values, properties, stability, bad input, PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import causal_mask, scaled_dot_product_attention, self_attention, self_attention_backward
from tests.attention.test_attention import assert_close, bounds
from tests.reference import DTYPES, EXTREMES, require, torch_forward_backward


def params(rng, batch=(2,), length=5, d=4, e=3, ev=2, dtype=np.float64):
    """x (..., L, D), w_q (E, D), w_k (E, D), w_v (Ev, D), normal with std 1."""
    shapes = [(*batch, length, d), (e, d), (e, d), (ev, d)]
    return [rng.normal(size=s).astype(dtype) for s in shapes]


# ---------------------------------------------------------------- hand-checked values
def test_causal_mask_values() -> None:
    np.testing.assert_array_equal(causal_mask(2), [[True, False], [True, True]])
    assert causal_mask(0).shape == (0, 0) and causal_mask(0).dtype == bool
    # j <= i everywhere
    i, j = np.indices((6, 6))
    np.testing.assert_array_equal(causal_mask(6), j <= i)


def test_hand_checked_values() -> None:
    # x = (1, 3), w_q = 0 so every score is 0 and P = [[1/2, 1/2]] * 2; w_k = 1, w_v = 2: v = (2, 6)
    x, w_q, w_k, w_v = [[1.0], [3.0]], [[0.0]], [[1.0]], [[2.0]]
    np.testing.assert_allclose(self_attention(x, w_q, w_k, w_v), [[4.0], [4.0]], rtol=1e-15)
    np.testing.assert_allclose(self_attention(x, w_q, w_k, w_v, is_causal=True), [[2.0], [4.0]], rtol=1e-15)
    # g = 1: dv = P^T g = (1, 1), so dx (through v only: q = 0 and dk = dS^T q = 0) = dv w_v = (2, 2),
    # dw_v = dv^T x = 1 + 3 = 4. dP = g v^T = (2, 6) in each row, rowsum(P dP) = 4, dS = (-1, 1);
    # k = (1, 3), scale 1/sqrt(1): dq = dS k = 2 in each row, dw_q = dq^T x = 2 + 6 = 8; dw_k = 0
    dx, dw_q, dw_k, dw_v = self_attention_backward(np.ones((2, 1)), x, w_q, w_k, w_v)
    np.testing.assert_allclose(dx, [[2.0], [2.0]], rtol=1e-15)
    np.testing.assert_allclose(dw_q, [[8.0]], rtol=1e-15)
    np.testing.assert_array_equal(dw_k, [[0.0]])
    np.testing.assert_allclose(dw_v, [[4.0]], rtol=1e-15)


def test_is_sdpa_of_the_three_projections() -> None:
    rng = np.random.default_rng(0)
    x, w_q, w_k, w_v = params(rng)
    mask = rng.random((5, 5)) > 0.3
    expected = scaled_dot_product_attention(x @ w_q.T, x @ w_k.T, x @ w_v.T, attn_mask=mask)
    np.testing.assert_array_equal(self_attention(x, w_q, w_k, w_v, attn_mask=mask), expected)


# ---------------------------------------------------------------- properties
@st.composite
def sequences(draw, elements=st.floats(-10, 10)):
    length, d, e, ev = (draw(st.integers(1, 4)) for _ in range(4))
    shapes = [(length, d), (e, d), (e, d), (ev, d)]
    return [draw(arrays(np.float64, s, elements=elements)) for s in shapes]


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(sequences(), st.data())
def test_causal_outputs_do_not_see_the_future(args, data) -> None:
    # with the causal mask, token t's output depends on tokens 0..t only: changing the later
    # tokens leaves the earlier outputs bit for bit the same
    x, w_q, w_k, w_v = args
    t = data.draw(st.integers(0, len(x) - 1))
    changed = x.copy()
    changed[t + 1:] = data.draw(arrays(np.float64, changed[t + 1:].shape, elements=st.floats(-10, 10)))
    before = self_attention(x, w_q, w_k, w_v, is_causal=True)
    after = self_attention(changed, w_q, w_k, w_v, is_causal=True)
    np.testing.assert_array_equal(before[: t + 1], after[: t + 1])
    # and the gradient that reaches the later tokens from the earlier outputs is exactly 0
    g = np.zeros_like(before)
    g[: t + 1] = 1.0
    dx = self_attention_backward(g, x, w_q, w_k, w_v, is_causal=True)[0]
    np.testing.assert_array_equal(dx[t + 1:], 0.0)


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(sequences(), st.randoms(use_true_random=False))
def test_without_a_mask_permuting_tokens_permutes_outputs(args, random) -> None:
    # self-attention alone has no notion of order (hence positional encodings)
    x, w_q, w_k, w_v = args
    perm = np.array(random.sample(range(len(x)), len(x)))
    out = self_attention(x, w_q, w_k, w_v)
    slack = 1e-12 * max(1.0, float(np.abs(x).max() * np.abs(w_v).sum(axis=1).max()))
    np.testing.assert_allclose(self_attention(x[perm], w_q, w_k, w_v), out[perm], rtol=1e-12, atol=slack)


def test_mixed_dtypes_promote_and_integers_become_float64() -> None:
    rng = np.random.default_rng(1)
    x, w_q, w_k, w_v = params(rng, dtype=np.float32)
    assert self_attention(x, w_q, w_k, w_v).dtype == np.float32
    assert all(g.dtype == np.float32 for g in self_attention_backward(np.ones((2, 5, 2)), x, w_q, w_k, w_v))
    assert self_attention(x, w_q.astype(np.float64), w_k, w_v).dtype == np.float64
    ints = [np.ones(a.shape, dtype=np.int64) for a in (x, w_q, w_k, w_v)]
    assert self_attention(*ints).dtype == np.float64


# ---------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", DTYPES)
@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(x=arrays(np.float64, (2, 4, 3), elements=st.floats(-1e4, 1e4)))
def test_stable_up_to_1e4(dtype, x) -> None:
    # tokens up to 1e4 and unit weights: scores up to ~1e8 * D; nothing may overflow or warn
    rng = np.random.default_rng(2)
    _, w_q, w_k, w_v = params(rng, d=3, dtype=dtype)
    x = x.astype(dtype)
    for is_causal in (False, True):
        results = [self_attention(x, w_q, w_k, w_v, is_causal=is_causal),
                   *self_attention_backward(np.ones((2, 4, 2), dtype=dtype), x, w_q, w_k, w_v, is_causal=is_causal)]
        for r in results:
            assert r.dtype == dtype and np.all(np.isfinite(r))


def test_nan_in_nan_out() -> None:
    rng = np.random.default_rng(3)
    x, w_q, w_k, w_v = params(rng)
    x[0, 2, 0] = np.nan
    out = self_attention(x, w_q, w_k, w_v, is_causal=True)
    # a NaN token reaches every output of its sequence, even the earlier ones that the causal mask
    # hides it from: their weight on it is 0, and 0 * NaN = NaN in P v (PyTorch does the same);
    # the other sequence of the batch is untouched
    assert np.all(np.isnan(out[0]))
    assert np.all(np.isfinite(out[1]))
    torch = require("torch")
    ref = torch.nn.functional.scaled_dot_product_attention(
        *(torch.tensor(x) @ torch.tensor(w).T for w in (w_q, w_k, w_v)), is_causal=True)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(ref.numpy()))
    assert np.isnan(self_attention_backward(np.ones((2, 5, 2)), x, w_q, w_k, w_v)[1]).all()


# ---------------------------------------------------------------- bad input
def test_rejects_bad_shapes_and_types() -> None:
    rng = np.random.default_rng(4)
    x, w_q, w_k, w_v = params(rng)
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., L, D\) with at least 2 dimensions, got \(4,\)"):
        self_attention(x[0, 0], w_q, w_k, w_v)
    with pytest.raises(ValueError, match=r"w_q must have shape \(E, D\) = \(3, 4\) for input size D = 4, got \(3, 5\)"):
        self_attention(x, np.zeros((3, 5)), w_k, w_v)
    with pytest.raises(ValueError, match=r"w_q must be a 2-D array \(E, D\), got shape \(4,\)"):
        self_attention(x, w_q[0], w_k, w_v)
    with pytest.raises(ValueError, match=r"w_k must have shape \(E, D\) = \(3, 4\) for E = 3 \(from w_q\) and D = 4, got \(2, 4\)"):
        self_attention(x, w_q, w_k[:2], w_v)
    with pytest.raises(ValueError, match=r"w_v must have shape \(Ev, D\) = \(2, 4\) for input size D = 4, got \(2, 3\)"):
        self_attention(x, w_q, w_k, w_v[:, :3])
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2, 5, 2\), got shape \(2, 5, 3\)"):
        self_attention_backward(np.ones((2, 5, 3)), x, w_q, w_k, w_v)
    with pytest.raises(TypeError, match="w_v must be real-valued"):
        self_attention(x, w_q, w_k, w_v * 1j)
    with pytest.raises(TypeError, match="L must be an integer, got float"):
        causal_mask(3.0)
    with pytest.raises(TypeError, match="L must be an integer, got bool"):
        causal_mask(True)
    with pytest.raises(ValueError, match="L must be a non-negative sequence length, got -1"):
        causal_mask(-1)


# ---------------------------------------------------------------- PyTorch
def test_causal_mask_matches_torch() -> None:
    torch = require("torch")
    for n in (0, 1, 7):
        np.testing.assert_array_equal(causal_mask(n), torch.ones(n, n, dtype=torch.bool).tril().numpy())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("is_causal", [False, True], ids=["bidirectional", "causal"])
@pytest.mark.parametrize("magnitude", ["random", "extreme"])
def test_matches_torch_autograd(dtype, is_causal, magnitude) -> None:
    torch = require("torch")
    rng = np.random.default_rng(5)
    x, w_q, w_k, w_v = params(rng, batch=(3,), length=6, d=5, e=4, ev=3)
    if magnitude == "extreme":
        x[0, 1], x[2, 4] = EXTREMES[:5], EXTREMES[-5:]  # tokens up to +-1e4: saturated rows
    x, w_q, w_k, w_v = (a.astype(dtype) for a in (x, w_q, w_k, w_v))
    g = rng.normal(size=(3, 6, 3)).astype(dtype)

    def reference(tx, tq, tk, tv):
        return torch.nn.functional.scaled_dot_product_attention(tx @ tq.T, tx @ tk.T, tx @ tv.T, is_causal=is_causal)

    ref_out, ref_grads = torch_forward_backward(reference, [x, w_q, w_k, w_v], g, wrt=[0, 1, 2, 3])
    # the bounds of test_attention, with q, k, v exact only to the rounding of x W^T: their sums of
    # |terms| |x| |W|^T replace |q|, |k|, |v|
    x64, wq64, wk64, wv64 = (np.asarray(a, dtype=np.float64) for a in (x, w_q, w_k, w_v))
    absolute = [np.abs(x64) @ np.abs(w).T for w in (wq64, wk64, wv64)]
    s_out, s_dq, s_dk, s_dv = bounds(
        dtype, x64 @ wq64.T, x64 @ wk64.T, x64 @ wv64.T, g, is_causal=is_causal, abs_qkv=absolute
    )
    assert_close(self_attention(x, w_q, w_k, w_v, is_causal=is_causal), ref_out, dtype, scale=s_out)
    # dx = dq W_q + dk W_k + dv W_v: each error times a column sum of |W|; dW_q = sum over the
    # tokens of dq^T x: the rows' errors add up, times max|x| (likewise dW_k, dW_v over the keys)
    col = [float(np.abs(w).sum(axis=0).max()) for w in (wq64, wk64, wv64)]
    xmax, length = float(np.abs(x64).max()), x.shape[1]
    scales = [s_dq * col[0] + s_dk * col[1] + s_dv * col[2],
              np.sum(s_dq) * xmax, length * np.sum(s_dk) * xmax, length * np.sum(s_dv) * xmax]
    ours = self_attention_backward(g, x, w_q, w_k, w_v, is_causal=is_causal)
    for a, b, s in zip(ours, ref_grads, scales):
        assert_close(a, b, dtype, scale=s)
