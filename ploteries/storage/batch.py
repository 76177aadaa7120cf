"""A batch of pending records and the transaction that moves it into the database file.

Both the live writer and crash recovery (journal replay) build a :class:`Batch` and call :func:`commit`.
"""

from __future__ import annotations

import dataclasses
import errno
from pathlib import Path

import numpy as np

from .errors import NotADatabaseError, RecordsDroppedError
from .format import (
    CHUNK_BYTES,
    Block,
    Catalog,
    SeriesEntry,
    append_fixed,
    append_ragged,
    new_block,
    write_transaction,
)
from .repair import rebuild

FLOAT64 = np.dtype("<f8")


@dataclasses.dataclass
class Chunk:
    """Records appended together: ``values`` has shape (n, *shape)."""

    steps: np.ndarray
    walls: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.steps)


@dataclasses.dataclass
class PendingSeries:
    """Records of one series waiting to be committed, in call order.

    Scalars from the hot path go to the ``steps``/``walls``/``values`` lists (cheap appends); anything else
    arrives as a :class:`Chunk`. Before a chunk is added, the scalar lists are sealed into a chunk of their
    own, so ``chunks`` then the lists always hold the records in call order.
    """

    run: str
    tag: str
    part: str
    kind: str
    meta: dict
    ragged: bool
    steps: list = dataclasses.field(default_factory=list)  # scalar fast path
    walls: list = dataclasses.field(default_factory=list)
    values: list = dataclasses.field(default_factory=list)
    chunks: list = dataclasses.field(default_factory=list)
    meta_changed: bool = False

    def seal_scalars(self) -> None:
        if self.steps:
            self.chunks.append(
                Chunk(
                    np.array(self.steps, "<i8"), np.array(self.walls, "<f8"), np.array(self.values, FLOAT64)
                )
            )
            self.steps, self.walls, self.values = [], [], []

    def add_chunk(self, chunk: Chunk) -> None:
        self.seal_scalars()
        self.chunks.append(chunk)

    @property
    def rows(self) -> int:
        return len(self.steps) + sum(len(c) for c in self.chunks)

    @property
    def has_work(self) -> bool:
        return bool(self.steps or self.chunks or self.meta_changed)

    def take(self) -> PendingSeries:
        """Move the records out into a new object, leaving this one empty."""
        self.seal_scalars()
        taken = dataclasses.replace(
            self, meta=dict(self.meta), chunks=self.chunks, steps=[], walls=[], values=[]
        )
        self.chunks = []
        self.meta_changed = False
        return taken

    def extend(self, other: PendingSeries) -> None:
        self.seal_scalars()
        other.seal_scalars()
        self.chunks += other.chunks
        self.meta = other.meta
        self.meta_changed |= other.meta_changed


@dataclasses.dataclass
class Batch:
    writer: str
    last_seq: int
    series: dict  # local series id -> PendingSeries

    def merge(self, later: Batch) -> None:
        for sid, ps in later.series.items():
            if sid in self.series:
                self.series[sid].extend(ps)
            else:
                self.series[sid] = ps
        self.last_seq = later.last_seq

    def reserve_bytes(self) -> int:
        """A bound on the bytes this batch adds to the file, tight enough that freeing about its size resumes a
        writer stopped by a full disk: values, steps and wall times (plus a ragged block's offsets and shapes),
        two partly filled chunks per series, and 1/16 for HDF5's chunk indexes."""
        total = 0
        for ps in self.series.values():
            total += 2 * CHUNK_BYTES + 24 * len(ps.steps)
            total += sum(c.values.nbytes + (24 + 8 * (c.values.ndim - 1)) * len(c) for c in ps.chunks)
        return total + total // 16

    @property
    def rows(self) -> int:
        return sum(ps.rows for ps in self.series.values())


def value_groups(ps: PendingSeries):
    """Merge consecutive chunks of one dtype and ndim: yields (dtype, steps, walls, values).

    ``values`` is one stacked array (n, *shape) when the shapes agree, else a list of per-record arrays.
    """
    ps.seal_scalars()
    chunks = ps.chunks
    start = 0
    while start < len(chunks):
        first = chunks[start].values
        stop = start + 1
        while (
            stop < len(chunks)
            and chunks[stop].values.dtype == first.dtype
            and chunks[stop].values.ndim == first.ndim
        ):
            stop += 1
        group = chunks[start:stop]
        steps = np.concatenate([c.steps for c in group])
        walls = np.concatenate([c.walls for c in group])
        if all(c.values.shape[1:] == first.shape[1:] for c in group):
            # dtype= keeps a non-native byte order (numpy would canonicalize '>U1' to '<U1', and opaque
            # blocks store the bytes as they are)
            values = np.concatenate([c.values for c in group], dtype=first.dtype) if len(group) > 1 else first
        else:
            values = [c.values[i] for c in group for i in range(len(c))]
        yield first.dtype, steps, walls, values
        start = stop


def _write_group(group, entry: SeriesEntry, dtype: np.dtype, steps, walls, values) -> None:
    """Append one dtype-homogeneous run of records to the right block (creating one if needed)."""
    if isinstance(values, np.ndarray):
        stacked, shapes_equal, shape = values, True, values.shape[1:]
    else:
        shape = values[0].shape
        shapes_equal = all(v.shape == shape for v in values)
        stacked = None
    last: Block | None = entry.blocks[-1] if entry.blocks else None
    same_dtype = last is not None and last.numpy_dtype == dtype and last.ndim == len(shape)
    if same_dtype and last.layout == "fixed" and shapes_equal and tuple(last.shape) == tuple(shape):
        block = last
    elif same_dtype and last.layout == "ragged":
        block = last
    else:
        if same_dtype and last.layout == "fixed":
            entry.ragged = True  # the shape changed under the same dtype: shapes vary in this series
        block = new_block(
            group, len(entry.blocks), dtype, tuple(shape), ragged=entry.ragged or not shapes_equal
        )
        entry.blocks.append(block)
    if block.layout == "fixed":
        if stacked is None:
            stacked = np.stack(values, dtype=dtype) if len(values) > 1 else values[0][np.newaxis]
        append_fixed(group[block.name], block, steps, walls, stacked)
    else:
        if stacked is not None:
            values = list(stacked)
        append_ragged(group[block.name], block, steps, walls, values)


def resolve_series(h5, catalog: Catalog, ps: PendingSeries) -> SeriesEntry:
    """The catalog entry of a pending series, created (with its HDF5 group) on first commit."""
    entry = catalog.get(ps.run, ps.tag, ps.part)
    if entry is None:
        entry = catalog.add_series(ps.run, ps.tag, ps.part, ps.kind, ps.meta, ps.ragged)
        if entry.id in h5["series"]:  # left by a transaction that never committed
            del h5["series"][entry.id]
        group = h5["series"].create_group(entry.id)
        group.attrs.update({"run": ps.run, "tag": ps.tag, "part": ps.part, "kind": ps.kind})
    elif ps.meta_changed:
        entry.meta.update(ps.meta)
    return entry


# errors that say something about the machine, not about the file's structure: never "repaired"
_ENVIRONMENT_ERRNOS = {
    errno.ENOSPC,
    errno.EFBIG,
    errno.EDQUOT,
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.EIO,
}


def commit(path: Path, batch: Batch, *, fsync: bool = False) -> None:
    """Move ``batch`` into the database in one locked transaction and record the writer's committed seq.

    If the transaction fails for a reason that is not the machine's (disk full, permissions), the series
    are tried one by one in transactions that are thrown away, the file is rebuilt from its committed
    content (HDF5 can trip over structures a crashed writer left behind, see ``repair.rebuild``) and the
    batch is committed without the series that still fail. Those are dropped and named in a
    :class:`RecordsDroppedError` raised after the commit: a record the file cannot hold never blocks the
    others and never makes the commit loop.
    """
    try:
        _commit_once(path, batch, fsync=fsync)
        return
    except (ValueError, TypeError, KeyError, RuntimeError, OSError) as exc:
        if isinstance(exc, NotADatabaseError) or getattr(exc, "errno", None) in _ENVIRONMENT_ERRNOS:
            raise
        if isinstance(exc, OSError) and not path.exists():
            raise
        first = exc
    failing = _failing_series(path, batch)
    rebuild(path)
    if failing:
        failing = _failing_series(path, batch, failing)
    if not failing:
        _commit_once(path, batch, fsync=fsync)  # raises again if the whole batch still fails
        return
    dropped = []
    for sid, exc in failing.items():
        ps = batch.series.pop(sid)
        dropped.append((ps.run, ps.tag, ps.part, f"{type(exc).__name__}: {exc}"))
    _commit_once(path, batch, fsync=fsync)
    names = "; ".join(
        f"run {run!r} tag {tag!r}{f' part {part!r}' if part else ''} ({why})"
        for run, tag, part, why in dropped
    )
    raise RecordsDroppedError(
        f"ploteries database {path} cannot hold the records of {names}; they were dropped and everything "
        "else was committed. Log such values in a form HDF5 can store (fewer dimensions, shorter or fewer "
        "field names).",
        dropped,
    ) from first


class _Abort(Exception):
    """Thrown inside a trial transaction so that nothing it wrote becomes visible."""


def _failing_series(path: Path, batch: Batch, only: dict | None = None) -> dict[int, BaseException]:
    """The series of ``batch`` (or of ``only``) whose records fail to write, each tried alone and discarded."""
    failing = {}
    for sid, ps in batch.series.items():
        if only is not None and sid not in only:
            continue
        trial = Batch(batch.writer, batch.last_seq, {sid: dataclasses.replace(ps, chunks=list(ps.chunks))})
        try:
            _commit_once(path, trial, fsync=False, abort=True)
        except _Abort:
            continue
        except (ValueError, TypeError, KeyError, RuntimeError, OSError) as exc:
            if getattr(exc, "errno", None) in _ENVIRONMENT_ERRNOS:
                raise
            failing[sid] = exc
    return failing


def _commit_once(path: Path, batch: Batch, *, fsync: bool, abort: bool = False) -> None:
    with write_transaction(path, fsync=fsync, reserve=batch.reserve_bytes()) as (h5, catalog):
        committed = catalog.writers.get(batch.writer, 0)
        if batch.last_seq <= committed and not abort:
            return  # already committed (a replay raced with the live writer); nothing to do
        for ps in batch.series.values():
            if not ps.has_work:
                continue
            entry = resolve_series(h5, catalog, ps)
            group = h5["series"][entry.id]
            for dtype, steps, walls, values in value_groups(ps):
                _write_group(group, entry, dtype, steps, walls, values)
        if abort:
            raise _Abort
        catalog.writers[batch.writer] = batch.last_seq
