"""``Database``: the read-only view of a ploteries database, shaped like numpy.

Every call is one read of the database's backend (for a file: open, read, close): a ``Database`` never holds
the file open between calls, so writers are never stalled by an idle reader (a viewer polling every second).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .assemble import RaggedRecords, Record
from .backend import Backend, open_backend
from .catalog import Catalog, SeriesEntry
from .recovery import recover_quietly
from .values import check_database_path

if TYPE_CHECKING:
    from ploteries.figures import FigureStore


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


class Database:
    """A read-only ploteries database. Use :func:`ploteries.open`.

    Examples
    --------
    >>> with ploteries.open("runs/db.h5") as db:          # doctest: +SKIP
    ...     loss = db.read("exp1", "loss")
    ...     loss["step"], loss["value"]
    """

    def __init__(self, path):
        if not isinstance(path, Backend):
            path = check_database_path(path)
        self._backend = open_backend(path)
        self.path = getattr(self._backend, "path", None) or Path(self._backend.location)
        self._figures = None
        if self._backend.journal_dir.is_dir():
            recover_quietly(self._backend)
        self._catalog()  # fail now, with a clear message, on a missing, foreign or damaged file

    @property
    def backend(self) -> Backend:
        """The storage backend this database reads from."""
        return self._backend

    # ------------------------------------------------------------------------------------------ catalog

    def _catalog(self) -> Catalog:
        return self._backend.catalog()

    def _entry(self, catalog: Catalog, run: str, tag: str, part: str) -> SeriesEntry:
        entry = catalog.get(run, tag, part)
        if entry is None:
            runs = sorted({e.run for e in catalog.series})
            if run not in runs:
                raise KeyError(f"no run {run!r} in {self._backend.location}; runs: {runs[:20]}")
            tags = sorted({e.tag for e in catalog.series if e.run == run})
            if tag not in tags:
                raise KeyError(
                    f"no tag {tag!r} in run {run!r} of {self._backend.location}; tags: {tags[:20]}"
                )
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
        return self._read_one(run, tag, part, start, stop, (from_row, to_row), fields, exact=False)

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
        rows = None
        if from_rows is not None or to_rows is not None:
            rows = [
                (0 if from_rows is None else from_rows[i], None if to_rows is None else to_rows[i])
                for i in range(len(keys))
            ]
        return self._backend.read(list(keys), start=start, stop=stop, rows=rows, fields=fields)

    def _read_one(self, run, tag, part, start, stop, rows, fields, *, exact: bool):
        result = self._backend.read(
            [(run, tag, part)], start=start, stop=stop, rows=[rows], fields=fields, exact=exact
        )
        if result[0] is None:
            self._entry(self._catalog(), run, tag, part)  # raises the KeyError naming what exists
        return result[0]

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
        return self._read_one(run, tag, part, start, stop, (from_row, to_row), None, exact=True)

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
    """Open a ploteries database read-only.

    Raises ``FileNotFoundError`` for a missing path and ``NotADatabaseError`` (a ``ValueError``) naming the
    file for a foreign HDF5 file, a non-HDF5 file or a damaged one.

    Examples
    --------
    >>> import ploteries
    >>> with ploteries.open("runs/exp1/ploteries.h5") as db:  # doctest: +SKIP
    ...     db.runs(), db.tags("exp1"), db.read("exp1", "loss")["value"]
    """
    return Database(path)


__all__ = ["Database", "RaggedRecords", "Record", "SeriesInfo", "open"]
