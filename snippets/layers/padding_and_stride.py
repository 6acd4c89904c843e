"""Padding and stride: the output size of a convolution or pooling window along one dimension."""

from __future__ import annotations

import numpy as np

__all__ = ["conv_output_size"]


def _count(value: object, name: str, low: int) -> int:
    """A non-boolean integer >= ``low`` (a size, a stride, a padding)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return int(value)


# --8<-- [start:conv_output_size]
def conv_output_size(
    n: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """Number of positions a window takes along one dimension, as in PyTorch's ``Conv2d`` docs.

    ``floor((n + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1``: the padded
    input has ``n + 2 * padding`` cells, a window spans ``dilation * (kernel_size - 1) + 1`` of
    them, and it starts at 0, stride, 2 * stride, ... as long as it fits. The same formula gives
    the output size of max and average pooling (with their default ``ceil_mode=False``).

    Parameters
    ----------
    n : int >= 1
        Input size along the dimension (H or W).
    kernel_size : int >= 1
        Window size along that dimension.
    stride : int >= 1, default 1
        Step between consecutive window positions.
    padding : int >= 0, default 0
        Cells added on *each* side.
    dilation : int >= 1, default 1
        Spacing between the cells a window reads (1 = contiguous).

    Returns
    -------
    int
        The output size, >= 1.

    Raises
    ------
    ValueError
        When the (dilated) window does not fit into the padded input even once, the case in
        which PyTorch raises "Kernel size can't be greater than actual input size".

    Examples
    --------
    >>> # 7 cells, kernel 3, stride 2, padding 1: (7 + 2 - 2 - 1) // 2 + 1 = 6 // 2 + 1 = 4
    >>> conv_output_size(7, 3, stride=2, padding=1)
    4
    """
    n = _count(n, "n", 1)
    kernel_size = _count(kernel_size, "kernel_size", 1)
    stride = _count(stride, "stride", 1)
    padding = _count(padding, "padding", 0)
    dilation = _count(dilation, "dilation", 1)
    # a dilated window covers d (k - 1) + 1 cells of the padded input of n + 2p cells
    span = dilation * (kernel_size - 1) + 1
    padded = n + 2 * padding
    if span > padded:
        raise ValueError(
            f"the window spans dilation * (kernel_size - 1) + 1 = {span} cells, more than the "
            f"padded input n + 2 * padding = {padded}: no output position fits"
        )
    # window starts 0, s, 2s, ... <= padded - span: floor((padded - span) / s) + 1 of them
    return (padded - span) // stride + 1
# --8<-- [end:conv_output_size]
