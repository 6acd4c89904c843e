"""Gradient-check cases for snippets.losses (collected by tests/cases.py)."""

import numpy as np

from tests.gradcheck import Case, probability_rows

CASES = [
    Case("cross_entropy", lambda r: (r.normal(size=(4, 5)) * 2, r.integers(0, 5, size=4)), label="indices"),
    Case("cross_entropy", lambda r: (r.normal(size=(4, 5)) * 2, probability_rows(r, (4, 5))), label="probs"),
    Case("binary_cross_entropy", lambda r: (r.uniform(0.05, 0.95, size=(2, 3)), r.random((2, 3)))),
    Case("binary_cross_entropy_with_logits", lambda r: (r.normal(size=(2, 3)) * 3, r.random((2, 3)))),
]


def _pred_and_target(r, shape):
    """(pred, target) whose residuals satisfy 0.1 <= |pred - target| <= 3: away from l1's kink at 0,
    and on both sides of Huber's deltas (0.5 and 1), where the loss is C^1 so the check still holds."""
    target = r.normal(size=shape)
    return target + r.choice([-1.0, 1.0], size=shape) * r.uniform(0.1, 3.0, size=shape), target


CASES += [
    Case("mse_loss", lambda r: (r.normal(size=(2, 3)) * 2, r.normal(size=(2, 3)))),
    Case("l1_loss", lambda r: _pred_and_target(r, (2, 3))),
    Case("huber_loss", lambda r: _pred_and_target(r, (3, 4))),
    Case("huber_loss", lambda r: _pred_and_target(r, (5,)), kwargs={"delta": 0.5}, label="delta0.5"),
]

CASES += [
    Case("cross_entropy", lambda r: (r.normal(size=(4, 5)) * 2, r.integers(0, 5, size=4)),
         kwargs={"label_smoothing": 0.2}, label="indices-smoothed"),
    Case("cross_entropy", lambda r: (r.normal(size=(4, 5)) * 2, probability_rows(r, (4, 5))),
         kwargs={"label_smoothing": 0.2}, label="probs-smoothed"),
]

CASES += [
    # any real numbers will do: nll_loss does not require its input to be log-probabilities
    Case("nll_loss", lambda r: (r.normal(size=(4, 5)) - 2.0, r.integers(0, 5, size=4))),
]

CASES += [
    Case("kl_divergence", lambda r: (probability_rows(r, (3, 4)), probability_rows(r, (3, 4))), wrt=(0, 1)),
    Case("kl_divergence", lambda r: (probability_rows(r, (5, 2)).T, probability_rows(r, (5, 2)).T),
         wrt=(0, 1), kwargs={"axis": 0}, label="axis0"),
]


def _away_from_kinks(r, n, c, margin=1.0):
    """(scores, classes) whose margin violations z = margin - x[y] + x[i] satisfy 0.1 <= |z| <= 2:
    each wrong score is placed at x[y] - margin + z, on either side of the kink at z = 0."""
    t = r.integers(0, c, size=n)
    true_score = r.normal(size=(n, 1))
    z = r.choice([-1.0, 1.0], size=(n, c)) * r.uniform(0.1, 2.0, size=(n, c))
    x = true_score - margin + z
    x[np.arange(n), t] = true_score[:, 0]
    return x, t


def _signed_scores(r, n):
    """(scores, labels +-1) whose margins y * s stay 0.1 or more away from the kink at 1."""
    y = r.choice([-1, 1], size=n)
    m = 1 + r.choice([-1.0, 1.0], size=n) * r.uniform(0.1, 2.0, size=n)
    return y * m, y


CASES += [
    Case("hinge_loss", lambda r: _signed_scores(r, 6)),
    Case("hinge_loss", lambda r: _signed_scores(r, 5), kwargs={"reduction": "none"}, label="none"),
    Case("multi_margin_loss", lambda r: _away_from_kinks(r, 4, 5)),
    Case("multi_margin_loss", lambda r: _away_from_kinks(r, 4, 5), kwargs={"p": 2, "reduction": "none"}, label="p2"),
    Case("multi_margin_loss", lambda r: _away_from_kinks(r, 3, 4, 0.5),
         kwargs={"margin": 0.5, "weight": [1.0, 2.0, 0.5, 3.0], "reduction": "sum"}, label="weighted"),
]


def _triplets(r, n, d):
    """(anchor, positive, negative) away from every kink, in any p-norm with p >= 1: each offset
    component has magnitude 0.05-0.1 (positives; negatives of active triplets, so the hinge
    argument is about 1 > 0) or 2-3 (negatives of inactive ones, argument below 0.3 - 2 + 1)."""
    def offsets(low, high):
        return r.choice([-1.0, 1.0], size=(n, d)) * r.uniform(low, high, size=(n, d))

    a = r.normal(size=(n, d))
    far = (np.arange(n) % 2 == 1)[:, None]
    return a, a + offsets(0.05, 0.1), a + np.where(far, offsets(2.0, 3.0), offsets(0.05, 0.1))


CASES += [
    Case("triplet_margin_loss", lambda r: _triplets(r, 4, 3), wrt=(0, 1, 2)),
    Case("triplet_margin_loss", lambda r: _triplets(r, 4, 3), wrt=(0, 1, 2),
         kwargs={"p": 1.5, "swap": True, "reduction": "none"}, label="p1.5-swap"),
]


def _pairs_with_cosines(r, n, d, margin=0.0):
    """(x1, x2, y) whose cosines lie 0.1 to 0.7 away from ``margin`` on either side (away from
    the dissimilar pairs' kink at cos = margin) and inside (-0.95, 0.95)."""
    x1 = r.normal(size=(n, d))
    u = x1 / np.linalg.norm(x1, axis=1, keepdims=True)
    w = r.normal(size=(n, d))
    w -= np.sum(w * u, axis=1, keepdims=True) * u  # orthogonal to x1
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    cos = np.clip(margin + r.choice([-1.0, 1.0], size=n) * r.uniform(0.1, 0.7, size=n), -0.95, 0.95)
    x2 = r.uniform(0.5, 2.0, size=(n, 1)) * (cos[:, None] * u + np.sqrt(1 - cos**2)[:, None] * w)
    return x1, x2, r.choice([-1, 1], size=n)


CASES += [
    Case("cosine_embedding_loss", lambda r: _pairs_with_cosines(r, 6, 3), wrt=(0, 1)),
    Case("cosine_embedding_loss", lambda r: _pairs_with_cosines(r, 5, 4, 0.3), wrt=(0, 1),
         kwargs={"margin": 0.3, "reduction": "none"}, label="margin0.3"),
]


def _ctc_problem(r):
    """Log-probabilities (T, N, C) = (6, 3, 4) (any reals: the loss is smooth in each of them),
    padded targets with a repeated label, and lengths that cut two sequences short."""
    log_probs = r.normal(size=(6, 3, 4)) - 1.5
    targets = np.array([[1, 2, 2], [3, 1, 0], [2, 0, 0]])
    return log_probs, targets, np.array([6, 5, 4]), np.array([3, 2, 1])


CASES += [
    Case("ctc_loss", _ctc_problem),
    Case("ctc_loss", _ctc_problem, kwargs={"reduction": "none"}, label="none"),
    Case("ctc_loss", lambda r: (*_ctc_problem(r)[:2], np.array([6, 6, 6]), np.array([3, 2, 0])),
         kwargs={"blank": 0, "reduction": "sum"}, label="sum-empty-target"),
]

CASES += [
    Case("sigmoid_focal_loss", lambda r: (r.normal(size=(3, 4)) * 3, r.choice([0.0, 1.0], size=(3, 4)))),
    Case("sigmoid_focal_loss", lambda r: (r.normal(size=(2, 5)) * 3, r.random((2, 5))),
         kwargs={"alpha": -1.0, "gamma": 0.5, "reduction": "mean"}, label="soft-gamma0.5-mean"),
    Case("sigmoid_focal_loss", lambda r: (r.normal(size=6) * 2, r.choice([0.0, 1.0], size=6)),
         kwargs={"gamma": 0.0, "reduction": "sum"}, label="gamma0-sum"),
]


def _contrastive_pairs(r, n, d, margin=1.0):
    """(x1, x2, y) whose distances stay 0.2 or more from the margin (the dissimilar branch's kink)."""
    x1 = r.normal(size=(n, d))
    direction = r.normal(size=(n, d))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    dist = np.clip(margin + r.choice([-1.0, 1.0], size=n) * r.uniform(0.2, 0.8, size=n), 0.1, None)
    return x1, x1 + dist[:, None] * direction, r.integers(0, 2, size=n)


CASES += [
    Case("contrastive_loss", lambda r: _contrastive_pairs(r, 6, 3), wrt=(0, 1)),
    Case("contrastive_loss", lambda r: _contrastive_pairs(r, 5, 2, 2.0), wrt=(0, 1),
         kwargs={"margin": 2.0, "reduction": "none"}, label="margin2-none"),
]

CASES += [
    Case("info_nce", lambda r: (r.normal(size=(4, 3)), r.normal(size=(4, 3))), wrt=(0, 1), kwargs={"temperature": 0.5}),
    Case("info_nce", lambda r: (r.normal(size=(3, 4)), r.normal(size=(3, 4)), r.normal(size=(5, 4))), wrt=(0, 1, 2),
         kwargs={"temperature": 0.7}, label="shared-negatives"),
    Case("info_nce", lambda r: (r.normal(size=(3, 2)), r.normal(size=(3, 2)), r.normal(size=(3, 4, 2))), wrt=(0, 1, 2),
         label="per-query-negatives"),
    Case("clip_loss", lambda r: (r.normal(size=(4, 3)), r.normal(size=(4, 3))), wrt=(0, 1), kwargs={"temperature": 0.5}),
]
