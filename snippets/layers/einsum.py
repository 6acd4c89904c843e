"""Einstein summation: products of tensors summed over named indices, spelled as a subscript string."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, propagates_nonfinite

__all__ = ["einsum", "einsum_backward", "bmm", "bmm_backward"]


def _parse(subscripts: object, operands: tuple) -> tuple[list[np.ndarray], list[str], str, dict[str, int]]:
    """Checked operands, their index strings, the output's index string and every index's size."""
    if isinstance(subscripts, np.ndarray) and subscripts.ndim == 0 and subscripts.dtype.kind == "U":
        subscripts = str(subscripts)        # a string that went through np.array (a 0-d str array)
    if not isinstance(subscripts, str):
        raise TypeError(f"subscripts must be a string such as 'ij,jk->ik', got {type(subscripts).__name__}")
    spec = subscripts.replace(" ", "")
    if "." in spec:
        raise ValueError(f"subscripts: the ellipsis '...' is not supported here, got {subscripts!r}")
    lhs, arrow, out = spec.partition("->")
    terms = lhs.split(",")
    if len(operands) == 0 or len(terms) != len(operands):
        raise ValueError(f"subscripts {subscripts!r} names {len(terms)} operands, got {len(operands)}")
    arrays = [as_float_array(op, f"operands[{k}]") for k, op in enumerate(operands)]
    letters = "".join(terms) + out
    if not all(ch.isascii() and ch.isalpha() for ch in letters):
        raise ValueError(f"subscripts must use the letters a-z and A-Z as indices, got {subscripts!r}")
    sizes: dict[str, int] = {}
    for k, (term, arr) in enumerate(zip(terms, arrays)):
        if len(term) != arr.ndim:
            raise ValueError(
                f"subscripts {subscripts!r}: operand {k} has {arr.ndim} axes (shape {arr.shape}) "
                f"but its term {term!r} names {len(term)}"
            )
        for ch, n in zip(term, arr.shape):
            if sizes.setdefault(ch, n) != n:
                raise ValueError(
                    f"subscripts {subscripts!r}: index {ch!r} has size {sizes[ch]} in one place and "
                    f"{n} in operand {k} (shapes {[a.shape for a in arrays]})"
                )
    if not arrow:
        # implicit output, as numpy and PyTorch: the indices that appear once, in sorted order
        out = "".join(sorted(ch for ch in sizes if "".join(terms).count(ch) == 1))
    if len(set(out)) != len(out) or any(ch not in sizes for ch in out):
        raise ValueError(f"subscripts {subscripts!r}: output indices must be distinct input indices")
    # one dtype for all: float32 only when every operand is float32
    dtype = np.result_type(*arrays)
    return [a.astype(dtype, copy=False) for a in arrays], terms, out, sizes


def _diagonal_index(term: str, sizes: dict[str, int]) -> tuple[str, tuple[np.ndarray, ...]]:
    """The distinct indices of ``term`` in order, and index arrays that pick an operand's entries with
    equal values at repeated indices (``'ii'`` -> its diagonal): op[arrays] has one axis per distinct index."""
    unique = "".join(dict.fromkeys(term))
    arrays = tuple(
        np.arange(sizes[ch]).reshape([-1 if u == ch else 1 for u in unique]) for ch in term
    )
    return unique, arrays


def _aligned(arr: np.ndarray, term: str, order: str, sizes: dict[str, int]) -> np.ndarray:
    """``arr`` (indexed by ``term``) as an array with one axis per index of ``order``: repeated
    indices reduced to their diagonal, axes put in ``order``'s order, size 1 for absent indices."""
    if len(set(term)) != len(term):
        term, index = _diagonal_index(term, sizes)
        arr = arr[index]
    arr = np.transpose(arr, sorted(range(len(term)), key=lambda a: order.index(term[a])))
    return arr.reshape([sizes[ch] if ch in term else 1 for ch in order])


# --8<-- [start:einsum]
@propagates_nonfinite
def einsum(subscripts: str, *operands: ArrayLike) -> np.ndarray:
    """Einstein summation as ``torch.einsum`` / ``numpy.einsum``, written out with broadcasting.

    Each operand is indexed by one letter per axis; the result is the product of all operands at
    every combination of index values, summed over the indices that are not in the output.
    ``"ij,jk->ik"`` is a matrix product, ``"bij,bjk->bik"`` a batched one, ``"ii->"`` a trace,
    ``"i,j->ij"`` an outer product. Without ``->`` the output holds the indices that appear once,
    sorted. A repeated index within one operand reads its diagonal.

    Parameters
    ----------
    subscripts : str
        Comma-separated index strings, one per operand, optionally ``->`` and the output's
        (letters a-z, A-Z; no ellipsis).
    *operands : array_like
        The tensors, each with as many axes as its index string has letters; an index has the
        same size wherever it appears.

    Returns
    -------
    ndarray, shape of the output indices
        float32 when every operand is float32, else float64. Computed on the full grid of all
        indices (memory: the product of all index sizes), unlike numpy and PyTorch, which
        contract pairwise.

    Examples
    --------
    >>> # matrix product: [[1, 2], [3, 4]] @ [[5], [6]] = [[1*5 + 2*6], [3*5 + 4*6]]
    >>> einsum("ij,jk->ik", [[1.0, 2.0], [3.0, 4.0]], [[5.0], [6.0]])
    array([[17.],
           [39.]])
    >>> einsum("ii->", [[1.0, 2.0], [3.0, 4.0]])          # trace: 1 + 4
    np.float64(5.0)
    """
    arrays, terms, out, sizes = _parse(subscripts, operands)
    # every index gets an axis: the output's first, then the summed ones
    order = out + "".join(ch for ch in sizes if ch not in out)
    # the product of all operands at every combination of index values ...
    product = _aligned(arrays[0], terms[0], order, sizes)
    for arr, term in zip(arrays[1:], terms[1:]):
        product = product * _aligned(arr, term, order, sizes)
    # ... summed over the indices that are not in the output
    return np.sum(product, axis=tuple(range(len(out), len(order))))
# --8<-- [end:einsum]


# --8<-- [start:einsum_backward]
@propagates_nonfinite
def einsum_backward(grad_out: ArrayLike, subscripts: str, *operands: ArrayLike) -> np.ndarray | tuple[np.ndarray, ...]:
    """Gradients of :func:`einsum` with respect to each operand.

    Parameters
    ----------
    grad_out : array_like, shape of the output
        Upstream gradient dL/dy.
    subscripts, *operands
        The forward arguments.

    Returns
    -------
    ndarray, or a tuple of ndarrays (one per operand, when there are several)
        The gradient of operand k is again an Einstein sum: the upstream gradient times all the
        *other* operands, summed over every index that operand k lacks, broadcast over indices
        that only operand k has, and placed on the diagonal where operand k repeats an index.

    Examples
    --------
    >>> # y = sum_ij a_ij b_j (a matrix-vector product summed): da_ij = g * b_j, db_j = g * sum_i a_ij
    >>> einsum_backward(2.0, "ij,j->", [[1.0, 2.0], [3.0, 4.0]], [10.0, 100.0])
    (array([[ 20., 200.],
           [ 20., 200.]]), array([ 8., 12.]))
    """
    arrays, terms, out, sizes = _parse(subscripts, operands)
    order = out + "".join(ch for ch in sizes if ch not in out)
    g = as_grad_out(grad_out, tuple(sizes[ch] for ch in out), arrays[0].dtype)
    grads = []
    for k, (arr, term) in enumerate(zip(arrays, terms)):
        # upstream gradient times every other operand, on the grid of all indices
        product = _aligned(g, out, order, sizes)
        for j, (other, other_term) in enumerate(zip(arrays, terms)):
            if j != k:
                product = product * _aligned(other, other_term, order, sizes)
        # sum over the indices operand k does not have; broadcast over those only it has
        unique = "".join(dict.fromkeys(term))
        summed = tuple(a for a, ch in enumerate(order) if ch not in unique)
        kept = "".join(ch for ch in order if ch in unique)
        grad = np.broadcast_to(np.sum(product, axis=summed), [sizes[ch] for ch in kept])
        grad = np.transpose(grad, [kept.index(ch) for ch in unique])
        if len(unique) != len(term):
            # a repeated index read the diagonal: the gradient goes back onto it, zeros elsewhere
            full = np.zeros(arr.shape, dtype=arr.dtype)
            full[_diagonal_index(term, sizes)[1]] = grad
            grad = full
        grads.append(np.array(grad))       # a fresh array, never a broadcast view
    return grads[0] if len(grads) == 1 else tuple(grads)
# --8<-- [end:einsum_backward]


def _check_bmm(a: ArrayLike, b: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a, b = as_float_array(a, "a"), as_float_array(b, "b")
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise ValueError(f"a and b must have shapes (B, n, m) and (B, m, p), got {a.shape} and {b.shape}")
    dtype = np.result_type(a, b)
    return a.astype(dtype, copy=False), b.astype(dtype, copy=False)


# --8<-- [start:bmm]
@propagates_nonfinite
def bmm(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """Batched matrix product as ``torch.bmm``: ``einsum("bij,bjk->bik", a, b)``.

    Parameters
    ----------
    a : array_like, shape (B, n, m)
    b : array_like, shape (B, m, p)

    Returns
    -------
    ndarray, shape (B, n, p)
        ``a[t] @ b[t]`` for every t in the batch.

    Examples
    --------
    >>> # two 1x2 @ 2x1 products: 1*3 + 2*4 and 1*5 + 1*6
    >>> bmm([[[1.0, 2.0]], [[1.0, 1.0]]], [[[3.0], [4.0]], [[5.0], [6.0]]])
    array([[[11.]],
    <BLANKLINE>
           [[11.]]])
    """
    a, b = _check_bmm(a, b)
    # numpy's matmul treats the leading axis as the batch
    return a @ b
# --8<-- [end:bmm]


# --8<-- [start:bmm_backward]
@propagates_nonfinite
def bmm_backward(grad_out: ArrayLike, a: ArrayLike, b: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`bmm`: ``(g @ bᵀ, aᵀ @ g)`` per batch element.

    Parameters
    ----------
    grad_out : array_like, shape (B, n, p)
        Upstream gradient dL/dy.
    a, b
        The forward arguments.

    Returns
    -------
    (da, db) : ndarrays of the shapes of a and b

    Examples
    --------
    >>> # 1x1 matrices: y = a b, so da = g b = 2 * 3 and db = a g = 5 * 2
    >>> bmm_backward([[[2.0]]], [[[5.0]]], [[[3.0]]])
    (array([[[6.]]]), array([[[10.]]]))
    """
    a, b = _check_bmm(a, b)
    g = as_grad_out(grad_out, (a.shape[0], a.shape[1], b.shape[2]), a.dtype)
    # y_t = a_t b_t: the matrix-product rule in every batch element
    return g @ b.transpose(0, 2, 1), a.transpose(0, 2, 1) @ g
# --8<-- [end:bmm_backward]
