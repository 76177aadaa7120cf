"""Format versions 2 and 3: version-1 and -2 files keep working, checksums catch damage, readers never wait."""

import gzip
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

import ploteries
from ploteries.storage import DatabaseWriter, NotADatabaseError, update_document
from ploteries.storage.hdf5 import layout
from ploteries.storage.maintenance import purge_run

DATA = Path(__file__).with_name("data")


def unpacked(name: str, tmp_path) -> Path:
    path = tmp_path / "old.h5"
    with gzip.open(DATA / name) as src, open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


@pytest.fixture
def v1_path(tmp_path):
    """A database written by ploteries with format version 1 (tests/storage/data/format1.h5.gz)."""
    return unpacked("format1.h5.gz", tmp_path)


@pytest.fixture
def v2_path(tmp_path):
    """A database written by ploteries 83b7e5d with format version 2 (tests/storage/data/format2.h5.gz): the
    version-1 file converted, one more row of exp/1 loss, and exp/3 long (3,000 rows in commits of 100, so its
    first block went past its limit of 2,048 rows, as version 2 allowed)."""
    return unpacked("format2.h5.gz", tmp_path)


def format_of(path) -> int:
    with h5py.File(path, "r", locking=False) as f:
        return int(f.attrs["ploteries_format"])


def check_v1_content(db, runs=("exp/1", "exp/2")):
    assert db.runs() == list(runs)
    loss = db.read("exp/1", "loss")[:50]  # a version-2 file has one more row
    assert loss["step"].tolist() == list(range(0, 100, 2))
    assert loss["value"][-1] == 9.8 and loss["wall_time"][0] == 1000.0
    assert db.read("exp/1", "unsorted", start=4)["step"].tolist() == [5, 9]
    assert [v.tolist() for v in db.read("exp/2", "hist").values] == [
        [0.0, 1.0, 2.0],
        [0.0, 1.0, 2.0, 3.0, 4.0],
    ]
    assert db.info("exp/2", "hist").meta == {"bins": "tensorflow"}
    rec = db.read("exp/2", "rec")["value"][0]
    assert (rec["a"], rec["b"]) == (1.0, "ab")
    assert db.document("note") == {"text": "hi"}


def test_a_version_1_file_is_read_as_it_is(v1_path):
    before = v1_path.read_bytes()
    check_v1_content(ploteries.open(v1_path))
    assert v1_path.read_bytes() == before and format_of(v1_path) == 1


def test_the_first_write_converts_a_version_1_file(v1_path):
    uid = ploteries.open(v1_path).uid
    with DatabaseWriter(v1_path) as w:
        w.append_scalar("exp/1", "loss", -1.0, step=100)
    assert format_of(v1_path) == layout.FORMAT_VERSION == 3
    db = ploteries.open(v1_path)
    assert db.uid == uid
    assert db.read("exp/1", "loss")["value"][-2:].tolist() == [9.8, -1.0]
    db.read("exp/1", "loss")  # the rest is unchanged
    with h5py.File(v1_path, "r", locking=False) as f:
        assert "series" not in f and "catalog_a" not in f
    assert [p.name for p in v1_path.parent.iterdir()] == ["old.h5"]  # no .rebuild leftovers


def check_v2_content(db):
    loss = db.read("exp/1", "loss")
    assert loss["step"][-2:].tolist() == [98, 100] and loss["value"][-1] == -1.0
    long = db.read("exp/3", "long")[:3000]  # the conversion test appends 5 rows
    assert long["step"].tolist() == list(range(3000))
    assert long["value"].tolist() == (np.arange(3000) * 0.25).tolist()
    assert long["wall_time"].tolist() == (1000.0 + np.arange(3000)).tolist()


def test_a_version_2_file_is_read_as_it_is(v2_path):
    before = v2_path.read_bytes()
    db = ploteries.open(v2_path)
    check_v1_content(db, runs=("exp/1", "exp/2", "exp/3"))
    check_v2_content(db)
    assert v2_path.read_bytes() == before and format_of(v2_path) == 2


def test_the_first_write_converts_a_version_2_file_and_its_overfull_first_block_keeps_working(v2_path):
    uid = ploteries.open(v2_path).uid
    with DatabaseWriter(v2_path) as w:
        w.append_many("exp/3", "long", np.full(5, -2.0), steps=np.arange(3000, 3005), kind="scalar")
        w.append_scalar("exp/4", "new", 4.0, step=0)
    assert format_of(v2_path) == layout.FORMAT_VERSION
    db = ploteries.open(v2_path)
    assert db.uid == uid
    check_v1_content(db, runs=("exp/1", "exp/2", "exp/3", "exp/4"))
    check_v2_content(db)
    assert db.read("exp/3", "long")["value"][-6:].tolist() == [749.75] + [-2.0] * 5
    assert db.read("exp/4", "new")["value"].tolist() == [4.0]
    assert (
        purge_run(v2_path, "exp/3", 2050) == 955
    )  # rewrites the first block, 2,050 rows past its limit of 2,048
    with DatabaseWriter(v2_path) as w:
        w.append_many("exp/3", "long", np.ones(3), steps=np.arange(2050, 2053), kind="scalar")
    long = ploteries.open(v2_path).read("exp/3", "long")
    assert long["step"].tolist() == list(range(2053)) and long["value"][-4:].tolist() == [
        2049 * 0.25,
        1,
        1,
        1,
    ]
    assert [p.name for p in v2_path.parent.iterdir()] == ["old.h5"]


def test_a_flipped_bit_in_data_raises_an_error_naming_the_file(db_path):
    with DatabaseWriter(db_path) as w:
        w.append_many("r", "loss", np.arange(1000.0), steps=np.arange(1000))
    with h5py.File(db_path, "r", locking=False) as f:
        key = ploteries.open(db_path).backend.catalog().get("r", "loss", "").blocks[0].name
        offset = f["data"][key].id.get_offset() if f["data"][key].chunks is None else None
        info = f["data"][key].id.get_chunk_info(0)
        offset = info.byte_offset
    with open(db_path, "r+b") as fh:
        fh.seek(offset + 100)
        byte = fh.read(1)
        fh.seek(offset + 100)
        fh.write(bytes([byte[0] ^ 0x10]))
    with pytest.raises(OSError, match=f"{db_path.name} is damaged.*checksum"):
        ploteries.open(db_path).read("r", "loss")


def test_a_damaged_newest_head_warns_and_reads_the_previous_state(db_path):
    with DatabaseWriter(db_path) as w:
        w.append_scalar("r", "loss", 1.0, step=0)
        w.flush()
        w.append_scalar("r", "loss", 2.0, step=1)
    with h5py.File(db_path, "r+", locking=False) as f:
        head = layout.read_head(f, db_path)
        start = (head.generation % 2) * layout.HEAD_SLOT
        f["head"][start] = f["head"][start] ^ 0xFF
    with pytest.warns(UserWarning, match="newest copy of its head is damaged"):
        assert ploteries.open(db_path).read("r", "loss")["value"].tolist() == [1.0]


def test_both_heads_unreadable_is_a_torn_read_for_a_reader_without_the_lock(db_path):
    """A reader without the lock (a writer held it too long) may read the head while HDF5 rewrites the file's
    metadata: both slots failing is then a read to retry, not a verdict on the file (it was one, once, in the
    kill -9 soak of the remote server). With the lock, or on the last attempt, it is the file's state."""
    with DatabaseWriter(db_path) as w:
        w.append_scalar("r", "loss", 1.0, step=0)
    with h5py.File(db_path, "r+", locking=False) as f:
        f["head"][0] ^= 0xFF
        f["head"][layout.HEAD_SLOT] ^= 0xFF
        with pytest.raises(layout._Torn, match="no head slot passes its checksum"):
            layout.read_head(f, db_path, racing=True)
        with pytest.raises(NotADatabaseError, match="both copies of its head are damaged"):
            layout.read_head(f, db_path)


def test_a_commit_touches_only_the_series_it_changes(db_path):
    with DatabaseWriter(db_path) as w:
        for i in range(50):
            w.append_scalar(f"run{i}", "loss", 1.0, step=0)
    with DatabaseWriter(db_path) as w:
        w.append_scalar("run3", "loss", 2.0, step=1)
        w.flush()  # the first commit of a writer allocates the first chunks of the change tables
        size = db_path.stat().st_size
        w.append_scalar("run3", "loss", 3.0, step=2)
        w.flush()
        assert db_path.stat().st_size - size < 2048  # no catalog of 50 series rewritten
    db = ploteries.open(db_path)
    assert db.read("run3", "loss")["value"].tolist() == [1.0, 2.0, 3.0]
    assert db.read("run4", "loss")["value"].tolist() == [1.0]


def test_a_reader_refreshes_what_changed_and_sees_every_kind_of_change(db_path):
    with DatabaseWriter(db_path) as w:
        w.append_scalar("a", "loss", 1.0, step=0)
        w.append("a", "img", np.zeros((2, 2)), step=0)
    db = ploteries.open(db_path)
    assert db.runs() == ["a"]
    with DatabaseWriter(db_path) as w:
        w.append_scalar("a", "loss", 2.0, step=1)
        w.append_scalar("b", "loss", 3.0, step=0)
        w.set_meta("a", "img", {"k": 1})
    assert db.read("a", "loss")["value"].tolist() == [1.0, 2.0]
    assert db.runs() == ["a", "b"] and db.info("a", "img").meta == {"k": 1}
    ploteries.storage.rename_run(db_path, "b", "c")
    assert db.runs() == ["a", "c"]
    ploteries.storage.purge_run(db_path, "a", 1)
    assert db.read("a", "loss")["value"].tolist() == [1.0]
    ploteries.storage.delete_run(db_path, "c")
    update_document(db_path, "n", lambda old: 5)
    assert db.runs() == ["a"] and db.document("n") == 5


STALLED_WRITER = """
import sys, os
from ploteries.storage.hdf5.locking import file_lock
from pathlib import Path
with file_lock(Path(sys.argv[1]), exclusive=True):
    print("locked", flush=True)
    os.kill(os.getpid(), 19)  # SIGSTOP while holding the writers' lock
"""


def test_a_reader_answers_while_a_stopped_writer_holds_the_lock(db_path):
    with DatabaseWriter(db_path) as w:
        w.append_scalar("r", "loss", 1.0, step=0)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    proc = subprocess.Popen(
        [sys.executable, "-c", STALLED_WRITER, str(db_path)], stdout=subprocess.PIPE, env=env
    )
    try:
        assert proc.stdout.readline().strip() == b"locked"
        db = ploteries.open(db_path)
        started = time.monotonic()
        for _ in range(20):
            assert db.read("r", "loss")["value"].tolist() == [1.0]
        assert (
            time.monotonic() - started < 5
        )  # not stuck behind the lock (the first read waits READ_PATIENCE)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()


def test_a_reader_on_read_only_media_reads_what_is_committed(db_path, tmp_path):
    with DatabaseWriter(db_path) as w:
        w.append_scalar("r", "loss", 1.0, step=0)
    (tmp_path / "test.h5-journal").mkdir()  # a crashed writer's journal that this reader may not replay
    (tmp_path / "test.h5-journal" / "dead.lock").touch()
    os.chmod(tmp_path / "test.h5-journal", 0o500)
    os.chmod(db_path, 0o444)
    try:
        if os.access(tmp_path / "test.h5-journal", os.W_OK):
            pytest.skip("running as a user that ignores permissions")
        with pytest.warns(UserWarning, match="cannot be replayed now"):
            db = ploteries.open(db_path)
        assert db.read("r", "loss")["value"].tolist() == [1.0]
    finally:
        os.chmod(tmp_path / "test.h5-journal", 0o700)


def test_a_second_process_reads_the_version_only_once_the_first_has_laid_the_file_out(tmp_path):
    """Two processes creating one database: the second read the first's half-written file without the lock and
    failed ("truncated file: eof = 96"). It now waits on the lock and reads the finished file."""
    import threading

    from ploteries.storage.hdf5.backend import _version
    from ploteries.storage.hdf5.locking import file_lock

    done = tmp_path / "done.h5"
    with DatabaseWriter(done) as w:
        w.append_scalar("r", "loss", 1.0, 0)
    whole = done.read_bytes()
    path = tmp_path / "sweep.h5"
    got = []
    with file_lock(path, exclusive=True, create=True):
        path.write_bytes(whole[:96])  # the creator is laying the file out
        reader = threading.Thread(target=lambda: got.append(_version(path)))
        reader.start()
        reader.join(0.5)
        assert reader.is_alive() and not got, "the version was read while the file was being laid out"
        path.write_bytes(whole)
    reader.join(30)
    assert got == [layout.FORMAT_VERSION]
