"""freeze / extract_features / linear_probe: hand values, properties, bad input, scikit-learn's
Ridge and PyTorch's requires_grad (frozen parameters bit-identical after training)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from snippets import extract_features, freeze, linear_probe
from tests.reference import EXTREMES, assert_matches, require


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- hand-checked values
def test_hand_freeze() -> None:
    params = {"conv.weight": np.ones((2, 2)), "fc.weight": np.ones((1, 2)), "fc.bias": np.zeros(1)}
    assert freeze(params, ["fc.weight", "fc.bias"]) == {"conv.weight": False, "fc.weight": True, "fc.bias": True}
    # nothing trainable (pure feature extraction), or everything (full fine-tuning)
    assert not any(freeze(params, []).values())
    assert all(freeze(params, params.keys()).values())


def test_hand_features() -> None:
    # (N, 2, 3) activations -> (N, 6), row by row
    x = np.arange(4.0).reshape(2, 2)
    out = extract_features(lambda v: np.repeat(v[:, :, None], 3, axis=2), x)
    np.testing.assert_array_equal(out, [[0, 0, 0, 1, 1, 1], [2, 2, 2, 3, 3, 3]])
    assert extract_features(lambda v: v.sum(axis=1), x).shape == (2, 1)


def test_hand_probe() -> None:
    # f = (0, 1, 2), y = 2f: centred sums 2 and 4 -> w = 4 / (2 + alpha), b = 2 - w
    for alpha in [1.0, 0.5, 100.0]:
        coef, b = linear_probe([[0.0], [1.0], [2.0]], [0.0, 2.0, 4.0], alpha)
        assert np.isclose(coef[0], 4 / (2 + alpha), rtol=1e-15) and np.isclose(b, 2 - 4 / (2 + alpha), rtol=1e-15)
    # two target columns at once: the second is 3 f + 1 -> slope 6 / (2 + 1) = 2, b = 4 - 2 = 2
    coef, b = linear_probe([[0.0], [1.0], [2.0]], [[0.0, 1.0], [2.0, 4.0], [4.0, 7.0]])
    np.testing.assert_allclose(coef, [[4 / 3], [2.0]], rtol=1e-15)
    np.testing.assert_allclose(b, [2 / 3, 2.0], rtol=1e-15)
    assert coef.shape == (2, 1) and b.shape == (2,)


# ---------------------------------------------------------------- properties
@given(st.integers(0, 2**32 - 1), st.floats(1e-3, 1e3))
def test_probe_solves_the_ridge_problem(seed: int, alpha: float) -> None:
    g = rng(seed)
    F, y = g.normal(size=(30, 4)), g.normal(size=30)
    w, b = linear_probe(F, y, alpha)
    # stationarity: the gradient of ||F w + b - y||^2 + alpha ||w||^2 vanishes at (w, b)
    r = F @ w + b - y
    np.testing.assert_allclose(F.T @ r + alpha * w, 0.0, atol=1e-9 * (1 + alpha))
    assert abs(np.sum(r)) < 1e-9


@given(st.integers(0, 2**32 - 1))
def test_probe_shrinks_towards_zero_as_alpha_grows(seed: int) -> None:
    g = rng(seed)
    F, y = g.normal(size=(20, 3)), g.normal(size=20)
    norms = [np.linalg.norm(linear_probe(F, y, a)[0]) for a in [0.01, 1.0, 100.0, 1e4]]
    assert all(a >= b - 1e-12 for a, b in zip(norms, norms[1:]))


def test_frozen_parameters_do_not_move() -> None:
    # 20 SGD steps on a two-layer model; only the head is flagged trainable
    g = rng(2)
    X, y = g.normal(size=(50, 3)), g.normal(size=50)
    params = {"backbone": g.normal(size=(4, 3)), "head": g.normal(size=4)}
    before = {k: v.copy() for k, v in params.items()}
    flags = freeze(params, ["head"])
    for _ in range(20):
        h = np.tanh(X @ params["backbone"].T)
        r = h @ params["head"] - y
        grads = {"head": h.T @ r / 50, "backbone": ((r[:, None] * params["head"]) * (1 - h**2)).T @ X / 50}
        params = {k: v - 0.1 * grads[k] if flags[k] else v for k, v in params.items()}
    assert np.array_equal(params["backbone"], before["backbone"])
    assert not np.array_equal(params["head"], before["head"])


def test_stability_and_dtypes() -> None:
    for dtype in (np.float32, np.float64):
        F = (rng(3).normal(size=(40, 3)) * 1e4).astype(dtype)
        y = (rng(4).normal(size=40) * 1e4).astype(dtype)
        w, b = linear_probe(F, y)
        assert w.dtype == b.dtype == dtype and np.all(np.isfinite(w)) and np.isfinite(b)
        assert extract_features(lambda v: v * 2, F).dtype == dtype
    assert linear_probe([[0, 1], [1, 0], [1, 1]], [0, 1, 1])[0].dtype == np.float64
    w, b = linear_probe(np.array([[np.nan], [1.0]]), [0.0, 1.0])
    assert np.isnan(w).all() and np.isnan(b)


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    p = {"a": np.zeros(2)}
    with pytest.raises(ValueError, match=r"trainable_names holds \['b'\], not among the parameters \['a'\]"):
        freeze(p, ["b"])
    with pytest.raises(TypeError, match="trainable_names must be a list of names, got a single str"):
        freeze(p, "a")
    with pytest.raises(TypeError, match="params must be a dict of named parameters, got list"):
        freeze([np.zeros(2)], [])
    with pytest.raises(ValueError, match=r"backbone_fn must return one row per input: X has 3 rows, got shape \(2, 1\)"):
        extract_features(lambda v: np.zeros((2, 1)), np.zeros((3, 2)))
    with pytest.raises(TypeError, match="backbone_fn must be callable"):
        extract_features(None, np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"y must have shape \(N,\) = \(3,\) for N = 3 rows of features, got \(2,\)"):
        linear_probe(np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="alpha must be a finite number > 0, got 0"):
        linear_probe(np.zeros((3, 2)), np.zeros(3), 0.0)
    with pytest.raises(ValueError, match=r"features must be a non-empty 2-D array \(N, D\), got shape \(3,\)"):
        linear_probe(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="overflow the normal equations in float64: rescale them"):
        linear_probe(np.array([[1e300], [-1e300]]), np.zeros(2))


# ---------------------------------------------------------------- scikit-learn and PyTorch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("alpha", [0.1, 1.0, 50.0])
def test_probe_matches_sklearn_ridge(dtype, alpha: float) -> None:
    require("sklearn")
    from sklearn.linear_model import Ridge

    g = rng(int(alpha * 10))
    F = g.normal(size=(60, 5))
    F[:15, 0] = EXTREMES / 100  # large features (up to 100) next to tiny ones
    Y = F @ g.normal(size=(5, 3)) + 0.1 * g.normal(size=(60, 3))
    F, Y = F.astype(dtype), Y.astype(dtype)
    for target in (Y, Y[:, 0]):
        w, b = linear_probe(F, target, alpha)
        ref = Ridge(alpha=alpha, fit_intercept=True, solver="cholesky").fit(F.astype(np.float64), target.astype(np.float64))
        # sklearn solves the same centred normal equations in float64; ours runs in `dtype`, so
        # the error is about cond(gram) * eps of the dtype relative to |w|. The Gram matrices here
        # have cond <= 900: 900 * 1.2e-7 = 1.1e-4 bounds float32 (measured 7e-7), and
        # 900 * 2.2e-16 = 2e-13 float64 (measured 5e-16); 1e-4 and 1e-12 leave a margin of ~5
        rtol = 1e-4 if dtype == np.float32 else 1e-12
        scale = float(np.max(np.abs(ref.coef_)))
        np.testing.assert_allclose(w, ref.coef_, rtol=rtol, atol=rtol * scale)
        np.testing.assert_allclose(b, ref.intercept_, rtol=rtol, atol=rtol * max(scale, 1.0))
        assert w.dtype == dtype


def test_freeze_matches_torch_requires_grad() -> None:
    torch = require("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    params = {name: p.detach().numpy().copy() for name, p in model.named_parameters()}
    flags = freeze(params, ["2.weight", "2.bias"])
    for name, p in model.named_parameters():
        p.requires_grad_(flags[name])
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    X, y = torch.randn(32, 3), torch.randn(32, 1)
    for _ in range(10):
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(X), y).backward()
        opt.step()
    for name, p in model.named_parameters():
        # frozen: bit for bit unchanged (no gradient, not in the optimizer); trainable: moved
        assert torch.equal(p, before[name]) == (not flags[name]), name
    assert [n for n, p in model.named_parameters() if p.requires_grad] == ["2.weight", "2.bias"]


def test_features_match_torch_flatten() -> None:
    torch = require("torch")
    conv = torch.nn.Conv2d(2, 3, 3)
    x = np.random.default_rng(5).normal(size=(4, 2, 6, 6)).astype(np.float32)

    def backbone(v):
        with torch.no_grad():
            return conv(torch.tensor(v)).numpy()

    ref = torch.flatten(conv(torch.tensor(x)), 1).detach().numpy()
    # the same numbers, only reshaped: exact
    assert_matches(extract_features(backbone, x), ref, np.float32, ulps=0)
