"""scaled_dot_product_attention and its backward: hand values, properties, stability, bad input, PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import scaled_dot_product_attention, scaled_dot_product_attention_backward
from tests.reference import DTYPES, EXTREMES, require, torch_forward_backward

sdpa, sdpa_backward = scaled_dot_product_attention, scaled_dot_product_attention_backward


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_values() -> None:
    # scores q k^T = (0, ln 3) -> weights (1/4, 3/4); out = 4/4 + 3 * 8/4 = 7
    q, k, v = [[1.0]], [[0.0], [math.log(3)]], [[4.0], [8.0]]
    np.testing.assert_allclose(sdpa(q, k, v, scale=1.0), [[7.0]], rtol=1e-15)
    # backward with g = 1: dv = P^T g = (1/4, 3/4); dP = g v^T = (4, 8), sum_j P_j dP_j = 7,
    # dS = P (dP - 7) = (-3/4, 3/4); dq = dS k = 3/4 ln 3; dk = dS^T q = (-3/4, 3/4)
    dq, dk, dv = sdpa_backward([[1.0]], q, k, v, scale=1.0)
    np.testing.assert_allclose(dq, [[0.75 * math.log(3)]], rtol=1e-15)
    np.testing.assert_allclose(dk, [[-0.75], [0.75]], rtol=1e-15)
    np.testing.assert_allclose(dv, [[0.25], [0.75]], rtol=1e-15)
    # the default scale is 1/sqrt(E): E = 4 halves the dot product 2 ln 3 back to ln 3
    q4, k4 = [[2.0, 0, 0, 0]], [[0.0, 0, 0, 0], [math.log(3), 0, 0, 0]]
    np.testing.assert_allclose(sdpa(q4, k4, v), [[7.0]], rtol=1e-15)


def test_causal_zero_queries_give_running_means() -> None:
    # every score is 0, so query i averages the values 0..i it may see
    v = np.array([[3.0], [5.0], [10.0]])
    out = sdpa(np.zeros((3, 2)), np.ones((3, 2)), v, is_causal=True)
    np.testing.assert_allclose(out, [[3.0], [4.0], [6.0]], rtol=1e-15)


def test_causal_mask_with_more_keys_than_queries_is_top_left_aligned() -> None:
    # L = 2, S = 4: query 0 sees key 0, query 1 sees keys 0 and 1 (as torch's tril(ones(L, S)))
    out = sdpa(np.zeros((2, 1)), np.zeros((4, 1)), [[1.0], [3.0], [100.0], [100.0]], is_causal=True)
    np.testing.assert_allclose(out, [[1.0], [2.0]], rtol=1e-15)


def test_fully_masked_rows_and_no_keys_give_zeros() -> None:
    # PyTorch returns 0 (not NaN) for a query that may attend to nothing; so do we, gradients too
    rng = np.random.default_rng(0)
    q, k, v = rng.normal(size=(3, 2)), rng.normal(size=(4, 2)), rng.normal(size=(4, 3))
    mask = np.ones((3, 4), dtype=bool)
    mask[1] = False
    out = sdpa(q, k, v, attn_mask=mask)
    np.testing.assert_array_equal(out[1], 0.0)
    assert np.all(np.isfinite(out))
    dq, dk, dv = sdpa_backward(np.ones((3, 3)), q, k, v, attn_mask=mask)
    np.testing.assert_array_equal(dq[1], 0.0)
    # the same with an additive mask of -inf
    additive = np.where(mask, 0.0, -np.inf)
    np.testing.assert_array_equal(sdpa(q, k, v, attn_mask=additive), out)
    # S = 0 keys: every row is fully masked
    np.testing.assert_array_equal(sdpa(q, np.zeros((0, 2)), np.zeros((0, 3))), np.zeros((3, 3)))


# ---------------------------------------------------------------- properties
moderate = st.floats(-10, 10)


@st.composite
def qkv(draw, elements=moderate, batch=()):
    length, source, e, ev = (draw(st.integers(1, 4)) for _ in range(4))
    shapes = [(*batch, length, e), (*batch, source, e), (*batch, source, ev)]
    return [draw(arrays(np.float64, s, elements=elements)) for s in shapes]


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(qkv(elements=st.floats(-1e4, 1e4)))
def test_outputs_are_convex_combinations_of_values(args) -> None:
    # the weights are non-negative and sum to 1: each output lies between the values' min and max
    q, k, v = args
    out = sdpa(q, k, v)
    slack = 1e-12 * np.max(np.abs(v), initial=1.0)  # rounding of the weighted sum
    assert np.all(out >= v.min(axis=0) - slack) and np.all(out <= v.max(axis=0) + slack)


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(qkv(), st.randoms(use_true_random=False))
def test_permuting_keys_with_their_values_changes_nothing(args, random) -> None:
    q, k, v = args
    perm = np.array(random.sample(range(len(k)), len(k)))
    # the same terms summed in another order: equal to rounding of sums of size <= max|v|
    np.testing.assert_allclose(sdpa(q, k[perm], v[perm]), sdpa(q, k, v), rtol=1e-12, atol=1e-12 * 10)


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(qkv(), st.data())
def test_a_constant_per_query_added_to_the_scores_changes_nothing(args, data) -> None:
    # softmax is invariant to shifting a row: an additive mask of shape (L, 1) has no effect
    q, k, v = args
    shift = data.draw(arrays(np.float64, (len(q), 1), elements=st.floats(-100, 100)))
    np.testing.assert_allclose(sdpa(q, k, v, attn_mask=shift), sdpa(q, k, v), rtol=1e-12, atol=1e-11)


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(qkv())
def test_causal_equals_the_explicit_lower_triangular_masks(args) -> None:
    q, k, v = args
    tril = np.tril(np.ones((len(q), len(k)), dtype=bool))
    causal = sdpa(q, k, v, is_causal=True)
    # the same arithmetic: scores + 0 == scores and scores + (-inf) == -inf exactly
    np.testing.assert_array_equal(causal, sdpa(q, k, v, attn_mask=tril))
    np.testing.assert_array_equal(causal, sdpa(q, k, v, attn_mask=np.where(tril, 0.0, -np.inf)))
    for a, b in zip(sdpa_backward(np.ones_like(causal), q, k, v, is_causal=True),
                    sdpa_backward(np.ones_like(causal), q, k, v, attn_mask=tril)):
        np.testing.assert_array_equal(a, b)


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(qkv(), st.data())
def test_key_gradients_sum_to_zero(args, data) -> None:
    # adding one vector c to every key shifts row i of the scores by q_i . c, which softmax ignores:
    # the gradient along that direction, sum_j dk_j, is 0 (the rows of dS sum to 0)
    q, k, v = args
    g = data.draw(arrays(np.float64, (len(q), v.shape[1]), elements=moderate))
    _, dk, _ = sdpa_backward(g, q, k, v)
    bound = 1e-12 * max(1.0, float(np.abs(q).sum() * np.abs(g).sum() * np.abs(v).max()))
    np.testing.assert_allclose(dk.sum(axis=0), 0.0, atol=bound)


def test_mixed_dtypes_promote_and_integers_become_float64() -> None:
    rng = np.random.default_rng(1)
    q, k, v = (rng.normal(size=(2, 3)).astype(np.float32) for _ in range(3))
    assert sdpa(q, k, v).dtype == np.float32
    assert sdpa(q, k.astype(np.float64), v).dtype == np.float64
    assert sdpa(np.ones((2, 3), dtype=int), np.ones((2, 3), dtype=int), [[1, 2, 3]] * 2).dtype == np.float64
    # a float64 additive mask does not promote float32 inputs (it is cast to their dtype)
    assert sdpa(q, k, v, attn_mask=np.zeros((2, 2))).dtype == np.float32


# ---------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", DTYPES)
@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(args=qkv(elements=st.floats(-1e4, 1e4), batch=(2,)))
def test_stable_up_to_1e4(dtype, args) -> None:
    # scores up to E * 1e8: the row max is subtracted before exp, so nothing overflows or warns
    q, k, v = (a.astype(dtype) for a in args)
    g = np.ones((*q.shape[:-1], v.shape[-1]), dtype=dtype)
    for kwargs in ({}, {"is_causal": True}):
        results = [sdpa(q, k, v, **kwargs), *sdpa_backward(g, q, k, v, **kwargs)]
        for r in results:
            assert r.dtype == dtype and np.all(np.isfinite(r))


def test_nan_in_nan_out() -> None:
    rng = np.random.default_rng(2)
    q, k, v = rng.normal(size=(3, 2)), rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    q[1, 0] = np.nan
    out = sdpa(q, k, v)
    # a NaN query spoils its own row and no other
    assert np.all(np.isnan(out[1])) and np.all(np.isfinite(out[[0, 2]]))
    k[0, 0] = np.nan
    assert np.all(np.isnan(sdpa(q, k, v)))
    assert np.isnan(sdpa_backward(np.ones((3, 2)), q, k, v)[2]).any()


# ---------------------------------------------------------------- bad input
def test_rejects_bad_shapes_naming_argument_and_shapes() -> None:
    q, k, v = np.zeros((2, 3, 4)), np.zeros((2, 5, 4)), np.zeros((2, 5, 6))
    with pytest.raises(ValueError, match=r"query must have shape \(\.\.\., L, E\) with at least 2 dimensions, got \(4,\)"):
        sdpa(q[0, 0], k, v)
    with pytest.raises(ValueError, match=r"query must have a non-zero embedding size E, got shape \(2, 3, 0\)"):
        sdpa(q[..., :0], k[..., :0], v)
    with pytest.raises(ValueError, match=r"key must have shape \(\.\.\., S, E\) with \.\.\. = \(2,\) and E = 4 as in query of shape \(2, 3, 4\), got \(2, 5, 3\)"):
        sdpa(q, k[..., :3], v)
    with pytest.raises(ValueError, match=r"key must have shape .* got \(1, 5, 4\)"):
        sdpa(q, k[:1], v)  # no silent broadcasting of the batch dimensions
    with pytest.raises(ValueError, match=r"value must have shape \(\.\.\., S, Ev\) with \.\.\. = \(2,\) and S = 5 as in key of shape \(2, 5, 4\), got \(2, 4, 6\)"):
        sdpa(q, k, v[:, :4])
    with pytest.raises(ValueError, match=r"attn_mask must broadcast to the scores' shape \(\.\.\., L, S\) = \(2, 3, 5\), got \(5, 3\)"):
        sdpa(q, k, v, attn_mask=np.ones((5, 3), dtype=bool))
    with pytest.raises(ValueError, match=r"attn_mask must broadcast .* got \(1, 2, 3, 5\)"):
        sdpa(q, k, v, attn_mask=np.zeros((1, 2, 3, 5)))
    with pytest.raises(ValueError, match=r"attn_mask must be None when is_causal=True"):
        sdpa(q, k, v, attn_mask=np.ones((3, 5), dtype=bool), is_causal=True)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2, 3, 6\), got shape \(2, 3, 4\)"):
        sdpa_backward(np.zeros((2, 3, 4)), q, k, v)


def test_rejects_complex_non_numeric_and_bad_hyperparameters() -> None:
    q = np.zeros((3, 2))
    with pytest.raises(TypeError, match="key must be real-valued"):
        sdpa(q, q * 1j, q)
    with pytest.raises(TypeError, match="value must be numeric"):
        sdpa(q, q, np.array([["a", "b"]] * 3))
    with pytest.raises(TypeError, match="attn_mask must be real-valued"):
        sdpa(q, q, q, attn_mask=np.zeros((3, 3), dtype=complex))
    with pytest.raises(TypeError, match="is_causal must be a bool, got int"):
        sdpa(q, q, q, is_causal=1)
    with pytest.raises(TypeError, match="scale must be a real number, got str"):
        sdpa(q, q, q, scale="0.5")
    with pytest.raises(ValueError, match="scale must be a finite number"):
        sdpa(q, q, q, scale=np.inf)


# ---------------------------------------------------------------- PyTorch
def assert_close(ours, ref, dtype, scale) -> None:
    """``assert_matches`` with a ``scale`` that may vary along the array (broadcastable to it):
    |ours - ref| <= 8 eps (|ref| + scale), NaN matching NaN, and the dtype of ``ours`` checked."""
    ours, ref = np.asarray(ours), np.asarray(ref, dtype=dtype)
    assert ours.dtype == dtype, f"expected dtype {np.dtype(dtype)}, got {ours.dtype}"
    eps, tiny = np.finfo(dtype).eps, np.finfo(dtype).tiny
    with np.errstate(invalid="ignore"):  # inf - inf in a failing comparison
        allowed = 8 * eps * (np.abs(ref.astype(np.float64)) + scale) + tiny
        err = np.abs(ours.astype(np.float64) - ref)
        ok = (err <= allowed) | (np.isnan(ours) & np.isnan(ref)) | (ours == ref)
    assert np.all(ok), f"{np.sum(~ok)} elements differ; worst error / allowed = {np.nanmax(err / allowed):.3g}"


def bounds(dtype, q, k, v, g, mask=None, is_causal=False, scale=None, abs_qkv=None) -> tuple[np.ndarray, ...]:
    """What the rounding errors of (out, dq, dk, dv) are relative to, for ``assert_close``:
    arrays of shape (..., L, 1) for out and dq, (..., 1, 1) for dk and dv.

    A score s = scale * sum_e q_e k_e (+ mask) is exact to about 8 eps S, with S its sum of
    |terms|; call that D for the row's largest S. If the row's largest weight is p, a change of
    at most D in every score moves the weights by sum_j |dP_j| <= A = (1 - p) * min(4 D e^{2D},
    2 + 2 e^{2D}) (capped at 2): 4 D (1 - p) to first order (the mean absolute deviation of the
    score errors under P), and (1 - p)(1 + e^{2D}) twice in any case, since no weight but the
    largest can grow by more than e^{2D}. A saturated row (1 - p ~ 0) is thus exact even when D
    is large, a near-tie is not. In units of 8 eps, a = A / (8 eps). Per query row i, with
    |v|_i the largest |value| it may attend to, |k|_i likewise and G_i the largest
    |dP_ij| = |g_i . v_j| (bounded by sum_e |g_ie| |v_je|):
    out_i = P_i v: |v|_i (1 + a_i); dq_i = scale dS_i k, with dS_i perturbed by 3 G_i A_i +
    2 (8 eps) G_i: |scale| |k|_i G_i (3 + 3 a_i); dk and dv add up the L rows' terms.
    ``abs_qkv``, when q, k, v are themselves computed (x W^T), gives the sums of |terms| they
    were computed from, which replace |q|, |k|, |v| in these bounds.
    """
    eps = np.finfo(dtype).eps
    scale = 1 / math.sqrt(np.shape(q)[-1]) if scale is None else scale
    q, k, v, g = (np.asarray(a, dtype=np.float64) for a in (q, k, v, g))
    aq, ak, av = (np.abs(a) for a in (q, k, v)) if abs_qkv is None else abs_qkv
    terms = abs(scale) * (aq @ np.swapaxes(ak, -1, -2))
    scores = scale * (q @ np.swapaxes(k, -1, -2))
    allowed = np.ones(scores.shape, dtype=bool)
    if is_causal:
        allowed = np.broadcast_to(np.tril(np.ones(scores.shape[-2:], dtype=bool)), scores.shape)
    elif mask is not None and np.asarray(mask).dtype == np.bool_:
        allowed = np.broadcast_to(mask, scores.shape)
    elif mask is not None:
        m = np.broadcast_to(np.asarray(mask, dtype=np.float64), scores.shape)
        allowed = np.isfinite(m)
        terms = terms + np.where(allowed, np.abs(m), 0.0)
        scores = scores + np.where(allowed, m, 0.0)
    terms = np.where(allowed, terms, 0.0)
    scores = np.where(allowed, scores, -np.inf)
    d = 8 * eps * np.max(terms, axis=-1, keepdims=True)  # (..., L, 1): the largest score error in each row
    # log(1 - p) <= logsumexp over the other allowed keys of (s_j - s_max), without underflow
    top = np.argmax(scores, axis=-1)[..., None]
    s_max = np.take_along_axis(scores, top, axis=-1)
    others = scores - np.where(np.isneginf(s_max), 0.0, s_max)
    np.put_along_axis(others, top, -np.inf, axis=-1)
    with np.errstate(divide="ignore"):  # log(0) = -inf: a row with one key (or none) is exact
        m = np.max(others, axis=-1, initial=-np.inf, keepdims=True)
        safe = np.where(np.isneginf(m), 0.0, m)
        log_1mp = safe + np.log(np.sum(np.exp(others - safe), axis=-1, keepdims=True))
        log_a = log_1mp + np.minimum(np.log(4 * d) + 2 * d, np.log(2) + np.logaddexp(0, 2 * d))
    a = np.exp(np.minimum(log_a, np.log(2))) / (8 * eps)  # (..., L, 1)
    # per query row: the largest |value|, |key| and |dP_ij| over the keys it may attend to
    row_v = np.max(np.where(allowed, np.max(np.swapaxes(av, -1, -2), axis=-2, keepdims=True), 0.0), axis=-1, keepdims=True)
    row_k = np.max(np.where(allowed, np.max(np.swapaxes(ak, -1, -2), axis=-2, keepdims=True), 0.0), axis=-1, keepdims=True)
    row_g = np.max(np.where(allowed, np.abs(g) @ np.swapaxes(av, -1, -2), 0.0), axis=-1, keepdims=True)
    row_q, g_max = np.max(aq, axis=-1, keepdims=True), np.max(np.abs(g), axis=-1, keepdims=True)
    return (
        row_v * (1 + a),
        abs(scale) * row_k * row_g * (3 + 3 * a),
        np.sum(abs(scale) * row_q * row_g * (3 + 3 * a), axis=-2, keepdims=True),
        np.sum(g_max * (1 + a), axis=-2, keepdims=True),
    )


def masks(kind: str, rng: np.random.Generator, length: int, source: int):
    """(attn_mask, is_causal) for each kind of mask the reference tests use."""
    if kind == "none":
        return None, False
    if kind == "causal":
        return None, True
    if kind == "bool":
        mask = rng.random((length, source)) > 0.4
        mask[1] = False  # one query that may attend to nothing
        return mask, False
    mask = rng.normal(size=(length, source)) * 3
    mask[rng.random((length, source)) < 0.3] = -np.inf
    mask[2] = -np.inf
    return mask, False


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["none", "causal", "bool", "float"])
@pytest.mark.parametrize("magnitude", ["random", "extreme"])
def test_matches_torch_forward_and_autograd(dtype, kind, magnitude) -> None:
    torch = require("torch")
    rng = np.random.default_rng(3)
    n, heads, length, source, e, ev = 2, 3, 6, 7, 5, 4
    q = rng.normal(size=(n, heads, length, e))
    k = rng.normal(size=(n, heads, source, e))
    v = rng.normal(size=(n, heads, source, ev))
    if magnitude == "extreme":
        # scores of order 1e4 everywhere, and up to 1e8 where the inputs reach +-1e4
        q, k = q * 100, k * 100
        q[0, 0, 0], k[1, 2, 3], v[0, 1, 2] = EXTREMES[:5], EXTREMES[-5:], EXTREMES[3:7]
    q, k, v = (a.astype(dtype) for a in (q, k, v))
    g = rng.normal(size=(n, heads, length, ev)).astype(dtype)
    mask, is_causal = masks(kind, rng, length, source)
    if mask is not None and mask.dtype != np.bool_:
        mask = mask.astype(dtype)
    tmask = None if mask is None else torch.tensor(mask)

    def reference(tq, tk, tv):
        return torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=tmask, is_causal=is_causal)

    ref_out, ref_grads = torch_forward_backward(reference, [q, k, v], g, wrt=[0, 1, 2])
    # each comparison is relative to the error bound derived in `bounds` (see its docstring), row by row
    scales = bounds(dtype, q, k, v, g, mask, is_causal)
    assert_close(sdpa(q, k, v, attn_mask=mask, is_causal=is_causal), ref_out, dtype, scale=scales[0])
    ours = sdpa_backward(g, q, k, v, attn_mask=mask, is_causal=is_causal)
    for a, b, s in zip(ours, ref_grads, scales[1:]):
        assert_close(a, b, dtype, scale=s)


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch_with_explicit_scale_and_broadcast_mask(dtype) -> None:
    torch = require("torch")
    rng = np.random.default_rng(4)
    q, k, v = (rng.normal(size=(3, 4, 5, 2)).astype(dtype) for _ in range(3))
    mask = rng.random((3, 1, 5, 5)) > 0.3  # one mask per sample, shared by the heads
    g = rng.normal(size=q.shape).astype(dtype)

    def reference(tq, tk, tv):
        return torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=torch.tensor(mask), scale=0.3)

    ref_out, ref_grads = torch_forward_backward(reference, [q, k, v], g, wrt=[0, 1, 2])
    scales = bounds(dtype, q, k, v, g, mask, False, 0.3)
    assert_close(sdpa(q, k, v, attn_mask=mask, scale=0.3), ref_out, dtype, scale=scales[0])
    for a, b, s in zip(sdpa_backward(g, q, k, v, attn_mask=mask, scale=0.3), ref_grads, scales[1:]):
        assert_close(a, b, dtype, scale=s)
