"""TensorBoard event files shown live by the viewer: an incremental import into a cache database.

An :class:`EventMirror` watches one directory. At each :meth:`~EventMirror.sync` (the viewer calls it on every
refresh) it finds the runs' event files as ``ploteries import`` does, reads each file from where it stopped
last time (a byte offset per file; a partial record at the end waits for the next sync) and appends the new
records to its cache database with the import's own conversion (:mod:`ploteries.compat.tb_import`). The event
files are only ever read.

The cache database lives outside the user's folder, in ``<cache dir>/<folder name>-<hash>/<owner>.h5``
(default cache dir: ``$XDG_CACHE_HOME/ploteries/events``, else ``~/.cache/ploteries/events``). Each viewer
process builds its own from scratch and holds a lock on ``<owner>.lock`` while it lives; a later viewer deletes
the caches whose owner is gone. A file that shrinks or is replaced (same name, new file) rebuilds the cache.
"""

from __future__ import annotations

import atexit
import dataclasses
import hashlib
import os
import shutil
import threading
import uuid
from pathlib import Path

from ploteries.compat.tb_import import RunEvents, event_runs
from ploteries.compat.tfrecord import RecordReport, iter_records
from ploteries.storage import DatabaseWriter
from ploteries.storage.hdf5.locking import try_lock_exclusive
from ploteries.storage.journal import journal_dir

__all__ = ["EventMirror", "default_cache_dir"]


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/ploteries/events``, else ``~/.cache/ploteries/events``.

    Examples
    --------
    >>> default_cache_dir().parts[-2:]
    ('ploteries', 'events')
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ploteries" / "events"


@dataclasses.dataclass
class _File:
    identity: tuple[int, int]  # (st_dev, st_ino): a file replaced under the same name is another file
    offset: int = 0  # where the next record starts
    problem: str | None = None


class EventMirror:
    """The event files below ``root`` mirrored into a cache database (see the module's docstring).

    Parameters
    ----------
    root : path
        A directory, as ``tensorboard --logdir`` would be given.
    label : str
        How the viewer lists the cache database.
    cache_dir : path, optional
        Where the cache lives (default :func:`default_cache_dir`); never below ``root`` unless you ask.
    verify : bool
        Check each record's CRC-32C.

    Examples
    --------
    >>> mirror = EventMirror("tb_logs", "tb_logs (events)", cache_dir="/tmp/cache")   # doctest: +SKIP
    >>> mirror.sync()                                                                   # doctest: +SKIP
    [('tb_logs (events)', PosixPath('/tmp/cache/tb_logs-1a2b3c4d5e6f/3121-9f8e7d6c.h5'))]
    """

    def __init__(self, root, label: str, *, cache_dir=None, verify: bool = True):
        self.root = Path(root).resolve()
        self.label = label
        self.verify = verify
        digest = hashlib.blake2b(str(self.root).encode(), digest_size=6).hexdigest()
        self.folder = Path(cache_dir or default_cache_dir()) / f"{self.root.name or 'root'}-{digest}"
        self._owner = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.database = self.folder / f"{self._owner}.h5"
        self._lock_fd: int | None = None
        self._writer: DatabaseWriter | None = None
        self._files: dict[Path, _File] = {}
        self._runs: dict[str, RunEvents] = {}
        self._written: set[str] = set()  # runs with records in the cache
        self._event_files = 0
        self._missing_tensorboard = False
        self._lock = threading.Lock()

    # ----------------------------------------------------------------------------------------- public

    def sync(self) -> list[tuple[str, Path]]:
        """Import what the event files gained since the last call; ``[(label, cache database)]`` or ``[]``."""
        with self._lock:
            runs = event_runs(self.root) if self.root.is_dir() else {}
            self._event_files = sum(len(files) for files in runs.values())
            if not runs:
                return self._shown()
            try:
                from ploteries.compat.from_tensorboard import require_tensorboard

                event_pb2 = require_tensorboard()
            except ImportError:
                self._missing_tensorboard = True
                return []
            if self._replaced(runs):
                self._reset()
            for name, files in runs.items():
                run = self._runs.get(name)
                if run is None:
                    run = self._runs[name] = RunEvents(event_pb2)
                for path in files:
                    self._read_on(path, run)
            self._write()
            return self._shown()

    def note(self) -> str | None:
        """What the page says when it has nothing to show: the event files found and what they need."""
        if not self._event_files:
            return None
        found = (
            f"{self._event_files} TensorBoard event file{'s' * (self._event_files != 1)} below {self.root}"
        )
        if self._missing_tensorboard:
            return f"{found}: showing them needs the tensorboard package (pip install tensorboard)."
        problems = [f.problem for f in self._files.values() if f.problem]
        if problems:
            return f"{found}; {problems[0]}"
        return f"{found}: shown as soon as they hold records."

    def close(self) -> None:
        """Close the cache database and delete it (it is rebuilt by the next viewer)."""
        with self._lock:
            self._close_writer()
            self._delete(self.folder, self._owner)
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    # ---------------------------------------------------------------------------------------- private

    def _shown(self) -> list[tuple[str, Path]]:
        return [(self.label, self.database)] if self._written else []

    def _replaced(self, runs: dict[str, list[Path]]) -> bool:
        """True if a file read before shrank, was replaced, or is gone (its records must go too)."""
        current = {p for files in runs.values() for p in files}
        for path, seen in self._files.items():
            try:
                st = path.stat()
            except FileNotFoundError:
                return True
            if path not in current or (st.st_dev, st.st_ino) != seen.identity or st.st_size < seen.offset:
                return True
        return False

    def _reset(self) -> None:
        self._close_writer()
        for path in (self.database, journal_dir(self.database)):
            _remove(path)
        self._files, self._runs, self._written = {}, {}, set()

    def _read_on(self, path: Path, run: RunEvents) -> None:
        st = path.stat()
        seen = self._files.get(path)
        if seen is None:
            seen = self._files[path] = _File((st.st_dev, st.st_ino))
        if seen.problem is not None or st.st_size == seen.offset:
            return
        report = RecordReport(path)
        for data in iter_records(path, self.verify, report, start=seen.offset):
            run.event(data)
        seen.offset = report.end
        if report.corrupt_at is not None:
            seen.problem = (
                f"{path}: the record at byte {report.corrupt_at} fails its CRC; the rest of the file is "
                "skipped (as TensorBoard does)"
            )

    def _write(self) -> None:
        pending = {name: run for name, run in self._runs.items() if run.records or run.hparams}
        if not pending:
            return
        writer = self._open_writer()
        for name, run in pending.items():
            if run.purged is not None and name in self._written:
                writer.purge(name, run.purged)
            run.write(writer, name)
            run.clear()
            self._written.add(name)
        writer.flush()

    def _open_writer(self) -> DatabaseWriter:
        if self._writer is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            if self._lock_fd is None:
                self._claim()
            self._writer = DatabaseWriter(self.database, flush_secs=3600.0)
            atexit.register(self.close)
        return self._writer

    def _claim(self) -> None:
        """Lock our owner file, then delete the caches of viewers that are gone (their lock is free)."""
        lock = self.folder / f"{self._owner}.lock"
        lock.touch()
        self._lock_fd = try_lock_exclusive(lock)
        for other in self.folder.glob("*.lock"):
            if other == lock:
                continue
            fd = try_lock_exclusive(other)
            if fd is not None:
                os.close(fd)
                self._delete(self.folder, other.stem)

    @staticmethod
    def _delete(folder: Path, owner: str) -> None:
        database = folder / f"{owner}.h5"
        for path in (database, journal_dir(database), folder / f"{owner}.lock"):
            _remove(path)

    def _close_writer(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
