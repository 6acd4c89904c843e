"""hinge_loss, multi_margin_loss and their backwards."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import hinge_loss, hinge_loss_backward, multi_margin_loss, multi_margin_loss_backward
from tests.reference import DTYPES, EXTREMES, assert_matches, require, torch_forward_backward

finite = st.floats(-1e4, 1e4, allow_nan=False)


# ---------------------------------------------------------------- hand-checked values
def test_binary_hinge_hand_values() -> None:
    # margins y * s = 3, 1, 0.25, -2 -> losses max(0, 1 - m) = 0, 0, 0.75, 3
    s, y = np.array([3.0, -1.0, 0.25, 2.0]), np.array([1, -1, 1, -1])
    np.testing.assert_array_equal(hinge_loss(s, y, reduction="none"), [0.0, 0.0, 0.75, 3.0])
    assert hinge_loss(s, y, reduction="sum") == 3.75
    assert hinge_loss(s, y) == 3.75 / 4
    # margin 2: losses max(0, 2 - m) = 0, 1, 1.75, 4
    np.testing.assert_array_equal(hinge_loss(s, y, margin=2.0, reduction="none"), [0.0, 1.0, 1.75, 4.0])
    # gradient -y inside the margin; at m = 1 exactly (the kink) it is 0
    np.testing.assert_array_equal(hinge_loss_backward(np.ones(4), s, y, reduction="none"), [0.0, 0.0, -1.0, 1.0])


def test_multi_margin_hand_values() -> None:
    # scores (1, 3, 2.5), true class 1: z = 1 - 3 + (1, 2.5) = (-1, 0.5) -> p=1: 0.5 / 3, p=2: 0.25 / 3
    x = np.array([[1.0, 3.0, 2.5], [0.0, 0.0, 0.0]])
    t = np.array([1, 2])
    # second row: all scores equal, z = 1 for both wrong classes -> 2 / 3 either way
    np.testing.assert_allclose(multi_margin_loss(x, t, reduction="none"), [0.5 / 3, 2 / 3], rtol=1e-15)
    np.testing.assert_allclose(multi_margin_loss(x, t, p=2, reduction="none"), [0.25 / 3, 2 / 3], rtol=1e-15)
    # weight by the true class: row 1 times 10, row 2 times 100
    w = np.array([1.0, 10.0, 100.0])
    np.testing.assert_allclose(multi_margin_loss(x, t, weight=w, reduction="sum"), 5 / 3 + 200 / 3, rtol=1e-15)
    # margin 0: the first row's z = (-2, -0.5), the second row's ties give z = 0: no loss at all
    assert multi_margin_loss(x, t, margin=0.0) == 0.0
    # gradients (p = 1, mean over 2): row 1: +1/3 on class 2, -1/3 on class 1; row 2: +1/3, +1/3, -2/3; halved
    expected = np.array([[0.0, -1 / 3, 1 / 3], [1 / 3, 1 / 3, -2 / 3]]) / 2
    np.testing.assert_allclose(multi_margin_loss_backward(1.0, x, t), expected, rtol=1e-15)
    # p = 2: 2 z / C: row 1 z = 0.5 -> 1/3; row 2 z = 1 -> 2/3 each
    expected = np.array([[0.0, -1 / 3, 1 / 3], [2 / 3, 2 / 3, -4 / 3]]) / 2
    np.testing.assert_allclose(multi_margin_loss_backward(1.0, x, t, p=2), expected, rtol=1e-15)


def test_single_sample_without_batch_axis() -> None:
    # input (C,) and a scalar target: one loss of shape (), as in PyTorch
    out = multi_margin_loss([0.1, 0.2, 0.4, 0.8], 3, reduction="none")
    assert out.shape == () and math.isclose(out, 0.325, rel_tol=1e-15)
    grad = multi_margin_loss_backward(1.0, [0.1, 0.2, 0.4, 0.8], 3)
    np.testing.assert_allclose(grad, [0.25, 0.25, 0.25, -0.75], rtol=1e-15)


# ---------------------------------------------------------------- properties
@st.composite
def scores_and_classes(draw, elements=finite):
    n, c = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    x = draw(arrays(np.float64, (n, c), elements=elements))
    t = draw(arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    return x, t


@given(scores_and_classes(), st.sampled_from([1, 2]))
def test_multi_margin_is_non_negative_and_gradient_rows_sum_to_zero(data, p) -> None:
    x, t = data
    assert multi_margin_loss(x, t, p=p) >= 0
    # adding a constant to all scores of a row changes nothing, so each gradient row sums to 0
    grad = multi_margin_loss_backward(1.0, x, t, p=p)
    np.testing.assert_allclose(grad.sum(axis=1), 0.0, atol=1e-9 * (1 + np.abs(grad).max()))


@given(scores_and_classes(elements=st.floats(-100, 100)), st.floats(0, 5))
def test_no_loss_once_the_true_class_leads_by_the_margin(data, margin) -> None:
    x, t = data
    rows = np.arange(len(t))
    x = x.copy()
    x[rows, t] = np.max(x, axis=1) + margin + 1e-6 * (1 + np.abs(x).max())
    assert multi_margin_loss(x, t, margin=margin) == 0.0


@given(arrays(np.float64, st.integers(1, 10), elements=st.floats(-100, 100)), st.data())
def test_two_classes_are_the_binary_hinge_on_the_score_difference_over_two(d, data) -> None:
    # C = 2: z = m - (x_y - x_other), so the loss is hinge(x_1 - x_0, y = +-1) / C with C = 2
    x0 = data.draw(arrays(np.float64, d.shape, elements=st.floats(-100, 100)))
    x = np.stack([x0, x0 + d], axis=1)
    t = data.draw(arrays(np.int64, d.shape, elements=st.integers(0, 1)))
    y = 2 * t - 1
    s = x[:, 1] - x[:, 0]  # recompute the difference as the loss sees it
    np.testing.assert_allclose(
        multi_margin_loss(x, t, reduction="none"), hinge_loss(s, y, reduction="none") / 2, rtol=1e-12, atol=1e-12
    )


@given(arrays(np.float64, st.integers(1, 20), elements=finite), st.data())
def test_hinge_bounds_the_zero_one_error(s, data) -> None:
    # a misclassified point (y s <= 0) costs at least 1 = margin: the hinge is a convex upper bound
    y = data.draw(arrays(np.int64, s.shape, elements=st.sampled_from([-1, 1])))
    losses = hinge_loss(s, y, reduction="none")
    assert np.all(losses >= (y * s <= 0))


@pytest.mark.parametrize("dtype", DTYPES)
@given(x=arrays(np.float64, (3, 5), elements=finite), t=arrays(np.int64, (3,), elements=st.integers(0, 4)))
def test_stable_up_to_1e4(dtype, x, t) -> None:
    x = x.astype(dtype)
    y = np.where(t % 2 == 0, 1, -1)
    values = [
        multi_margin_loss(x, t, p=2), multi_margin_loss_backward(1.0, x, t, p=2),
        multi_margin_loss(x, t, weight=np.arange(5.0, dtype=dtype)),
        hinge_loss(x[:, 0], y), hinge_loss_backward(1.0, x[:, 0], y),
    ]
    for v in values:
        assert v.dtype == dtype and np.all(np.isfinite(v))


def test_nan_in_nan_out() -> None:
    assert np.isnan(multi_margin_loss([[np.nan, 0.0]], [1]))
    assert np.isnan(multi_margin_loss_backward(1.0, [[np.nan, 0.0]], [1])).all()
    assert np.isnan(hinge_loss([np.nan], [1]))
    assert np.isnan(hinge_loss_backward(1.0, [np.nan], [1])).all()


# ---------------------------------------------------------------- bad input
def test_multi_margin_rejects_bad_input() -> None:
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"input must be scores \(C,\) or \(N, C\).*\(2, 3, 1\)"):
        multi_margin_loss(np.zeros((2, 3, 1)), [0, 1])
    with pytest.raises(ValueError, match=r"target must have shape \(N,\) = \(2,\) for input of shape \(2, 3\), got \(3,\)"):
        multi_margin_loss(x, [0, 1, 2])
    with pytest.raises(ValueError, match=r"target contains class index 3"):
        multi_margin_loss(x, [0, 3])
    with pytest.raises(TypeError, match="target holding class indices must have an integer dtype"):
        multi_margin_loss(x, [0.0, 1.0])
    with pytest.raises(ValueError, match=r"p must be an integer in \[1, 2\], got 3"):
        multi_margin_loss(x, [0, 1], p=3)
    with pytest.raises(ValueError, match=r"weight must have shape \(C,\) = \(3,\) for C = 3 classes, got \(2,\)"):
        multi_margin_loss(x, [0, 1], weight=[1.0, 2.0])
    with pytest.raises(ValueError, match="margin must be a finite number"):
        multi_margin_loss(x, [0, 1], margin=np.inf)
    with pytest.raises(ValueError, match="reduction must be 'none', 'mean' or 'sum', got 'batchmean'"):
        multi_margin_loss(x, [0, 1], reduction="batchmean")
    with pytest.raises(TypeError, match="input must be real-valued"):
        multi_margin_loss(x.astype(complex), [0, 1])
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(2,\)"):
        multi_margin_loss_backward(1.0, x, [0, 1], reduction="none")
    with pytest.raises(ValueError, match="reduction='mean' needs at least one sample, input is empty"):
        multi_margin_loss(np.zeros((0, 3)), np.zeros(0, dtype=int))
    # an empty batch without a mean is fine: no losses, or their sum 0
    assert multi_margin_loss(np.zeros((0, 3)), np.zeros(0, dtype=int), reduction="none").shape == (0,)


def test_hinge_rejects_bad_labels() -> None:
    with pytest.raises(ValueError, match="y must hold labels -1 or \\+1, found 0"):
        hinge_loss([1.0, 2.0], [1, 0])
    with pytest.raises(ValueError, match=r"y must have the same shape as scores"):
        hinge_loss([1.0, 2.0], [1])
    with pytest.raises(ValueError, match="y must hold class labels"):
        hinge_loss([1.0], [0.5])


# ---------------------------------------------------------------- PyTorch and scikit-learn
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_multi_margin_matches_torch(dtype, p, weighted, reduction) -> None:
    torch = require("torch")
    rng = np.random.default_rng(5)
    c = len(EXTREMES)
    x = (rng.normal(size=(12, c)) * rng.choice([0.3, 1, 100], size=(12, 1))).astype(dtype)
    x[0], x[1], x[2, 3] = EXTREMES, EXTREMES[::-1], -1e4
    t = rng.integers(0, c, size=12)
    w = rng.uniform(0.5, 2.0, size=c).astype(dtype) if weighted else None
    g = rng.normal(size=12) if reduction == "none" else np.array(1.5)

    def f(x_, t_):
        return torch.nn.functional.multi_margin_loss(
            x_, t_, p=p, margin=0.7, weight=None if w is None else torch.tensor(w), reduction=reduction
        )

    ref, (ref_grad,) = torch_forward_backward(f, [x, t], g, wrt=[0])
    kw = dict(p=p, margin=0.7, weight=w, reduction=reduction)
    # z = margin - x[y] + x[i] is exact to eps * max|x|, z^2 to 2 |z| that; sums add a few ulps
    big = float(np.max(np.abs(x))) + 1
    scale = big if p == 1 else 4 * big**2
    assert_matches(multi_margin_loss(x, t, **kw), ref, dtype, scale=3 * scale)
    assert_matches(multi_margin_loss_backward(g, x, t, **kw), ref_grad, dtype, scale=4 * big)


@pytest.mark.parametrize("dtype", DTYPES)
def test_hinge_matches_sklearn_and_torch(dtype) -> None:
    torch = require("torch")
    metrics = require("sklearn.metrics")
    rng = np.random.default_rng(6)
    s = np.concatenate([rng.normal(size=200) * 3, EXTREMES]).astype(dtype)
    y = rng.choice([-1, 1], size=s.shape)
    # scikit-learn's hinge_loss is the mean of max(0, 1 - y s) (computed in float64)
    assert_matches(hinge_loss(s, y), metrics.hinge_loss(y, s.astype(np.float64)), dtype, scale=1e4)
    ref, (ref_grad,) = torch_forward_backward(
        lambda s_, y_: torch.clamp(0.5 - y_ * s_, min=0).sum(), [s, y.astype(dtype)], np.array(2.0), wrt=[0]
    )
    assert_matches(hinge_loss(s, y, margin=0.5, reduction="sum"), ref, dtype, scale=1e4 * s.size)
    assert_matches(hinge_loss_backward(2.0, s, y, margin=0.5, reduction="sum"), ref_grad, dtype)
