"""transformer_encoder_layer: hand values, properties, stability, bad input, torch.nn.TransformerEncoderLayer."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets import gelu, layer_norm, linear, multi_head_attention, relu, transformer_encoder_layer
from tests.attention.test_attention import assert_close
from tests.reference import DTYPES, EXTREMES, require

layer = transformer_encoder_layer
NAMES = (
    "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
    "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
    "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
)


def make_params(rng, e, f, dtype=np.float64) -> dict[str, np.ndarray]:
    """Random parameters of a layer with d_model e and dim_feedforward f (norm weights around 1)."""
    shapes = [(3 * e, e), (3 * e,), (e, e), (e,), (f, e), (f,), (e, f), (e,), (e,), (e,), (e,), (e,)]
    params = {}
    for name, shape in zip(NAMES, shapes):
        fan_in = shape[1] if len(shape) == 2 else 4
        value = rng.normal(size=shape) / math.sqrt(fan_in)
        if name.startswith("norm") and name.endswith("weight"):
            value = 1 + 0.3 * value
        params[name] = value.astype(dtype)
    return params


# ---------------------------------------------------------------- hand-checked values
def test_hand_checked_post_ln_with_zero_sublayers() -> None:
    # every sublayer weight and bias 0: attention and feed-forward output 0, so post-LN is
    # norm2(norm1(x)). With eps = 3: the row (1, 3) has mean 2 and biased variance 1, so norm1
    # gives (-1, 1) / sqrt(1 + 3) * 2 = (-1, 1); norm2 gives (-1, 1) / sqrt(1 + 3) = (-1/2, 1/2)
    rng = np.random.default_rng(0)
    p = {k: np.zeros_like(v) for k, v in make_params(rng, 2, 3).items()}
    p["norm1.weight"], p["norm2.weight"] = np.full(2, 2.0), np.ones(2)
    out = layer([[[1.0, 3.0]]], p, 1, eps=3.0)
    np.testing.assert_allclose(out, [[[-0.5, 0.5]]], rtol=1e-15)
    # pre-LN with zero sublayers is the identity: x + 0 + 0
    np.testing.assert_array_equal(layer([[[1.0, 3.0]]], p, 1, norm_first=True), [[[1.0, 3.0]]])


def test_hand_checked_feed_forward_path() -> None:
    # attention off (all zero); one token; F = 1 with linear1 = (1, 1), linear2 = (1, -1)^T;
    # pre-LN: x + ff(norm2(x)). With eps = 3, norm2 maps x = (1, 3) to (-1, 1) / 2, plus its bias
    # (2, 0): (3/2, 1/2); linear1 gives 2; relu(2) = 2, gelu(2) = 2 Phi(2) = 2 * (1 + erf(sqrt 2)) / 2;
    # linear2 gives (1, -1) act(2): output x + (1, -1) act(2)
    p = {k: np.zeros_like(v) for k, v in make_params(np.random.default_rng(1), 2, 1).items()}
    p.update({"linear1.weight": np.array([[1.0, 1.0]]), "linear2.weight": np.array([[1.0], [-1.0]]),
              "norm1.weight": np.ones(2), "norm2.weight": np.ones(2), "norm2.bias": np.array([2.0, 0.0])})
    x = np.array([[[1.0, 3.0]]])
    out_relu = layer(x, p, 2, norm_first=True, eps=3.0)
    np.testing.assert_allclose(out_relu, [[[1.0 + 2.0, 3.0 - 2.0]]], rtol=1e-15)
    gelu_2 = 2 * 0.5 * (1 + math.erf(2 / math.sqrt(2)))
    out_gelu = layer(x, p, 2, norm_first=True, activation="gelu", eps=3.0)
    np.testing.assert_allclose(out_gelu, [[[1.0 + gelu_2, 3.0 - gelu_2]]], rtol=1e-14)


def test_equals_the_composition_of_the_building_blocks() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 5, 8))
    p = make_params(rng, 8, 16)
    def attention(h):
        return multi_head_attention(h, h, h, 2, p["self_attn.in_proj_weight"], p["self_attn.in_proj_bias"],
                                    p["self_attn.out_proj.weight"], p["self_attn.out_proj.bias"])
    def feed_forward(h, act):
        return linear(act(linear(h, p["linear1.weight"], p["linear1.bias"])), p["linear2.weight"], p["linear2.bias"])
    def norm(h, i):
        return layer_norm(h, 8, p[f"norm{i}.weight"], p[f"norm{i}.bias"])
    for name, act in (("relu", relu), ("gelu", gelu)):
        h = norm(x + attention(x), 1)
        np.testing.assert_array_equal(layer(x, p, 2, activation=name), norm(h + feed_forward(h, act), 2))
        h = x + attention(norm(x, 1))
        np.testing.assert_array_equal(layer(x, p, 2, norm_first=True, activation=name), h + feed_forward(norm(h, 2), act))


# ---------------------------------------------------------------- properties
@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(arrays(np.float64, (2, 4, 6), elements=st.floats(-100, 100)), st.booleans(), st.sampled_from(["relu", "gelu"]))
def test_post_ln_rows_are_normalised(x, norm_first, activation) -> None:
    # post-LN ends with norm2: with unit weight and zero bias every output row has mean 0 and
    # variance var / (var + eps) <= 1 (1 unless the row is nearly constant)
    p = make_params(np.random.default_rng(3), 6, 12)
    p["norm2.weight"], p["norm2.bias"] = np.ones(6), np.zeros(6)
    out = layer(x, p, 3, activation=activation)
    np.testing.assert_allclose(out.mean(axis=-1), 0.0, atol=1e-12)
    assert np.all(out.var(axis=-1) <= 1 + 1e-12)


@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(st.randoms(use_true_random=False), st.booleans())
def test_permuting_the_tokens_permutes_the_outputs(random, norm_first) -> None:
    # no mask and no positional information: the layer is permutation-equivariant
    rng = np.random.default_rng(4)
    x = rng.normal(size=(1, 6, 8))
    p = make_params(rng, 8, 16)
    perm = np.array(random.sample(range(6), 6))
    out = layer(x, p, 4, norm_first=norm_first)
    np.testing.assert_allclose(layer(x[:, perm], p, 4, norm_first=norm_first), out[:, perm], rtol=1e-12, atol=1e-12)


def test_mixed_dtypes_promote_and_integers_become_float64() -> None:
    rng = np.random.default_rng(5)
    p = make_params(rng, 4, 8, dtype=np.float32)
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    assert layer(x, p, 2).dtype == np.float32
    assert layer(x.astype(np.float64), p, 2).dtype == np.float64
    p["linear2.bias"] = p["linear2.bias"].astype(np.float64)
    assert layer(x, p, 2).dtype == np.float64
    assert layer(np.ones((1, 2, 4), dtype=int), make_params(rng, 4, 8), 2).dtype == np.float64


# ---------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_first", [False, True])
@settings(deadline=None)  # timing on a shared machine is not what is tested
@given(x=arrays(np.float64, (2, 3, 4), elements=st.floats(-1e4, 1e4)))
def test_stable_up_to_1e4(dtype, norm_first, x) -> None:
    p = make_params(np.random.default_rng(6), 4, 8, dtype=dtype)
    for activation in ("relu", "gelu"):
        out = layer(x.astype(dtype), p, 2, norm_first=norm_first, activation=activation)
        assert out.dtype == dtype and np.all(np.isfinite(out))


def test_nan_in_nan_out() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2, 3, 4))
    x[0, 1, 2] = np.nan
    out = layer(x, make_params(rng, 4, 8), 2)
    # the NaN token is a key and value of every query of its sequence; the other one is clean
    assert np.all(np.isnan(out[0])) and np.all(np.isfinite(out[1]))


# ---------------------------------------------------------------- bad input
def test_rejects_bad_params_and_arguments() -> None:
    rng = np.random.default_rng(8)
    x, p = rng.normal(size=(2, 3, 4)), make_params(rng, 4, 8)
    with pytest.raises(TypeError, match="params must be a mapping"):
        layer(x, list(p.values()), 2)
    incomplete = {k: v for k, v in p.items() if k != "norm2.bias"}
    with pytest.raises(ValueError, match=r"missing \['norm2.bias'\], unknown \[\]"):
        layer(x, incomplete, 2)
    with pytest.raises(ValueError, match=r"missing \[\], unknown \['norm3.weight'\]"):
        layer(x, {**p, "norm3.weight": np.ones(4)}, 2)
    with pytest.raises(ValueError, match=r"activation must be 'relu' or 'gelu', got 'tanh'"):
        layer(x, p, 2, activation="tanh")
    with pytest.raises(TypeError, match="activation must be a string, got function"):
        layer(x, p, 2, activation=relu)
    with pytest.raises(TypeError, match="norm_first must be a bool, got str"):
        layer(x, p, 2, norm_first="yes")
    with pytest.raises(ValueError, match=r"x must be a 3-D array \(N, L, E\), got shape \(3, 4\)"):
        layer(x[0], p, 2)
    with pytest.raises(ValueError, match=r"params\['linear2.weight'\] must have shape \(E, F\) = \(4, 8\) for E = 4 and dim_feedforward F = 8, got \(8, 4\)"):
        layer(x, {**p, "linear2.weight": p["linear2.weight"].T}, 2)
    with pytest.raises(ValueError, match=r"params\['norm1.bias'\] must have shape \(E,\) = \(4,\)"):
        layer(x, {**p, "norm1.bias": np.ones(5)}, 2)
    with pytest.raises(ValueError, match=r"num_heads must be a positive divisor of the embedding size E = 4, got 3"):
        layer(x, p, 3)
    with pytest.raises(TypeError, match=r"params\['linear1.bias'\] must be real-valued"):
        layer(x, {**p, "linear1.bias": p["linear1.bias"] * 1j}, 2)


# ---------------------------------------------------------------- PyTorch
def torch_layer(torch, params, x, num_heads, norm_first, activation, dtype):
    """nn.TransformerEncoderLayer(batch_first=True) in eval mode, with ``params`` loaded, in ``dtype``."""
    e, f = params["linear1.weight"].shape[1], params["linear1.weight"].shape[0]
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    module = torch.nn.TransformerEncoderLayer(
        e, num_heads, dim_feedforward=f, dropout=0.1, activation=activation, batch_first=True,
        norm_first=norm_first, dtype=tdtype,
    )
    module.load_state_dict({k: torch.tensor(np.asarray(v, dtype=dtype)) for k, v in params.items()})
    module.eval()  # no dropout: the contract is the evaluation-mode output
    with torch.no_grad():
        return module(torch.tensor(np.asarray(x, dtype=dtype))).numpy()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-LN", "pre-LN"])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("magnitude", ["random", "extreme"])
def test_matches_torch_transformer_encoder_layer(dtype, norm_first, activation, magnitude) -> None:
    torch = require("torch")
    rng = np.random.default_rng(9)
    n, length, e, f, h = 3, 5, 8, 16, 2
    x = rng.normal(size=(n, length, e))
    if magnitude == "extreme":  # tokens up to +-1e4: saturated attention rows, huge residuals
        x[0, 1, :5], x[2, 3, :5] = EXTREMES[:5], EXTREMES[-5:]
    params = make_params(rng, e, f)  # random values everywhere, norms included: no term is trivial
    x, params = x.astype(dtype), {k: v.astype(dtype) for k, v in params.items()}
    ref = torch_layer(torch, params, x, h, norm_first, activation, dtype)
    ours = transformer_encoder_layer(x, params, h, norm_first=norm_first, activation=activation)
    # The tolerance is measured, not guessed: the same problem (inputs rounded to float32) run by
    # PyTorch in float32 and in float64 shows how much float32 rounding moves each output row
    # (its condition number times eps32: layer norms divide by small row deviations, attention
    # rows near a tie amplify score errors). Rounding in another order moves it by the same order,
    # so we allow 4 times that, rescaled by eps(dtype) / eps32 (exactly 4 times it in float32).
    x32, p32 = x.astype(np.float32), {k: v.astype(np.float32) for k, v in params.items()}
    measured = np.abs(torch_layer(torch, p32, x32, h, norm_first, activation, np.float32)
                      - torch_layer(torch, p32, x32, h, norm_first, activation, np.float64))
    eps32 = np.finfo(np.float32).eps
    per_row = np.max(measured, axis=-1, keepdims=True) / eps32  # (N, L, 1), in units of eps
    # assert_close allows 8 eps (|ref| + scale): scale = 4 * per_row / 8 gives 4 * measured
    assert_close(ours, ref, dtype, scale=per_row / 2)
