"""Gradient-check cases for snippets.attention (collected by tests/cases.py).

Small on purpose (the checker evaluates the function twice per input element), with a batch of
two and L != S so that a transposed axis cannot pass unnoticed.
"""

import numpy as np

from tests.gradcheck import Case


def _qkv(r, batch=(2,), length=3, source=4, e=3, ev=2) -> tuple:
    """query (..., L, E), key (..., S, E), value (..., S, Ev), normal with std 1."""
    return tuple(r.normal(size=(*batch, n, d)) for n, d in ((length, e), (source, e), (source, ev)))


# a boolean mask with one fully masked query row (its output and gradients are 0)
_BOOL_MASK = np.array([[True, False, True, True], [False, False, False, False], [True, True, False, True]])

# masks are passed positionally (kwargs must stay JSON-serialisable for tests/test_standalone.py)
_FLOAT_MASK = np.array([[0.0, -1.0, 2.0, -np.inf]] * 3)

CASES = [
    Case("scaled_dot_product_attention", _qkv, wrt=(0, 1, 2)),
    Case("scaled_dot_product_attention", lambda r: _qkv(r, length=4), wrt=(0, 1, 2),
         kwargs={"is_causal": True}, label="causal"),
    Case("scaled_dot_product_attention", lambda r: (*_qkv(r), _BOOL_MASK), wrt=(0, 1, 2),
         kwargs={"scale": 0.7}, label="bool-mask"),
    Case("scaled_dot_product_attention", lambda r: (*_qkv(r), _FLOAT_MASK), wrt=(0, 1, 2),
         label="float-mask"),
]


def _self_attention(r, batch=(2,), length=4, d=3, e=2, ev=3) -> tuple:
    """x (..., L, D), w_q (E, D), w_k (E, D), w_v (Ev, D); weights of scale 0.8."""
    shapes = [(*batch, length, d), (e, d), (e, d), (ev, d)]
    return tuple(r.normal(size=s) * (1.0 if i == 0 else 0.8) for i, s in enumerate(shapes))


CASES += [
    Case("self_attention", _self_attention, wrt=(0, 1, 2, 3)),
    Case("self_attention", _self_attention, wrt=(0, 1, 2, 3), kwargs={"is_causal": True}, label="causal"),
]


def _gqa(r, b=2, hkv=2, group=2, length=3, source=4, e=3, ev=2) -> tuple:
    """q (B, Hq, L, E), k (B, Hkv, S, E), v (B, Hkv, S, Ev) with Hq = G * Hkv; normal, std 1."""
    shapes = [(b, hkv * group, length, e), (b, hkv, source, e), (b, hkv, source, ev)]
    return tuple(r.normal(size=s) for s in shapes)


CASES += [
    Case("grouped_query_attention", _gqa, wrt=(0, 1, 2)),
    Case("grouped_query_attention", lambda r: _gqa(r, hkv=1, group=3, length=4), wrt=(0, 1, 2),
         kwargs={"is_causal": True}, label="mqa-causal"),
]

CASES += [
    Case("online_softmax", lambda r: (r.normal(size=(3, 5)) * 2,), kwargs={"block_size": 2}),
    Case("online_softmax", lambda r: (r.normal(size=(4, 3)) * 2,), kwargs={"block_size": 3, "axis": 0},
         label="axis0"),
    Case("flash_attention", _qkv, wrt=(0, 1, 2), kwargs={"block_size": 3}),
    Case("flash_attention", lambda r: _qkv(r, length=4, source=5), wrt=(0, 1, 2),
         kwargs={"block_size": 2, "is_causal": True}, label="causal"),
]


def _cross(r, n=2, length=3, source=4, e=4, ec=3) -> tuple:
    """x (N, L, E), context (N, S, Ec), w_q (E, E), w_k and w_v (E, Ec), w_o (E, E)."""
    shapes = [(n, length, e), (n, source, ec), (e, e), (e, ec), (e, ec), (e, e)]
    return tuple(r.normal(size=s) * (1.0 if i < 2 else 0.7) for i, s in enumerate(shapes))


CASES += [
    Case("cross_attention", _cross, wrt=(0, 1, 2, 3, 4, 5), kwargs={"num_heads": 2}),
    Case("cross_attention", _cross, wrt=(0, 1, 2, 3, 4, 5), label="padded",
         kwargs={"num_heads": 1, "key_padding_mask": [[False, True, False, False], [False, False, True, True]]}),
]


def _step(r, n=2, h=2, t=3, e=4) -> tuple:
    """x_t (N, E), k_cache and v_cache (N, H, T, E/H), w_q, w_k, w_v, w_o (E, E)."""
    shapes = [(n, e), (n, h, t, e // h), (n, h, t, e // h), (e, e), (e, e), (e, e), (e, e)]
    return tuple(r.normal(size=s) * (1.0 if i < 3 else 0.7) for i, s in enumerate(shapes))


CASES += [
    Case("decode_step", _step, wrt=(0, 1, 2, 3, 4, 5, 6), kwargs={"num_heads": 2}),
    Case("decode_step", lambda r: _step(r, h=1, t=1), wrt=(0, 1, 2, 3, 4, 5, 6), kwargs={"num_heads": 1},
         label="one-head-one-cached"),
]

CASES += [
    Case("apply_rope", lambda r: (r.normal(size=(2, 3, 4)), np.arange(3) * 2.0)),
    Case("apply_rope", lambda r: (r.normal(size=(3, 6)), np.array([0.0, 5.0, -7.5])), kwargs={"base": 100.0},
         label="base"),
]


def _additive(r, n=2, lq=3, s=4, dq=3, dk=2, dv=2, h=5) -> tuple:
    """queries (N, Lq, Dq), keys (N, S, Dk), values (N, S, Dv), w_q (h, Dq), w_k (h, Dk), w_v (1, h)."""
    shapes = [(n, lq, dq), (n, s, dk), (n, s, dv), (h, dq), (h, dk), (1, h)]
    return tuple(r.normal(size=sh) for sh in shapes)


CASES += [
    Case("additive_attention", _additive, wrt=(0, 1, 2, 3, 4, 5)),
    Case("additive_attention", _additive, wrt=(0, 1, 2, 3, 4, 5), kwargs={"valid_lens": [[1, 0, 4], [2, 3, 4]]},
         label="valid-lens"),
]
