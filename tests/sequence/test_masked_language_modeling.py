"""mask_tokens / mlm_loss / mlm_loss_backward: hand values, the 80/10/10 proportions checked
statistically, properties, stability, bad input, PyTorch's cross_entropy(ignore_index=-100)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import mask_tokens, mlm_loss, mlm_loss_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_loss_and_gradient() -> None:
    # position 0 ignored; position 1: logits (0, ln 3) over V = 2 -> p = (1/4, 3/4), label 1: -ln(3/4)
    z = np.array([[5.0, -5.0], [0.0, math.log(3.0)]])
    assert mlm_loss(z, [-100, 1]) == pytest.approx(-math.log(0.75), rel=1e-15)
    # gradient p - onehot at the one kept row, 0 at the ignored row; M = 1
    np.testing.assert_allclose(mlm_loss_backward(1.0, z, [-100, 1]), [[0, 0], [0.25, -0.25]], rtol=1e-15)
    # two kept rows: the mean, and each gradient row divided by M = 2; grad_out scales it
    assert mlm_loss(z, [0, 1]) == pytest.approx((-math.log(1 / (1 + math.exp(-10))) - math.log(0.75)) / 2, rel=1e-14)
    np.testing.assert_allclose(mlm_loss_backward(2.0, z, [-100, 1]), [[0, 0], [0.5, -0.5]], rtol=1e-15)
    # another ignore_index
    assert mlm_loss(z, [7, 1], ignore_index=7) == mlm_loss(z, [-100, 1])


def test_all_ignored_is_nan_with_zero_gradient_as_pytorch() -> None:
    z = np.zeros((2, 3, 4), np.float32)
    loss = mlm_loss(z, np.full((2, 3), -100))
    assert np.isnan(loss) and loss.dtype == np.float32
    np.testing.assert_array_equal(mlm_loss_backward(1.0, z, np.full((2, 3), -100)), 0.0)


def test_mask_tokens_hand_cases() -> None:
    rng = np.random.default_rng(0)
    ids = np.array([[2, 10, 11, 12, 3, 0, 0]])              # [CLS] w w w [SEP] [PAD] [PAD]
    inputs, labels = mask_tokens(ids, mask_id=4, vocab_size=20, mlm_prob=1.0, special_ids=(0, 2, 3), rng=rng)
    # every ordinary token is selected, no special one; labels hold the originals
    np.testing.assert_array_equal(labels, [[-100, 10, 11, 12, -100, -100, -100]])
    np.testing.assert_array_equal(inputs[labels == -100], ids[labels == -100])
    inputs, labels = mask_tokens(ids, 4, 20, mlm_prob=0.0, rng=rng)
    np.testing.assert_array_equal(inputs, ids)
    np.testing.assert_array_equal(labels, -100)
    assert inputs.dtype == labels.dtype == np.int64
    # the same seed gives the same corruption; the input is not modified
    a = mask_tokens(ids, 4, 20, rng=np.random.default_rng(5))
    b = mask_tokens(ids, 4, 20, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(ids, [[2, 10, 11, 12, 3, 0, 0]])
    assert mask_tokens(np.zeros((0, 5), np.int64), 1, 3, rng=rng)[0].shape == (0, 5)


# ---------------------------------------------------------------- the proportions, statistically
def test_masking_proportions() -> None:
    rng = np.random.default_rng(1)
    v, mask_id = 1000, 3
    ids = rng.integers(5, v, size=(200, 256))                 # 51 200 tokens, no [MASK] among them
    ids[:, 0] = 1                                              # a special token at every position 0
    inputs, labels = mask_tokens(ids, mask_id, v, mlm_prob=0.15, special_ids=(1,), rng=rng)
    selected = labels != -100
    n, s = ids.size - 200, selected.sum()
    # binomial counts: within 5 standard deviations of their means (a false alarm ~ 6e-7)
    assert abs(s - 0.15 * n) < 5 * math.sqrt(n * 0.15 * 0.85)
    assert not selected[:, 0].any()
    masked = selected & (inputs == mask_id)
    unchanged = selected & (inputs == ids)
    assert abs(masked.sum() - 0.8 * s) < 5 * math.sqrt(s * 0.8 * 0.2)
    # "random" hits the original id with probability 1/V: unchanged = 10 % + 10 % / V
    p_same = 0.1 + 0.1 / v
    assert abs(unchanged.sum() - p_same * s) < 5 * math.sqrt(s * p_same * (1 - p_same))
    random_ = selected & ~masked & ~unchanged
    p_rand = 0.1 * (1 - 1 / v) - 0.1 / v                         # a random draw that is neither [MASK] nor the original
    assert abs(random_.sum() - p_rand * s) < 5 * math.sqrt(s * p_rand * (1 - p_rand)) + 5
    # nothing outside the selected positions changes
    np.testing.assert_array_equal(inputs[~selected], ids[~selected])
    np.testing.assert_array_equal(labels[selected], ids[selected])
    # the random replacements are spread over the vocabulary: chi-square on 10 bins of 100 ids
    counts = np.bincount(inputs[random_] // 100, minlength=10)
    expected = random_.sum() / 10
    assert np.sum((counts - expected) ** 2 / expected) < 30   # chi2(9): P(> 30) ~ 4e-4


# ---------------------------------------------------------------- properties
@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(2, 9))
def test_loss_is_the_mean_over_kept_rows(seed: int, n: int, v: int) -> None:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, v)) * 3
    y = rng.integers(0, v, size=n)
    y[rng.random(n) < 0.4] = -100
    keep = y != -100
    if not keep.any():
        return
    # the kept rows alone, computed the long way
    p = np.exp(z[keep]) / np.exp(z[keep]).sum(axis=1, keepdims=True)
    assert mlm_loss(z, y) == pytest.approx(-np.mean(np.log(p[np.arange(keep.sum()), y[keep]])), rel=1e-12)
    g = mlm_loss_backward(1.0, z, y)
    np.testing.assert_array_equal(g[~keep], 0.0)
    np.testing.assert_allclose(g.sum(axis=1), 0.0, atol=1e-15)        # each row: sum p - 1 = 0


# ---------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", DTYPES)
def test_extreme_logits_stay_finite(dtype) -> None:
    z = np.stack([EXTREMES, EXTREMES[::-1], np.zeros(15)], axis=1).astype(dtype)   # (15, 3)
    y = np.arange(15) % 3
    y[::4] = -100
    loss = mlm_loss(z, y)
    grad = mlm_loss_backward(1.0, z, y)
    assert np.isfinite(loss) and loss.dtype == dtype and np.all(np.isfinite(grad)) and grad.dtype == dtype


def test_nan_in_nan_out() -> None:
    z = np.zeros((2, 3))
    z[1, 0] = np.nan
    assert np.isnan(mlm_loss(z, [0, 1]))
    assert mlm_loss(z, [0, -100]) == pytest.approx(math.log(3))    # an ignored NaN row does not count


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    z = np.zeros((2, 4))
    with pytest.raises(ValueError, match=r"logits must have shape \(\*, V\) and labels shape \(\*\): got logits \(2, 4\), labels \(3,\)"):
        mlm_loss(z, [0, 1, 2])
    with pytest.raises(ValueError, match=r"labels contains class index 4, outside the valid range \[0, 3\]"):
        mlm_loss(z, [4, -100])
    with pytest.raises(ValueError, match=r"labels contains class index -1"):
        mlm_loss(z, [-1, 0])
    with pytest.raises(TypeError, match="labels holding token ids must have an integer dtype, got float64"):
        mlm_loss(z, [0.0, 1.0])
    with pytest.raises(ValueError, match="labels must not be empty"):
        mlm_loss(np.zeros((0, 4)), np.zeros(0, np.int64))
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(\), got shape \(2,\)"):
        mlm_loss_backward(np.ones(2), z, [0, 1])
    with pytest.raises(ValueError, match="mlm_prob must be a finite number in \\[0, 1\\], got 1.5"):
        mask_tokens([[1, 2]], 0, 5, mlm_prob=1.5)
    with pytest.raises(ValueError, match=r"ids contains class index 5, outside the valid range \[0, 4\]"):
        mask_tokens([[1, 5]], 0, 5)
    with pytest.raises(ValueError, match=r"mask_id must be an integer in \[0, 4\], got 5"):
        mask_tokens([[1, 2]], 5, 5)
    with pytest.raises(TypeError, match="special_ids must be a sequence of integer ids"):
        mask_tokens([[1, 2]], 0, 5, special_ids=(0.5,))
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        mask_tokens([[1, 2]], 0, 5, rng=0)


# ---------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("extreme", [False, True], ids=["random", "extreme"])
def test_matches_torch_cross_entropy_with_ignore_index(dtype, extreme) -> None:
    torch = require("torch")
    rng = np.random.default_rng(0)
    z = rng.normal(size=(3, 5, 11)).astype(dtype)
    y = rng.integers(0, 11, size=(3, 5))
    y[rng.random((3, 5)) < 0.5] = -100
    y[0, 0] = 4
    if extreme:
        z.reshape(-1, 11)[:, 3] = EXTREMES
    g = np.array(rng.normal(), dtype=dtype)

    def reference(logits):
        return torch.nn.functional.cross_entropy(logits.reshape(-1, 11), torch.tensor(y.reshape(-1)), ignore_index=-100)

    ref, (ref_grad,) = torch_forward_backward(reference, [z], g, wrt=(0,))
    scale = float(np.abs(z).max())
    # log-softmax subtracts the row max: exact to ~eps * max|z| per term, the mean keeps that bound
    assert_matches(mlm_loss(z, y), ref, dtype, ulps=16, scale=scale)
    # softmax - onehot, scaled by g / M: a few roundings of numbers at most |g|
    assert_matches(mlm_loss_backward(g, z, y), ref_grad, dtype, ulps=16, scale=abs(float(g)))
