"""The per-writer journal: CRC-framed records written into a memory-mapped, preallocated segment file.

A record is durable against ``kill -9`` as soon as its bytes are in the shared mapping: the pages belong to
the kernel's page cache, not to the process, so no system call is needed per record. The segment's blocks
are reserved up front (``posix_fallocate``), so a write into the mapping never meets a full disk (which
would kill the process with ``SIGBUS``); a full disk shows up as a clear ``OSError`` when a segment is
created instead.

Segment layout: ``b"PLTJ" | version u32`` then frames, then zeros up to the preallocated size.
Frames are ``MAGIC u32 | body length u32 | crc32(body) u32 | body``. A frame's body is written before its
head, so a write cut short by ``kill -9`` leaves a zero head: the reader stops there without complaint.
Any other unreadable span is damage: :func:`scan` skips it by searching for the next frame whose magic
and CRC check out, and reports it (see :class:`Damage`). Every body starts with its kind (one byte) and a
sequence number (u64, +1 per frame of a writer) so that replay can skip what the database already
committed and can tell exactly how many frames a damaged span swallowed.

Bodies:
- ``D`` declare series: local id u32, JSON {"run", "tag", "part", "kind", "meta", "ragged"}
- ``T`` declare dtype: local id u32, dtype descr text
- ``S`` scalar: series u32, step i64, wall_time f64, value f64
- ``R`` records: series u32, dtype u32, n u32, ndim u8, shape i64 * ndim, steps i64 * n, walls f64 * n, raw values
- ``M`` series meta: series u32, JSON meta (merged into the stored meta)

Segments written before version 2 have no segment head and were appended with ``os.write``; they are
still read (a frame running past their end is a torn write).
"""

from __future__ import annotations

import dataclasses
import errno
import json
import mmap
import os
import struct
import zlib
from pathlib import Path

import numpy as np

MAGIC = 0x504C5431  # "PLT1"
MAGIC_BYTES = struct.pack("<I", MAGIC)
SEGMENT_MAGIC = b"PLTJ"
SEGMENT_VERSION = 2
SEGMENT_HEAD = struct.Struct("<4sI")
SEGMENT_HEAD_BYTES = SEGMENT_HEAD.pack(SEGMENT_MAGIC, SEGMENT_VERSION)
SCALAR_TID = -1  # dtype id of scalar frames: float64, shape ()
FRAME_HEAD = struct.Struct("<III")
KIND_SEQ = struct.Struct("<cQ")
SCALAR_BODY = struct.Struct("<cQIqdd")
SCALAR_FRAME_BYTES = FRAME_HEAD.size + SCALAR_BODY.size
RECORDS_HEAD = struct.Struct("<cQIIIB")
ID_HEAD = struct.Struct("<cQI")
MIN_SEGMENT_BYTES = 1 << 20
MAX_SEGMENT_BYTES = 64 << 20
SMALL_FRAME_BYTES = 64  # body, length and CRC written in one copy, then the magic


# ------------------------------------------------------------------------------------------------ encoding


def frame(body: bytes) -> bytes:
    """Wrap ``body`` in a CRC frame."""
    return FRAME_HEAD.pack(MAGIC, len(body), zlib.crc32(body)) + body


def scalar_body(seq: int, sid: int, step: int, wall_time: float, value: float) -> bytes:
    """The body of one scalar record (the hot path: one ``struct.pack``)."""
    return SCALAR_BODY.pack(b"S", seq, sid, step, wall_time, value)


def records_body(
    seq: int, sid: int, tid: int, steps: np.ndarray, walls: np.ndarray, values: np.ndarray, shape: tuple
) -> bytes:
    """The body of ``len(steps)`` records sharing dtype and shape; ``values`` is C-contiguous."""
    n = len(steps)
    head = RECORDS_HEAD.pack(b"R", seq, sid, tid, n, len(shape)) + struct.pack(f"<{len(shape)}q", *shape)
    return b"".join(
        (
            head,
            np.ascontiguousarray(steps, "<i8").tobytes(),
            np.ascontiguousarray(walls, "<f8").tobytes(),
            values.tobytes(),
        )
    )


def records_frame_size(n: int, shape: tuple, nbytes: int) -> int:
    """Bytes of the frame :func:`records_body` makes for ``n`` records of ``shape`` and ``nbytes`` values."""
    return FRAME_HEAD.size + RECORDS_HEAD.size + 8 * len(shape) + 16 * n + nbytes


def text_body(kind: bytes, seq: int, ident: int, text: str) -> bytes:
    """The body of a declaration or metadata frame: UTF-8 text after an id."""
    return ID_HEAD.pack(kind, seq, ident) + text.encode("utf-8")


def json_text(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=True)


# ------------------------------------------------------------------------------------------------ decoding


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


@dataclasses.dataclass(frozen=True)
class Damage:
    """An unreadable span ``[start, stop)`` of a segment, between the frames of sequence numbers
    ``seq_before`` and ``seq_after`` (None: no readable frame on that side)."""

    start: int
    stop: int
    seq_before: int | None
    seq_after: int | None
    why: str

    def describe(self) -> str:
        return f"bytes {self.start}..{self.stop} ({self.why})"


def decode_body(body: bytes) -> Declared | Records:
    """Parse one frame body (already CRC-checked); ``ValueError`` if it is not a well-formed body."""
    try:
        kind, seq = KIND_SEQ.unpack_from(body)
        if kind == b"S":
            _, seq, sid, step, wall, value = SCALAR_BODY.unpack(body)
            return Records(
                seq, sid, SCALAR_TID, (), np.array([step], "<i8"), np.array([wall], "<f8"), body[-8:]
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
    except (struct.error, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        raise ValueError(f"malformed journal frame body: {exc}") from None
    raise ValueError(f"unknown journal frame kind {kind!r}")


def _frame_at(data: bytes, pos: int) -> tuple[Declared | Records, int] | None:
    """The intact frame starting at ``pos`` and the position after it, or None."""
    magic, length, crc = FRAME_HEAD.unpack_from(data, pos)
    start = pos + FRAME_HEAD.size
    stop = start + length
    if magic != MAGIC or stop > len(data):
        return None
    body = data[start:stop]
    if zlib.crc32(body) != crc:
        return None
    try:
        return decode_body(body), stop
    except ValueError:
        return None


def _torn_tail(data: bytes, pos: int, legacy: bool) -> bool:
    """True when the unreadable bytes from ``pos`` to the end are a write cut short (or unused space)."""
    head = data[pos : pos + FRAME_HEAD.size]
    if legacy:  # os.write appends, and leaves no zeros: a cut-short frame runs past the end of the file
        if len(head) < FRAME_HEAD.size:
            return True
        magic, length, _ = FRAME_HEAD.unpack(head)
        return magic == MAGIC and pos + FRAME_HEAD.size + length > len(data)
    if not head.strip(b"\0"):
        return True  # unused preallocated space, or a body whose head was never written
    return head[:4] == b"\0\0\0\0"  # a mapped segment's frame is published by its magic, written last


def scan(data: bytes) -> tuple[list[Declared | Records], list[Damage]]:
    """Every intact frame of a segment's bytes, in order, and the damaged spans skipped between them.

    Never raises: a span that is not a frame is skipped up to the next position where a frame's magic, CRC
    and body all check out. The unused tail of a segment and a frame cut short by ``kill -9`` are not damage.
    """
    frames: list[Declared | Records] = []
    damage: list[Damage] = []
    legacy = not data.startswith(SEGMENT_MAGIC)
    pos = 0 if legacy else SEGMENT_HEAD.size
    if legacy and data and not data.strip(b"\0"):
        return frames, [Damage(0, len(data), None, None, "the segment is zero-filled")]
    if not legacy and not data.startswith(SEGMENT_HEAD_BYTES):
        damage.append(Damage(0, pos, None, None, "damaged segment head"))
    bad_start = None
    while pos + FRAME_HEAD.size <= len(data):
        found = _frame_at(data, pos)
        if found is not None:
            if bad_start is not None:
                damage.append(_damage(frames, bad_start, pos, found[0].seq))
                bad_start = None
            frames.append(found[0])
            pos = found[1]
            continue
        if bad_start is None:
            bad_start = pos
        nxt = data.find(MAGIC_BYTES, pos + 1)
        if nxt < 0:
            break
        pos = nxt
    if bad_start is None:
        if pos < len(data) and not _torn_tail(data, pos, legacy):
            damage.append(_damage(frames, pos, len(data), None))
    elif not _torn_tail(data, bad_start, legacy):
        damage.append(_damage(frames, bad_start, len(data), None))
    return frames, damage


def _damage(frames: list, start: int, stop: int, seq_after: int | None) -> Damage:
    before = frames[-1].seq if frames else None
    why = "unreadable frames" if seq_after is not None else "unreadable frames at the end"
    return Damage(start, stop, before, seq_after, why)


# ------------------------------------------------------------------------------------------------ writing


class JournalFile:
    """One journal segment open for appending through a shared memory map.

    ``append`` costs a CRC and two or three memory copies, and no system call; the caller checks that the frame fits
    (``pos + frame bytes <= capacity``) and otherwise continues in a new segment.
    """

    def __init__(self, path: Path, capacity: int = MIN_SEGMENT_BYTES):
        self.path = Path(path)
        self.capacity = capacity
        self.fd = -1
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            os.write(self.fd, SEGMENT_HEAD_BYTES)  # first, so that a segment of zeros is known to be damaged
            _reserve(self.fd, capacity)
            self.map = mmap.mmap(self.fd, capacity, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        except OSError as exc:
            self._discard()
            raise OSError(
                exc.errno,
                f"could not create the ploteries journal segment {self.path} ({capacity} bytes): "
                f"{exc.strerror or exc}. Free disk space (or raise the quota) and call again; records "
                "written before are kept.",
            ) from exc
        self.pos = SEGMENT_HEAD.size

    def append(self, body: bytes) -> None:
        """Frame ``body`` into the segment: the body, length and CRC first, then the magic that publishes it (a
        frame of a few dozen bytes, such as a scalar's, writes its body, length and CRC in one copy)."""
        pos = self.pos
        start = pos + 12
        stop = start + len(body)  # past the capacity, the map refuses the copy (IndexError): callers check
        mm = self.map
        head = FRAME_HEAD.pack(MAGIC, len(body), zlib.crc32(body))
        # length and CRC, then the magic that publishes the frame: a kill -9 between these stores leaves a head
        # without its magic, which replay knows for a write cut short, not for damage
        if stop - pos <= SMALL_FRAME_BYTES:  # a scalar's frame: length, CRC and body in one copy
            mm[pos + 4 : stop] = head[4:] + body
        else:
            mm[start:stop] = body
            mm[pos + 4 : start] = head[4:]
        mm[pos : pos + 4] = MAGIC_BYTES
        self.pos = stop

    def sync(self) -> None:
        """Write the mapped pages to the disk (survives a power cut; ``kill -9`` needs nothing)."""
        self.map.flush()

    def close(self) -> None:
        """Unmap and give back the unused reserved space; the file stays for replay or deletion."""
        if self.fd < 0:
            return
        self.map.close()
        try:
            os.ftruncate(self.fd, self.pos)
        except OSError:
            pass  # keeping the zero tail is harmless
        os.close(self.fd)
        self.fd = -1

    def _discard(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass


def _reserve(fd: int, size: int) -> None:
    """Reserve ``size`` bytes of disk for the file, so that writes into its mapping cannot fail."""
    try:
        os.posix_fallocate(fd, 0, size)
    except OSError as exc:
        if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL):
            raise
        zeros = bytes(MIN_SEGMENT_BYTES)  # a file system without fallocate: write the zeros ourselves
        for offset in range(SEGMENT_HEAD.size, size, len(zeros)):
            os.pwrite(fd, zeros[: size - offset], offset)


def segment_capacity(need: int, used: int) -> int:
    """The size of a new segment: a power of two >= twice what the last one used (1 to 64 MiB), and room
    for a frame of ``need`` bytes (rounded up to a MiB)."""
    capacity = MIN_SEGMENT_BYTES
    while capacity < 2 * used and capacity < MAX_SEGMENT_BYTES:
        capacity *= 2
    need += SEGMENT_HEAD.size
    return max(capacity, -(-need // MIN_SEGMENT_BYTES) * MIN_SEGMENT_BYTES)


def journal_dir(database: Path) -> Path:
    """Where the journals of ``database`` live: ``<database>-journal/``."""
    database = Path(database)
    return database.with_name(database.name + "-journal")


def check_journal_dir(database: Path) -> Path:
    """The journal directory of ``database``; a clear ``FileExistsError`` if something else has its name."""
    jdir = journal_dir(database)
    if jdir.exists() and not jdir.is_dir():
        raise FileExistsError(
            17,
            f"{jdir} is not a directory, but ploteries keeps the journal of {Path(database).name} in a "
            "directory of that name; move or delete it.",
        )
    return jdir
