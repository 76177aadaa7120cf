"""Finding ploteries databases below a directory."""

from __future__ import annotations

import os
from pathlib import Path

from .backend import open_backend
from .errors import NotADatabaseError

DATABASE_SUFFIXES = (".h5", ".hdf5", ".ploteries")


def inside(path, folder) -> bool:
    """Whether ``path``, with every symlink resolved, lies in ``folder`` (resolved too).

    Examples
    --------
    >>> inside("/data/runs/a.h5", "/data/runs"), inside("/data/runs/../secret.h5", "/data/runs")
    (True, False)
    """
    real, top = Path(os.path.realpath(path)), Path(os.path.realpath(folder))
    return real == top or real.is_relative_to(top)


def candidate_files(root) -> list[Path]:
    """Files below ``root`` (recursive, sorted) whose suffix says HDF5; journal folders are skipped.

    A file that is a symlink to somewhere outside ``root`` is left out (as the viewer refuses media symlinks
    leading outside its folders): linking a file into a served folder does not publish it. Symlinked folders
    are not followed. A ``root`` that is itself a file is taken as named.
    """
    root = Path(root)
    if root.is_file():
        return [root]
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.endswith("-journal") and not d.startswith("."))
        files = [Path(dirpath) / f for f in sorted(filenames) if f.endswith(DATABASE_SUFFIXES)]
        found += [f for f in files if not f.is_symlink() or inside(f, root)]
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
