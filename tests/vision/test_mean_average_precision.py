"""match_detections, detection_average_precision, mean_average_precision: hand cases, a brute-force
matcher and AP written from the definitions with Python loops, properties, bad input, and
scikit-learn's average_precision_score where the conventions agree."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import detection_average_precision, match_detections, mean_average_precision
from tests.reference import require


# ---------------------------------------------------------------- slow, independent references
def iou_by_definition(a, b) -> float:
    """IoU of two xyxy boxes from the areas, one pair at a time (no +1 pixel convention)."""
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


def brute_match(pred, scores, gt, threshold) -> list[int]:
    """The COCO rule as a plain loop: by decreasing score (ties: input order), each detection
    takes the unmatched gt of highest IoU (ties: lowest index) if that IoU >= threshold."""
    order = sorted(range(len(pred)), key=lambda p: (-scores[p], p))
    taken, result = set(), [-1] * len(pred)
    for p in order:
        best, best_iou = -1, -1.0
        for g in range(len(gt)):
            v = iou_by_definition(pred[p], gt[g])
            if g not in taken and v >= threshold and v > best_iou:
                best, best_iou = g, v
        if best >= 0:
            taken.add(best)
            result[p] = best
    return result


def brute_ap(scores, is_tp, num_gt, interpolation) -> float:
    """AP from the definitions with loops: precision and recall after each ranked detection, the
    interpolated precision at rank k the max over ranks >= k, then the sums of the papers."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    prec, rec, tp = [], [], 0
    for k, i in enumerate(order, start=1):
        tp += bool(is_tp[i])
        prec.append(tp / k)
        rec.append(tp / num_gt)
    interp = [max(prec[k:]) for k in range(len(prec))]
    if interpolation == "101-point":
        # COCO: at each recall level r, the interpolated precision of the first rank with recall >= r
        total = 0.0
        for r in np.linspace(0, 1, 101):
            ks = [k for k in range(len(rec)) if rec[k] >= r]
            total += interp[ks[0]] if ks else 0.0
        return total / 101
    used = interp if interpolation == "all-point" else prec
    return sum((rec[k] - (rec[k - 1] if k else 0.0)) * used[k] for k in range(len(rec)))


# ---------------------------------------------------------------- hand-checked values
def test_match_hand_cases() -> None:
    gt = [[0.0, 0, 10, 10], [20.0, 0, 30, 10]]
    # IoU of [0, 0, 10, 5] with gt 0 is 50 / 100 = 0.5: matched at >= 0.5 (COCO), not at > 0.5 (VOC)
    assert match_detections([[0.0, 0, 10, 5]], [0.9], gt).tolist() == [0]
    assert match_detections([[0.0, 0, 10, 5]], [0.9], gt, iou_threshold=0.51).tolist() == [-1]
    # a duplicate: the higher score takes the box, the other is a false positive even with IoU 1
    assert match_detections([[0.0, 0, 10, 10], [0.0, 0, 10, 9]], [0.5, 0.6], gt).tolist() == [-1, 0]
    m = match_detections([[2.0, 0, 12, 10], [0.0, 0, 14, 10]], [0.9, 0.8], gt, 0.5)
    # IoUs with gt 0: 80 / 120 = 2/3 and 100 / 140 = 5/7; the first (higher score) takes gt 0,
    # the second has no other gt above 0.5: false positive, although its IoU with gt 0 is larger
    assert m.tolist() == [0, -1]
    # nothing to match: all false positives; no detections: empty
    assert match_detections([[0.0, 0, 1, 1]], [0.3], np.zeros((0, 4))).tolist() == [-1]
    assert match_detections(np.zeros((0, 4)), [], gt).tolist() == []


def test_ap_hand_values() -> None:
    # ranked TP, FP, TP, FP, TP with num_gt = 4: (R, P) = (1/4, 1), (1/4, 1/2), (2/4, 2/3),
    # (2/4, 1/2), (3/4, 3/5). Envelope at the TPs: 1, 2/3, 3/5.
    # all-point: 1/4 (1 + 2/3 + 3/5) = 1/4 * 34/15 = 17/30; none: the same here (the precision at
    # each TP is already the envelope); 101-point: recall levels 0..0.25 (26 levels) at 1,
    # 0.26..0.5 (25) at 2/3, 0.51..0.75 (25) at 3/5, 0.76..1 (25) at 0: (26 + 50/3 + 15) / 101
    scores, tp = [0.9, 0.8, 0.7, 0.6, 0.5], [True, False, True, False, True]
    assert detection_average_precision(scores, tp, 4) == pytest.approx(17 / 30, abs=1e-15)
    assert detection_average_precision(scores, tp, 4, "none") == pytest.approx(17 / 30, abs=1e-15)
    assert detection_average_precision(scores, tp, 4, "101-point") == pytest.approx((26 + 50 / 3 + 15) / 101, abs=1e-15)
    # an FP before a TP: TP after FP has precision 1/2 at rank 2 but the envelope only lowers the
    # earlier point: ranked FP, TP (num_gt 1): all-point = none = 1/2
    assert detection_average_precision([0.9, 0.8], [False, True], 1) == 0.5
    # where interpolation matters: ranked TP, FP, FP, TP, TP (num_gt 3): precisions at the TPs
    # 1, 2/4, 3/5; envelope 1, 3/5, 3/5: all-point (1 + 3/5 + 3/5) / 3 = 11/15, none (1 + 1/2 + 3/5) / 3 = 7/10
    s, t = [5, 4, 3, 2, 1], [True, False, False, True, True]
    assert detection_average_precision(s, t, 3) == pytest.approx(11 / 15, abs=1e-15)
    assert detection_average_precision(s, t, 3, "none") == pytest.approx(7 / 10, abs=1e-15)


def test_voc_style_worked_case() -> None:
    # two images, one class. Image 1: gts A [0,0,10,10], B [20,20,30,30]; image 2: gt C [0,0,10,10].
    # Detections (score): d1 (0.95) = A exactly, d2 (0.9) on B shifted by 5 (IoU 50/150 = 1/3: FP),
    # d3 (0.8) = A again (duplicate: FP), d4 (0.7) on C shifted by 2 (IoU 80/120 = 2/3: TP).
    # Ranked: TP, FP, FP, TP over num_gt 3: precisions at TPs 1, 2/4; recall 1/3, 2/3:
    # all-point AP = (1 + 1/2) / 3 = 1/2
    preds = {"x": [([[0.0, 0, 10, 10], [25.0, 20, 35, 30], [0.0, 0, 10, 10]], [0.95, 0.9, 0.8]),
                   ([[2.0, 0, 12, 10]], [0.7])]}
    gts = {"x": [[[0.0, 0, 10, 10], [20.0, 20, 30, 30]], [[0.0, 0, 10, 10]]]}
    m, ap = mean_average_precision(preds, gts)
    assert m == pytest.approx(0.5, abs=1e-15) and ap.shape == (1, 1)
    # at IoU thresholds 0.5 and 0.7: at 0.7 d4 (2/3) misses too: AP = 1/3; the mean over both: 5/12
    m, ap = mean_average_precision(preds, gts, iou_thresholds=(0.5, 0.7))
    assert ap[0].tolist() == pytest.approx([0.5, 1 / 3], abs=1e-15) and m == pytest.approx(5 / 12, abs=1e-15)


def test_classes_without_ground_truth_are_left_out() -> None:
    preds = {"a": [([[0.0, 0, 2, 2]], [0.9])], "b": [([[0.0, 0, 2, 2]], [0.9])]}
    gts = {"a": [[[0.0, 0, 2, 2]]], "b": [np.zeros((0, 4))]}
    m, ap = mean_average_precision(preds, gts)
    assert m == 1.0 and ap[0, 0] == 1.0 and np.isnan(ap[1, 0])


# ---------------------------------------------------------------- brute force and properties
@st.composite
def image(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    g, p = draw(st.integers(0, 4)), draw(st.integers(0, 6))
    gt = np.c_[rng.uniform(0, 20, (g, 2)), np.zeros((g, 2))]
    gt[:, 2:] = gt[:, :2] + rng.uniform(2, 8, (g, 2))
    # detections: jittered copies of gts (some duplicates) and random boxes; coarse scores: ties
    pick = gt[rng.integers(0, g, p)] if g else np.zeros((p, 4))
    jitter = np.round(rng.normal(0, 1.5, (p, 4)), 1)
    pred = np.where(rng.random((p, 1)) < 0.7, pick + jitter, np.c_[rng.uniform(0, 20, (p, 2)), np.zeros((p, 2))])
    pred[:, 2:] = np.maximum(pred[:, 2:], pred[:, :2] + 0.5)
    scores = np.round(rng.random(p), 1)
    return pred, scores, gt


@settings(max_examples=60)
@given(image(), st.sampled_from([0.1, 0.3, 0.5, 0.75]))
def test_match_equals_the_brute_force_loop(data, threshold) -> None:
    pred, scores, gt = data
    assert match_detections(pred, scores, gt, threshold).tolist() == brute_match(pred, scores, gt, threshold)


@settings(max_examples=60)
@given(st.lists(st.tuples(st.integers(0, 5), st.booleans()), min_size=1, max_size=25), st.integers(0, 5),
       st.sampled_from(["all-point", "101-point", "none"]))
def test_ap_equals_the_definition(detections, missed, interpolation) -> None:
    scores = [float(s) for s, _ in detections]  # many ties
    is_tp = np.array([t for _, t in detections])
    num_gt = max(int(is_tp.sum()) + missed, 1)
    ours = detection_average_precision(scores, is_tp, num_gt, interpolation)
    # the sums differ in order only: within a few ulps of a number <= 1
    assert abs(ours - brute_ap(scores, is_tp, num_gt, interpolation)) <= 1e-14
    assert 0.0 <= ours <= 1.0
    if interpolation == "all-point":  # the envelope can only raise each precision
        assert ours >= detection_average_precision(scores, is_tp, num_gt, "none") - 1e-15


@settings(max_examples=30)
@given(st.lists(image(), min_size=1, max_size=3))
def test_map_of_one_class_is_its_pooled_ap(images) -> None:
    preds = {0: [(p, s) for p, s, _ in images]}
    gts = {0: [g for _, _, g in images]}
    num_gt = sum(len(g) for g in gts[0])
    if num_gt == 0:
        return
    scores = np.concatenate([s for _, s, _ in images])
    is_tp = np.concatenate([np.array(brute_match(p, s, g, 0.5), dtype=int) >= 0 for p, s, g in images])
    m, ap = mean_average_precision(preds, gts)
    assert abs(m - brute_ap(scores, is_tp, num_gt, "all-point")) <= 1e-14 and 0.0 <= m <= 1.0


def test_perfect_detector_and_missed_objects() -> None:
    gt = [[0.0, 0, 1, 1], [2.0, 2, 3, 3]]
    assert mean_average_precision({"c": [(gt, [0.9, 0.8])]}, {"c": [gt]})[0] == 1.0
    # one object never detected: recall stops at 1/2, AP 1/2 (missed objects cost recall)
    assert mean_average_precision({"c": [(gt[:1], [0.9])]}, {"c": [gt]})[0] == 0.5


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    gt = [[0.0, 0, 1, 1]]
    with pytest.raises(ValueError, match=r"pred_boxes must have shape \(N, 4\)"):
        match_detections([[0.0, 0, 1]], [0.5], gt)
    with pytest.raises(ValueError, match=r"scores must have shape \(1,\), one per detection, got shape \(2,\)"):
        match_detections([[0.0, 0, 1, 1]], [0.5, 0.4], gt)
    with pytest.raises(ValueError, match="scores must be finite to be ranked, found nan"):
        match_detections([[0.0, 0, 1, 1]], [np.nan], gt)
    with pytest.raises(ValueError, match=r"gt_boxes must have x1 <= x2 and y1 <= y2 in every row, row 0 is \[2.0, 0.0, 1.0, 1.0\]"):
        match_detections([[0.0, 0, 1, 1]], [0.5], [[2.0, 0, 1, 1]])
    with pytest.raises(ValueError, match="gt_boxes must hold finite coordinates, found inf"):
        match_detections([[0.0, 0, 1, 1]], [0.5], [[0.0, 0, np.inf, 1]])
    with pytest.raises(ValueError, match=r"iou_threshold must be a finite number in \[0, 1\], got 1.5"):
        match_detections([[0.0, 0, 1, 1]], [0.5], gt, 1.5)
    with pytest.raises(ValueError, match="num_gt must be an integer >= 1 and >= the 2 true positives, got 1"):
        detection_average_precision([0.9, 0.8], [True, True], 1)
    with pytest.raises(ValueError, match="is_tp must be booleans of the shape of scores"):
        detection_average_precision([0.9, 0.8], [1, 0], 2)
    with pytest.raises(ValueError, match="interpolation must be one of"):
        detection_average_precision([0.9], [True], 1, "11-point")
    with pytest.raises(ValueError, match="preds_by_class and gts_by_class must have the same classes"):
        mean_average_precision({"a": []}, {"b": []})
    with pytest.raises(ValueError, match="class 'a': preds_by_class has 1 images, gts_by_class 2"):
        mean_average_precision({"a": [(gt, [0.5])]}, {"a": [gt, gt]})
    with pytest.raises(ValueError, match=r"gts_by_class\['a'\]\[0\] must hold finite coordinates"):
        mean_average_precision({"a": [(gt, [0.5])]}, {"a": [[[0.0, 0, np.nan, 1]]]})
    with pytest.raises(ValueError, match="gts_by_class holds no ground-truth box in any class"):
        mean_average_precision({"a": [(gt, [0.5])]}, {"a": [np.zeros((0, 4))]})
    with pytest.raises(ValueError, match="iou_thresholds must hold at least one threshold"):
        mean_average_precision({"a": [(gt, [0.5])]}, {"a": [gt]}, iou_thresholds=())


def test_inputs_are_not_modified() -> None:
    pred, scores, gt = np.array([[0.0, 0, 1, 1], [0.5, 0, 1.5, 1]]), np.array([0.5, 0.9]), np.array([[0.0, 0, 1, 1]])
    for a in (pred, scores, gt):
        a.setflags(write=False)
    match_detections(pred, scores, gt)
    mean_average_precision({"a": [(pred, scores)]}, {"a": [gt]})


# ---------------------------------------------------------------- scikit-learn
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_uninterpolated_ap_is_sklearn_scaled_by_the_recall_reached(dtype) -> None:
    # where the conventions agree: distinct scores (scikit-learn merges tied scores into one
    # threshold, detection AP ranks every detection on its own). scikit-learn sees only the
    # detections, so its recall is TP / (detected TPs); ours divides by num_gt, which counts the
    # objects never detected: AP_none = AP_sklearn * TP_total / num_gt, exactly in rationals,
    # within a few ulps in floating point (300 terms summed in different orders: 64 ulps)
    metrics = require("sklearn.metrics")
    rng = np.random.default_rng(0)
    for _ in range(60):
        d = int(rng.integers(2, 300))
        scores = rng.permutation(d).astype(dtype) / d
        is_tp = rng.random(d) < rng.uniform(0.1, 0.9)
        is_tp[0] = True
        num_gt = int(is_tp.sum()) + int(rng.integers(0, 5))
        ours = detection_average_precision(scores, is_tp, num_gt, "none")
        ref = metrics.average_precision_score(is_tp, scores) * is_tp.sum() / num_gt
        assert abs(ours - ref) <= 64 * np.finfo(np.float64).eps


def test_where_we_differ_from_sklearn() -> None:
    metrics = require("sklearn.metrics")
    # 1. interpolation: ranked TP, FP, FP, TP, TP: sklearn 7/10 (no envelope), all-point 11/15
    s, t = np.array([5.0, 4, 3, 2, 1]), np.array([True, False, False, True, True])
    assert metrics.average_precision_score(t, s) == pytest.approx(0.7)
    assert detection_average_precision(s, t, 3) == pytest.approx(11 / 15)
    # 2. ties: sklearn counts the tie (TP, FP at 0.5) as one threshold of precision 1/2; ranked one
    # by one in input order, the TP comes first at precision 1
    assert metrics.average_precision_score([True, False], [0.5, 0.5]) == 0.5
    assert detection_average_precision([0.5, 0.5], [True, False], 1, "none") == 1.0
