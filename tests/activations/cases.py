"""Gradient-check cases for snippets.activations (collected by tests/cases.py)."""

from tests.gradcheck import Case

CASES = [
    Case("sigmoid", lambda r: (r.normal(size=(3, 4)) * 3,)),
    Case("softmax", lambda r: (r.normal(size=(3, 5)) * 2,)),
    Case("softmax", lambda r: (r.normal(size=(4, 3)),), kwargs={"axis": 0}, label="axis0"),
    Case("log_softmax", lambda r: (r.normal(size=(3, 5)) * 2,)),
    Case("log_softmax", lambda r: (r.normal(size=(2, 3, 4)),), kwargs={"axis": 1}, label="axis1"),]


def _relu_away_from_kink(r, shape):
    """Values with 0.1 <= |x| <= 3: a central difference of step 1e-6 never straddles relu's kink at 0."""
    return r.choice([-1.0, 1.0], size=shape) * r.uniform(0.1, 3.0, size=shape)


CASES += [
    Case("relu", lambda r: (_relu_away_from_kink(r, (3, 4)),)),
    Case("tanh", lambda r: (r.normal(size=(3, 4)) * 3,)),
]

CASES += [
    Case("leaky_relu", lambda r: (_relu_away_from_kink(r, (3, 4)),)),
    Case("leaky_relu", lambda r: (_relu_away_from_kink(r, (5,)),), kwargs={"negative_slope": 0.2}, label="slope0.2"),
]

CASES += [
    Case("gelu", lambda r: (r.normal(size=(3, 4)) * 3,)),
    Case("gelu", lambda r: (r.normal(size=(5,)) * 3,), kwargs={"approximate": "tanh"}, label="tanh"),
]

CASES += [
    Case("silu", lambda r: (r.normal(size=(3, 4)) * 3,)),
]
