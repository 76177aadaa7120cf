"""Whole-file advisory locks (``flock``) that serialize writers and let readers share.

HDF5's own file locking is turned off (``locking=False``) and replaced by these locks, taken on the database
file itself, so that a lock is only ever held for the length of one short transaction. ``flock`` is not
reliable on NFS: keep databases on a local disk.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def file_lock(path: Path, *, exclusive: bool, create: bool = False) -> Iterator[int]:
    """Hold a shared or exclusive ``flock`` on ``path``; yields the locked file descriptor.

    If the file was replaced while we waited (a repair swaps in a rebuilt file), the lock is taken again on
    the file now at ``path``.
    """
    flags = os.O_RDONLY | (os.O_CREAT if create else 0)
    while True:
        fd = os.open(path, flags, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            if _same_file(fd, path):
                break
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    try:
        yield fd
    finally:
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
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd
