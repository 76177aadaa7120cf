"""An in-memory backend: the reference model of the backend contract (and a fast store for tests).

Everything lives in Python objects; a commit builds the next state aside and swaps it in, so it is atomic and
a failing batch leaves nothing behind. Not durable and not shared between processes.

Examples
--------
>>> import numpy as np
>>> from ploteries.storage import DatabaseWriter, open
>>> backend = MemoryBackend()
>>> with DatabaseWriter(backend) as w:
...     w.append_scalar("exp", "loss", 0.5, step=1)
>>> open(backend).read("exp", "loss")["value"].tolist()
[0.5]
"""

from __future__ import annotations

import copy
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .assemble import assemble
from .backend import Backend, Capabilities
from .batch import apply_batch
from .catalog import Block, Catalog, SeriesEntry, rename_in_catalog
from .hdf5.format import fixed_row_dtype, ragged_index_dtype
from .values import check_name


class _Rows:
    """The stored rows of one block: fixed blocks keep row arrays, ragged ones index rows plus values."""

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []  # fixed: structured rows; ragged: index rows
        self.values: list[np.ndarray] = []  # ragged only

    def table(self) -> np.ndarray:
        if len(self.parts) > 1:
            self.parts = [np.concatenate(self.parts)]
        return self.parts[0]


class _Source:
    """:class:`~ploteries.storage.assemble.BlockSource` over one series' in-memory blocks."""

    def __init__(self, data: dict, entry: SeriesEntry):
        self.data = data
        self.entry = entry

    def _rows(self, block: Block) -> _Rows:
        return self.data[(self.entry.id, block.name)]

    def fixed(self, block, lo, hi):
        return self._rows(block).table()[lo : min(hi, block.rows)].copy()

    def ragged(self, block, lo, hi):
        rows = self._rows(block)
        hi = min(hi, block.rows)
        return rows.table()[lo:hi].copy(), [v.copy() for v in rows.values[lo:hi]]

    def steps(self, block):
        return self._rows(block).table()["step"][: block.rows].copy()

    def index(self, block, lo, hi):
        return self._rows(block).table()[["step", "wall_time"]][lo : min(hi, block.rows)].copy()


class _Sink:
    """:class:`~ploteries.storage.batch.BlockSink` that adds rows to a copy-on-write dict of blocks."""

    def __init__(self, data: dict):
        self.data = data

    def new_series(self, entry):
        pass

    def new_block(self, entry, block):
        self.data[(entry.id, block.name)] = _Rows()

    def _rows(self, entry, block) -> _Rows:
        key = (entry.id, block.name)
        old = self.data[key]
        new = self.data[key] = _Rows()  # never touch rows the committed state shares
        new.parts, new.values = list(old.parts), list(old.values)
        return new

    def append_fixed(self, entry, block, steps, walls, values):
        rows = np.empty(len(steps), fixed_row_dtype(block, stored=False))
        rows["step"], rows["wall_time"] = steps, walls
        rows["value"] = values.reshape((len(steps), *block.shape))
        self._rows(entry, block).parts.append(rows)

    def append_ragged(self, entry, block, steps, walls, values):
        index = np.empty(len(steps), ragged_index_dtype(block.ndim))
        index["step"], index["wall_time"] = steps, walls
        index["offset"] = 0
        index["shape"] = np.array([v.shape for v in values], np.int64).reshape(len(steps), block.ndim)
        target = self._rows(entry, block)
        target.parts.append(index)
        target.values += [np.array(v, copy=True) for v in values]


class MemoryBackend(Backend):
    """The reference backend: a catalog and numpy arrays in this process.

    Parameters
    ----------
    journal_dir : str or Path, optional
        Where writers keep their journals; a new temporary directory by default.
    """

    capabilities = Capabilities(durable=False, multi_process=False, writable=True, checksums=False)

    def __init__(self, journal_dir=None):
        self.location = f"memory:{id(self):x}"
        self._journal_dir = (
            Path(journal_dir) if journal_dir else Path(tempfile.mkdtemp(prefix="ploteries-mem-"))
        )
        self._lock = threading.Lock()
        self._state: tuple[Catalog, dict] = (Catalog(uid=f"mem{id(self):x}"), {})  # swapped as one

    @property
    def journal_dir(self) -> Path:
        return self._journal_dir / "journal"

    def catalog(self) -> Catalog:
        return self._state[0]

    def exists(self) -> bool:
        return True  # an in-memory database exists as soon as it is made

    def _transaction(self, change, *, dry_run: bool = False) -> object:
        """Run ``change(catalog, data)`` on copies and publish them if it returns (atomic; the lock held)."""
        with self._lock:
            catalog, data = copy.deepcopy(self._state[0]), dict(self._state[1])
            result = change(catalog, data)
            if result is not False and not dry_run:
                catalog.generation += 1
                self._state = (catalog, data)
            return result

    def commit(self, batch, *, dry_run: bool = False) -> bool:
        def change(catalog: Catalog, data: dict):
            if batch.last_seq <= catalog.writers.get(batch.writer, 0) and not dry_run:
                return False
            apply_batch(catalog, batch, _Sink(data))
            return True

        return self._transaction(change, dry_run=dry_run)

    def purge(self, run: str, from_step: int) -> int:
        def change(catalog: Catalog, data: dict) -> int:
            removed = 0
            for entry in catalog.series:
                if entry.run != run:
                    continue
                hit = False
                for block in entry.blocks:
                    if block.step_max is None or block.step_max < from_step:
                        continue
                    source = _Source(data, entry)
                    keep = source.steps(block) < from_step
                    removed += int((~keep).sum())
                    rows = _Rows()
                    rows.parts = [source._rows(block).table()[: block.rows][keep]]
                    if block.layout == "ragged":
                        rows.values = [v for v, k in zip(source._rows(block).values, keep) if k]
                        block.flat = sum(v.size for v in rows.values)
                    data[(entry.id, block.name)] = rows
                    block.rows = int(keep.sum())
                    block.step_min = block.step_max = block.last_step = None
                    block.sorted = True
                    block.note_steps(rows.parts[0]["step"])
                    hit = True
                entry.epoch += hit
            return removed

        return self._transaction(change)

    def delete_run(self, run: str) -> int:
        check_name(run, "run", allow_empty=True)

        def change(catalog: Catalog, data: dict) -> int:
            doomed = [e for e in catalog.series if e.run == run]
            for entry in doomed:
                catalog.remove_series(entry)
                for block in entry.blocks:
                    data.pop((entry.id, block.name), None)
            return len(doomed)

        return self._transaction(change)

    def rename_run(self, old: str, new: str) -> None:
        check_name(old, "old", allow_empty=True)
        check_name(new, "new", allow_empty=True)

        def change(catalog: Catalog, data: dict) -> None:
            rename_in_catalog(catalog, old, new, self.location)

        self._transaction(change)

    def documents(self) -> tuple[dict, int]:
        with self._lock:
            catalog = self._state[0]
            return copy.deepcopy(catalog.documents), catalog.generation

    def put_documents(self, documents: dict, *, expect: int) -> bool:
        def change(catalog: Catalog, data: dict) -> bool:
            if catalog.generation != expect:
                return False
            catalog.documents = copy.deepcopy(documents)
            return True

        return self._transaction(change)

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
        catalog, data = self._state
        results = []
        for i, (run, tag, part) in enumerate(keys):
            entry = catalog.get(run, tag, part)
            if entry is None:
                results.append(None)
                continue
            span = (0, None) if rows is None else rows[i]
            results.append(assemble(_Source(data, entry), entry, start, stop, span, fields, exact))
        return results

    def __repr__(self) -> str:
        return f"<MemoryBackend {self.location}>"


__all__ = ["MemoryBackend"]
