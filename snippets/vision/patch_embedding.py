"""Patch embedding (ViT): cut images into non-overlapping patches and map each to a token vector."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, as_optional_parameter, propagates_nonfinite
from snippets.layers.convolution import _check_image, _pair

__all__ = ["patchify", "patchify_backward", "patch_embed", "patch_embed_backward"]


def _check_patches(images: ArrayLike, patch_size: object) -> tuple[np.ndarray, tuple[int, int]]:
    """Images (N, C, H, W) whose H and W are multiples of the patch size (pH, pW)."""
    x = _check_image(images, "images")
    ph, pw = _pair(patch_size, "patch_size", 1)
    if x.shape[2] % ph or x.shape[3] % pw:
        raise ValueError(
            f"images of shape {x.shape} do not split into whole patches of patch_size {(ph, pw)}: "
            f"H = {x.shape[2]} and W = {x.shape[3]} must be multiples of {ph} and {pw}"
        )
    return x, (ph, pw)


def _to_tokens(x: np.ndarray, ph: int, pw: int) -> np.ndarray:
    """(N, C, H, W) -> (N, L, C * pH * pW): patches in row-major order, each flattened as (C, pH, pW)."""
    n, c, h, w = x.shape
    # split H into (H / pH, pH) and W into (W / pW, pW); bring the patch grid to the front
    blocks = x.reshape(n, c, h // ph, ph, w // pw, pw).transpose(0, 2, 4, 1, 3, 5)
    return blocks.reshape(n, (h // ph) * (w // pw), c * ph * pw)


def _from_tokens(tokens: np.ndarray, shape: tuple[int, ...], ph: int, pw: int) -> np.ndarray:
    """The inverse of :func:`_to_tokens`: (N, L, C * pH * pW) back to images of ``shape``."""
    n, c, h, w = shape
    blocks = tokens.reshape(n, h // ph, w // pw, c, ph, pw).transpose(0, 3, 1, 4, 2, 5)
    return blocks.reshape(n, c, h, w)


# --8<-- [start:patchify]
def patchify(images: ArrayLike, patch_size: int | tuple[int, int]) -> np.ndarray:
    """Cut images into non-overlapping patches and flatten each one: the tokens ViT starts from.

    Patches are listed row by row (left to right, then top to bottom); each is flattened in
    ``(C, pH, pW)`` order, the layout of a ``Conv2d`` weight, so that ``patchify(x, p) @
    weight.reshape(D, -1).T`` is the convolution with stride ``p``. H and W must be multiples of
    the patch size (a strided convolution would silently drop the remainder).

    Parameters
    ----------
    images : array_like, shape (N, C, H, W)
        A batch of images (float32 stays float32; other real input becomes float64).
    patch_size : int or (int, int)
        Patch height and width (pH, pW) >= 1.

    Returns
    -------
    numpy.ndarray, shape (N, L, C * pH * pW)
        ``L = (H / pH) (W / pW)`` patches per image, a new array (never a view of ``images``).

    Examples
    --------
    >>> # a 2x4 image 0..7 in 2x2 patches: the left patch holds 0, 1, 4, 5, the right 2, 3, 6, 7
    >>> patchify(np.arange(8.0).reshape(1, 1, 2, 4), 2)
    array([[[0., 1., 4., 5.],
            [2., 3., 6., 7.]]])
    """
    x, (ph, pw) = _check_patches(images, patch_size)
    return _to_tokens(x, ph, pw).copy()
# --8<-- [end:patchify]


# --8<-- [start:patchify_backward]
def patchify_backward(grad_out: ArrayLike, images: ArrayLike, patch_size: int | tuple[int, int]) -> np.ndarray:
    """Gradient of :func:`patchify`: the inverse rearrangement (unpatchify), each entry back to its pixel.

    Parameters
    ----------
    grad_out : array_like, shape (N, L, C * pH * pW)
    images, patch_size : the forward arguments

    Returns
    -------
    numpy.ndarray, shape (N, C, H, W)

    Examples
    --------
    >>> # the gradient of the two patches [[0, 1, 4, 5], [2, 3, 6, 7]] lands back on the 2x4 grid
    >>> patchify_backward([[[0.0, 1, 4, 5], [2, 3, 6, 7]]], np.zeros((1, 1, 2, 4)), 2)
    array([[[[0., 1., 2., 3.],
             [4., 5., 6., 7.]]]])
    """
    x, (ph, pw) = _check_patches(images, patch_size)
    n, c, h, w = x.shape
    g = as_grad_out(grad_out, (n, (h // ph) * (w // pw), c * ph * pw), x.dtype)
    return _from_tokens(g, x.shape, ph, pw).copy()
# --8<-- [end:patchify_backward]


def _check_embed(
    images: ArrayLike, weight: ArrayLike, bias: ArrayLike | None, patch_size: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[int, int]]:
    x, (ph, pw) = _check_patches(images, patch_size)
    weight = as_float_array(weight, "weight")
    if weight.ndim != 4 or weight.shape[1:] != (x.shape[1], ph, pw):
        raise ValueError(
            f"weight must have shape (D, C, pH, pW) = (D, {x.shape[1]}, {ph}, {pw}) for images of shape "
            f"{x.shape} and patch_size {(ph, pw)}, got shape {weight.shape}"
        )
    weight = weight.astype(x.dtype, copy=False)
    bias = as_optional_parameter(bias, "bias", (weight.shape[0],), "(D,)", f"weight of shape {weight.shape}", x.dtype)
    return x, weight, bias, (ph, pw)


# --8<-- [start:patch_embed]
@propagates_nonfinite
def patch_embed(
    images: ArrayLike, weight: ArrayLike, bias: ArrayLike | None, patch_size: int | tuple[int, int]
) -> np.ndarray:
    """ViT's patch embedding: ``tokens[n, l] = weight.reshape(D, -1) @ patch[n, l] + bias``.

    The numbers of ``F.conv2d(images, weight, bias, stride=patch_size).flatten(2).transpose(1, 2)``;
    no class token, no position embedding.

    Parameters
    ----------
    images : array_like, shape (N, C, H, W)
        H and W multiples of the patch size.
    weight : array_like, shape (D, C, pH, pW)
        PyTorch's ``Conv2d`` layout; cast to images' dtype.
    bias : array_like, shape (D,), or None
    patch_size : int or (int, int), equal to ``weight.shape[2:]``

    Returns
    -------
    numpy.ndarray, shape (N, L, D)
        One D-dimensional token per patch, patches in row-major order.

    Examples
    --------
    >>> # one 2x2 patch [[1, 2], [3, 4]]; D = 2 filters: all ones (sum = 10, + bias 1) and
    >>> # the top-left pixel only (1, + bias 0)
    >>> x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    >>> w = np.array([[[[1.0, 1.0], [1.0, 1.0]]], [[[1.0, 0.0], [0.0, 0.0]]]])
    >>> patch_embed(x, w, [1.0, 0.0], 2)
    array([[[11.,  1.]]])
    """
    x, weight, bias, (ph, pw) = _check_embed(images, weight, bias, patch_size)
    # (N, L, C pH pW) @ (C pH pW, D): every patch through the same linear map
    tokens = _to_tokens(x, ph, pw) @ weight.reshape(weight.shape[0], x.shape[1] * ph * pw).T
    return tokens if bias is None else tokens + bias
# --8<-- [end:patch_embed]


# --8<-- [start:patch_embed_backward]
@propagates_nonfinite
def patch_embed_backward(
    grad_out: ArrayLike, images: ArrayLike, weight: ArrayLike, bias: ArrayLike | None, patch_size: int | tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Gradients of :func:`patch_embed` with respect to ``images``, ``weight`` and ``bias``.

    Parameters
    ----------
    grad_out : array_like, shape (N, L, D)
    images, weight, bias, patch_size : the forward arguments

    Returns
    -------
    (dimages, dweight, dbias) : ndarrays of the shapes of images, weight and bias
        ``dbias`` is None when ``bias`` is.

    Examples
    --------
    >>> # one 1x1 patch x = 5, one filter w = 3, g = 2: token = 3 x + b, so
    >>> # dx = 3 * 2, dw = 5 * 2, db = 2
    >>> patch_embed_backward([[[2.0]]], [[[[5.0]]]], [[[[3.0]]]], [0.0], 1)
    (array([[[[6.]]]]), array([[[[10.]]]]), array([2.]))
    """
    x, weight, bias, (ph, pw) = _check_embed(images, weight, bias, patch_size)
    patches, d = _to_tokens(x, ph, pw), weight.shape[0]
    g = as_grad_out(grad_out, (*patches.shape[:2], d), x.dtype)
    # tokens = patches @ W^T + b: dW = sum over all patches of g p^T, db = sum of g
    dweight = np.tensordot(g, patches, axes=([0, 1], [0, 1])).reshape(weight.shape)
    dbias = None if bias is None else g.sum(axis=(0, 1))
    # dpatches = g @ W, then every patch back to its place in the image
    dpatches = g @ weight.reshape(d, patches.shape[2])
    return _from_tokens(dpatches, x.shape, ph, pw), dweight, dbias
# --8<-- [end:patch_embed_backward]
