"""random_horizontal_flip / random_crop: hand cases, properties (shapes, involution, crops are
windows of the padded input), statistics with fixed seeds, bad input, PyTorch's flip and pad.

No backward: augmentation transforms the training data before the model sees it; nothing is
differentiated through it (its transpose is given on the page for completeness).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import random_crop, random_horizontal_flip
from tests.reference import DTYPES, EXTREMES, require

images = arrays(
    np.float64,
    st.tuples(st.integers(0, 4), st.integers(1, 3), st.integers(1, 7), st.integers(1, 7)),
    elements=st.floats(-1e4, 1e4),
)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- hand-checked values
def test_flip_hand_case() -> None:
    # one 2 x 3 image: rows (1 2 3), (4 5 6) mirror to (3 2 1), (6 5 4)
    x = np.array([[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]])
    y, flipped = random_horizontal_flip(x, rng(), p=1.0)
    np.testing.assert_array_equal(y, [[[[3, 2, 1], [6, 5, 4]]]])
    assert flipped.tolist() == [True]
    y, flipped = random_horizontal_flip(x, rng(), p=0.0)
    np.testing.assert_array_equal(y, x)
    assert flipped.tolist() == [False] and not np.shares_memory(y, x)


def test_crop_hand_case() -> None:
    # a 2 x 2 image padded by 1 is 4 x 4 with the image in the middle; a 4 x 4 crop is the whole
    # padded image (offset (0, 0)), zeros around (1 2 / 3 4)
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    y, offsets = random_crop(x, 4, rng(), padding=1)
    np.testing.assert_array_equal(y[0, 0], [[0, 0, 0, 0], [0, 1, 2, 0], [0, 3, 4, 0], [0, 0, 0, 0]])
    assert offsets.tolist() == [[0, 0]] and offsets.dtype == np.int64
    # a 1 x 2 window (h = 1, w = 2) of the unpadded image: one of its two rows
    y, offsets = random_crop(x, (1, 2), rng(3))
    assert y.shape == (1, 1, 1, 2) and y[0, 0, 0].tolist() == x[0, 0, offsets[0, 0]].tolist()


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtypes(dtype) -> None:
    x = np.ones((2, 3, 4, 4), dtype=dtype)
    assert random_horizontal_flip(x, rng())[0].dtype == dtype
    assert random_crop(x, 3, rng(), padding=1)[0].dtype == dtype
    # integer images (e.g. uint8 pixels) are computed in float64, like every snippet
    assert random_crop(np.ones((1, 1, 4, 4), dtype=np.uint8), 2, rng())[0].dtype == np.float64


# ---------------------------------------------------------------- properties
@given(images, st.floats(0, 1), st.integers(0, 2**32 - 1))
def test_flip_is_an_involution_on_the_chosen_images(x: np.ndarray, p: float, seed: int) -> None:
    y, flipped = random_horizontal_flip(x, rng(seed), p)
    assert y.shape == x.shape and flipped.shape == (x.shape[0],)
    np.testing.assert_array_equal(y[flipped], x[flipped][..., ::-1])
    np.testing.assert_array_equal(y[~flipped], x[~flipped])
    # flipping the flipped images again restores the batch exactly
    again = np.where(flipped[:, None, None, None], y[..., ::-1], y)
    np.testing.assert_array_equal(again, x)


@given(images, st.integers(0, 3), st.data())
def test_crops_are_windows_of_the_padded_input(x: np.ndarray, padding: int, data) -> None:
    n, c, height, width = x.shape
    h = data.draw(st.integers(1, height + 2 * padding))
    w = data.draw(st.integers(1, width + 2 * padding))
    y, offsets = random_crop(x, (h, w), rng(data.draw(st.integers(0, 2**32 - 1))), padding)
    assert y.shape == (n, c, h, w) and offsets.shape == (n, 2)
    padded = np.zeros((n, c, height + 2 * padding, width + 2 * padding))
    padded[:, :, padding:padding + height, padding:padding + width] = x
    for k, (i, j) in enumerate(offsets):
        assert 0 <= i <= height + 2 * padding - h and 0 <= j <= width + 2 * padding - w
        np.testing.assert_array_equal(y[k], padded[k, :, i:i + h, j:j + w])


def test_flip_rate_and_independence() -> None:
    # 20 000 images, p = 0.3: the count of flips is Binomial(20 000, 0.3), sd = sqrt(20 000 * 0.21)
    # = 64.8; a 5-sigma band. Per-image coins: a batch is not flipped all together.
    _, flipped = random_horizontal_flip(np.zeros((20_000, 1, 1, 2)), rng(1), p=0.3)
    assert abs(flipped.sum() - 6000) < 5 * 64.8
    assert 0 < flipped[:10].sum() < 10 or 0 < flipped[10:20].sum() < 10


def test_crop_positions_are_uniform() -> None:
    # 8 x 8 image, padding 2, 8 x 8 crop: 5 x 5 = 25 positions, each with probability 1/25.
    # 25 000 crops: each count is Binomial(25 000, 0.04), sd = sqrt(25 000 * 0.04 * 0.96) = 31; 5 sigma
    _, offsets = random_crop(np.zeros((25_000, 1, 8, 8)), 8, rng(2), padding=2)
    counts = np.bincount(offsets[:, 0] * 5 + offsets[:, 1], minlength=25)
    assert counts.size == 25 and np.all(np.abs(counts - 1000) < 5 * 31)


def test_same_seed_same_result_and_no_mutation() -> None:
    x = rng(4).normal(size=(3, 2, 5, 5))
    x.setflags(write=False)
    a, b = random_crop(x, 4, rng(5), padding=1), random_crop(x, 4, rng(5), padding=1)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    random_horizontal_flip(x, rng(6))


@pytest.mark.parametrize("dtype", DTYPES)
def test_extremes_and_nan_pass_through_unchanged(dtype) -> None:
    # pure data movement: every value, NaN and extremes included, is copied bit for bit
    x = np.concatenate([EXTREMES, [np.nan]]).astype(dtype).reshape(1, 1, 4, 4)
    y, _ = random_horizontal_flip(x, rng(), p=1.0)
    np.testing.assert_array_equal(y, x[..., ::-1])
    y, offsets = random_crop(x, 4, rng(), padding=0)
    np.testing.assert_array_equal(y, x)


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"x must be a batch of images of shape \(N, C, H, W\), got shape \(3, 4, 4\)"):
        random_horizontal_flip(np.zeros((3, 4, 4)), rng())
    with pytest.raises(ValueError, match=r"p must be a finite number in \[0, 1\], got 1.5"):
        random_horizontal_flip(np.zeros((1, 1, 2, 2)), rng(), p=1.5)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        random_crop(np.zeros((1, 1, 2, 2)), 1, rng=3)
    with pytest.raises(ValueError, match=r"size \(h, w\) = \(5, 5\) does not fit in the padded image of 4 x 4 \(image 2 x 2, padding 1\)"):
        random_crop(np.zeros((1, 1, 2, 2)), 5, rng(), padding=1)
    with pytest.raises(ValueError, match="size must be an int or a pair"):
        random_crop(np.zeros((1, 1, 2, 2)), (1, 1, 1), rng())
    with pytest.raises(ValueError, match="size must be an integer >= 1, got 0"):
        random_crop(np.zeros((1, 1, 2, 2)), 0, rng())
    with pytest.raises(TypeError, match="padding must be an integer, got float"):
        random_crop(np.zeros((1, 1, 2, 2)), 1, rng(), padding=1.0)
    with pytest.raises(TypeError, match="x must be real-valued"):
        random_crop(np.zeros((1, 1, 2, 2), dtype=complex), 1, rng())


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch_flip_and_pad(dtype) -> None:
    # the same operations done by torch, at the positions our generator chose: bit for bit, since
    # both only copy values
    torch = require("torch")
    F = torch.nn.functional
    x = np.concatenate([rng(8).normal(size=6 * 3 * 7 * 7 - 15) * 100, EXTREMES]).astype(dtype).reshape(6, 3, 7, 7)
    y, flipped = random_horizontal_flip(x, rng(9), p=0.5)
    t = torch.tensor(x)
    ref = torch.where(torch.tensor(flipped)[:, None, None, None], torch.flip(t, dims=[-1]), t)
    np.testing.assert_array_equal(y, ref.numpy())

    y, offsets = random_crop(x, (5, 6), rng(10), padding=2)
    padded = F.pad(t, (2, 2, 2, 2), mode="constant", value=0.0)
    ref = torch.stack([padded[k, :, i:i + 5, j:j + 6] for k, (i, j) in enumerate(offsets.tolist())])
    np.testing.assert_array_equal(y, ref.numpy())
