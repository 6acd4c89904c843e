"""sinusoidal_positional_encoding: hand values, properties, stability, bad input, a PyTorch reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import sinusoidal_positional_encoding as pe
from tests.reference import assert_matches, require


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_values() -> None:
    # d = 2: one pair with frequency 10000^0 = 1, so PE[pos] = (sin pos, cos pos)
    pos = np.arange(5.0)
    np.testing.assert_allclose(pe(5, 2), np.stack([np.sin(pos), np.cos(pos)], axis=1), rtol=1e-15, atol=0)
    # d = 4: frequencies 1 and 10000^(-2/4) = 1/100; position 50: (sin 50, cos 50, sin 1/2, cos 1/2)
    np.testing.assert_allclose(pe(51, 4)[50], [math.sin(50), math.cos(50), math.sin(0.5), math.cos(0.5)], rtol=1e-14)
    # position 0 is (0, 1, 0, 1, ...): sin 0 and cos 0
    np.testing.assert_array_equal(pe(1, 6)[0], [0, 1, 0, 1, 0, 1])


def test_odd_d_model_applies_the_formula_column_by_column() -> None:
    # d = 3: columns sin(pos), cos(pos), sin(pos / 10000^(2/3)); the last sine has no cosine partner
    enc = pe(7, 3)
    pos = np.arange(7.0)
    np.testing.assert_allclose(enc, np.stack([np.sin(pos), np.cos(pos), np.sin(pos / 10000 ** (2 / 3))], 1), rtol=1e-13, atol=1e-15)
    assert pe(4, 1).shape == (4, 1)


def test_shapes_and_dtype() -> None:
    assert pe(0, 8).shape == (0, 8)
    enc = pe(np.int64(3), np.int32(8))
    assert enc.shape == (3, 8) and enc.dtype == np.float64


# ---------------------------------------------------------------- properties
sizes = st.integers(1, 64)


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(st.integers(1, 200), sizes)
def test_bounded_and_pairs_on_the_unit_circle(seq_len, d_model) -> None:
    enc = pe(seq_len, d_model)
    assert np.all(np.abs(enc) <= 1)
    even = d_model - d_model % 2
    # sin^2 + cos^2 = 1 for every complete (sin, cos) pair
    np.testing.assert_allclose(enc[:, 0:even:2] ** 2 + enc[:, 1:even:2] ** 2, 1.0, rtol=1e-15)


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(st.integers(0, 500), st.integers(0, 500), st.integers(1, 32).map(lambda h: 2 * h))
def test_offset_is_a_rotation_of_each_pair(p, k, d_model) -> None:
    # Vaswani et al. 2017, sec. 3.5: PE[p + k] is a linear function of PE[p] for a fixed k:
    # each pair (sin w p, cos w p) is rotated by the angle w k
    enc = pe(p + k + 1, d_model)
    w = 10000.0 ** (-np.arange(0, d_model, 2) / d_model)
    s, c = enc[p, 0::2], enc[p, 1::2]
    rotated_sin = s * np.cos(w * k) + c * np.sin(w * k)
    rotated_cos = c * np.cos(w * k) - s * np.sin(w * k)
    # angles up to ~1000 rad: sin/cos of them are exact to ~1000 * eps each
    np.testing.assert_allclose(enc[p + k, 0::2], rotated_sin, atol=1e-12)
    np.testing.assert_allclose(enc[p + k, 1::2], rotated_cos, atol=1e-12)


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(st.integers(0, 300), st.integers(0, 300), st.integers(0, 50), st.integers(1, 32).map(lambda h: 2 * h))
def test_dot_product_depends_only_on_the_offset(p, q, k, d_model) -> None:
    # PE[p] . PE[p + k] = sum_i cos(w_i k), whatever p
    enc = pe(max(p, q) + k + 1, d_model)
    np.testing.assert_allclose(enc[p] @ enc[p + k], enc[q] @ enc[q + k], atol=1e-11)
    w = 10000.0 ** (-np.arange(0, d_model, 2) / d_model)
    np.testing.assert_allclose(enc[p] @ enc[p + k], np.sum(np.cos(w * k)), atol=1e-11)


def test_every_position_is_distinct() -> None:
    # the lowest frequency 10000^(-(d-2)/d) has a period of about 2 pi 10^4 positions
    enc = pe(2000, 64)
    # every row has squared norm d / 2 = 32, so |a - b|^2 = 64 - 2 a.b
    squared_gaps = 64 - 2 * (enc @ enc.T) + np.eye(2000) * 100
    assert np.min(squared_gaps) > 1e-3


# ---------------------------------------------------------------- stability
def test_long_sequences_stay_finite_and_bounded() -> None:
    enc = pe(100_000, 16)
    assert np.all(np.isfinite(enc)) and np.all(np.abs(enc) <= 1)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((-1, 4), ValueError, "seq_len must be a non-negative integer, got -1"),
        ((3, 0), ValueError, "d_model must be a positive integer, got 0"),
        ((3.0, 4), TypeError, "seq_len must be an integer, got float"),
        ((3, "4"), TypeError, "d_model must be an integer, got str"),
        ((True, 4), TypeError, "seq_len must be an integer, got bool"),
    ],
)
def test_rejects_bad_sizes(args, error, message) -> None:
    with pytest.raises(error, match=message):
        pe(*args)


# ---------------------------------------------------------------- reference
@pytest.mark.parametrize("d_model", [2, 8, 64, 512])
def test_matches_the_pytorch_tutorial_formula(d_model) -> None:
    # PyTorch has no built-in sinusoidal encoding; its word_language_model example and
    # "Language Modeling with nn.Transformer" tutorial build it this way, in torch arithmetic
    torch = require("torch")
    max_len = 5000
    position = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float64) * (-math.log(10000.0) / d_model))
    ref = torch.zeros(max_len, d_model, dtype=torch.float64)
    ref[:, 0::2] = torch.sin(position * div_term)
    ref[:, 1::2] = torch.cos(position * div_term)
    # an angle pos * w is rounded to eps * pos (pos < 5000); sin and cos move by at most that much
    assert_matches(pe(max_len, d_model), ref.numpy(), np.float64, scale=max_len)
