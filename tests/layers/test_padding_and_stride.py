"""conv_output_size: hand values, counting window positions, bad input, conv2d and PyTorch's shapes."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from snippets import conv2d, conv_output_size
from tests.reference import require


# ---------------------------------------------------------------- hand-checked values
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # (n, k, s, p, d): worked by hand from floor((n + 2p - d(k - 1) - 1) / s) + 1
        ((5, 3, 1, 0, 1), 3),    # "valid": 5 - 3 + 1
        ((5, 3, 1, 1, 1), 5),    # "same" for an odd kernel: p = (k - 1) / 2
        ((5, 3, 1, 2, 1), 7),    # "full": p = k - 1, every partial overlap
        ((7, 3, 2, 1, 1), 4),    # (7 + 2 - 2 - 1) / 2 = 3, + 1
        ((6, 3, 2, 0, 1), 2),    # (6 - 2 - 1) / 2 = 1.5 -> 1, + 1: the last row is never read
        ((10, 3, 1, 0, 2), 6),   # dilation 2 spans 5 cells: 10 - 5 + 1
        ((224, 7, 2, 3, 1), 112),  # ResNet's first layer: (224 + 6 - 6 - 1) / 2 = 111.5 -> 111, + 1
        ((1, 1, 5, 0, 1), 1),
    ],
)
def test_hand_values(args, expected) -> None:
    assert conv_output_size(*args) == expected


@given(st.integers(1, 40), st.integers(1, 7), st.integers(1, 5), st.integers(0, 4), st.integers(1, 3))
def test_counts_the_window_positions(n, k, s, p, d) -> None:
    # independent count: window starts 0, s, 2s, ... whose last cell start + d (k - 1) is inside
    # the padded input of n + 2p cells
    starts = [t for t in range(0, n + 2 * p, s) if t + d * (k - 1) <= n + 2 * p - 1]
    if starts:
        assert conv_output_size(n, k, s, p, d) == len(starts)
    else:
        with pytest.raises(ValueError, match="no output position fits"):
            conv_output_size(n, k, s, p, d)


@given(st.integers(1, 200), st.integers(1, 4))
def test_same_padding_for_odd_kernels(n, half) -> None:
    # kernel 2h + 1 with padding h and stride 1 keeps the size; stride s then gives ceil(n / s)
    k = 2 * half + 1
    assert conv_output_size(n, k, 1, half) == n
    for s in (2, 3):
        assert conv_output_size(n, k, s, half) == -(-n // s)


def test_returns_a_python_int() -> None:
    assert type(conv_output_size(np.int64(9), np.int32(3))) is int


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"the window spans dilation \* \(kernel_size - 1\) \+ 1 = 7 cells, more than the padded input n \+ 2 \* padding = 5"):
        conv_output_size(5, 3, dilation=3)
    with pytest.raises(ValueError, match="= 3 cells, more than the padded input n \\+ 2 \\* padding = 2"):
        conv_output_size(2, 3)
    with pytest.raises(ValueError, match="stride must be >= 1, got 0"):
        conv_output_size(5, 3, stride=0)
    with pytest.raises(ValueError, match="padding must be >= 0, got -1"):
        conv_output_size(5, 3, padding=-1)
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        conv_output_size(0, 1)
    with pytest.raises(ValueError, match="dilation must be >= 1, got 0"):
        conv_output_size(5, 3, dilation=0)
    with pytest.raises(TypeError, match="kernel_size must be an integer, got float 3.0"):
        conv_output_size(5, 3.0)
    with pytest.raises(TypeError, match="stride must be an integer, got bool"):
        conv_output_size(5, 3, stride=True)


# ---------------------------------------------------------------- conv2d and PyTorch
@pytest.mark.parametrize("n", [1, 2, 5, 8])
def test_matches_conv2d_shapes(n) -> None:
    # our conv2d (dilation 1) produces exactly the predicted height and width
    for k, s, p in itertools.product([1, 2, 3, 5], [1, 2, 3], [0, 1, 2]):
        if k > n + 2 * p:
            continue
        y = conv2d(np.zeros((1, 1, n, n + 1)), np.zeros((1, 1, k, 1)), stride=(s, 1), padding=(p, 0))
        assert y.shape[2] == conv_output_size(n, k, s, p)


def test_matches_torch_conv2d_shapes_over_a_grid() -> None:
    # the shapes PyTorch's conv2d actually produces, over 5 * 5 * 3 * 3 * 3 = 675 settings; where
    # the window cannot fit, PyTorch raises and so must we
    torch = require("torch")
    checked = errors = 0
    for n, k, s, p, d in itertools.product([1, 2, 5, 8, 13], [1, 2, 3, 4, 7], [1, 2, 3], [0, 1, 3], [1, 2, 3]):
        x, w = torch.zeros(1, 1, n, 3), torch.zeros(1, 1, k, 1)
        try:
            h = torch.nn.functional.conv2d(x, w, stride=(s, 1), padding=(p, 0), dilation=(d, 1)).shape[2]
        except RuntimeError as error:
            assert "Kernel size can't be greater than actual input size" in str(error)
            with pytest.raises(ValueError, match="no output position fits"):
                conv_output_size(n, k, s, p, d)
            errors += 1
            continue
        assert conv_output_size(n, k, s, p, d) == h, (n, k, s, p, d)
        checked += 1
    assert checked > 400 and errors > 50  # both branches were exercised


def test_matches_torch_pooling_shapes() -> None:
    # the same formula sizes max and average pooling (ceil_mode=False, PyTorch's default)
    torch = require("torch")
    for n, k, s, p in itertools.product([3, 6, 9], [2, 3], [1, 2, 3], [0, 1]):
        x = torch.zeros(1, 1, n, n)
        assert torch.nn.functional.max_pool2d(x, k, s, p).shape[2] == conv_output_size(n, k, s, p)
        assert torch.nn.functional.avg_pool2d(x, k, s, p).shape[2] == conv_output_size(n, k, s, p)
