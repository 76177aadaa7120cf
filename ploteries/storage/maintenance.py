"""Whole-database operations, each one atomic step of the database's backend: purge, delete, rename, documents.

Each takes a path (the HDF5 backend) or a :class:`~ploteries.storage.backend.Backend`.
"""

from __future__ import annotations

import copy

from .backend import open_backend
from .values import check_name


def purge_run(path, run: str, from_step: int) -> int:
    """Remove the records of ``run`` with step >= ``from_step``; returns how many were removed."""
    return open_backend(path, create=True).purge(run, from_step)


def delete_run(path, run: str) -> int:
    """Delete every series of ``run``; returns how many series were deleted."""
    return open_backend(path).delete_run(run)


def rename_run(path, old: str, new: str) -> None:
    """Rename run ``old`` to ``new`` (which must not exist yet)."""
    open_backend(path).rename_run(old, new)


def update_document(path, name: str, update, *, create: bool = True) -> object:
    """Atomically replace document ``name`` by ``update(current)`` (current is None when absent).

    Documents are small JSON values kept in the catalog (figure definitions live here). Returns the new value;
    ``update`` returning None deletes the document. ``create=False`` raises ``FileNotFoundError`` instead of
    creating a missing database.
    """
    check_name(name, "name")

    def one(documents: dict) -> dict:
        value = update(documents.get(name))
        if value is None:
            documents.pop(name, None)
        else:
            documents[name] = value
        return documents

    return update_documents(path, one, create=create).get(name)


def update_documents(path, update, *, create: bool = True) -> dict:
    """Atomically replace every document by ``update(documents)`` (a copy of the ``{name: value}`` dict).

    Several documents change in one transaction, or none: if ``update`` raises, nothing is written.
    Returns the new documents.

    Examples
    --------
    >>> update_documents("runs/db.h5", lambda docs: {**docs, "note": {"text": "hi"}})  # doctest: +SKIP
    {'note': {'text': 'hi'}}
    """
    backend = open_backend(path, create=create)
    if not create and not backend.exists():
        raise FileNotFoundError(2, f"no ploteries database at {backend.location}; check the path.")
    return copy.deepcopy(backend.update_documents(update))


__all__ = ["purge_run", "delete_run", "rename_run", "update_document", "update_documents"]
