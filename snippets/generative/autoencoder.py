"""Autoencoder: an encoder squeezes the input into a smaller code, a decoder rebuilds the input from
it, and both are trained to make the reconstruction match the input."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, check_same_shape, check_shape, propagates_nonfinite
from snippets.activations.relu import relu, relu_backward
from snippets.activations.sigmoid import sigmoid, sigmoid_backward
from snippets.activations.tanh import tanh, tanh_backward
from snippets.layers.fully_connected_layer import linear, linear_backward
from snippets.losses.loss_function import mse_loss, mse_loss_backward

__all__ = ["autoencoder_forward", "autoencoder_forward_backward", "reconstruction_loss", "reconstruction_loss_backward"]

# the encoder's non-linearities, each with its derivative; None is the identity (a linear autoencoder)
ENCODER_ACTIVATIONS: dict[Callable | None, Callable | None] = {
    relu: relu_backward, sigmoid: sigmoid_backward, tanh: tanh_backward, None: None,
}


def _check_autoencoder(
    x: ArrayLike, W_enc: ArrayLike, b_enc: ArrayLike, W_dec: ArrayLike, b_dec: ArrayLike, activation: object
) -> tuple[np.ndarray, ...]:
    """Validate the shapes (x (*, D), W_enc (K, D), b_enc (K,), W_dec (D, K), b_dec (D,)) and the
    activation; return the five arrays in their common float dtype."""
    if not (activation is None or any(activation is f for f in ENCODER_ACTIVATIONS)):
        raise ValueError(
            "activation must be snippets' relu, sigmoid or tanh, or None (linear), "
            f"got {getattr(activation, '__name__', type(activation).__name__)}"
        )
    x, we = as_float_array(x, "x"), as_float_array(W_enc, "W_enc")
    be, wd, bd = as_float_array(b_enc, "b_enc"), as_float_array(W_dec, "W_dec"), as_float_array(b_dec, "b_dec")
    if x.ndim == 0:
        raise ValueError(f"x must have shape (*, D) with D features, got shape {x.shape}")
    d = x.shape[-1]
    if we.ndim != 2 or we.shape[1] != d:
        raise ValueError(f"W_enc must have shape (K, D) with D = {d} as in x of shape {x.shape}, got {we.shape}")
    k = we.shape[0]
    where = f"x of shape {x.shape} and W_enc of shape {we.shape}"
    check_shape(be, (k,), "b_enc", "(K,)", where)
    check_shape(wd, (d, k), "W_dec", "(D, K)", where)
    check_shape(bd, (d,), "b_dec", "(D,)", where)
    dtype = np.result_type(x, we, be, wd, bd)
    return tuple(a.astype(dtype, copy=False) for a in (x, we, be, wd, bd))


# --8<-- [start:autoencoder_forward]
@propagates_nonfinite
def autoencoder_forward(
    x: ArrayLike,
    W_enc: ArrayLike,
    b_enc: ArrayLike,
    W_dec: ArrayLike,
    b_dec: ArrayLike,
    activation: Callable | None = relu,
) -> np.ndarray:
    """Reconstruction by a one-hidden-layer autoencoder: encode to K features, decode back to D.

    ``h = activation(x @ W_enc.T + b_enc)`` is the code, ``x_hat = h @ W_dec.T + b_dec`` the
    reconstruction: ``nn.Sequential(nn.Linear(D, K), nn.ReLU(), nn.Linear(K, D))`` with the
    weights in PyTorch's (out_features, in_features) layout. The decoder's output is linear (for
    real-valued data and a squared error); with ``activation=None`` the whole map is linear.

    Parameters
    ----------
    x : array_like, shape (*, D)
        Inputs with D features and any leading (batch) axes.
    W_enc : array_like, shape (K, D)
        Encoder weights; K < D makes the code a bottleneck (an undercomplete autoencoder).
    b_enc : array_like, shape (K,)
    W_dec : array_like, shape (D, K)
        Decoder weights.
    b_dec : array_like, shape (D,)
    activation : snippets' ``relu``, ``sigmoid`` or ``tanh``, or None, default ``relu``
        The encoder's non-linearity (None: identity, a linear autoencoder).

    Returns
    -------
    ndarray, shape (*, D)
        The reconstruction ``x_hat``, in the common float dtype of the inputs.

    Examples
    --------
    >>> # D = 2, K = 1: the code is relu(x1 + x2); the decoder copies it to both features.
    >>> # x = (1, 2): h = 3, x_hat = (3, 3) + b_dec = (3.5, 2.5)
    >>> autoencoder_forward([[1.0, 2.0]], [[1.0, 1.0]], [0.0], [[1.0], [1.0]], [0.5, -0.5])
    array([[3.5, 2.5]])
    """
    x, W_enc, b_enc, W_dec, b_dec = _check_autoencoder(x, W_enc, b_enc, W_dec, b_dec, activation)
    # encoder: affine map to K features, then the non-linearity: the code h
    pre = linear(x, W_enc, b_enc)
    h = pre if activation is None else activation(pre)
    # decoder: affine map back to D features
    return linear(h, W_dec, b_dec)
# --8<-- [end:autoencoder_forward]


# --8<-- [start:autoencoder_forward_backward]
@propagates_nonfinite
def autoencoder_forward_backward(
    grad_out: ArrayLike,
    x: ArrayLike,
    W_enc: ArrayLike,
    b_enc: ArrayLike,
    W_dec: ArrayLike,
    b_dec: ArrayLike,
    activation: Callable | None = relu,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`autoencoder_forward` with respect to ``x`` and the four parameters.

    Parameters
    ----------
    grad_out : array_like, shape (*, D)
        Upstream gradient dL/dx_hat, the shape of the reconstruction.
    x, W_enc, b_enc, W_dec, b_dec, activation
        The forward inputs.

    Returns
    -------
    tuple of ndarray
        ``(dx, dW_enc, db_enc, dW_dec, db_dec)``, each of its argument's shape: back through the
        decoder (``dh = grad_out @ W_dec``), the activation, and the encoder.

    Examples
    --------
    >>> # as in the forward example: h = 3 > 0, so relu passes the gradient; dh = g @ W_dec = 1 + 1
    >>> dx, dwe, dbe, dwd, dbd = autoencoder_forward_backward(
    ...     [[1.0, 1.0]], [[1.0, 2.0]], [[1.0, 1.0]], [0.0], [[1.0], [1.0]], [0.5, -0.5])
    >>> print(dx, dwe, dbe, dwd.ravel(), dbd)  # dx = 2 W_enc, dW_enc = 2 x, dW_dec = g h
    [[2. 2.]] [[2. 4.]] [2.] [3. 3.] [1. 1.]
    """
    x, W_enc, b_enc, W_dec, b_dec = _check_autoencoder(x, W_enc, b_enc, W_dec, b_dec, activation)
    g = as_grad_out(grad_out, x.shape, x.dtype)
    # recompute the forward pass: pre-activations and code
    pre = linear(x, W_enc, b_enc)
    h = pre if activation is None else activation(pre)
    # decoder: x_hat = h W_dec^T + b_dec
    dh, dW_dec, db_dec = linear_backward(g, h, W_dec, b_dec)
    # the activation's derivative at the pre-activations
    dpre = dh if activation is None else ENCODER_ACTIVATIONS[activation](dh, pre)
    # encoder: pre = x W_enc^T + b_enc
    dx, dW_enc, db_enc = linear_backward(dpre, x, W_enc, b_enc)
    return dx, dW_enc, db_enc, dW_dec, db_dec
# --8<-- [end:autoencoder_forward_backward]


def _check_reconstruction(x: ArrayLike, x_hat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``x_hat`` and ``x`` of one non-empty shape, ``x`` cast to the dtype of ``x_hat``."""
    x_hat, x = as_float_array(x_hat, "x_hat"), as_float_array(x, "x")
    check_same_shape(x, x_hat, "x", "x_hat")
    if x.size == 0:
        raise ValueError(f"x must not be empty (a mean over no elements), got shape {x.shape}")
    return x.astype(x_hat.dtype, copy=False), x_hat


# --8<-- [start:reconstruction_loss]
@propagates_nonfinite
def reconstruction_loss(x: ArrayLike, x_hat: ArrayLike) -> np.floating:
    """Mean squared reconstruction error ``mean((x_hat - x)^2)`` over every element.

    The same value as ``torch.nn.functional.mse_loss(x_hat, x)`` (``reduction="mean"``). Many
    autoencoder papers sum over the D features and average over the batch instead, which is
    D times this value.

    Parameters
    ----------
    x : array_like, shape (*)
        The inputs (the target), non-empty.
    x_hat : array_like, shape (*)
        Their reconstructions, the same shape; ``x`` is cast to its dtype.

    Returns
    -------
    numpy scalar
        In the float dtype of ``x_hat``.

    Examples
    --------
    >>> float(reconstruction_loss([[1.0, 2.0]], [[3.5, 2.5]]))  # (2.5^2 + 0.5^2) / 2
    3.25
    """
    x, x_hat = _check_reconstruction(x, x_hat)
    # squared residual of every element, averaged: the mean squared error of x_hat against x
    return mse_loss(x_hat, x)
# --8<-- [end:reconstruction_loss]


# --8<-- [start:reconstruction_loss_backward]
@propagates_nonfinite
def reconstruction_loss_backward(grad_out: ArrayLike, x: ArrayLike, x_hat: ArrayLike) -> np.ndarray:
    """Gradient of :func:`reconstruction_loss` with respect to ``x_hat`` (``x`` is the target).

    Parameters
    ----------
    grad_out : array_like, shape ()
        Upstream gradient of the scalar loss.
    x, x_hat : array_like, shape (*)
        The forward inputs.

    Returns
    -------
    ndarray, shape (*)
        ``grad_out * 2 * (x_hat - x) / x.size``.

    Examples
    --------
    >>> reconstruction_loss_backward(1.0, [[1.0, 2.0]], [[3.5, 2.5]])  # 2 (2.5, 0.5) / 2
    array([[2.5, 0.5]])
    """
    x, x_hat = _check_reconstruction(x, x_hat)
    # d/dx_hat of the mean of r^2: 2 r / (number of elements)
    return mse_loss_backward(grad_out, x_hat, x)
# --8<-- [end:reconstruction_loss_backward]
