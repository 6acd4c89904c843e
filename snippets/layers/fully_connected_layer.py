"""Fully connected layer: an affine map ``y = x W^T + b`` from every input feature to every output
feature. Layout and semantics of ``torch.nn.functional.linear`` / ``torch.nn.Linear``."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, check_shape, propagates_nonfinite

__all__ = ["linear", "linear_backward"]


def _check_linear(
    x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Validate ``x`` (*, in_features), ``weight`` (out_features, in_features), ``bias`` (out_features,).

    All arrays come back in one float dtype: float32 only if every one of them is float32.
    """
    x = as_float_array(x, "x")
    weight = as_float_array(weight, "weight")
    arrays = [x, weight] if bias is None else [x, weight, as_float_array(bias, "bias")]
    if weight.ndim != 2:
        raise ValueError(
            f"weight must be a 2-D array (out_features, in_features), got shape {weight.shape}"
        )
    out_features, in_features = weight.shape
    if x.ndim == 0 or x.shape[-1] != in_features:
        raise ValueError(
            f"x must have shape (*, in_features) with in_features = {in_features} as in weight "
            f"of shape {weight.shape}, got {x.shape}"
        )
    if bias is not None:
        check_shape(arrays[2], (out_features,), "bias", "(out_features,)", f"weight of shape {weight.shape}")
    dtype = np.result_type(*arrays)
    x, weight, *rest = (a.astype(dtype, copy=False) for a in arrays)
    return x, weight, (rest[0] if rest else None)


# --8<-- [start:linear]
@propagates_nonfinite
def linear(x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None) -> np.ndarray:
    """A fully connected layer, ``x @ weight.T + bias``, as ``torch.nn.functional.linear``.

    Parameters
    ----------
    x : array_like, shape (*, in_features)
        Inputs; any number of leading (batch) axes, including none.
    weight : array_like, shape (out_features, in_features)
        One row of weights per output feature (``nn.Linear.weight``, loadable as it is).
    bias : array_like, shape (out_features,), optional
        Added to every output row; ``None`` (the default) means no bias.

    Returns
    -------
    ndarray, shape (*, out_features)
        In the common float dtype of the inputs (float32 only if every input is float32).

    Examples
    --------
    Output j is the dot product of x with row j of the weight, plus bias j:
    (1*1 + 2*0 + 3*(-1)) + 10 = 8 and (1*0 + 2*1 + 3*0) - 10 = -8.

    >>> linear([1.0, 2.0, 3.0], [[1.0, 0.0, -1.0], [0.0, 1.0, 0.0]], [10.0, -10.0])
    array([ 8., -8.])
    """
    x, weight, bias = _check_linear(x, weight, bias)
    # each output feature is a weighted sum of all input features: y = x W^T
    y = x @ weight.T
    # the bias shifts every output row by the same vector
    return y if bias is None else y + bias
# --8<-- [end:linear]


# --8<-- [start:linear_backward]
@propagates_nonfinite
def linear_backward(
    grad_out: ArrayLike, x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Gradients of :func:`linear` with respect to ``x``, ``weight`` and ``bias``.

    Parameters
    ----------
    grad_out : array_like, shape (*, out_features)
        Upstream gradient dL/dy, the shape of the forward output.
    x, weight, bias
        The forward inputs, as in :func:`linear`.

    Returns
    -------
    dx : ndarray, shape (*, in_features)
        ``grad_out @ weight``.
    dweight : ndarray, shape (out_features, in_features)
        ``grad_out^T x`` summed over every leading axis (each sample contributes an outer product).
    dbias : ndarray, shape (out_features,), or None
        ``grad_out`` summed over every leading axis; ``None`` when ``bias`` is ``None`` (there is
        no bias to differentiate, as PyTorch leaves ``bias.grad`` unset for ``bias=False``).
        The tuple always has three entries, so one unpacking works in both cases.

    Examples
    --------
    One sample x = (1, 2, 3), one output with upstream gradient 2: dweight = 2 x, dbias = 2,
    and dx = 2 * weight's row.

    >>> dx, dw, db = linear_backward([2.0], [1.0, 2.0, 3.0], [[1.0, 0.0, -1.0]], [0.5])
    >>> print(dx, dw, db)
    [ 2.  0. -2.] [[2. 4. 6.]] [2.]
    """
    x, weight, b = _check_linear(x, weight, bias)
    out_features, in_features = weight.shape
    g = as_grad_out(grad_out, (*x.shape[:-1], out_features), x.dtype)
    # flatten the leading axes: each row is one sample, and the shared weights sum over all of them
    g2, x2 = g.reshape(-1, out_features), x.reshape(-1, in_features)
    dx = g @ weight                 # y = x W^T  =>  dL/dx = dL/dy W
    dweight = g2.T @ x2             # dL/dW = sum over samples of outer(dL/dy, x)
    dbias = None if b is None else g2.sum(axis=0)
    return dx, dweight, dbias
# --8<-- [end:linear_backward]
