"""reliability_bins, expected_calibration_error and fit_temperature: hand values, properties,
extremes, bad input, scikit-learn, SciPy and PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import expected_calibration_error, fit_temperature, reliability_bins, softmax
from tests.reference import DTYPES, EXTREMES, assert_matches, require

EPS = np.finfo(np.float64).eps


def brute_force_ece(probs: np.ndarray, labels: np.ndarray, n_bins: int) -> float:
    """The definition, bin by bin with masks: sum_b n_b / N |acc_b - conf_b|, in float64.
    The bin of a confidence p is the b with b/M < p <= (b+1)/M (p = 0 in bin 0), edges from linspace."""
    conf = probs.max(axis=1).astype(np.float64)
    right = (probs.argmax(axis=1) == labels).astype(np.float64)
    edges = np.linspace(0, 1, n_bins + 1)
    total = 0.0
    for b in range(n_bins):
        inside = (conf > edges[b]) & (conf <= edges[b + 1]) if b else (conf <= edges[1])
        if inside.any():
            total += inside.sum() / conf.size * abs(right[inside].mean() - conf[inside].mean())
    return total


def nll(logits: np.ndarray, labels: np.ndarray, t: float) -> float:
    z = logits / t
    z = z - z.max(axis=1, keepdims=True)
    return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(labels)), labels]))


# ---------------------------------------------------------------- hand-checked values
def test_reliability_bins_hand_values() -> None:
    # 4 bins of width 1/4; confidences 0.1 (bin 0), 0.25 (bin 0: the edge belongs to the lower
    # bin), 0.6 and 0.7 (bin 2), none in bins 1 and 3 (NaN, count 0)
    conf, acc, counts = reliability_bins([0.1, 0.25, 0.6, 0.7], [1, 0, 1, 1], n_bins=4)
    assert counts.tolist() == [2, 0, 2, 0]
    np.testing.assert_allclose(conf[[0, 2]], [0.175, 0.65], rtol=1e-15)
    assert acc[[0, 2]].tolist() == [0.5, 1.0]
    assert np.isnan(conf[[1, 3]]).all() and np.isnan(acc[[1, 3]]).all()


def test_ece_hand_values() -> None:
    # 4 samples, 2 bins. Confidences (top probabilities) 0.3... for K = 4 classes:
    # rows 0, 1: top 0.4 (bin 0), predicted 0 and 1, labels 0 and 2 -> acc 1/2, conf 0.4;
    # rows 2, 3: top 0.7 and 0.9 (bin 1), both right -> acc 1, conf 0.8.
    # ECE = 2/4 |0.5 - 0.4| + 2/4 |1 - 0.8| = 0.05 + 0.1 = 0.15
    probs = np.array([[0.4, 0.3, 0.2, 0.1], [0.3, 0.4, 0.2, 0.1], [0.1, 0.7, 0.1, 0.1], [0.0, 0.0, 0.1, 0.9]])
    assert abs(expected_calibration_error(probs, [0, 2, 1, 3], n_bins=2) - 0.15) <= 4 * EPS
    # one bin: |accuracy - mean confidence| over everything = |3/4 - 2.4/4| = 0.15 as well
    assert abs(expected_calibration_error(probs, [0, 2, 1, 3], n_bins=1) - 0.15) <= 4 * EPS


def test_perfect_and_worst_calibration() -> None:
    # confidence 1 and always right: ECE 0; confidence 1 and always wrong: ECE 1
    probs = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert expected_calibration_error(probs, [0, 1]) == 0.0
    assert expected_calibration_error(probs, [1, 0]) == 1.0
    # confidence 0.5 everywhere (ties -> class 0) and right half of the time: calibrated, ECE 0
    assert expected_calibration_error(np.full((4, 2), 0.5), [0, 1, 0, 1]) == 0.0


def test_temperature_hand_value() -> None:
    # margins +2, +2, -2 (two rows right, one wrong): the slope of the NLL in beta = 1/T is
    # (2 s - 4 (1 - s)) / 3 with s = sigmoid(2 beta), zero at s = 2/3: T = 2 / log 2
    t = fit_temperature([[1.0, -1.0], [-1.0, 1.0], [1.0, -1.0]], [0, 1, 1])
    assert abs(t - 2 / math.log(2)) <= 8 * EPS * t


def test_temperature_limits() -> None:
    # every label an argmax: sharper is always better, T -> 0
    assert fit_temperature([[3.0, 1.0], [0.0, 2.0]], [0, 1]) == 0.0
    # labels never the argmax and below the mean logit: uniform beats any sharpening, T -> inf
    assert fit_temperature([[3.0, 1.0], [0.0, 2.0]], [1, 0]) == np.inf
    # all logits equal in every row: the slope is 0 at beta = 0 too -> inf (T changes nothing)
    assert fit_temperature(np.zeros((3, 4)), [0, 1, 2]) == np.inf


def test_temperature_scaling_lowers_ece_and_keeps_accuracy() -> None:
    # an over-confident model: the logits of a calibrated one multiplied by 3
    rng = np.random.default_rng(0)
    n, k = 4000, 5
    base = rng.normal(size=(n, k)) * 1.5
    labels = np.array([rng.choice(k, p=row) for row in softmax(base, axis=1)])
    logits = 3 * base
    t = fit_temperature(logits, labels)
    assert 2.5 < t < 3.5  # the scale that was put in, up to sampling noise
    before = expected_calibration_error(softmax(logits, axis=1), labels)
    after = expected_calibration_error(softmax(logits / t, axis=1), labels)
    assert after < before / 3
    np.testing.assert_array_equal(logits.argmax(axis=1), (logits / t).argmax(axis=1))


# ---------------------------------------------------------------- properties
@st.composite
def predictions(draw, max_n: int = 40, max_k: int = 5):
    n, k = draw(st.integers(1, max_n)), draw(st.integers(2, max_k))
    raw = draw(arrays(np.float64, (n, k), elements=st.floats(0, 1)))
    raw[:, 0] += 1e-3  # no all-zero row
    probs = raw / raw.sum(axis=1, keepdims=True)
    labels = draw(arrays(np.int64, n, elements=st.integers(0, k - 1)))
    return probs, labels, draw(st.integers(1, 20))


@given(predictions())
def test_ece_is_the_definition(data) -> None:
    probs, labels, n_bins = data
    ece = expected_calibration_error(probs, labels, n_bins)
    # a sum of <= 20 bins of n_b/N |.| and <= 40 terms: a few EPS apart from the brute force
    assert 0.0 <= ece <= 1.0
    assert abs(ece - brute_force_ece(probs, labels, n_bins)) <= 64 * EPS


@given(predictions())
def test_ece_from_the_reliability_bins(data) -> None:
    probs, labels, n_bins = data
    conf, acc, counts = reliability_bins(probs.max(axis=1), probs.argmax(axis=1) == labels, n_bins)
    full = counts > 0
    assert counts.sum() == len(labels) and np.isnan(conf[~full]).all()
    weighted = np.sum(counts[full] / counts.sum() * np.abs(acc[full] - conf[full]))
    assert abs(expected_calibration_error(probs, labels, n_bins) - weighted) <= 64 * EPS
    # the maximum calibration error (largest gap) bounds the ECE, a weighted mean of gaps
    assert weighted <= np.max(np.abs(acc[full] - conf[full])) + 64 * EPS


@given(predictions(), st.randoms(use_true_random=False))
def test_permuting_samples_changes_nothing(data, random) -> None:
    probs, labels, n_bins = data
    order = np.array(random.sample(range(len(labels)), len(labels)))
    a = expected_calibration_error(probs[order], labels[order], n_bins)
    assert abs(a - expected_calibration_error(probs, labels, n_bins)) <= 64 * EPS


@given(arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(2, 5)), elements=st.floats(-20, 20)),
       st.data())
def test_fitted_temperature_is_a_minimum(logits, data) -> None:
    labels = data.draw(arrays(np.int64, logits.shape[0], elements=st.integers(0, logits.shape[1] - 1)))
    t = float(fit_temperature(logits, labels))
    if t in (0.0, np.inf):
        return
    # no temperature 0.1 % away on either side does better (convex in 1/T, minimum at t)
    best = nll(logits, labels, t)
    assert best <= nll(logits, labels, t * 1.001) + 1e-12
    assert best <= nll(logits, labels, t / 1.001) + 1e-12


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_up_to_1e4(dtype) -> None:
    # logits up to 1e4 in size: shifting rows by their maximum keeps exp <= 1, no warning
    rng = np.random.default_rng(1)
    for _ in range(20):
        logits = rng.choice(EXTREMES, size=(6, 3)).astype(dtype)
        labels = rng.integers(0, 3, size=6)
        t = fit_temperature(logits, labels)
        assert t.dtype == dtype and (np.isfinite(t) or t == np.inf) and t >= 0


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtypes(dtype) -> None:
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]], dtype=dtype)
    assert expected_calibration_error(probs, [0, 1, 1]).dtype == dtype
    conf, acc, counts = reliability_bins(probs[:, 0], [1, 0, 1])
    assert conf.dtype == acc.dtype == dtype and counts.dtype == np.int64


def test_nan_and_inf() -> None:
    # a NaN confidence has no bin: searchsorted puts it last, and it poisons that bin's mean
    conf, acc, _ = reliability_bins([0.2, np.nan], [1, 0], n_bins=2)
    assert conf[0] == 0.2 and np.isnan(conf[1])
    assert np.isnan(fit_temperature([[np.nan, 1.0], [0.0, 1.0]], [0, 1]))
    assert np.isnan(fit_temperature([[np.inf, 1.0], [0.0, 1.0]], [0, 1]))


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match="confidences must hold probabilities in \\[0, 1\\], found 1.5"):
        reliability_bins([0.5, 1.5], [0, 1])
    with pytest.raises(ValueError, match=r"correct must have the shape of confidences: confidences has shape \(2,\), correct has shape \(3,\)"):
        reliability_bins([0.5, 0.7], [0, 1, 1])
    with pytest.raises(ValueError, match="correct must hold 0/1 or booleans, found 2"):
        reliability_bins([0.5, 0.7], [0, 2])
    with pytest.raises(ValueError, match=r"confidences must be a non-empty 1-D array, got shape \(0,\)"):
        reliability_bins([], [])
    with pytest.raises(ValueError, match="n_bins must be an integer >= 1, got 0"):
        reliability_bins([0.5], [1], n_bins=0)
    with pytest.raises(TypeError, match="n_bins must be an integer, got float"):
        expected_calibration_error([[0.5, 0.5]], [0], n_bins=10.0)
    with pytest.raises(ValueError, match=r"probs must have shape \(N, K\) with N, K >= 1, got shape \(3,\)"):
        expected_calibration_error([0.2, 0.3, 0.5], [0, 1, 2])
    with pytest.raises(ValueError, match="labels contains class index 2, outside the valid range \\[0, 1\\]"):
        expected_calibration_error([[0.5, 0.5]], [2])
    with pytest.raises(ValueError, match=r"labels must have shape \(N,\) = \(1,\) for probs of shape \(1, 2\), got \(2,\)"):
        expected_calibration_error([[0.5, 0.5]], [0, 1])
    with pytest.raises(ValueError, match="probs must hold probabilities in \\[0, 1\\], found 1.1"):
        expected_calibration_error([[1.1, -0.1]], [0])
    with pytest.raises(ValueError, match=r"logits must have shape \(N, K\) with N >= 1 and K >= 2, got shape \(2, 1\)"):
        fit_temperature([[1.0], [2.0]], [0, 0])
    with pytest.raises(TypeError, match="labels holding class indices must have an integer dtype"):
        fit_temperature([[1.0, 2.0]], [0.5])
    with pytest.raises(TypeError, match="logits must be real-valued"):
        fit_temperature([[1j, 2.0]], [0])


# ---------------------------------------------------------------- references
def test_reliability_bins_match_sklearn_calibration_curve() -> None:
    calibration = require("sklearn.calibration")
    rng = np.random.default_rng(2)
    for i in range(60):
        n = int(rng.integers(1, 300))
        y = rng.integers(0, 2, size=n)
        p = rng.beta(2, 2, size=n)
        if i % 3 == 0:
            p = np.round(p, 1)  # many confidences exactly on a bin edge
        n_bins = int(rng.integers(1, 20))
        for dtype in DTYPES:
            pd = p.astype(dtype)
            prob_true, prob_pred = calibration.calibration_curve(y, pd, n_bins=n_bins, strategy="uniform")
            conf, acc, counts = reliability_bins(pd, y, n_bins)
            full = counts > 0
            # the same edges and the same searchsorted: the same bins; fractions of counts are
            # bit for bit; the mean confidences are sums of <= 300 float64 values (ours, then cast
            # to the dtype): within the dtype's rounding of a value <= 1
            np.testing.assert_array_equal(full.sum(), prob_true.size)
            assert_matches(acc[full], prob_true, dtype, ulps=1)
            assert_matches(conf[full], prob_pred, dtype, ulps=4)


def test_ece_matches_a_brute_force_over_extreme_softmaxes() -> None:
    # softmax rows of logits from EXTREMES: confidences of exactly 1, 0.5 and tiny margins
    rng = np.random.default_rng(3)
    for dtype in DTYPES:
        for _ in range(30):
            logits = rng.choice(EXTREMES, size=(50, 4))
            probs = softmax(logits, axis=1).astype(dtype)
            labels = rng.integers(0, 4, size=50)
            n_bins = int(rng.integers(1, 16))
            ours = expected_calibration_error(probs, labels, n_bins)
            # the same float inputs binned the same way; ours is summed in float64 and rounded
            # once to the dtype (half an ulp of a value <= 1), the brute force sums in float64
            assert ours.dtype == dtype
            assert abs(float(ours) - brute_force_ece(probs, labels, n_bins)) <= np.finfo(dtype).eps + 64 * EPS


@pytest.mark.parametrize("dtype", DTYPES)
def test_temperature_matches_scipy_and_torch(dtype) -> None:
    optimize = require("scipy.optimize")
    torch = require("torch")
    rng = np.random.default_rng(4)
    for _ in range(5):
        n, k = 300, 6
        logits = (rng.normal(size=(n, k)) * rng.uniform(1, 8)).astype(dtype)
        labels = np.where(rng.random(n) < 0.7, logits.argmax(axis=1), rng.integers(0, k, size=n))
        t = fit_temperature(logits, labels)
        # SciPy's bounded Brent search on the NLL: a smooth minimum pins T only to about
        # sqrt(eps) relative (the NLL changes by O(dT^2)), so compare T to 1e-6 and the NLL to 1e-12
        ref = optimize.minimize_scalar(lambda s: nll(logits.astype(np.float64), labels, s),
                                       bounds=(1e-2, 1e2), method="bounded", options={"xatol": 1e-12})
        assert abs(t - ref.x) <= 1e-6 * ref.x
        assert nll(logits.astype(np.float64), labels, float(t)) <= ref.fun + 1e-12
        # PyTorch autograd: the derivative of F.cross_entropy(logits / T, labels) in T is 0 there,
        # to the bisection's precision (a few eps in beta) times the curvature
        tt = torch.tensor(float(t), dtype=torch.float64, requires_grad=True)
        loss = torch.nn.functional.cross_entropy(torch.tensor(logits.astype(np.float64)) / tt, torch.tensor(labels))
        loss.backward()
        # float32: T itself is rounded to 6e-8 relative, which moves the slope by about that much
        tol = 1e-6 if dtype == np.float32 else 1e-12
        assert abs(float(tt.grad)) * float(t) <= tol
