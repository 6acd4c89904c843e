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
