"""The storage backend interface: what the journal, the writer and the reader need from a place that holds data.

A backend keeps a :class:`~ploteries.storage.catalog.Catalog` (series, their blocks with committed lengths,
writers' committed sequence numbers, documents) and the records behind it. Everything crossing the interface is
plain numpy arrays and JSON-able values, so that a backend can live on the other side of a network.

The journal and batching sit above it (``DatabaseWriter``): a backend only ever sees whole batches, each
tagged with its writer and that writer's last sequence number, and applies a batch atomically and once.

Modelled on zarr v3's ``zarr.abc.store.Store``: a few abstract methods, explicit capabilities, and a
conformance suite (:mod:`ploteries.testing.backend`) that every backend passes.

Examples
--------
>>> from ploteries.storage.memory import MemoryBackend
>>> backend = MemoryBackend()
>>> backend.capabilities.durable
False
>>> backend.catalog().series
[]
"""

from __future__ import annotations

import abc
import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from .catalog import Catalog

DOCUMENT_RETRIES = 100


@dataclasses.dataclass(frozen=True)
class Capabilities:
    """What a backend guarantees; callers and the conformance suite adapt to these flags.

    Attributes
    ----------
    durable : bool
        Committed data outlives the process (a file, a server), so a journal can be replayed into it later.
    multi_process : bool
        Several processes may commit to one database at the same time.
    writable : bool
        ``commit`` and the maintenance methods are allowed.
    checksums : bool
        Damaged stored data raises an error instead of returning wrong values.
    """

    durable: bool
    multi_process: bool
    writable: bool = True
    checksums: bool = False


class Backend(abc.ABC):
    """Where a database's catalog and records live.

    Subclasses implement the abstract methods; :meth:`update_documents` is built on :meth:`documents` and
    :meth:`put_documents`. Every method is one atomic step: it sees one committed state and leaves another.
    """

    capabilities: Capabilities
    location: str  # for messages: a path or an address

    @property
    @abc.abstractmethod
    def journal_dir(self) -> Path:
        """A local directory where writers of this database keep their journals (made on demand)."""

    # ------------------------------------------------------------------------------------------- catalog

    @abc.abstractmethod
    def catalog(self) -> Catalog:
        """The committed catalog (cheap when nothing changed since the last call). Do not modify it."""

    @abc.abstractmethod
    def exists(self) -> bool:
        """True if the database holds a committed catalog (a new database exists after its first commit)."""

    # -------------------------------------------------------------------------------------------- writing

    def create(self) -> None:  # noqa: B027 - backends that need no set-up inherit this
        """Make the (empty) database exist now if it does not (a writer's file appears when it starts)."""

    @abc.abstractmethod
    def commit(self, batch, *, dry_run: bool = False) -> bool:
        """Apply ``batch`` (a :class:`~ploteries.storage.batch.Batch`) atomically: all of it or none.

        Idempotent: if the catalog says ``batch.writer`` already committed ``batch.last_seq`` (a replay racing
        the live writer), nothing changes and False is returned; otherwise True. ``dry_run=True`` does all the
        work and then throws it away (raising what a real commit would raise): a test of whether the database
        can hold these records.
        """

    def repair(self) -> None:  # noqa: B027 - backends whose structure cannot be damaged inherit this
        """Put the database's structure right from its committed content (after a crash left it damaged)."""

    @abc.abstractmethod
    def purge(self, run: str, from_step: int) -> int:
        """Remove the committed records of ``run`` with step >= ``from_step``; returns how many."""

    @abc.abstractmethod
    def delete_run(self, run: str) -> int:
        """Delete every series of ``run``; returns how many series were deleted."""

    @abc.abstractmethod
    def rename_run(self, old: str, new: str) -> None:
        """Rename run ``old`` to ``new``; ``KeyError`` if ``old`` is missing, ``ValueError`` if ``new`` exists."""

    # ------------------------------------------------------------------------------------------ documents

    @abc.abstractmethod
    def documents(self) -> tuple[dict, int]:
        """Every document (``{name: JSON value}``, a copy) and a version for :meth:`put_documents`."""

    @abc.abstractmethod
    def put_documents(self, documents: dict, *, expect: int) -> bool:
        """Replace every document by ``documents`` if the version is still ``expect``; False otherwise."""

    def update_documents(self, update: Callable[[dict], dict]) -> dict:
        """Atomically replace the documents by ``update(documents)``; returns the new documents.

        Optimistic: ``update`` may run again when another process changed the database in between.
        """
        for _ in range(DOCUMENT_RETRIES):
            current, version = self.documents()
            new = update(current)
            if not isinstance(new, dict):
                raise TypeError(f"update must return a dict of documents, got {type(new).__name__}.")
            if self.put_documents(new, expect=version):
                return new
        raise TimeoutError(
            f"could not update the documents of {self.location}: it changed under us {DOCUMENT_RETRIES} times."
        )

    # -------------------------------------------------------------------------------------------- reading

    @abc.abstractmethod
    def read(
        self,
        keys: Sequence[tuple[str, str, str]],
        *,
        start: int | None = None,
        stop: int | None = None,
        rows: Sequence[tuple[int, int | None]] | None = None,
        fields: Sequence[str] | None = None,
        exact: bool = False,
    ) -> list:
        """Read several series from one committed state: one result per key.

        A result is what :func:`ploteries.storage.assemble.assemble` gives for the series (a structured
        array or ``RaggedRecords``; ``exact=True`` always gives ``RaggedRecords`` with each record's own dtype),
        or None for a key naming no series. ``rows`` gives each key's ``(from_row, to_row)`` span.
        """

    def close(self) -> None:  # noqa: B027 - most backends hold nothing between calls
        """Release what the backend holds (files are never held between calls)."""


def open_backend(target, *, create: bool = False, fsync: bool = False) -> Backend:
    """The backend for ``target``: a :class:`Backend` is returned as is, a path gives the HDF5 backend.

    ``create`` lets the first commit create a missing file; ``fsync`` syncs it at every commit.

    Examples
    --------
    >>> open_backend("runs/db.h5", create=True)  # doctest: +SKIP
    <HDF5Backend 'runs/db.h5'>
    """
    if isinstance(target, Backend):
        return target
    if isinstance(target, str | os.PathLike):
        from .hdf5.backend import HDF5Backend

        return HDF5Backend(Path(target), create=create, fsync=fsync)
    raise TypeError(
        f"a database must be a path or a storage Backend, got {type(target).__name__}; pass e.g. 'runs/db.h5'."
    )


__all__ = ["Backend", "Capabilities", "open_backend"]
