"""early_stopping_epoch / generalization_loss: hand cases, properties, a transcription of Keras's
EarlyStopping rule (Keras is not a test dependency), bad input.

No backward: the stopping rule is a decision on a loss curve, not a differentiable function.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from snippets import early_stopping_epoch, generalization_loss

curves = st.lists(st.floats(0.01, 10.0), min_size=1, max_size=60)


def keras_rule(losses, patience: int, min_delta: float) -> tuple[int, int]:
    """Keras 3's EarlyStopping.on_epoch_end for mode="min", baseline=None, start_from_epoch=0,
    transcribed: wait counts epochs since the last improvement; an improvement is
    ``current - min_delta < best`` with min_delta made negative (``current + |d| < best``);
    training stops when ``wait >= patience and epoch > 0``."""
    best, best_epoch, wait = math.inf, 0, 0
    for epoch, current in enumerate(losses):
        wait += 1
        if current + min_delta < best:
            best, best_epoch, wait = current, epoch, 0
            continue
        if wait >= patience and epoch > 0:
            return epoch, best_epoch
    return len(losses) - 1, best_epoch


# ---------------------------------------------------------------- hand-checked values
def test_hand_cases() -> None:
    # improvements at 0, 1; epochs 2, 3 no better than 0.8: two in a row -> stop after 3, best 1
    assert early_stopping_epoch([1.0, 0.8, 0.9, 0.85, 0.7], 2) == (3, 1)
    # patience 3: epoch 4 (0.7) improves before patience runs out; the curve ends at 4
    assert early_stopping_epoch([1.0, 0.8, 0.9, 0.85, 0.7], 3) == (4, 4)
    # patience 1: the first epoch without improvement stops training
    assert early_stopping_epoch([3.0, 2.0, 2.5, 1.0], 1) == (2, 1)
    # a tie is not an improvement (strict <)
    assert early_stopping_epoch([1.0, 1.0, 1.0], 2) == (2, 0)
    # a steadily falling curve never stops early
    assert early_stopping_epoch(np.linspace(1, 0.1, 10), 1) == (9, 9)
    # a single epoch
    assert early_stopping_epoch([0.5], 5) == (0, 0)


def test_min_delta() -> None:
    # min_delta 0.06: 0.95 is not 0.06 below 1.0; 0.9 is (0.9 < 0.94); 0.89 is not below 0.84
    assert early_stopping_epoch([1.0, 0.95, 0.9, 0.89], 2, min_delta=0.06) == (3, 2)
    # the reference for later improvements is the loss at the last improvement (1.0 -> 0.9), not
    # the running minimum: 0.95 at epoch 1 does not lower the bar
    assert early_stopping_epoch([1.0, 0.95, 0.9, 0.89, 0.83], 3, min_delta=0.06) == (4, 4)
    # without min_delta each small step counts
    assert early_stopping_epoch([1.0, 0.95, 0.9, 0.89], 2) == (3, 3)


def test_nan_is_never_an_improvement() -> None:
    assert early_stopping_epoch([1.0, np.nan, np.nan, 0.5], 2) == (2, 0)
    # a diverged run from the start: no epoch improves, keep the initial weights
    assert early_stopping_epoch([np.nan, np.nan, np.nan], 2) == (1, -1)


def test_generalization_loss_hand_values() -> None:
    # best so far 2, 1, 1, 1, 0.5: GL = 0, 0, 10 %, 50 %, 0 (to rounding of 1.1 / 1 - 1)
    np.testing.assert_allclose(generalization_loss([2.0, 1.0, 1.1, 1.5, 0.5]), [0, 0, 10, 50, 0], atol=1e-12)
    out = generalization_loss(np.array([2.0, 4.0], dtype=np.float32))
    assert out.dtype == np.float32 and out.tolist() == [0.0, 100.0]
    assert generalization_loss([1, 2]).dtype == np.float64


# ---------------------------------------------------------------- properties
@given(curves, st.integers(1, 10), st.sampled_from([0.0, 0.01, 0.1, 0.5]))
def test_matches_the_keras_rule(losses, patience: int, min_delta: float) -> None:
    assert early_stopping_epoch(losses, patience, min_delta) == keras_rule(losses, patience, min_delta)


@given(curves, st.integers(1, 10))
def test_stop_and_best_epochs(losses, patience: int) -> None:
    stop, best = early_stopping_epoch(losses, patience)
    arr = np.array(losses)
    assert 0 <= best <= stop <= len(losses) - 1
    # with min_delta = 0 the best epoch holds the first minimum of the epochs trained
    assert best == int(np.argmin(arr[: stop + 1]))
    # stopped early exactly `patience` epochs after the best; otherwise the curve ran out
    assert stop == best + patience or stop == len(losses) - 1
    # a longer patience never stops earlier
    assert early_stopping_epoch(losses, patience + 1)[0] >= stop


@given(curves)
def test_generalization_loss_properties(losses) -> None:
    gl = generalization_loss(losses)
    arr = np.array(losses)
    assert np.all(gl >= 0)
    # zero exactly where a new minimum (or a tie with it) is reached
    np.testing.assert_array_equal(gl == 0, arr == np.minimum.accumulate(arr))
    # scale-free: multiplying every loss by a constant changes nothing (to rounding)
    np.testing.assert_allclose(generalization_loss(3.0 * arr), gl, rtol=1e-12, atol=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_generalization_loss_stable_at_extremes(dtype) -> None:
    # losses from 1e-8 to 1e4: ratios up to 1e12, finite in both dtypes, no warning
    out = generalization_loss(np.array([1e4, 1e-8, 1e4, 1.0], dtype=dtype))
    assert out.dtype == dtype and np.all(np.isfinite(out)) and out[1] == 0
    np.testing.assert_allclose(out[2], 100 * (1e12 - 1), rtol=4 * np.finfo(dtype).eps)
    # beyond the range (1e4 / 1e-38 in float32): inf, and still no RuntimeWarning
    out = generalization_loss(np.array([1e-38, 1e4], dtype=np.float32))
    assert np.isinf(out[1])
    assert np.isnan(generalization_loss([1.0, np.nan, 0.5])[1])


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"val_losses must be a non-empty 1-D array \(one loss per epoch\), got shape \(0,\)"):
        early_stopping_epoch([], 2)
    with pytest.raises(ValueError, match=r"got shape \(2, 2\)"):
        generalization_loss(np.ones((2, 2)))
    with pytest.raises(ValueError, match="patience must be an integer >= 1, got 0"):
        early_stopping_epoch([1.0], 0)
    with pytest.raises(TypeError, match="patience must be an integer, got float"):
        early_stopping_epoch([1.0], 2.5)
    with pytest.raises(ValueError, match="min_delta must be a finite number >= 0, got -0.1"):
        early_stopping_epoch([1.0], 2, min_delta=-0.1)
    with pytest.raises(TypeError, match="val_losses must be numeric"):
        early_stopping_epoch(["a", "b"], 2)
    with pytest.raises(ValueError, match=r"val_losses must be > 0 for a ratio to the best, found 0.0"):
        generalization_loss([1.0, 0.0])
