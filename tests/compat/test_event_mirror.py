"""Event files shown live: the incremental import into a cache database (never touching the event files)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

import ploteries
from ploteries.compat import event_mirror
from ploteries.compat.event_mirror import EventMirror, default_cache_dir
from ploteries.compat.tb_import import import_logdir
from ploteries.compat.tfrecord import record_bytes

torch_tb = pytest.importorskip("torch.utils.tensorboard")


def digests(root: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*tfevents*"))}


def series(db_path: Path) -> dict:
    """``{(run, tag, part): (steps, values)}`` of every fixed series, and the record count of ragged ones."""
    out = {}
    with ploteries.open(db_path) as db:
        for info in db.series():
            data = db.read(info.run, info.tag, info.part)
            if isinstance(data, np.ndarray):
                out[(info.run, info.tag, info.part)] = (data["step"].tolist(), data["value"].tolist())
            else:
                out[(info.run, info.tag, info.part)] = len(data)
    return out


@pytest.fixture
def mirror(tmp_path):
    m = EventMirror(tmp_path / "tb", "tfevents", cache_dir=tmp_path / "cache")
    yield m
    m.close()


def test_the_cache_follows_growing_event_files_and_equals_an_import(tmp_path, mirror):
    writer = torch_tb.SummaryWriter(tmp_path / "tb" / "exp1")
    for step in range(3):
        writer.add_scalar("loss", 1.0 / (step + 1), step)
        writer.add_scalars("acc", {"train": step * 0.1, "val": step * 0.2}, step)
    writer.add_histogram("w", np.arange(10.0), 0)
    writer.flush()
    [(label, db_path)] = mirror.sync()
    assert label == "tfevents" and db_path.parent.parent == tmp_path / "cache"
    first = series(db_path)
    assert first[("exp1", "loss", "")] == ([0, 1, 2], [1.0, 0.5, np.float32(1 / 3).item()])
    assert first[("exp1/acc_val", "acc", "")][0] == [0, 1, 2]

    for step in range(3, 5):
        writer.add_scalar("loss", 1.0 / (step + 1), step)
        writer.add_scalars("acc", {"train": step * 0.1, "val": step * 0.2}, step)
    writer.add_histogram("w", np.arange(10.0) * 2, 1)
    writer.close()
    before = digests(tmp_path / "tb")
    assert mirror.sync() == [("tfevents", db_path)]
    assert digests(tmp_path / "tb") == before  # the event files are only read
    assert mirror.sync() == [("tfevents", db_path)]  # nothing new: nothing written twice
    import_logdir(tmp_path / "tb", tmp_path / "imported.h5")
    assert series(db_path) == series(tmp_path / "imported.h5")
    assert series(db_path)[("exp1", "loss", "")][0] == [0, 1, 2, 3, 4]


def scalar_record(tag: str, value: float, step: int) -> bytes:
    from tensorboard.compat.proto import event_pb2, summary_pb2

    value_pb = summary_pb2.Summary.Value(tag=tag, simple_value=value)
    event = event_pb2.Event(step=step, wall_time=1e9 + step, summary=summary_pb2.Summary(value=[value_pb]))
    return record_bytes(event.SerializeToString())


def test_a_partial_record_waits_for_the_rest(tmp_path, mirror):
    path = tmp_path / "tb" / "run" / "events.out.tfevents.1700000000.host"
    path.parent.mkdir(parents=True)
    second = scalar_record("x", 2.0, 1)
    path.write_bytes(scalar_record("x", 1.0, 0) + second[:10])  # a writer caught mid-record
    [(_, db_path)] = mirror.sync()
    assert series(db_path) == {("run", "x", ""): ([0], [1.0])}
    with path.open("ab") as f:
        f.write(second[10:])
    mirror.sync()
    assert series(db_path) == {("run", "x", ""): ([0, 1], [1.0, 2.0])}


def test_a_corrupt_record_is_reported_and_the_rest_skipped(tmp_path, mirror):
    path = tmp_path / "tb" / "run" / "events.out.tfevents.1700000000.host"
    path.parent.mkdir(parents=True)
    bad = bytearray(scalar_record("x", 2.0, 1))
    bad[-1] ^= 0xFF
    path.write_bytes(scalar_record("x", 1.0, 0) + bytes(bad) + scalar_record("x", 3.0, 2))
    [(_, db_path)] = mirror.sync()
    assert series(db_path) == {("run", "x", ""): ([0], [1.0])}
    assert f"{path}: the record at byte {len(scalar_record('x', 1.0, 0))} fails its CRC" in mirror.note()


def test_purge_step_of_a_resumed_run_removes_what_was_shown(tmp_path, mirror):
    logdir = tmp_path / "tb" / "exp"
    writer = torch_tb.SummaryWriter(logdir)
    for step in range(6):
        writer.add_scalar("loss", float(step), step)
    writer.close()
    [(_, db_path)] = mirror.sync()
    assert series(db_path)[("exp", "loss", "")][0] == [0, 1, 2, 3, 4, 5]
    writer = torch_tb.SummaryWriter(logdir, purge_step=3, filename_suffix=".resumed")
    for step in range(3, 5):
        writer.add_scalar("loss", 10.0 + step, step)
    writer.close()
    mirror.sync()
    assert series(db_path)[("exp", "loss", "")] == ([0, 1, 2, 3, 4], [0.0, 1.0, 2.0, 13.0, 14.0])


def test_a_replaced_file_rebuilds_the_cache(tmp_path, mirror):
    logdir = tmp_path / "tb" / "exp"
    writer = torch_tb.SummaryWriter(logdir)
    writer.add_scalar("loss", 1.0, 0)
    writer.add_scalar("loss", 2.0, 1)
    writer.close()
    [(_, db_path)] = mirror.sync()
    [path] = logdir.glob("*tfevents*")
    path.unlink()
    writer = torch_tb.SummaryWriter(logdir)
    writer.add_scalar("loss", 5.0, 7)
    writer.close()
    [(_, db_path)] = mirror.sync()
    assert series(db_path) == {("exp", "loss", ""): ([7], [5.0])}


def test_caches_of_gone_viewers_are_deleted(tmp_path):
    writer = torch_tb.SummaryWriter(tmp_path / "tb" / "exp")
    writer.add_scalar("loss", 1.0, 0)
    writer.close()
    first = EventMirror(tmp_path / "tb", "tfevents", cache_dir=tmp_path / "cache")
    second = EventMirror(tmp_path / "tb", "tfevents", cache_dir=tmp_path / "cache")
    [(_, mine)] = first.sync()
    [(_, theirs)] = second.sync()
    assert mine != theirs and mine.parent == theirs.parent  # two live viewers: two caches
    gone = mine.parent / "gone.h5"
    gone.write_bytes(b"left by a killed viewer")
    (mine.parent / "gone.lock").touch()
    third = EventMirror(tmp_path / "tb", "tfevents", cache_dir=tmp_path / "cache")
    third.sync()
    assert not gone.exists() and mine.exists() and theirs.exists()  # live owners keep theirs
    for m in (first, second, third):
        m.close()
    assert list(mine.parent.iterdir()) == []


def test_notes_say_what_was_found(tmp_path, mirror, monkeypatch):
    assert mirror.sync() == [] and mirror.note() is None  # no folder, no event files: nothing to say
    writer = torch_tb.SummaryWriter(tmp_path / "tb" / "exp")
    writer.flush()  # only the file_version record
    assert mirror.sync() == []
    assert (
        mirror.note()
        == f"1 TensorBoard event file below {tmp_path / 'tb'}: shown as soon as they hold records."
    )

    def missing():
        raise ImportError("no tensorboard")

    monkeypatch.setattr("ploteries.compat.from_tensorboard.require_tensorboard", missing)
    assert mirror.sync() == []
    assert "needs the tensorboard package (pip install tensorboard)" in mirror.note()
    writer.close()


def test_default_cache_dir_is_outside_the_logs(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "ploteries" / "events"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "ploteries" / "events"
    assert (
        event_mirror.EventMirror(tmp_path, "x").folder.parent
        == Path.home() / ".cache" / "ploteries" / "events"
    )
