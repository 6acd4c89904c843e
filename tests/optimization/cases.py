"""Gradient-check cases for snippets.optimization (collected by tests/cases.py)."""

from tests.gradcheck import Case

CASES: list[Case] = []

# chain rule: x (N, in), weight (out, in), bias (out,); all three differentiable
CASES += [
    Case("sigmoid_linear", lambda r: (r.normal(size=(4, 3)), r.normal(size=(2, 3)), r.normal(size=2)), wrt=(0, 1, 2)),
]

# exponential moving average: values (T, *) along axis 0; linear in the values. T = 300 spans
# three blocks of the blocked filter (the carry between blocks is differentiated too)
CASES += [
    Case("ema", lambda r: (r.normal(size=(300, 2)),), kwargs={"decay": 0.9}),
    Case("ema", lambda r: (r.normal(size=(7, 2, 3)),), kwargs={"decay": 0.5, "bias_correction": True}, label="corrected"),
]
