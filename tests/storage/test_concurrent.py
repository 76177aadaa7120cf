"""Several processes write runs into one database while a reader polls: all rows, consistent prefixes."""

import time

import numpy as np
import pytest

import ploteries
from ploteries.storage import NotADatabaseError

from .test_crash import assert_prefix_of_truth, start_writer

N = 6000


@pytest.mark.slow
def test_three_writers_and_a_polling_reader(tmp_path):
    path = tmp_path / "shared.h5"
    procs = [
        start_writer(path, f"run{i}", N, flush_secs, gate=N // 2)
        for i, flush_secs in enumerate([0.001, 0.01, 0.1])
    ]
    gates = [tmp_path / f"shared.h5.run{i}.at-gate" for i in range(3)]
    polls = partial = 0
    seen = {f"run{i}": 0 for i in range(3)}
    released = False
    while any(p.poll() is None for p in procs):
        try:
            db = ploteries.open(path)
        except (FileNotFoundError, NotADatabaseError):
            time.sleep(0.005)  # the first writer is still creating the file
            continue
        for run in db.runs():
            loss = db.read(run, "loss")
            # a consistent prefix: steps 0..k-1 with their values, never shrinking, never zero-filled
            np.testing.assert_array_equal(loss["step"], np.arange(len(loss)))
            np.testing.assert_array_equal(loss["value"], np.arange(len(loss), dtype=float))
            assert len(loss) >= seen[run]
            seen[run] = len(loss)
            partial += 0 < len(loss) < N
        polls += 1
        # every writer holds at its gate, half its rows committed, until the reader has polled them there
        if not released and all(g.exists() for g in gates) and polls > 3 and partial:
            for p in procs:
                p.stdin.write("go\n")
                p.stdin.flush()
            released = True
    for p in procs:
        out, err = p.communicate()
        assert p.returncode == 0, err
        assert out.split()[-1] == "closed"
    assert polls > 3 and partial > 0, "the reader must have polled while rows were still being written"
    db = ploteries.open(path)
    assert db.runs() == ["run0", "run1", "run2"]
    for run in db.runs():
        assert_prefix_of_truth(db, run, N - 1)
        assert len(db.read(run, "loss")) == N
    assert not (tmp_path / "shared.h5-journal").exists()
