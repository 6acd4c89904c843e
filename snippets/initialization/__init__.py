"""Initialization: how weights are drawn before training starts."""

from snippets.initialization.he_initialization import kaiming_normal, kaiming_uniform
from snippets.initialization.xavier_initialization import (
    calculate_gain,
    fan_in_and_fan_out,
    xavier_normal,
    xavier_uniform,
)

__all__ = [
    "fan_in_and_fan_out",
    "calculate_gain",
    "xavier_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_normal",
]
