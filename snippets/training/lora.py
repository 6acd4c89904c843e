"""LoRA (low-rank adaptation): a frozen weight plus a trainable low-rank update ``(alpha / r) B A``.

Layout of PEFT's ``lora.Linear``: ``A`` is ``lora_A.weight`` (r, in_features), ``B`` is
``lora_B.weight`` (out_features, r), the scaling is ``alpha / r``; the frozen ``W`` is the base
``nn.Linear.weight`` (out_features, in_features).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, as_int, as_real_scalar, propagates_nonfinite
from snippets.layers.fully_connected_layer import linear, linear_backward

__all__ = ["lora_linear", "lora_linear_backward", "lora_merge"]


def _check_lora(
    x: ArrayLike | None, W: ArrayLike, A: ArrayLike, B: ArrayLike, alpha: float, r: int
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray, np.ndarray, float]:
    """Validate the shapes (W (out, in), A (r, in), B (out, r)); return the arrays in one float
    dtype and the scaling ``alpha / r``."""
    W, A, B = as_float_array(W, "W"), as_float_array(A, "A"), as_float_array(B, "B")
    arrays = [W, A, B] if x is None else [W, A, B, as_float_array(x, "x")]
    r = as_int(r, "r", low=1)
    alpha = as_real_scalar(alpha, "alpha")
    if W.ndim != 2:
        raise ValueError(f"W must be a 2-D array (out_features, in_features), got shape {W.shape}")
    out_features, in_features = W.shape
    if A.shape != (r, in_features):
        raise ValueError(
            f"A must have shape (r, in_features) = ({r}, {in_features}) for r = {r} and W of shape "
            f"{W.shape}, got {A.shape}"
        )
    if B.shape != (out_features, r):
        raise ValueError(
            f"B must have shape (out_features, r) = ({out_features}, {r}) for r = {r} and W of shape "
            f"{W.shape}, got {B.shape}"
        )
    # the trainable path and the input set the dtype; a frozen W stored in another precision is
    # cast to it (when merging, all three arrays set it)
    dtype = np.result_type(*arrays[1:]) if x is not None else np.result_type(*arrays)
    W, A, B, *rest = (a.astype(dtype, copy=False) for a in arrays)
    return (rest[0] if rest else None), W, A, B, alpha / r


# --8<-- [start:lora_linear]
@propagates_nonfinite
def lora_linear(x: ArrayLike, W: ArrayLike, A: ArrayLike, B: ArrayLike, alpha: float, r: int) -> np.ndarray:
    """A linear layer with a LoRA adapter: ``x W^T + (alpha / r) (x A^T) B^T``.

    The frozen weight ``W`` is never multiplied by the update: the input goes down to ``r``
    features through ``A`` and back up through ``B``, which costs ``r (in + out)`` multiplications
    per sample instead of forming the ``(out, in)`` matrix ``B A``.

    Parameters
    ----------
    x : array_like, shape (*, in_features)
        Inputs; any number of leading (batch) axes.
    W : array_like, shape (out_features, in_features)
        The pretrained weight, frozen during fine-tuning.
    A : array_like, shape (r, in_features)
        Down-projection (``lora_A.weight``), trainable; initialised at random.
    B : array_like, shape (out_features, r)
        Up-projection (``lora_B.weight``), trainable; initialised to zeros, so training starts
        exactly at the pretrained layer.
    alpha : float
        The LoRA scaling numerator ``lora_alpha``; the update is multiplied by ``alpha / r``.
    r : int
        The rank, ``>= 1``; must equal ``A.shape[0]`` and ``B.shape[1]``.

    Returns
    -------
    ndarray, shape (*, out_features)
        In the common float dtype of ``x``, ``A`` and ``B`` (float32 only if all three are);
        ``W`` is cast to it, as a frozen weight may be stored in another precision.

    Examples
    --------
    With ``B = 0`` the adapter adds nothing: the output is ``x W^T`` = (1, 2) for W = I.
    With B A = [[1, 1], [0, 0]] and alpha / r = 2 / 1, the first output gains 2 (1 + 2) = 6.

    >>> W = [[1.0, 0.0], [0.0, 1.0]]
    >>> lora_linear([1.0, 2.0], W, [[1.0, 1.0]], [[0.0], [0.0]], alpha=2, r=1)
    array([1., 2.])
    >>> lora_linear([1.0, 2.0], W, [[1.0, 1.0]], [[1.0], [0.0]], alpha=2, r=1)
    array([7., 2.])
    """
    x, W, A, B, scaling = _check_lora(x, W, A, B, alpha, r)
    # frozen path: the pretrained layer, y0 = x W^T
    y = linear(x, W)
    # adapter path: down to r features (x A^T), up again (. B^T), scaled by alpha / r
    return y + scaling * linear(linear(x, A), B)
# --8<-- [end:lora_linear]


# --8<-- [start:lora_linear_backward]
@propagates_nonfinite
def lora_linear_backward(
    grad_out: ArrayLike, x: ArrayLike, W: ArrayLike, A: ArrayLike, B: ArrayLike, alpha: float, r: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`lora_linear` with respect to ``x``, ``A`` and ``B``.

    ``W`` is frozen: it gets no gradient, which is the point of LoRA (no optimizer state for it).

    Parameters
    ----------
    grad_out : array_like, shape (*, out_features)
        Upstream gradient dL/dy.
    x, W, A, B, alpha, r
        The forward arguments, as in :func:`lora_linear`.

    Returns
    -------
    dx : ndarray, shape (*, in_features)
        ``grad_out W + (alpha / r) grad_out B A``: the frozen path passes gradient too.
    dA : ndarray, shape (r, in_features)
        ``(alpha / r) (grad_out B)^T x``, summed over the leading axes.
    dB : ndarray, shape (out_features, r)
        ``(alpha / r) grad_out^T (x A^T)``, summed over the leading axes.

    Examples
    --------
    At ``B = 0`` the gradient of ``A`` is exactly 0 while that of ``B`` is not: only ``B`` moves
    on the first step. Here dB = 2 * 1 * (x A^T) = 2 * 3 = 6.

    >>> dx, dA, dB = lora_linear_backward([1.0], [1.0, 2.0], [[1.0, 0.0]], [[1.0, 1.0]], [[0.0]], 2, 1)
    >>> print(dx, dA, dB)
    [1. 0.] [[0. 0.]] [[6.]]
    """
    x, W, A, B, scaling = _check_lora(x, W, A, B, alpha, r)
    g = as_grad_out(grad_out, (*x.shape[:-1], W.shape[0]), x.dtype)
    # the adapter path is two linear layers in a row, h = x A^T and u = h B^T, then y += s u
    h = linear(x, A)
    dh, dB, _ = linear_backward(scaling * g, h, B)  # through u = h B^T (s scales every gradient)
    dx_adapter, dA, _ = linear_backward(dh, x, A)   # through h = x A^T
    # the frozen path y0 = x W^T passes gradient to x, and none to W
    dx_frozen, _, _ = linear_backward(g, x, W)
    return dx_frozen + dx_adapter, dA, dB
# --8<-- [end:lora_linear_backward]


# --8<-- [start:lora_merge]
@propagates_nonfinite
def lora_merge(W: ArrayLike, A: ArrayLike, B: ArrayLike, alpha: float, r: int) -> np.ndarray:
    """The merged weight ``W + (alpha / r) B A``: one plain linear layer, no extra inference cost.

    Parameters
    ----------
    W : array_like, shape (out_features, in_features)
    A : array_like, shape (r, in_features)
    B : array_like, shape (out_features, r)
    alpha : float
    r : int
        As in :func:`lora_linear`.

    Returns
    -------
    ndarray, shape (out_features, in_features)
        ``linear(x, lora_merge(W, A, B, alpha, r))`` equals ``lora_linear(x, W, A, B, alpha, r)``
        up to rounding.

    Examples
    --------
    >>> lora_merge([[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0]], [[1.0], [0.0]], alpha=2, r=1)
    array([[3., 2.],
           [0., 1.]])
    """
    _, W, A, B, scaling = _check_lora(None, W, A, B, alpha, r)
    # the rank-r update B A, scaled, folded into the frozen weight
    return W + scaling * (B @ A)
# --8<-- [end:lora_merge]
