"""max_stable_lr / lr_sweep: hand values, the 2/L threshold on random quadratics, divergence
detection without overflow, bad input, and torch.optim.SGD runs for every swept rate."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import gradient_descent, lr_sweep, max_stable_lr
from tests.reference import DTYPES, require


def random_quadratic(seed: int, n: int = 5, dtype=np.float64):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n))
    H = (A @ A.T / n + 0.1 * np.eye(n)).astype(dtype)
    b = rng.normal(size=n).astype(dtype)
    return H, b, lambda x: H @ x - b, lambda x: 0.5 * float(x @ H @ x) - float(b @ x)


def test_hand_checked_values() -> None:
    # diagonal H: L is the largest diagonal entry; [[2, 1], [1, 2]] has eigenvalues 1 and 3
    assert max_stable_lr([[1.0, 0.0], [0.0, 10.0]]) == 0.2
    assert np.isclose(max_stable_lr([[2.0, 1.0], [1.0, 2.0]]), 2 / 3, rtol=1e-15)
    assert max_stable_lr(np.array([[4.0]], np.float32)).dtype == np.float32
    # f = x^2 / 2 from x = 1, 3 steps: lr 0.5 -> x = 1/8, loss 1/128; lr 2 = 2/L -> x = -1, loss 1/2
    np.testing.assert_array_equal(
        lr_sweep(lambda x: x, lambda x: 0.5 * float(x @ x), [1.0], [0.5, 2.0], steps=3), [1 / 128, 0.5])


@settings(max_examples=30, deadline=None)  # 800 gradient steps per example
@given(st.integers(0, 2**32 - 1))
def test_the_threshold_separates_convergence_from_divergence(seed: int) -> None:
    # just below 2/L every run shrinks the error (rate max|1 - lr lambda| < 1); just above it the
    # component along the top eigenvector grows by |1 - lr L| > 1 per step
    H, b, grad, loss = random_quadratic(seed)
    lr_max = max_stable_lr(H)
    x_star = np.linalg.solve(H, b)
    x0 = x_star + np.linalg.eigh(H)[1][:, -1]  # start off along the sharpest direction
    below = gradient_descent(grad, x0, lr=0.95 * lr_max, steps=400)
    above = gradient_descent(grad, x0, lr=1.05 * lr_max, steps=400)
    assert np.linalg.norm(below[-1] - x_star) < np.linalg.norm(x0 - x_star)
    assert np.linalg.norm(above[-1] - x_star) > 1e3 * np.linalg.norm(x0 - x_star)


def test_sweep_reports_divergence_as_inf_without_overflow() -> None:
    # rates far above 2/L would overflow float64 within a few hundred steps (|1 - lr L|^k);
    # the sweep stops at the blow-up threshold first, so no RuntimeWarning is raised
    H, b, grad, loss = random_quadratic(0)
    lr_max = float(max_stable_lr(H))
    lrs = lr_max * np.array([0.01, 0.5, 0.99, 1.01, 10.0, 1e3])
    final = lr_sweep(grad, loss, np.zeros(5), lrs, steps=3000)
    f_star = loss(np.linalg.solve(H, b))
    assert np.all(np.isfinite(final[:3])) and np.all(np.isinf(final[3:]))
    assert final[1] - f_star < 1e-10 < final[0] - f_star  # the tiny rate has not converged yet


def test_sweep_matches_gradient_descent_and_leaves_x0_alone() -> None:
    H, b, grad, loss = random_quadratic(1)
    x0 = np.ones(5)
    x0.setflags(write=False)
    lrs = float(max_stable_lr(H)) * np.array([0.1, 0.5, 0.9])
    final = lr_sweep(grad, loss, x0, lrs, steps=50)
    expected = [loss(gradient_descent(grad, x0, lr=lr, steps=50)[-1]) for lr in lrs]
    np.testing.assert_array_equal(final, expected)
    assert lr_sweep(grad, loss, x0, [0.1], steps=0)[0] == loss(x0)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"hessian must be a non-empty square matrix \(n, n\), got shape \(2, 3\)"):
        max_stable_lr(np.ones((2, 3)))
    with pytest.raises(ValueError, match="hessian must be symmetric"):
        max_stable_lr([[1.0, 2.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="hessian must have a positive largest eigenvalue"):
        max_stable_lr(-np.eye(2))
    with pytest.raises(ValueError, match="lrs must be a 1-D array of positive finite learning rates"):
        lr_sweep(lambda x: x, lambda x: 0.0, [1.0], [0.1, -0.1], steps=3)
    with pytest.raises(ValueError, match="steps must be an integer >= 0, got -1"):
        lr_sweep(lambda x: x, lambda x: 0.0, [1.0], [0.1], steps=-1)
    with pytest.raises(ValueError, match="blowup must be a finite number > 1, got 0.5"):
        lr_sweep(lambda x: x, lambda x: 0.0, [1.0], [0.1], steps=1, blowup=0.5)
    with pytest.raises(ValueError, match=r"grad_fn must return shape \(1,\), got \(2,\)"):
        lr_sweep(lambda x: np.ones(2), lambda x: 0.0, [1.0], [0.1], steps=1)


def test_blowup_must_exceed_one_as_documented() -> None:
    # the docstring asks for a factor > 1; blowup = 1 used to be accepted
    with pytest.raises(ValueError, match="blowup must be a finite number > 1, got 1"):
        lr_sweep(lambda x: x, lambda x: 0.0, [1.0], [0.1], steps=1, blowup=1)


def test_bad_callables_are_named() -> None:
    # each used to surface as a numpy or Python error that named no argument
    with pytest.raises(TypeError, match=r"grad_fn must be callable \(a function\), got NoneType"):
        lr_sweep(None, lambda x: 0.0, [1.0], [0.1], steps=2)
    with pytest.raises(TypeError, match=r"loss_fn must be callable \(a function\), got float"):
        lr_sweep(lambda x: x, 0.0, [1.0], [0.1], steps=2)
    with pytest.raises(ValueError, match=r"loss_fn must return a scalar, got shape \(2,\)"):
        lr_sweep(lambda x: x, lambda x: x, [1.0, 2.0], [0.1], steps=2)
    with pytest.raises(TypeError, match="loss_fn must return real numbers, got str"):
        lr_sweep(lambda x: x, lambda x: "a", [1.0], [0.1], steps=2)


def test_a_non_finite_start_is_reported_for_every_run() -> None:
    loss = lambda x: 0.5 * float(x @ x)  # noqa: E731
    assert np.isnan(lr_sweep(lambda x: x, loss, [np.nan], [0.1, 0.2], steps=3)).all()
    np.testing.assert_array_equal(lr_sweep(lambda x: x, loss, [np.inf], [0.1, 0.2], steps=3), [np.inf, np.inf])


def test_max_stable_lr_refuses_an_indefinite_hessian() -> None:
    # eigenvalues 1 and -5: f has no minimum, and along the second axis every lr diverges; the
    # function used to return 2 / 1 = 2 as if the quadratic were convex
    with pytest.raises(ValueError, match="hessian must be positive semi-definite, but it has the negative eigenvalue -5"):
        max_stable_lr([[1.0, 0.0], [0.0, -5.0]])
    with pytest.raises(ValueError, match=r"hessian must be finite, found nan at index \(0, 1\)"):
        max_stable_lr([[1.0, np.nan], [np.nan, 1.0]])
    # a singular PSD matrix is fine: eigenvalues 0 and 2 (the 0 comes out as +-1e-16 or so)
    assert max_stable_lr([[1.0, 1.0], [1.0, 1.0]]) == 1.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch_sgd_runs(dtype) -> None:
    # each swept rate is a run of plain torch.optim.SGD; the final losses agree (the iterates
    # agree to a few ulps, see test_sgd.py, and the loss of nearby points to a few ulps of f)
    torch = require("torch")
    H, b, grad, loss = random_quadratic(2, dtype=dtype)
    lr_max = float(max_stable_lr(H))
    lrs = lr_max * np.array([0.1, 0.5, 0.9, 1.2])
    x0 = np.zeros(5, dtype=dtype)
    final = lr_sweep(grad, loss, x0, lrs, steps=100)
    for lr, ours in zip(lrs, final):
        t = torch.tensor(x0.copy(), requires_grad=True)
        opt = torch.optim.SGD([t], lr=float(lr))
        for _ in range(100):
            t.grad = torch.tensor(grad(t.detach().numpy()))
            opt.step()
        ref = loss(t.detach().numpy())
        if lr > lr_max:
            assert ours == np.inf and abs(ref) > 1e6 * (abs(loss(x0)) + 1)
        else:
            # |loss| is O(1) here; 100 steps of ~1-ulp differences in x, times |grad f| = O(1)
            np.testing.assert_allclose(ours, ref, rtol=0, atol=1e3 * np.finfo(dtype).eps)
