"""receptive_field / empirical_receptive_field: hand values from the papers, a brute-force index
set, properties, bad input, and PyTorch autograd's input.grad through a conv2d stack."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import empirical_receptive_field, receptive_field
from tests.reference import DTYPES, EXTREMES, require


def brute_force(kernel_sizes, strides, dilations, paddings):
    """The set of input coordinates that unit 0 of each layer reads, built by following every
    window tap down the stack with Python sets (padding cells included, as negative or
    out-of-range coordinates). Independent of the recurrence: returns (min, max + 1 - min) per layer."""
    reached = {0}  # layer 0 (the input): unit 0 is pixel 0
    out = []
    # coordinates at layer l-1 of the cells unit u of layer l reads: u s - p + d a, a = 0..k-1;
    # map every such cell down to input coordinates through the sets of the layers below
    maps = []  # maps[l](u) -> set of input coordinates seen by unit u of layer l
    for k, s, d, p in zip(kernel_sizes, strides, dilations, paddings):
        below = maps[-1] if maps else (lambda u: {u})
        maps.append(lambda u, k=k, s=s, d=d, p=p, below=below: set().union(
            *(below(u * s - p + d * a) for a in range(k))))
        reached = maps[-1](0)
        out.append((min(reached), max(reached) + 1 - min(reached), len(reached)))
    return out


# ---------------------------------------------------------------- hand-checked values
def test_vgg16_from_the_literature() -> None:
    # VGG-16 (Simonyan & Zisserman 2015): 13 3x3 convs (stride 1, padding 1) in blocks of
    # 2, 2, 3, 3, 3, each block followed by a 2x2 max pooling of stride 2. By the recurrence:
    # block 1 adds 2 + 2 (r = 5), pool adds 1 (6, j = 2); block 2 adds 4 + 4 (14), pool 2 (16,
    # j = 4); block 3 adds 3 * 8 (40), pool 4 (44, j = 8); block 4 adds 3 * 16 (92), pool 8
    # (100, j = 16); block 5 adds 3 * 32 (196), pool5 16 (212, j = 32): 196 at conv5_3 and 212
    # at pool5, the values tabulated by Araujo et al. (2019)
    blocks = [2, 2, 3, 3, 3]
    k, s, p = [], [], []
    for n in blocks:
        k += [3] * n + [2]
        s += [1] * n + [2]
        p += [1] * n + [0]
    size, jump, start = receptive_field(k, s, paddings=p)
    assert size[-2] == 196 and size[-1] == 212 and jump[-1] == 32
    assert size[[2, 5, 9, 13]].tolist() == [6, 16, 44, 100]
    # unit 0's field starts left of the image: every padded 3x3 conv moves it out by its jump
    assert start[-1] == -(2 * 1 + 2 * 2 + 3 * 4 + 3 * 8 + 3 * 16)


def test_dilation_grows_exponentially() -> None:
    # Yu & Koltun (2016): 3x3 convolutions with dilations 1, 2, 4, ... give receptive fields
    # 3, 7, 15, ..., 2^(i+2) - 1 at stride 1: each adds 2 d = 2^(i+1)
    size, jump, _ = receptive_field([3] * 5, [1] * 5, dilations=[1, 2, 4, 8, 16])
    assert size.tolist() == [3, 7, 15, 31, 63] and jump.tolist() == [1] * 5
    # the same five layers undilated grow linearly: 3, 5, 7, 9, 11
    assert receptive_field([3] * 5, [1] * 5)[0].tolist() == [3, 5, 7, 9, 11]


def test_one_by_one_and_stride_only() -> None:
    # a 1x1 conv adds nothing (k - 1 = 0) but its stride still multiplies the jump
    size, jump, start = receptive_field([1, 1, 3], [2, 2, 1], paddings=[0, 0, 1])
    assert size.tolist() == [1, 1, 9] and jump.tolist() == [2, 4, 4] and start.tolist() == [0, 0, -4]


def test_empty_stack() -> None:
    size, jump, start = receptive_field([], [])
    assert size.shape == jump.shape == start.shape == (0,) and size.dtype == np.int64


def test_empirical_hand_values() -> None:
    # one 3x3 filter w, stride 1, no padding, on a 3x3 image: out[0, 0] = sum w * x, so the
    # gradient is w itself; with stride 2 and padding 1 on 5x5 the centre output (1, 1) reads
    # x[1:4, 1:4] (window start 1 * 2 - 1 = 1), so w lands there
    w = np.arange(9.0).reshape(1, 1, 3, 3)
    np.testing.assert_array_equal(empirical_receptive_field([w], [1], (3, 3))[0], w[0, 0])
    g = empirical_receptive_field([w], [2], (5, 5), paddings=[1])[0]
    expected = np.zeros((5, 5))
    expected[1:4, 1:4] = w[0, 0]
    np.testing.assert_array_equal(g, expected)
    # two channels in, two out, 1x1 filters: d sum_o out[o] / d x[c] = sum_o w[o, c]
    w2 = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(2, 2, 1, 1)
    g = empirical_receptive_field([w2], [1], (1, 1))
    assert g.tolist() == [[[4.0]], [[6.0]]]


def test_empirical_position_and_corner() -> None:
    # position (0, 0) with padding 1: the field starts at -1, so only 2 of its 3 rows and
    # columns are inside the image, the rest are padding (the footprint is clipped)
    ones = np.ones((1, 1, 3, 3))
    g = empirical_receptive_field([ones], [1], (4, 4), paddings=[1], position=(0, 0))[0]
    assert (g != 0).sum() == 4 and g[:2, :2].tolist() == [[1, 1], [1, 1]]


# ---------------------------------------------------------------- brute force and properties
@st.composite
def stacks(draw):
    layers = draw(st.integers(1, 5))
    k = draw(st.lists(st.integers(1, 4), min_size=layers, max_size=layers))
    s = draw(st.lists(st.integers(1, 3), min_size=layers, max_size=layers))
    d = draw(st.lists(st.integers(1, 3), min_size=layers, max_size=layers))
    p = draw(st.lists(st.integers(0, 2), min_size=layers, max_size=layers))
    return k, s, d, p


@settings(max_examples=30)
@given(stacks())
def test_matches_the_brute_force_index_sets(stack) -> None:
    k, s, d, p = stack
    size, jump, start = receptive_field(k, s, d, p)
    for layer, (lo, span, _) in enumerate(brute_force(k, s, d, p)):
        assert (start[layer], size[layer]) == (lo, span)
    # the jump is the product of the strides; unit 1's field is unit 0's moved by the jump
    assert jump.tolist() == np.cumprod(s).tolist()


def without_holes(k, s, d) -> list[bool]:
    """A sufficient condition for layer l's field to be every cell of its span: the field below
    has no holes and the copies of it that layer l's taps read, d_l j_{l-1} apart, touch or
    overlap (d_l j_{l-1} <= r_{l-1}), or the window has one tap."""
    size, jump, _ = receptive_field(k, s, d)
    r_below, j_below, ok, result = 1, 1, True, []
    for kl, dl, r, j in zip(k, d, size, jump):
        ok = ok and (kl == 1 or dl * j_below <= r_below)
        result.append(ok)
        r_below, j_below = r, j
    return result


@settings(max_examples=25)
@given(stacks())
def test_fields_have_holes_only_where_taps_are_spread(stack) -> None:
    # size counts the span; a dilated window, or a stride larger than the field below it, can
    # skip cells inside that span (the "gridding" of Yu & Koltun): size >= cells reached, with
    # equality where the taps' copies of the field below touch
    k, s, d, p = stack
    for (_, span, count), whole in zip(brute_force(k, s, d, p), without_holes(k, s, d)):
        assert span >= count
        assert span == count or not whole


# ---------------------------------------------------------------- stability and bad input
@pytest.mark.parametrize("dtype", DTYPES)
def test_empirical_stable_up_to_1e4(dtype) -> None:
    rng = np.random.default_rng(0)
    ws = [rng.choice(EXTREMES, size=(2, 1, 3, 3)).astype(dtype), rng.choice([-1e4, 1e-8, 1e4], size=(1, 2, 3, 3)).astype(dtype)]
    g = empirical_receptive_field(ws, [1, 2], (9, 9), paddings=[1, 0])
    assert g.dtype == dtype and g.shape == (1, 9, 9) and np.all(np.isfinite(g))


def test_nan_weight_reaches_the_gradient() -> None:
    w = np.ones((1, 1, 3, 3))
    w[0, 0, 1, 1] = np.nan
    assert np.isnan(empirical_receptive_field([w], [1], (3, 3))[0, 1, 1])


def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"strides must have one entry per layer \(2, as kernel_sizes\), got 1"):
        receptive_field([3, 3], [1])
    with pytest.raises(ValueError, match=r"kernel_sizes must be >= 1 for every layer, got \[3, 0\]"):
        receptive_field([3, 0], [1, 1])
    with pytest.raises(ValueError, match=r"paddings must be >= 0"):
        receptive_field([3], [1], paddings=[-1])
    with pytest.raises(TypeError, match="dilations must be a 1-d sequence of integers"):
        receptive_field([3], [1], dilations=[1.5])
    with pytest.raises(TypeError, match="kernel_sizes must be a 1-d sequence of integers"):
        receptive_field(3, 1)
    w = np.ones((2, 1, 3, 3))
    with pytest.raises(ValueError, match=r"conv_weights\[1\] must have shape \(C_out, C_in, kH, kW\) with C_in = 2"):
        empirical_receptive_field([w, w], [1, 1], (9, 9))
    with pytest.raises(ValueError, match=r"conv_weights\[0\] of shape \(2, 1, 3, 3\) does not fit .* input_shape \(2, 2\)"):
        empirical_receptive_field([w], [1], (2, 2))
    with pytest.raises(ValueError, match=r"position must lie in the last layer's output of shape \(7, 7\), got \(7, 0\)"):
        empirical_receptive_field([w], [1], (9, 9), position=(7, 0))
    with pytest.raises(ValueError, match="conv_weights must hold at least one layer"):
        empirical_receptive_field([], [], (9, 9))
    with pytest.raises(TypeError, match=r"conv_weights\[0\] must be real-valued"):
        empirical_receptive_field([w * 1j], [1], (9, 9))
    with pytest.raises(ValueError, match=r"paddings must have one entry per layer \(1\), got 2"):
        empirical_receptive_field([w], [1], (9, 9), paddings=[1, 1])


def test_inputs_are_not_modified() -> None:
    w = np.ones((1, 1, 3, 3))
    w.setflags(write=False)
    empirical_receptive_field([w, w], [1, 1], (7, 7))
    k = np.array([3, 3])
    k.setflags(write=False)
    receptive_field(k, k)


# ---------------------------------------------------------------- PyTorch autograd
def torch_input_grad(weights, strides, paddings, shape, position, dilations=None):
    """x.grad after out[0, :, i, j].sum().backward() through a torch conv2d stack."""
    torch = require("torch")
    dilations = dilations or [1] * len(weights)
    x = torch.zeros((1, weights[0].shape[1], *shape), dtype=torch.from_numpy(weights[0]).dtype, requires_grad=True)
    out = x
    for w, s, p, d in zip(weights, strides, paddings, dilations):
        out = torch.nn.functional.conv2d(out, torch.from_numpy(w), stride=s, padding=p, dilation=d)
    i, j = position if position is not None else (out.shape[2] // 2, out.shape[3] // 2)
    out[0, :, i, j].sum().backward()
    return x.grad[0].numpy()


GRID = [
    # (layer shapes (C_out, C_in, k, k), strides, paddings, input shape, position)
    ([(2, 1, 3, 3), (3, 2, 3, 3)], [1, 1], [0, 0], (9, 9), None),
    ([(2, 3, 3, 3), (2, 2, 3, 3), (1, 2, 3, 3)], [2, 1, 2], [1, 1, 1], (16, 15), None),
    ([(2, 1, 5, 5), (2, 2, 2, 2), (2, 2, 3, 3)], [1, 2, 1], [2, 0, 1], (17, 17), (0, 7)),
    ([(1, 1, 7, 7), (1, 1, 3, 3)], [(2, 1), 1], [(3, 0), 1], (12, 10), (5, 0)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shapes", "strides", "paddings", "image", "position"), GRID)
@pytest.mark.parametrize("extreme", [False, True])
def test_matches_torch_input_grad(dtype, shapes, strides, paddings, image, position, extreme) -> None:
    rng = np.random.default_rng(1)
    draw = (lambda sh: rng.choice(EXTREMES[4:-4], size=sh)) if extreme else (lambda sh: rng.normal(size=sh))
    ws = [draw(sh).astype(dtype) for sh in shapes]
    ours = empirical_receptive_field(ws, strides, image, paddings, position)
    ref = torch_input_grad(ws, strides, paddings, image, position)
    # each element is a sum over paths of products of L weights: both sides round each product
    # (L - 1 roundings) and add in different orders, so |ours - ref| <= (L + K) eps * (the same
    # sum with |w|), K < 64 terms here; 64 eps covers both
    bound = empirical_receptive_field([np.abs(w) for w in ws], strides, image, paddings, position)
    eps = np.finfo(dtype).eps
    assert ours.dtype == dtype and ours.shape == ref.shape
    assert np.all(np.abs(ours.astype(np.float64) - ref) <= 64 * eps * bound.astype(np.float64) + np.finfo(dtype).tiny)


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 3), st.data())
def test_torch_footprint_is_the_formula_clipped_to_the_image(layers, data) -> None:
    # random normal weights (no cancellation almost surely), dilation included (torch supports it,
    # our conv2d does not): the non-zero rows of x.grad are the formula's range clipped to [0, H)
    torch = require("torch")  # noqa: F841
    k = data.draw(st.lists(st.integers(1, 4), min_size=layers, max_size=layers))
    s = data.draw(st.lists(st.integers(1, 2), min_size=layers, max_size=layers))
    d = data.draw(st.lists(st.integers(1, 2), min_size=layers, max_size=layers))
    p = data.draw(st.lists(st.integers(0, 2), min_size=layers, max_size=layers))
    size, jump, start = receptive_field(k, s, d, p)
    n = int(size[-1]) + 6
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    ws = [rng.normal(size=(1, 1, ki, 1)) for ki in k]
    grad = torch_input_grad(ws, [(si, 1) for si in s], [(pi, 0) for pi in p], (n, 1), None,
                            dilations=[(di, 1) for di in d])
    # last layer's output length by the output-size formula, and its centre unit
    m = n
    for ki, si, di, pi in zip(k, s, d, p):
        m = (m + 2 * pi - di * (ki - 1) - 1) // si + 1
    lo = start[-1] + (m // 2) * jump[-1]
    hi = lo + size[-1] - 1
    reached = np.flatnonzero(grad[0, :, 0])
    assert max(lo, 0) <= reached.min() and reached.max() <= min(hi, n - 1)
    assert (reached.min() == lo or lo < 0) and (reached.max() == hi or hi > n - 1)
    if without_holes(k, s, d)[-1]:  # no gridding: every pixel of the clipped range is reached
        assert reached.tolist() == list(range(max(lo, 0), min(hi, n - 1) + 1))
