"""``RemoteWriter``: ``DatabaseWriter``'s API for a database on a ploteries server (``http://HOST:PORT/db.h5``).

Data flow::

    caller thread ──append──> spool segment (one os.write: durable on kill -9)
    sending thread ──every flush_secs / full segment / flush() / close()──> seal the segment,
        POST sealed segments to the server, delete what it acknowledged

The server commits each record once whoever delivers it (writer id + sequence number), so a lost answer, a
retry or a second delivery never duplicates anything. While the server is down or restarting the writer
keeps appending to its spool and retries with backoff; ``close()`` waits at most ``close_timeout`` seconds and
leaves the rest in the spool for the next writer of that database on this machine or for ``ploteries push``.
"""

from __future__ import annotations

import atexit
import os
import random
import threading
import time
import uuid
import warnings
import weakref
from pathlib import Path

import numpy as np

from .. import journal as jn
from ..dtypes import dtype_to_text
from ..errors import WriterClosedError
from ..recovery import lock_new_writer
from ..values import (
    as_steps,
    as_value_array,
    as_wall_times,
    check_name,
    check_scalar,
    check_step,
    check_wall_time,
)
from .spool import Delivery, dead_writers, deliver, spool_dir
from .transport import Client, RemoteAuthError, RemoteUnavailable
from .wire import API, TOKEN_ENV, WRITER_HEADER, parse_url, token_from_env

__all__ = ["RemoteWriter"]

DEFAULT_MAX_BODY = 64 * 2**20
SEGMENT_BYTES = 4 * 2**20  # a spool segment is sealed (and sent) once it holds this much
BACKOFF = (0.05, 2.0)  # first and longest wait between attempts while the server does not answer

_LIVE: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _close_live_writers() -> None:  # a script that forgets close() still ships what it can
    for writer in list(_LIVE):
        try:
            writer.close()
        except Exception:  # noqa: BLE001 - best effort at interpreter exit
            pass


class _Series:
    __slots__ = ("sid", "decl", "segment")

    def __init__(self, sid: int, decl: dict):
        self.sid = sid
        self.decl = decl  # run, tag, part, kind, meta, ragged: what a declaration frame carries
        self.segment = -1  # spool segment in which the series was last declared


class RemoteWriter:
    """Write records into a database on a ploteries server; every call returns once its record is spooled.

    Use it through ``DatabaseWriter("http://HOST:PORT/db.h5")`` or
    ``SummaryWriter(database="http://HOST:PORT/db.h5", run=...)``. The server is ``ploteries serve ROOT
    --accept-writes`` started with the same ``PLOTERIES_TOKEN``.

    Parameters
    ----------
    url : str
        ``http[s]://HOST:PORT/<path of the database inside the server's ROOT>``.
    flush_secs : float
        Longest time between a call and the server having its record (when it is reachable).
    close_timeout : float
        Longest time ``close()`` (and ``flush()``) waits for the server's acknowledgement.
    token : str, optional
        The server's token; default ``$PLOTERIES_TOKEN``.
    spool : str or Path, optional
        Spool root; default ``$PLOTERIES_SPOOL`` or ``~/.cache/ploteries/spool``.
    timeout : float
        Seconds to wait for one answer of the server.

    Examples
    --------
    >>> w = DatabaseWriter("http://node1:6006/sweep.h5")      # doctest: +SKIP
    >>> w.append_scalar("lr=0.1", "loss", 0.25, step=10)      # doctest: +SKIP
    >>> w.close()                                             # doctest: +SKIP
    """

    def __init__(
        self,
        url: str,
        *,
        flush_secs: float = 1.0,
        close_timeout: float = 10.0,
        token: str | None = None,
        spool=None,
        timeout: float = 30.0,
    ):
        self.target = parse_url(url, "path")
        self.path = self.target.url
        self.flush_secs = _positive(flush_secs, "flush_secs")
        self.close_timeout = _positive(close_timeout, "close_timeout", zero=True)
        self._token = token_from_env(token)
        if not self._token:
            raise PermissionError(
                f"writing to {self.path} needs the server's token: set the {TOKEN_ENV} environment variable "
                "to the token the server was started with (or pass token=)."
            )
        self._timeout = float(timeout)
        self.id = uuid.uuid4().hex[:16]
        self._max_body = self._hello()
        self._segment_bytes = min(SEGMENT_BYTES, self._max_body // 2)  # a sealed segment fits in one body
        self._dir = spool_dir(self.target, None if spool is None else Path(spool))
        self._lock_fd = lock_new_writer(self._dir, self.id)

        self._lock = threading.Lock()  # guards the spool state below
        self._series: dict[tuple, _Series] = {}
        self._dtype_ids: dict[np.dtype, int] = {}
        self._dtype_segment: dict[np.dtype, int] = {}
        self._seq = 0
        self._segment_no = 0
        self._journal = self._open_segment(0)
        self._sealed: list[tuple[Path, int]] = []  # (segment, last sequence number in it), oldest first
        self._closed = False
        self._error: BaseException | None = None

        self._sent = threading.Condition()  # signalled after every delivery attempt
        self._acked = 0
        self._round = 0  # delivery attempts started
        self._round_done = (0, True)  # (attempt number, succeeded) of the last finished attempt
        self._wake = threading.Event()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name=f"ploteries-sender-{self.id}", daemon=True)
        self._thread.start()
        _LIVE.add(self)

    def _hello(self) -> int:
        """Check the token, that the server takes writes and the database path; the server's body limit.

        An unreachable server is not an error (records wait in the spool); a refusal is, before anything is
        written.
        """
        client = Client(self.target, self._token, timeout=min(self._timeout, 5.0))
        try:
            info = client.json("GET", f"{API}/info")
            if not info.get("accept_writes"):
                raise RemoteAuthError(
                    f"the ploteries server {self.target.base} does not accept writes; start it with "
                    "`ploteries serve ROOT --accept-writes` (and PLOTERIES_TOKEN set). Nothing was written."
                )
            client.request("POST", self.target.route("commit"), body=b"", headers={WRITER_HEADER: self.id})
            return int(info.get("max_body", DEFAULT_MAX_BODY))
        except RemoteUnavailable:
            return DEFAULT_MAX_BODY
        finally:
            client.close()

    # ------------------------------------------------------------------------------------------ public

    def append_scalar(
        self, run: str, tag: str, value, step=0, wall_time=None, *, kind: str = "scalar", part: str = ""
    ) -> None:
        """Append one number (stored as float64). The hot path: a few microseconds."""
        if self._error is not None:
            self._raise_error()
        s = self._series.get((run, tag, part))
        if s is None:
            s = self._new_series(run, tag, part, kind, None, False)
        value = check_scalar(value)
        step = step if type(step) is int else check_step(step)
        wall = time.time() if wall_time is None else check_wall_time(wall_time)
        with self._lock:
            self._check_open()
            if s.segment != self._segment_no:
                self._declare(s)
            self._seq += 1
            self._journal.append(jn.scalar_frame(self._seq, s.sid, step, wall, value))
            if self._journal.size >= self._segment_bytes:
                self._seal()

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
        """Append one record whose value is any non-object numpy array (see ``DatabaseWriter.append``)."""
        if self._error is not None:
            self._raise_error()
        arr = as_value_array(value, "value")
        step = check_step(step)
        wall = time.time() if wall_time is None else check_wall_time(wall_time)
        self._append_records(run, tag, part, kind, meta, ragged, arr[np.newaxis], [step], [wall])

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
        """Append ``len(steps)`` records at once (see ``DatabaseWriter.append_many``)."""
        if self._error is not None:
            self._raise_error()
        arr = as_value_array(values, "values")
        if arr.ndim == 0:
            raise ValueError(
                f"values must have a leading records axis, got a 0-d array {arr!r}; pass e.g. "
                "np.array([0.5, 0.4]) with steps=[1, 2]."
            )
        steps = as_steps(steps, arr.shape[0])
        walls = as_wall_times(wall_times, arr.shape[0], time.time())
        self._append_records(run, tag, part, kind, meta, ragged, arr, steps, walls)

    def set_meta(self, run: str, tag: str, meta: dict, *, part: str = "", kind: str = "tensor") -> None:
        """Merge ``meta`` (JSON-serializable) into the series' metadata."""
        if not isinstance(meta, dict):
            raise TypeError(f"meta must be a dict, got {type(meta).__name__}.")
        text = jn.json_text(meta)
        s = self._series.get((run, tag, part)) or self._new_series(run, tag, part, kind, None, False)
        with self._lock:
            self._check_open()
            if s.segment != self._segment_no:
                self._declare(s)
            self._seq += 1
            self._journal.append(jn.text_frame(b"M", self._seq, s.sid, text))
            s.decl["meta"] = {**s.decl["meta"], **meta}

    def flush(self) -> None:
        """Send everything appended so far and wait (at most ``close_timeout``) for the acknowledgement.

        Returns early, without error, when the server does not answer: the records wait in the spool and are
        sent when it is back. A refused token raises.
        """
        with self._lock:
            if self._closed:
                return
            self._seal()
            target = self._seq
        self._wait_acked(target, time.monotonic() + self.close_timeout, give_up_on_failure=True)
        if self._error is not None:
            self._raise_error()

    def purge(self, run: str, from_step: int) -> None:
        """Remove every committed record of ``run`` whose step is >= ``from_step`` (after sending what is spooled)."""
        check_name(run, "run")
        from_step = check_step(from_step, "from_step")
        with self._lock:
            self._seal()
            target = self._seq
        if not self._wait_acked(target, time.monotonic() + self.close_timeout, give_up_on_failure=False):
            raise RemoteUnavailable(
                f"cannot purge run {run!r} of {self.path}: the server has not taken the spooled records "
                f"within close_timeout={self.close_timeout} s; retry when it is reachable."
            )
        client = Client(self.target, self._token, timeout=self._timeout)
        try:
            client.json("POST", self.target.route("purge"), params={"run": run, "from_step": from_step})
        finally:
            client.close()

    def close(self, timeout: float | None = None) -> None:
        """Send what is spooled, waiting at most ``timeout`` (default ``close_timeout``) seconds. Idempotent.

        What the server has not acknowledged by then stays in the spool (a warning says where): the next
        writer of this database on this machine sends it, or ``ploteries push``.
        """
        with self._lock:
            if self._closed:
                return
            self._seal()
            target = self._seq
        timeout = self.close_timeout if timeout is None else _positive(timeout, "timeout", zero=True)
        deadline = time.monotonic() + timeout
        done = self._wait_acked(target, deadline, give_up_on_failure=False)
        with self._lock:
            self._closed = True
        self._stop = True
        self._wake.set()
        self._thread.join(timeout=max(0.0, deadline - time.monotonic()) + 1.0)
        _LIVE.discard(self)
        self._journal.close()
        if self._journal.size == 0:
            self._journal.path.unlink(missing_ok=True)
        if done:
            (self._dir / f"{self.id}.lock").unlink(missing_ok=True)
        os.close(self._lock_fd)
        error, self._error = self._error, None
        if not done:
            rows = _spooled_rows([p for p, _ in self._sealed])
            warnings.warn(
                f"{rows} records for {self.path} were not acknowledged within {timeout:g} s and stay in the "
                f"spool {self._dir}: the next writer of this database on this machine sends them, or run "
                "`ploteries push`.",
                stacklevel=2,
            )
        if error is not None:
            raise error

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def spool(self) -> Path:
        """This writer's spool folder."""
        return self._dir

    def __enter__(self) -> RemoteWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<ploteries RemoteWriter {self.path!r}>"

    # --------------------------------------------------------------------------------- caller helpers

    def _check_open(self) -> None:
        if self._closed:
            raise WriterClosedError(
                f"the writer of {self.path} is closed; create a new writer to append more "
                "(records written before are kept)."
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
            s = self._series.get((run, tag, part))
            if s is None:
                decl = {"run": run, "tag": tag, "part": part, "kind": kind, "meta": dict(meta or {})}
                s = self._series[(run, tag, part)] = _Series(
                    len(self._series), {**decl, "ragged": bool(ragged)}
                )
            return s

    def _declare(self, s: _Series) -> None:
        """(Re)declare a series in the current segment (lock held)."""
        self._seq += 1
        self._journal.append(jn.text_frame(b"D", self._seq, s.sid, jn.json_text(s.decl)))
        s.segment = self._segment_no

    def _dtype_id(self, dtype: np.dtype) -> int:
        """Local id of a dtype, declared in the current segment (lock held)."""
        tid = self._dtype_ids.setdefault(dtype, len(self._dtype_ids))
        if self._dtype_segment.get(dtype) != self._segment_no:
            self._seq += 1
            self._journal.append(jn.text_frame(b"T", self._seq, tid, dtype_to_text(dtype)))
            self._dtype_segment[dtype] = self._segment_no
        return tid

    def _append_records(self, run, tag, part, kind, meta, ragged, arr, steps, walls) -> None:
        s = self._series.get((run, tag, part))
        if s is None:
            s = self._new_series(run, tag, part, kind, meta, ragged)
        elif meta:
            self.set_meta(run, tag, meta, part=part)
        arr = np.ascontiguousarray(arr)
        st = np.asarray(steps, "<i8")
        wt = np.asarray(walls, "<f8")
        with self._lock:
            self._check_open()
            if s.segment != self._segment_no:
                self._declare(s)
            tid = self._dtype_id(arr.dtype)
            frame = jn.records_frame(self._seq + 1, s.sid, tid, st, wt, arr, arr.shape[1:])
            if len(frame) > self._max_body // 2:
                raise ValueError(
                    f"value of {arr.nbytes} bytes is too large for the server's request limit of "
                    f"{self._max_body} bytes; log it in smaller pieces or raise the server's --max-body."
                )
            self._seq += 1
            self._journal.append(frame)
            if self._journal.size >= self._segment_bytes:
                self._seal()

    def _open_segment(self, number: int) -> jn.JournalFile:
        return jn.JournalFile(self._dir / f"{self.id}.{number:06d}.jnl")

    def _seal(self) -> None:
        """Close the current segment for sending and start the next (lock held); wakes the sender."""
        if self._journal.size == 0:
            return
        self._journal.close()
        self._sealed.append((self._journal.path, self._seq))
        self._segment_no += 1
        self._journal = self._open_segment(self._segment_no)
        self._wake.set()

    # --------------------------------------------------------------------------------- sending thread

    def _wait_acked(self, target: int, deadline: float, *, give_up_on_failure: bool) -> bool:
        """Wait until the server acknowledged ``target``; False at ``deadline`` (or a failed attempt)."""
        with self._sent:
            first = self._round
            self._wake.set()
            while self._acked < target and self._thread.is_alive() and self._error is None:
                done, ok = self._round_done
                if give_up_on_failure and done > first and not ok:
                    return False
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._sent.wait(timeout=min(left, 0.5))
            return self._acked >= target

    def _run(self) -> None:
        client = Client(self.target, self._token, timeout=self._timeout)
        delay = 0.0
        try:
            while True:
                self._wake.wait(timeout=delay or self.flush_secs)
                self._wake.clear()
                stop = self._stop
                with self._lock:
                    if not self._closed:
                        self._seal()
                    sealed = list(self._sealed)
                with self._sent:
                    self._round += 1
                    attempt = self._round
                ok = self._send(client, sealed)
                with self._sent:
                    self._round_done = (attempt, ok)
                    self._sent.notify_all()
                if stop:
                    return
                delay = 0.0 if ok else _backoff(delay)
        finally:
            client.close()

    def _send(self, client: Client, sealed: list[tuple[Path, int]]) -> bool:
        """One delivery attempt: our sealed segments, then those of dead writers. False if it failed."""
        last_seq = dict(sealed)

        def acknowledged(group: list[Path]) -> None:
            with self._lock:
                self._sealed = [item for item in self._sealed if item[0] not in group]
            with self._sent:
                self._acked = max(self._acked, last_seq[group[-1]])
                self._sent.notify_all()

        try:
            Delivery(client, self.id, self._max_body).send([p for p, _ in sealed], on_ack=acknowledged)
            if not self._stop:
                with dead_writers(self._dir, skip=self.id) as dead:
                    for writer_id in dead:
                        deliver(self._dir, writer_id, Delivery(client, writer_id, self._max_body))
            return True
        except RemoteUnavailable:
            return False
        except (PermissionError, ValueError, KeyError, FileNotFoundError, OSError) as exc:
            self._error = exc  # surfaced on the caller's next call; the records stay in the spool
            return False


def _backoff(delay: float) -> float:
    first, longest = BACKOFF
    return min(longest, max(first, delay * 2)) * random.uniform(0.8, 1.2)


def _positive(value, argname: str, *, zero: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{argname} must be a number of seconds, got {value!r:.60}") from None
    if not (number >= 0 if zero else number > 0) or number != number:
        raise ValueError(f"{argname} must be {'zero or more' if zero else 'positive'} seconds, got {value!r}")
    return number


def _spooled_rows(segments: list[Path]) -> int:
    rows = 0
    for segment in segments:
        try:
            rows += sum(len(fr.steps) for fr in jn.read_frames(segment) if isinstance(fr, jn.Records))
        except OSError:
            continue
    return rows
