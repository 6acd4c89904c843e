"""momentum_effective_lr / heavy_ball_params: hand values, what they claim about sgd_step's
momentum (geometric series, Polyak's rate), bad input, and torch.optim.SGD with those settings."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from snippets import heavy_ball_params, momentum_effective_lr, sgd_step
from tests.reference import DTYPES, assert_matches, require


def test_hand_checked_values() -> None:
    # 1 / (1 - 0.5) = 2 ; 1 / (1 - 0.75) = 4 ; momentum 0 is plain SGD
    assert momentum_effective_lr(0.5, 0.5) == 1.0
    assert momentum_effective_lr(0.1, 0.75) == 0.4
    assert momentum_effective_lr(0.3, 0.0) == 0.3
    # mu = 1, L = 9: lr = 4 / (3 + 1)^2 = 1/4, momentum = ((3 - 1) / (3 + 1))^2 = 1/4
    assert heavy_ball_params(1.0, 9.0) == (0.25, 0.25)
    # mu = L: one curvature, lr = 1 / L lands in one step and no momentum is needed
    assert heavy_ball_params(4.0, 4.0) == (0.25, 0.0)


@given(st.floats(1e-4, 1.0), st.floats(0.0, 0.95))
def test_constant_gradient_steps_approach_the_effective_lr(lr: float, m: float) -> None:
    # b_k = (1 - m^(k+1)) / (1 - m) g: after 400 steps m^400 < 1e-8, so the step is lr / (1 - m) * g
    p, s = np.zeros(1), {}
    for _ in range(400):
        p_prev = p
        p, s = sgd_step(p, [1.0], s, lr=lr, momentum=m)
    step = p_prev[0] - p[0]
    assert math.isclose(step, momentum_effective_lr(lr, m), rel_tol=1e-7)


def iteration_matrix(lr: float, m: float, lam: float) -> np.ndarray:
    """Heavy ball on curvature lam: (e_{k+1}, e_k) = M (e_k, e_{k-1})."""
    return np.array([[1 + m - lr * lam, -m], [1.0, 0.0]])


@given(st.floats(1e-3, 1e3), st.floats(1.0, 1e4))
def test_polyak_rate_holds_over_the_whole_spectrum(mu: float, kappa: float) -> None:
    # the spectral radius of M is sqrt(momentum) for every lam in [mu, L] with Polyak's choice
    L = mu * kappa
    lr, m = heavy_ball_params(mu, L)
    rate = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
    assert math.isclose(math.sqrt(m), rate, rel_tol=1e-12, abs_tol=1e-15)
    for lam in np.linspace(mu, L, 7):
        radius = np.max(np.abs(np.linalg.eigvals(iteration_matrix(lr, m, lam))))
        # complex eigenvalue pair of modulus sqrt(m) (inside), or a double root at the ends
        assert radius <= math.sqrt(m) * (1 + 1e-6) + 1e-12


def test_heavy_ball_beats_the_best_plain_step_on_an_ill_conditioned_quadratic() -> None:
    # kappa = 100: plain GD at 2/(mu+L) shrinks by 99/101 per step, heavy ball by 9/11
    h = np.array([1.0, 100.0])
    lr, m = heavy_ball_params(1.0, 100.0)
    p, s = np.array([1.0, 1.0]), {}
    q = p.copy()
    for _ in range(100):
        p, s = sgd_step(p, h * p, s, lr=lr, momentum=m)
        q, _ = sgd_step(q, h * q, {}, lr=2 / 101)
    assert np.linalg.norm(p) < 1e-6 < 0.1 < np.linalg.norm(q)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="momentum must be < 1 for the buffer to converge, got 1.0"):
        momentum_effective_lr(0.1, 1.0)
    with pytest.raises(ValueError, match="momentum must be a finite number >= 0"):
        momentum_effective_lr(0.1, -0.1)
    with pytest.raises(TypeError, match="lr must be a real number"):
        momentum_effective_lr("0.1", 0.9)
    with pytest.raises(ValueError, match=r"need 0 < mu <= L, got mu=2.0, L=1.0"):
        heavy_ball_params(2.0, 1.0)
    with pytest.raises(ValueError, match=r"need 0 < mu <= L, got mu=0.0"):
        heavy_ball_params(0.0, 1.0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("nesterov", [False, True])
def test_torch_sgd_with_polyak_settings(dtype, nesterov: bool) -> None:
    # torch.optim.SGD on an ill-conditioned quadratic, step by step: the same iterates as
    # sgd_step (see tests/optimization/test_sgd.py for the tolerance). Heavy ball with Polyak's
    # settings; Nesterov with its own (lr = 1/L, momentum = (sqrt(kappa) - 1) / (sqrt(kappa) + 1)),
    # since Polyak's lr is too large for the look-ahead step and diverges
    torch = require("torch")
    h = np.logspace(0, 2, 6).astype(dtype)  # curvatures 1 .. 100
    lr, m = (1 / 100, 9 / 11) if nesterov else heavy_ball_params(1.0, 100.0)
    p0 = np.linspace(-3, 3, 6).astype(dtype)
    t = torch.tensor(p0.copy(), requires_grad=True)
    opt = torch.optim.SGD([t], lr=lr, momentum=m, nesterov=nesterov)
    p, s, p_max = p0, {}, 3.0
    for _ in range(120):
        g = h * t.detach().numpy()
        t.grad = torch.tensor(g)
        opt.step()
        p, s = sgd_step(p, g, s, lr=lr, momentum=m, nesterov=nesterov)
        ref = t.detach().numpy()
        p_max = max(p_max, float(np.max(np.abs(ref))))
        assert_matches(p, ref, dtype, scale=p_max)
