"""The pytest plugin, run as a user would: a test file using the fixtures, in a pytester session."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]
pytest.importorskip("torch")
pytest.importorskip("tensorboard")

USER_TESTS = '''
import numpy as np


def log_epoch(writer, epoch):
    """The user's logging code, written against torch's SummaryWriter API."""
    writer.add_scalar("loss/train", 1.0 / (epoch + 1), epoch)
    writer.add_scalars("loss", {"train": 0.5, "val": 0.6}, epoch)
    writer.add_histogram("weights", np.linspace(-1, 1, 100) * epoch, epoch)
    writer.add_image("sample", np.full((3, 4, 4), epoch / 10), epoch)
    writer.add_text("notes", f"epoch {epoch}", epoch)


def test_user_logging_agrees(ploteries_dual_writer):
    for epoch in range(3):
        log_epoch(ploteries_dual_writer, epoch)
    ploteries_dual_writer.assert_parity()


def test_code_that_builds_its_own_writer(ploteries_dual, monkeypatch):
    import types
    app = types.SimpleNamespace(SummaryWriter=None)
    monkeypatch.setattr(app, "SummaryWriter", ploteries_dual.SummaryWriter)
    w = app.SummaryWriter("runs/exp7")
    log_epoch(w, 0)
    ploteries_dual.assert_parity()
    assert (ploteries_dual.ploteries_dir / "exp7" / "ploteries.h5").exists()


def test_a_difference_is_reported(ploteries_dual_writer):
    ploteries_dual_writer.add_scalar("a", 1.0, 0)
    ploteries_dual_writer.torch.add_scalar("a", 2.0, 1)
    ploteries_dual_writer.assert_parity()
'''


def test_fixtures_in_a_user_test_file(pytester):
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        ["*ParityError: run 'run', tag 'a': steps [[]0, 1[]] (TensorBoard) != [[]0[]] (ploteries)*"]
    )


def test_tolerances_fixture_can_be_overridden(pytester):
    pytester.makepyfile(
        test_tol="""
import pytest
from ploteries.testing import Tolerances

@pytest.fixture
def ploteries_tolerances():
    return Tolerances(wall_time_atol=10.0)

def test_loose_wall_times(ploteries_dual_writer):
    ploteries_dual_writer.torch.add_scalar("a", 1.0, 0, walltime=100.0)
    ploteries_dual_writer.ploteries.add_scalar("a", 1.0, 0, walltime=105.0)
    ploteries_dual_writer.assert_parity()
"""
    )
    pytester.runpytest("-q", "-p", "no:cacheprovider").assert_outcomes(passed=1)
