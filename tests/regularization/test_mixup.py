"""mixup / cutmix: closed forms, properties, bad input, the loss identity with PyTorch's
cross-entropy, and the Beta(alpha, alpha) distribution of lambda (scipy)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import cross_entropy, cutmix, mixup, one_hot
from tests.reference import DTYPES, assert_matches, require


def test_hand_checked_values() -> None:
    # two examples and their partners: x_mixed = lam x + (1 - lam) x[index], the labels alike;
    # lam and index are what the same generator draws (beta first, then the permutation)
    x = np.array([[0.0, 0.0], [10.0, 20.0]])
    y = np.eye(2)
    xm, ym, lam, index = mixup(x, y, alpha=1.0, rng=np.random.default_rng(0))
    ref = np.random.default_rng(0)
    assert lam == ref.beta(1.0, 1.0) and np.array_equal(index, ref.permutation(2))
    np.testing.assert_allclose(xm, lam * x + (1 - lam) * x[index], rtol=1e-15)
    np.testing.assert_allclose(ym, lam * y + (1 - lam) * y[index], rtol=1e-15)
    # a pair mixed with itself is unchanged
    xs, ys, _, _ = mixup(x[:1], y[:1], rng=np.random.default_rng(1))
    np.testing.assert_allclose(xs, x[:1], rtol=1e-15)
    np.testing.assert_allclose(ys, y[:1], rtol=1e-15)


def test_cutmix_box_and_area() -> None:
    # image n is all n: every pixel of x_mixed[n] is either n (kept) or index[n] (pasted)
    x = np.arange(6.0)[:, None, None, None] * np.ones((6, 3, 8, 10))
    y = one_hot(np.arange(6), 6).astype(float)
    xm, ym, lam, index = cutmix(x, y, alpha=1.0, rng=np.random.default_rng(2))
    for n in range(6):
        pasted = xm[n] != x[n]
        assert np.all(np.isin(xm[n], [n, index[n]]))
        if index[n] != n:
            # the pasted part is one rectangle, the same in every channel, of area 1 - lam
            assert np.array_equal(pasted[0], pasted[1])
            rows, cols = np.nonzero(pasted[0])
            if rows.size:
                assert pasted[0, rows.min():rows.max() + 1, cols.min():cols.max() + 1].all()
            assert np.isclose(pasted[0].mean(), 1 - lam)
    # the labels are mixed with the kept area
    np.testing.assert_allclose(ym, lam * y + (1 - lam) * y[index], rtol=1e-15)


@settings(max_examples=40)
@given(st.integers(1, 6), st.integers(2, 5), st.floats(0.05, 10), st.integers(0, 2**32 - 1))
def test_mixtures_stay_in_range(n: int, c: int, alpha: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    y = one_hot(rng.integers(0, c, size=n), c).astype(float)
    xm, ym, lam, index = mixup(x, y, alpha=alpha, rng=rng)
    assert 0.0 <= lam <= 1.0 and sorted(index.tolist()) == list(range(n))
    # a convex combination: between the two partners, labels still sum to 1
    lo, hi = np.minimum(x, x[index]), np.maximum(x, x[index])
    assert np.all((xm >= lo - 1e-12) & (xm <= hi + 1e-12))
    np.testing.assert_allclose(ym.sum(axis=1), 1.0, rtol=1e-12)
    images = rng.normal(size=(n, 2, 5, 7))
    im, iy, ilam, iindex = cutmix(images, y, alpha=alpha, rng=rng)
    assert 0.0 <= ilam <= 1.0
    np.testing.assert_allclose(iy.sum(axis=1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtypes_and_inputs_untouched(dtype) -> None:
    x = np.random.default_rng(3).normal(size=(4, 2, 3, 3)).astype(dtype)
    x.setflags(write=False)
    y = np.eye(4)
    y.setflags(write=False)
    for f in (mixup, cutmix):
        xm, ym, lam, index = f(x, y, rng=np.random.default_rng(4))
        assert xm.dtype == dtype and isinstance(lam, float) and index.dtype == np.int64


def test_weight_zero_drops_its_term() -> None:
    # Beta(1e-3, 1e-3) puts about half its mass below 1e-308: lam is often exactly 0 or 1. The
    # partner with weight 0 is dropped, not mixed in as 0 * inf = NaN
    x = np.array([[1.0], [np.inf]])
    seen = set()
    for seed in range(40):
        xm, _, lam, index = mixup(x, np.eye(2), alpha=1e-3, rng=np.random.default_rng(seed))
        if lam in (0.0, 1.0):
            seen.add(lam)
            np.testing.assert_array_equal(xm, x if lam == 1.0 else x[index])
    assert seen == {0.0, 1.0}


def test_bad_input() -> None:
    x, y = np.zeros((3, 2)), np.eye(3)
    with pytest.raises(ValueError, match=r"same N, got shapes \(3, 2\) and \(2, 3\)"):
        mixup(x, y[:2])
    with pytest.raises(ValueError, match=r"alpha must be a finite number in \(0, 10000\], got 0"):
        mixup(x, y, alpha=0.0)
    with pytest.raises(ValueError, match="y_onehot must hold probabilities in \\[0, 1\\], found 2.0"):
        mixup(x, 2 * y)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        mixup(x, y, rng=7)
    with pytest.raises(ValueError, match=r"x must be a batch of images of shape \(N, C, H, W\), got shape \(3, 2\)"):
        cutmix(x, y)
    with pytest.raises(TypeError, match="x must be real-valued"):
        mixup(np.array([[1j]]), np.eye(1))


def test_mixed_label_loss_matches_torch() -> None:
    # cross-entropy is linear in a probability target, so the loss on the mixed labels equals
    # lam CE(y) + (1 - lam) CE(y[index]); checked with PyTorch's cross_entropy (probability targets)
    torch = require("torch")
    rng = np.random.default_rng(6)
    for dtype in DTYPES:
        logits = rng.normal(size=(16, 5)).astype(dtype) * 3
        y = one_hot(rng.integers(0, 5, size=16), 5).astype(dtype)
        x = rng.normal(size=(16, 4)).astype(dtype)
        _, ym, lam, index = mixup(x, y, alpha=0.4, rng=rng)
        mixed = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(ym)).item()
        split = (lam * torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(y))
                 + (1 - lam) * torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(y[index]))).item()
        # a mean of 16 sums of 5 products with log-probabilities up to ~12: a few eps relative
        assert_matches(np.asarray(mixed, dtype=dtype), split, dtype, ulps=16, scale=4.0)
        assert_matches(cross_entropy(logits, ym), mixed, dtype, ulps=16, scale=4.0)


@pytest.mark.parametrize("alpha", [0.2, 1.0, 4.0])
def test_lambda_is_beta_distributed(alpha: float) -> None:
    # 3000 calls; Kolmogorov-Smirnov against Beta(alpha, alpha) with a fixed seed (a fixed p-value)
    stats = require("scipy.stats")
    rng = np.random.default_rng(7)
    x, y = np.zeros((2, 1)), np.eye(2)
    lams = np.array([mixup(x, y, alpha=alpha, rng=rng)[2] for _ in range(3000)])
    assert stats.kstest(lams, stats.beta(alpha, alpha).cdf).pvalue > 1e-3
    # CutMix's kept area follows lam up to the rounding of the box to whole pixels and the clipping;
    # on average it keeps at least lam (a clipped box is smaller)
    images = np.zeros((2, 1, 32, 32))
    kept = np.array([cutmix(images, y, alpha=alpha, rng=rng)[2] for _ in range(500)])
    assert np.all((kept >= 0) & (kept <= 1)) and kept.mean() >= 0.5 - 0.05
