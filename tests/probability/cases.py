"""Gradient-check cases for snippets.probability (collected by tests/cases.py)."""

import numpy as np

from tests.gradcheck import Case

CASES: list[Case] = []

CASES += [
    Case("gaussian_mle", lambda r: (r.normal(size=(6, 3)) * 2 + 1,)),
    Case("gaussian_mle", lambda r: (r.normal(size=(2, 5)),), kwargs={"axis": 1}, label="axis1"),
]

CASES += [
    Case("logit", lambda r: (r.uniform(0.05, 0.95, size=(3, 4)),)),
]

CASES += [
    Case("logsumexp", lambda r: (r.normal(size=(3, 4)) * 3,)),
    Case("logsumexp", lambda r: (r.normal(size=(2, 3, 4)),), kwargs={"axis": 1}, label="axis1"),
    Case("logsumexp", lambda r: (r.normal(size=(3, 5)),), kwargs={"axis": -1, "keepdims": True}, label="keepdims"),
]

CASES += [
    Case("cosine_similarity", lambda r: (r.normal(size=(4, 5)), r.normal(size=(4, 5))), wrt=(0, 1)),
    Case(
        "cosine_similarity",
        lambda r: (r.normal(size=(3, 1, 4)), r.normal(size=(2, 4))),
        wrt=(0, 1),
        kwargs={"axis": -1},
        label="broadcast",
    ),
    Case("cosine_similarity", lambda r: (r.normal(size=5), r.normal(size=5)), wrt=(0, 1), kwargs={"axis": 0}, label="vectors"),
    Case("normalize", lambda r: (r.normal(size=(4, 5)),)),
    Case("normalize", lambda r: (r.normal(size=(3, 4, 2)),), kwargs={"p": 3.0, "axis": 0}, label="p3-axis0"),
    Case("normalize", lambda r: (r.normal(size=(3, 4)) + 3,), kwargs={"p": 1.0}, label="p1"),
]

# the noise is fixed (a keyword argument), so the soft sample is a deterministic function of the logits
_GUMBELS = (-np.log(-np.log(np.random.default_rng(11).uniform(size=(3, 5))))).tolist()  # a list: kwargs travel as repr
CASES += [
    Case("gumbel_softmax", lambda r: (r.normal(size=(3, 5)),), kwargs={"gumbels": _GUMBELS}),
    Case(
        "gumbel_softmax",
        lambda r: (r.normal(size=(3, 5)) * 2,),
        kwargs={"gumbels": _GUMBELS, "tau": 0.5, "axis": 0},
        label="tau-axis0",
    ),
]

CASES += [
    Case("mutual_information", lambda r: (r.random((3, 4)) * 4 + 1,)),  # >= 1: no empty cell after rint
    Case("mutual_information", lambda r: (r.random((2, 3, 2)) * 5 + 1,), label="batch"),
]

CASES += [
    Case("posterior", lambda r: (r.random(4) + 0.2, r.random((3, 4)) + 0.2), wrt=(0, 1)),  # a shared prior
    Case("posterior", lambda r: (r.random((4, 2)) + 0.2, r.random((4, 2)) * 3 + 0.2), wrt=(0, 1), kwargs={"axis": 0}, label="axis0"),
    Case("log_posterior", lambda r: (r.normal(size=(3, 4)), r.normal(size=(3, 4)) * 3), wrt=(0, 1)),
    Case("log_posterior", lambda r: (r.normal(size=(1, 5)), r.normal(size=(2, 5))), wrt=(0, 1), label="broadcast"),
]

CASES += [
    Case("softmax_with_temperature", lambda r: (r.normal(size=(3, 5)) * 2,), kwargs={"temperature": 0.5}),
    Case("softmax_with_temperature", lambda r: (r.normal(size=(4, 3)),), kwargs={"temperature": 3.0, "axis": 0}, label="axis0"),
]
