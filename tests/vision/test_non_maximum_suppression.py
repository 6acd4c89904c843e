"""nms and batched_nms: hand cases (the strict threshold, ties), the greedy definition run as a
brute-force loop written here, properties, extremes, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import batched_nms, box_iou, nms
from tests.reference import DTYPES, EXTREMES


# ---------------------------------------------------------------- the brute-force reference
def pair_iou(a, b) -> float:
    """IoU of two boxes in Python floats (NaN for two zero-area boxes)."""
    inter = max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else float("nan")


def greedy_reference(boxes, scores, threshold, classes=None) -> list[int]:
    """The greedy definition: visit by decreasing score (ties by index, a sort on (-score, index));
    a box is kept unless a box of its class kept before it overlaps it by IoU > threshold."""
    boxes = np.asarray(boxes, dtype=float).tolist()
    scores = np.asarray(scores, dtype=float).tolist()
    classes = [0] * len(boxes) if classes is None else list(classes)
    visit = sorted(range(len(boxes)), key=lambda i: (-scores[i], i))
    kept: list[int] = []
    for i in visit:
        if all(classes[k] != classes[i] or not pair_iou(boxes[k], boxes[i]) > threshold for k in kept):
            kept.append(i)
    return kept


def per_class_reference(boxes, scores, classes, threshold) -> list[int]:
    """batched NMS as torchvision documents it: NMS on each class alone, the kept indices merged
    by decreasing score (ties by index)."""
    kept = []
    for c in sorted(set(classes)):
        members = [i for i in range(len(boxes)) if classes[i] == c]
        kept += [members[k] for k in greedy_reference(np.asarray(boxes)[members], np.asarray(scores)[members], threshold)]
    return sorted(kept, key=lambda i: (-float(scores[i]), i))


def clustered(rng, n, spread=0.6, ties=False):
    """n boxes jittered around 3 objects (many overlaps), and their scores."""
    centres = rng.uniform(0, 10, size=(3, 2))[rng.integers(0, 3, size=n)]
    xy = centres + rng.normal(scale=spread, size=(n, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(1, 3, size=(n, 2))], axis=1)
    scores = rng.integers(0, 4, size=n) / 4 if ties else rng.random(n)
    return boxes, scores


# ---------------------------------------------------------------- hand-checked values
def test_hand_values() -> None:
    boxes = np.array([[0, 0, 2, 2], [0.2, 0, 2.2, 2], [3, 3, 4, 4], [0, 0, 2, 1]], dtype=float)
    # IoU(0, 1) = 3.6 / 4.4 = 0.818; IoU(0, 3) = 2 / 4 = 0.5; box 2 touches nothing
    scores = [0.9, 0.8, 0.7, 0.6]
    assert nms(boxes, scores, 0.5).tolist() == [0, 2, 3]  # 0.5 is not above 0.5: box 3 survives
    assert nms(boxes, scores, 0.49).tolist() == [0, 2]
    assert nms(boxes, scores, 0.9).tolist() == [0, 1, 2, 3]
    assert nms(boxes, scores, 0.0).tolist() == [0, 2]  # any overlap at all suppresses
    # reorder the scores: box 1 first now suppresses box 0 (0.818), and box 3 overlaps box 1 by
    # 1.8 / 4.2 = 0.43 < 0.5: kept
    assert nms(boxes, [0.1, 0.8, 0.7, 0.6], 0.5).tolist() == [1, 2, 3]


def test_equal_scores_are_visited_in_input_order() -> None:
    # identical boxes with one score: the first one wins, at any threshold below 1
    boxes = np.tile([[1.0, 1.0, 3.0, 4.0]], (5, 1))
    assert nms(boxes, np.full(5, 0.3), 0.7).tolist() == [0]
    # a later box with a higher score wins over the earlier ones
    assert nms(boxes, [0.3, 0.3, 0.9, 0.3, 0.3], 0.7).tolist() == [2]
    # distinct boxes, equal scores: listed in input order
    far = np.array([[0, 0, 1, 1], [5, 5, 6, 6], [9, 9, 10, 10]], dtype=float)
    assert nms(far, [0.5, 0.5, 0.5], 0.5).tolist() == [0, 1, 2]
    assert batched_nms(far, [0.5, 0.9, 0.5], [2, 0, 1], 0.5).tolist() == [1, 0, 2]


def test_zero_area_boxes() -> None:
    # two points: IoU NaN, never above a threshold, so neither suppresses the other (torchvision
    # agrees: NaN > t is False); a point inside a real box has IoU 0 with it
    boxes = np.array([[1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 2, 2]], dtype=float)
    assert nms(boxes, [0.9, 0.8, 0.7], 0.5).tolist() == [0, 1, 2]


def test_empty_and_dtypes() -> None:
    out = nms(np.zeros((0, 4)), np.zeros(0), 0.5)
    assert out.dtype == np.int64 and out.shape == (0,)
    assert batched_nms(np.zeros((0, 4)), np.zeros(0), np.zeros(0, dtype=int), 0.5).shape == (0,)
    for dtype in DTYPES:
        boxes, scores = clustered(np.random.default_rng(0), 20)
        a = nms(boxes.astype(dtype), scores.astype(dtype), 0.5)
        assert a.dtype == np.int64
    # integer boxes and scores are accepted (float64 inside)
    assert nms([[0, 0, 2, 2], [0, 0, 2, 2]], [1, 2], 0.5).tolist() == [1]


def test_batched_hand_values() -> None:
    boxes = np.array([[0, 0, 2, 2], [0.2, 0, 2.2, 2], [0.1, 0, 2.1, 2], [3, 3, 4, 4]], dtype=float)
    scores = [0.9, 0.8, 0.7, 0.6]
    # class 0: boxes 0 and 2 (box 2 dropped); class 1: boxes 1 and 3 (both kept)
    assert batched_nms(boxes, scores, [0, 1, 0, 1], 0.5).tolist() == [0, 1, 3]
    # one class: plain NMS
    assert batched_nms(boxes, scores, [7, 7, 7, 7], 0.5).tolist() == nms(boxes, scores, 0.5).tolist() == [0, 3]
    # whole-valued floats and booleans are categories too
    assert batched_nms(boxes, scores, [0.0, 1.0, 0.0, 1.0], 0.5).tolist() == [0, 1, 3]


def test_coordinates_far_from_the_origin() -> None:
    # boxes near 1e4 of width 1e-3 in two classes: exact per-class greedy results, no offsets
    rng = np.random.default_rng(6)
    boxes, scores = clustered(rng, 30)
    boxes = 1e4 + boxes * 1e-3
    classes = rng.integers(0, 3, size=30)
    assert batched_nms(boxes, scores, classes, 0.4).tolist() == per_class_reference(boxes, scores, classes, 0.4)


# ---------------------------------------------------------------- brute force
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ties", [False, True])
def test_matches_the_greedy_loop(dtype, ties) -> None:
    rng = np.random.default_rng(1)
    for _ in range(30):
        n = int(rng.integers(1, 25))
        boxes, scores = clustered(rng, n, ties=ties)
        boxes, scores = boxes.astype(dtype), scores.astype(dtype)
        threshold = float(rng.choice([0.0, 0.3, 0.5, 0.7, 1.0]))
        # the same comparisons on IoUs of the same (rounded) corners: the reference computes them in
        # float64, so a float32 IoU within a few ulps of the threshold could flip; none lands there
        ious = box_iou(boxes, boxes)
        assert not np.any(np.abs(ious - threshold) < 1e-5 * (ious != threshold))
        assert nms(boxes, scores, threshold).tolist() == greedy_reference(boxes, scores, threshold)
        classes = rng.integers(0, 3, size=n)
        expected = per_class_reference(boxes, scores, classes, threshold)
        assert batched_nms(boxes, scores, classes, threshold).tolist() == expected
        assert expected == greedy_reference(boxes, scores, threshold, classes)


def test_extreme_coordinates() -> None:
    # corners drawn from EXTREMES (|x| <= 1e4, 1e-8, 0): many nested and degenerate boxes
    rng = np.random.default_rng(2)
    for _ in range(30):
        corners = np.sort(rng.choice(EXTREMES, size=(12, 2, 2)), axis=1)
        boxes = np.concatenate([corners[:, 0], corners[:, 1]], axis=1)
        scores = rng.choice([-np.inf, -1e4, 0.0, 0.5, 1e4, np.inf], size=12)
        for t in (0.0, 0.5):
            assert nms(boxes, scores, t).tolist() == greedy_reference(boxes, scores, t)


# ---------------------------------------------------------------- properties
@settings(max_examples=25)
@given(st.integers(0, 2**32 - 1), st.sampled_from([0.0, 0.2, 0.5, 0.8]), st.booleans())
def test_properties(seed, threshold, ties) -> None:
    rng = np.random.default_rng(seed)
    boxes, scores = clustered(rng, int(rng.integers(1, 30)), ties=ties)
    keep = nms(boxes, scores, threshold)
    ious = box_iou(boxes, boxes)
    # kept boxes overlap each other by at most the threshold, and come by decreasing score
    assert np.all(ious[np.ix_(keep, keep)][~np.eye(keep.size, dtype=bool)] <= threshold)
    assert np.all(np.diff(scores[keep]) <= 0)
    # every dropped box overlaps a kept box that ranks before it by more than the threshold
    rank = np.empty(len(boxes), dtype=int)
    rank[np.argsort(-scores, kind="stable")] = np.arange(len(boxes))
    for i in set(range(len(boxes))) - set(keep.tolist()):
        assert any(ious[k, i] > threshold and rank[k] < rank[i] for k in keep)
    # running NMS again on what it kept keeps all of it
    assert nms(boxes[keep], scores[keep], threshold).tolist() == list(range(keep.size))
    # a strictly increasing map of the scores changes nothing; a common shift of the boxes neither
    assert nms(boxes, np.exp(scores), threshold).tolist() == keep.tolist()
    assert nms(boxes + 2.0**5, scores, threshold).tolist() == keep.tolist()
    # one category: batched NMS is NMS; each box its own category: nothing is suppressed
    assert batched_nms(boxes, scores, np.zeros(len(boxes), dtype=int), threshold).tolist() == keep.tolist()
    everything = batched_nms(boxes, scores, np.arange(len(boxes)), threshold)
    assert everything.tolist() == np.argsort(-scores, kind="stable").tolist()


@settings(max_examples=15)
@given(st.integers(0, 2**32 - 1))
def test_permuting_the_input_permutes_the_output(seed) -> None:
    # distinct scores: the kept set is a property of the boxes, not of their order
    rng = np.random.default_rng(seed)
    boxes, scores = clustered(rng, 20)
    perm = rng.permutation(20)
    assert sorted(perm[nms(boxes[perm], scores[perm], 0.5)].tolist()) == sorted(nms(boxes, scores, 0.5).tolist())


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    box = np.array([[0.0, 0.0, 1.0, 1.0]])
    with pytest.raises(ValueError, match=r"scores must have shape \(N,\) = \(1,\) for boxes of shape \(1, 4\), got \(2,\)"):
        nms(box, [0.5, 0.2], 0.5)
    with pytest.raises(ValueError, match=r"boxes must have shape \(N, 4\)"):
        nms([0, 0, 1, 1], [0.5], 0.5)
    with pytest.raises(ValueError, match="boxes must have x1 <= x2 and y1 <= y2 in every row, row 0"):
        nms([[1.0, 0.0, 0.0, 1.0]], [0.5], 0.5)
    with pytest.raises(ValueError, match="boxes must be finite, row 1 is not"):
        nms(np.r_[box, [[0.0, 0.0, np.inf, 1.0]]], [0.5, 0.2], 0.5)
    with pytest.raises(ValueError, match="boxes must be finite, row 0"):
        nms([[np.nan, 0.0, 1.0, 1.0]], [0.5], 0.5)
    with pytest.raises(ValueError, match="scores must not be NaN, found NaN at index 0"):
        nms(box, [np.nan], 0.5)
    with pytest.raises(ValueError, match="iou_threshold must be a finite number"):
        nms(box, [0.5], np.nan)
    with pytest.raises(TypeError, match="iou_threshold must be a real number"):
        nms(box, [0.5], "0.5")
    with pytest.raises(TypeError, match="scores must be real-valued"):
        nms(box, [0.5j], 0.5)
    with pytest.raises(ValueError, match=r"idxs must have shape \(N,\) = \(1,\) for boxes of shape \(1, 4\), got \(2,\)"):
        batched_nms(box, [0.5], [0, 1], 0.5)
    with pytest.raises(ValueError, match="idxs must hold class labels"):
        batched_nms(box, [0.5], [0.5], 0.5)
