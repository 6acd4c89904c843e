"""distillation_loss (+ backward): hand values, limits and properties, stability, bad input,
torch.nn.functional.kl_div(..., reduction="batchmean") * T**2 + cross_entropy, values and grads."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from snippets import cross_entropy, distillation_loss, distillation_loss_backward
from tests.reference import EXTREMES, assert_matches, require, torch_forward_backward


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- hand-checked values
def test_hand_values() -> None:
    s = np.array([[0.0, 0.0]])
    # student = teacher: KL = 0, only (1 - alpha) * CE = 0.5 * log 2 remains
    assert np.isclose(distillation_loss(s, s, [0], alpha=0.5), 0.5 * np.log(2), rtol=1e-15)
    # alpha = 1, T = 1, teacher (log 3, 0) -> p_t = (3/4, 1/4); student uniform (1/2, 1/2):
    # KL = 3/4 log(3/2) + 1/4 log(1/2)
    t = np.array([[np.log(3.0), 0.0]])
    kl = 0.75 * np.log(1.5) + 0.25 * np.log(0.5)
    assert np.isclose(distillation_loss(s, t, [1], temperature=1.0, alpha=1.0), kl, rtol=1e-14)
    # at T = 2 both are divided by 2: teacher (log 3 / 2, 0) -> p_t = (sqrt3, 1) / (sqrt3 + 1); times T^2 = 4
    p = np.array([np.sqrt(3.0), 1.0]) / (np.sqrt(3.0) + 1.0)
    assert np.isclose(distillation_loss(s, t, [1], temperature=2.0, alpha=1.0), 4 * np.sum(p * np.log(2 * p)), rtol=1e-14)
    # alpha = 0: plain cross-entropy, the teacher is ignored
    logits = rng().normal(size=(5, 4))
    labels = np.array([0, 1, 2, 3, 0])
    assert distillation_loss(logits, -logits, labels, alpha=0.0) == cross_entropy(logits, labels)


def test_hand_gradient() -> None:
    # alpha = 1, T = 1, s uniform, p_t = (3/4, 1/4): gradient p_s - p_t = (-1/4, 1/4)
    got = distillation_loss_backward(1.0, [[0.0, 0.0]], [[np.log(3.0), 0.0]], [1], temperature=1.0, alpha=1.0)
    np.testing.assert_allclose(got, [[-0.25, 0.25]], rtol=1e-15)
    # grad_out scales it; each row sums to zero
    got = distillation_loss_backward(2.0, rng(1).normal(size=(3, 5)), rng(2).normal(size=(3, 5)), [0, 4, 2])
    np.testing.assert_allclose(got.sum(axis=1), 0.0, atol=1e-15)


# ---------------------------------------------------------------- properties
logit_rows = st.lists(st.floats(-30, 30), min_size=3, max_size=3)


@given(st.lists(logit_rows, min_size=1, max_size=6), st.floats(0.5, 20.0), st.floats(0.0, 1.0), st.integers(0, 2**32 - 1))
def test_soft_term_is_nonnegative_and_zero_at_the_teacher(rows, T: float, alpha: float, seed: int) -> None:
    s = np.array(rows)
    labels = rng(seed).integers(0, 3, size=len(s))
    # the KL part is >= 0, so the loss is at least the weighted CE; equal when student = teacher
    ce = cross_entropy(s, labels)
    assert distillation_loss(s, s, labels, T, alpha) == pytest.approx((1 - alpha) * ce, rel=1e-12, abs=1e-12)
    t = s + rng(seed).normal(size=s.shape)
    assert distillation_loss(s, t, labels, T, alpha) >= (1 - alpha) * ce - 1e-12


@given(st.integers(0, 2**32 - 1), st.floats(-50, 50))
def test_invariant_to_shifting_each_row(seed: int, shift: float) -> None:
    s, t = rng(seed).normal(size=(4, 3)), rng(seed + 1).normal(size=(4, 3))
    labels = np.array([0, 1, 2, 1])
    # softmax ignores a constant added to a row, of the student or of the teacher
    a = distillation_loss(s, t, labels)
    assert distillation_loss(s + shift, t - shift, labels) == pytest.approx(a, rel=1e-9, abs=1e-12)


def test_high_temperature_limit_matches_logits() -> None:
    # Hinton et al. 2015, §2.1: for large T and zero-mean logits, the soft gradient
    # T * (p_s - p_t) / N tends to (s - t) / (C N) (matching logits, up to 1/C)
    s, t = rng(3).normal(size=(2, 4)), rng(4).normal(size=(2, 4))
    s -= s.mean(axis=1, keepdims=True)
    t -= t.mean(axis=1, keepdims=True)
    got = distillation_loss_backward(1.0, s, t, [0, 1], temperature=1e4, alpha=1.0)
    np.testing.assert_allclose(got, (s - t) / (4 * 2), rtol=1e-3, atol=1e-8)


def test_stability_at_large_logits() -> None:
    for dtype in (np.float32, np.float64):
        s = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], dtype=dtype)
        t = s[:, ::-1].copy()
        loss = distillation_loss(s, t, [0, 2], temperature=1.0, alpha=0.5)
        grad = distillation_loss_backward(1.0, s, t, [0, 2], temperature=1.0, alpha=0.5)
        assert loss.dtype == dtype and np.isfinite(loss) and np.all(np.isfinite(grad))


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    s = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"teacher_logits must have the same shape as student_logits"):
        distillation_loss(s, np.zeros((2, 4)), [0, 1])
    with pytest.raises(ValueError, match=r"labels must have shape \(N,\) = \(2,\) for student_logits \(2, 3\), got \(3,\)"):
        distillation_loss(s, s, [0, 1, 2])
    with pytest.raises(ValueError, match=r"labels contains class index 3, outside the valid range \[0, 2\]"):
        distillation_loss(s, s, [0, 3])
    with pytest.raises(ValueError, match="temperature must be a finite number > 0, got 0"):
        distillation_loss(s, s, [0, 1], temperature=0)
    with pytest.raises(ValueError, match=r"alpha must be a finite number in \[0, 1\], got 1.5"):
        distillation_loss(s, s, [0, 1], alpha=1.5)
    with pytest.raises(ValueError, match=r"student_logits must be a non-empty 2-D array \(N, C\), got shape \(3,\)"):
        distillation_loss(np.zeros(3), np.zeros(3), [0])
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(\)"):
        distillation_loss_backward(np.ones(2), s, s, [0, 1])


# ---------------------------------------------------------------- PyTorch
def torch_distillation(torch, T: float, alpha: float):
    F = torch.nn.functional

    def loss(s, t, y):
        soft = F.kl_div(F.log_softmax(s / T, dim=1), F.softmax(t / T, dim=1), reduction="batchmean") * T**2
        return alpha * soft + (1 - alpha) * F.cross_entropy(s, y)

    return loss


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("T", "alpha"), [(4.0, 0.9), (1.0, 0.5), (10.0, 1.0), (0.5, 0.3)])
def test_matches_torch(dtype, T: float, alpha: float) -> None:
    torch = require("torch")
    g = rng(int(T * 10 + alpha * 100))
    s = (g.normal(size=(20, 10)) * 3).astype(dtype)
    t = (g.normal(size=(20, 10)) * 3).astype(dtype)
    # extreme rows: EXTREMES spread over the first rows of both (logits up to +-1e4)
    s[:2, :] = EXTREMES[:10].astype(dtype), EXTREMES[5:].astype(dtype)
    t[1:3, :] = EXTREMES[5:].astype(dtype)[::-1], EXTREMES[:10].astype(dtype)
    y = g.integers(0, 10, size=20)
    ref, (ref_grad,) = torch_forward_backward(torch_distillation(torch, T, alpha), [s, t, y], np.array(1.0), wrt=[0])
    ours = distillation_loss(s, t, y, T, alpha)
    # the loss is a sum of 200 KL terms and 20 cross-entropies, each a product of a probability
    # and a log-probability difference rounded to an ulp of its size; torch sums in another order,
    # so the two may differ by a few ulps of the loss (measured: about 1); 16 bounds that
    scale = float(np.max(np.abs(ref)))
    assert_matches(ours, ref, dtype, ulps=16, scale=scale)
    # the gradient is alpha T / N times a difference of two probabilities in [0, 1], plus the
    # cross-entropy gradient: a few ulps of T / N (measured: 1.25)
    assert_matches(distillation_loss_backward(1.0, s, t, y, T, alpha), ref_grad, dtype, ulps=8, scale=max(T, 1.0) / 20)
