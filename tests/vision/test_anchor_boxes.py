"""multibox_prior and assign_anchor_to_bbox: hand values, d2l's layout built anchor by anchor here,
the two assignment rules run as plain loops here, properties, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import assign_anchor_to_bbox, box_iou, multibox_prior
from tests.reference import DTYPES, EXTREMES

EPS = np.finfo(np.float64).eps


# ---------------------------------------------------------------- independent references
def loop_prior(h, w, sizes, ratios) -> np.ndarray:
    """d2l's layout written anchor by anchor: cells row by row, then (s_i, r_1) for every size,
    then (s_1, r_j) for the other ratios; width s sqrt(r) H / W, height s / sqrt(r)."""
    pairs = [(s, ratios[0]) for s in sizes] + [(sizes[0], r) for r in ratios[1:]]
    out = []
    for i in range(h):
        for j in range(w):
            cx, cy = (j + 0.5) / w, (i + 0.5) / h
            for s, r in pairs:
                bw, bh = s * math.sqrt(r) * h / w, s / math.sqrt(r)
                out.append([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2])
    return np.array(out).reshape(-1, 4)


def pair_iou(a, b):
    """IoU of two boxes given as rows of numpy scalars: the arithmetic stays in their dtype, so
    float32 boxes get float32 IoUs rounded as the vectorised code rounds them (ties stay ties)."""
    zero = a[0] - a[0]
    inter = max(zero, min(a[2], b[2]) - max(a[0], b[0])) * max(zero, min(a[3], b[3]) - max(a[1], b[1]))
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def loop_assign(gt, anchors, threshold) -> list[int]:
    """The two rules with Python lists: rule 1 per anchor (first best box on a tie); rule 2 picks
    the largest remaining IoU (first in row-major order on a tie) among free anchors and boxes."""
    iou = [[float(pair_iou(a, g)) for g in np.asarray(gt)] for a in np.asarray(anchors)]
    out = [-1] * len(anchors)
    for i, row in enumerate(iou):
        if row and max(row) >= threshold:
            out[i] = row.index(max(row))
    free_a, free_g = list(range(len(anchors))), list(range(len(gt)))
    while free_a and free_g:
        _, a, g = max(((iou[a][g], -a, -g) for a in free_a for g in free_g))  # largest, then first
        a, g = -a, -g
        out[a] = g
        free_a.remove(a)
        free_g.remove(g)
    return out


def random_boxes(rng, n, span=1.0, low=0.05, high=0.5) -> np.ndarray:
    xy = rng.uniform(0, span, size=(n, 2))
    return np.concatenate([xy, xy + rng.uniform(low, high, size=(n, 2))], axis=1)


# ---------------------------------------------------------------- multibox_prior
def test_prior_hand_values() -> None:
    # 1 x 1 map, size 0.5, ratio 1: the centred half-size square
    assert multibox_prior(1, 1, [0.5], [1.0]).tolist() == [[0.25, 0.25, 0.75, 0.75]]
    # 2 x 1 map (H = 2, W = 1): centres (0.5, 0.25) and (0.5, 0.75); size 0.25, ratio 1: width
    # 0.25 * 2 / 1 = 0.5 of the image width, height 0.25 (square on a 2:1 tall image)
    np.testing.assert_array_equal(multibox_prior(2, 1, [0.25], [1.0]),
                                  [[0.25, 0.125, 0.75, 0.375], [0.25, 0.625, 0.75, 0.875]])
    # sizes (0.75, 0.5, 0.25) and ratios (1, 2, 0.5): 3 + 3 - 1 = 5 anchors per cell (d2l's example)
    assert multibox_prior(5, 7, [0.75, 0.5, 0.25], [1, 2, 0.5]).shape == (5 * 7 * 5, 4)


@pytest.mark.parametrize("dtype", DTYPES)
def test_prior_matches_the_loop(dtype) -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        h, w = (int(v) for v in rng.integers(1, 6, size=2))
        sizes = rng.uniform(0.05, 1, size=int(rng.integers(1, 4))).astype(dtype)
        ratios = rng.uniform(0.2, 5, size=int(rng.integers(1, 4))).astype(dtype)
        ours = multibox_prior(h, w, sizes, ratios)
        assert ours.dtype == dtype
        # a centre and a half side, each a few roundings of numbers <= 5: 8 ulps of 5
        np.testing.assert_allclose(ours, loop_prior(h, w, sizes.tolist(), ratios.tolist()), rtol=0,
                                   atol=8 * np.finfo(dtype).eps * 5)


@settings(max_examples=20)
@given(st.integers(1, 6), st.integers(1, 6), st.lists(st.floats(0.05, 1), min_size=1, max_size=3),
       st.lists(st.floats(0.2, 5), min_size=1, max_size=3))
def test_prior_properties(h, w, sizes, ratios) -> None:
    boxes = multibox_prior(h, w, sizes, ratios).reshape(h, w, len(sizes) + len(ratios) - 1, 4)
    # centres on the cell grid
    shape = boxes.shape[:3]
    np.testing.assert_allclose((boxes[..., 0] + boxes[..., 2]) / 2,
                               np.broadcast_to(((np.arange(w) + 0.5) / w)[None, :, None], shape), atol=1e-14)
    np.testing.assert_allclose((boxes[..., 1] + boxes[..., 3]) / 2,
                               np.broadcast_to(((np.arange(h) + 0.5) / h)[:, None, None], shape), atol=1e-14)
    # on an H x W pixel image: width / height = r, area = (s H)^2
    px_w, px_h = (boxes[..., 2] - boxes[..., 0]) * w, (boxes[..., 3] - boxes[..., 1]) * h
    pairs_s = np.array(list(sizes) + [sizes[0]] * (len(ratios) - 1))
    pairs_r = np.array([ratios[0]] * len(sizes) + list(ratios[1:]))
    np.testing.assert_allclose(px_w / px_h, np.broadcast_to(pairs_r, px_w.shape), rtol=1e-13)
    np.testing.assert_allclose(px_w * px_h, np.broadcast_to((pairs_s * h) ** 2, px_w.shape), rtol=1e-13)


def test_prior_bad_input() -> None:
    with pytest.raises(ValueError, match="feature_h must be an integer >= 1, got 0"):
        multibox_prior(0, 2, [0.5], [1.0])
    with pytest.raises(TypeError, match="feature_w must be an integer"):
        multibox_prior(2, 2.0, [0.5], [1.0])
    with pytest.raises(ValueError, match="sizes must hold positive finite numbers, found -0.5"):
        multibox_prior(2, 2, [0.5, -0.5], [1.0])
    with pytest.raises(ValueError, match="ratios must hold positive finite numbers, found nan"):
        multibox_prior(2, 2, [0.5], [np.nan])
    with pytest.raises(ValueError, match=r"ratios must be a non-empty 1-d sequence, got shape \(0,\)"):
        multibox_prior(2, 2, [0.5], [])


# ---------------------------------------------------------------- assign_anchor_to_bbox
def test_assign_hand_values() -> None:
    gt = np.array([[0.0, 0.0, 2.0, 2.0], [5.0, 5.0, 6.0, 6.0]])
    anchors = np.array([[0.0, 0.0, 2.0, 2.0],   # = box 0
                        [0.0, 0.0, 2.0, 1.0],   # IoU 2/4 = 0.5 with box 0
                        [5.0, 5.0, 7.0, 7.0],   # IoU 1/4 with box 1
                        [9.0, 9.0, 9.5, 9.5]])  # nothing
    # rule 1 at 0.5: anchors 0, 1 -> box 0 (0.5 >= 0.5); rule 2: (0, 0) at IoU 1, then box 1's best
    # free anchor is 2 (1/4)
    assert assign_anchor_to_bbox(gt, anchors).tolist() == [0, 0, 1, -1]
    # a higher threshold drops anchor 1; rule 2 is unchanged
    assert assign_anchor_to_bbox(gt, anchors, iou_threshold=0.6).tolist() == [0, -1, 1, -1]
    # no ground truth: everything is background
    assert assign_anchor_to_bbox(np.zeros((0, 4)), anchors).tolist() == [-1, -1, -1, -1]


def test_rule_two_overrides_rule_one() -> None:
    # anchor 0 overlaps box 0 by 100 / 102.5 and box 1 by 102.5 / 105 (larger): rule 1 gives it box 1,
    # and refuses anchor 1 (IoU 0.1 with box 0). Rule 2 takes (anchor 0, box 1) first, then box 0's
    # best free anchor is anchor 1: it gets box 0 although its IoU is below the threshold
    gt = np.array([[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 10.5]])
    anchors = np.array([[0.0, 0.0, 10.0, 10.25], [0.0, 0.0, 1.0, 10.0]])
    expected = loop_assign(gt, anchors, 0.5)
    assert assign_anchor_to_bbox(gt, anchors).tolist() == expected == [1, 0]
    # more boxes than anchors: every anchor is taken by rule 2, the extra box gets nothing
    gt3 = np.r_[gt, [[20.0, 20.0, 21.0, 21.0]]]
    assert assign_anchor_to_bbox(gt3, anchors).tolist() == loop_assign(gt3, anchors, 0.5)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 0.7])
def test_assign_matches_the_loop(dtype, threshold) -> None:
    rng = np.random.default_rng(1)
    for _ in range(12):
        gt = random_boxes(rng, int(rng.integers(1, 5))).astype(dtype)
        anchors = multibox_prior(int(rng.integers(1, 4)), int(rng.integers(1, 4)), [0.6, 0.3], [1.0, 2.0, 0.5])
        anchors = anchors.astype(dtype)
        ours = assign_anchor_to_bbox(gt, anchors, threshold)
        assert ours.dtype == np.int64
        # the loop's IoUs are computed in the boxes' dtype with the same operations, so exact ties
        # between mirror-image anchors stay ties and both pick the first: identical lists
        assert ours.tolist() == loop_assign(gt, anchors, threshold)


@settings(max_examples=30)
@given(st.integers(0, 2**32 - 1), st.floats(0.1, 0.9))
def test_assign_properties(seed, threshold) -> None:
    rng = np.random.default_rng(seed)
    gt = random_boxes(rng, int(rng.integers(1, 6)))
    anchors = random_boxes(rng, int(rng.integers(1, 12)))
    out = assign_anchor_to_bbox(gt, anchors, threshold)
    assert out.tolist() == loop_assign(gt, anchors, threshold)
    # min(A, G) distinct boxes have an anchor; every anchor's box is a real index or -1
    assert len(set(out[out >= 0].tolist())) >= min(len(anchors), len(gt))
    assert np.all((out >= -1) & (out < len(gt)))
    # an anchor taken by rule 1 alone overlaps its box by at least the threshold
    iou = box_iou(anchors, gt)
    lonely = (out >= 0) & (iou.max(axis=1) >= threshold)
    assert np.all(iou[np.flatnonzero(lonely), out[lonely]] >= 0)


def test_assign_extremes() -> None:
    # corners from EXTREMES (|x| <= 1e4, 1e-8): nested and far-apart boxes, finite IoUs
    rng = np.random.default_rng(2)
    for _ in range(20):
        corners = np.sort(rng.choice(EXTREMES, size=(10, 2, 2)), axis=1)
        boxes = np.concatenate([corners[:, 0], corners[:, 1]], axis=1)
        boxes = boxes[np.all(boxes[:, 2:] > boxes[:, :2], axis=1)]
        if len(boxes) < 2:
            continue
        gt, anchors = boxes[: len(boxes) // 2], boxes[len(boxes) // 2 :]
        assert assign_anchor_to_bbox(gt, anchors).tolist() == loop_assign(gt, anchors, 0.5)


def test_assign_bad_input() -> None:
    box = [[0.0, 0.0, 1.0, 1.0]]
    with pytest.raises(ValueError, match=r"anchors must have positive width and height, row 0 is \[0.0, 0.0, 0.0, 1.0\]"):
        assign_anchor_to_bbox(box, [[0.0, 0.0, 0.0, 1.0]])
    with pytest.raises(ValueError, match="gt_boxes must be finite, row 0 is not"):
        assign_anchor_to_bbox([[np.nan, 0.0, 1.0, 1.0]], box)
    with pytest.raises(ValueError, match=r"anchors must have shape \(N, 4\)"):
        assign_anchor_to_bbox(box, [0.0, 0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="gt_boxes must have x1 <= x2"):
        assign_anchor_to_bbox([[1.0, 0.0, 0.0, 1.0]], box)
    with pytest.raises(ValueError, match="iou_threshold must be a finite number"):
        assign_anchor_to_bbox(box, box, np.inf)
    with pytest.raises(ValueError, match="gt_boxes and anchors have areas too large to compare"):
        assign_anchor_to_bbox([[0.0, 0.0, 1e300, 1e300]], [[-1e300, -1e300, 1e300, 1e300]])
