"""Fine-tuning: continue training a pretrained model on a new task, with a smaller learning rate for
the layers nearer the input (layer-wise learning-rate decay, discriminative fine-tuning)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_int, as_real_scalar, check_same_shape, propagates_nonfinite

__all__ = ["layerwise_lrs", "fine_tune_step"]


# --8<-- [start:layerwise_lrs]
def layerwise_lrs(base_lr: float, num_layers: int, decay: float = 0.8) -> np.ndarray:
    """Learning rates that shrink geometrically from the top layer down: ``base_lr * decay ** (L - 1 - l)``.

    Layer ``l = 0`` is the one nearest the input (the embeddings), ``l = L - 1`` the one nearest
    the output (the new head, or the top block), which gets ``base_lr`` itself. Put each layer's
    parameters in its own ``torch.optim`` parameter group with ``"lr": lrs[l]``.

    Parameters
    ----------
    base_lr : float
        Learning rate of the top layer, ``> 0``.
    num_layers : int
        Number of layers L (parameter groups), ``>= 1``.
    decay : float, default 0.8
        Factor between neighbouring layers, in ``(0, 1]``; 1 gives every layer ``base_lr``.

    Returns
    -------
    ndarray of float64, shape (num_layers,)
        From the bottom layer to the top one.

    Examples
    --------
    Four layers, top rate 1e-3, factor 1/2: 1e-3 / 8, 1e-3 / 4, 1e-3 / 2, 1e-3.

    >>> layerwise_lrs(1e-3, 4, decay=0.5)
    array([0.000125, 0.00025 , 0.0005  , 0.001   ])
    """
    base_lr = as_real_scalar(base_lr, "base_lr", low=0.0, low_open=True)
    num_layers = as_int(num_layers, "num_layers", low=1)
    decay = as_real_scalar(decay, "decay", low=0.0, high=1.0, low_open=True)
    # distance from the top: L - 1 for the bottom layer, 0 for the top one
    depth_from_top = np.arange(num_layers - 1, -1, -1, dtype=np.float64)
    return base_lr * decay**depth_from_top
# --8<-- [end:layerwise_lrs]


# --8<-- [start:fine_tune_step]
@propagates_nonfinite
def fine_tune_step(
    params: Sequence[ArrayLike], grads: Sequence[ArrayLike], lrs: ArrayLike, weight_decay: float = 0.0
) -> list[np.ndarray]:
    """One SGD step with its own learning rate per parameter group, as ``torch.optim.SGD`` with groups.

    ``torch.optim.SGD([{"params": [p_0], "lr": lrs[0]}, ...], weight_decay=weight_decay)``: every
    group moves by ``-lr_g (grad + weight_decay * param)``. A learning rate of 0 freezes a group.

    Parameters
    ----------
    params : sequence of array_like
        The groups' parameters (one array per group, any shapes).
    grads : sequence of array_like
        Their gradients, the same shapes, in the same order.
    lrs : array_like, shape (len(params),)
        Learning rate per group, each ``>= 0`` (e.g. from :func:`layerwise_lrs`).
    weight_decay : float, default 0.0
        L2 coefficient added to each gradient, ``>= 0``; it pulls towards 0, not towards the
        pretrained values.

    Returns
    -------
    list of ndarray
        The new parameters, one per group; the inputs are not modified.

    Examples
    --------
    Two groups with the same gradient 1 and learning rates 0.1 and 0: the second is frozen.

    >>> fine_tune_step([[1.0, 1.0], [2.0]], [[1.0, 1.0], [1.0]], [0.1, 0.0])
    [array([0.9, 0.9]), array([2.])]
    """
    if len(params) != len(grads):
        raise ValueError(f"grads must hold one array per group of params: {len(params)} params, {len(grads)} grads")
    lrs = as_float_array(lrs, "lrs")
    if lrs.shape != (len(params),):
        raise ValueError(f"lrs must have shape (len(params),) = ({len(params)},), got {lrs.shape}")
    if np.any(lrs < 0):
        raise ValueError(f"lrs must be >= 0, got {lrs.tolist()}")
    weight_decay = as_real_scalar(weight_decay, "weight_decay", low=0.0)
    new = []
    for i, (p, g) in enumerate(zip(params, grads)):
        p, g = as_float_array(p, f"params[{i}]"), as_float_array(g, f"grads[{i}]")
        check_same_shape(p, g, f"params[{i}]", f"grads[{i}]")
        d = g.astype(p.dtype, copy=False)
        if weight_decay:  # the L2 pull towards 0 (skipped at 0, as PyTorch skips it)
            d = d + p.dtype.type(weight_decay) * p
        # plain SGD in this group, at the group's own rate
        new.append(p - p.dtype.type(lrs[i]) * d)
    return new
# --8<-- [end:fine_tune_step]
