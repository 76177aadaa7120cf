"""A batch of pending records, and how any backend applies one to its catalog.

Both the live writer and crash recovery (journal replay) build a :class:`Batch` and hand it to
``Backend.commit``; backends call :func:`apply_batch` with a :class:`BlockSink` that stores the rows.
"""

from __future__ import annotations

import dataclasses
import errno
from typing import Protocol

import numpy as np

from .catalog import Block, Catalog, SeriesEntry, target_block
from .errors import NotADatabaseError, RecordsDroppedError

CHUNK_BYTES = 64 * 1024  # the largest chunk a backend fills partly (HDF5's big chunks)

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


class BlockSink(Protocol):
    """Where :func:`apply_batch` puts rows: a backend's storage for new series, new blocks and appended rows.

    Rows go after the block's committed ones (``block.rows``, ``block.flat``); :func:`apply_batch` then
    advances those counts. Anything stored past them stays invisible until the catalog is committed.
    """

    def new_series(self, entry: SeriesEntry) -> None: ...

    def new_block(self, entry: SeriesEntry, block: Block, rows: int) -> None: ...

    def append_fixed(self, entry: SeriesEntry, block: Block, steps, walls, values: np.ndarray) -> None: ...

    def append_ragged(
        self, entry: SeriesEntry, block: Block, steps, walls, values: list[np.ndarray]
    ) -> None: ...


def apply_batch(catalog: Catalog, batch: Batch, sink: BlockSink) -> list[SeriesEntry]:
    """Apply ``batch`` to ``catalog`` (in place), storing its rows through ``sink``; the entries it changed.

    The caller makes it atomic: it commits the catalog only if this returns, and checks idempotence
    (``catalog.writers``) before. Records the writer's new sequence number.
    """
    changed = []
    for ps in batch.series.values():
        if not ps.has_work:
            continue
        entry = catalog.get(ps.run, ps.tag, ps.part)
        if entry is None:
            entry = catalog.add_series(ps.run, ps.tag, ps.part, ps.kind, ps.meta, ps.ragged)
            sink.new_series(entry)
        elif ps.meta_changed:
            entry.meta.update(ps.meta)
        for dtype, steps, walls, values in value_groups(ps):
            _append_group(sink, entry, dtype, steps, walls, values)
        changed.append(entry)
    catalog.writers[batch.writer] = batch.last_seq
    return changed


def _append_group(sink: BlockSink, entry: SeriesEntry, dtype: np.dtype, steps, walls, values) -> None:
    """Append one dtype-homogeneous run of records to the right blocks (creating them as needed): a block with
    a ``limit`` takes rows up to it, the rest go to the next block."""
    if isinstance(values, np.ndarray):
        shapes_equal, shape = True, values.shape[1:]
    else:
        shape = values[0].shape
        shapes_equal = all(v.shape == shape for v in values)
    while len(steps):
        block, is_new = target_block(entry, dtype, tuple(shape), shapes_equal)
        if is_new:
            sink.new_block(entry, block, len(steps))
        n = len(steps) if block.limit is None else min(len(steps), block.limit - block.rows)
        _append_rows(sink, entry, block, dtype, steps[:n], walls[:n], values[:n])
        steps, walls, values = steps[n:], walls[n:], values[n:]


def _append_rows(sink: BlockSink, entry: SeriesEntry, block, dtype: np.dtype, steps, walls, values) -> None:
    """Append records (an array of equal-shaped values or a list of arrays) to ``block``, which has room."""
    if block.layout == "fixed":
        if not isinstance(values, np.ndarray):
            values = np.stack(values, dtype=dtype) if len(values) > 1 else values[0][np.newaxis]
        sink.append_fixed(entry, block, steps, walls, values)
    else:
        values = list(values)
        sink.append_ragged(entry, block, steps, walls, values)
        block.flat += sum(v.size for v in values)
    block.rows += len(steps)
    block.note_steps(steps)


# errors that say something about the machine, not about the records or the file's structure: never "repaired"
ENVIRONMENT_ERRNOS = {
    errno.ENOSPC,
    errno.EFBIG,
    errno.EDQUOT,
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.EIO,
}
_RECORD_ERRORS = (ValueError, TypeError, KeyError, RuntimeError, OSError)


def commit(backend, batch: Batch) -> None:
    """Commit ``batch`` to ``backend`` (a :class:`~ploteries.storage.backend.Backend`), dropping what it cannot hold.

    If the commit fails for a reason that is not the machine's (disk full, permissions), the series are tried
    one by one in commits that are thrown away (``dry_run``), the backend repairs itself (HDF5 can trip over
    structures a crashed writer left behind) and the batch is committed without the series that still fail.
    Those are dropped and named in a :class:`RecordsDroppedError` raised after the commit: a record the
    database cannot hold never blocks the others and never makes the commit loop.
    """
    try:
        backend.commit(batch)
        return
    except _RECORD_ERRORS as exc:
        if isinstance(exc, NotADatabaseError) or getattr(exc, "errno", None) in ENVIRONMENT_ERRNOS:
            raise
        if isinstance(exc, OSError) and not backend.exists():
            raise
        first = exc
    failing = _failing_series(backend, batch)
    backend.repair()
    if failing:
        failing = _failing_series(backend, batch, failing)
    if not failing:
        backend.commit(batch)  # raises again if the whole batch still fails
        return
    dropped = []
    for sid, exc in failing.items():
        ps = batch.series.pop(sid)
        dropped.append((ps.run, ps.tag, ps.part, f"{type(exc).__name__}: {exc}"))
    backend.commit(batch)
    names = "; ".join(
        f"run {run!r} tag {tag!r}{f' part {part!r}' if part else ''} ({why})"
        for run, tag, part, why in dropped
    )
    raise RecordsDroppedError(
        f"ploteries database {backend.location} cannot hold the records of {names}; they were dropped and "
        "everything else was committed. Log such values in a form HDF5 can store (fewer dimensions, shorter "
        "or fewer field names).",
        dropped,
    ) from first


def _failing_series(backend, batch: Batch, only: dict | None = None) -> dict[int, BaseException]:
    """The series of ``batch`` (or of ``only``) whose records fail to write, each tried alone and discarded."""
    failing = {}
    for sid, ps in batch.series.items():
        if only is not None and sid not in only:
            continue
        trial = Batch(batch.writer, batch.last_seq, {sid: dataclasses.replace(ps, chunks=list(ps.chunks))})
        try:
            backend.commit(trial, dry_run=True)
        except _RECORD_ERRORS as exc:
            if getattr(exc, "errno", None) in ENVIRONMENT_ERRNOS:
                raise
            failing[sid] = exc
    return failing
