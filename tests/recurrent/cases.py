"""Gradient-check cases for snippets.recurrent (collected by tests/cases.py).

Small on purpose (N = 2, I = 3, H = 2): the checker evaluates the cell twice per input element.
Weights of scale 0.8 keep the gates away from saturation, where finite differences see nothing.
"""

from tests.gradcheck import Case


def _cell(r, gates: int, states: int, n: int = 2, i: int = 3, h: int = 2) -> tuple:
    """x (N, I), ``states`` arrays (N, H), then w_ih, w_hh, b_ih, b_hh for ``gates`` gates."""
    shapes = [(n, i), *[(n, h)] * states, (gates * h, i), (gates * h, h), (gates * h,), (gates * h,)]
    return tuple(r.normal(size=s) * 0.8 for s in shapes)


CASES = [
    Case("lstm_cell", lambda r: _cell(r, gates=4, states=2), wrt=tuple(range(7))),
    Case("gru_cell", lambda r: _cell(r, gates=3, states=1), wrt=tuple(range(6))),
]

# rnn_cell: one "gate" (the tanh layer), one state
CASES += [Case("rnn_cell", lambda r: _cell(r, gates=1, states=1), wrt=tuple(range(6)))]

# rnn_backward takes one upstream gradient (for the outputs) while rnn returns (outputs, h_T): the
# generic checker would pass two, so BPTT is checked against finite differences in its own test
CHECKED_ELSEWHERE = {
    "rnn": "tests/recurrent/test_backpropagation_through_time.py::test_backward_matches_finite_differences",
}

# bidirectional_rnn returns (outputs, h_n) and its backward takes one upstream gradient for each:
# T = 3 steps, N = 2, I = 2, H = 2; x_seq, h0 (2, N, H) and the two directions' weights
CASES += [
    Case(
        "bidirectional_rnn",
        lambda r: tuple(r.normal(size=s) * 0.8 for s in [(3, 2, 2), (2, 2, 2)] + [(2, 2), (2, 2), (2,), (2,)] * 2),
        wrt=tuple(range(10)),
    )
]
