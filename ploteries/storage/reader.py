"""``Database``: the read-only view of a ploteries database, shaped like numpy.

Every call takes a shared lock, opens the file, reads, and closes it again: a ``Database`` never holds the
file open between calls, so writers are never stalled by an idle reader (a viewer polling every second).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .format import (
    Block,
    Catalog,
    SeriesEntry,
    fixed_row_dtype,
    read_fixed,
    read_fixed_steps,
    read_ragged,
    read_ragged_steps,
    read_transaction,
)
from .journal import journal_dir
from .recovery import recover_quietly
from .values import check_database_path

if TYPE_CHECKING:
    from ploteries.figures import FigureStore


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


@dataclasses.dataclass(frozen=True)
class SeriesInfo:
    """What the catalog knows about a series, without reading its data."""

    run: str
    tag: str
    part: str
    kind: str
    count: int
    step_min: int | None
    step_max: int | None
    meta: dict
    fingerprint: str  # changes when the file is replaced or committed rows are removed (purge)
    dtype: np.dtype | None  # None when records have several dtypes
    shape: tuple | None  # None when records have several shapes

    @property
    def ragged(self) -> bool:
        return self.dtype is None or self.shape is None


def _info(catalog: Catalog, entry: SeriesEntry) -> SeriesInfo:
    blocks = entry.blocks
    dtypes = {b.dtype for b in blocks}
    shapes = {tuple(b.shape) if b.layout == "fixed" else None for b in blocks}
    lows = [b.step_min for b in blocks if b.step_min is not None]
    highs = [b.step_max for b in blocks if b.step_max is not None]
    return SeriesInfo(
        run=entry.run,
        tag=entry.tag,
        part=entry.part,
        kind=entry.kind,
        count=entry.rows,
        step_min=min(lows) if lows else None,
        step_max=max(highs) if highs else None,
        meta=dict(entry.meta),
        fingerprint=f"{catalog.uid}:{entry.id}:{entry.epoch}",
        dtype=blocks[0].numpy_dtype if len(dtypes) == 1 else None,
        shape=next(iter(shapes)) if len(shapes) == 1 else None,
    )


def _promotable(blocks: list[Block]) -> np.dtype | None:
    """The common dtype of fixed blocks of one shape holding plain numbers, else None."""
    if any(b.layout != "fixed" for b in blocks) or len({tuple(b.shape) for b in blocks}) != 1:
        return None
    dtypes = [b.numpy_dtype for b in blocks]
    if len(set(dtypes)) == 1:
        return dtypes[0]
    if all(d.kind in "biufc" and d.names is None and d.subdtype is None for d in dtypes):
        return np.result_type(*dtypes)
    return None


def _select_rows(steps: np.ndarray, block: Block, start: int | None, stop: int | None) -> np.ndarray:
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


class Database:
    """A read-only ploteries database. Use :func:`ploteries.open`.

    Examples
    --------
    >>> with ploteries.open("runs/db.h5") as db:          # doctest: +SKIP
    ...     loss = db.read("exp1", "loss")
    ...     loss["step"], loss["value"]
    """

    def __init__(self, path):
        self.path = check_database_path(path)
        self._cached: Catalog | None = None
        self._figures = None
        if journal_dir(self.path).is_dir():
            recover_quietly(self.path)
        self._catalog()  # fail now, with a clear message, on a missing, foreign or damaged file

    # ------------------------------------------------------------------------------------------ catalog

    def _catalog(self) -> Catalog:
        with self._transaction() as (_, catalog):
            return catalog

    @contextlib.contextmanager
    def _transaction(self):
        """A read transaction reusing the parsed catalog while the file's catalog is unchanged."""
        with read_transaction(self.path, self._cached) as (h5, catalog):
            self._cached = catalog
            yield h5, catalog

    def _entry(self, catalog: Catalog, run: str, tag: str, part: str) -> SeriesEntry:
        entry = catalog.get(run, tag, part)
        if entry is None:
            runs = sorted({e.run for e in catalog.series})
            if run not in runs:
                raise KeyError(f"no run {run!r} in {self.path}; runs: {runs[:20]}")
            tags = sorted({e.tag for e in catalog.series if e.run == run})
            if tag not in tags:
                raise KeyError(f"no tag {tag!r} in run {run!r} of {self.path}; tags: {tags[:20]}")
            parts = sorted({e.part for e in catalog.series if e.run == run and e.tag == tag})
            raise KeyError(f"no part {part!r} of tag {tag!r} in run {run!r}; parts: {parts}")
        return entry

    @property
    def uid(self) -> str:
        """A random id given to the file at creation (a replaced file has a new one)."""
        return self._catalog().uid

    @property
    def generation(self) -> int:
        """Bumped by every committed transaction: a cheap 'did anything change?' for pollers."""
        return self._catalog().generation

    def runs(self) -> list[str]:
        """The runs, sorted."""
        return sorted({e.run for e in self._catalog().series})

    def tags(self, run: str | None = None) -> list[str]:
        """The tags of ``run`` (of every run if None), sorted, each once."""
        return sorted({e.tag for e in self._catalog().series if run is None or e.run == run})

    def parts(self, run: str, tag: str) -> list[str]:
        """The parts of one logged object (``""`` is the main value; see docs/kinds.md)."""
        return sorted(e.part for e in self._catalog().series if e.run == run and e.tag == tag)

    def series(self, run: str | None = None) -> list[SeriesInfo]:
        """Information on every series (of ``run`` if given), from one read of the catalog."""
        catalog = self._catalog()
        return [_info(catalog, e) for e in catalog.series if run is None or e.run == run]

    def info(self, run: str, tag: str, part: str = "") -> SeriesInfo:
        """Information on one series; ``KeyError`` naming what exists if it does not."""
        catalog = self._catalog()
        return _info(catalog, self._entry(catalog, run, tag, part))

    def kind(self, run: str, tag: str, part: str = "") -> str:
        return self.info(run, tag, part).kind

    def step_range(self, run: str | None = None) -> tuple[int, int] | None:
        """(smallest, largest) step over all series (of ``run``), from the catalog alone."""
        lows, highs = [], []
        for e in self._catalog().series:
            if run is None or e.run == run:
                lows += [b.step_min for b in e.blocks if b.step_min is not None]
                highs += [b.step_max for b in e.blocks if b.step_max is not None]
        return (min(lows), max(highs)) if lows else None

    @property
    def figures(self) -> FigureStore:
        """The figure definitions of this database: add, list, get, update, delete (see docs/figures.md).

        Writing them is allowed on a read-only ``Database``: each change is its own locked transaction.

        Examples
        --------
        >>> with ploteries.open("runs/db.h5") as db:                     # doctest: +SKIP
        ...     db.figures.add(id="loss", series={"l": {"tag": "loss"}},
        ...                    figure={"data": [{"x": "$l.step", "y": "$l.value", "name": "$run"}]})
        ...     [d["id"] for d in db.figures.list()]
        ['loss']
        """
        if self._figures is None:
            # the one reference up from storage: figure definitions are the viewer's vocabulary, kept in
            # ploteries.figures above storage, which stores them through this class's documents API
            from ploteries.figures import FigureStore

            self._figures = FigureStore(self)
        return self._figures

    def documents(self) -> dict:
        """Every stored document (JSON values, e.g. figure definitions), by name."""
        return copy.deepcopy(self._catalog().documents)

    def document(self, name: str, default=None):
        """One stored document (a copy), or ``default``."""
        return copy.deepcopy(self._catalog().documents.get(name, default))

    # --------------------------------------------------------------------------------------------- data

    def read(
        self,
        run: str,
        tag: str,
        part: str = "",
        *,
        start: int | None = None,
        stop: int | None = None,
        from_row: int = 0,
        to_row: int | None = None,
        fields: Sequence[str] | None = None,
    ):
        """The records of one series.

        Parameters
        ----------
        start, stop : int, optional
            Only records with ``start <= step < stop``.
        from_row : int
            Skip the first ``from_row`` committed records (a live viewer's cursor).
        to_row : int, optional
            Stop before committed record ``to_row`` (with ``from_row``: read a series in chunks of rows).
        fields : sequence of str, optional
            Read only these of ``step``, ``wall_time``, ``value``. Without ``value`` only the index columns
            are read, for ragged series too (a viewer listing the steps of a series of images).

        Returns
        -------
        numpy.ndarray or RaggedRecords
            A structured array with fields ``step``, ``wall_time``, ``value`` when every record has one shape
            (numbers of several dtypes are promoted, e.g. int then float gives float64); otherwise
            :class:`RaggedRecords`. Use :meth:`read_records` for each record's exact dtype.
        """
        with self._transaction() as (h5, catalog):
            entry = self._entry(catalog, run, tag, part)
            return self._read_entry(h5, entry, start, stop, (from_row, to_row), fields)

    def read_many(
        self,
        keys: Sequence[tuple[str, str, str]],
        *,
        start: int | None = None,
        stop: int | None = None,
        from_rows: Sequence[int] | None = None,
        to_rows: Sequence[int | None] | None = None,
        fields: Sequence[str] | None = None,
    ) -> list:
        """:meth:`read` for several ``(run, tag, part)`` keys in one open of the file (a viewer's refresh).

        ``from_rows`` / ``to_rows`` give each key's row span. A key naming no series gives None in its place.
        """
        results = []
        with self._transaction() as (h5, catalog):
            for i, (run, tag, part) in enumerate(keys):
                entry = catalog.get(run, tag, part)
                if entry is None:
                    results.append(None)
                    continue
                rows = (0 if from_rows is None else from_rows[i], None if to_rows is None else to_rows[i])
                results.append(self._read_entry(h5, entry, start, stop, rows, fields))
        return results

    def _read_entry(self, h5, entry: SeriesEntry, start, stop, rows: tuple[int, int | None], fields):
        group = h5["series"][entry.id]
        if fields is not None and "value" not in fields:
            return self._read_index(group, entry, start, stop, rows, list(fields))
        common = _promotable(entry.blocks)
        if common is None:
            return self._read_ragged(group, entry, start, stop, rows)
        return self._read_fixed(group, entry, common, start, stop, rows, fields)

    def read_records(
        self,
        run: str,
        tag: str,
        part: str = "",
        *,
        start: int | None = None,
        stop: int | None = None,
        from_row: int = 0,
        to_row: int | None = None,
    ) -> RaggedRecords:
        """The records of one series as :class:`RaggedRecords`, each value with its exact stored dtype."""
        with self._transaction() as (h5, catalog):
            entry = self._entry(catalog, run, tag, part)
            return self._read_ragged(h5["series"][entry.id], entry, start, stop, (from_row, to_row))

    def _block_rows(self, group, entry: SeriesEntry, start, stop, rows: tuple[int, int | None]):
        """Yield (block, node, row indices inside the block) for the rows selected by row span and step range."""
        from_row, to_row = rows
        offset = 0
        for block in entry.blocks:
            node = group[block.name]
            first = max(0, from_row - offset)
            end = block.rows if to_row is None else min(block.rows, to_row - offset)
            offset += block.rows
            if first >= end:
                continue
            if start is None and stop is None:
                yield block, node, np.arange(first, end)
                continue
            if (start is not None and block.step_max is not None and block.step_max < start) or (
                stop is not None and block.step_min is not None and block.step_min >= stop
            ):
                continue
            steps = (
                read_fixed_steps(node, block) if block.layout == "fixed" else read_ragged_steps(node, block)
            )
            picked = _select_rows(steps, block, start, stop)
            yield block, node, picked[(picked >= first) & (picked < end)]

    def _read_fixed(self, group, entry, common: np.dtype, start, stop, row_span, fields):
        parts = []
        for block, node, rows in self._block_rows(group, entry, start, stop, row_span):
            if len(rows) == 0:
                continue
            lo, hi = int(rows[0]), int(rows[-1]) + 1
            data = read_fixed(node, block, lo, hi)
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
                for name in ("step", "wall_time", "value"):
                    out[name][pos : pos + len(p)] = p[name]
                pos += len(p)
        if fields is not None:
            fields = list(fields)
            unknown = set(fields) - {"step", "wall_time", "value"}
            if unknown:
                raise ValueError(f"fields must be among 'step', 'wall_time', 'value'; got {sorted(unknown)}.")
            out = np.require(out[fields], requirements="C") if len(fields) > 1 else out[fields[0]]
        return out

    def _read_index(self, group, entry, start, stop, row_span, fields: list[str]) -> np.ndarray:
        """Only the ``step`` / ``wall_time`` columns of the selected rows (values are not read)."""
        unknown = set(fields) - {"step", "wall_time"}
        if unknown or not fields:
            raise ValueError(f"fields must be among 'step', 'wall_time', 'value'; got {sorted(unknown)}.")
        out_dtype = np.dtype([("step", "<i8"), ("wall_time", "<f8")])
        parts = []
        for block, node, rows in self._block_rows(group, entry, start, stop, row_span):
            if len(rows) == 0:
                continue
            lo, hi = int(rows[0]), int(rows[-1]) + 1
            table = node if block.layout == "fixed" else node["index"]
            cols = table.fields(["step", "wall_time"])[lo:hi]
            parts.append(cols[rows - lo] if hi - lo != len(rows) else cols)
        out = np.empty(sum(len(p) for p in parts), out_dtype)
        pos = 0
        for p in parts:
            out["step"][pos : pos + len(p)] = p["step"]
            out["wall_time"][pos : pos + len(p)] = p["wall_time"]
            pos += len(p)
        return np.require(out[fields], requirements="C") if len(fields) > 1 else out[fields[0]].copy()

    def _read_ragged(self, group, entry, start, stop, row_span) -> RaggedRecords:
        steps, walls, values = [], [], []
        for block, node, rows in self._block_rows(group, entry, start, stop, row_span):
            if len(rows) == 0:
                continue
            lo, hi = int(rows[0]), int(rows[-1]) + 1
            sel = rows - lo
            if block.layout == "fixed":
                data = read_fixed(node, block, lo, hi)[sel]
                steps.append(data["step"])
                walls.append(data["wall_time"])
                column = data["value"]
                values += [column[i, ...] for i in range(len(column))]  # 0-d views keep the exact dtype
            else:
                index, vals = read_ragged(node, block, lo, hi)
                steps.append(index["step"][sel])
                walls.append(index["wall_time"][sel])
                values += [vals[i] for i in sel]
        if not steps:
            return RaggedRecords(np.empty(0, np.int64), np.empty(0), [])
        return RaggedRecords(np.concatenate(steps), np.concatenate(walls), values)

    # -------------------------------------------------------------------------------------- lifecycle

    def close(self) -> None:
        """Nothing to release (the file is never held open); kept for symmetry with files."""

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<ploteries.Database {str(self.path)!r}>"


def open(path) -> Database:  # noqa: A001 - mirrors builtins.open / h5py.File
    """Open a ploteries database read-only; a URL ``http://HOST:PORT/db.h5`` opens one on a ploteries server.

    Raises ``FileNotFoundError`` for a missing path and ``NotADatabaseError`` (a ``ValueError``) naming the
    file for a foreign HDF5 file, a non-HDF5 file or a damaged one.

    Examples
    --------
    >>> import ploteries
    >>> with ploteries.open("runs/exp1/ploteries.h5") as db:  # doctest: +SKIP
    ...     db.runs(), db.tags("exp1"), db.read("exp1", "loss")["value"]
    >>> with ploteries.open("http://node1:6006/sweep.h5") as db:  # doctest: +SKIP
    ...     db.read("lr=0.1", "loss", start=1000)
    """
    from .remote import RemoteDatabase, is_url  # here: remote's modules import this one

    if is_url(path):
        return RemoteDatabase(path)
    return Database(path)


__all__ = ["Database", "RaggedRecords", "Record", "SeriesInfo", "fixed_row_dtype", "open"]
