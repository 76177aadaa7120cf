"""The per-writer journal: CRC-framed records appended with one ``os.write`` each.

A record is durable against ``kill -9`` as soon as ``os.write`` returns (the bytes are in the kernel's page
cache). Frames are ``MAGIC u32 | body length u32 | crc32(body) u32 | body``; a torn or corrupt tail is
detected by the CRC and ignored. Every body starts with its kind (one byte) and a sequence number (u64)
so that replay can skip what the database already committed.

Bodies:
- ``D`` declare series: local id u32, JSON {"run", "tag", "part", "kind", "meta", "ragged"}
- ``T`` declare dtype: local id u32, dtype descr text
- ``S`` scalar: series u32, step i64, wall_time f64, value f64
- ``R`` records: series u32, dtype u32, n u32, ndim u8, shape i64 * ndim, steps i64 * n, walls f64 * n, raw values
- ``M`` series meta: series u32, JSON meta (merged into the stored meta)
"""

from __future__ import annotations

import dataclasses
import json
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

MAGIC = 0x504C5431  # "PLT1"
SCALAR_TID = -1  # dtype id of scalar frames: float64, shape ()
FRAME_HEAD = struct.Struct("<III")
KIND_SEQ = struct.Struct("<cQ")
SCALAR_BODY = struct.Struct("<cQIqdd")
RECORDS_HEAD = struct.Struct("<cQIIIB")
ID_HEAD = struct.Struct("<cQI")


def frame(body: bytes) -> bytes:
    """Wrap ``body`` in a CRC frame."""
    return FRAME_HEAD.pack(MAGIC, len(body), zlib.crc32(body)) + body


def scalar_frame(seq: int, sid: int, step: int, wall_time: float, value: float) -> bytes:
    """The frame of one scalar record (the hot path: one ``struct.pack`` and one CRC)."""
    body = SCALAR_BODY.pack(b"S", seq, sid, step, wall_time, value)
    return FRAME_HEAD.pack(MAGIC, SCALAR_BODY.size, zlib.crc32(body)) + body


def records_frame(
    seq: int, sid: int, tid: int, steps: np.ndarray, walls: np.ndarray, values: np.ndarray, shape: tuple
) -> bytes:
    """The frame of ``len(steps)`` records sharing dtype and shape; ``values`` is C-contiguous."""
    n = len(steps)
    head = RECORDS_HEAD.pack(b"R", seq, sid, tid, n, len(shape)) + struct.pack(f"<{len(shape)}q", *shape)
    body = b"".join(
        (
            head,
            np.ascontiguousarray(steps, "<i8").tobytes(),
            np.ascontiguousarray(walls, "<f8").tobytes(),
            values.tobytes(),
        )
    )
    return frame(body)


def text_frame(kind: bytes, seq: int, ident: int, text: str) -> bytes:
    """A declaration or metadata frame carrying UTF-8 text after an id."""
    return frame(ID_HEAD.pack(kind, seq, ident) + text.encode("utf-8"))


@dataclasses.dataclass
class Declared:
    kind: str  # "D", "T" or "M"
    seq: int
    ident: int
    text: str


@dataclasses.dataclass
class Records:
    seq: int
    sid: int
    tid: int  # -1 for scalars (float64, shape ())
    shape: tuple
    steps: np.ndarray
    walls: np.ndarray
    raw: bytes  # values as bytes; decoded once the dtype is known


def decode_body(body: bytes) -> Declared | Records:
    """Parse one frame body (already CRC-checked)."""
    kind, seq = KIND_SEQ.unpack_from(body)
    if kind == b"S":
        _, seq, sid, step, wall, value = SCALAR_BODY.unpack(body)
        return Records(
            seq,
            sid,
            SCALAR_TID,
            (),
            np.array([step], "<i8"),
            np.array([wall], "<f8"),
            struct.pack("<d", value),
        )
    if kind == b"R":
        _, seq, sid, tid, n, ndim = RECORDS_HEAD.unpack_from(body)
        pos = RECORDS_HEAD.size
        shape = struct.unpack_from(f"<{ndim}q", body, pos)
        pos += 8 * ndim
        steps = np.frombuffer(body, "<i8", n, pos)
        pos += 8 * n
        walls = np.frombuffer(body, "<f8", n, pos)
        pos += 8 * n
        return Records(seq, sid, tid, tuple(shape), steps, walls, body[pos:])
    if kind in (b"D", b"T", b"M"):
        _, seq, ident = ID_HEAD.unpack_from(body)
        return Declared(kind.decode(), seq, ident, body[ID_HEAD.size :].decode("utf-8"))
    raise ValueError(f"unknown journal frame kind {kind!r}")


def read_frames(path: Path) -> Iterator[Declared | Records]:
    """Every intact frame of a journal file, in order; stops at the first torn or corrupt frame."""
    return iter_frames(Path(path).read_bytes())


def iter_frames(data: bytes) -> Iterator[Declared | Records]:
    """Every intact frame of journal bytes, in order; stops at the first torn or corrupt frame."""
    for start, end in _frame_spans(data):
        try:
            yield decode_body(data[start:end])
        except (ValueError, struct.error, UnicodeDecodeError):
            return


def intact_length(data: bytes) -> int:
    """How many leading bytes of ``data`` are whole, CRC-valid frames (a torn or zero-filled tail is not)."""
    spans = list(_frame_spans(data))
    return spans[-1][1] if spans else 0


def _frame_spans(data: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) of the body of each intact frame, in order, up to the first torn or corrupt one."""
    pos, end = 0, len(data)
    while pos + FRAME_HEAD.size <= end:
        magic, length, crc = FRAME_HEAD.unpack_from(data, pos)
        start = pos + FRAME_HEAD.size
        if magic != MAGIC or start + length > end or zlib.crc32(data[start : start + length]) != crc:
            return
        yield start, start + length
        pos = start + length


class JournalFile:
    """One journal segment open for appending. ``append`` rolls back a failed or partial write."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.size = os.fstat(self.fd).st_size

    def append(self, data: bytes) -> None:
        try:
            written = os.write(self.fd, data)
            if written != len(data):
                raise OSError(28, f"short write ({written} of {len(data)} bytes)")
        except OSError as exc:
            try:
                os.ftruncate(self.fd, self.size)
            except OSError:
                pass
            raise OSError(
                exc.errno,
                f"could not append to the ploteries journal {self.path}: {exc.strerror or exc}. "
                "Free disk space (or raise the quota) and call again; records written before are kept.",
            ) from exc
        self.size += written

    def sync(self) -> None:
        os.fsync(self.fd)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def journal_dir(database: Path) -> Path:
    """Where the journals of ``database`` live: ``<database>-journal/``."""
    database = Path(database)
    return database.with_name(database.name + "-journal")


def json_text(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=True)
