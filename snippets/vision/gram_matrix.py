"""Gram matrix of feature maps and two losses of neural style transfer: style and total variation.

The content loss is the mean squared error, ``mse_loss`` in snippets.losses.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, propagates_nonfinite

__all__ = [
    "gram_matrix",
    "gram_matrix_backward",
    "style_loss",
    "style_loss_backward",
    "total_variation",
    "total_variation_backward",
]


def _check_features(features: ArrayLike, name: str) -> np.ndarray:
    """Feature maps of shape (N, C, *spatial) with at least one spatial axis."""
    f = as_float_array(features, name)
    if f.ndim < 3:
        raise ValueError(f"{name} must have shape (N, C, H, W) (or (N, C, *spatial)), got shape {f.shape}")
    return f


def _flat(f: np.ndarray) -> tuple[np.ndarray, int]:
    """(N, C, *spatial) -> (N, C, M) and M, the number of positions."""
    m = int(np.prod(f.shape[2:]))
    return f.reshape(f.shape[0], f.shape[1], m), m


def _scale(f: np.ndarray, normalize: bool) -> float:
    """1 / (C M) when normalising (Johnson et al.), else 1."""
    if not isinstance(normalize, (bool, np.bool_)):
        raise TypeError(f"normalize must be a bool, got {type(normalize).__name__}")
    size = f.shape[1] * int(np.prod(f.shape[2:]))
    return 1.0 / size if normalize and size else 1.0


# --8<-- [start:gram_matrix]
@propagates_nonfinite
def gram_matrix(features: ArrayLike, normalize: bool = True) -> np.ndarray:
    """``G[n, c, d] = sum_m F[n, c, m] F[n, d, m] / (C M)``, F the features flattened to (N, C, M).

    Parameters
    ----------
    features : array_like, shape (N, C, H, W) or (N, C, *spatial)
    normalize : bool, default True
        Divide by C M (Johnson et al., 2016); False gives Gatys et al.'s ``F F^T``.

    Returns
    -------
    numpy.ndarray, shape (N, C, C)
        Symmetric, positive semi-definite.

    Examples
    --------
    >>> # one image, channels [1, 2] and [3, 4] over M = 2 positions (C M = 4):
    >>> # G = [[1 + 4, 3 + 8], [3 + 8, 9 + 16]] / 4
    >>> gram_matrix([[[[1.0, 2.0]], [[3.0, 4.0]]]])
    array([[[1.25, 2.75],
            [2.75, 6.25]]])
    """
    f = _check_features(features, "features")
    flat, _ = _flat(f)
    # F F^T per image: (N, C, M) @ (N, M, C)
    return (flat @ flat.transpose(0, 2, 1)) * f.dtype.type(_scale(f, normalize))
# --8<-- [end:gram_matrix]


# --8<-- [start:gram_matrix_backward]
@propagates_nonfinite
def gram_matrix_backward(grad_out: ArrayLike, features: ArrayLike, normalize: bool = True) -> np.ndarray:
    """Gradient of :func:`gram_matrix` with respect to ``features``: ``(g + g^T) F / (C M)``.

    Parameters
    ----------
    grad_out : array_like, shape (N, C, C)
    features, normalize : the forward arguments

    Returns
    -------
    numpy.ndarray, the shape of ``features``

    Examples
    --------
    >>> # C = 1, M = 1, not normalised: G = f^2, so dG/df = 2 f = 6 at f = 3
    >>> gram_matrix_backward([[[1.0]]], [[[3.0]]], normalize=False)
    array([[[6.]]])
    """
    f = _check_features(features, "features")
    flat, _ = _flat(f)
    g = as_grad_out(grad_out, (f.shape[0], f.shape[1], f.shape[1]), f.dtype)
    # G = s F F^T: dF = s (g + g^T) F, since every F[c, m] appears in row c and in column c
    return ((g + g.transpose(0, 2, 1)) @ flat * f.dtype.type(_scale(f, normalize))).reshape(f.shape)
# --8<-- [end:gram_matrix_backward]


def _check_style(gen_feats: ArrayLike, style_feats: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    gen = _check_features(gen_feats, "gen_feats")
    style = _check_features(style_feats, "style_feats").astype(gen.dtype, copy=False)
    if style.shape[:2] != gen.shape[:2]:
        raise ValueError(
            f"style_feats must have the batch size and channels (N, C) = {gen.shape[:2]} of gen_feats "
            f"(its spatial size may differ), got shape {style.shape}"
        )
    if gen.shape[0] * gen.shape[1] == 0:
        raise ValueError(f"gen_feats of shape {gen.shape} is empty: a mean over no Gram entries is undefined")
    return gen, style


# --8<-- [start:style_loss]
@propagates_nonfinite
def style_loss(gen_feats: ArrayLike, style_feats: ArrayLike) -> np.floating:
    """``mean((gram_matrix(gen_feats) - gram_matrix(style_feats))**2)``, one layer's style loss.

    Parameters
    ----------
    gen_feats : array_like, shape (N, C, H, W)
        Features of the image being optimised.
    style_feats : array_like, shape (N, C, H', W')
        The style image's features (any spatial size; a target, not differentiated).

    Returns
    -------
    numpy scalar of gen_feats' float dtype

    Examples
    --------
    >>> # C = 1, M = 2: G_gen = (1 + 1) / 2 = 1, G_style = (4 + 0) / 2 = 2: (1 - 2)^2 = 1
    >>> float(style_loss([[[[1.0, 1.0]]]], [[[[2.0, 0.0]]]]))
    1.0
    """
    gen, style = _check_style(gen_feats, style_feats)
    diff = gram_matrix(gen) - gram_matrix(style)
    return diff.dtype.type(np.mean(diff * diff))
# --8<-- [end:style_loss]


# --8<-- [start:style_loss_backward]
@propagates_nonfinite
def style_loss_backward(grad_out: ArrayLike, gen_feats: ArrayLike, style_feats: ArrayLike) -> np.ndarray:
    """Gradient of :func:`style_loss` w.r.t. ``gen_feats``: ``4 (G_gen - G_style) F / (N C^2 C M)``.

    Parameters
    ----------
    grad_out : array_like, shape ()
    gen_feats, style_feats : the forward arguments

    Returns
    -------
    numpy.ndarray, the shape of ``gen_feats``

    Examples
    --------
    >>> # the example of style_loss: G_gen - G_style = -1, F = [1, 1], N C^2 = 1, C M = 2:
    >>> # dF = 4 * (-1) * [1, 1] / 2 = [-2, -2]
    >>> style_loss_backward(1.0, [[[[1.0, 1.0]]]], [[[[2.0, 0.0]]]])
    array([[[[-2., -2.]]]])
    """
    gen, style = _check_style(gen_feats, style_feats)
    g = as_grad_out(grad_out, (), gen.dtype)
    diff = gram_matrix(gen) - gram_matrix(style)
    # d mean(diff^2) / d G_gen = 2 diff / (number of entries)
    return gram_matrix_backward(g * 2 * diff / gen.dtype.type(diff.size), gen)
# --8<-- [end:style_loss_backward]


def _check_images(img: ArrayLike) -> np.ndarray:
    x = as_float_array(img, "img")
    if x.ndim != 4:
        raise ValueError(f"img must have shape (N, C, H, W), got shape {x.shape}")
    return x


# --8<-- [start:total_variation]
@propagates_nonfinite
def total_variation(img: ArrayLike) -> np.ndarray:
    """Summed absolute differences of vertical and horizontal neighbours, per image.

    Anisotropic and not averaged, as ``tf.image.total_variation``.

    Parameters
    ----------
    img : array_like, shape (N, C, H, W)

    Returns
    -------
    numpy.ndarray, shape (N,)

    Examples
    --------
    >>> # [[0, 1], [3, 1]]: vertical |3 - 0| + |1 - 1| = 3, horizontal |1 - 0| + |1 - 3| = 3
    >>> total_variation([[[[0.0, 1.0], [3.0, 1.0]]]])
    array([6.])
    """
    x = _check_images(img)
    # differences of vertical and of horizontal neighbours, summed per image
    down = np.abs(np.diff(x, axis=2)).sum(axis=(1, 2, 3))
    right = np.abs(np.diff(x, axis=3)).sum(axis=(1, 2, 3))
    return down + right
# --8<-- [end:total_variation]


# --8<-- [start:total_variation_backward]
@propagates_nonfinite
def total_variation_backward(grad_out: ArrayLike, img: ArrayLike) -> np.ndarray:
    """Gradient of :func:`total_variation`: each difference d sends ``sign(d)`` to its later pixel
    and ``-sign(d)`` to its earlier one (0 at d = 0, as PyTorch's ``abs``).

    Parameters
    ----------
    grad_out : array_like, shape (N,)
    img : the forward argument

    Returns
    -------
    numpy.ndarray, shape (N, C, H, W)

    Examples
    --------
    >>> # one row [0, 2, 1]: differences +2, -1, signs +1, -1: dx = [-1, 1 + 1, -1]
    >>> total_variation_backward([1.0], [[[[0.0, 2.0, 1.0]]]])
    array([[[[-1.,  2., -1.]]]])
    """
    x = _check_images(img)
    g = as_grad_out(grad_out, (x.shape[0],), x.dtype).reshape(-1, 1, 1, 1)
    out = np.zeros_like(x)
    down, right = np.sign(np.diff(x, axis=2)) * g, np.sign(np.diff(x, axis=3)) * g
    # +sign to the later neighbour, -sign to the earlier one
    out[:, :, 1:, :] += down
    out[:, :, :-1, :] -= down
    out[:, :, :, 1:] += right
    out[:, :, :, :-1] -= right
    return out
# --8<-- [end:total_variation_backward]
