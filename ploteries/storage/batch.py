"""A batch of pending records and the transaction that moves it into the database file.

Both the live writer and crash recovery (journal replay) build a :class:`Batch` and call :func:`commit`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

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

SCALAR_TID = -1  # values appended through the scalar fast path: Python floats, float64, shape ()
FLOAT64 = np.dtype("<f8")


@dataclasses.dataclass
class PendingSeries:
    """Records of one series waiting to be committed, in call order."""

    run: str
    tag: str
    part: str
    kind: str
    meta: dict
    ragged: bool
    steps: list = dataclasses.field(default_factory=list)
    walls: list = dataclasses.field(default_factory=list)
    values: list = dataclasses.field(default_factory=list)  # floats (SCALAR_TID) or arrays
    tids: list = dataclasses.field(default_factory=list)
    meta_changed: bool = False

    def take(self) -> PendingSeries:
        """Move the records out into a new object, leaving this one empty."""
        taken = dataclasses.replace(self, meta=dict(self.meta))
        self.steps, self.walls, self.values, self.tids = [], [], [], []
        self.meta_changed = False
        return taken

    def extend(self, other: PendingSeries) -> None:
        self.steps += other.steps
        self.walls += other.walls
        self.values += other.values
        self.tids += other.tids
        self.meta = other.meta
        self.meta_changed |= other.meta_changed


@dataclasses.dataclass
class Batch:
    writer: str
    last_seq: int
    series: dict  # local series id -> PendingSeries
    dtypes: dict  # local dtype id -> np.dtype

    def merge(self, later: Batch) -> None:
        for sid, ps in later.series.items():
            if sid in self.series:
                self.series[sid].extend(ps)
            else:
                self.series[sid] = ps
        self.dtypes.update(later.dtypes)
        self.last_seq = later.last_seq

    def reserve_bytes(self) -> int:
        """A generous bound on the bytes this batch adds to the file (values, indexes, new chunks)."""
        total = 0
        for ps in self.series.values():
            total += 24 * len(ps.steps) + 3 * CHUNK_BYTES
            total += sum(v.nbytes for v in ps.values if isinstance(v, np.ndarray))
        return total + total // 2

    @property
    def rows(self) -> int:
        return sum(len(ps.steps) for ps in self.series.values())


def value_groups(ps: PendingSeries, dtypes: dict):
    """Split a series' pending records into runs of one dtype and ndim: (dtype, steps, walls, values).

    ``values`` is a list of arrays, or one stacked array of shape (n, *shape) for the scalar fast path.
    """
    tids = ps.tids
    if tids and tids[0] == SCALAR_TID and tids.count(SCALAR_TID) == len(tids):
        yield FLOAT64, np.array(ps.steps, "<i8"), np.array(ps.walls, "<f8"), np.array(ps.values, FLOAT64)
        return
    start = 0
    n = len(tids)
    while start < n:
        dtype, ndim = _dtype_ndim(ps.values[start], tids[start], dtypes)
        stop = start + 1
        while stop < n and _dtype_ndim(ps.values[stop], tids[stop], dtypes) == (dtype, ndim):
            stop += 1
        values = [_as_array(v, t, dtypes) for v, t in zip(ps.values[start:stop], tids[start:stop])]
        yield dtype, np.array(ps.steps[start:stop], "<i8"), np.array(ps.walls[start:stop], "<f8"), values
        start = stop


def _dtype_ndim(value, tid: int, dtypes: dict) -> tuple[np.dtype, int]:
    if tid == SCALAR_TID:
        return FLOAT64, 0
    return dtypes[tid], np.ndim(value)


def _as_array(value, tid: int, dtypes: dict) -> np.ndarray:
    if tid == SCALAR_TID:
        return np.array(value, FLOAT64)
    return value


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
        block = new_block(group, dtype, tuple(shape), ragged=entry.ragged or not shapes_equal)
        entry.blocks.append(block)
    if block.layout == "fixed":
        if stacked is None:
            stacked = np.stack(values) if len(values) > 1 else values[0][np.newaxis]
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
        group = h5["series"].create_group(entry.id)
        group.attrs.update({"run": ps.run, "tag": ps.tag, "part": ps.part, "kind": ps.kind})
    elif ps.meta_changed:
        entry.meta.update(ps.meta)
    return entry


def commit(path: Path, batch: Batch, *, fsync: bool = False) -> None:
    """Move ``batch`` into the database in one locked transaction and record the writer's committed seq."""
    with write_transaction(path, fsync=fsync, reserve=batch.reserve_bytes()) as (h5, catalog):
        committed = catalog.writers.get(batch.writer, 0)
        if batch.last_seq <= committed:
            return  # already committed (a replay raced with the live writer); nothing to do
        for ps in batch.series.values():
            if not ps.steps and not ps.meta_changed:
                continue
            entry = resolve_series(h5, catalog, ps)
            group = h5["series"][entry.id]
            for dtype, steps, walls, values in value_groups(ps, batch.dtypes):
                _write_group(group, entry, dtype, steps, walls, values)
        catalog.writers[batch.writer] = batch.last_seq
