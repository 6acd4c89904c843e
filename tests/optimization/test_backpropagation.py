"""mlp_forward / mlp_loss_and_grads: hand values, finite differences, properties, stability,
bad input and PyTorch autograd."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from snippets import cross_entropy, gradient_descent, mlp_forward, mlp_loss_and_grads, numerical_gradient, softmax
from tests.reference import DTYPES, EXTREMES, assert_matches, require

KEYS = ("W1", "b1", "W2", "b2")


def make_problem(rng: np.random.Generator, n=8, d=3, h=5, c=4, x_scale=1.0, dtype=np.float64):
    """Random parameters (weights ~ 1/sqrt(fan-in)), inputs and labels."""
    params = {
        "W1": rng.normal(size=(h, d)) / math.sqrt(d),
        "b1": rng.normal(size=h) * 0.1,
        "W2": rng.normal(size=(c, h)) / math.sqrt(h),
        "b2": rng.normal(size=c) * 0.1,
    }
    params = {k: v.astype(dtype) for k, v in params.items()}
    x = (rng.normal(size=(n, d)) * x_scale).astype(dtype)
    return params, x, rng.integers(0, c, size=n)


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_values() -> None:
    # x = 2: z1 = (2, -2), hidden = (2, 0), logits = (1*2 + 1*0 + 0.5, 0) = (2.5, 0)
    # label 1: loss = -log softmax(2.5, 0)_1 = log(1 + e^2.5); with s = sigmoid(2.5) = p_0:
    #   d_logits = (s, s - 1) = (s, -s); d_b2 = (s, -s); d_W2 = d_logits^T hidden = [[2s, 0], [-2s, 0]]
    #   d_hidden = d_logits W2 = (s, s); relu mask (1, 0) -> d_z1 = (s, 0);
    #   d_W1 = d_z1^T x = [[2s], [0]]; d_b1 = (s, 0)
    params = {"W1": [[1.0], [-1.0]], "b1": [0.0, 0.0], "W2": [[1.0, 1.0], [0.0, 0.0]], "b2": [0.5, 0.0]}
    np.testing.assert_array_equal(mlp_forward(params, [[2.0]]), [[2.5, 0.0]])
    loss, grads = mlp_loss_and_grads(params, [[2.0]], [1])
    s = 1 / (1 + math.exp(-2.5))
    assert math.isclose(loss, math.log1p(math.exp(2.5)), rel_tol=1e-15)
    expected = {"W1": [[2 * s], [0.0]], "b1": [s, 0.0], "W2": [[2 * s, 0.0], [-2 * s, 0.0]], "b2": [s, -s]}
    assert list(grads) == list(KEYS)
    for k in KEYS:
        np.testing.assert_allclose(grads[k], expected[k], rtol=1e-15, atol=1e-16)


def test_loss_is_cross_entropy_of_the_forward_pass() -> None:
    rng = np.random.default_rng(0)
    params, x, y = make_problem(rng)
    loss, _ = mlp_loss_and_grads(params, x, y)
    assert loss == cross_entropy(mlp_forward(params, x), y)
    assert isinstance(loss, np.float64)


# ---------------------------------------------------------------- finite differences
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_gradient_matches_finite_differences(seed: int) -> None:
    rng = np.random.default_rng(seed)
    params, x, y = make_problem(rng)
    z1 = x @ params["W1"].T + params["b1"]
    # central differences with eps = 1e-6 must not step across relu's kink at 0
    assert np.min(np.abs(z1)) > 1e-4
    _, grads = mlp_loss_and_grads(params, x, y)
    for k in KEYS:

        def loss_of(v: np.ndarray, k: str = k) -> float:
            return mlp_loss_and_grads({**params, k: v}, x, y)[0]

        numeric = numerical_gradient(loss_of, params[k])
        # truncation ~ eps^2 |f'''| plus rounding ~ 1e-16 |f| / eps: about 1e-10 for this O(1) loss
        np.testing.assert_allclose(grads[k], numeric, rtol=1e-6, atol=1e-8, err_msg=k)


# ---------------------------------------------------------------- properties
@st.composite
def problems(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    n, d, h, c = (draw(st.integers(1, 6)) for _ in range(4))
    x_scale = draw(st.sampled_from([1e-3, 1.0, 100.0]))
    return make_problem(np.random.default_rng(seed), n, d, h, c, x_scale)


@given(problems())
def test_gradient_invariants(problem) -> None:
    params, x, y = problem
    loss, grads = mlp_loss_and_grads(params, x, y)
    assert loss == cross_entropy(mlp_forward(params, x), y)
    # each row of softmax - onehot sums to 0, so the output-layer gradients sum to 0 over classes
    np.testing.assert_allclose(grads["b2"].sum(), 0.0, atol=1e-15)
    scale = np.max(np.abs(mlp_forward({**params, "W2": np.abs(params["W2"])}, x)), initial=1.0)
    np.testing.assert_allclose(grads["W2"].sum(axis=0), 0.0, atol=1e-14 * scale)


@given(problems(), st.floats(-50, 50))
def test_a_common_shift_of_b2_changes_nothing(problem, shift: float) -> None:
    # softmax is invariant to adding one constant to every logit
    params, x, y = problem
    loss, grads = mlp_loss_and_grads(params, x, y)
    loss2, grads2 = mlp_loss_and_grads({**params, "b2": params["b2"] + shift}, x, y)
    logits = mlp_forward(params, x)
    scale = float(np.max(np.abs(logits))) + abs(shift) + 1  # logits + shift rounds relative to this
    assert math.isclose(loss, loss2, rel_tol=1e-12, abs_tol=1e-14 * scale)
    for k in KEYS:
        np.testing.assert_allclose(grads2[k], grads[k], rtol=1e-9, atol=1e-13 * scale * (1 + np.max(np.abs(x))))


def test_relu_rescaling_moves_the_gradient_accordingly() -> None:
    # relu(a z) = a relu(z) for a > 0: scaling unit j's incoming weights by a and its outgoing
    # weights by 1/a leaves the network's function, hence the loss, unchanged; by the chain rule
    # the incoming gradient row is then divided by a and the outgoing column multiplied by a
    rng = np.random.default_rng(3)
    params, x, y = make_problem(rng)
    a, j = 4.0, 2
    scaled = {k: v.copy() for k, v in params.items()}
    scaled["W1"][j] *= a
    scaled["b1"][j] *= a
    scaled["W2"][:, j] /= a
    loss, grads = mlp_loss_and_grads(params, x, y)
    loss2, grads2 = mlp_loss_and_grads(scaled, x, y)
    assert math.isclose(loss, loss2, rel_tol=1e-14)
    np.testing.assert_allclose(grads2["W1"][j], grads["W1"][j] / a, rtol=1e-12)
    np.testing.assert_allclose(grads2["W2"][:, j], grads["W2"][:, j] * a, rtol=1e-12)


def test_gradient_descent_with_backpropagation_learns() -> None:
    # the gradient says which way is downhill; a small enough step then lowers the loss
    rng = np.random.default_rng(4)
    params, x, y = make_problem(rng, n=40, d=2, h=16, c=2)
    x = x + 5.0 * y[:, None]  # two blobs, 7 standard deviations apart: separable
    shapes = {k: v.shape for k, v in params.items()}
    sizes = np.cumsum([v.size for v in params.values()])[:-1]

    def unflatten(theta: np.ndarray) -> dict:
        return {k: part.reshape(shapes[k]) for k, part in zip(KEYS, np.split(theta, sizes))}

    theta0 = np.concatenate([params[k].ravel() for k in KEYS])
    def grad(theta: np.ndarray) -> np.ndarray:
        return np.concatenate([g.ravel() for g in mlp_loss_and_grads(unflatten(theta), x, y)[1].values()])

    path = gradient_descent(grad, theta0, lr=0.5, steps=100)
    losses = [mlp_loss_and_grads(unflatten(t), x, y)[0] for t in path[::10]]
    assert losses[-1] < 0.1 * losses[0]
    assert np.all(np.diff(losses) < 0)


# ---------------------------------------------------------------- inputs, dtypes, stability
def test_inputs_are_never_modified() -> None:
    rng = np.random.default_rng(5)
    params, x, y = make_problem(rng)
    before = {k: v.copy() for k, v in params.items()}, x.copy(), y.copy()
    for a in (*params.values(), x, y):
        a.setflags(write=False)
    frozen = dict(params)
    mlp_forward(params, x)
    _, grads = mlp_loss_and_grads(params, x, y)
    assert params == frozen  # same keys, same array objects
    for k in KEYS:
        np.testing.assert_array_equal(params[k], before[0][k])
        assert not np.shares_memory(grads[k], params[k])
    np.testing.assert_array_equal(x, before[1])
    np.testing.assert_array_equal(y, before[2])


def test_dtypes() -> None:
    rng = np.random.default_rng(6)
    params, x, y = make_problem(rng, dtype=np.float32)
    loss, grads = mlp_loss_and_grads(params, x, y)
    assert isinstance(loss, np.float32) and mlp_forward(params, x).dtype == np.float32
    assert all(grads[k].dtype == np.float32 for k in KEYS)
    # one float64 (or integer, or list) argument promotes everything to float64
    for other in (x.astype(np.float64), np.rint(x).astype(np.int64), x.tolist()):
        loss, grads = mlp_loss_and_grads(params, other, y)
        assert isinstance(loss, np.float64) and all(grads[k].dtype == np.float64 for k in KEYS)
    lists = {k: v.tolist() for k, v in params.items()}
    assert mlp_forward(lists, x).dtype == np.float64


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_at_extreme_inputs(dtype) -> None:
    # inputs up to 1e4 give logits of ~1e4: the softmax saturates, nothing overflows or warns
    rng = np.random.default_rng(7)
    params, _, _ = make_problem(rng, n=len(EXTREMES), d=1, dtype=dtype)
    x = EXTREMES[:, None].astype(dtype)
    y = rng.integers(0, 4, size=len(EXTREMES))
    loss, grads = mlp_loss_and_grads(params, x, y)
    assert np.isfinite(loss) and loss.dtype == dtype
    assert all(np.all(np.isfinite(grads[k])) and grads[k].dtype == dtype for k in KEYS)


def test_nan_in_nan_out() -> None:
    params, x, y = make_problem(np.random.default_rng(8))
    x[0, 0] = np.nan
    loss, grads = mlp_loss_and_grads(params, x, y)
    assert np.isnan(loss) and np.isnan(grads["b2"]).all()


# ---------------------------------------------------------------- bad input
def test_bad_params() -> None:
    params, x, y = make_problem(np.random.default_rng(9), d=3, h=5, c=4)
    with pytest.raises(TypeError, match="params must be a dict with keys"):
        mlp_forward(list(params.values()), x)
    with pytest.raises(ValueError, match=r"missing \['b2'\], unexpected \[\]"):
        mlp_forward({k: v for k, v in params.items() if k != "b2"}, x)
    with pytest.raises(ValueError, match=r"missing \[\], unexpected \['W3'\]"):
        mlp_loss_and_grads({**params, "W3": np.ones(2)}, x, y)
    with pytest.raises(ValueError, match=r"params\['W1'\] must be a 2-D array .* got shape \(15,\)"):
        mlp_forward({**params, "W1": params["W1"].ravel()}, x)
    with pytest.raises(ValueError, match=re.escape("params['b1'] must have shape (H,) = (5,) "
                                                   "for params['W1'] of shape (5, 3), got (4,)")):
        mlp_forward({**params, "b1": np.ones(4)}, x)
    with pytest.raises(ValueError, match=r"params\['W2'\] must have shape \(C, H\) = \(4, 5\) .* got \(4, 6\)"):
        mlp_forward({**params, "W2": np.ones((4, 6))}, x)
    with pytest.raises(ValueError, match=re.escape("params['b2'] must have shape (C,) = (4,) "
                                                   "for params['W2'] of shape (4, 5), got (5,)")):
        mlp_forward({**params, "b2": np.ones(5)}, x)
    with pytest.raises(TypeError, match=r"params\['W2'\] must be real-valued"):
        mlp_forward({**params, "W2": params["W2"] * 1j}, x)


def test_empty_batch_names_x() -> None:
    # the mean loss over no samples is undefined; the error used to name cross_entropy's "logits",
    # which is not an argument of mlp_loss_and_grads. The forward pass of no samples is fine
    params, x, y = make_problem(np.random.default_rng(11), n=4, d=3, c=4)
    with pytest.raises(ValueError, match=re.escape("x must hold at least one sample: the loss is a mean over the batch, got shape (0, 3)")):
        mlp_loss_and_grads(params, x[:0], y[:0])
    assert mlp_forward(params, x[:0]).shape == (0, 4)


def test_bad_inputs_and_labels() -> None:
    params, x, y = make_problem(np.random.default_rng(10), n=8, d=3, c=4)
    with pytest.raises(ValueError, match=re.escape("x must have shape (N, D) = (N, 3) "
                                                   "for params['W1'] of shape (5, 3), got (8, 2)")):
        mlp_forward(params, x[:, :2])
    with pytest.raises(ValueError, match=r"x must have shape \(N, D\).* got \(3,\)"):
        mlp_forward(params, x[0])
    with pytest.raises(ValueError, match=re.escape("y must hold class labels of shape (N,) = (8,) for x (8, 3), got (7,)")):
        mlp_loss_and_grads(params, x, y[:7])
    with pytest.raises(ValueError, match=r"y contains class index 4, outside the valid range \[0, 3\]"):
        mlp_loss_and_grads(params, x, np.full(8, 4))
    with pytest.raises(TypeError, match="y holding class indices must have an integer dtype"):
        mlp_loss_and_grads(params, x, y.astype(float))


# ---------------------------------------------------------------- PyTorch autograd
def torch_loss_and_grads(params: dict, x: np.ndarray, y: np.ndarray):
    """The same network written with torch operations, differentiated by autograd."""
    torch = require("torch")
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    hidden = torch.relu(torch.tensor(x) @ t["W1"].T + t["b1"])
    loss = torch.nn.functional.cross_entropy(hidden @ t["W2"].T + t["b2"], torch.tensor(y))
    loss.backward()
    return loss.detach().numpy(), {k: v.grad.numpy() for k, v in t.items()}


def term_sizes(params: dict, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """For each gradient, the largest sum of |terms| it is built from (float64, absolute values).

    A sum over the batch (and the classes) is exact only to eps times the sum of its terms'
    magnitudes, and the terms can cancel, so this, not the gradient itself, sets the tolerance.
    """
    p = {k: v.astype(np.float64) for k, v in params.items()}
    x = x.astype(np.float64)
    z1 = x @ p["W1"].T + p["b1"]
    hidden = np.maximum(z1, 0)
    onehot = np.eye(len(p["b2"]))[y]
    d_logits = np.abs(softmax(hidden @ p["W2"].T + p["b2"]) - onehot) / len(y)
    d_z1 = (d_logits @ np.abs(p["W2"])) * (z1 > 0)
    return {"W1": np.max(d_z1.T @ np.abs(x)), "b1": np.max(d_z1.sum(axis=0)),
            "W2": np.max(d_logits.T @ hidden), "b2": np.max(d_logits.sum(axis=0))}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_scale", [1.0, 100.0, 1e4])
def test_matches_torch_autograd(dtype, x_scale) -> None:
    rng = np.random.default_rng(11)
    params, x, y = make_problem(rng, n=32, d=4, h=16, c=3, x_scale=x_scale, dtype=dtype)
    ref_loss, ref_grads = torch_loss_and_grads(params, x, y)
    loss, grads = mlp_loss_and_grads(params, x, y)
    # the loss is a mean of log-sum-exps of logits as large as max|logit| (see cross_entropy)
    assert_matches(loss, ref_loss, dtype, scale=float(np.max(np.abs(mlp_forward(params, x)))))
    sizes = term_sizes(params, x, y)
    for k in KEYS:
        assert_matches(grads[k], ref_grads[k], dtype, scale=float(sizes[k]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_kink_matches_torch(dtype) -> None:
    # a pre-activation exactly 0: both sides take relu'(0) = 0, so unit 0 gets no gradient
    params = {"W1": np.array([[1.0], [1.0]], dtype), "b1": np.array([-2.0, 1.0], dtype),
              "W2": np.array([[1.0, -1.0], [0.5, 2.0]], dtype), "b2": np.zeros(2, dtype)}
    x, y = np.array([[2.0], [3.0]], dtype), np.array([0, 1])
    ref_loss, ref_grads = torch_loss_and_grads(params, x, y)
    loss, grads = mlp_loss_and_grads(params, x, y)
    assert_matches(loss, ref_loss, dtype)
    for k in KEYS:
        assert_matches(grads[k], ref_grads[k], dtype)
    assert grads["b1"][0] != 0  # sample 2 (z1 = 1 > 0) still reaches unit 0
    _, only_kink = mlp_loss_and_grads(params, x[:1], y[:1])
    assert only_kink["b1"][0] == 0 and only_kink["W1"][0, 0] == 0
