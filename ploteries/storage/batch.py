"""A batch of pending records, and how any backend applies one to its catalog.

Both the live writer and crash recovery (journal replay) build a :class:`Batch` and hand it to
``Backend.commit``; backends call :func:`apply_batch` with a :class:`BlockSink` that stores the rows.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

import numpy as np

from .catalog import Block, Catalog, SeriesEntry, target_block

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
        """A generous bound on the bytes this batch adds to the file (values, indexes, new chunks)."""
        total = 0
        for ps in self.series.values():
            total += 24 * ps.rows + 3 * 32 * 1024  # rows, and a new chunk per block
            total += sum(c.values.nbytes for c in ps.chunks) + 8 * len(ps.values)
        return total + total // 2

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
    """Append one dtype-homogeneous run of records to the right block (creating one if needed)."""
    if isinstance(values, np.ndarray):
        stacked, shapes_equal, shape = values, True, values.shape[1:]
    else:
        shape = values[0].shape
        shapes_equal = all(v.shape == shape for v in values)
        stacked = None
    block, is_new = target_block(entry, dtype, tuple(shape), shapes_equal)
    if is_new:
        sink.new_block(entry, block, len(steps))
    if block.layout == "fixed":
        if stacked is None:
            stacked = np.stack(values, dtype=dtype) if len(values) > 1 else values[0][np.newaxis]
        sink.append_fixed(entry, block, steps, walls, stacked)
    else:
        values = list(stacked) if stacked is not None else values
        sink.append_ragged(entry, block, steps, walls, values)
        block.flat += sum(v.size for v in values)
    block.rows += len(steps)
    block.note_steps(steps)
