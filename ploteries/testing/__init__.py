"""Test helpers for code that logs through ``SummaryWriter`` (also available as pytest fixtures).

>>> from ploteries.testing import assert_parity               # doctest: +SKIP
>>> assert_parity("tb_runs", "ploteries_runs")                 # doctest: +SKIP
"""

from ploteries.testing.parity import ParityError, Tolerances, assert_parity, assert_traces_equal
from ploteries.testing.readback import Trace, read_ploteries, read_tensorboard

__all__ = [
    "ParityError",
    "Tolerances",
    "Trace",
    "assert_parity",
    "assert_traces_equal",
    "read_ploteries",
    "read_tensorboard",
]
