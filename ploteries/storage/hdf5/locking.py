"""Whole-file advisory locks that serialize writers and let readers share, through ``portalocker``.

HDF5's own file locking is turned off (``locking=False``) and replaced by these locks, so that a lock is only
ever held for the length of one short transaction. This module is the only place that locks files; it goes
through ``portalocker`` (``flock`` on POSIX, ``LockFileEx`` on Windows), so ``import ploteries`` needs no
``fcntl``.

- POSIX: the lock is taken on the database file itself (``flock``: advisory, whole file). ``flock`` is not
  reliable on NFS: keep databases on a local disk.
- Windows: ``LockFileEx`` locks are mandatory byte ranges that would also block HDF5's own reads and writes
  of a locked file, so the lock is taken on a sidecar file ``<database>.lock`` instead (created on first use,
  left in place). Shared locks there need ``pywin32`` (installed with ploteries on Windows).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["file_lock", "lock_descriptor", "lock_path", "try_lock_exclusive"]

SIDECAR_LOCKS = os.name == "nt"
"""Lock ``<database>.lock`` instead of the database (Windows: its locks are mandatory)."""


def lock_path(path: Path) -> Path:
    """The file whose lock stands for ``path``'s: the file itself, or its sidecar where locks are mandatory.

    Examples
    --------
    >>> lock_path(Path("runs/db.h5")) == (Path("runs/db.h5.lock") if SIDECAR_LOCKS else Path("runs/db.h5"))
    True
    """
    path = Path(path)
    return path.with_name(path.name + ".lock") if SIDECAR_LOCKS else path


def lock_descriptor(fd: int, *, exclusive: bool, blocking: bool = True) -> bool:
    """Lock an open descriptor (shared or exclusive); False if ``blocking=False`` and someone holds it.

    The lock lasts until the descriptor is closed. ``portalocker`` is imported here, at the first lock, so
    that importing ploteries touches no platform locking module.
    """
    import portalocker

    flags = portalocker.LockFlags.EXCLUSIVE if exclusive else portalocker.LockFlags.SHARED
    if not blocking:
        flags |= portalocker.LockFlags.NON_BLOCKING
    try:
        portalocker.lock(fd, flags)
    except portalocker.AlreadyLocked:
        return False
    return True


@contextlib.contextmanager
def file_lock(path: Path, *, exclusive: bool, create: bool = False) -> Iterator[int]:
    """Hold a shared or exclusive lock on ``path``; yields an open read-only descriptor of ``path``.

    If the file was replaced while we waited (a repair swaps in a rebuilt file), the lock is taken again on
    the file now at ``path``.
    """
    path = Path(path)
    flags = os.O_RDONLY | (os.O_CREAT if create else 0)
    while True:
        fd = os.open(path, flags, 0o644)
        try:
            held = _lock_for(fd, path, exclusive)
            if _same_file(fd, path):
                break
        except BaseException:
            os.close(fd)
            raise
        _release(fd, held)
    try:
        yield fd
    finally:
        _release(fd, held)


def _lock_for(fd: int, path: Path, exclusive: bool) -> int:
    """Lock ``path`` (open as ``fd``) where :func:`lock_path` says; the descriptor holding the lock."""
    target = lock_path(path)
    held = fd if target == path else os.open(target, os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        lock_descriptor(held, exclusive=exclusive)
    except BaseException:
        if held != fd:
            os.close(held)
        raise
    return held


def _release(fd: int, held: int) -> None:
    if held != fd:
        os.close(held)
    os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        current = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (current.st_dev, current.st_ino)


def try_lock_exclusive(path: Path) -> int | None:
    """Take an exclusive lock without waiting: the open descriptor, or None if someone holds the lock."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    if not lock_descriptor(fd, exclusive=True, blocking=False):
        os.close(fd)
        return None
    return fd
