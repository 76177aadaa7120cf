"""The store of figure definitions (``db.figures``): documents ``figure/<id>`` of a database.

The one module of :mod:`ploteries.figures` that touches storage, through its documents API only
(:meth:`ploteries.storage.Database.documents` and :func:`ploteries.storage.update_documents`).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from ploteries.storage import Database, update_documents

from .schema import (
    DefinitionError,
    DefinitionTypeError,
    FigureNotFoundError,
    StaleDefinitionError,
    _expect,
    _suggest,
    merge_patch,
    strip_store_keys,
    validate_definition,
)

DOCUMENT_PREFIX = "figure/"
"""Definitions are the documents named ``figure/<id>``."""


class FigureStore:
    """The figure definitions of one database (``ploteries.open(path).figures``): add, list, get, update, delete.

    Each definition is the document ``figure/<id>`` of the database. Every change is one locked
    read-modify-write transaction, safe while writers of other processes append data. The store keeps
    ``version`` (1 on add, +1 on every update) and ``updated`` (``time.time()`` of the last change) in each
    definition so pollers see changes cheaply. Iterating gives the ids, like a mapping.

    Examples
    --------
    >>> figs = ploteries.open("runs/db.h5").figures                                 # doctest: +SKIP
    >>> figs.add(id="loss", series={"l": {"tag": "loss"}},
    ...          figure={"data": [{"x": "$l.step", "y": "$l.value", "name": "$run"}]})  # doctest: +SKIP
    >>> figs.update("loss", {"figure": {"layout": {"yaxis": {"type": "log"}}}})     # doctest: +SKIP
    >>> "loss" in figs, len(figs), figs.get("loss")["version"]                      # doctest: +SKIP
    (True, 1, 2)
    >>> figs.delete("loss")                                                          # doctest: +SKIP
    """

    def __init__(self, database: str | Path | Database):
        """``database``: the path of a database, or an open :class:`~ploteries.storage.Database` to share."""
        self._database = database if isinstance(database, Database) else None
        self.path = Path(database.path if self._database is not None else database)

    def _stored(self) -> dict[str, dict]:
        """The stored definitions (fresh copies), by id."""
        if self._database is None:
            self._database = Database(self.path)
        documents = self._database.documents()
        return {
            name[len(DOCUMENT_PREFIX) :]: value
            for name, value in documents.items()
            if name.startswith(DOCUMENT_PREFIX)
        }

    def _missing(self, fid: str, ids) -> FigureNotFoundError:
        return FigureNotFoundError(
            f"no figure {fid!r} in {self.path}{_suggest(str(fid), ids)}; figures: {sorted(ids) or 'none'}"
        )

    def ids(self) -> list[str]:
        """The figure ids, sorted."""
        return sorted(self._stored())

    def list(self) -> list[dict]:
        """Every definition (as stored, with ``version`` and ``updated``), sorted by id."""
        stored = self._stored()
        return [stored[fid] for fid in sorted(stored)]

    def get(self, fid: str, /) -> dict:
        """One definition; ``FigureNotFoundError`` (a ``KeyError``) naming the existing ids if absent."""
        stored = self._stored()
        if fid not in stored:
            raise self._missing(fid, stored)
        return stored[fid]

    def add(self, definition: Mapping | None = None, /, **fields) -> dict:
        """Add a new definition (a dict and/or keyword fields); returns it as stored.

        Raises ``DefinitionError`` for an invalid definition and for an id that exists (use :meth:`update`).
        """
        new = validate_definition({**(definition or {}), **fields})

        def add_one(documents: dict) -> dict:
            name = DOCUMENT_PREFIX + new["id"]
            if name in documents:
                raise DefinitionError(
                    f"a figure with id {new['id']!r} exists in {self.path}; pick another id, or change it with "
                    f"update({new['id']!r}, ...) (ploteries figures edit)."
                )
            documents[name] = {**strip_store_keys(new), "version": 1, "updated": time.time()}
            return documents

        return self._write(add_one)[new["id"]]

    def update(
        self,
        fid: str,
        changes: Mapping | Callable[[dict], dict] | None = None,
        /,
        *,
        replace: bool = False,
        if_version: int | None = None,
        **fields,
    ) -> dict:
        """Change a definition; returns it as stored (``version`` + 1).

        Parameters
        ----------
        changes : dict or callable
            A dict is deep-merged into the definition (JSON Merge Patch: objects merge, lists are replaced,
            null removes a key so its default applies); with ``replace=True`` it replaces the definition.
            A callable gets the current definition and returns the new one (runs inside the write lock:
            keep it short).
        if_version : int, optional
            Fail (nothing written) unless the stored ``version`` is this one: an edit based on a stale copy.
        **fields
            Top-level fields merged like ``changes``.
        """

        def update_one(documents: dict) -> dict:
            name = DOCUMENT_PREFIX + fid
            if name not in documents:
                raise self._missing(fid, [n[len(DOCUMENT_PREFIX) :] for n in documents])
            current = documents[name]
            if if_version is not None and current.get("version") != if_version:
                raise StaleDefinitionError(
                    f"figure {fid!r} changed meanwhile (version {current.get('version')}, expected "
                    f"{if_version}); nothing written: start again from the current definition."
                )
            base = strip_store_keys(current)
            if changes is not None and not callable(changes) and not isinstance(changes, Mapping):
                raise DefinitionTypeError(
                    f"changes must be a dict (merged), a callable or None, got {type(changes).__name__}."
                )
            if callable(changes):
                wanted = merge_patch(changes(copy.deepcopy(base)), fields)
            elif replace:
                wanted = {**(changes or {}), **fields}
            else:
                wanted = merge_patch(merge_patch(base, dict(changes or {})), fields)
            _expect(wanted, dict, "the updated definition", "an object")
            wanted = {"id": fid, **strip_store_keys(wanted)}
            if wanted["id"] != fid:
                raise DefinitionError(
                    f"id cannot change from {fid!r} to {wanted['id']!r}; add a copy with the new id and delete "
                    "the old one."
                )
            new = validate_definition(wanted)
            documents[name] = {**new, "version": int(current.get("version", 0)) + 1, "updated": time.time()}
            return documents

        return self._write(update_one)[fid]

    def delete(self, fid: str, /, *more: str) -> None:
        """Delete one or more definitions in one transaction; none is deleted if any id is missing."""

        def delete_all(documents: dict) -> dict:
            ids = [n[len(DOCUMENT_PREFIX) :] for n in documents if n.startswith(DOCUMENT_PREFIX)]
            for one in (fid, *more):
                if DOCUMENT_PREFIX + one not in documents:
                    raise self._missing(one, ids)
            for one in (fid, *more):
                del documents[DOCUMENT_PREFIX + one]
            return documents

        self._write(delete_all)

    def _write(self, change: Callable[[dict], dict]) -> dict[str, dict]:
        target = self._database.backend if self._database is not None else self.path
        documents = update_documents(target, change, create=False)
        return {n[len(DOCUMENT_PREFIX) :]: v for n, v in documents.items() if n.startswith(DOCUMENT_PREFIX)}

    def __contains__(self, fid, /) -> bool:
        return fid in self._stored()

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids())

    def __len__(self) -> int:
        return len(self._stored())

    def __repr__(self) -> str:
        return f"<ploteries.FigureStore {str(self.path)!r}>"


__all__ = ["DOCUMENT_PREFIX", "FigureStore"]
