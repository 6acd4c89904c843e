"""GAN losses: the discriminator's and the generator's binary cross-entropies on logits, the
Wasserstein critic's loss, and the optimal discriminator of Goodfellow et al. (2014)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_bool, as_float_array, as_grad_out, check_same_shape, propagates_nonfinite
from snippets.activations.sigmoid import sigmoid

__all__ = [
    "discriminator_loss",
    "discriminator_loss_backward",
    "generator_loss",
    "generator_loss_backward",
    "wgan_critic_loss",
    "wgan_critic_loss_backward",
    "optimal_discriminator",
]


def _nonempty(x: ArrayLike, name: str) -> np.ndarray:
    """``x`` as a float array of any shape with at least one element (a batch to average over)."""
    arr = as_float_array(x, name)
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty (a mean over no samples), got shape {arr.shape}")
    return arr


def _pair(real: ArrayLike, fake: ArrayLike, real_name: str, fake_name: str) -> tuple[np.ndarray, np.ndarray]:
    """Two non-empty batches (sizes may differ) in their common float dtype."""
    real, fake = _nonempty(real, real_name), _nonempty(fake, fake_name)
    dtype = np.result_type(real, fake)
    return real.astype(dtype, copy=False), fake.astype(dtype, copy=False)


def _softplus(z: np.ndarray) -> np.ndarray:
    """``log(1 + e^z)`` without overflow: ``max(z, 0) + log(1 + e^-|z|)``; 0 at -inf, inf at +inf."""
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


# --8<-- [start:discriminator_loss]
@propagates_nonfinite
def discriminator_loss(real_logits: ArrayLike, fake_logits: ArrayLike) -> np.floating:
    """The discriminator's loss: binary cross-entropy with real samples labelled 1 and fakes 0.

    ``BCE(real_logits -> 1) + BCE(fake_logits -> 0)``, each the mean over its own batch (the sum
    of two means, as in PyTorch's DCGAN example), as ``F.binary_cross_entropy_with_logits``.

    Parameters
    ----------
    real_logits : array_like, shape (*)
        Discriminator logits ``D(x)`` on real samples (before the sigmoid), at least one.
    fake_logits : array_like, shape (*)
        Discriminator logits ``D(G(z))`` on generated samples; the batch size may differ.

    Returns
    -------
    numpy scalar
        ``mean(softplus(-real_logits)) + mean(softplus(fake_logits))``, in the common float
        dtype; finite for finite logits, and the limit (0 or inf) at ``+-inf``.

    Examples
    --------
    >>> # an undecided discriminator (D = 1/2 everywhere): log 2 + log 2 = 2 ln 2
    >>> round(float(discriminator_loss([0.0, 0.0], [0.0])), 6)
    1.386294
    """
    real, fake = _pair(real_logits, fake_logits, "real_logits", "fake_logits")
    # -log sigmoid(r) = softplus(-r): the cost of calling a real sample real
    # -log(1 - sigmoid(f)) = softplus(f): the cost of calling a fake sample fake
    return np.mean(_softplus(-real)) + np.mean(_softplus(fake))
# --8<-- [end:discriminator_loss]


# --8<-- [start:discriminator_loss_backward]
@propagates_nonfinite
def discriminator_loss_backward(
    grad_out: ArrayLike, real_logits: ArrayLike, fake_logits: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`discriminator_loss` with respect to both batches of logits.

    Parameters
    ----------
    grad_out : array_like, shape ()
    real_logits, fake_logits : array_like, shape (*)

    Returns
    -------
    d_real, d_fake : ndarray, the shapes of the inputs
        ``grad_out * (sigmoid(r) - 1) / r.size`` and ``grad_out * sigmoid(f) / f.size``.

    Examples
    --------
    >>> d_real, d_fake = discriminator_loss_backward(1.0, [0.0, 0.0], [0.0])
    >>> print(d_real, d_fake)  # (1/2 - 1) / 2 each, and 1/2 / 1
    [-0.25 -0.25] [0.5]
    """
    real, fake = _pair(real_logits, fake_logits, "real_logits", "fake_logits")
    g = as_grad_out(grad_out, (), real.dtype)
    # d softplus(-r) / dr = -sigmoid(-r) = sigmoid(r) - 1: push real logits up
    d_real = g * (sigmoid(real) - 1) / real.size
    # d softplus(f) / df = sigmoid(f): push fake logits down
    d_fake = g * sigmoid(fake) / fake.size
    return d_real, d_fake
# --8<-- [end:discriminator_loss_backward]


# --8<-- [start:generator_loss]
@propagates_nonfinite
def generator_loss(fake_logits: ArrayLike, non_saturating: bool = True) -> np.floating:
    """The generator's loss, from the discriminator's logits on generated samples.

    Non-saturating (default): ``BCE(fake_logits -> 1) = -mean(log D(G(z)))``. Minimax
    (``non_saturating=False``): ``-BCE(fake_logits -> 0) = mean(log(1 - D(G(z))))``, the value
    function's own term, whose gradient vanishes when D rejects the fakes confidently.

    Parameters
    ----------
    fake_logits : array_like, shape (*)
        Discriminator logits on generated samples, at least one.
    non_saturating : bool, default True
        Which of the two losses.

    Returns
    -------
    numpy scalar
        ``mean(softplus(-f))`` (>= 0) or ``-mean(softplus(f))`` (minimax, <= 0), in f's dtype.

    Examples
    --------
    >>> round(float(generator_loss([0.0])), 6)  # D = 1/2: -log(1/2) = ln 2
    0.693147
    >>> round(float(generator_loss([0.0], non_saturating=False)), 6)  # log(1 - 1/2) = -ln 2
    -0.693147
    """
    fake = _nonempty(fake_logits, "fake_logits")
    if as_bool(non_saturating, "non_saturating"):
        # -log sigmoid(f) = softplus(-f): the generator wants its samples called real
        return np.mean(_softplus(-fake))
    # log(1 - sigmoid(f)) = -softplus(f): the generator lowers the discriminator's success
    return -np.mean(_softplus(fake))
# --8<-- [end:generator_loss]


# --8<-- [start:generator_loss_backward]
@propagates_nonfinite
def generator_loss_backward(
    grad_out: ArrayLike, fake_logits: ArrayLike, non_saturating: bool = True
) -> np.ndarray:
    """Gradient of :func:`generator_loss` with respect to ``fake_logits``.

    Parameters
    ----------
    grad_out : array_like, shape ()
    fake_logits : array_like, shape (*)
    non_saturating : bool, default True

    Returns
    -------
    ndarray, shape of ``fake_logits``
        ``grad_out * (sigmoid(f) - 1) / f.size`` or (minimax) ``-grad_out * sigmoid(f) / f.size``.

    Examples
    --------
    >>> generator_loss_backward(1.0, [0.0, 0.0])  # (1/2 - 1) / 2
    array([-0.25, -0.25])
    >>> generator_loss_backward(1.0, [0.0, 0.0], non_saturating=False)  # -(1/2) / 2
    array([-0.25, -0.25])
    """
    fake = _nonempty(fake_logits, "fake_logits")
    g = as_grad_out(grad_out, (), fake.dtype)
    if as_bool(non_saturating, "non_saturating"):
        # d softplus(-f) / df = sigmoid(f) - 1 = -(1 - D)
        return g * (sigmoid(fake) - 1) / fake.size
    # d(-softplus(f)) / df = -sigmoid(f) = -D: vanishes as D(G(z)) -> 0
    return -g * sigmoid(fake) / fake.size
# --8<-- [end:generator_loss_backward]


# --8<-- [start:wgan_critic_loss]
@propagates_nonfinite
def wgan_critic_loss(real_scores: ArrayLike, fake_scores: ArrayLike) -> np.floating:
    """The Wasserstein GAN critic's loss, to be minimised: ``mean(fake_scores) - mean(real_scores)``.

    Arjovsky et al. (2017) maximise ``E[f(x)] - E[f(G(z))]``; this is its negative. The scores
    are unbounded (no sigmoid); the generator's loss is ``-mean(fake_scores)``.

    Parameters
    ----------
    real_scores : array_like, shape (*)
        Critic outputs on real samples, at least one.
    fake_scores : array_like, shape (*)
        Critic outputs on generated samples; the batch size may differ.

    Returns
    -------
    numpy scalar
        The difference of the two means, in the common float dtype.

    Examples
    --------
    >>> float(wgan_critic_loss([1.0, 3.0], [0.5]))  # 0.5 - (1 + 3) / 2
    -1.5
    """
    real, fake = _pair(real_scores, fake_scores, "real_scores", "fake_scores")
    # an estimate of -(E f(real) - E f(fake)), the negative of the dual Wasserstein-1 objective
    return np.mean(fake) - np.mean(real)
# --8<-- [end:wgan_critic_loss]


# --8<-- [start:wgan_critic_loss_backward]
@propagates_nonfinite
def wgan_critic_loss_backward(
    grad_out: ArrayLike, real_scores: ArrayLike, fake_scores: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`wgan_critic_loss` with respect to both batches of scores.

    Parameters
    ----------
    grad_out : array_like, shape ()
    real_scores, fake_scores : array_like, shape (*)

    Returns
    -------
    d_real, d_fake : ndarray, the shapes of the inputs
        ``-grad_out / real_scores.size`` and ``grad_out / fake_scores.size`` everywhere.

    Examples
    --------
    >>> d_real, d_fake = wgan_critic_loss_backward(1.0, [1.0, 3.0], [0.5])
    >>> print(d_real, d_fake)
    [-0.5 -0.5] [1.]
    """
    real, fake = _pair(real_scores, fake_scores, "real_scores", "fake_scores")
    g = as_grad_out(grad_out, (), real.dtype)
    # each score enters its mean with weight 1 / batch size (real ones with a minus sign)
    d_real = np.full(real.shape, -g / real.size, dtype=real.dtype)
    d_fake = np.full(fake.shape, g / fake.size, dtype=fake.dtype)
    return d_real, d_fake
# --8<-- [end:wgan_critic_loss_backward]


def _densities(p_data: ArrayLike, p_g: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Two finite, non-negative arrays of one shape, in their common float dtype."""
    p, q = as_float_array(p_data, "p_data"), as_float_array(p_g, "p_g")
    check_same_shape(p, q, "p_data", "p_g")
    for arr, name in ((p, "p_data"), (q, "p_g")):
        bad = (arr < 0) | np.isinf(arr)
        if np.any(bad):
            raise ValueError(f"{name} must hold finite non-negative densities, found {arr[bad].ravel()[0]}")
    dtype = np.result_type(p, q)
    return p.astype(dtype, copy=False), q.astype(dtype, copy=False)


# --8<-- [start:optimal_discriminator]
@propagates_nonfinite
def optimal_discriminator(p_data: ArrayLike, p_g: ArrayLike) -> np.ndarray:
    """The best discriminator for a fixed generator: ``D*(x) = p_data(x) / (p_data(x) + p_g(x))``.

    It maximises ``E_data[log D] + E_g[log(1 - D)]`` point by point (Goodfellow et al., 2014,
    Proposition 1). A closed form, with no backward.

    Parameters
    ----------
    p_data : array_like, shape (*)
        Density (or probability) of the data at each point.
    p_g : array_like, shape (*)
        The generator's density at the same points, the same shape.

    Returns
    -------
    ndarray, shape (*)
        Values in [0, 1]; 1/2 where both densities are 0 (any D is optimal there). NaN in
        gives NaN; a negative or infinite density raises ``ValueError``.

    Examples
    --------
    >>> optimal_discriminator([0.3, 0.0, 0.0], [0.1, 0.2, 0.0])  # 0.3 / 0.4; 0 / 0.2; neither
    array([0.75, 0.  , 0.5 ])
    """
    p, q = _densities(p_data, p_g)
    # divide both by the larger one first: p + q cannot overflow, and the ratio is unchanged
    m = np.maximum(p, q)
    empty = m <= 0  # both densities 0 (NaN compares False and flows through as NaN)
    m = np.where(empty, 1, m)
    a, b = p / m, q / m
    # D* = p / (p + q), with 1/2 where neither distribution puts mass
    return np.where(empty, p.dtype.type(0.5), a / np.where(empty, 1, a + b))
# --8<-- [end:optimal_discriminator]
