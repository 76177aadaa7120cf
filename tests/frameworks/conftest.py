"""Fixtures for the framework tests: each runs a real library (tiny, CPU) with ploteries.patch() active.

The libraries are in the `test` extra and imported plainly: a missing one fails the run, never skips.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import ploteries


@pytest.fixture
def patched():
    """ploteries.patch() for the test, undone afterwards."""
    ploteries.patch()
    try:
        yield
    finally:
        ploteries.unpatch()


def event_files(root: Path) -> list[str]:
    """Every TensorBoard event file below ``root`` (there must be none while patched)."""
    return sorted(os.path.join(d, f) for d, _, files in os.walk(root) for f in files if "tfevents" in f)


def only_database(root: Path) -> Path:
    """The one ploteries database below ``root``."""
    (found,) = ploteries.find_databases(root)
    return Path(found)


def hparams_record(db, run: str) -> dict:
    """The last ``_hparams_`` record of ``run`` as a dict."""
    from ploteries.storage import array_to_json

    records = db.read(run, "_hparams_")
    return array_to_json(np.asarray(records.values[-1]))
