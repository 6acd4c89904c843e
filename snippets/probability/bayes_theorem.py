"""Bayes' theorem: update a prior over hypotheses with the likelihood of what was observed."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from snippets._validate import as_float_array, as_grad_out, check_axis, propagates_nonfinite
from snippets.activations.softmax import log_softmax, log_softmax_backward
from snippets.probability.cosine_similarity import _sum_to_shape

__all__ = ["posterior", "posterior_backward", "log_posterior", "log_posterior_backward"]


def _pair(a: ArrayLike, b: ArrayLike, a_name: str, b_name: str, axis: int):
    """Two float arrays that broadcast together, their common float dtype and the checked axis."""
    a, b = as_float_array(a, a_name), as_float_array(b, b_name)
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{a_name} and {b_name} must broadcast together, got shapes {a.shape} and {b.shape}") from None
    axis = check_axis(axis, len(shape), shape)
    if len(shape) == 0 or shape[axis] == 0:
        raise ValueError(f"{a_name} and {b_name} must hold at least one hypothesis along axis {axis}, got shape {shape}")
    return a, b, axis


def _weights(prior: ArrayLike, likelihood: ArrayLike, axis: int):
    """Checked inputs, the unnormalised posterior w = prior * likelihood and the evidence sum(w)."""
    prior, likelihood, axis = _pair(prior, likelihood, "prior", "likelihood", axis)
    for name, arr in (("prior", prior), ("likelihood", likelihood)):
        bad = (arr < 0) | np.isinf(arr)
        if np.any(bad):
            raise ValueError(f"{name} must hold finite non-negative numbers, found {arr[bad].ravel()[0]}")
    w = prior * likelihood  # Bayes' numerator p(h) p(x | h), broadcast
    evidence = np.sum(w, axis=axis, keepdims=True)  # p(x) = sum_h p(h) p(x | h)
    if np.any(evidence == 0):
        raise ValueError(
            f"the evidence sum(prior * likelihood) along axis {axis} is 0 for some observation "
            f"(shapes {prior.shape} and {likelihood.shape}): every hypothesis has probability 0, "
            f"or the product underflowed; use log_posterior with log-likelihoods"
        )
    return prior, likelihood, axis, w, evidence


# --8<-- [start:posterior]
@propagates_nonfinite
def posterior(prior: ArrayLike, likelihood: ArrayLike, axis: int = -1) -> np.ndarray:
    """Posterior ``p(h | x) = p(h) p(x | h) / sum_h' p(h') p(x | h')`` over hypotheses along ``axis``.

    Parameters
    ----------
    prior : array_like, shape broadcasting with ``likelihood``, (*, K)
        p(h) for K hypotheses: non-negative weights (divided by their sum implicitly).
    likelihood : array_like, shape (*, K)
        p(x | h), the probability (or density) of the observed x under each hypothesis;
        non-negative, may exceed 1 for densities. A batch (N, K) holds N observations.
    axis : int, default -1
        The axis of the hypotheses.

    Returns
    -------
    ndarray, the broadcast shape
        Posterior probabilities summing to 1 along ``axis``; the float dtype of the inputs.

    Examples
    --------
    >>> posterior([0.99, 0.01], [0.05, 0.9])  # 99 % healthy, a test with 5 % false positives, 90 % sensitivity
    array([0.84615385, 0.15384615])
    >>> posterior([0.5, 0.5], [[0.2, 0.6], [1.0, 1.0]])  # a batch: 1 : 3, and no information
    array([[0.25, 0.75],
           [0.5 , 0.5 ]])
    """
    _, _, _, w, evidence = _weights(prior, likelihood, axis)
    # normalise by the evidence p(x)
    return w / evidence
# --8<-- [end:posterior]


# --8<-- [start:posterior_backward]
@propagates_nonfinite
def posterior_backward(
    grad_out: ArrayLike, prior: ArrayLike, likelihood: ArrayLike, axis: int = -1
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`posterior` with respect to ``prior`` and ``likelihood``.

    With ``w = prior * likelihood``, ``Z = sum(w)`` and ``q = w / Z``: ``dL/dw = (g - sum(g q)) / Z``,
    then ``dL/dprior = dL/dw * likelihood`` and ``dL/dlikelihood = dL/dw * prior``, each summed
    over the axes that broadcasting stretched.

    Parameters
    ----------
    grad_out : array_like, the broadcast shape
        Upstream gradient dL/dposterior.
    prior, likelihood, axis
        As in the forward pass.

    Returns
    -------
    (ndarray, ndarray), the shapes of ``prior`` and ``likelihood``

    Examples
    --------
    >>> d_prior, d_lik = posterior_backward([1.0, 0.0], [0.5, 0.5], [1.0, 1.0])  # q = (1/2, 1/2), Z = 1
    >>> d_prior  # dL/dw = (1 - 1/2, 0 - 1/2) / 1, times the likelihood 1
    array([ 0.5, -0.5])
    """
    prior, likelihood, axis, w, evidence = _weights(prior, likelihood, axis)
    q = w / evidence
    g = as_grad_out(grad_out, q.shape, q.dtype)
    # through the normalisation q = w / Z: the Jacobian (I - q 1^T) / Z
    dw = (g - np.sum(g * q, axis=axis, keepdims=True)) / evidence
    # through the product w = prior * likelihood
    return _sum_to_shape(dw * likelihood, prior.shape), _sum_to_shape(dw * prior, likelihood.shape)
# --8<-- [end:posterior_backward]


# --8<-- [start:log_posterior]
@propagates_nonfinite
def log_posterior(log_prior: ArrayLike, log_likelihood: ArrayLike, axis: int = -1) -> np.ndarray:
    """Bayes' theorem in log space: ``log p(h | x) = s_h - logsumexp(s)`` with ``s = log p(h) + log p(x | h)``.

    The stable form: likelihoods of many observations multiply to numbers far below the smallest
    float, but their logs add. ``-inf`` marks a hypothesis with probability 0.

    Parameters
    ----------
    log_prior : array_like, shape broadcasting with ``log_likelihood``, (*, K)
        log p(h), up to an additive constant.
    log_likelihood : array_like, shape (*, K)
        log p(x | h), up to an additive constant per observation.
    axis : int, default -1
        The axis of the hypotheses.

    Returns
    -------
    ndarray, the broadcast shape
        Log-posterior probabilities (``<= 0``, their exps sum to 1 along ``axis``).

    Examples
    --------
    >>> np.exp(log_posterior(np.log([0.5, 0.5]), [-1000.0, -1000.0 + np.log(3)]))  # 1 : 3, even at e^-1000
    array([0.25, 0.75])
    """
    lp, ll, axis = _pair(log_prior, log_likelihood, "log_prior", "log_likelihood", axis)
    # the unnormalised log-posterior, then normalise with a stable log-softmax
    return log_softmax(lp + ll, axis=axis)
# --8<-- [end:log_posterior]


# --8<-- [start:log_posterior_backward]
@propagates_nonfinite
def log_posterior_backward(
    grad_out: ArrayLike, log_prior: ArrayLike, log_likelihood: ArrayLike, axis: int = -1
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`log_posterior` with respect to ``log_prior`` and ``log_likelihood``.

    Both are the log-softmax backward of ``s = log_prior + log_likelihood``:
    ``g - posterior * sum(g)``, each summed over the axes that broadcasting stretched.

    Parameters
    ----------
    grad_out : array_like, the broadcast shape
        Upstream gradient dL/dlog_posterior.
    log_prior, log_likelihood, axis
        As in the forward pass.

    Returns
    -------
    (ndarray, ndarray), the shapes of ``log_prior`` and ``log_likelihood``

    Examples
    --------
    >>> d_lp, d_ll = log_posterior_backward([1.0, 0.0], [0.0, 0.0], [0.0, 0.0])  # posterior (1/2, 1/2)
    >>> d_ll  # (1 - 1/2, 0 - 1/2)
    array([ 0.5, -0.5])
    """
    lp, ll, axis = _pair(log_prior, log_likelihood, "log_prior", "log_likelihood", axis)
    s = lp + ll
    g = as_grad_out(grad_out, s.shape, s.dtype)
    ds = log_softmax_backward(g, s, axis=axis)  # the same for both summands of s
    return _sum_to_shape(ds, lp.shape), _sum_to_shape(ds, ll.shape)
# --8<-- [end:log_posterior_backward]
