"""Sequence to sequence (encoder-decoder): a GRU encoder reads the source into a context vector, a
GRU decoder conditioned on it predicts the target one token at a time; padded positions are
masked out of the loss."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_class_indices, as_float_array, as_grad_out, propagates_nonfinite
from snippets.activations.softmax import log_softmax, softmax
from snippets.recurrent.gru import gru_cell

__all__ = ["seq2seq_forward", "sequence_mask", "masked_cross_entropy", "masked_cross_entropy_backward"]

_ENC_KEYS = ("embedding", "w_ih", "w_hh", "b_ih", "b_hh")
_DEC_KEYS = (*_ENC_KEYS, "w_out", "b_out")


def _check_params(params, name: str, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """A dict of float arrays holding exactly ``keys``."""
    if not isinstance(params, dict) or set(params) != set(keys):
        got = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise ValueError(f"{name} must be a dict with the keys {list(keys)}, got {got}")
    return {k: as_float_array(params[k], f"{name}[{k!r}]") for k in keys}


def _check_seq2seq(src, tgt_in, enc_params, dec_params):
    enc = _check_params(enc_params, "enc_params", _ENC_KEYS)
    dec = _check_params(dec_params, "dec_params", _DEC_KEYS)
    dtype = np.result_type(*enc.values(), *dec.values())
    enc = {k: v.astype(dtype, copy=False) for k, v in enc.items()}
    dec = {k: v.astype(dtype, copy=False) for k, v in dec.items()}
    for name, p in (("enc_params", enc), ("dec_params", dec)):
        if p["embedding"].ndim != 2:
            raise ValueError(f"{name}['embedding'] must be 2-D (vocab_size, E), got shape {p['embedding'].shape}")
    hidden = enc["w_hh"].shape[-1]
    if dec["w_ih"].ndim != 2 or dec["w_ih"].shape[1] != dec["embedding"].shape[1] + hidden:
        raise ValueError(
            f"dec_params['w_ih'] must have shape (3H, E_dec + H) = (3H, {dec['embedding'].shape[1] + hidden}): "
            f"the decoder reads its embedding and the context, got {dec['w_ih'].shape}"
        )
    src = as_class_indices(src, enc["embedding"].shape[0], "src")
    tgt_in = as_class_indices(tgt_in, dec["embedding"].shape[0], "tgt_in")
    if src.ndim != 2 or tgt_in.ndim != 2 or src.shape[0] != tgt_in.shape[0]:
        raise ValueError(f"src (N, S) and tgt_in (N, T) must be 2-D with one batch size, got {src.shape} and {tgt_in.shape}")
    return src, tgt_in, enc, dec


# --8<-- [start:seq2seq_forward]
@propagates_nonfinite
def seq2seq_forward(src: ArrayLike, tgt_in: ArrayLike, enc_params: dict, dec_params: dict) -> np.ndarray:
    """Teacher-forced forward pass of a GRU encoder-decoder: the encoder's last state c starts the
    decoder, which reads [embedding(token), c] at every step (Cho et al., 2014; d2l). No backward:
    training chains :func:`masked_cross_entropy_backward` and :func:`gru_cell_backward` through time.

    Parameters
    ----------
    src : array_like of int, shape (N, S)
        Source ids (every position is read, padding too).
    tgt_in : array_like of int, shape (N, T)
        Decoder inputs: <bos>, then the target shifted right.
    enc_params : dict
        ``embedding`` (V_src, E), ``w_ih`` (3H, E), ``w_hh`` (3H, H), ``b_ih``, ``b_hh`` (3H,).
    dec_params : dict
        The same with ``w_ih`` (3H, E_dec + H), plus ``w_out`` (V_tgt, H) and ``b_out`` (V_tgt,).

    Returns
    -------
    ndarray, shape (N, T, V_tgt)
        Next-token logits after each decoder input.

    Examples
    --------
    Weights 0: gates 1/2, candidate tanh 0 = 0, the state stays 0; every logit row is b_out.

    >>> z = lambda *s: np.zeros(s)
    >>> enc = {"embedding": z(3, 2), "w_ih": z(3, 2), "w_hh": z(3, 1), "b_ih": z(3), "b_hh": z(3)}
    >>> dec = {**enc, "embedding": z(2, 2), "w_ih": z(3, 3), "w_out": z(2, 1), "b_out": np.array([1.0, 0.0])}
    >>> seq2seq_forward([[0, 2]], [[1, 0, 1]], enc, dec)
    array([[[1., 0.],
            [1., 0.],
            [1., 0.]]])
    """
    src, tgt_in, enc, dec = _check_seq2seq(src, tgt_in, enc_params, dec_params)
    n, hidden = src.shape[0], enc["w_hh"].shape[-1]
    gru_enc = [enc[k] for k in ("w_ih", "w_hh", "b_ih", "b_hh")]
    gru_dec = [dec[k] for k in ("w_ih", "w_hh", "b_ih", "b_hh")]
    # encoder: one GRU step per source token, from a zero state
    h = np.zeros((n, hidden), dtype=enc["w_hh"].dtype)
    for x_t in np.moveaxis(enc["embedding"][src], 1, 0):
        h = gru_cell(x_t, h, *gru_enc)
    context = h
    # decoder: starts from the context and reads [embedding(token), context] at every step
    states = []
    for y_t in np.moveaxis(dec["embedding"][tgt_in], 1, 0):
        h = gru_cell(np.concatenate([y_t, context], axis=1), h, *gru_dec)
        states.append(h)
    states = np.stack(states, axis=1) if states else np.zeros((n, 0, hidden), dtype=h.dtype)
    # output layer: next-token logits from each decoder state
    return states @ dec["w_out"].T + dec["b_out"]
# --8<-- [end:seq2seq_forward]


def _valid_mask(valid_len: ArrayLike, n: int, t: int) -> np.ndarray:
    """(N, T) booleans, True at positions ``< valid_len[n]``."""
    lengths = as_class_indices(valid_len, t + 1, "valid_len")
    if lengths.shape != (n,):
        raise ValueError(f"valid_len must have shape (N,) = ({n},), got {lengths.shape}")
    return np.arange(t) < lengths[:, None]


# --8<-- [start:sequence_mask]
def sequence_mask(X: ArrayLike, valid_len: ArrayLike, value: float = 0) -> np.ndarray:
    """Replace every position at or beyond each sequence's valid length by ``value``.

    Parameters
    ----------
    X : array_like, shape (N, T, *)
    valid_len : array_like of int, shape (N,)
        Lengths in ``[0, T]``.
    value : float, default 0
        The fill value (``-inf`` before a softmax, 0 before a sum).

    Returns
    -------
    ndarray, shape of X
        A copy with ``X[n, t] = value`` for ``t >= valid_len[n]`` (its gradient: ``grad_out``
        with those positions set to 0).

    Examples
    --------
    >>> sequence_mask([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [1, 2])
    array([[1., 0., 0.],
           [4., 5., 0.]])
    """
    x = as_float_array(X, "X")
    if x.ndim < 2:
        raise ValueError(f"X must have shape (N, T, *), got shape {x.shape}")
    fill = as_float_array(value, "value")
    if fill.ndim != 0:
        raise ValueError(f"value must be a scalar, got shape {fill.shape}")
    keep = _valid_mask(valid_len, x.shape[0], x.shape[1])
    # broadcast the (N, T) mask over any trailing feature axes
    keep = keep.reshape(keep.shape + (1,) * (x.ndim - 2))
    return np.where(keep, x, fill.astype(x.dtype))
# --8<-- [end:sequence_mask]


def _check_masked_ce(logits, targets, valid_len):
    z = as_float_array(logits, "logits")
    if z.ndim != 3 or z.shape[2] == 0:
        raise ValueError(f"logits must be a 3-D array (N, T, V), got shape {z.shape}")
    n, t, v = z.shape
    y = np.asarray(targets)
    if y.dtype.kind not in "iu":
        raise TypeError(f"targets must hold integer token ids, got dtype {y.dtype}")
    if y.shape != (n, t):
        raise ValueError(f"targets must have shape (N, T) = {(n, t)} to match logits {z.shape}, got {y.shape}")
    mask = _valid_mask(valid_len, n, t)
    count = int(mask.sum())
    if count == 0:
        raise ValueError("valid_len must leave at least one token to average over, got only zeros")
    # only the valid positions must hold real token ids: padding may hold anything (-100, <pad>)
    as_class_indices(y[mask], v, "targets")
    return z, np.where(mask, y, 0), mask, count


# --8<-- [start:masked_cross_entropy]
@propagates_nonfinite
def masked_cross_entropy(logits: ArrayLike, targets: ArrayLike, valid_len: ArrayLike) -> np.floating:
    """Mean cross-entropy over the valid tokens of a padded batch.

    Parameters
    ----------
    logits : array_like, shape (N, T, V)
    targets : array_like of int, shape (N, T)
        Token ids; padded positions may hold anything.
    valid_len : array_like of int, shape (N,)
        Lengths in ``[0, T]``, not all 0.

    Returns
    -------
    numpy scalar
        The mean over valid tokens, as ``F.cross_entropy(..., ignore_index=pad)`` with padding
        set to ``pad`` (not d2l's per-sequence mean over T).

    Examples
    --------
    Two tokens are valid, each with logits (0, 0): the mean is log 2; the padded NaN is ignored.

    >>> round(float(masked_cross_entropy([[[0.0, 0.0], [0.0, 0.0], [np.nan, 1.0]]], [[0, 1, 1]], [2])), 6)
    0.693147
    """
    z, y, mask, count = _check_masked_ce(logits, targets, valid_len)
    logp = np.take_along_axis(log_softmax(z, axis=-1), y[..., None], axis=-1)[..., 0]
    # padded positions contribute exactly 0, whatever their logits hold
    return np.sum(np.where(mask, -logp, 0)) / z.dtype.type(count)
# --8<-- [end:masked_cross_entropy]


# --8<-- [start:masked_cross_entropy_backward]
@propagates_nonfinite
def masked_cross_entropy_backward(
    grad_out: ArrayLike, logits: ArrayLike, targets: ArrayLike, valid_len: ArrayLike
) -> np.ndarray:
    """Gradient of :func:`masked_cross_entropy` with respect to ``logits``.

    Parameters
    ----------
    grad_out : array_like, shape ()
    logits, targets, valid_len
        As in :func:`masked_cross_entropy`.

    Returns
    -------
    ndarray, shape (N, T, V)
        ``(softmax - onehot) / count`` at valid positions, 0 at padded ones.

    Examples
    --------
    One valid token, logits (0, 0), target 0: (1/2 - 1, 1/2).

    >>> masked_cross_entropy_backward(1.0, [[[0.0, 0.0], [5.0, 1.0]]], [[0, 1]], [1])
    array([[[-0.5,  0.5],
            [ 0. ,  0. ]]])
    """
    z, y, mask, count = _check_masked_ce(logits, targets, valid_len)
    g = as_grad_out(grad_out, (), z.dtype)
    # d CE / d logits = softmax - onehot, per valid token, divided by their count
    d = softmax(z, axis=-1)
    np.put_along_axis(d, y[..., None], np.take_along_axis(d, y[..., None], axis=-1) - 1, axis=-1)
    return np.where(mask[..., None], d * (g / z.dtype.type(count)), 0).astype(z.dtype, copy=False)
# --8<-- [end:masked_cross_entropy_backward]
