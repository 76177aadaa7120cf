"""Whole-database operations done in one locked transaction: purge, delete, rename, documents."""

from __future__ import annotations

import copy
from pathlib import Path

from .hdf5.format import read_fixed_steps, read_ragged_steps, truncate_block, write_transaction
from .values import check_name


def purge_run(path: Path, run: str, from_step: int) -> int:
    """Remove the records of ``run`` with step >= ``from_step``; returns how many were removed."""
    removed = 0
    with write_transaction(path) as (h5, catalog):
        for entry in catalog.series:
            if entry.run != run:
                continue
            group = h5["series"][entry.id]
            changed = False
            for block in entry.blocks:
                if block.step_max is None or block.step_max < from_step:
                    continue
                node = group[block.name]
                steps = (
                    read_fixed_steps(node, block)
                    if block.layout == "fixed"
                    else read_ragged_steps(node, block)
                )
                keep = steps < from_step
                removed += int((~keep).sum())
                truncate_block(node, block, keep)
                changed = True
            if changed:
                entry.epoch += 1
    return removed


def delete_run(path: Path, run: str) -> int:
    """Delete every series of ``run``; returns how many series were deleted."""
    check_name(run, "run", allow_empty=True)
    with write_transaction(path, create=False) as (h5, catalog):
        doomed = [e for e in catalog.series if e.run == run]
        for entry in doomed:
            del h5["series"][entry.id]
            catalog.remove_series(entry)
    return len(doomed)


def rename_run(path: Path, old: str, new: str) -> None:
    """Rename run ``old`` to ``new`` (which must not exist yet)."""
    check_name(old, "old", allow_empty=True)
    check_name(new, "new", allow_empty=True)
    with write_transaction(path, create=False) as (h5, catalog):
        if any(e.run == new for e in catalog.series):
            raise ValueError(
                f"cannot rename run {old!r} to {new!r}: a run named {new!r} exists; delete it first."
            )
        if not any(e.run == old for e in catalog.series):
            raise KeyError(f"no run named {old!r} in {path}")
        for entry in catalog.series:
            if entry.run == old:
                entry.run = new
                entry.epoch += 1
                h5["series"][entry.id].attrs["run"] = new
        catalog.rekey()


def update_document(path: Path, name: str, update, *, create: bool = True) -> object:
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


def update_documents(path: Path, update, *, create: bool = True) -> dict:
    """Atomically replace every document by ``update(documents)`` (a copy of the ``{name: value}`` dict).

    Several documents change in one transaction, or none: if ``update`` raises, nothing is written.
    Returns the new documents.

    Examples
    --------
    >>> update_documents("runs/db.h5", lambda docs: {**docs, "note": {"text": "hi"}})  # doctest: +SKIP
    {'note': {'text': 'hi'}}
    """
    if not create and not Path(path).exists():
        raise FileNotFoundError(2, f"no ploteries database at {path}; check the path.")
    with write_transaction(path, create=create) as (_, catalog):
        documents = update(copy.deepcopy(catalog.documents))
        if not isinstance(documents, dict):
            raise TypeError(f"update must return a dict of documents, got {type(documents).__name__}.")
        catalog.documents = documents
    return copy.deepcopy(documents)


__all__ = ["purge_run", "delete_run", "rename_run", "update_document", "update_documents"]
