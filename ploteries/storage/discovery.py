"""Finding ploteries databases below a directory."""

from __future__ import annotations

import os
from pathlib import Path

from .backend import open_backend
from .errors import NotADatabaseError

DATABASE_SUFFIXES = (".h5", ".hdf5", ".ploteries")


def candidate_files(root) -> list[Path]:
    """Files below ``root`` (recursive, sorted) whose suffix says HDF5; journal folders are skipped."""
    root = Path(root)
    if root.is_file():
        return [root]
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.endswith("-journal") and not d.startswith("."))
        found += [Path(dirpath) / f for f in sorted(filenames) if f.endswith(DATABASE_SUFFIXES)]
    return sorted(found)


def check_database(path) -> str | None:
    """None if ``path`` is a readable ploteries database, else the reason it is not (one line)."""
    try:
        open_backend(Path(path)).catalog()
        return None
    except (NotADatabaseError, OSError, KeyError, ValueError) as exc:
        return str(exc)


def scan_databases(root) -> list[tuple[Path, str | None]]:
    """Every HDF5-suffixed file below ``root`` with None or the reason it is not a usable database."""
    return [(p, check_database(p)) for p in candidate_files(root)]


def find_databases(root) -> list[Path]:
    """Every ploteries database below ``root`` (recursive), sorted; foreign or damaged files are left out.

    Examples
    --------
    >>> ploteries.find_databases("runs")  # doctest: +SKIP
    [PosixPath('runs/exp1/ploteries.h5'), PosixPath('runs/sweep.h5')]
    """
    return [p for p, error in scan_databases(root) if error is None]
