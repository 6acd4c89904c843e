"""Dropout: zero each unit at random during training, scaling the kept ones (inverted dropout)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_bool, as_float_array, as_real_scalar, check_same_shape, propagates_nonfinite

__all__ = ["dropout", "dropout_backward"]


def _check_p(p: float) -> float:
    return as_real_scalar(p, "p", low=0.0, high=1.0)


def _apply_mask(v: np.ndarray, mask: np.ndarray, p: float) -> np.ndarray:
    """``v * mask / (1 - p)`` in the dtype of ``v``; for ``p = 1`` (nothing kept) ``v * 0``."""
    if p == 1.0:
        # every unit is dropped: no 1 / (1 - p) is formed (NaN * 0 stays NaN, as in PyTorch)
        return v * v.dtype.type(0)
    # zero the dropped units, divide the kept ones by the keep probability 1 - p
    return v * mask / v.dtype.type(1.0 - p)


# --8<-- [start:dropout]
@propagates_nonfinite
def dropout(
    x: ArrayLike, p: float, rng: np.random.Generator, training: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Inverted dropout: zero each element with probability ``p``, scale the rest by ``1/(1-p)``.

    The same semantics as ``torch.nn.functional.dropout(x, p, training)``: ``p`` is the
    probability of *dropping* a unit, and because the kept units are scaled up during
    training, ``E[y] = x`` and evaluation (``training=False``) is the identity.

    Parameters
    ----------
    x : array_like, shape (*)
        Activations of any shape.
    p : float
        Drop probability in [0, 1]. ``p = 0`` keeps everything; ``p = 1`` zeros everything.
    rng : numpy.random.Generator
        Source of the random mask, e.g. ``np.random.default_rng(seed)``.
    training : bool, default True
        ``False`` switches dropout off: ``y`` is a copy of ``x`` and the mask is all True.

    Returns
    -------
    y : ndarray, shape (*)
        ``x * mask / (1 - p)`` in the float dtype of ``x`` (zeros when ``p = 1``).
    mask : ndarray of bool, shape (*)
        True where the unit was kept. Pass it to :func:`dropout_backward`.

    Examples
    --------
    >>> y, mask = dropout(np.ones(6), p=0.5, rng=np.random.default_rng(0))
    >>> bool(np.all(y == 2.0 * mask))  # kept units are scaled by 1 / (1 - 0.5) = 2, others are 0
    True
    >>> dropout([1.0, 2.0], p=0.5, rng=np.random.default_rng(0), training=False)
    (array([1., 2.]), array([ True,  True]))
    """
    x = as_float_array(x, "x")
    p = _check_p(p)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}"
        )
    training = as_bool(training, "training")
    if not training:
        # evaluation: the identity (a copy, so editing y can never change the caller's x)
        return x.copy(), np.ones(x.shape, dtype=bool)
    # keep a unit when a uniform draw on [0, 1) is >= p: probability exactly 1 - p
    mask = rng.random(x.shape) >= p
    return _apply_mask(x, mask, p), mask
# --8<-- [end:dropout]


# --8<-- [start:dropout_backward]
@propagates_nonfinite
def dropout_backward(grad_out: ArrayLike, mask: ArrayLike, p: float) -> np.ndarray:
    """Gradient of :func:`dropout` with respect to ``x``, given the mask of the forward pass.

    Parameters
    ----------
    grad_out : array_like, shape (*)
        Upstream gradient dL/dy.
    mask : array_like of bool (or 0/1), shape (*)
        The mask :func:`dropout` returned: True (1) where the unit was kept.
    p : float
        The drop probability used in the forward pass, in [0, 1].

    Returns
    -------
    ndarray, shape (*)
        ``grad_out * mask / (1 - p)``: the same scaling as the forward pass, since ``y`` is
        linear in ``x`` once the mask is drawn; zeros when ``p = 1``.

    Examples
    --------
    >>> dropout_backward([1.0, 1.0, 1.0], [True, False, True], p=0.5)  # 1 / (1 - 0.5) = 2
    array([2., 0., 2.])
    """
    grad_out = as_float_array(grad_out, "grad_out")
    p = _check_p(p)
    mask = np.asarray(mask)
    check_same_shape(grad_out, mask, "grad_out", "mask")
    if mask.dtype != bool:
        if mask.dtype.kind not in "iuf":
            raise TypeError(f"mask must hold booleans or 0/1 numbers, got dtype {mask.dtype}")
        if np.any((mask != 0) & (mask != 1)):
            bad = mask[(mask != 0) & (mask != 1)].ravel()[0]
            raise ValueError(f"mask must hold only 0 and 1 (or booleans), found {bad}")
        mask = mask == 1
    # y = x * mask / (1 - p) is linear in x: the backward pass applies the same factor
    return _apply_mask(grad_out, mask, p)
# --8<-- [end:dropout_backward]
