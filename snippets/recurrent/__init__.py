"""Recurrent networks: cells that carry a state through a sequence."""

from snippets.recurrent.gru import gru_cell, gru_cell_backward
from snippets.recurrent.lstm import lstm, lstm_cell, lstm_cell_backward

__all__: list[str] = [
    "lstm_cell",
    "lstm_cell_backward",
    "lstm",
    "gru_cell",
    "gru_cell_backward",
]

from snippets.recurrent.recurrent_neural_network import rnn, rnn_cell, rnn_cell_backward  # noqa: E402

__all__ += ["rnn_cell", "rnn_cell_backward", "rnn"]

from snippets.recurrent.backpropagation_through_time import rnn_backward  # noqa: E402

__all__ += ["rnn_backward"]

from snippets.recurrent.bidirectional_rnn import bidirectional_rnn, bidirectional_rnn_backward  # noqa: E402

__all__ += ["bidirectional_rnn", "bidirectional_rnn_backward"]
