"""ploteries import: TFRecord framing, CRC checks, purge_step, run names, errors and the command line."""

from __future__ import annotations

import struct
import sys

import numpy as np
import pytest

import ploteries
from ploteries.cli import main
from ploteries.compat.tb_import import event_runs, import_logdir
from ploteries.compat.tfrecord import iter_records, masked_crc32c, record_bytes
from ploteries.testing import assert_traces_equal, read_ploteries, read_tensorboard

event_pb2 = pytest.importorskip("tensorboard.compat.proto.event_pb2")
summary_pb2 = pytest.importorskip("tensorboard.compat.proto.summary_pb2")


def scalar_event(tag: str, value: float, step: int, wall: float = 1.0) -> bytes:
    summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)])
    return event_pb2.Event(step=step, wall_time=wall, summary=summary).SerializeToString()


def write_events(path, bodies) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = event_pb2.Event(wall_time=0.5, file_version="brain.Event:2").SerializeToString()
    path.write_bytes(b"".join(record_bytes(b) for b in [header, *bodies]))


def test_masked_crc_matches_tensorboard():
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c as tb_masked

    for data in (b"", b"abc", bytes(range(256)) * 5):
        assert masked_crc32c(data) == tb_masked(data)


def test_reads_files_torch_wrote(tmp_path):
    from torch.utils.tensorboard import SummaryWriter

    with SummaryWriter(tmp_path / "exp") as w:
        for i in range(3):
            w.add_scalar("loss", i / 2, i)
    (path,) = event_runs(tmp_path)["exp"]
    events = [event_pb2.Event.FromString(d) for d in iter_records(path)]
    assert events[0].file_version == "brain.Event:2"
    assert [e.summary.value[0].simple_value for e in events[1:]] == [0.0, 0.5, 1.0]


def test_run_names_like_event_multiplexer(tmp_path):
    for sub in ("a", "b/c", "b/c/d"):
        write_events(tmp_path / "logs" / sub / "events.out.tfevents.1.host", [scalar_event("x", 1.0, 0)])
    write_events(tmp_path / "logs" / "events.out.tfevents.1.host", [scalar_event("x", 1.0, 0)])
    assert sorted(event_runs(tmp_path / "logs")) == ["a", "b/c", "b/c/d", "logs"]
    report = import_logdir(tmp_path / "logs", tmp_path / "out.h5", prefix="old/")
    assert sorted(report.runs) == ["old/a", "old/b/c", "old/b/c/d", "old/logs"] and report.records == 4


def _events(n, step0=0):
    return [scalar_event("loss", float(i), i, wall=100.0 + i) for i in range(step0, step0 + n)]


def test_purge_step_start_event_drops_later_records(tmp_path):
    start = event_pb2.Event(
        step=5, wall_time=2.0, session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START)
    )
    write_events(tmp_path / "tb" / "run" / "events.out.tfevents.1.h", _events(10))
    write_events(
        tmp_path / "tb" / "run" / "events.out.tfevents.2.h", [start.SerializeToString(), *_events(3, 5)]
    )
    import_logdir(tmp_path / "tb", tmp_path / "out.h5")
    tb, ours = read_tensorboard(tmp_path / "tb"), read_ploteries(tmp_path / "out.h5")
    assert_traces_equal(tb, ours)
    assert ours[("run", "loss", "")].steps == [0, 1, 2, 3, 4, 5, 6, 7]


def _corrupt(tmp_path):
    path = tmp_path / "tb" / "run" / "events.out.tfevents.1.h"
    write_events(path, _events(3))
    raw = bytearray(path.read_bytes())
    raw[raw.rindex(struct.pack("<f", 2.0)) + 3] ^= 0x01  # the last record's float value: 2.0 -> 8.0
    path.write_bytes(bytes(raw))
    return path


def test_crc_failure_stops_the_file_and_is_reported(tmp_path):
    _corrupt(tmp_path)
    report = import_logdir(tmp_path / "tb", tmp_path / "out.h5")
    assert len(report.problems) == 1 and "fails its CRC" in report.problems[0]
    with ploteries.open(tmp_path / "out.h5") as db:
        assert db.read("run", "loss")["step"].tolist() == [0, 1]


def test_no_verify_reads_every_record(tmp_path):
    _corrupt(tmp_path)
    report = import_logdir(tmp_path / "tb", tmp_path / "out.h5", verify=False)
    assert report.problems == []
    with ploteries.open(tmp_path / "out.h5") as db:
        assert db.read("run", "loss")["step"].tolist() == [0, 1, 2]


def test_truncated_tail_is_ignored(tmp_path):
    path = tmp_path / "tb" / "run" / "events.out.tfevents.1.h"
    write_events(path, _events(4))
    path.write_bytes(path.read_bytes()[:-7])  # a writer killed mid-record
    report = import_logdir(tmp_path / "tb", tmp_path / "out.h5")
    assert report.problems == []
    with ploteries.open(tmp_path / "out.h5") as db:
        assert db.read("run", "loss")["value"].tolist() == [0.0, 1.0, 2.0]


def test_existing_run_is_refused(tmp_path):
    write_events(tmp_path / "tb" / "run" / "events.out.tfevents.1.h", _events(2))
    import_logdir(tmp_path / "tb", tmp_path / "out.h5")
    with pytest.raises(ValueError, match=r"already holds runs \['run'\]; pass --prefix"):
        import_logdir(tmp_path / "tb", tmp_path / "out.h5")


@pytest.mark.parametrize(
    "make, exc, match",
    [
        (lambda p: p, FileNotFoundError, r"TensorBoard log directory .* does not exist"),
        (lambda p: p.mkdir() or p, ValueError, r"no TensorBoard event files"),
    ],
)
def test_bad_logdir(tmp_path, make, exc, match):
    with pytest.raises(exc, match=match):
        import_logdir(make(tmp_path / "nothing"), tmp_path / "out.h5")


def test_command_line_with_progress_bar(tmp_path, capsys):
    write_events(tmp_path / "tb" / "exp" / "events.out.tfevents.1.h", _events(50))
    assert main(["import", str(tmp_path / "tb"), str(tmp_path / "out.h5"), "--no-verify"]) == 0
    err = capsys.readouterr().err
    assert "importing 100% [##############################]" in err
    assert "imported 1 runs, 50 records" in err
    assert main(["import", str(tmp_path / "tb"), str(tmp_path / "out.h5")]) == 2
    assert "already holds runs ['exp']" in capsys.readouterr().err
    with ploteries.open(tmp_path / "out.h5") as db:
        data = db.read("exp", "loss")
    np.testing.assert_array_equal(data["wall_time"], 100.0 + np.arange(50))


def test_without_tensorboard(tmp_path, monkeypatch, capsys):
    for name in [m for m in sys.modules if m == "tensorboard" or m.startswith("tensorboard.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    assert main(["import", str(tmp_path), str(tmp_path / "out.h5")]) == 2
    assert "needs the tensorboard package: pip install tensorboard" in capsys.readouterr().err
    from ploteries.compat.from_tensorboard import require_tensorboard

    with pytest.raises(ImportError, match=r"reading TensorBoard logs needs the tensorboard package"):
        require_tensorboard()
