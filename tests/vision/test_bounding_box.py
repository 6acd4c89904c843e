"""box_convert, encode_boxes, decode_boxes: hand values, round trips, the formulas written out per
box here, torchvision's BoxCoder written in torch, stability, bad input."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import box_convert, box_iou, decode_boxes, encode_boxes
from tests.reference import DTYPES, EXTREMES, assert_matches, require

FORMATS = ("xyxy", "xywh", "cxcywh")
EPS = np.finfo(np.float64).eps


def random_boxes(rng, n, low=-50.0, high=50.0) -> np.ndarray:
    xy = rng.uniform(low, high, size=(n, 2))
    return np.concatenate([xy, xy + rng.uniform(0.5, 20, size=(n, 2))], axis=1)


# ---------------------------------------------------------------- hand-checked values
def test_convert_hand_values() -> None:
    # the box from (1, 2) to (5, 4): size 4 x 2, centre (3, 3)
    forms = {"xyxy": [1, 2, 5, 4], "xywh": [1, 2, 4, 2], "cxcywh": [3, 3, 4, 2]}
    for a, b in itertools.product(FORMATS, FORMATS):
        assert box_convert(np.array([forms[a]], dtype=float), a, b).tolist() == [forms[b]]


def test_convert_keeps_leading_shape_and_copies() -> None:
    b = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    out = box_convert(b, "xyxy", "xyxy")
    assert out.shape == (2, 3, 4) and out.dtype == np.float32 and out is not b
    np.testing.assert_array_equal(out, b)
    assert box_convert(np.zeros((0, 4)), "xywh", "cxcywh").shape == (0, 4)
    assert box_convert([[0, 0, 2, 2]], "xyxy", "cxcywh").dtype == np.float64


def test_encode_hand_values() -> None:
    anchor = np.array([[0.0, 0.0, 2.0, 2.0]])  # centre (1, 1), size 2 x 2
    # target centre (2, 1), size 4 x 2: dx = 1 / 2, dy = 0, dw = log 2, dh = 0; weights multiply
    target = np.array([[0.0, 0.0, 4.0, 2.0]])
    np.testing.assert_array_equal(encode_boxes(anchor, target, weights=(1, 1, 1, 1)), [[0.5, 0.0, math.log(2), 0.0]])
    np.testing.assert_array_equal(encode_boxes(anchor, target), [[5.0, 0.0, 5 * math.log(2), 0.0]])
    # d2l's offset_boxes example convention: (dx / 0.1, dy / 0.1, dw / 0.2, dh / 0.2) = weights (10, 10, 5, 5)
    assert encode_boxes(anchor, anchor).tolist() == [[0.0, 0.0, 0.0, 0.0]]
    # a target half the anchor's size at the same centre: dw = dh = 5 log(1/2)
    np.testing.assert_allclose(encode_boxes(anchor, [[0.5, 0.5, 1.5, 1.5]]), [[0, 0, -5 * math.log(2), -5 * math.log(2)]],
                               rtol=EPS)


def test_decode_clips_the_log_scale() -> None:
    # dw / ww above log(1000 / 16) is clipped: the box is at most 62.5 times the anchor
    anchor = np.array([[0.0, 0.0, 1.0, 1.0]])
    out = decode_boxes(anchor, [[0.0, 0.0, 1e4, 1e4]], weights=(1, 1, 1, 1))
    np.testing.assert_allclose(out, [[0.5 - 31.25, 0.5 - 31.25, 0.5 + 31.25, 0.5 + 31.25]], rtol=4 * EPS)
    # very negative: the box shrinks to its centre (exp underflows to 0), no warning
    np.testing.assert_array_equal(decode_boxes(anchor, [[0.0, 0.0, -1e4, -1e4]], weights=(1, 1, 1, 1)), [[0.5, 0.5, 0.5, 0.5]])


# ---------------------------------------------------------------- the formulas, per box
def reference_encode(anchors, gt, weights):
    """Encoding written out box by box from the definitions (Girshick et al. 2014, appendix C)."""
    out = []
    for (ax1, ay1, ax2, ay2), (gx1, gy1, gx2, gy2) in zip(np.asarray(anchors, float).tolist(), np.asarray(gt, float).tolist()):
        aw, ah, gw, gh = ax2 - ax1, ay2 - ay1, gx2 - gx1, gy2 - gy1
        acx, acy, gcx, gcy = ax1 + aw / 2, ay1 + ah / 2, gx1 + gw / 2, gy1 + gh / 2
        out.append([weights[0] * (gcx - acx) / aw, weights[1] * (gcy - acy) / ah,
                    weights[2] * math.log(gw / aw), weights[3] * math.log(gh / ah)])
    return np.array(out)


@pytest.mark.parametrize("dtype", DTYPES)
def test_encode_matches_the_per_box_formula(dtype) -> None:
    rng = np.random.default_rng(0)
    a, g = random_boxes(rng, 200).astype(dtype), random_boxes(rng, 200).astype(dtype)
    ref = reference_encode(a, g, (10, 10, 5, 5))
    # centres and sizes round once or twice each, then a difference and a division: the
    # differences can cancel (absolute error ~ eps * |coordinate| / size), so scale by that
    scale = np.abs(a).max(axis=1, keepdims=True) / (a[:, 2:] - a[:, :2]).min(axis=1, keepdims=True) * 10
    assert_matches(encode_boxes(a, g), ref, dtype, ulps=8, scale=np.broadcast_to(scale, ref.shape))


# ---------------------------------------------------------------- round trips and properties
@settings(max_examples=40)
@given(st.integers(0, 2**32 - 1), st.sampled_from(FORMATS), st.sampled_from(FORMATS))
def test_convert_round_trips(seed, a, b) -> None:
    boxes = random_boxes(np.random.default_rng(seed), 10)
    there = box_convert(box_convert(boxes, "xyxy", a), a, b)
    # each conversion is a few sums and halvings of coordinates <= 70: a few ulps of 70
    np.testing.assert_allclose(box_convert(there, b, "xyxy"), boxes, rtol=0, atol=8 * EPS * 70)
    np.testing.assert_allclose(box_convert(boxes, "xyxy", b), box_convert(box_convert(boxes, "xyxy", a), a, b),
                               rtol=0, atol=8 * EPS * 70)


@settings(max_examples=40)
@given(st.integers(0, 2**32 - 1), st.tuples(*[st.floats(0.5, 20)] * 4))
def test_decode_inverts_encode(seed, weights) -> None:
    rng = np.random.default_rng(seed)
    a, g = random_boxes(rng, 10), random_boxes(rng, 10)
    # sizes within 40x of each other: no clipping; a few roundings of coordinates <= 70
    np.testing.assert_allclose(decode_boxes(a, encode_boxes(a, g, weights), weights), g, rtol=0, atol=64 * EPS * 70)
    # offsets with |d / weight| well below the clip log(62.5) = 4.1; re-encoding divides corner
    # errors (~eps * 70) by sizes >= 0.5 and multiplies by weights <= 20: ~1e-12
    d = rng.normal(scale=0.5, size=(10, 4)) * np.array(weights)
    np.testing.assert_allclose(encode_boxes(a, decode_boxes(a, d, weights), weights), d, rtol=0, atol=1e-11)


@settings(max_examples=30)
@given(st.integers(0, 2**32 - 1), st.integers(-10, 10), st.floats(-100, 100))
def test_encoding_ignores_the_image_scale_and_position(seed, k, shift) -> None:
    # offsets in units of the anchor size: scaling both boxes by 2^k (exact) changes nothing;
    # shifting both moves every centre alike
    rng = np.random.default_rng(seed)
    a, g = random_boxes(rng, 10), random_boxes(rng, 10)
    d = encode_boxes(a, g)
    np.testing.assert_array_equal(encode_boxes(a * 2.0**k, g * 2.0**k), d)
    np.testing.assert_allclose(encode_boxes(a + shift, g + shift), d, atol=1e-9)


def test_decode_of_zero_is_the_anchor_and_iou_improves() -> None:
    rng = np.random.default_rng(1)
    a, g = random_boxes(rng, 50), random_boxes(rng, 50)
    np.testing.assert_allclose(decode_boxes(a, np.zeros((50, 4))), a, rtol=0, atol=4 * EPS * 70)
    # half the encoded offsets move each anchor part of the way: IoU with its target rises
    half = decode_boxes(a, encode_boxes(a, g) / 2)
    assert np.all(np.diag(box_iou(half, g)) >= np.diag(box_iou(a, g)) - 1e-12)


# ---------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", DTYPES)
def test_finite_up_to_1e4(dtype) -> None:
    rng = np.random.default_rng(2)
    corners = np.sort(rng.choice(EXTREMES, size=(300, 2, 2)), axis=1)
    boxes = np.concatenate([corners[:, 0], corners[:, 1]], axis=1).astype(dtype)
    boxes = boxes[np.all(boxes[:, 2:] > boxes[:, :2], axis=1)]  # positive sizes (1e-8 wide ones included)
    for a, b in itertools.product(FORMATS, FORMATS):
        out = box_convert(boxes, a, b)
        assert out.dtype == dtype and np.all(np.isfinite(out))
    anchors, targets = boxes[: len(boxes) // 2], boxes[len(boxes) // 2 : 2 * (len(boxes) // 2)]
    d = encode_boxes(anchors, targets)
    assert d.dtype == dtype and np.all(np.isfinite(d))
    out = decode_boxes(anchors, rng.choice(EXTREMES, size=d.shape).astype(dtype))
    assert out.dtype == dtype and np.all(np.isfinite(out))


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    box = [[0.0, 0.0, 1.0, 1.0]]
    with pytest.raises(ValueError, match=r"in_fmt must be one of \('xyxy', 'xywh', 'cxcywh'\), got 'xyhw'"):
        box_convert(box, "xyhw", "xyxy")
    with pytest.raises(ValueError, match="out_fmt must be one of"):
        box_convert(box, "xyxy", "XYXY")
    with pytest.raises(ValueError, match=r"boxes must have shape \(\.\.\., 4\), got shape \(3,\)"):
        box_convert([1.0, 2.0, 3.0], "xyxy", "xywh")
    with pytest.raises(ValueError, match=r"anchors must have x1 < x2 and y1 < y2 in every row, row 0 is \[0.0, 0.0, 0.0, 1.0\]"):
        encode_boxes([[0.0, 0.0, 0.0, 1.0]], box)
    with pytest.raises(ValueError, match=r"gt must have shape \(N, 4\)"):
        encode_boxes(box, [0.0, 0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=r"gt must have the same shape as anchors"):
        encode_boxes(box, box * 2)
    with pytest.raises(ValueError, match=r"deltas must have shape \(N, 4\) = \(1, 4\) for anchors of shape \(1, 4\), got \(2, 4\)"):
        decode_boxes(box, np.zeros((2, 4)))
    with pytest.raises(ValueError, match="weights must be a finite number > 0, got 0"):
        encode_boxes(box, box, weights=(1.0, 1.0, 0, 1.0))
    with pytest.raises(TypeError, match="weights must be a sequence of 4 numbers"):
        decode_boxes(box, np.zeros((1, 4)), weights=(1.0, 1.0))


# ---------------------------------------------------------------- torchvision's BoxCoder, in torch
def torch_box_coder(torch, anchors, gt, deltas, weights):
    """encode_single / decode_single of torchvision.models.detection._utils.BoxCoder, written
    out in torch (torchvision cannot be installed next to the CPU build of torch)."""
    wx, wy, ww, wh = weights
    aw, ah = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
    ax, ay = anchors[:, 0] + 0.5 * aw, anchors[:, 1] + 0.5 * ah
    gw, gh = gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1]
    gx, gy = gt[:, 0] + 0.5 * gw, gt[:, 1] + 0.5 * gh
    enc = torch.stack([wx * (gx - ax) / aw, wy * (gy - ay) / ah, ww * torch.log(gw / aw), wh * torch.log(gh / ah)], dim=1)
    dx, dy = deltas[:, 0] / wx, deltas[:, 1] / wy
    dw = torch.clamp(deltas[:, 2] / ww, max=math.log(1000.0 / 16))
    dh = torch.clamp(deltas[:, 3] / wh, max=math.log(1000.0 / 16))
    cx, cy = dx * aw + ax, dy * ah + ay
    w, h = torch.exp(dw) * aw, torch.exp(dh) * ah
    dec = torch.stack([cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h], dim=1)
    return enc.numpy(), dec.numpy()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("inputs", ["random", "extreme"])
def test_matches_torchvision_box_coder(dtype, inputs) -> None:
    torch = require("torch")
    rng = np.random.default_rng(3)
    if inputs == "random":
        a, g = random_boxes(rng, 300), random_boxes(rng, 300)
        deltas = rng.normal(scale=3, size=(300, 4))
    else:
        corners = np.sort(rng.choice(EXTREMES, size=(900, 2, 2)), axis=1)
        boxes = np.concatenate([corners[:, 0], corners[:, 1]], axis=1)
        boxes = boxes[np.all(boxes[:, 2:] > boxes[:, :2], axis=1)][:400]
        a, g = boxes[:200], boxes[200:400]
        deltas = rng.choice(EXTREMES, size=(200, 4))
    a, g, deltas = a.astype(dtype), g.astype(dtype), deltas.astype(dtype)
    weights = (10.0, 10.0, 5.0, 5.0)
    enc_t, dec_t = torch_box_coder(torch, *(torch.from_numpy(v) for v in (a, g, deltas)), weights)
    # the same operations in nearly the same order: centres as x1 + w / 2 (ours) vs x1 + 0.5 w,
    # identical; the weights multiply after the division here, before it there: one rounding
    # of a result whose inputs are known to eps * |coordinate| / size
    scale = np.abs(a).max(axis=1, keepdims=True) / (a[:, 2:] - a[:, :2]).min(axis=1, keepdims=True) * 10
    assert_matches(encode_boxes(a, g, weights), enc_t, dtype, ulps=8, scale=np.broadcast_to(scale, enc_t.shape))
    # decoded corners: a centre plus or minus half a size, each within a few ulps of the largest
    # of the anchor's coordinates and the decoded size
    mag = np.maximum(np.abs(a).max(axis=1, keepdims=True), np.abs(dec_t).max(axis=1, keepdims=True))
    assert_matches(decode_boxes(a, deltas, weights), dec_t, dtype, ulps=8, scale=np.broadcast_to(mag, dec_t.shape))
