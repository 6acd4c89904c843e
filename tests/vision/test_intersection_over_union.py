"""box_iou, generalized_box_iou (+ backward) and mask_iou: hand values, the papers' properties, a
per-pair loop and a pixel count written here from the definitions, stability, bad input, PyTorch
autograd on torchvision's formula, scikit-learn's jaccard_score."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import box_iou, generalized_box_iou, generalized_box_iou_backward, mask_iou
from tests.reference import DTYPES, EXTREMES, assert_matches, require

BOX = np.array([[0.0, 0.0, 2.0, 2.0]])


# ---------------------------------------------------------------- independent references
def loop_iou_giou(boxes1, boxes2) -> tuple[np.ndarray, np.ndarray]:
    """IoU and GIoU pair by pair in Python floats (float64), straight from the definitions."""
    iou = np.empty((len(boxes1), len(boxes2)))
    giou = np.empty_like(iou)
    for i, (ax1, ay1, ax2, ay2) in enumerate(np.asarray(boxes1, dtype=float).tolist()):
        for j, (bx1, by1, bx2, by2) in enumerate(np.asarray(boxes2, dtype=float).tolist()):
            overlap_w = max(0.0, min(ax2, bx2) - max(ax1, bx1))
            overlap_h = max(0.0, min(ay2, by2) - max(ay1, by1))
            inter = overlap_w * overlap_h
            union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
            hull = (max(ax2, bx2) - min(ax1, bx1)) * (max(ay2, by2) - min(ay1, by1))
            iou[i, j] = inter / union if union else np.nan
            giou[i, j] = iou[i, j] - (hull - union) / hull if hull else np.nan
    return iou, giou


def pixel_iou(a, b) -> float:
    """IoU of two integer boxes by counting the unit cells each covers (sets of cells)."""
    cells = [set(itertools.product(range(int(x1), int(x2)), range(int(y1), int(y2)))) for x1, y1, x2, y2 in (a, b)]
    union = cells[0] | cells[1]
    return len(cells[0] & cells[1]) / len(union) if union else np.nan


def random_boxes(rng, n, low=-5.0, high=5.0, size=4.0) -> np.ndarray:
    xy = rng.uniform(low, high, size=(n, 2))
    return np.concatenate([xy, xy + rng.uniform(0, size, size=(n, 2))], axis=1)


def extreme_boxes(rng, n) -> np.ndarray:
    """Corners drawn from EXTREMES (|x| <= 1e4, 1e-8, 0), sorted into valid boxes."""
    corners = rng.choice(EXTREMES, size=(n, 2, 2))
    corners.sort(axis=1)
    return np.concatenate([corners[:, 0], corners[:, 1]], axis=1)


# ---------------------------------------------------------------- hand-checked values
def test_hand_values() -> None:
    others = np.array([
        [1, 1, 3, 3],  # shifted by (1, 1): overlap 1, union 7, hull 3x3 = 9
        [0, 0, 2, 2],  # identical: IoU 1, GIoU 1
        [4, 4, 5, 5],  # disjoint: IoU 0, union 5, hull 5x5 = 25 -> GIoU -20/25
        [0.5, 0.5, 1.5, 1.5],  # nested: overlap = the inner box = 1, union 4, hull = the outer box
        [2, 0, 4, 2],  # touching along x = 2: overlap 0, union 8, hull 4x2 = 8 -> GIoU 0
        [1, 1, 1, 1],  # a point inside: area 0, IoU 0 / 4 = 0, hull = BOX -> GIoU 0
    ], dtype=float)
    np.testing.assert_array_equal(box_iou(BOX, others), [[1 / 7, 1, 0, 1 / 4, 0, 0]])
    np.testing.assert_allclose(generalized_box_iou(BOX, others), [[1 / 7 - 2 / 9, 1, -0.8, 1 / 4, 0, 0]],
                               rtol=0, atol=2 * np.finfo(float).eps)


def test_two_boxes_of_zero_area_have_no_iou() -> None:
    # union 0: 0 / 0 = NaN, as torchvision; identical points too. GIoU is NaN with them.
    points = np.array([[1.0, 1.0, 1.0, 1.0], [3.0, 1.0, 3.0, 1.0], [0.0, 0.0, 5.0, 0.0]])
    iou, giou = box_iou(points, points), generalized_box_iou(points, points)
    assert np.isnan(iou).all() and np.isnan(giou).all()
    # a zero-area box against a real one: IoU 0 (nothing shared of a union of area 4)
    assert box_iou(points, BOX).tolist() == [[0.0], [0.0], [0.0]]


def test_giou_paper_properties_by_hand() -> None:
    # Rezatofighi et al. (2019): GIoU <= IoU, GIoU = IoU when one box encloses the other,
    # and GIoU -> -1 as two unit boxes move apart: 0 - (C - 2) / C with C = (d + 1) * 1
    for d in (1.0, 9.0, 999.0):
        far = np.array([[d, 0.0, d + 1.0, 1.0]])
        unit = np.array([[0.0, 0.0, 1.0, 1.0]])
        expected = -(d + 1 - 2) / (d + 1)
        assert abs(generalized_box_iou(unit, far)[0, 0] - expected) <= 2 * np.finfo(float).eps
    inner = np.array([[0.3, 0.4, 1.1, 1.9]])
    assert generalized_box_iou(BOX, inner)[0, 0] == box_iou(BOX, inner)[0, 0]


def test_shapes_and_dtypes() -> None:
    assert box_iou(np.zeros((0, 4)), BOX).shape == (0, 1)
    assert generalized_box_iou(BOX, np.zeros((0, 4))).shape == (1, 0)
    for dtype in DTYPES:
        b = BOX.astype(dtype)
        assert box_iou(b, b).dtype == dtype and generalized_box_iou(b, b).dtype == dtype
        g1, g2 = generalized_box_iou_backward(np.ones((1, 1), dtype), b, b)
        assert g1.dtype == g2.dtype == dtype
    assert box_iou([[0, 0, 2, 2]], [[1, 1, 3, 3]]).dtype == np.float64  # integers -> float64
    # mixed precision: the wider dtype, as numpy
    assert box_iou(BOX.astype(np.float32), BOX).dtype == np.float64


def test_pixel_counts_on_integer_boxes() -> None:
    # integer boxes: the area is a number of unit cells, so IoU can be counted cell by cell
    rng = np.random.default_rng(0)
    xy = rng.integers(0, 6, size=(40, 2))
    boxes = np.concatenate([xy, xy + rng.integers(0, 4, size=(40, 2))], axis=1).astype(float)
    ours = box_iou(boxes[:20], boxes[20:])
    counted = np.array([[pixel_iou(a, b) for b in boxes[20:]] for a in boxes[:20]])
    # both are one division of the same two integers: identical, NaN where both are empty
    np.testing.assert_array_equal(ours, counted)


# ---------------------------------------------------------------- properties
boxes_strategy = st.integers(0, 2**32 - 1).map(lambda seed: random_boxes(np.random.default_rng(seed), 4))


@settings(max_examples=40)
@given(boxes_strategy, boxes_strategy, st.integers(-20, 20), st.floats(-100, 100))
def test_properties(a, b, k, shift) -> None:
    iou, giou = box_iou(a, b), generalized_box_iou(a, b)
    eps = 8 * np.finfo(float).eps
    assert np.all((iou >= 0) & (iou <= 1)) and np.all((giou > -1) & (giou <= iou + eps))
    # symmetric: box_iou(b, a) is the transpose, exactly (the same operations on swapped operands)
    np.testing.assert_array_equal(box_iou(b, a), iou.T)
    np.testing.assert_array_equal(generalized_box_iou(b, a), giou.T)
    # scaling every coordinate by 2^k is exact in floating point: the ratios cannot change
    np.testing.assert_array_equal(box_iou(a * 2.0**k, b * 2.0**k), iou)
    # a shift moves both boxes alike; the corners round, so only up to a few eps of the sides
    np.testing.assert_allclose(box_iou(a + shift, b + shift), iou, atol=1e-12 * (1 + abs(shift)))
    # a box against itself: 1
    np.testing.assert_array_equal(np.diag(box_iou(a, a)), 1.0)


@settings(max_examples=25)
@given(boxes_strategy, boxes_strategy)
def test_giou_backward_is_the_sum_of_pair_gradients(a, b) -> None:
    # the gradient of a weighted sum is the sum of the pairs' gradients (linearity in grad_out)
    g = np.random.default_rng(0).normal(size=(4, 4))
    total = generalized_box_iou_backward(g, a, b)
    parts = [generalized_box_iou_backward(np.where(np.arange(16).reshape(4, 4) == k, g, 0), a, b) for k in range(16)]
    for t, p in zip(total, zip(*parts)):
        np.testing.assert_allclose(t, sum(p), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- the per-pair loop
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("inputs", ["random", "extreme"])
def test_matches_the_per_pair_loop(dtype, inputs) -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        make = random_boxes if inputs == "random" else extreme_boxes
        a, b = make(rng, 5).astype(dtype), make(rng, 6).astype(dtype)
        iou_ref, giou_ref = loop_iou_giou(a, b)  # float64 arithmetic on the same (rounded) corners
        # ours rounds each side, area, overlap and the union (<= 8 roundings, each half an ulp,
        # relative to a quantity no larger than the union): 16 ulps of the result, 16 ulps of 1 apart
        assert_matches(box_iou(a, b), iou_ref, dtype, ulps=16)
        # GIoU also forms (C - U) / C, a cancellation bounded by 1: 16 ulps of 1 absolute
        assert_matches(generalized_box_iou(a, b), giou_ref, dtype, ulps=16)


# ---------------------------------------------------------------- stability and NaN
@pytest.mark.parametrize("dtype", DTYPES)
def test_finite_up_to_1e4(dtype) -> None:
    rng = np.random.default_rng(2)
    a, b = extreme_boxes(rng, 8).astype(dtype), extreme_boxes(rng, 7).astype(dtype)
    a[0], b[0] = [-1e4, -1e4, 1e4, 1e4], [-1e4, 1e4, 1e4, 1e4]  # the widest box; a zero-height one
    has_area = ((a[:, 2] > a[:, 0]) & (a[:, 3] > a[:, 1]))[:, None] | ((b[:, 2] > b[:, 0]) & (b[:, 3] > b[:, 1]))[None]
    for out in (box_iou(a, b), generalized_box_iou(a, b)):
        assert out.dtype == dtype and np.all(np.isfinite(out[has_area]))
    g = np.where(has_area, 1e4, 0).astype(dtype)
    for grad in generalized_box_iou_backward(g, a, b):
        assert grad.dtype == dtype and np.all(np.isfinite(grad))


def test_nan_propagates_to_its_row_only() -> None:
    a = np.array([[0.0, 0.0, 2.0, 2.0], [np.nan, 0.0, 1.0, 1.0]])
    for out in (box_iou(a, BOX), generalized_box_iou(a, BOX)):
        assert not np.isnan(out[0, 0]) and np.isnan(out[1, 0])


def test_zero_grad_out_ignores_undefined_pairs() -> None:
    # pair (0, 1) has GIoU NaN (two points); with grad_out 0 there it must not spread NaN to box 0
    # (PyTorch would: 0 * inf), a non-zero grad_out there gives NaN, honestly
    a = np.array([[1.0, 1.0, 1.0, 1.0]])
    b = np.array([[0.0, 0.0, 2.0, 2.0], [3.0, 3.0, 3.0, 3.0]])
    g1, g2 = generalized_box_iou_backward([[1.0, 0.0]], a, b)
    assert np.all(np.isfinite(g1)) and np.all(np.isfinite(g2))
    g1, _ = generalized_box_iou_backward([[1.0, 1.0]], a, b)
    assert np.isnan(g1).all()


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"boxes1 must have shape \(N, 4\), one \(x1, y1, x2, y2\) per row, got shape \(4,\)"):
        box_iou([0, 0, 1, 1], BOX)
    with pytest.raises(ValueError, match=r"boxes2 must have shape \(N, 4\).*got shape \(1, 5\)"):
        generalized_box_iou(BOX, np.zeros((1, 5)))
    with pytest.raises(ValueError, match=r"boxes2 must have x1 <= x2 and y1 <= y2 in every row, row 1 is \[2.0, 0.0, 1.0, 1.0\]"):
        box_iou(BOX, [[0, 0, 1, 1], [2, 0, 1, 1]])
    with pytest.raises(TypeError, match="boxes1 must be real-valued"):
        box_iou(BOX.astype(complex), BOX)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the forward output \(1, 2\)"):
        generalized_box_iou_backward(np.ones((2, 1)), BOX, np.r_[BOX, BOX])
    with pytest.raises(ValueError, match="pred must be a binary mask of 0 and 1 \\(or bool\\), found 2"):
        mask_iou([0, 2], [0, 1])
    with pytest.raises(ValueError, match="target must hold class labels"):
        mask_iou([0, 1], [0, 0.5])
    with pytest.raises(ValueError, match=r"target must have the same shape as pred: pred has shape \(2,\), target has shape \(3,\)"):
        mask_iou([0, 1], [0, 1, 1])


# ---------------------------------------------------------------- masks vs scikit-learn
def test_mask_iou_matches_jaccard_score() -> None:
    metrics = require("sklearn.metrics")
    rng = np.random.default_rng(3)
    for _ in range(40):
        shape = tuple(rng.integers(1, 12, size=int(rng.integers(1, 4))))
        target = rng.random(shape) < rng.random()
        pred = rng.random(shape) < rng.random()
        if not (pred | target).any():
            continue
        # both divide the same two integer counts once: equal to the last bit
        assert mask_iou(pred, target) == metrics.jaccard_score(target.ravel(), pred.ravel())
        assert mask_iou(pred.astype(float), target.astype(np.uint8)) == mask_iou(pred, target)
    # two empty masks: NaN here on purpose; scikit-learn warns and returns 0 (zero_division="warn")
    empty = np.zeros((3, 3), dtype=bool)
    assert np.isnan(mask_iou(empty, empty))
    with pytest.warns(UserWarning, match="Jaccard"):
        assert metrics.jaccard_score(empty.ravel(), empty.ravel()) == 0.0


def test_mask_iou_hand_values() -> None:
    # 2 shared pixels of 4 covered; identical -> 1; disjoint -> 0
    assert mask_iou([[1, 1, 0], [0, 1, 0]], [[0, 1, 0], [0, 1, 1]]) == 0.5
    assert mask_iou([True, False], [True, False]) == 1.0 and mask_iou([1, 0], [0, 1]) == 0.0
    assert isinstance(mask_iou([1], [1]), np.float64)


# ---------------------------------------------------------------- PyTorch autograd
def torch_giou(torch, b1, b2):
    """torchvision.ops.generalized_box_iou's formula, written in torch (torchvision is not installable)."""
    area1 = (b1[:, 2] - b1[:, 0]) * (b1[:, 3] - b1[:, 1])
    area2 = (b2[:, 2] - b2[:, 0]) * (b2[:, 3] - b2[:, 1])
    lt, rb = torch.max(b1[:, None, :2], b2[:, :2]), torch.min(b1[:, None, 2:], b2[:, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    union = area1[:, None] + area2 - inter
    lti, rbi = torch.min(b1[:, None, :2], b2[:, :2]), torch.max(b1[:, None, 2:], b2[:, 2:])
    whi = (rbi - lti).clamp(min=0)
    areai = whi[..., 0] * whi[..., 1]
    return inter / union, inter / union - (areai - union) / areai


def grad_scale(g, a, b) -> tuple[np.ndarray, np.ndarray]:
    """A bound on the sum of |terms| in each box's gradient: every term is grad_out times one of
    1/U, I/U^2, 1/C, U/C^2 times a side of the pair's hull (in float64)."""
    g, a, b = (np.asarray(v, dtype=float) for v in (g, a, b))
    lt, rb = np.maximum(a[:, None, :2], b[None, :, :2]), np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.maximum(rb - lt, 0), axis=-1)
    area_a, area_b = np.prod(a[:, 2:] - a[:, :2], axis=1), np.prod(b[:, 2:] - b[:, :2], axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    hull_wh = np.maximum(a[:, None, 2:], b[None, :, 2:]) - np.minimum(a[:, None, :2], b[None, :, :2])
    hull = np.prod(hull_wh, axis=-1)
    terms = np.abs(g) * (1 / union + inter / union**2 + 1 / hull + union / hull**2) * hull_wh.max(axis=-1)
    return terms.sum(axis=1)[:, None], terms.sum(axis=0)[:, None]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("inputs", ["random", "extreme", "grid"])
def test_matches_torch_autograd(dtype, inputs) -> None:
    torch = require("torch")
    rng = np.random.default_rng(4)
    for _ in range(15):
        if inputs == "random":
            a, b = random_boxes(rng, 5), random_boxes(rng, 4)
        elif inputs == "extreme":
            a, b = extreme_boxes(rng, 5), extreme_boxes(rng, 4)
        else:  # small integers: shared edges, ties in every max and min, touching boxes
            xy = rng.integers(0, 4, size=(9, 2))
            ab = np.concatenate([xy, xy + rng.integers(1, 4, size=(9, 2))], axis=1).astype(float)
            a, b = ab[:5], ab[5:]
        a, b = a.astype(dtype), b.astype(dtype)
        g = rng.normal(size=(5, 4)).astype(dtype)
        ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        iou_t, giou_t = torch_giou(torch, ta, tb)
        giou_t.backward(torch.tensor(g))
        defined = ~np.isnan(giou_t.detach().numpy())
        # values: the same operations in the same order
        assert_matches(box_iou(a, b), iou_t.detach().numpy(), dtype, ulps=4)
        assert_matches(generalized_box_iou(a, b), giou_t.detach().numpy(), dtype, ulps=4)
        if not defined.all():  # degenerate pairs: torch spreads NaN, we follow only where grad_out != 0
            continue
        # gradients: sums over the pairs of products of a few rounded factors, in another order:
        # within 16 ulps of the sum of the terms' magnitudes
        ga, gb = generalized_box_iou_backward(g, a, b)
        sa, sb = grad_scale(g, a, b)
        assert_matches(ga, ta.grad.numpy(), dtype, ulps=16, scale=np.broadcast_to(sa, ga.shape))
        assert_matches(gb, tb.grad.numpy(), dtype, ulps=16, scale=np.broadcast_to(sb, gb.shape))
