"""layerwise_lrs / fine_tune_step: hand values, properties, bad input, and torch.optim.SGD with one
parameter group per layer over 50 steps (float32 and float64)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from snippets import fine_tune_step, layerwise_lrs
from tests.reference import DTYPES, assert_matches, require


def test_hand_checked_values() -> None:
    # top layer base_lr, each layer below times the decay: 0.01 * (0.9^2, 0.9, 1)
    np.testing.assert_allclose(layerwise_lrs(0.01, 3, decay=0.9), [0.0081, 0.009, 0.01], rtol=1e-15)
    np.testing.assert_array_equal(layerwise_lrs(0.5, 4, decay=1.0), [0.5] * 4)
    # p - lr (g + wd p): 1 - 0.1 (2 + 0.5 * 1) = 0.75; the frozen group is returned unchanged
    new = fine_tune_step([np.array([1.0]), np.array([3.0])], [np.array([2.0]), np.array([2.0])], [0.1, 0.0], weight_decay=0.5)
    np.testing.assert_allclose(new[0], [0.75], rtol=1e-15)
    np.testing.assert_array_equal(new[1], [3.0])


@given(st.floats(1e-6, 1.0), st.integers(1, 40), st.floats(0.05, 1.0))
def test_geometric_from_the_top(base_lr: float, num_layers: int, decay: float) -> None:
    lrs = layerwise_lrs(base_lr, num_layers, decay)
    assert lrs.shape == (num_layers,) and lrs[-1] == base_lr
    assert np.all(np.diff(lrs) >= 0)  # never larger below
    np.testing.assert_allclose(lrs[:-1] / lrs[1:], decay, rtol=1e-12)


def test_inputs_untouched_and_dtypes_kept() -> None:
    p32, g32 = np.ones(3, np.float32), np.full(3, 0.5, np.float32)
    p32.setflags(write=False)
    (new,) = fine_tune_step([p32], [g32], [0.1])
    assert new.dtype == np.float32 and np.all(p32 == 1.0)
    assert fine_tune_step([[1, 2]], [[1, 1]], [0.5])[0].dtype == np.float64


def test_weight_decay_shrinks_towards_zero_not_towards_the_start() -> None:
    # with no gradient at all, 100 steps multiply every weight by (1 - lr wd)^100
    p = np.array([2.0, -4.0])
    params = [p]
    for _ in range(100):
        params = fine_tune_step(params, [np.zeros(2)], [0.1], weight_decay=0.01)
    np.testing.assert_allclose(params[0], p * (1 - 0.1 * 0.01) ** 100, rtol=1e-13)


def test_bad_input_names_the_argument() -> None:
    with pytest.raises(ValueError, match="decay must be"):
        layerwise_lrs(0.1, 3, decay=0.0)
    with pytest.raises(ValueError, match="decay must be"):
        layerwise_lrs(0.1, 3, decay=1.5)
    with pytest.raises(ValueError, match="num_layers must be"):
        layerwise_lrs(0.1, 0)
    with pytest.raises(ValueError, match="base_lr must be"):
        layerwise_lrs(0.0, 3)
    with pytest.raises(ValueError, match="grads must hold one array per group of params: 2 params, 1 grads"):
        fine_tune_step([[1.0], [2.0]], [[1.0]], [0.1, 0.1])
    with pytest.raises(ValueError, match=r"lrs must have shape \(len\(params\),\) = \(2,\)"):
        fine_tune_step([[1.0], [2.0]], [[1.0], [1.0]], [0.1])
    with pytest.raises(ValueError, match="lrs must be >= 0"):
        fine_tune_step([[1.0]], [[1.0]], [-0.1])
    with pytest.raises(ValueError, match=r"grads\[1\]"):
        fine_tune_step([[1.0], [2.0, 3.0]], [[1.0], [1.0]], [0.1, 0.1])
    with pytest.raises(TypeError, match=r"params\[0\] must be"):
        fine_tune_step([["a"]], [[1.0]], [0.1])
    with pytest.raises(ValueError, match="weight_decay must be"):
        fine_tune_step([[1.0]], [[1.0]], [0.1], weight_decay=-1.0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_matches_torch_sgd_with_parameter_groups(dtype, weight_decay) -> None:
    # three "layers" of a least-squares model y = x W0^T W1^T + b2, trained on one batch for 50 steps
    # with layer-wise learning rates; the gradients come from torch's autograd at each step and are
    # fed to both optimizers, so only the update rule is compared
    torch = require("torch")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 6)).astype(dtype), rng.normal(size=(32, 2)).astype(dtype)
    start = [rng.normal(size=(4, 6)).astype(dtype), rng.normal(size=(2, 4)).astype(dtype), np.zeros(2, dtype)]
    lrs = layerwise_lrs(0.05, 3, decay=0.5)
    tensors = [torch.tensor(p.copy(), requires_grad=True) for p in start]
    optimizer = torch.optim.SGD([{"params": [t], "lr": float(lr)} for t, lr in zip(tensors, lrs)], weight_decay=weight_decay)
    ours = [p.copy() for p in start]
    for _ in range(50):
        # the gradients at OUR current parameters (torch's are compared to ours at the end)
        probe = [torch.tensor(p, requires_grad=True) for p in ours]
        loss = ((torch.tensor(x) @ probe[0].T @ probe[1].T + probe[2] - torch.tensor(y)) ** 2).mean()
        loss.backward()
        grads = [t.grad.numpy() for t in probe]
        ours = fine_tune_step(ours, grads, lrs, weight_decay=weight_decay)
        optimizer.zero_grad()
        for t, g in zip(tensors, grads):
            t.grad = torch.tensor(g)
        optimizer.step()
    for mine, ref in zip(ours, tensors):
        # both compute p - lr (g + wd p) from the same gradients in the same dtype, but PyTorch's
        # p.add_(d, alpha=-lr) is one fused multiply-add where ours rounds the product and then the
        # difference: per step at most 1.5 ulps of max|p| apart, over 50 steps at most 75 (each side
        # follows its own parameters). Measured: 1 ulp
        scale = float(np.max(np.abs(mine))) or 1.0
        assert_matches(mine, ref.detach().numpy(), dtype, ulps=1.5 * 50, scale=scale)
