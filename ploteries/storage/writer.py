"""``DatabaseWriter``: appends records to a ploteries database from training code.

Data flow::

    caller thread ──append──> journal (a memory copy into a shared mapping: durable on kill -9)
                              + in-memory pending batch
    writing thread ──every flush_secs / max rows / flush() / close()──> one locked HDF5 transaction

The journal is the queue: a call returns once its record is framed into the writer's own memory-mapped
journal segment (no system call; well under a microsecond for a scalar), so a killed process loses nothing
it was told was written.
The writing thread swaps the pending batch out, rotates the journal segment, commits the batch in one
short transaction and then deletes the segment. Readers see records after the commit (``flush()``).
"""

from __future__ import annotations

import atexit
import os
import struct
import threading
import time
import uuid
import weakref
from pathlib import Path

import numpy as np

from . import journal as jn
from .backend import Backend, open_backend
from .batch import Batch, Chunk, PendingSeries, commit
from .dtypes import check_hdf5_limits, dtype_to_text
from .errors import RecordsDroppedError, WriterClosedError
from .journal import SCALAR_BODY, SCALAR_FRAME_BYTES
from .recovery import lock_new_writer, recover
from .values import (
    as_steps,
    as_value_array,
    as_wall_times,
    check_database_path,
    check_name,
    check_scalar,
    check_step,
    check_wall_time,
    step_range_error,
)

_LIVE_WRITERS: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _close_live_writers() -> None:  # a script that forgets close() still leaves a single file
    for writer in list(_LIVE_WRITERS):
        try:
            writer.close()
        except Exception:  # noqa: BLE001 - best effort at interpreter exit
            pass


class _Series:
    __slots__ = ("sid", "key", "segment", "pending")

    def __init__(self, sid: int, key: tuple, pending: PendingSeries):
        self.sid = sid
        self.key = key
        self.segment = -1  # journal segment in which the series was last declared
        self.pending = pending


class DatabaseWriter:
    """Write records into a ploteries database; safe against ``kill -9`` and concurrent writers.

    Parameters
    ----------
    path : str or Path
        The database file; created if missing (its directory must exist).
    flush_secs : float
        Longest time between a write and its visibility to readers.
    max_pending_rows, max_pending_bytes : int
        Bounds of the in-memory batch; a caller that exceeds them waits for the writing thread.
    fsync : bool
        ``os.fsync`` the journal and the file at every commit (survives power loss; costs ~1 ms per commit).

    Examples
    --------
    >>> w = DatabaseWriter("runs/db.h5")                       # doctest: +SKIP
    >>> w.append_scalar("exp1", "loss", 0.25, step=10)         # doctest: +SKIP
    >>> w.append("exp1", "weights", np.zeros((3, 3)), step=10)  # doctest: +SKIP
    >>> w.close()                                              # doctest: +SKIP
    """

    def __init__(
        self,
        path,
        *,
        flush_secs: float = 1.0,
        max_pending_rows: int = 1_000_000,
        max_pending_bytes: int = 256 * 2**20,
        fsync: bool = False,
    ):
        if isinstance(path, Backend):
            self._backend = path
            self.path = getattr(path, "path", None) or Path(path.location)
        else:
            self.path = check_database_path(path)
            check_writable_path(self.path)
            jn.check_journal_dir(self.path)
            self._backend = open_backend(self.path, create=True, fsync=bool(fsync))
        self.flush_secs = float(flush_secs)
        self.max_pending_rows = int(max_pending_rows)
        self.max_pending_bytes = int(max_pending_bytes)
        self.fsync = bool(fsync)
        self.id = uuid.uuid4().hex[:16]
        self._journal_dir = self._backend.journal_dir

        recover(self._backend)  # replay journals of crashed writers
        self._backend.create()
        self._lock_fd = lock_new_writer(self._journal_dir, self.id)

        self._lock = threading.Lock()  # guards everything below that the caller touches
        self._space = threading.Condition(self._lock)  # signalled when the pending batch is taken
        self._series: dict[tuple, _Series] = {}
        self._dtype_ids: dict[np.dtype, int] = {}
        self._seq = 0
        self._segment_no = 0
        self._journal = jn.JournalFile(self._segment_path(0))
        self._segment_paths: list[Path] = []  # rotated segments waiting for their commit
        self._dtype_segment: dict[np.dtype, int] = {}  # dtype -> segment it was last declared in
        self._pending_rows = 0
        self._pending_bytes = 0
        self._closed = False
        self._error: BaseException | None = None  # raised on the caller's next call
        self._retry_error: BaseException | None = None  # the last failed commit, until one succeeds

        self._unflushed: Batch | None = None  # taken from pending, not yet committed (retried on failure)
        self._committed_seq = 0
        self._commit_done = threading.Condition()  # signalled after each commit attempt
        self._wake = threading.Event()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name=f"ploteries-writer-{self.id}", daemon=True)
        self._thread.start()
        _LIVE_WRITERS.add(self)

    # ------------------------------------------------------------------------------------------ public

    def append_scalar(
        self, run: str, tag: str, value, step=0, wall_time=None, *, kind: str = "scalar", part: str = ""
    ) -> None:
        """Append one number (stored as float64). The hot path: about a microsecond."""
        if self._error is not None:
            self._raise_error()
        s = self._series.get((run, tag, part))
        if s is None:
            s = self._new_series(run, tag, part, kind, None, False)
        if type(value) is not float:
            value = check_scalar(value)
        if type(step) is not int:
            step = check_step(step)
        wall = time.time() if wall_time is None else check_wall_time(wall_time)
        with self._lock:
            if self._closed:
                self._check_open()
            journal = self._journal
            if s.segment != self._segment_no or journal.pos > journal.capacity - SCALAR_FRAME_BYTES:
                self._prepare(s, SCALAR_FRAME_BYTES)
                journal = self._journal
            seq = self._seq + 1
            try:
                body = SCALAR_BODY.pack(b"S", seq, s.sid, step, wall, value)
            except struct.error:
                raise step_range_error(step) from None
            journal.append(body)
            self._seq = seq
            p = s.pending
            p.steps.append(step)
            p.walls.append(wall)
            p.values.append(value)
            self._pending_rows += 1
            if self._pending_rows >= self.max_pending_rows:
                self._wait_for_space()

    def append(
        self,
        run: str,
        tag: str,
        value,
        step=0,
        wall_time=None,
        *,
        kind: str = "tensor",
        part: str = "",
        meta: dict | None = None,
        ragged: bool = False,
    ) -> None:
        """Append one record whose value is any non-object numpy array (or array-like).

        ``ragged=True`` says the value's shape will vary between records (images of several sizes,
        histograms), so the series is stored ragged from its first record.
        """
        if self._error is not None:
            self._raise_error()
        arr = as_value_array(value, "value")
        check_hdf5_limits(arr.dtype, arr.shape, "value")
        step = check_step(step)
        wall = time.time() if wall_time is None else check_wall_time(wall_time)
        self._append_records(run, tag, part, kind, meta, ragged, arr[np.newaxis], [step], [wall], single=True)

    def append_many(
        self,
        run: str,
        tag: str,
        values,
        steps,
        wall_times=None,
        *,
        kind: str = "tensor",
        part: str = "",
        meta: dict | None = None,
        ragged: bool = False,
    ) -> None:
        """Append ``len(steps)`` records at once; ``values`` has shape ``(len(steps), *value_shape)``."""
        if self._error is not None:
            self._raise_error()
        arr = as_value_array(values, "values")
        if arr.ndim == 0:
            raise ValueError(
                f"values must have a leading records axis, got a 0-d array {arr!r}; pass e.g. "
                "np.array([0.5, 0.4]) with steps=[1, 2]."
            )
        check_hdf5_limits(arr.dtype, arr.shape[1:], "values")
        n = arr.shape[0]
        steps = as_steps(steps, n)
        walls = as_wall_times(wall_times, n, time.time())
        self._append_records(run, tag, part, kind, meta, ragged, arr, steps, walls, single=False)

    def set_meta(self, run: str, tag: str, meta: dict, *, part: str = "", kind: str = "tensor") -> None:
        """Merge ``meta`` (JSON-serializable) into the series' metadata."""
        if not isinstance(meta, dict):
            raise TypeError(f"meta must be a dict, got {type(meta).__name__}.")
        text = jn.json_text(meta)
        with self._lock:
            self._check_open()
        s = self._series.get((run, tag, part)) or self._new_series(run, tag, part, kind, None, False)
        with self._lock:
            self._prepare(s, jn.FRAME_HEAD.size + jn.ID_HEAD.size + 4 * len(text))
            self._write(jn.text_body(b"M", self._seq + 1, s.sid, text))
            s.pending.meta.update(meta)
            s.pending.meta_changed = True

    def flush(self) -> None:
        """Commit everything appended so far; on return readers see it. Raises a pending background error."""
        with self._lock:
            if self._closed:
                return
            target = self._seq
        self._wait_committed(target)

    def purge(self, run: str, from_step: int) -> None:
        """Remove every committed record of ``run`` whose step is >= ``from_step`` (TensorBoard's purge_step)."""
        check_name(run, "run")
        from_step = check_step(from_step, "from_step")
        self.flush()
        self._backend.purge(run, from_step)

    def close(self) -> None:
        """Commit everything, fold the journal in and leave a single file. Idempotent."""
        with self._lock:
            if self._closed:
                return
            target = self._seq
        error = None
        try:
            self._wait_committed(target)
        except BaseException as exc:  # noqa: BLE001 - re-raised once the writer is shut down
            error = exc
        with self._lock:
            self._closed = True
            self._space.notify_all()
        self._stop = True
        self._wake.set()
        self._thread.join()
        _LIVE_WRITERS.discard(self)
        self._journal.close()
        if error is None and self._unflushed is None and self._committed_seq >= target:
            for p in [*self._segment_paths, self._journal.path, self._journal_dir / f"{self.id}.lock"]:
                _unlink(p)
            try:
                self._journal_dir.rmdir()
            except OSError:
                pass  # other writers still have journals here
        # otherwise (e.g. disk full) the journal stays and the next open replays it
        os.close(self._lock_fd)
        if error is not None:
            raise error

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> DatabaseWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --------------------------------------------------------------------------------- caller helpers

    def _check_open(self) -> None:
        if self._closed:
            raise WriterClosedError(
                f"the writer of {self.path} is closed; create a new DatabaseWriter to append "
                "more (records written before are kept)."
            )

    def _raise_error(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            raise error

    def _new_series(self, run, tag, part, kind, meta, ragged) -> _Series:
        check_name(run, "run", allow_empty=True)
        check_name(tag, "tag")
        check_name(part, "part", allow_empty=True)
        check_name(kind, "kind")
        if meta is not None and not isinstance(meta, dict):
            raise TypeError(f"meta must be a dict, got {type(meta).__name__}.")
        jn.json_text(meta or {})  # fails early on meta that is not JSON-serializable
        with self._lock:
            key = (run, tag, part)
            s = self._series.get(key)
            if s is None:
                pending = PendingSeries(
                    run, tag, part, kind, dict(meta or {}), bool(ragged), meta_changed=bool(meta)
                )
                s = _Series(len(self._series), key, pending)
                self._series[key] = s
            return s

    def _write(self, body: bytes) -> None:
        """Frame a body carrying sequence number ``self._seq + 1`` into the journal (lock held)."""
        self._journal.append(body)
        self._seq += 1

    def _declarations(self, s: _Series, dtype: np.dtype | None) -> list[tuple[bytes, int, str]]:
        """What the current segment still lacks for a record of ``s`` (and ``dtype``): (kind, id, text)."""
        out = []
        if s.segment != self._segment_no:
            p = s.pending
            decl = {"run": p.run, "tag": p.tag, "part": p.part, "kind": p.kind, "meta": p.meta}
            out.append((b"D", s.sid, jn.json_text({**decl, "ragged": p.ragged})))
        if dtype is not None and self._dtype_segment.get(dtype) != self._segment_no:
            tid = self._dtype_ids.setdefault(dtype, len(self._dtype_ids))
            out.append((b"T", tid, dtype_to_text(dtype)))
        return out

    def _prepare(self, s: _Series, nbytes: int, dtype: np.dtype | None = None) -> None:
        """Make room for a frame of ``nbytes`` after the declarations it needs, and write those (lock held).

        A segment too full for them is replaced by a bigger one, in which everything is declared again.
        """
        decls = self._declarations(s, dtype)
        need = nbytes + sum(jn.FRAME_HEAD.size + jn.ID_HEAD.size + 4 * len(text) for _, _, text in decls)
        if self._journal.pos + need > self._journal.capacity:
            self._rotate(need)
            decls = self._declarations(s, dtype)
        for kind, ident, text in decls:
            self._write(jn.text_body(kind, self._seq + 1, ident, text))
        s.segment = self._segment_no
        if dtype is not None:
            self._dtype_segment[dtype] = self._segment_no

    def _append_records(self, run, tag, part, kind, meta, ragged, arr, steps, walls, *, single: bool) -> None:
        s = self._series.get((run, tag, part))
        if s is None:
            s = self._new_series(run, tag, part, kind, meta, ragged)
        elif meta:
            self.set_meta(run, tag, meta, part=part)
        arr = np.ascontiguousarray(arr)
        n = arr.shape[0]
        shape = arr.shape[1:]
        st = np.asarray(steps, "<i8")
        wt = np.asarray(walls, "<f8")
        with self._lock:
            self._check_open()
            self._prepare(s, jn.records_frame_size(n, shape, arr.nbytes), arr.dtype)
            tid = self._dtype_ids[arr.dtype]
            self._write(jn.records_body(self._seq + 1, s.sid, tid, st, wt, arr, shape))
            s.pending.add_chunk(Chunk(st, wt, arr.copy()))  # a copy: the caller may reuse its buffer
            self._pending_rows += n
            self._pending_bytes += arr.nbytes
            if self._pending_rows >= self.max_pending_rows or self._pending_bytes >= self.max_pending_bytes:
                self._wait_for_space()

    def _wait_for_space(self) -> None:
        """Back-pressure (lock held): wake the writing thread and wait until it took the pending batch."""
        self._wake.set()
        while (
            self._pending_rows >= self.max_pending_rows or self._pending_bytes >= self.max_pending_bytes
        ) and not self._closed:
            self._space.wait(timeout=0.5)
            if self._error is not None:
                return

    def _wait_committed(self, target: int) -> None:
        with self._commit_done:
            while self._committed_seq < target and self._error is None and self._thread.is_alive():
                self._wake.set()
                self._commit_done.wait(timeout=0.5)
        if self._error is not None:
            self._raise_error()

    # --------------------------------------------------------------------------------- writing thread

    def _segment_path(self, number: int) -> Path:
        return self._journal_dir / f"{self.id}.{number:06d}.jnl"

    def _rotate(self, need: int) -> None:
        """Close the current segment (it waits for its commit) and continue in a new one (lock held).

        The new segment has room for ``need`` bytes and twice what the old one used, so a fast writer soon
        rotates only at commits. Raises ``OSError`` (the old segment stays current) if it cannot be made.
        """
        old = self._journal
        self._journal = jn.JournalFile(
            self._segment_path(self._segment_no + 1), jn.segment_capacity(need, old.pos)
        )
        self._segment_no += 1
        old.close()
        self._segment_paths.append(old.path)

    def _take_pending(self) -> tuple[Batch, list[Path]] | None:
        """Swap out the pending batch and rotate the journal segment (the old one holds exactly the batch)."""
        with self._lock:
            if self._seq == self._committed_seq and self._unflushed is None:
                return None
            series = {s.sid: s.pending.take() for s in self._series.values() if s.pending.has_work}
            batch = Batch(self.id, self._seq, series)
            try:
                self._rotate(0)
            except OSError:
                pass  # keep appending to the old segment; it is deleted only after its commit
            self._pending_rows = 0
            self._pending_bytes = 0
            self._space.notify_all()
            done_segments = list(self._segment_paths)
        return batch, done_segments

    def _commit_once(self) -> None:
        taken = self._take_pending()
        if taken is None:
            return
        batch, segments = taken
        if self._unflushed is not None:
            self._unflushed.merge(batch)
            batch = self._unflushed
        self._unflushed = batch
        try:
            if self.fsync:
                self._journal_fsync()
            commit(self._backend, batch)
        except RecordsDroppedError as exc:  # the rest is committed: surfaced on the caller's next call
            self._error = exc
        except BaseException as exc:  # noqa: BLE001 - surfaced on the caller's next call
            self._error = self._retry_error = _describe_commit_error(exc, self.path)
            with self._commit_done:
                self._commit_done.notify_all()
            return
        else:
            if self._error is self._retry_error:
                self._error = None  # a failure this commit has now repaired (e.g. a disk full, then freed)
        self._retry_error = None
        self._unflushed = None
        for p in segments:
            _unlink(p)
        with self._lock:
            self._segment_paths = [p for p in self._segment_paths if p not in segments]
        with self._commit_done:
            self._committed_seq = batch.last_seq
            self._commit_done.notify_all()

    def _journal_fsync(self) -> None:
        with self._lock:
            self._journal.sync()

    def _run(self) -> None:
        while True:
            self._wake.wait(timeout=self.flush_secs)
            self._wake.clear()
            stop = self._stop
            self._commit_once()
            if stop:
                return


def check_writable_path(path: Path) -> None:
    """Raise a clear error if a database cannot be written at ``path`` (no folder, read-only)."""
    if not path.parent.is_dir():
        raise FileNotFoundError(
            2,
            f"the directory of database path {path} does not exist; create it first (os.makedirs).",
        )
    if path.exists() and (not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222):
        raise PermissionError(
            13,
            f"database {path} is read-only; open it with ploteries.open() to read, "
            "or make it writable (chmod u+w) to write.",
        )
    if not os.access(path.parent, os.W_OK):
        raise PermissionError(
            13,
            f"cannot write in {path.parent} (the database's journal lives beside it); choose a writable directory.",
        )


def _describe_commit_error(exc: BaseException, path: Path) -> BaseException:
    if isinstance(exc, OSError) and str(path) not in str(exc):
        err = OSError(
            exc.errno,
            f"could not write to ploteries database {path}: {exc}. Your records are safe in "
            "the journal and are retried at the next flush; free disk space or fix permissions.",
        )
        err.__cause__ = exc
        return err
    return exc


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


__all__ = ["DatabaseWriter"]
