"""Crash recovery: replay the journals of writers that died before folding them into the database.

A live writer holds an exclusive ``flock`` on ``<database>-journal/<writer id>.lock`` for its whole life.
A lock file that can be locked belongs to a dead writer: its journal segments are replayed (records with a
sequence number above what the catalog says that writer committed) in one transaction, then deleted.
Replay is idempotent, so two processes recovering at once cannot duplicate records.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .batch import Batch, Chunk, PendingSeries, commit
from .dtypes import dtype_from_text
from .format import read_transaction
from .journal import SCALAR_TID, Declared, Records, journal_dir, read_frames
from .locking import try_lock_exclusive


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
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.rename(tmp, jdir / f"{writer_id}.lock")
    return fd


def _segments(jdir: Path, writer_id: str) -> list[Path]:
    return sorted(jdir.glob(f"{writer_id}.*.jnl"))


def batch_from_journal(segments: list[Path], writer_id: str, committed: int) -> Batch | None:
    """Rebuild the uncommitted records of one writer from its journal segments."""
    return batch_from_frames(
        itertools.chain.from_iterable(read_frames(s) for s in segments), writer_id, committed
    )


def batch_from_frames(frames: Iterable[Declared | Records], writer_id: str, committed: int) -> Batch | None:
    """The records of one writer's journal frames with a sequence number above ``committed``, as a batch.

    Declarations are applied whatever their number (later records refer to them); None when nothing is new.
    """
    series: dict[int, PendingSeries] = {}
    dtypes: dict[int, np.dtype] = {}
    last_seq = committed
    for fr in frames:
        if isinstance(fr, Declared):
            if fr.kind == "D":
                d = json.loads(fr.text)
                ps = series.get(fr.ident)
                if ps is None:
                    ps = series[fr.ident] = PendingSeries(
                        d["run"], d["tag"], d["part"], d["kind"], d["meta"], d["ragged"]
                    )
                ps.meta = d["meta"]
                ps.meta_changed |= fr.seq > committed and bool(d["meta"])
            elif fr.kind == "T":
                dtypes[fr.ident] = dtype_from_text(fr.text)
            elif fr.kind == "M" and fr.seq > committed:
                series[fr.ident].meta.update(json.loads(fr.text))
                series[fr.ident].meta_changed = True
            last_seq = max(last_seq, fr.seq)
            continue
        if fr.seq <= committed:
            continue
        last_seq = max(last_seq, fr.seq)
        ps = series[fr.sid]
        if fr.tid == SCALAR_TID:
            ps.steps += fr.steps.tolist()
            ps.walls += fr.walls.tolist()
            ps.values += np.frombuffer(fr.raw, "<f8").tolist()
        else:
            count = len(fr.steps) * int(np.prod(fr.shape, dtype=np.int64))
            values = np.frombuffer(fr.raw, dtypes[fr.tid], count).reshape((len(fr.steps), *fr.shape))
            ps.add_chunk(Chunk(fr.steps, fr.walls, values))
    if last_seq <= committed:
        return None
    return Batch(writer_id, last_seq, series)


def committed_seqs(path: Path) -> dict[str, int]:
    """Per writer id, the last journal sequence number the database committed ({} for a new file)."""
    if not path.exists() or path.stat().st_size == 0:
        return {}
    with read_transaction(path) as (_, catalog):
        return dict(catalog.writers)


def recover(path: Path) -> int:
    """Replay the journals of dead writers of ``path``; returns how many records were recovered."""
    path = Path(path)
    jdir = journal_dir(path)
    if not jdir.is_dir():
        return 0
    recovered = 0
    for lock_path in sorted(jdir.glob("*.lock")):
        writer_id = lock_path.name[: -len(".lock")]
        fd = try_lock_exclusive(lock_path)
        if fd is None:
            continue  # a live writer
        try:
            segments = _segments(jdir, writer_id)
            batch = batch_from_journal(segments, writer_id, committed_seqs(path).get(writer_id, 0))
            if batch is not None:
                commit(path, batch)
                recovered += batch.rows
            for p in [*segments, lock_path]:
                p.unlink(missing_ok=True)
        finally:
            os.close(fd)
    try:
        jdir.rmdir()
    except OSError:
        pass
    return recovered


def recover_quietly(path: Path) -> None:
    """Recovery for readers: replay if we may write, otherwise warn that unreplayed records exist."""
    try:
        recover(path)
    except PermissionError as exc:
        warnings.warn(
            f"{path} has journals of a crashed writer that this user cannot replay ({exc}); open it once "
            "as its owner to recover the records.",
            stacklevel=3,
        )
