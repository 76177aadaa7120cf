"""``ploteries export``: formula cells neutralised, a directory named as such, a closed pipe is no error."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

from ploteries.cli import main
from tests.viz.helpers import write_scalars


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(tmp_path, capsys):
    db = write_scalars(tmp_path / "db.h5", {"=cmd|' /C calc'!A0": {"@sum": [1.0]}, "+x": {"-y": [-2.0]}})
    assert main(["export", str(db), "-"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert sorted(rows[1:]) == [
        ["'+x", "'-y", "0", "1700000000.0", "-2.0"],  # the value stays a number
        ["'=cmd|' /C calc'!A0", "'@sum", "0", "1700000000.0", "1.0"],
    ]


def test_a_closed_pipe_ends_the_export_quietly(tmp_path):
    db = write_scalars(tmp_path / "db.h5", {"r": {"loss": list(range(50_000))}})
    export = subprocess.Popen(
        [sys.executable, "-m", "ploteries.cli", "export", str(db), "-"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert export.stdout.readline() == b"run,tag,step,wall_time,value\r\n"
    export.stdout.close()  # as `| head -1` does
    _, err = export.communicate(timeout=120)
    assert err == b"" and export.returncode == 1
