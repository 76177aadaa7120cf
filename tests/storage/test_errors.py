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
from ploteries.storage import writer as writer_module
from ploteries.storage.errors import RecordsDroppedError
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


def test_journal_segment_failure_is_raised_at_the_call_and_loses_nothing(writer, db_path, monkeypatch):
    def disk_full(fd, offset, size):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(journal_module.os, "posix_fallocate", disk_full)
    big = np.arange(300_000.0)  # 2.4 MB: more than the current segment holds, so a new one is needed
    with pytest.raises(OSError, match="could not create the ploteries journal segment .*Free disk space"):
        writer.append("r", "x", big, step=1)
    writer.append_scalar("r", "loss", 2.0, step=2)  # the current segment still takes small records
    monkeypatch.undo()
    writer.append("r", "x", big, step=3)
    assert sorted(p.name.split(".")[1] for p in (db_path.parent / "test.h5-journal").glob("*.jnl")) == [
        "000000",
        "000001",
    ], "the segment that could not be made was removed"
    writer.close()
    db = ploteries.open(db_path)
    assert db.read("r", "loss")["step"].tolist() == [0, 2]
    assert db.read("r", "x")["step"].tolist() == [3]  # the refused record is not there, the others are
    assert (db.read("r", "x")["value"][0] == big).all()


def test_database_write_failure_surfaces_on_flush_and_is_retried(writer, db_path, monkeypatch):
    real_commit = HDF5Backend.commit
    calls = []

    def failing_once(self, batch, **kw):
        calls.append(batch.last_seq)
        if len(calls) == 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_commit(self, batch, **kw)

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
    assert error and any(fix in error[0] for fix in ("ree disk space", "ulimit -f")), out[-3:]
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

    def failing(self, batch, **kw):
        if not failures:
            failures.append(1)
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_commit(self, batch, **kw)

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

    def slow_commit(self, batch, **kw):
        sizes.append(batch.rows)
        time.sleep(0.05)
        return real_commit(self, batch, **kw)

    monkeypatch.setattr(HDF5Backend, "commit", slow_commit)
    with DatabaseWriter(db_path, flush_secs=60, max_pending_rows=100) as w:
        for step in range(1000):
            w.append_scalar("r", "loss", float(step), step=step)
            assert w._pending_rows <= 100
    assert max(sizes) <= 100
    assert len(ploteries.open(db_path).read("r", "loss")) == 1000


@pytest.fixture
def small_disk(tmp_path):
    """A 48 MB tmpfs of its own (needs root); skipped where it cannot be mounted."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def test_after_a_full_disk_is_freed_the_writer_resumes_by_itself_and_loses_nothing(small_disk):
    db_path = small_disk / "db.h5"
    writer = DatabaseWriter(db_path, flush_secs=0.05)
    writer.append_scalar("r", "loss", 1.0, step=0)
    writer.flush()
    filler = small_disk / "filler"
    # leave room for the journal of 8 MB of values, not for the database to take them too
    filler.write_bytes(bytes(free_bytes(small_disk) - 10 * 2**20))
    values = np.arange(2**20, dtype=np.float64).reshape(8, -1)  # 8 records of 1 MiB
    writer.append_many("r", "x", values, steps=range(8))
    with pytest.raises(OSError, match="free disk space.*kept in the journal"):
        writer.flush()
    # free about 1.3x the pending values: the commit needs their size, not twice it
    with open(filler, "r+b") as f:
        f.truncate(filler.stat().st_size - int(10.5 * 2**20))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "x" not in ploteries.open(db_path).tags("r"):
        time.sleep(0.05)  # the writing thread retries on its own every flush_secs
    writer.close()  # the failure the writer recovered from is not raised again
    got = ploteries.open(db_path).read("r", "x")
    assert got["step"].tolist() == list(range(8))
    np.testing.assert_array_equal(got["value"], values)
    assert not (small_disk / "db.h5-journal").exists()


TOO_BIG_FOR_HDF5 = [
    pytest.param(
        np.zeros((1,) * 33), r"value has 33 dimensions .*HDF5 stores at most 32\. Reshape it", id="33-dims"
    ),
    pytest.param(
        np.zeros(1, [("n" * 70_000, "f8")]),
        r"value has a dtype \(1 field\) whose HDF5 description takes 70,\d{3} bytes; .*at most 65,535\. Use shorter",
        id="70k-name",
    ),
    pytest.param(
        np.zeros(2, [(f"f{i}", "f8") for i in range(6000)]),
        r"value has a dtype \(6000 fields\) whose HDF5 description .*Use shorter or fewer field names",
        id="6000-fields",
    ),
]


@pytest.mark.parametrize(("value", "match"), TOO_BIG_FOR_HDF5)
def test_values_hdf5_cannot_hold_are_refused_at_the_call(writer, db_path, value, match):
    with pytest.raises(ValueError, match=match):
        writer.append("r", "bad", value, step=1)
    with pytest.raises(ValueError, match=match.replace("value has", "values has")):
        writer.append_many("r", "bad", value[np.newaxis], steps=[1])
    writer.append_scalar("r", "loss", 2.0, step=1)
    writer.close()
    db = ploteries.open(db_path)
    assert db.tags("r") == ["loss"] and db.read("r", "loss")["value"].tolist() == [1.0, 2.0]
    assert sorted(p.name for p in db_path.parent.iterdir()) == [db_path.name]


def test_the_largest_values_hdf5_can_hold_are_stored(writer, db_path):
    wide = np.zeros(1, [("n" * 65_000, "f8")])
    deep = np.arange(2.0**5).reshape((2,) * 5 + (1,) * 27)
    writer.append("r", "wide", wide, step=1)
    writer.append("r", "deep", deep, step=1)
    writer.close()
    db = ploteries.open(db_path)
    assert db.read("r", "wide")["value"].dtype.names == wide.dtype.names
    np.testing.assert_array_equal(db.read("r", "deep")["value"][0], deep)


def test_a_record_the_file_cannot_hold_is_dropped_once_and_blocks_nothing(db_path, monkeypatch):
    monkeypatch.setattr(writer_module, "check_hdf5_limits", lambda *a: None)  # a limit the call misses
    rebuilds = []
    real_repair = HDF5Backend.repair
    monkeypatch.setattr(HDF5Backend, "repair", lambda self: rebuilds.append(self.path) or real_repair(self))
    with DatabaseWriter(db_path, flush_secs=60) as w:
        w.append_scalar("r", "loss", 1.0, step=0)
        w.append("r", "bad", np.zeros(2, [(f"f{i}", "f8") for i in range(6000)]), step=0)
        w.append_scalar("r", "loss", 2.0, step=1)
        with pytest.raises(RecordsDroppedError, match="cannot hold the records of run 'r' tag 'bad'") as info:
            w.flush()
        assert [d[:3] for d in info.value.dropped] == [("r", "bad", "")]
        for step in range(2, 5):
            w.append_scalar("r", "loss", float(step), step=step)
            w.flush()  # later commits neither fail nor rebuild again
        assert len(rebuilds) == 1
        assert len(list((db_path.parent / "test.h5-journal").glob("*.jnl"))) == 1  # the journal did not grow
    db = ploteries.open(db_path)
    assert db.tags("r") == ["loss"] and db.read("r", "loss")["value"].tolist() == [1.0, 2.0, 2.0, 3.0, 4.0]
    assert db.read("r", "loss")["step"].tolist() == [0, 1, 2, 3, 4]
    assert sorted(p.name for p in db_path.parent.iterdir()) == [db_path.name]


@pytest.mark.parametrize(
    ("step", "error", "match"),
    [
        (2**70, OverflowError, r"step 1180591620717411303424 does not fit in a 64-bit integer"),
        (-(2**63) - 1, OverflowError, r"step -9223372036854775809 does not fit in a 64-bit integer"),
        (np.uint64(2**64 - 1), OverflowError, r"step 18446744073709551615 does not fit"),
        (1e30, OverflowError, r"step 1000000000000000019884624838656 does not fit"),
    ],
)
def test_steps_beyond_64_bits_are_refused_with_the_argument_named(writer, step, error, match):
    with pytest.raises(error, match=match):
        writer.append_scalar("r", "loss", 1.0, step=step)
    with pytest.raises(error, match=match):
        writer.append("r", "x", np.zeros(2), step=step)
    with pytest.raises(error, match=match.replace("step ", "steps ", 1)):
        writer.append_many("r", "x", np.zeros((1, 2)), steps=[step])
    writer.append_scalar("r", "loss", 2.0, step=2**63 - 1)  # the largest step is fine


def test_database_paths_that_are_not_regular_files(tmp_path):
    for opener in (ploteries.open, DatabaseWriter):
        with pytest.raises(ValueError, match="/dev/null is not a regular file .*pass a file path"):
            opener("/dev/null")
        with pytest.raises(IsADirectoryError, match="is a directory; pass a file path .*find_databases"):
            opener(tmp_path)
    (tmp_path / "db.h5-journal").write_text("not a directory")
    with pytest.raises(FileExistsError, match="db.h5-journal is not a directory, .*move or delete it"):
        DatabaseWriter(tmp_path / "db.h5")
    assert not (tmp_path / "db.h5").exists()
