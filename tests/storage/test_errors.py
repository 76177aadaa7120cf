"""Bad input: a clear error naming the argument or file and the fix, raised at the call, nothing lost."""

import errno
import os
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

import ploteries
from ploteries.storage import DatabaseWriter, NotADatabaseError, WriterClosedError
from ploteries.storage import journal as journal_module
from ploteries.storage.hdf5.backend import HDF5Backend


@pytest.fixture
def writer(db_path):
    w = DatabaseWriter(db_path)
    w.append_scalar("r", "loss", 1.0, step=0)
    yield w
    w.close()


def assert_first_record_kept(db_path):
    got = ploteries.open(db_path).read("r", "loss")
    assert got["step"].tolist()[:1] == [0] and got["value"].tolist()[:1] == [1.0]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"value": np.array([object()])}, TypeError, "value has dtype .*object.*Convert it first"),
        ({"value": [[1, 2], [3]]}, ValueError, "value is a ragged nested sequence"),
        ({"value": 1.0, "step": float("nan")}, ValueError, "step must be an integer, got nan"),
        ({"value": 1.0, "step": 1.5}, ValueError, "step must be an integer, got 1.5"),
        ({"value": 1.0, "step": "3"}, TypeError, "step must be an integer, got str"),
        ({"value": 1.0, "wall_time": float("inf")}, ValueError, "walltime must be a finite number"),
        ({"value": 1.0, "wall_time": "noon"}, TypeError, "walltime must be seconds since the epoch"),
        ({"value": 1.0, "tag": ""}, ValueError, "tag must be a non-empty string"),
        ({"value": 1.0, "tag": 3}, TypeError, "tag must be a str, got int 3"),
        ({"value": 1.0, "run": None}, TypeError, "run must be a str, got NoneType"),
        ({"value": 1.0, "meta": {"f": object()}}, TypeError, "not JSON serializable"),
    ],
)
def test_bad_append_raises_clearly_and_keeps_earlier_records(writer, db_path, kwargs, error, match):
    call = {"run": "r", "tag": "new", "step": 1, **kwargs}
    with pytest.raises(error, match=match):
        writer.append(call.pop("run"), call.pop("tag"), call.pop("value"), **call)
    writer.append_scalar("r", "loss", 2.0, step=1)  # the writer keeps working
    writer.flush()
    got = ploteries.open(db_path).read("r", "loss")
    assert got["value"].tolist() == [1.0, 2.0]


def test_bad_scalar_value(writer):
    with pytest.raises(TypeError, match="value must be a real number, got str 'x'"):
        writer.append_scalar("r", "loss", "x", step=1)


def test_append_many_checks_lengths(writer):
    with pytest.raises(ValueError, match=r"steps must have shape \(3,\) to match the values"):
        writer.append_many("r", "m", np.zeros(3), steps=[1, 2])
    with pytest.raises(ValueError, match="steps must hold integers; found a NaN"):
        writer.append_many("r", "m", np.zeros(2), steps=[1, np.nan])


def test_closed_writer_refuses_with_a_clear_error(db_path):
    w = DatabaseWriter(db_path)
    w.append_scalar("r", "loss", 1.0, step=0)
    w.close()
    with pytest.raises(WriterClosedError, match="is closed; create a new DatabaseWriter"):
        w.append_scalar("r", "loss", 2.0, step=1)
    with pytest.raises(ValueError, match="is closed"):
        w.append("r", "x", np.zeros(2), step=1)
    w.close()  # idempotent
    assert_first_record_kept(db_path)


def test_read_only_database_refuses_writers(db_path):
    DatabaseWriter(db_path).close()
    os.chmod(db_path, 0o444)
    try:
        with pytest.raises(PermissionError, match="is read-only; open it with ploteries.open"):
            DatabaseWriter(db_path)
        assert ploteries.open(db_path).runs() == []  # reading still works
    finally:
        os.chmod(db_path, 0o644)


def test_journal_write_failure_is_raised_at_the_call_and_loses_nothing(writer, db_path, monkeypatch):
    def disk_full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(journal_module.os, "write", disk_full)
    with pytest.raises(OSError, match="could not append to the ploteries journal .*Free disk space"):
        writer.append_scalar("r", "loss", 99.0, step=1)
    monkeypatch.undo()
    writer.append_scalar("r", "loss", 2.0, step=2)
    writer.close()
    got = ploteries.open(db_path).read("r", "loss")
    assert got["step"].tolist() == [0, 2]  # the failed record was refused, the others are intact


def test_partial_journal_write_is_rolled_back(writer, db_path, monkeypatch):
    real_write = os.write

    def short_write(fd, data):
        return real_write(fd, data[: len(data) // 2])

    monkeypatch.setattr(journal_module.os, "write", short_write)
    with pytest.raises(OSError, match="short write"):
        writer.append("r", "x", np.arange(100.0), step=1)
    monkeypatch.undo()
    writer.append("r", "x", np.arange(3.0), step=2)
    writer.close()
    assert ploteries.open(db_path).read("r", "x")["step"].tolist() == [2]


def test_database_write_failure_surfaces_on_flush_and_is_retried(writer, db_path, monkeypatch):
    real_commit = HDF5Backend.commit
    calls = []

    def failing_once(self, batch):
        calls.append(batch.last_seq)
        if len(calls) == 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_commit(self, batch)

    writer.flush()
    monkeypatch.setattr(HDF5Backend, "commit", failing_once)
    writer.append_scalar("r", "loss", 2.0, step=1)
    with pytest.raises(OSError, match="could not write to ploteries database .*safe in the journal"):
        writer.flush()
    writer.append_scalar("r", "loss", 3.0, step=2)
    writer.flush()  # the retry commits both the failed batch and the new one
    assert ploteries.open(db_path).read("r", "loss")["value"].tolist() == [1.0, 2.0, 3.0]


QUOTA_WRITER = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
from ploteries.storage import DatabaseWriter
import numpy as np
w = DatabaseWriter(sys.argv[1], flush_secs=0.01)
resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))
step = 0
try:
    while True:
        w.append("r", "x", np.full(1000, step, np.float64), step=step)
        print(step, flush=True)
        step += 1
except OSError as exc:
    print("ERROR", exc, flush=True)
"""


def test_tiny_quota_gives_a_clear_oserror_and_keeps_what_was_acknowledged(db_path):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    out = subprocess.run(
        [sys.executable, "-c", QUOTA_WRITER, str(db_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    ).stdout.splitlines()
    error = [line for line in out if line.startswith("ERROR")]
    assert error and ("Free disk space" in error[0] or "free disk space" in error[0]), out[-3:]
    acknowledged = max(int(line) for line in out if line.isdigit())
    got = ploteries.open(db_path).read("r", "x")  # recovery, without the quota, replays the journal
    assert got["step"].tolist() == list(range(acknowledged + 1))
    assert (got["value"][:, 0] == np.arange(acknowledged + 1)).all()


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"hello, not hdf5", "is not a ploteries database: it is not an HDF5 file"),
        (b"", "is not a ploteries database: the file is empty"),
    ],
)
def test_non_hdf5_files_are_named_in_the_error(tmp_path, content, match):
    path = tmp_path / "bad.h5"
    path.write_bytes(content)
    with pytest.raises(NotADatabaseError, match=match):
        ploteries.open(path)


def test_foreign_hdf5_file_is_refused_by_readers_and_writers(tmp_path):
    path = tmp_path / "foreign.h5"
    with h5py.File(path, "w") as f:
        f["data"] = np.arange(3)
    with pytest.raises(
        NotADatabaseError, match="foreign.h5 is not a ploteries database: .*foreign HDF5 file"
    ):
        ploteries.open(path)
    with pytest.raises(NotADatabaseError, match="foreign HDF5 file"):
        DatabaseWriter(path)
    with h5py.File(path, "r") as f:  # and it was left untouched
        assert f["data"][()].tolist() == [0, 1, 2]


def test_missing_database(tmp_path):
    with pytest.raises(FileNotFoundError, match="no ploteries database at .*find_databases"):
        ploteries.open(tmp_path / "nope.h5")


def test_writer_path_errors(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory; pass a file path"):
        DatabaseWriter(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist; create it first"):
        DatabaseWriter(tmp_path / "missing" / "db.h5")


def test_background_error_is_raised_on_the_next_call_and_records_survive(writer, db_path, monkeypatch):
    real_commit = HDF5Backend.commit
    failures = []

    def failing(self, batch):
        if not failures:
            failures.append(1)
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_commit(self, batch)

    writer.flush()
    monkeypatch.setattr(HDF5Backend, "commit", failing)
    writer.append_scalar("r", "loss", 2.0, step=1)
    writer._wake.set()
    deadline = time.monotonic() + 10
    while not failures and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    with pytest.raises(OSError, match="could not write to ploteries database"):
        writer.append_scalar("r", "loss", 3.0, step=2)  # the call that meets the error is not recorded
    writer.append_scalar("r", "loss", 4.0, step=3)
    writer.close()
    assert ploteries.open(db_path).read("r", "loss")["value"].tolist() == [1.0, 2.0, 4.0]


def test_bounded_queue_applies_back_pressure(db_path, monkeypatch):
    real_commit = HDF5Backend.commit
    sizes = []

    def slow_commit(self, batch):
        sizes.append(batch.rows)
        time.sleep(0.05)
        return real_commit(self, batch)

    monkeypatch.setattr(HDF5Backend, "commit", slow_commit)
    with DatabaseWriter(db_path, flush_secs=60, max_pending_rows=100) as w:
        for step in range(1000):
            w.append_scalar("r", "loss", float(step), step=step)
            assert w._pending_rows <= 100
    assert max(sizes) <= 100
    assert len(ploteries.open(db_path).read("r", "loss")) == 1000
