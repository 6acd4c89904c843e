"""Data augmentation: random label-preserving transforms of training images (flips and crops)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_int, as_real_scalar, check_generator

__all__ = ["random_horizontal_flip", "random_crop"]


def _as_images(x: ArrayLike) -> np.ndarray:
    x = as_float_array(x, "x")
    if x.ndim != 4:
        raise ValueError(f"x must be a batch of images of shape (N, C, H, W), got shape {x.shape}")
    return x


# --8<-- [start:random_horizontal_flip]
def random_horizontal_flip(
    x: ArrayLike, rng: np.random.Generator, p: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Mirror each image left-right with probability ``p``, independently per image.

    Per image, the transform of ``torchvision.transforms.RandomHorizontalFlip(p)``: the width
    axis is reversed. (torchvision draws one coin per call, so a batched tensor is flipped all
    together; here every image of the batch gets its own coin.)

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
        A batch of N images with C channels.
    rng : numpy.random.Generator
        Source of the coin flips.
    p : float, default 0.5
        Probability of flipping each image, in [0, 1].

    Returns
    -------
    y : ndarray, shape (N, C, H, W)
        A new array: ``x[n, :, :, ::-1]`` where flipped, ``x[n]`` elsewhere; float dtype of ``x``.
    flipped : ndarray of bool, shape (N,)
        Which images were mirrored.

    Examples
    --------
    >>> x = np.arange(3.0).reshape(1, 1, 1, 3)  # one image with one row: 0 1 2
    >>> random_horizontal_flip(x, np.random.default_rng(0), p=1.0)
    (array([[[[2., 1., 0.]]]]), array([ True]))
    """
    x = _as_images(x)
    check_generator(rng)
    p = as_real_scalar(p, "p", low=0.0, high=1.0)
    # one coin per image: flip when a uniform draw on [0, 1) falls below p (probability exactly p)
    flipped = rng.random(x.shape[0]) < p
    # reverse the width axis of the chosen images; np.where builds a new array
    return np.where(flipped[:, None, None, None], x[..., ::-1], x), flipped
# --8<-- [end:random_horizontal_flip]


def _check_size(size: int | tuple[int, int]) -> tuple[int, int]:
    if isinstance(size, tuple):
        if len(size) != 2:
            raise ValueError(f"size must be an int or a pair (h, w), got {size!r}")
        return as_int(size[0], "size[0]", low=1), as_int(size[1], "size[1]", low=1)
    s = as_int(size, "size", low=1)
    return s, s


# --8<-- [start:random_crop]
def random_crop(
    x: ArrayLike, size: int | tuple[int, int], rng: np.random.Generator, padding: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Cut a random ``size`` window out of each image, after zero-padding its borders.

    Per image, the transform of ``torchvision.transforms.RandomCrop(size, padding)`` with the
    default constant fill 0: pad ``padding`` pixels on all four sides, then choose the top-left
    corner uniformly among all positions where the window fits.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
        A batch of images.
    size : int or (int, int)
        Output height and width ``(h, w)`` (an int means a square), each ``>= 1`` and at most the
        padded size ``H + 2 * padding``, ``W + 2 * padding``.
    rng : numpy.random.Generator
        Source of the window positions.
    padding : int, default 0
        Zero pixels added on every side before cropping, ``>= 0``.

    Returns
    -------
    y : ndarray, shape (N, C, h, w)
        The crops, in the float dtype of ``x``.
    offsets : ndarray of int64, shape (N, 2)
        Top-left corner ``(i, j)`` of each window in the padded image: ``y[n] ==
        padded[n, :, i:i + h, j:j + w]``.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)  # rows 0 1 2 / 3 4 5 / 6 7 8
    >>> y, offsets = random_crop(x, 3, np.random.default_rng(0))  # the window fills the image
    >>> bool(np.array_equal(y, x)), offsets.tolist()
    (True, [[0, 0]])
    >>> y, offsets = random_crop(x, 2, np.random.default_rng(0))  # a 2 x 2 window at offsets[0]
    >>> i, j = offsets[0]
    >>> bool(np.array_equal(y[0, 0], x[0, 0, i:i + 2, j:j + 2]))
    True
    """
    x = _as_images(x)
    h, w = _check_size(size)
    check_generator(rng)
    padding = as_int(padding, "padding", low=0)
    n, c, height, width = x.shape
    ph, pw = height + 2 * padding, width + 2 * padding
    if h > ph or w > pw:
        raise ValueError(
            f"size (h, w) = ({h}, {w}) does not fit in the padded image of {ph} x {pw} "
            f"(image {height} x {width}, padding {padding})"
        )
    # zero padding on the two spatial axes
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    # top-left corners, uniform over the ph - h + 1 by pw - w + 1 valid positions
    offsets = np.stack([rng.integers(0, ph - h + 1, n), rng.integers(0, pw - w + 1, n)], axis=1).astype(np.int64)
    # gather every window at once: rows i..i+h-1 and columns j..j+w-1 of image n
    rows = offsets[:, 0, None] + np.arange(h)
    cols = offsets[:, 1, None] + np.arange(w)
    crops = padded[np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None],
                   rows[:, None, :, None], cols[:, None, None, :]]
    return crops, offsets
# --8<-- [end:random_crop]
