"""newton_schulz5 / muon_step: hand values, the SVD picture of the Newton–Schulz iteration, the
functional-state contract, stability, bad input, and torch.optim.Muon step by step."""

from __future__ import annotations

import math
import re
from functools import reduce

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import muon_step, newton_schulz5
from tests.reference import DTYPES, assert_matches, require

A, B, C = 3.4445, -4.7750, 2.0315


def quintic(x: np.ndarray, steps: int) -> np.ndarray:
    """The scalar map that the iteration applies to each normalised singular value, ``steps`` times."""
    return reduce(lambda y, _: A * y + B * y**3 + C * y**5, range(steps), x)


# ---------------------------------------------------------------- hand-checked values
def test_newton_schulz_by_hand() -> None:
    # G = diag(3, 4): ||G||_F = 5, singular values 0.6 and 0.8 after the division; each step maps
    # x to a x + b x^3 + c x^5, so after two steps the diagonal holds p(p(0.6)) and p(p(0.8))
    out = newton_schulz5([[3.0, 0.0], [0.0, 4.0]], steps=2)
    np.testing.assert_allclose(out, np.diag(quintic(np.array([0.6, 0.8]), 2)), rtol=1e-14, atol=1e-15)
    # a rank-one matrix u v^T: its one singular value is ||G||_F itself, x = 1, and p(1) = a + b + c
    u, v = np.array([1.0, 2.0, 2.0]) / 3, np.array([0.6, 0.8])
    np.testing.assert_allclose(newton_schulz5(7 * np.outer(u, v), steps=1), (A + B + C) * np.outer(u, v), rtol=1e-14)
    # a tiny matrix (norm below eps) is divided by eps, not normalised
    np.testing.assert_allclose(newton_schulz5([[1e-9]], steps=0, eps=1e-7), [[1e-2]], rtol=1e-15)


def test_muon_steps_by_hand() -> None:
    # one row, momentum 0.5, no Nesterov, ns_steps 0: b = 0.5 g = (1.5, 2), O = b / ||b|| = (0.6, 0.8);
    # then w (1 - lr wd) - lr O with lr 0.1, wd 1: 0.9 w - 0.1 (0.6, 0.8)
    p, s = muon_step([[1.0, 2.0]], [[3.0, 4.0]], {}, lr=0.1, momentum=0.5, nesterov=False, weight_decay=1.0, ns_steps=0)
    np.testing.assert_allclose(p, [[0.9 - 0.06, 1.8 - 0.08]], rtol=1e-15)
    np.testing.assert_array_equal(s["momentum_buffer"], [[1.5, 2.0]])
    # Nesterov: direction g + 0.5 (b - g) = (2.25, 3), the same direction, so the same O
    q, _ = muon_step([[1.0, 2.0]], [[3.0, 4.0]], {}, lr=0.1, momentum=0.5, weight_decay=1.0, ns_steps=0)
    np.testing.assert_allclose(q, p, rtol=1e-15)
    # a tall 4 x 1 matrix: the rate is scaled by sqrt(4 / 1) = 2; O = g / ||g||
    p, _ = muon_step(np.zeros((4, 1)), np.ones((4, 1)), {}, lr=0.1, momentum=0.0, weight_decay=0.0, ns_steps=0)
    np.testing.assert_allclose(p, np.full((4, 1), -0.2 * 0.5), rtol=1e-15)


def test_state_is_functional_and_dtypes() -> None:
    param, grad = np.ones((3, 2)), np.arange(6.0).reshape(3, 2)
    for a in (param, grad):
        a.setflags(write=False)
    state: dict = {}
    p1, s1 = muon_step(param, grad, state)
    assert state == {} and set(s1) == {"momentum_buffer"}
    before = np.copy(s1["momentum_buffer"])
    muon_step(p1, grad, s1)
    np.testing.assert_array_equal(s1["momentum_buffer"], before)
    p, s = muon_step(np.ones((2, 3), np.float32), np.ones((2, 3)), {})
    assert p.dtype == s["momentum_buffer"].dtype == newton_schulz5(np.ones((2, 2), np.float32)).dtype == np.float32
    assert muon_step([[1, 2]], [[1, 1]], {})[0].dtype == np.float64
    assert np.all(np.isnan(newton_schulz5([[np.nan, 1.0], [0.0, 1.0]])))
    assert np.all(newton_schulz5(np.zeros((2, 3))) == 0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_at_extreme_inputs(dtype) -> None:
    # entries from 1e-8 to 1e4 (and 1e30 in float32, whose squares overflow): the norm is taken in
    # units of the largest entry, the iteration only ever sees singular values <= 1
    rng = np.random.default_rng(0)
    G = (rng.normal(size=(6, 4)) * rng.choice([1e-8, 1.0, 1e4], size=(6, 4))).astype(dtype)
    for g in (G, G * dtype(1e26) if dtype == np.float32 else G * 1e290):
        out = newton_schulz5(g)
        assert out.dtype == dtype and np.all(np.isfinite(out)) and np.linalg.norm(out, 2) < 1.5
    p, s = rng.normal(size=(6, 4)).astype(dtype), {}
    for _ in range(30):
        p, s = muon_step(p, G, s, lr=0.02)
    assert np.all(np.isfinite(p))


# ---------------------------------------------------------------- properties
@settings(max_examples=40)
@given(st.integers(1, 7), st.integers(1, 7), st.integers(0, 6), st.data())
def test_acts_on_singular_values_only(m: int, n: int, steps: int, data) -> None:
    # X X^T and polynomials in it share G's singular vectors: with G = U S V^T the result is
    # U quintic(S / ||G||_F) V^T exactly (up to rounding, amplified by at most a^steps)
    G = data.draw(arrays(np.float64, (m, n), elements=st.floats(-10, 10)))
    if np.linalg.norm(G) < 1e-3:
        return
    U, S, Vt = np.linalg.svd(G, full_matrices=False)
    expected = U @ np.diag(quintic(S / np.linalg.norm(G), steps)) @ Vt
    np.testing.assert_allclose(newton_schulz5(G, steps=steps), expected, atol=1e-12 * A**steps)


def test_five_steps_bring_well_conditioned_singular_values_near_one() -> None:
    # the quintic's fixed-point region: any normalised singular value in [0.1, 1] ends in [0.68, 1.2]
    # after 5 steps (Jordan et al.: "roughly Uniform(0.5, 1.5)" for the worst inputs)
    x = np.linspace(0.1, 1.0, 10_000)
    assert 0.68 < quintic(x, 5).min() and quintic(x, 5).max() < 1.2
    # a random 16 x 64 Gaussian matrix has normalised singular values between ~0.1 and ~0.4
    rng = np.random.default_rng(0)
    G = rng.normal(size=(16, 64))
    S = np.linalg.svd(newton_schulz5(G), compute_uv=False)
    assert 0.68 < S.min() and S.max() < 1.2
    # and it has G's singular vectors: O = U S' V^T, so U^T O V is diagonal
    U, _, Vt = np.linalg.svd(G, full_matrices=False)
    D = U.T @ newton_schulz5(G) @ Vt.T
    np.testing.assert_allclose(D - np.diag(np.diag(D)), 0, atol=1e-12)


@given(arrays(np.float64, (4, 3), elements=st.floats(-10, 10)), st.floats(1e-3, 1e3))
def test_invariant_to_rescaling_the_gradient(g: np.ndarray, c: float) -> None:
    # the normalisation removes the gradient's scale: the same step for c g, as long as the first
    # direction (Nesterov: g + 0.95 (0.05 g - g) = 0.0975 g) stays well above eps = 1e-7 in norm
    if min(1.0, c) * np.linalg.norm(g) < 1e-3:
        return
    p1, _ = muon_step(np.ones((4, 3)), g, {})
    p2, _ = muon_step(np.ones((4, 3)), c * g, {})
    np.testing.assert_allclose(p1, p2, rtol=1e-10, atol=1e-13)


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    with pytest.raises(ValueError, match=re.escape("G must be a 2-D matrix (rows, cols), got shape (3,)")):
        newton_schulz5([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=re.escape("param must be a 2-D matrix (rows, cols), got shape (2, 2, 2)")):
        muon_step(np.ones((2, 2, 2)), np.ones((2, 2, 2)), {})
    with pytest.raises(ValueError, match="steps must be an integer >= 0, got -1"):
        newton_schulz5(np.eye(2), steps=-1)
    with pytest.raises(ValueError, match="eps must be a finite number > 0"):
        newton_schulz5(np.eye(2), eps=0.0)
    with pytest.raises(ValueError, match=re.escape("momentum must be a finite number in [0, 1], got 1.5")):
        muon_step(np.eye(2), np.eye(2), {}, momentum=1.5)
    with pytest.raises(TypeError, match="nesterov must be a bool"):
        muon_step(np.eye(2), np.eye(2), {}, nesterov=1)
    with pytest.raises(ValueError, match=r"state\['momentum_buffer'\] must have the shape of param \(2, 2\), got \(3, 3\)"):
        muon_step(np.eye(2), np.eye(2), {"momentum_buffer": np.eye(3)})


# ---------------------------------------------------------------- PyTorch
CONFIGS = [dict(), dict(lr=0.02, momentum=0.9, nesterov=False), dict(lr=0.05, weight_decay=0.0, ns_steps=3)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(8, 5), (5, 8), (6, 6)])
@pytest.mark.parametrize("config", CONFIGS, ids=["defaults", "classical-momentum", "ns3"])
def test_matches_torch_muon_in_the_parameter_dtype(monkeypatch, dtype, shape, config: dict) -> None:
    # torch.optim.Muon runs its Newton-Schulz iteration in bfloat16 (8 significant bits); with
    # that cast made the identity it computes in the parameter's dtype, like ours, with the same
    # operations in the same order (lerp, addmm, the adjusted rate). 100 steps on gradients whose
    # size jumps between 1e-3 and 100: the matrix products are summed in another order by the two
    # BLAS calls, and each of the 5 iterations can amplify an error by up to a = 3.4 for small
    # singular values; measured <= 2 ulps of max |p| over the 100 steps: the default 8 ulps hold
    torch = require("torch")
    monkeypatch.setattr(torch.Tensor, "bfloat16", lambda self: self.clone())
    rng = np.random.default_rng(0)
    p0 = rng.normal(size=shape).astype(dtype)
    grads = (rng.normal(size=(100, *shape)) * rng.choice([1e-3, 1.0, 100.0], size=(100, 1, 1))).astype(dtype)
    t = torch.tensor(p0.copy(), requires_grad=True)
    opt = torch.optim.Muon([t], **config)
    p, s = p0, {}
    for g in grads:
        t.grad = torch.tensor(g)
        opt.step()
        p, s = muon_step(p, g, s, **config)
        assert_matches(p, t.detach().numpy(), dtype, scale=float(np.max(np.abs(p))))
        buf = opt.state[t]["momentum_buffer"].numpy()
        assert_matches(s["momentum_buffer"], buf, dtype, scale=float(np.max(np.abs(buf))))


def test_close_to_torch_muon_in_bfloat16() -> None:
    # unpatched, torch rounds every product of the iteration to bfloat16 (spacing 2^-7 near 1):
    # one step from the same point differs from ours by about that much in the orthogonalised
    # update, whose entries are O(1); measured < 0.02, so 4 units of 2^-7 (0.03) in O per step
    torch = require("torch")
    rng = np.random.default_rng(1)
    p, s = rng.normal(size=(16, 8)).astype(np.float32), {}
    t = torch.tensor(p.copy(), requires_grad=True)
    opt = torch.optim.Muon([t], lr=0.02, weight_decay=0.0)
    adjusted = 0.02 * math.sqrt(16 / 8)
    for _ in range(20):
        g = rng.normal(size=(16, 8)).astype(np.float32)
        with torch.no_grad():
            t.copy_(torch.tensor(p))
        t.grad = torch.tensor(g)
        opt.step()
        new, s = muon_step(p, g, s, lr=0.02, weight_decay=0.0)
        assert np.max(np.abs((new - t.detach().numpy()) / adjusted)) < 4 * 2.0**-7
        p = new
