"""Crash recovery: replay the journals of writers that died before folding them into the database.

A live writer holds an exclusive ``flock`` on ``<database>-journal/<writer id>.lock`` for its whole life.
A lock file that can be locked belongs to a dead writer: its journal segments are replayed (records with a
sequence number above what the catalog says that writer committed) in one transaction, then deleted.
Replay is idempotent, so two processes recovering at once cannot duplicate records.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import math
import os
import warnings
from pathlib import Path

import numpy as np

from .backend import Backend, open_backend
from .batch import Batch, Chunk, PendingSeries, commit
from .dtypes import dtype_from_text
from .errors import JournalDamageWarning, RecordsDroppedError
from .hdf5.locking import lock_descriptor, try_lock_exclusive
from .journal import SCALAR_TID, Declared, Records, scan


def lock_new_writer(jdir: Path, writer_id: str) -> int:
    """Create ``<writer id>.lock`` already locked (atomic rename), so no recoverer mistakes it for dead."""
    tmp = jdir / f".{writer_id}.lock.tmp"
    for _ in range(100):  # another process may remove the (empty) folder between our mkdir and open
        jdir.mkdir(exist_ok=True)
        try:
            fd = os.open(tmp, os.O_RDONLY | os.O_CREAT, 0o644)
            break
        except FileNotFoundError:
            continue
    else:
        raise OSError(f"could not create a journal in {jdir}; check that the directory is writable.")
    lock_descriptor(fd, exclusive=True)
    os.rename(tmp, jdir / f"{writer_id}.lock")
    return fd


def _segments(jdir: Path, writer_id: str) -> list[Path]:
    return sorted(jdir.glob(f"{writer_id}.*.jnl"))


@dataclasses.dataclass
class Replay:
    """What a dead writer's journal holds beyond what the database committed, and what could not be read."""

    batch: Batch | None
    losses: list[str] = dataclasses.field(default_factory=list)  # what was lost, in words
    damaged: set = dataclasses.field(default_factory=set)  # segments to keep aside


class _Replayer:
    """Turns the frames of one writer's segments into a :class:`Batch`, skipping what cannot be used."""

    def __init__(self, writer_id: str, committed: int):
        self.writer_id = writer_id
        self.committed = committed
        self.series: dict[int, PendingSeries] = {}
        self.dtypes: dict[int, np.dtype] = {}
        self.last_seq = committed
        self.seen: set[int] = set()
        self.replay = Replay(None)

    def lose(self, segment: Path, what: str) -> None:
        self.replay.losses.append(f"{segment.name}: {what}")
        self.replay.damaged.add(segment)

    def add(self, segment: Path, fr: Declared | Records) -> None:
        self.seen.add(fr.seq)
        self.last_seq = max(self.last_seq, fr.seq)
        try:
            if isinstance(fr, Declared):
                self._declared(fr)
            elif fr.seq > self.committed:
                self._records(segment, fr)
        except (ValueError, TypeError, KeyError, SyntaxError) as exc:  # a frame whose content cannot be used
            self.lose(segment, f"frame {fr.seq} is unusable ({type(exc).__name__}: {exc})")

    def _declared(self, fr: Declared) -> None:
        if fr.kind == "D":
            d = json.loads(fr.text)
            ps = self.series.get(fr.ident)
            if ps is None:
                ps = self.series[fr.ident] = PendingSeries(
                    str(d["run"]),
                    str(d["tag"]),
                    str(d["part"]),
                    str(d["kind"]),
                    dict(d["meta"]),
                    bool(d["ragged"]),
                )
            ps.meta = dict(d["meta"])
            ps.meta_changed |= fr.seq > self.committed and bool(d["meta"])
        elif fr.kind == "T":
            self.dtypes[fr.ident] = dtype_from_text(fr.text)
        elif fr.kind == "M" and fr.seq > self.committed:
            ps = self._series(fr.ident)
            ps.meta.update(dict(json.loads(fr.text)))
            ps.meta_changed = True

    def _series(self, sid: int) -> PendingSeries:
        ps = self.series.get(sid)
        if ps is None:
            raise KeyError(f"it names series {sid}, which no readable frame declares")
        return ps

    def _records(self, segment: Path, fr: Records) -> None:
        ps = self._series(fr.sid)
        if fr.tid == SCALAR_TID:
            ps.steps += fr.steps.tolist()
            ps.walls += fr.walls.tolist()
            ps.values += np.frombuffer(fr.raw, "<f8").tolist()
            return
        dtype = self.dtypes.get(fr.tid)
        if dtype is None:
            raise KeyError(f"it names dtype {fr.tid}, which no readable frame declares")
        count = len(fr.steps) * math.prod(fr.shape)
        if count * dtype.itemsize != len(fr.raw):
            raise ValueError(f"{len(fr.raw)} bytes of values for {count} values of {dtype}")
        values = np.frombuffer(fr.raw, dtype, count).reshape((len(fr.steps), *fr.shape))
        ps.add_chunk(Chunk(fr.steps, fr.walls, values))

    def finish(self) -> Replay:
        gaps = missing_ranges(sorted(q for q in self.seen if q > self.committed), self.committed)
        if gaps:
            count = sum(b - a + 1 for a, b in gaps)
            where = ", ".join(f"{a}" if a == b else f"{a}..{b}" for a, b in gaps)
            self.replay.losses.append(
                f"{count} journal frame(s) (one per call) are missing: sequence numbers {where}"
            )
        if self.last_seq > self.committed:
            self.replay.batch = Batch(self.writer_id, self.last_seq, self.series)
        return self.replay


def missing_ranges(seqs: list[int], committed: int) -> list[tuple[int, int]]:
    """Inclusive ranges of sequence numbers after ``committed`` absent from the sorted ``seqs``."""
    gaps, expected = [], committed + 1
    for q in seqs:
        if q > expected:
            gaps.append((expected, q - 1))
        expected = max(expected, q + 1)
    return gaps


def batch_from_journal(segments: list[Path], writer_id: str, committed: int) -> Replay:
    """Rebuild the uncommitted records of one writer from its journal segments.

    Damaged spans are skipped (losing only the frames inside them), frames that cannot be used (naming a
    series or dtype no readable frame declares, unreadable JSON) are skipped, and both are reported in
    :attr:`Replay.losses` with the segments concerned in :attr:`Replay.damaged`.
    """
    replayer = _Replayer(writer_id, committed)
    scanned = []
    for segment in segments:
        frames, damage = scan(segment.read_bytes())
        for d in damage:
            replayer.lose(segment, f"{d.describe()} skipped")
        scanned.append((frames[0].seq if frames else 0, segment, frames))
    for _, segment, frames in sorted(scanned, key=lambda item: item[0]):  # in writing order
        for fr in frames:
            replayer.add(segment, fr)
    return replayer.finish()


def _committed_seqs(backend: Backend) -> dict[str, int]:
    if not backend.exists():
        return {}
    return dict(backend.catalog().writers)


def recover(target) -> int:
    """Replay the journals of dead writers of a database (a path or a backend); how many records came back."""
    backend = open_backend(target, create=True)
    jdir = backend.journal_dir
    if not jdir.is_dir():
        return 0
    recovered = 0
    for lock_path in sorted(jdir.glob("*.lock")):
        writer_id = lock_path.name[: -len(".lock")]
        fd = try_lock_exclusive(lock_path)
        if fd is None:
            continue  # a live writer
        try:
            recovered += _replay_writer(backend, jdir, writer_id)
            lock_path.unlink(missing_ok=True)
        finally:
            os.close(fd)
    try:
        jdir.rmdir()
    except OSError:
        pass
    return recovered


def _replay_writer(backend: Backend, jdir: Path, writer_id: str) -> int:
    """Commit what a dead writer's segments hold, then remove them (damaged ones are kept aside)."""
    segments = _segments(jdir, writer_id)
    replay = batch_from_journal(segments, writer_id, _committed_seqs(backend).get(writer_id, 0))
    recovered = 0
    if replay.batch is not None:
        try:
            commit(backend, replay.batch)
        except RecordsDroppedError as exc:
            replay.losses.append(str(exc))
        recovered = replay.batch.rows
    kept = []
    for segment in segments:
        if segment in replay.damaged:
            kept.append(segment.with_name(segment.name + ".damaged"))
            os.replace(segment, kept[-1])
        else:
            segment.unlink(missing_ok=True)
    if replay.losses:
        aside = f" The damaged segments are kept as {', '.join(map(str, kept))}." if kept else ""
        warnings.warn(
            f"ploteries database {backend.location}: replaying the journal of writer {writer_id} lost records: "
            + "; ".join(replay.losses)
            + "."
            + aside
            + " Everything else was recovered.",
            JournalDamageWarning,
            stacklevel=3,
        )
    return recovered


# why a reader may be unable to replay a journal: it then reads what is committed
_CANNOT_WRITE = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def recover_quietly(target) -> None:
    """Recovery for readers: replay if we may write; on read-only media, without permission or on a full disk,
    warn that unreplayed records exist and read what is committed."""
    backend = open_backend(target)
    try:
        recover(backend)
    except OSError as exc:
        if exc.errno not in _CANNOT_WRITE:
            raise
        warnings.warn(
            f"{backend.location} has journals of a crashed writer that cannot be replayed now ({exc}); reading "
            "what is committed. Open it once as its owner, with free disk space, to recover the records.",
            stacklevel=3,
        )
