"""Mixup and CutMix: train on convex combinations of pairs of examples and of their labels."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_probabilities, as_real_scalar, check_generator, propagates_nonfinite

__all__ = ["mixup", "cutmix"]


def _batch(x: ArrayLike, y_onehot: ArrayLike, alpha: float, rng: np.random.Generator | None):
    """Checked inputs, lambda ~ Beta(alpha, alpha), the partner permutation and the generator."""
    x = as_float_array(x, "x")
    y = as_probabilities(y_onehot, "y_onehot")
    if x.ndim < 1 or y.ndim != 2 or x.shape[0] != y.shape[0]:
        raise ValueError(
            f"x must have shape (N, *) and y_onehot shape (N, C) with the same N, got shapes {x.shape} and {y.shape}"
        )
    alpha = as_real_scalar(alpha, "alpha", low=0.0, high=1e4, low_open=True)
    rng = np.random.default_rng() if rng is None else check_generator(rng)
    lam = float(rng.beta(alpha, alpha))  # one mixing weight for the whole batch, as in the papers
    index = rng.permutation(x.shape[0])  # example n is mixed with example index[n]
    return x, y, lam, index, rng


def _mix(lam: float, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``lam a + (1 - lam) b``; a weight of exactly 0 drops its term (even where it is inf or NaN)."""
    if lam == 1.0:
        return a.copy()
    if lam == 0.0:
        return b.copy()
    return lam * a + (1 - lam) * b


# --8<-- [start:mixup]
@propagates_nonfinite
def mixup(
    x: ArrayLike, y_onehot: ArrayLike, alpha: float = 0.2, rng: np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """Mixup: ``lam * x + (1 - lam) * x[index]`` and the same mixture of the labels.

    One ``lam ~ Beta(alpha, alpha)`` per call and a random permutation ``index`` pair every
    example with another of the same batch (Zhang et al., 2018). Training on the mixed labels with
    a cross-entropy that accepts probabilities is the same as ``lam * CE(y) + (1 - lam) * CE(y[index])``.

    Parameters
    ----------
    x : array_like, shape (N, *)
        A batch of N inputs (images, feature vectors, hidden activations).
    y_onehot : array_like, shape (N, C)
        Their one-hot (or soft) labels, probabilities in [0, 1].
    alpha : float, default 0.2
        Beta parameter, in (0, 1e4]: small values keep most mixtures close to one of the two
        examples, ``alpha = 1`` draws ``lam`` uniformly.
    rng : numpy.random.Generator, optional
        Source of ``lam`` and of the permutation (a fresh unseeded generator if None).

    Returns
    -------
    x_mixed : ndarray, shape (N, *)
        The mixed inputs; float dtype of ``x``.
    y_mixed : ndarray, shape (N, C)
        The mixed labels; each row still sums to the same total as the originals.
    lam : float
        The mixing weight drawn.
    index : ndarray of int64, shape (N,)
        The partner of each example.

    Examples
    --------
    >>> x, y = np.array([[0.0, 0.0], [10.0, 20.0]]), np.eye(2)
    >>> xm, ym, lam, index = mixup(x, y, alpha=1.0, rng=np.random.default_rng(0))
    >>> bool(np.allclose(xm, lam * x + (1 - lam) * x[index]))  # one line of algebra
    True
    >>> ym.sum(axis=1)  # still probabilities
    array([1., 1.])
    """
    x, y, lam, index, _ = _batch(x, y_onehot, alpha, rng)
    # the same convex combination for the inputs and for the labels
    return _mix(lam, x, x[index]), _mix(lam, y, y[index]), lam, index
# --8<-- [end:mixup]


# --8<-- [start:cutmix]
@propagates_nonfinite
def cutmix(
    x: ArrayLike, y_onehot: ArrayLike, alpha: float = 1.0, rng: np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """CutMix: paste a random box of ``x[index]`` into each image; mix the labels by area.

    ``lam ~ Beta(alpha, alpha)`` sets the box to ``sqrt(1 - lam)`` of the height and width around
    a uniformly drawn centre, clipped at the borders (Yun et al., 2019). The labels are mixed with
    the weight actually kept, ``lam = 1 - box area / (H W)``, which is what is returned.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
        A batch of N images.
    y_onehot : array_like, shape (N, C_classes)
        Their one-hot (or soft) labels, probabilities in [0, 1].
    alpha : float, default 1.0
        Beta parameter, in (0, 1e4]; 1 draws the box area uniformly.
    rng : numpy.random.Generator, optional
        Source of ``lam``, the centre and the permutation.

    Returns
    -------
    x_mixed : ndarray, shape (N, C, H, W)
        The images with the box replaced; float dtype of ``x``.
    y_mixed : ndarray, shape (N, C_classes)
        ``lam * y + (1 - lam) * y[index]`` with the kept-area ``lam``.
    lam : float
        The fraction of each image that was kept.
    index : ndarray of int64, shape (N,)
        The image each box came from.

    Examples
    --------
    >>> x, y = np.stack([np.zeros((1, 4, 4)), np.ones((1, 4, 4))]), np.eye(2)
    >>> xm, ym, lam, index = cutmix(x, y, rng=np.random.default_rng(1))
    >>> bool(np.isclose(1 - lam, np.mean(xm[0] != x[0])))  # the pasted fraction of image 0
    True
    """
    x = as_float_array(x, "x")
    if x.ndim != 4:
        raise ValueError(f"x must be a batch of images of shape (N, C, H, W), got shape {x.shape}")
    x, y, lam, index, rng = _batch(x, y_onehot, alpha, rng)
    h, w = x.shape[2], x.shape[3]
    # a box of sqrt(1 - lam) of each side, centred uniformly, clipped to the image
    cut_h, cut_w = int(h * np.sqrt(1 - lam)), int(w * np.sqrt(1 - lam))
    cy, cx = int(rng.integers(h)), int(rng.integers(w))
    top, bottom = max(cy - cut_h // 2, 0), min(cy + cut_h // 2, h)
    left, right = max(cx - cut_w // 2, 0), min(cx + cut_w // 2, w)
    x_mixed = x.copy()
    x_mixed[:, :, top:bottom, left:right] = x[index][:, :, top:bottom, left:right]
    # the label weight is the area actually kept, after clipping
    lam = 1.0 - (bottom - top) * (right - left) / (h * w)
    return x_mixed, _mix(lam, y, y[index]), lam, index
# --8<-- [end:cutmix]
