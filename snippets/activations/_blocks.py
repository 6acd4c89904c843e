"""Element-wise formulas evaluated block by block, with their temporaries kept in the CPU cache.

A numpy expression such as ``g * e / (1 + e) ** 2`` makes one pass over memory per operation and
allocates an array per intermediate. For 10^7 elements every pass goes to main memory, and a
formula of eight passes runs several times slower than the single fused loop of a compiled library.
Evaluating the same in-place operations on blocks of a few thousand elements keeps every
intermediate in the cache: only the inputs are read from memory, and the result written, once.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["BLOCK", "aligned_empty", "map_blocks"]

# Elements per block: a few temporaries of 16384 float64 (128 kB each) fit in a core's L2 cache.
# A multiple of 16, so that each block of a 64-byte aligned buffer starts on a cache line.
BLOCK = 16384


# --8<-- [start:map_blocks]
def aligned_empty(shape: int | tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
    """``np.empty(shape, dtype)`` starting on a 64-byte boundary (a cache line, one AVX-512 vector).

    numpy's own buffers are only 16-byte aligned; on those every vector load straddles two cache
    lines, which makes passes over data already in the cache up to twice as slow.

    Examples
    --------
    >>> aligned_empty((2, 8)).ctypes.data % 64
    0
    """
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    size = int(np.prod(shape)) * np.dtype(dtype).itemsize
    raw = np.empty(size + 64, np.uint8)
    start = -raw.ctypes.data % 64
    return raw[start : start + size].view(dtype).reshape(shape)


def map_blocks(kernel: Callable[..., None], out: np.ndarray, *arrays: np.ndarray, scratch: int = 0) -> np.ndarray:
    """Fill ``out`` block by block: ``kernel(out_block, *array_blocks, *scratch_blocks)``.

    Parameters
    ----------
    kernel : callable
        Writes the result for one block into ``out_block`` with in-place numpy operations; it may
        use the ``scratch`` blocks freely and must not write into the ``array_blocks``.
    out : ndarray, shape (*)
        The (C-contiguous) result array; its dtype is the dtype of the scratch blocks too.
    *arrays : ndarray, shape (*)
        Inputs of ``out``'s shape, read block by block (flattened in C order).
    scratch : int, default 0
        How many temporaries of one block the kernel needs (allocated once, reused).

    Returns
    -------
    ndarray
        ``out``.

    Examples
    --------
    >>> x = np.arange(5.0)
    >>> map_blocks(lambda o, v: np.multiply(v, v, out=o), np.empty(5), x)
    array([ 0.,  1.,  4.,  9., 16.])
    """
    flat_out = out.reshape(-1)
    flats = [np.ravel(a) for a in arrays]
    size = min(BLOCK, flat_out.size)
    temps = [aligned_empty(size, out.dtype) for _ in range(scratch)]
    for start in range(0, flat_out.size, BLOCK):
        stop = min(start + BLOCK, flat_out.size)
        blocks = [t[: stop - start] for t in temps] if stop - start < size else temps
        kernel(flat_out[start:stop], *(f[start:stop] for f in flats), *blocks)
    return out
# --8<-- [end:map_blocks]
