"""Turning a series' committed blocks into what ``Database.read`` returns (backend-neutral, pure numpy).

A backend hands :func:`assemble` a :class:`BlockSource` for one series: four ways to read a block's committed
rows. Selection by row span and step range, dtype promotion and the choice between a structured array and
:class:`RaggedRecords` happen here, once, for every backend.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple, Protocol

import numpy as np

from .catalog import Block, SeriesEntry

INDEX_FIELDS = ("step", "wall_time")
ALL_FIELDS = ("step", "wall_time", "value")


class Record(NamedTuple):
    """One record of a series: its step, wall time and value."""

    step: int
    wall_time: float
    value: np.ndarray


class RaggedRecords(Sequence):
    """Records whose values differ in shape or dtype: ``step`` and ``wall_time`` arrays plus a list of values.

    Indexing gives a :class:`Record`; slicing gives ``RaggedRecords``.

    Examples
    --------
    >>> recs = RaggedRecords(np.array([0, 1]), np.array([0.0, 1.0]), [np.zeros(2), np.zeros(3)])
    >>> recs[1].value.shape
    (3,)
    """

    def __init__(self, step: np.ndarray, wall_time: np.ndarray, values: list[np.ndarray]):
        self.step = np.asarray(step, np.int64)
        self.wall_time = np.asarray(wall_time, np.float64)
        self.values = list(values)

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return RaggedRecords(self.step[index], self.wall_time[index], self.values[index])
        return Record(int(self.step[index]), float(self.wall_time[index]), self.values[index])

    def __iter__(self) -> Iterator[Record]:
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        return f"RaggedRecords({len(self)} records, steps {self.step[:3].tolist()}{'...' if len(self) > 3 else ''})"


class BlockSource(Protocol):
    """How a backend reads the committed rows of one series' blocks (rows past ``block.rows`` never)."""

    def fixed(self, block: Block, lo: int, hi: int) -> np.ndarray:
        """Rows ``[lo, hi)`` of a fixed block: a structured array (step, wall_time, value) of the original dtype."""

    def ragged(self, block: Block, lo: int, hi: int) -> tuple[np.ndarray, list[np.ndarray]]:
        """Records ``[lo, hi)`` of a ragged block: (index rows with step and wall_time, list of values)."""

    def steps(self, block: Block) -> np.ndarray:
        """The step column of the whole committed block."""

    def index(self, block: Block, lo: int, hi: int) -> np.ndarray:
        """Only the step and wall_time columns of rows ``[lo, hi)`` (values are not read)."""


def check_fields(fields: Sequence[str] | None) -> list[str] | None:
    """``fields`` as a list, or a ``ValueError`` naming the unknown ones."""
    if fields is None:
        return None
    fields = list(fields)
    unknown = set(fields) - set(ALL_FIELDS)
    if unknown or not fields:
        raise ValueError(f"fields must be among 'step', 'wall_time', 'value'; got {sorted(unknown)}.")
    return fields


def assemble(
    source: BlockSource,
    entry: SeriesEntry,
    start: int | None,
    stop: int | None,
    rows: tuple[int, int | None],
    fields: Sequence[str] | None,
    exact: bool = False,
):
    """What ``Database.read`` (or ``read_records`` when ``exact``) returns for one series."""
    fields = check_fields(fields)
    if exact:
        return _ragged(source, entry, start, stop, rows)
    if fields is not None and "value" not in fields:
        return _index(source, entry, start, stop, rows, fields)
    common = promotable(entry.blocks)
    if common is None:
        return _ragged(source, entry, start, stop, rows)
    return _fixed(source, entry, common, start, stop, rows, fields)


def promotable(blocks: list[Block]) -> np.dtype | None:
    """The common dtype of fixed blocks of one shape holding plain numbers, else None."""
    if any(b.layout != "fixed" for b in blocks) or len({tuple(b.shape) for b in blocks}) != 1:
        return None
    dtypes = [b.numpy_dtype for b in blocks]
    if len(set(dtypes)) == 1:
        return dtypes[0]
    if all(d.kind in "biufc" and d.names is None and d.subdtype is None for d in dtypes):
        return np.result_type(*dtypes)
    return None


def select_rows(steps: np.ndarray, block: Block, start: int | None, stop: int | None) -> np.ndarray:
    """Indices (into the block) of the committed rows with start <= step < stop."""
    if block.sorted:
        lo = 0 if start is None else int(np.searchsorted(steps, start, "left"))
        hi = len(steps) if stop is None else int(np.searchsorted(steps, stop, "left"))
        return np.arange(lo, hi)
    mask = np.ones(len(steps), bool)
    if start is not None:
        mask &= steps >= start
    if stop is not None:
        mask &= steps < stop
    return np.flatnonzero(mask)


def block_rows(source: BlockSource, entry: SeriesEntry, start, stop, rows: tuple[int, int | None]):
    """Yield (block, row indices inside the block) for the rows selected by row span and step range."""
    from_row, to_row = rows
    offset = 0
    for block in entry.blocks:
        first = max(0, from_row - offset)
        end = block.rows if to_row is None else min(block.rows, to_row - offset)
        offset += block.rows
        if first >= end:
            continue
        if start is None and stop is None:
            yield block, np.arange(first, end)
            continue
        if (start is not None and block.step_max is not None and block.step_max < start) or (
            stop is not None and block.step_min is not None and block.step_min >= stop
        ):
            continue
        picked = select_rows(source.steps(block), block, start, stop)
        yield block, picked[(picked >= first) & (picked < end)]


def _fixed(source: BlockSource, entry, common: np.dtype, start, stop, row_span, fields):
    parts = []
    for block, rows in block_rows(source, entry, start, stop, row_span):
        if len(rows) == 0:
            continue
        lo, hi = int(rows[0]), int(rows[-1]) + 1
        data = source.fixed(block, lo, hi)
        if hi - lo != len(rows):
            data = data[rows - lo]
        parts.append(data)
    shape = tuple(entry.blocks[0].shape) if entry.blocks else ()
    out_dtype = np.dtype([("step", "<i8"), ("wall_time", "<f8"), ("value", common, shape)])
    if not parts:
        out = np.empty(0, out_dtype)
    elif len(parts) == 1 and parts[0].dtype == out_dtype:
        out = parts[0]
    else:
        out = np.empty(sum(len(p) for p in parts), out_dtype)
        pos = 0
        for p in parts:
            for name in ALL_FIELDS:
                out[name][pos : pos + len(p)] = p[name]
            pos += len(p)
    if fields is not None:
        out = np.require(out[fields], requirements="C") if len(fields) > 1 else out[fields[0]]
    return out


def _index(source: BlockSource, entry, start, stop, row_span, fields: list[str]) -> np.ndarray:
    """Only the ``step`` / ``wall_time`` columns of the selected rows (values are not read)."""
    out_dtype = np.dtype([("step", "<i8"), ("wall_time", "<f8")])
    parts = []
    for block, rows in block_rows(source, entry, start, stop, row_span):
        if len(rows) == 0:
            continue
        lo, hi = int(rows[0]), int(rows[-1]) + 1
        cols = source.index(block, lo, hi)
        parts.append(cols[rows - lo] if hi - lo != len(rows) else cols)
    out = np.empty(sum(len(p) for p in parts), out_dtype)
    pos = 0
    for p in parts:
        out["step"][pos : pos + len(p)] = p["step"]
        out["wall_time"][pos : pos + len(p)] = p["wall_time"]
        pos += len(p)
    return np.require(out[fields], requirements="C") if len(fields) > 1 else out[fields[0]].copy()


def _ragged(source: BlockSource, entry, start, stop, row_span) -> RaggedRecords:
    steps, walls, values = [], [], []
    for block, rows in block_rows(source, entry, start, stop, row_span):
        if len(rows) == 0:
            continue
        lo, hi = int(rows[0]), int(rows[-1]) + 1
        sel = rows - lo
        if block.layout == "fixed":
            data = source.fixed(block, lo, hi)[sel]
            steps.append(data["step"])
            walls.append(data["wall_time"])
            column = data["value"]
            values += [column[i, ...] for i in range(len(column))]  # 0-d views keep the exact dtype
        else:
            index, vals = source.ragged(block, lo, hi)
            steps.append(index["step"][sel])
            walls.append(index["wall_time"][sel])
            values += [vals[i] for i in sel]
    if not steps:
        return RaggedRecords(np.empty(0, np.int64), np.empty(0), [])
    return RaggedRecords(np.concatenate(steps), np.concatenate(walls), values)


__all__ = ["BlockSource", "RaggedRecords", "Record", "assemble", "promotable", "select_rows"]
