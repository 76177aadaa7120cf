"""The HDF5 backend: a ploteries database in one local HDF5 file (see docs/format.md).

Each method is one short transaction: take the lock, open the file, work, close, unlock; nothing is held
between calls, so several processes can write one file. A transaction costs what it changes (formats 2 and
3: see ``layout``). Readers take a shared lock when it is free; when a writer holds the lock longer than
``READ_PATIENCE`` (a stopped or stalled process), they read without it: they only ever look at what the
committed head points to, which no transaction modifies, and checksums catch a read that raced a write.
Files of older versions (1, 2) are read as they are and converted to version 3 by their first write.
"""

from __future__ import annotations

import copy
import errno
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import h5py

from ..assemble import assemble
from ..backend import Backend, Capabilities
from ..batch import Batch, apply_batch
from ..catalog import Block, Catalog, SeriesEntry, runs_to_rename
from ..errors import NotADatabaseError
from ..journal import journal_dir
from ..values import check_name
from . import layout
from .format import (
    FORMAT_ATTR,
    append_fixed,
    append_ragged,
    check_space,
    open_h5,
    read_catalog,
    read_fixed,
    read_fixed_steps,
    read_ragged,
    read_ragged_steps,
)
from .locking import _same_file, file_lock, lock_descriptor
from .repair import create_laid_out, rebuild

READ_PATIENCE = 0.1  # seconds a reader waits for a writer's transaction before reading without the lock
READ_RETRIES = 20  # lock-free reads that met a transaction in flight are tried again this often


class _Source:
    """:class:`~ploteries.storage.assemble.BlockSource` over the block nodes of an open file."""

    def __init__(self, node: Callable[[Block], object]):
        self.node = node

    def fixed(self, block, lo, hi):
        return read_fixed(self.node(block), block, lo, hi)

    def ragged(self, block, lo, hi):
        return read_ragged(self.node(block), block, lo, hi)

    def steps(self, block):
        node = self.node(block)
        return read_fixed_steps(node, block) if block.layout == "fixed" else read_ragged_steps(node, block)

    def index(self, block, lo, hi):
        node = self.node(block)
        table = node if block.layout == "fixed" else node["index"]
        return table.fields(["step", "wall_time"])[lo:hi]


def _child(group: h5py.Group, block: Block):
    """``group[block.name]``; a fixed block's dataset opened by the low-level API (a third of the time, which
    counts when a page reads a thousand short series)."""
    if block.layout == "fixed":
        return h5py.Dataset(h5py.h5d.open(group.id, block.name.encode()))
    return group[block.name]


def _nodes(h5: h5py.File, entry: SeriesEntry) -> Callable[[Block], object]:
    """How to find a block's node: versions 2 and 3 keep blocks under /data/<key>, version 1 under /series/<id>/."""
    if "data" in h5:
        data = h5["data"]
        return lambda block: _child(data, block)
    group = h5["series"][entry.id]
    return lambda block: group[block.name]


class _Working:
    """The catalog a write transaction changes: copies of the entries it touches, on top of the committed view.

    Quacks like :class:`~ploteries.storage.catalog.Catalog` for :func:`~ploteries.storage.batch.apply_batch`
    without copying the whole catalog (a commit costs what it changes).
    """

    def __init__(self, view: layout.View):
        self.view = view
        self.catalog = view.catalog
        self.writers = dict(view.catalog.writers)
        self.next_id = view.catalog.next_id
        self.copies: dict[str, SeriesEntry] = {}  # series id -> the entry as this transaction leaves it
        self.originals: dict[str, SeriesEntry] = {}
        self.added: dict[tuple, SeriesEntry] = {}

    def get(self, run: str, tag: str, part: str = "") -> SeriesEntry | None:
        key = (run, tag, part)
        if key in self.added:
            return self.added[key]
        entry = self.catalog.get(run, tag, part)
        if entry is None:
            return None
        if entry.id not in self.copies:
            self.originals[entry.id] = entry
            self.copies[entry.id] = layout._entry_copy(entry)
        return self.copies[entry.id]

    def add_series(self, run, tag, part, kind, meta, ragged) -> SeriesEntry:
        entry = SeriesEntry(f"s{self.next_id:06d}", run, tag, part, kind, dict(meta), ragged=ragged)
        self.next_id += 1
        self.added[entry.key] = entry
        self.copies[entry.id] = entry
        return entry


class _Transaction:
    """One version-2 write: collects log operations and changed keys, and writes them at the end."""

    def __init__(self, h5: h5py.File, view: layout.View):
        self.h5 = h5
        self.view = view
        self.generation = view.head.generation + 1
        self.ops: list[dict] = []
        self.states: dict[int, tuple] = {}
        self.new_keys = 0
        self.changed_blocks: dict[int, Block] = {}
        self.doomed: list[str] = []  # data nodes deleted once the head no longer needs them

    def new_key(self) -> int:
        key = self.view.head.state_len + self.new_keys
        self.new_keys += 1
        return key

    # BlockSink
    def new_series(self, entry: SeriesEntry) -> None:
        self.ops.append(layout.series_op(entry))

    def new_block(self, entry: SeriesEntry, block: Block, rows: int) -> None:
        block.name = str(self.new_key())
        layout.block_limit(entry, block, rows)
        layout.create_block(self.h5["data"], block)
        self.ops.append(layout.block_op(entry, block))
        self.changed_blocks[int(block.name)] = block

    def append_fixed(self, entry, block, steps, walls, values):
        append_fixed(self.h5["data"][block.name], block, steps, walls, values)
        self.changed_blocks[int(block.name)] = block

    def append_ragged(self, entry, block, steps, walls, values):
        append_ragged(self.h5["data"][block.name], block, steps, walls, values)
        self.changed_blocks[int(block.name)] = block

    def set_writer(self, writer: str, seq: int) -> None:
        key = self.view.writer_keys.get(writer)
        if key is None:
            key = self.new_key()
            self.ops.append({"op": "writer", "w": writer, "k": key})
        self.states[key] = layout.slot_row(None, self.generation, seq)

    def finish(self) -> layout.Head:
        for key, block in self.changed_blocks.items():
            self.states[key] = layout.slot_row(block, self.generation)
        leftovers = layout.announce(self.h5, self.view)
        return layout.commit_state(self.h5, self.view, self.ops, self.states, self.new_keys, leftovers)


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

    capabilities = Capabilities(durable=True, multi_process=True, writable=True, checksums=True)

    def __init__(self, path, *, create: bool = False, fsync: bool = False):
        self.path = Path(path)
        self.location = str(self.path)
        self._create = create
        self.fsync = fsync
        self._view: layout.View | None = (
            None  # versions 2-3: the catalog as last read, refreshed incrementally
        )
        self._v1: Catalog | None = None  # version 1: the catalog as last read
        self._stalled = False  # the last read found the lock held past READ_PATIENCE

    @property
    def journal_dir(self) -> Path:
        return journal_dir(self.path)

    def exists(self) -> bool:
        return self.path.exists() and self.path.stat().st_size > 0

    # ------------------------------------------------------------------------------------------ reading

    def _catalog_of(self, h5: h5py.File, fd: int, racing: bool = False) -> Catalog:
        version = h5.attrs.get(FORMAT_ATTR)
        if version is not None and int(version) in layout.READABLE:
            stat = os.fstat(fd)
            self._view = layout.load(h5, self.path, (stat.st_dev, stat.st_ino), self._view, racing=racing)
            return self._view.catalog
        self._v1 = read_catalog(h5, self.path, self._v1)  # raises on foreign files and newer versions
        return self._v1

    def _with_read(self, work: Callable[[h5py.File, Catalog], object]):
        """Run ``work(file, catalog)`` on one committed state: under the shared lock when it is free within
        ``READ_PATIENCE``, otherwise without it, retrying a read that raced a write."""
        for _ in range(100):
            try:
                fd = os.open(self.path, os.O_RDONLY)
            except FileNotFoundError:
                raise FileNotFoundError(
                    2,
                    f"no ploteries database at {self.path}; check the path (ploteries.find_databases "
                    "lists the databases below a directory).",
                ) from None
            except IsADirectoryError:
                raise layout.not_a_database(
                    self.path, "it is a directory; pass the path of a .h5 file."
                ) from None
            try:
                locked = self._lock_shared(fd)
                if locked and not _same_file(fd, self.path):
                    continue  # a rebuild swapped the file in while we waited: lock the new one
                if os.fstat(fd).st_size == 0:
                    raise layout.not_a_database(self.path, "the file is empty.")
                return self._read_attempts(fd, locked, work)
            finally:
                os.close(fd)
        raise OSError(errno.EAGAIN, f"{self.path} kept being replaced while reading it; try again.")

    def _read_attempts(self, fd: int, locked: bool, work):
        last: BaseException | None = None
        attempts = 1 if locked else READ_RETRIES
        for attempt in range(attempts):
            try:
                with open_h5(self.path, "r") as h5:
                    return work(h5, self._catalog_of(h5, fd, racing=attempt < attempts - 1))
            except NotADatabaseError:
                raise
            except (layout._Torn, OSError, KeyError, ValueError, RuntimeError) as exc:
                if locked or isinstance(exc, FileNotFoundError):
                    raise _damaged(self.path, exc) from exc
                last = exc
                self._view = None
                time.sleep(0.002 * (attempt + 1))
        raise _damaged(self.path, last) from last

    def _lock_shared(self, fd: int) -> bool:
        """Take the shared lock if a writer releases it soon; False (read without it) when it does not."""
        deadline = time.monotonic() + (0 if self._stalled else READ_PATIENCE)
        while True:
            if lock_descriptor(fd, exclusive=False, blocking=False):
                self._stalled = False
                return True
            if time.monotonic() >= deadline:
                self._stalled = True
                return False
            time.sleep(0.002)

    def catalog(self) -> Catalog:
        return self._with_read(lambda h5, catalog: catalog)

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
        def work(h5, catalog):
            results = []
            for i, (run, tag, part) in enumerate(keys):
                entry = catalog.get(run, tag, part)
                if entry is None:
                    results.append(None)
                    continue
                span = (0, None) if rows is None else rows[i]
                results.append(assemble(_Source(_nodes(h5, entry)), entry, start, stop, span, fields, exact))
            return results

        return self._with_read(work)

    # -------------------------------------------------------------------------------------------- writes

    def create(self) -> None:
        self._write(lambda tx, working: None)

    def _write(self, body: Callable, *, reserve: int = 0, create: bool | None = None):
        """Run ``body(transaction, working catalog)`` as one transaction; returns what it returns.

        If ``body`` raises (or returns ``_ABORT``), nothing becomes visible. An older file is converted first.
        """
        create = self._create if create is None else create
        for _ in range(10):
            if self._view is None and self.exists() and _version(self.path) != layout.FORMAT_VERSION:
                rebuild(self.path)  # version 1 or 2 -> 3, under the exclusive lock
            try:
                return self._write_once(body, reserve, create)
            except (_StaleVersion, _Created):
                continue
        raise OSError(
            errno.EAGAIN, f"could not convert {self.path} to format version {layout.FORMAT_VERSION}."
        )

    def _write_once(self, body, reserve: int, create: bool):
        with file_lock(self.path, exclusive=True, create=create) as fd:
            if os.fstat(fd).st_size == 0:
                if not create:
                    raise layout.not_a_database(self.path, "the file is empty.")
                create_laid_out(self.path)
                raise _Created  # our lock is on the empty file it replaced: lock the new one
            try:
                h5 = h5py.File(self.path, "r+", locking=False, libver=layout.LIBVER)
            except OSError as exc:
                raise _damaged(self.path, exc) from exc
            try:
                if int(h5.attrs.get(FORMAT_ATTR, 0)) != layout.FORMAT_VERSION:
                    raise _StaleVersion
                stat = os.fstat(fd)
                view = layout.load(h5, self.path, (stat.st_dev, stat.st_ino), self._view)
                self._view = view
                if reserve:
                    check_space(self.path, reserve + 2**20)
                tx = _Transaction(h5, view)
                working = _Working(view)
                result = body(tx, working)
                if result is _ABORT:
                    return False
                head = tx.finish()
                h5.flush()  # data and catalog rows before the head that makes them visible
                if self.fsync:
                    os.fsync(fd)
                layout.write_head(h5, head)
                h5.flush()
                for name in tx.doomed:
                    del h5["data"][name]
            except BaseException:
                self._view = None  # what we read may be half-applied in memory: read it again next time
                raise
            finally:
                h5.close()
            if self.fsync:
                os.fsync(fd)
        return result

    def commit(self, batch: Batch, *, dry_run: bool = False) -> bool:
        return self._commit_once(batch, dry_run)

    def _commit_once(self, batch: Batch, dry_run: bool = False) -> bool:
        def body(tx: _Transaction, working: _Working):
            if batch.last_seq <= working.writers.get(batch.writer, 0) and not dry_run:
                return _ABORT  # already committed (a replay raced with the live writer)
            changed = apply_batch(working, batch, tx)
            if dry_run:
                return _ABORT  # everything was written; nothing becomes visible
            for entry in changed:
                original = working.originals.get(entry.id)
                if original is not None and original.meta != entry.meta:
                    tx.ops.append({"op": "meta", "s": entry.id, "meta": entry.meta})
            tx.set_writer(batch.writer, batch.last_seq)
            return True

        return bool(self._write(body, reserve=batch.reserve_bytes()))

    def repair(self) -> None:
        rebuild(self.path)

    def purge(self, run: str, from_step: int) -> int:
        def body(tx: _Transaction, working: _Working) -> int:
            removed = 0
            for entry in working.catalog.series:
                if entry.run != run or not any(
                    b.step_max is not None and b.step_max >= from_step for b in entry.blocks
                ):
                    continue
                source = _Source(_nodes(tx.h5, entry))
                copy_ = working.get(entry.run, entry.tag, entry.part)
                copy_.epoch += 1
                tx.ops.append({"op": "reset", "s": entry.id, "epoch": copy_.epoch})
                blocks, copy_.blocks = copy_.blocks, []
                for block in blocks:
                    if block.step_max is None or block.step_max < from_step:
                        copy_.blocks.append(block)  # kept as it is, declared again
                        tx.ops.append(layout.block_op(copy_, block))
                        tx.states[int(block.name)] = layout.slot_row(block, tx.generation)
                        continue
                    removed += _rewrite_block(tx, copy_, block, source, from_step)
            return removed

        return self._write(body, create=True)

    def delete_run(self, run: str) -> int:
        check_name(run, "run", allow_empty=True)

        def body(tx: _Transaction, working: _Working) -> int:
            doomed = [e for e in working.catalog.series if e.run == run]
            if doomed:
                tx.ops.append({"op": "drop", "s": [e.id for e in doomed]})
            tx.doomed += [b.name for e in doomed for b in e.blocks]
            return len(doomed)

        return self._write(body, create=False)

    def rename_run(self, old: str, new: str) -> None:
        check_name(old, "old", allow_empty=True)
        check_name(new, "new", allow_empty=True)

        def body(tx: _Transaction, working: _Working) -> None:
            renamed = runs_to_rename(working.catalog, old, new, self.location)
            tx.ops.append({"op": "rename", "s": [e.id for e in renamed], "run": new})

        self._write(body, create=False)

    # ----------------------------------------------------------------------------------------- documents

    def documents(self) -> tuple[dict, int]:
        if not self.exists():
            return {}, 0
        catalog = self.catalog()
        return copy.deepcopy(catalog.documents), catalog.generation

    def put_documents(self, documents: dict, *, expect: int) -> bool:
        fresh = not self.exists()

        def body(tx: _Transaction, working: _Working):
            if working.catalog.generation != expect and not (fresh and expect == 0):
                return _ABORT
            tx.ops.append({"op": "docs", "docs": copy.deepcopy(documents)})
            return True

        return self._write(body)

    def __repr__(self) -> str:
        return f"<HDF5Backend {self.location!r}>"


_ABORT = object()


class _Created(Exception):
    """The empty file was replaced by a laid-out database: lock it and start the transaction again."""


class _StaleVersion(Exception):
    """The file is not (or no longer) of the format version this ploteries writes: convert it and try again."""


def _version(path: Path) -> int:
    """The format version of the file at ``path``, read under the shared lock: another process creating the
    database holds the exclusive lock until its file is laid out (read without it, a half-written file failed as
    "truncated file"). An empty file is a database about to be laid out: the current version."""
    with file_lock(path, exclusive=False) as fd:
        if os.fstat(fd).st_size == 0:
            return layout.FORMAT_VERSION
        with open_h5(path, "r") as h5:
            return int(h5.attrs.get(FORMAT_ATTR, 0))


def _rewrite_block(
    tx: _Transaction, entry: SeriesEntry, block: Block, source: _Source, from_step: int
) -> int:
    """Copy the rows of ``block`` with step < ``from_step`` into a new block of ``entry``; how many were dropped."""
    steps = source.steps(block)
    keep = steps < from_step
    if block.layout == "fixed":
        rows = source.fixed(block, 0, block.rows)[keep]
        values = [rows["value"]] if len(rows) else []
    else:
        index, vals = source.ragged(block, 0, block.rows)
        rows = index[keep]
        values = [v for v, k in zip(vals, keep) if k]
    tx.doomed.append(block.name)
    if len(rows):
        limit = None if block.limit is None else max(block.limit, len(rows))  # room for every kept row
        new = Block("", block.layout, block.dtype, block.shape, block.ndim, limit=limit)
        entry.blocks.append(new)
        tx.new_block(entry, new, len(rows))
        if block.layout == "fixed":
            tx.append_fixed(entry, new, rows["step"], rows["wall_time"], values[0])
        else:
            tx.append_ragged(entry, new, rows["step"], rows["wall_time"], values)
            new.flat = sum(v.size for v in values)
        new.rows = len(rows)
        new.note_steps(rows["step"])
    return int((~keep).sum())


def _damaged(path: Path, exc: BaseException | None) -> BaseException:
    """A read error, said with the file's name (a checksum failure means the file changed on disk)."""
    text = str(exc)
    if isinstance(exc, OSError) and ("checksum" in text.lower() or "filter" in text.lower()):
        err = OSError(
            errno.EIO,
            f"ploteries database {path} is damaged: {text}. Data failed its checksum (the file changed on disk); "
            "restore the file from a copy.",
        )
        err.__cause__ = exc
        return err
    if isinstance(exc, layout._Torn):
        return OSError(errno.EIO, f"ploteries database {path} could not be read consistently: {text}")
    return exc


__all__ = ["HDF5Backend"]
