"""einsum / bmm and their backwards: hand values, properties against numpy.einsum, bad input,
and PyTorch's torch.einsum and torch.bmm."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import bmm, bmm_backward, einsum, einsum_backward
from tests.layers.shared import assert_sums_match, values
from tests.reference import DTYPES, EXTREMES, require, torch_forward_backward


# ---------------------------------------------------------------- hand-checked values
def test_hand_values() -> None:
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    # trace 1 + 4; diagonal (1, 4); transpose; sum of all entries 10; row sums (3, 7)
    assert einsum("ii->", a) == 5.0
    np.testing.assert_array_equal(einsum("ii->i", a), [1.0, 4.0])
    np.testing.assert_array_equal(einsum("ij->ji", a), a.T)
    assert einsum("ij->", a) == 10.0
    np.testing.assert_array_equal(einsum("ij->i", a), [3.0, 7.0])
    # outer product (1, 2) x (3, 4, 5): rows 1 * (3, 4, 5) and 2 * (3, 4, 5)
    np.testing.assert_array_equal(einsum("i,j->ij", [1.0, 2.0], [3.0, 4.0, 5.0]), [[3, 4, 5], [6, 8, 10]])
    # implicit output: "ij,jk" keeps i and k (each appears once), sorted: the matrix product
    np.testing.assert_array_equal(einsum("ij,jk", a, a), a @ a)
    # implicit "ba,ca": the indices b and c appear once -> output "bc" = rows of the first dotted with rows of the second
    np.testing.assert_array_equal(einsum("ba,ca", a, a), a @ a.T)


def test_backward_hand_values() -> None:
    # y = trace(a): dy/da = identity, times g = 3
    np.testing.assert_array_equal(einsum_backward(3.0, "ii->", [[1.0, 2.0], [3.0, 4.0]]), [[3.0, 0.0], [0.0, 3.0]])
    # y_i = sum_j a_ij: every entry of row i gets g_i
    np.testing.assert_array_equal(einsum_backward([1.0, 10.0], "ij->i", np.zeros((2, 3))), [[1, 1, 1], [10, 10, 10]])
    # y = sum_i x_i w_i: dx = g w, dw = g x
    dx, dw = einsum_backward(2.0, "i,i->", [1.0, 2.0], [3.0, 4.0])
    np.testing.assert_array_equal(dx, [6.0, 8.0])
    np.testing.assert_array_equal(dw, [2.0, 4.0])


def test_bmm_hand_values() -> None:
    # batch of two: the identity times b, and 2 * identity times b
    b = np.arange(8.0).reshape(2, 2, 2)
    a = np.stack([np.eye(2), 2 * np.eye(2)])
    np.testing.assert_array_equal(bmm(a, b), [b[0], 2 * b[1]])
    da, db = bmm_backward(np.ones((2, 2, 2)), a, b)
    # da_t = g b_tᵀ: entry (i, j) is the sum of row j of b_t; b_1 = [[4, 5], [6, 7]] -> 9, 13.
    # db_t = a_tᵀ g: a_1 = 2 I, so 2 everywhere
    np.testing.assert_array_equal(da[1], [[9.0, 13.0], [9.0, 13.0]])
    np.testing.assert_array_equal(db[1], [[2.0, 2.0], [2.0, 2.0]])


# ---------------------------------------------------------------- properties
LETTERS = "abcd"


@st.composite
def specs(draw):
    """A random explicit spec over up to 4 indices with 1-3 operands (repeats allowed), and operands."""
    sizes = {ch: draw(st.integers(1, 3)) for ch in LETTERS}
    n_ops = draw(st.integers(1, 3))
    terms = ["".join(draw(st.lists(st.sampled_from(LETTERS), min_size=0, max_size=3))) for _ in range(n_ops)]
    used = sorted(set("".join(terms)))
    out = "".join(draw(st.permutations(used))[: draw(st.integers(0, len(used)))])
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    operands = [rng.normal(size=[sizes[ch] for ch in t]) for t in terms]
    return ",".join(terms) + "->" + out, operands


@settings(max_examples=100, deadline=None)
@given(specs())
def test_matches_numpy_einsum(spec) -> None:
    # numpy.einsum as an independent implementation (pairwise contraction in C); float64 sums of
    # at most 3^4 products of normal numbers: 1e-12 relative to the sum of |products|
    subscripts, ops = spec
    y = einsum(subscripts, *ops)
    ref = np.einsum(subscripts, *ops)
    scale = np.einsum(subscripts, *[np.abs(o) for o in ops])
    assert np.shape(y) == np.shape(ref)
    assert np.all(np.abs(y - ref) <= 1e-12 * (1 + scale))


@settings(max_examples=60, deadline=None)
@given(specs())
def test_backward_is_the_adjoint_in_each_operand(spec) -> None:
    # y is linear in each operand separately: sum(g * y) = sum(op_k * d op_k) for every k
    # (multilinear: each product holds op_k exactly once per occurrence of its term)
    subscripts, ops = spec
    terms = subscripts.split("->")[0].split(",")
    y = einsum(subscripts, *ops)
    g = np.random.default_rng(0).normal(size=np.shape(y))
    grads = einsum_backward(g, subscripts, *ops)
    grads = grads if isinstance(grads, tuple) else (grads,)
    inner = np.sum(g * y)
    scale = np.sum(np.abs(g) * einsum(subscripts, *[np.abs(o) for o in ops]))
    for op, term, d in zip(ops, terms, grads):
        assert d.shape == op.shape
        # an operand used with a repeated index is still linear; the identity holds for each
        assert abs(np.sum(op * d) - inner) <= 1e-12 * (1 + scale), term


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_bmm_is_einsum_and_matmul(batch, n, m, p, seed) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(batch, n, m)), rng.normal(size=(batch, m, p))
    np.testing.assert_allclose(bmm(a, b), einsum("bij,bjk->bik", a, b), rtol=1e-12, atol=1e-12)
    g = rng.normal(size=(batch, n, p))
    for x, y in zip(bmm_backward(g, a, b), einsum_backward(g, "bij,bjk->bik", a, b)):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtype_and_stability(dtype) -> None:
    rng = np.random.default_rng(3)
    a = rng.choice(EXTREMES, size=(2, 3, 4)).astype(dtype)
    b = rng.choice(EXTREMES, size=(2, 4, 3)).astype(dtype)
    outs = (einsum("bij,bjk->bik", a, b), *einsum_backward(np.ones((2, 3, 3), dtype), "bij,bjk->bik", a, b),
            bmm(a, b), *bmm_backward(np.ones((2, 3, 3), dtype), a, b))
    for v in outs:
        assert v.dtype == dtype and np.all(np.isfinite(v))
    # a float32 operand with a float64 one is computed in float64, as numpy.result_type says
    assert einsum("i,i->i", np.ones(2, np.float32), np.ones(2)).dtype == np.float64


def test_empty_index() -> None:
    # summing over an index of size 0 gives zeros, as numpy and PyTorch
    np.testing.assert_array_equal(einsum("ij,jk->ik", np.ones((2, 0)), np.ones((0, 3))), np.zeros((2, 3)))


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    a = np.ones((2, 3))
    with pytest.raises(TypeError, match="subscripts must be a string"):
        einsum(a, a)
    with pytest.raises(ValueError, match=r"subscripts 'ij,jk->ik' names 2 operands, got 1"):
        einsum("ij,jk->ik", a)
    with pytest.raises(ValueError, match=r"operand 0 has 2 axes \(shape \(2, 3\)\) but its term 'ijk' names 3"):
        einsum("ijk->i", a)
    with pytest.raises(ValueError, match=r"index 'j' has size 3 in one place and 2 in operand 1"):
        einsum("ij,jk->ik", a, a)
    with pytest.raises(ValueError, match="output indices must be distinct input indices"):
        einsum("ij->iz", a)
    with pytest.raises(ValueError, match="output indices must be distinct input indices"):
        einsum("ij->ii", a)
    with pytest.raises(ValueError, match="the ellipsis '...' is not supported"):
        einsum("...j->j", a)
    with pytest.raises(ValueError, match="must use the letters a-z and A-Z"):
        einsum("i1->i", a)
    with pytest.raises(TypeError, match=r"operands\[1\] must be real-valued"):
        einsum("ij,ij->", a, a * 1j)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2,\)"):
        einsum_backward(np.ones(3), "ij->i", a)
    with pytest.raises(ValueError, match=r"a and b must have shapes \(B, n, m\) and \(B, m, p\), got \(2, 3\) and \(2, 3\)"):
        bmm(a, a)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(1, 2, 2\)"):
        bmm_backward(np.ones((1, 2, 3)), np.ones((1, 2, 3)), np.ones((1, 3, 2)))


# ---------------------------------------------------------------- PyTorch
TORCH_SPECS = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),      # attention scores
    ("ii->i", [(4, 4)]),
    ("ii", [(3, 3)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("iij,jk->ik", [(3, 3, 2), (2, 4)]),
    ("ijk->kji", [(2, 3, 4)]),
    ("ij,ij->", [(3, 4), (3, 4)]),
    ("oc,bchw->bohw", [(5, 3), (2, 3, 2, 4)]),              # a 1x1 convolution
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("subscripts", "shapes"), TORCH_SPECS)
@pytest.mark.parametrize("extreme", [False, True])
def test_einsum_matches_torch(dtype, subscripts, shapes, extreme) -> None:
    torch = require("torch")
    rng = np.random.default_rng(7)
    draw = values(rng, extreme)
    ops = [draw(s).astype(dtype) for s in shapes]
    y = einsum(subscripts, *ops)
    g = np.asarray(draw(np.shape(y))).astype(dtype)
    ref_y, ref_grads = torch_forward_backward(lambda *t: torch.einsum(subscripts, *t), ops, g, list(range(len(ops))))
    grads = einsum_backward(g, subscripts, *ops)
    grads = grads if isinstance(grads, tuple) else (grads,)
    # a result is a sum of products (at most 5 terms summed per entry here, products of up to 3
    # factors): summation in another order and the products' own rounding stay within 8 eps of
    # (|ref| + sum |products|); the sum of |products| is our own einsum on |operands|
    absops = [np.abs(o) for o in ops]
    sum_grads = einsum_backward(np.abs(g), subscripts, *absops)
    sum_grads = sum_grads if isinstance(sum_grads, tuple) else (sum_grads,)
    names = ("y", *(f"d{i}" for i in range(len(ops))))
    assert_sums_match(names, (y, *grads), (ref_y, *ref_grads), (einsum(subscripts, *absops), *sum_grads), dtype, 8)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("extreme", [False, True])
def test_bmm_matches_torch(dtype, extreme) -> None:
    torch = require("torch")
    rng = np.random.default_rng(8)
    draw = values(rng, extreme)
    a, b, g = draw((3, 4, 5)).astype(dtype), draw((3, 5, 2)).astype(dtype), draw((3, 4, 2)).astype(dtype)
    ref_y, (ref_da, ref_db) = torch_forward_backward(torch.bmm, [a, b], g, [0, 1])
    # sums of 5 (y), 2 (da) and 4 (db) products: 8 eps of (|ref| + sum |products|), as above
    sums = (bmm(np.abs(a), np.abs(b)), *bmm_backward(np.abs(g), np.abs(a), np.abs(b)))
    assert_sums_match(("y", "da", "db"), (bmm(a, b), *bmm_backward(g, a, b)), (ref_y, ref_da, ref_db), sums, dtype, 8)
