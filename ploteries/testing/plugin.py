"""pytest plugin of ploteries (registered through the ``pytest11`` entry point).

Fixtures
--------
ploteries_dual
    A :class:`~ploteries.testing.dual.DualSession` under ``tmp_path``: ``.writer(log_dir)`` gives a dual
    writer, ``.SummaryWriter`` stands in for the class in code under test, ``.assert_parity()`` compares.
ploteries_dual_writer
    ``ploteries_dual.writer("run")``: one writer that logs through torch's ``SummaryWriter`` and ploteries'.
    Call ``ploteries_dual_writer.assert_parity()`` (or ``ploteries_dual.assert_parity()``) at the end.
ploteries_tolerances
    The default :class:`~ploteries.testing.parity.Tolerances`; override the fixture to loosen them.
"""

from __future__ import annotations

import pytest

from ploteries.testing.parity import Tolerances


@pytest.fixture
def ploteries_tolerances() -> Tolerances:
    """Tolerances used by ``assert_parity()`` of the dual fixtures (override to change them)."""
    return Tolerances()


@pytest.fixture
def ploteries_dual(tmp_path, ploteries_tolerances):
    """Dual writers (torch's and ploteries') under ``tmp_path``; closed at teardown."""
    pytest.importorskip("torch.utils.tensorboard", reason="the dual writer needs torch and tensorboard")
    from ploteries.testing.dual import DualSession

    session = DualSession(tmp_path / "ploteries-dual")
    session.tolerances = ploteries_tolerances
    yield session
    session.close()


@pytest.fixture
def ploteries_dual_writer(ploteries_dual):
    """One dual writer for run ``run``; ``.assert_parity()`` closes it and compares the read-backs."""
    writer = ploteries_dual.writer("run")
    writer.assert_parity = ploteries_dual.assert_parity
    return writer
