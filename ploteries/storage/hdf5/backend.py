"""The HDF5 backend: a ploteries database in one local HDF5 file (see docs/format.md).

Each method is one short transaction: take the lock, open the file, work, close, unlock; nothing is held
between calls, so several processes can write one file and readers never keep writers out.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path

import h5py

from ..assemble import assemble
from ..backend import Backend, Capabilities
from ..batch import Batch, apply_batch
from ..catalog import Block, Catalog, SeriesEntry, rename_in_catalog
from ..journal import journal_dir
from ..values import check_name
from .format import (
    append_fixed,
    append_ragged,
    create_block,
    read_fixed,
    read_fixed_steps,
    read_ragged,
    read_ragged_steps,
    read_transaction,
    truncate_block,
    write_transaction,
)
from .repair import rebuild


class _Source:
    """:class:`~ploteries.storage.assemble.BlockSource` over one series group of an open file."""

    def __init__(self, group: h5py.Group):
        self.group = group

    def fixed(self, block, lo, hi):
        return read_fixed(self.group[block.name], block, lo, hi)

    def ragged(self, block, lo, hi):
        return read_ragged(self.group[block.name], block, lo, hi)

    def steps(self, block):
        node = self.group[block.name]
        return read_fixed_steps(node, block) if block.layout == "fixed" else read_ragged_steps(node, block)

    def index(self, block, lo, hi):
        node = self.group[block.name]
        table = node if block.layout == "fixed" else node["index"]
        return table.fields(["step", "wall_time"])[lo:hi]


class _Sink:
    """:class:`~ploteries.storage.batch.BlockSink` writing into an open file inside a write transaction."""

    def __init__(self, h5: h5py.File):
        self.h5 = h5

    def new_series(self, entry: SeriesEntry) -> None:
        series = self.h5["series"]
        if entry.id in series:  # left by a transaction that never committed
            del series[entry.id]
        group = series.create_group(entry.id)
        group.attrs.update({"run": entry.run, "tag": entry.tag, "part": entry.part, "kind": entry.kind})

    def new_block(self, entry: SeriesEntry, block: Block) -> None:
        create_block(self.h5["series"][entry.id], block)

    def append_fixed(self, entry, block, steps, walls, values):
        append_fixed(self.h5["series"][entry.id][block.name], block, steps, walls, values)

    def append_ragged(self, entry, block, steps, walls, values):
        append_ragged(self.h5["series"][entry.id][block.name], block, steps, walls, values)


class HDF5Backend(Backend):
    """A ploteries database in one HDF5 file, safe for several writing processes and any number of readers.

    Parameters
    ----------
    path : str or Path
        The ``.h5`` file.
    create : bool
        Create the file at the first commit if it is missing (otherwise writing to a missing file raises).
    fsync : bool
        ``os.fsync`` the file at every commit (survives power loss).
    """

    capabilities = Capabilities(durable=True, multi_process=True, writable=True, checksums=False)

    def __init__(self, path, *, create: bool = False, fsync: bool = False):
        self.path = Path(path)
        self.location = str(self.path)
        self._create = create
        self.fsync = fsync
        self._cached: Catalog | None = None

    @property
    def journal_dir(self) -> Path:
        return journal_dir(self.path)

    # ------------------------------------------------------------------------------------------ catalog

    def catalog(self) -> Catalog:
        with self._read() as (_, catalog):
            return catalog

    def exists(self) -> bool:
        return self.path.exists() and self.path.stat().st_size > 0

    def _read(self):
        return _CachingRead(self)

    # -------------------------------------------------------------------------------------------- writes

    def create(self) -> None:
        with self._write():
            pass

    def _write(self, **kw):
        return write_transaction(self.path, create=self._create, fsync=self.fsync, **kw)

    def commit(self, batch: Batch, *, dry_run: bool = False) -> bool:
        return self._commit_once(batch, dry_run)

    def _commit_once(self, batch: Batch, dry_run: bool = False) -> bool:
        try:
            with self._write(reserve=batch.reserve_bytes()) as (h5, catalog):
                if batch.last_seq <= catalog.writers.get(batch.writer, 0) and not dry_run:
                    return False  # already committed (a replay raced with the live writer)
                apply_batch(catalog, batch, _Sink(h5))
                if dry_run:
                    raise _DryRun
        except _DryRun:
            return False
        return True

    def repair(self) -> None:
        rebuild(self.path)

    def purge(self, run: str, from_step: int) -> int:
        removed = 0
        with self._write() as (h5, catalog):
            for entry in catalog.series:
                if entry.run != run:
                    continue
                source = _Source(h5["series"][entry.id])
                changed = False
                for block in entry.blocks:
                    if block.step_max is None or block.step_max < from_step:
                        continue
                    keep = source.steps(block) < from_step
                    removed += int((~keep).sum())
                    truncate_block(source.group[block.name], block, keep)
                    changed = True
                entry.epoch += changed
        return removed

    def delete_run(self, run: str) -> int:
        check_name(run, "run", allow_empty=True)
        with write_transaction(self.path, create=False) as (h5, catalog):
            doomed = [e for e in catalog.series if e.run == run]
            for entry in doomed:
                del h5["series"][entry.id]
                catalog.remove_series(entry)
        return len(doomed)

    def rename_run(self, old: str, new: str) -> None:
        check_name(old, "old", allow_empty=True)
        check_name(new, "new", allow_empty=True)
        with write_transaction(self.path, create=False) as (h5, catalog):
            for entry in rename_in_catalog(catalog, old, new, self.location):
                h5["series"][entry.id].attrs["run"] = new

    # ----------------------------------------------------------------------------------------- documents

    def documents(self) -> tuple[dict, int]:
        if not self.exists():
            return {}, 0
        catalog = self.catalog()
        return copy.deepcopy(catalog.documents), catalog.generation

    def put_documents(self, documents: dict, *, expect: int) -> bool:
        fresh = not self.exists()
        try:
            with self._write() as (_, catalog):
                if catalog.generation != expect and not (fresh and expect == 0):
                    raise _Conflict
                catalog.documents = copy.deepcopy(documents)
        except _Conflict:
            return False
        return True

    # -------------------------------------------------------------------------------------------- reads

    def read(
        self,
        keys: Sequence[tuple[str, str, str]],
        *,
        start=None,
        stop=None,
        rows=None,
        fields=None,
        exact=False,
    ) -> list:
        results = []
        with self._read() as (h5, catalog):
            for i, (run, tag, part) in enumerate(keys):
                entry = catalog.get(run, tag, part)
                if entry is None:
                    results.append(None)
                    continue
                span = (0, None) if rows is None else rows[i]
                source = _Source(h5["series"][entry.id])
                results.append(assemble(source, entry, start, stop, span, fields, exact))
        return results

    def __repr__(self) -> str:
        return f"<HDF5Backend {self.location!r}>"


class _DryRun(Exception):
    """Thrown at the end of a trial commit so that nothing it wrote becomes visible."""


class _Conflict(Exception):
    """The documents changed between ``documents()`` and ``put_documents()``."""


class _CachingRead:
    """A read transaction reusing the parsed catalog while the file's catalog is unchanged."""

    def __init__(self, backend: HDF5Backend):
        self.backend = backend
        self._inner = None

    def __enter__(self):
        self._inner = read_transaction(self.backend.path, self.backend._cached)
        h5, catalog = self._inner.__enter__()
        self.backend._cached = catalog
        return h5, catalog

    def __exit__(self, *exc):
        return self._inner.__exit__(*exc)


__all__ = ["HDF5Backend"]
