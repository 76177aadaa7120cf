"""``ploteries import`` against hostile event files: expansion bombs, huge declared lengths, honest sizes."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

import ploteries
from ploteries.cli import main
from ploteries.compat.from_tensorboard import MAX_RECORD_BYTES
from ploteries.compat.tb_import import import_logdir
from ploteries.compat.tfrecord import RecordReport, iter_records, record_bytes
from tests.compat.test_import import scalar_event, write_events

event_pb2 = pytest.importorskip("tensorboard.compat.proto.event_pb2")
summary_pb2 = pytest.importorskip("tensorboard.compat.proto.summary_pb2")
tensor_pb2 = pytest.importorskip("tensorboard.compat.proto.tensor_pb2")
shape_pb2 = pytest.importorskip("tensorboard.compat.proto.tensor_shape_pb2")
types_pb2 = pytest.importorskip("tensorboard.compat.proto.types_pb2")


def tensor_event(tag: str, elements: int, step: int = 0) -> bytes:
    """One float stored, ``elements`` declared: make_ndarray repeats the value to the declared shape."""
    shape = shape_pb2.TensorShapeProto(dim=[shape_pb2.TensorShapeProto.Dim(size=elements)])
    tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, tensor_shape=shape, float_val=[1.0])
    summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, tensor=tensor)])
    return event_pb2.Event(step=step, wall_time=1.0, summary=summary).SerializeToString()


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` pixels, with no pixel data at all."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def image_event(tag: str, encoded: bytes) -> bytes:
    image = summary_pb2.Summary.Image(height=1, width=1, colorspace=4, encoded_image_string=encoded)
    summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, image=image)])
    return event_pb2.Event(step=0, wall_time=1.0, summary=summary).SerializeToString()


@pytest.mark.timeout(60)
def test_a_tensor_declaring_gigabytes_is_skipped_and_named_and_the_rest_imported(tmp_path, capsys):
    path = tmp_path / "logs" / "events.out.tfevents.1.host"
    write_events(path, [tensor_event("bomb", 500_000_000), scalar_event("loss", 0.5, 1)])
    assert path.stat().st_size < 600  # a few hundred bytes declaring 2 GB
    out = tmp_path / "out.h5"
    assert main(["import", str(tmp_path / "logs"), str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "error: skipped" in err and "tag 'bomb' step 0: a tensor of shape [500000000]" in err
    assert "would expand to 2,000,000,000 bytes" in err and "pass a larger --max-record-bytes" in err
    assert f"from {path.stat().st_size} bytes of event files" in err
    assert f"(+{out.stat().st_size / 1000:.1f} kB)" in err  # the database as written, not "0.0 MB"
    with ploteries.open(out) as db:
        assert db.tags("logs") == ["loss"] and db.read("logs", "loss")["value"].tolist() == [0.5]


def test_max_record_bytes_raises_the_cap(tmp_path):
    write_events(tmp_path / "logs" / "events.out.tfevents.1.host", [tensor_event("t", 1000)])
    small = import_logdir(tmp_path / "logs", tmp_path / "a.h5", max_record_bytes=3999)
    assert (
        small.records == 0 and "would expand to 4,000 bytes, more than the limit of 3,999" in small.skipped[0]
    )
    big = import_logdir(tmp_path / "logs", tmp_path / "b.h5", max_record_bytes=4000)
    assert big.records == 1 and big.skipped == []
    with ploteries.open(tmp_path / "b.h5") as db:
        np.testing.assert_array_equal(db.read("logs", "t")["value"][0], np.ones(1000, np.float32))


def test_an_image_header_declaring_huge_dimensions_is_skipped_before_decoding(tmp_path):
    write_events(
        tmp_path / "logs" / "events.out.tfevents.1.host", [image_event("img", png_header(12_000, 12_000))]
    )
    report = import_logdir(tmp_path / "logs", tmp_path / "out.h5")
    assert report.records == 0
    assert "a 12000x12000 image would expand to 576,000,000 bytes" in report.skipped[0]


def test_records_longer_than_the_cap_are_skipped_unread_and_the_next_ones_read(tmp_path):
    path = tmp_path / "events.out.tfevents.1.host"
    path.write_bytes(record_bytes(b"a" * 100) + record_bytes(b"b" * 10))
    report = RecordReport(path)
    assert [bytes(r) for r in iter_records(path, True, report, max_record_bytes=50)] == [b"b" * 10]
    assert report.oversized == [(0, 100)] and not report.truncated


def test_a_length_beyond_the_end_of_the_file_is_a_partial_record_not_an_allocation(tmp_path):
    path = tmp_path / "events.out.tfevents.1.host"
    length = struct.pack("<Q", 2**60)
    from ploteries.compat.tfrecord import masked_crc32c

    path.write_bytes(record_bytes(b"ok") + length + struct.pack("<I", masked_crc32c(length)) + b"x" * 10)
    report = RecordReport(path)
    assert [bytes(r) for r in iter_records(path, True, report)] == [b"ok"]
    assert report.truncated


def test_bad_max_record_bytes_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["import", str(tmp_path), str(tmp_path / "o.h5"), "--max-record-bytes", "0"])
    assert "--max-record-bytes: must be a positive number of bytes, got '0'" in capsys.readouterr().err
    assert MAX_RECORD_BYTES == 256 * 2**20
