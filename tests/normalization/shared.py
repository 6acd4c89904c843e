"""Helpers shared by the normalization tests: exact reference arithmetic, extreme inputs and
PyTorch's normalizations with optional affine parameters."""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np

from tests.reference import EXTREMES, assert_matches, torch_forward_backward


# ---------------------------------------------------------------- exact arithmetic
def exact_standardised(v: list[Fraction], eps: float) -> tuple[list[Fraction], Fraction]:
    """x_hat = (v - mean) / s and s = sqrt(biased variance + eps) of the exact values ``v``, in
    rational arithmetic (only the square root is rounded, to 40 digits)."""
    mean = sum(v) / len(v)
    centred = [t - mean for t in v]
    s2 = sum(t * t for t in centred) / len(v) + Fraction(eps)
    with localcontext() as ctx:
        ctx.prec = 40
        s = Fraction((Decimal(s2.numerator) / Decimal(s2.denominator)).sqrt())
    return [t / s for t in centred], s


def exact_layer_norm(x, w, b, g, eps):
    """y, dx, dweight, dbias of (N, D) rows in rational arithmetic (the square root to 40 digits)."""
    n, d = x.shape
    y, dx = np.empty((n, d)), np.empty((n, d))
    dw, db = [Fraction(0)] * d, [Fraction(0)] * d
    W, B = [Fraction(float(t)) for t in w], [Fraction(float(t)) for t in b]
    for i in range(n):
        v, gg = [Fraction(float(t)) for t in x[i]], [Fraction(float(t)) for t in g[i]]
        xh, s = exact_standardised(v, eps)
        gh = [a * bb for a, bb in zip(gg, W)]
        mg, mgx = sum(gh) / d, sum(a * bb for a, bb in zip(gh, xh)) / d
        y[i] = [float(a * t + bb) for a, t, bb in zip(W, xh, B)]
        dx[i] = [float((a - mg - t * mgx) / s) for a, t in zip(gh, xh)]
        dw = [acc + a * t for acc, a, t in zip(dw, gg, xh)]
        db = [acc + a for acc, a in zip(db, gg)]
    return y, dx, np.array([float(t) for t in dw]), np.array([float(t) for t in db])


def extreme_rows(dtype, rng: np.random.Generator) -> np.ndarray:
    """5 rows of 15: tiny noise on +-1e4 offsets, the EXTREMES, a constant row and +-1e4 spread."""
    d = len(EXTREMES)
    x = np.stack([
        1e4 + 1e-2 * rng.normal(size=d),
        -1e4 + rng.normal(size=d),
        EXTREMES,
        np.full(d, 5e3),
        1e4 * rng.normal(size=d),
    ])
    return x.astype(dtype)


def extreme_groups(dtype, rng: np.random.Generator) -> np.ndarray:
    """(5, 2, 15): per example, two channels = two groups of 15 values: the rows of
    :func:`extreme_rows`, example i holding rows i and i + 2 (mod 5)."""
    rows = extreme_rows(np.float64, rng)
    x = np.stack([np.stack([rows[i], rows[(i + 2) % 5]]) for i in range(5)])
    return x.astype(dtype)


def assert_channels_match_exact(results, x, w, b, g, dtype) -> None:
    """(y, dx, dweight, dbias) of a per-channel normalization of x (N, C, L) against
    :func:`exact_layer_norm` of each channel's (N, L) rows, with that channel's weight and bias:
    within a few ulps of each row's largest value."""
    y, dx, dw, db = results
    d = x.shape[2]
    for c in range(x.shape[1]):
        ye, dxe, dwe, dbe = exact_layer_norm(x[:, c], np.full(d, w[c]), np.full(d, b[c]), g[:, c], 1e-5)
        for i in range(x.shape[0]):
            assert_matches(y[i, c], ye[i], dtype, scale=float(np.max(np.abs(ye[i]))))
            assert_matches(dx[i, c], dxe[i], dtype, scale=float(np.max(np.abs(dxe[i]))))
        # N * L terms of size |g x_hat| <= 4 |g| (dweight) and |g| (dbias)
        assert_matches(dw[c], dwe.sum(), dtype, scale=4 * float(np.sum(np.abs(g[:, c]))))
        assert_matches(db[c], dbe.sum(), dtype, scale=float(np.sum(np.abs(g[:, c]))))


# ---------------------------------------------------------------- PyTorch
def torch_norm_with_affine(norm, x, w, b, g):
    """PyTorch's (y, dx, dweight, dbias) for ``norm(x, weight, bias)``, weight and bias optional:
    None in, None out (the call receives None and no gradient is asked for)."""
    args, wrt = [x], [0]
    for a in (w, b):
        if a is not None:
            wrt.append(len(args))
            args.append(a)

    def fn(*t):
        it = iter(t[1:])
        tw = next(it) if w is not None else None
        tb = next(it) if b is not None else None
        return norm(t[0], tw, tb)

    y, grads = torch_forward_backward(fn, args, g, wrt=wrt)
    grads = iter(grads)
    dx = next(grads)
    return y, dx, (next(grads) if w is not None else None), (next(grads) if b is not None else None)


def assert_results_match(ours, ref, dtype, scales) -> None:
    """(y, dx, dweight, dbias) against PyTorch's, each within its scale; a None must be None in both."""
    for name, a, r, scale in zip(("y", "dx", "dw", "db"), ours, ref, scales):
        if r is None:
            assert a is None, name
        else:
            assert_matches(a, r, dtype, scale=scale)
