"""The viewer's window on the data: every ploteries database below its roots, rescanned live.

A :class:`Library` keeps, per file, a read-only :class:`~ploteries.storage.Database` (which never holds the file
open between calls) or the reason the file cannot be read. :meth:`Library.refresh` rescans the roots (new,
deleted and re-created files) and re-reads the catalogs of files whose size or modification time changed; it
returns a :class:`Snapshot`, an immutable view the callbacks work from.

Runs are identified across databases by :class:`RunKey` ``(source, run)``; ``source`` is the database's path
relative to its root (after the root's name, when it has one). Run labels carry the source only where run
names would collide.

:class:`Mirror` objects (e.g. TensorBoard event files imported into a cache database) are synced at each
refresh and their databases shown like the others, under the labels they give.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import os
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple, Protocol

from ploteries.storage import Database, SeriesInfo
from ploteries.storage.discovery import candidate_files

__all__ = [
    "Library",
    "Mirror",
    "RunKey",
    "root_prefix",
    "SeriesRef",
    "Snapshot",
    "SourceStatus",
    "run_labels",
]


class Mirror(Protocol):
    """Databases kept in sync with something else (the viewer only reads them)."""

    def sync(self) -> Sequence[tuple[str, Path]]:
        """Bring the databases up to date; ``[(label, database path)]``."""

    def note(self) -> str | None:
        """A line for the page when there is nothing to show yet (what was found, what it needs)."""


class RunKey(NamedTuple):
    """A run of one database: ``source`` is the database's path relative to its root."""

    source: str
    run: str


@dataclasses.dataclass(frozen=True)
class SeriesRef:
    """One series of one database, as the viewer sees it."""

    source: str
    info: SeriesInfo

    @property
    def run_key(self) -> RunKey:
        return RunKey(self.source, self.info.run)

    @property
    def key(self) -> tuple[str, str, str, str]:
        """``(source, run, tag, part)``: JSON-friendly identity of the series."""
        return (self.source, self.info.run, self.info.tag, self.info.part)

    # attributes used by figure bindings (match on run, tag, part, kind)
    @property
    def run(self) -> str:
        return self.info.run

    @property
    def tag(self) -> str:
        return self.info.tag

    @property
    def part(self) -> str:
        return self.info.part

    @property
    def kind(self) -> str:
        return self.info.kind


@dataclasses.dataclass(frozen=True)
class SourceStatus:
    """A file below a root: its label, path and either its series or the reason it cannot be read."""

    source: str
    path: Path
    error: str | None
    series: tuple[SeriesInfo, ...] = ()
    documents: dict = dataclasses.field(default_factory=dict)

    @property
    def runs(self) -> list[str]:
        return sorted({s.run for s in self.series})


def run_labels(keys: Iterable[RunKey]) -> dict[RunKey, str]:
    """Display names of runs: the run name, prefixed by its database where two databases share it.

    Examples
    --------
    >>> labels = run_labels([RunKey("a.h5", "r1"), RunKey("b.h5", "r1"), RunKey("b.h5", "r2")])
    >>> labels[RunKey("a.h5", "r1")], labels[RunKey("b.h5", "r2")]
    ('a.h5: r1', 'r2')
    """
    keys = sorted(set(keys))
    sources_of: dict[str, set[str]] = {}
    for k in keys:
        sources_of.setdefault(k.run, set()).add(k.source)
    return {
        k: (k.run or "''") if len(sources_of[k.run]) == 1 else f"{k.source}: {k.run or chr(39) * 2}"
        for k in keys
    }


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """What the library held at one refresh: sources (sorted) and every series of the readable ones."""

    sources: tuple[SourceStatus, ...]
    version: str  # changes when files, runs, series or documents change (not when rows are appended)
    notes: tuple[str, ...] = ()  # the mirrors' notes (see Mirror.note)

    # computed once per snapshot: a refresh that finds nothing changed returns the same snapshot (see
    # Library.refresh), so a live tick over thousands of series does not rebuild them

    @functools.cached_property
    def series(self) -> list[SeriesRef]:
        return [SeriesRef(s.source, info) for s in self.sources for info in s.series]

    @functools.cached_property
    def run_keys(self) -> list[RunKey]:
        return sorted({RunKey(s.source, i.run) for s in self.sources for i in s.series})

    @functools.cached_property
    def labels(self) -> dict[RunKey, str]:
        return run_labels(self.run_keys)

    @functools.cached_property
    def _by_key(self) -> dict[tuple[str, str, str, str], SeriesInfo]:
        return {(s.source, i.run, i.tag, i.part): i for s in self.sources for i in s.series}

    def info(self, key: Sequence[str]) -> SeriesInfo | None:
        """The series ``(source, run, tag, part)``, or None if it is not (or no longer) there."""
        try:
            return self._by_key.get(tuple(key))
        except TypeError:
            return None

    def source(self, name: str) -> SourceStatus | None:
        return next((s for s in self.sources if s.source == name), None)

    def step_range(self) -> tuple[int, int] | None:
        return self._step_range

    @functools.cached_property
    def _step_range(self) -> tuple[int, int] | None:
        lows = [i.step_min for s in self.sources for i in s.series if i.step_min is not None]
        highs = [i.step_max for s in self.sources for i in s.series if i.step_max is not None]
        return (min(lows), max(highs)) if lows else None


def root_prefix(root: Path, name: str | None, roots: int) -> str:
    """What the labels of the files below a directory root start with: ``name/``, else ``<its name>/`` when
    there are several roots, else nothing.

    Examples
    --------
    >>> root_prefix(Path("runs"), None, 1), root_prefix(Path("runs"), None, 2), root_prefix(Path("runs"), "a", 1)
    ('', 'runs/', 'a/')
    """
    if name:
        return f"{name}/"
    return f"{Path(root).name}/" if roots > 1 else ""


def _stat_key(path: Path) -> tuple | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _structure_digest(sources: Sequence[SourceStatus]) -> str:
    h = hashlib.blake2b(digest_size=8)
    for s in sources:
        h.update(f"{s.source}\x1e{s.error}\x1e".encode())
        for i in s.series:
            h.update(f"{i.run}\x1f{i.tag}\x1f{i.part}\x1f{i.kind}\x1f{i.fingerprint}\x1e".encode())
        h.update(repr(sorted((k, repr(v)) for k, v in s.documents.items())).encode())
    return h.hexdigest()


class Library:
    """Every ploteries database below ``roots``, kept current by :meth:`refresh`.

    Parameters
    ----------
    roots : sequence of path
        Directories (searched recursively) or database files.
    media_root : path, optional
        Where media files written outside the databases are looked up (default: beside each database).
    names : sequence of str or None, optional
        Names of the roots (aligned with ``roots``): a named root's labels start with ``name/``.
    mirrors : sequence of Mirror, optional
        Synced at each refresh; their databases are shown under the labels they give.

    Examples
    --------
    >>> lib = Library(["runs"])                       # doctest: +SKIP
    >>> snap = lib.refresh()                          # doctest: +SKIP
    >>> [s.source for s in snap.sources]              # doctest: +SKIP
    ['exp1/ploteries.h5', 'sweep.h5']
    """

    def __init__(
        self,
        roots: Sequence[os.PathLike | str],
        *,
        media_root: os.PathLike | str | None = None,
        names: Sequence[str | None] | None = None,
        mirrors: Sequence[Mirror] = (),
    ):
        self.roots = [Path(r).resolve() for r in roots]
        self.names = list(names) if names is not None else [None] * len(self.roots)
        if len(self.names) != len(self.roots):
            raise ValueError(f"names must have one entry per root ({len(self.roots)}), got {len(self.names)}")
        self.mirrors = list(mirrors)
        self.media_root = None if media_root is None else Path(media_root).resolve()
        for root in self.roots:
            if not root.exists():
                raise FileNotFoundError(
                    2, f"no such file or directory: {root}; pass a directory holding databases"
                )
        self._lock = threading.Lock()
        self._databases: dict[Path, Database] = {}
        self._status: dict[Path, tuple[tuple | None, SourceStatus]] = {}
        self._mirrored: set[Path] = set()
        self._snapshot: Snapshot | None = None

    def _label(self, path: Path) -> str:
        for root, name in zip(self.roots, self.names):
            if root.is_file() and path == root:
                return name or path.name
            if root.is_dir() and path.is_relative_to(root):
                return root_prefix(root, name, len(self.roots)) + path.relative_to(root).as_posix()
        return path.as_posix()

    def _files(self) -> dict[Path, str]:
        """``{database path: label}``: the files below the roots, then the mirrors' databases."""
        mirrored = {}
        for mirror in self.mirrors:
            try:
                mirrored.update({Path(p): label for label, p in mirror.sync()})
            except Exception:  # noqa: BLE001 - a mirror's failure must not take the viewer down
                logging.getLogger(__name__).warning("syncing %r failed", mirror, exc_info=True)
                mirrored.update({p: s.source for p, (_, s) in self._status.items() if p in self._mirrored})
        self._mirrored = set(mirrored)
        files: dict[Path, str] = {}
        for root in self.roots:
            for p in candidate_files(root):
                p = p.resolve() if root.is_file() else p
                if p not in mirrored and p.resolve() not in mirrored:
                    files[p] = self._label(p)
        return dict(sorted({**files, **mirrored}.items()))

    def _read(self, path: Path, source: str) -> SourceStatus:
        try:
            db = self._databases.get(path)
            if db is None:
                db = self._databases[path] = Database(path)
            series = tuple(db.series())
            documents = db.documents()
        except (OSError, ValueError, KeyError) as exc:
            self._databases.pop(path, None)
            return SourceStatus(source, path, f"{type(exc).__name__}: {exc}")
        return SourceStatus(source, path, None, series, documents)

    def refresh(self) -> Snapshot:
        """Rescan the roots and re-read what changed; returns the new :class:`Snapshot`.

        When no file changed, the previous snapshot itself is returned (with what it computed kept).
        """
        with self._lock:
            files = self._files()
            status: dict[Path, tuple[tuple | None, SourceStatus]] = {}
            changed = self._snapshot is None or set(files) != set(self._status)
            for path, label in files.items():
                stat = _stat_key(path)
                old = self._status.get(path)
                if old is not None and old[0] == stat and stat is not None and old[1].source == label:
                    status[path] = old
                else:
                    status[path] = (stat, self._read(path, label))
                    changed = True
            notes = tuple(n for n in (m.note() for m in self.mirrors) if n)
            if not changed and notes == self._snapshot.notes:
                return self._snapshot
            for gone in set(self._databases) - set(files):
                del self._databases[gone]
            self._status = status
            sources = tuple(sorted((s for _, s in status.values()), key=lambda s: s.source))
            self._snapshot = Snapshot(sources, _structure_digest(sources), notes)
            return self._snapshot

    @property
    def snapshot(self) -> Snapshot:
        """The last refresh's snapshot (refreshing once if there was none)."""
        return self._snapshot if self._snapshot is not None else self.refresh()

    def database(self, source: str) -> Database | None:
        """The open :class:`Database` of a source label, or None if it is unknown or unreadable."""
        status = self.snapshot.source(source)
        if status is None or status.error is not None:
            return None
        return self._databases.get(status.path)
