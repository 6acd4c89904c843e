"""relative_error and check_gradient."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import (
    check_gradient,
    relative_error,
    relu,
    relu_backward,
    sigmoid,
    sigmoid_backward,
    softmax,
    softmax_backward,
    tanh,
    tanh_backward,
)
from tests.reference import DTYPES, require

finite = st.floats(-1e4, 1e4, allow_nan=False)


# ---------------------------------------------------------------- relative_error
def test_relative_error_hand_values() -> None:
    # |1 - 1.1| / 1.1; |3 - 3| / 3 = 0; |1 - (-1)| / 1 = 2; |0 - 1e-20| / 1e-20 = 1; 0 vs 0 -> 0
    np.testing.assert_allclose(
        relative_error([1.0, 3.0, 1.0, 0.0, 0.0], [1.1, 3.0, -1.0, 1e-20, 0.0]),
        [0.1 / 1.1, 0.0, 2.0, 1.0, 0.0], rtol=1e-15,
    )


@given(arrays(np.float64, st.integers(1, 20), elements=finite), st.data())
def test_relative_error_is_symmetric_and_bounded(a: np.ndarray, data) -> None:
    b = data.draw(arrays(np.float64, a.shape, elements=finite))
    r = relative_error(a, b)
    np.testing.assert_array_equal(r, relative_error(b, a))
    assert np.all((r >= 0) & (r <= 2))
    np.testing.assert_array_equal(relative_error(a, a), 0.0)


@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-1e3, 1e3)), st.floats(1e-3, 1e3))
def test_relative_error_ignores_a_common_scale(a: np.ndarray, c: float) -> None:
    b = a + 1.0
    np.testing.assert_allclose(relative_error(c * a, c * b), relative_error(a, b), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
def test_relative_error_dtype_and_nan(dtype) -> None:
    a = np.array([1.0, np.nan, 0.0], dtype=dtype)
    r = relative_error(a, np.ones(3, dtype=dtype))
    assert r.dtype == dtype
    assert r[0] == 0 and np.isnan(r[1]) and r[2] == 1
    assert relative_error([1, 2], [1, 2]).dtype == np.float64


def test_relative_error_bad_input() -> None:
    with pytest.raises(ValueError, match=r"b must have the same shape as a: a has shape \(2,\), b has shape \(3,\)"):
        relative_error(np.zeros(2), np.zeros(3))
    with pytest.raises(TypeError, match="a must be real-valued"):
        relative_error(np.zeros(2, dtype=complex), np.zeros(2))


# ---------------------------------------------------------------- check_gradient
@pytest.mark.parametrize(
    ("f", "f_backward"),
    [(sigmoid, sigmoid_backward), (tanh, tanh_backward), (softmax, softmax_backward)],
    ids=["sigmoid", "tanh", "softmax"],
)
def test_correct_backwards_pass(f, f_backward) -> None:
    # smooth functions of O(1) inputs: truncation ~ eps^2 = 1e-12 and rounding ~ 1e-16 / eps = 1e-10,
    # relative to gradients of order 0.1; 1e-7 leaves a margin of 100
    x = np.random.default_rng(0).normal(size=(3, 4))
    assert check_gradient(f, f_backward, x) < 1e-7


def test_relu_away_from_the_kink_passes_and_at_the_kink_fails() -> None:
    x = np.array([-1.0, 0.5, 2.0])
    assert check_gradient(relu, relu_backward, x) < 1e-7
    # at exactly 0 the central difference is 1/2 and relu_backward says 0: relative error 1
    assert check_gradient(relu, relu_backward, np.array([0.0, 1.0])) == 1.0


def test_wrong_backwards_are_caught() -> None:
    x = np.random.default_rng(1).normal(size=6)
    # tanh' written as 1 - tanh(x) (the square forgotten)
    assert check_gradient(tanh, lambda g, v: g * (1 - np.tanh(v)), x) > 1e-2
    # a gradient off by a constant factor 1.01
    assert check_gradient(tanh, lambda g, v: 1.01 * tanh_backward(g, v), x) == pytest.approx(0.01 / 1.01, rel=1e-6)


def test_result_is_float64_and_inputs_untouched() -> None:
    x = np.array([0.3, -0.2], dtype=np.float32)
    x.setflags(write=False)
    r = check_gradient(sigmoid, sigmoid_backward, x)
    assert isinstance(r, np.float64) and r < 1e-7
    assert check_gradient(sigmoid, sigmoid_backward, np.zeros((0, 2))) == 0.0


def test_check_gradient_bad_input() -> None:
    with pytest.raises(ValueError, match=r"f_backward must return a gradient with the shape of x \(3,\), got shape \(\)"):
        check_gradient(np.sum, lambda g, v: g, np.zeros(3))
    with pytest.raises(ValueError, match="eps must be a finite number > 0, got -1.0"):
        check_gradient(sigmoid, sigmoid_backward, np.zeros(3), eps=-1.0)
    with pytest.raises(TypeError, match="x must be"):
        check_gradient(sigmoid, sigmoid_backward, ["a"])


def test_bad_eps_and_callables_are_named() -> None:
    # each used to surface as a numpy or Python error that named no argument
    with pytest.raises(TypeError, match="eps must be a real number, got NoneType"):
        check_gradient(sigmoid, sigmoid_backward, np.zeros(3), eps=None)
    with pytest.raises(TypeError, match="f must be callable"):
        check_gradient(None, sigmoid_backward, np.zeros(3))
    with pytest.raises(TypeError, match="f_backward must be callable"):
        check_gradient(sigmoid, "sigmoid_backward", np.zeros(3))
    with pytest.raises(TypeError, match="f_backward must return an array of real numbers"):
        check_gradient(sigmoid, lambda g, v: [[1.0], [1.0, 2.0]], np.zeros(2))
    with pytest.raises(TypeError, match="f must return real numbers"):
        check_gradient(lambda v: "y", sigmoid_backward, np.zeros(2))


# ---------------------------------------------------------------- PyTorch
def _as_torch_function(torch, f, f_backward):
    """A torch.autograd.Function whose forward and backward are ours."""

    class Wrapped(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return torch.from_numpy(np.asarray(f(x.detach().numpy())))

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return torch.from_numpy(np.asarray(f_backward(grad.numpy(), x.detach().numpy())))

    return Wrapped.apply


@pytest.mark.parametrize(
    ("f", "f_backward", "correct"),
    [
        (sigmoid, sigmoid_backward, True),
        (tanh, tanh_backward, True),
        (softmax, softmax_backward, True),
        (tanh, lambda g, v: g * (1 - np.tanh(v)), False),
        (sigmoid, lambda g, v: g * sigmoid(v) * (1 - v), False),
        (softmax, lambda g, v: g * softmax(v) * (1 - softmax(v)), False),  # the diagonal of the Jacobian only
    ],
    ids=["sigmoid", "tanh", "softmax", "tanh-bug", "sigmoid-bug", "softmax-diagonal-bug"],
)
def test_verdict_agrees_with_torch_gradcheck(f, f_backward, correct) -> None:
    torch = require("torch")
    x = np.random.default_rng(2).normal(size=(2, 5))
    ours = check_gradient(f, f_backward, x)
    theirs = torch.autograd.gradcheck(
        _as_torch_function(torch, f, f_backward), (torch.tensor(x, requires_grad=True),), raise_exception=False
    )
    # 1e-6: the rounding + truncation floor of a correct check is ~1e-9 here, a real bug is >= 1e-2
    assert (ours < 1e-6) == theirs == correct
