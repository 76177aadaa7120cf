"""``RemoteWriter``: ``DatabaseWriter``'s API for a database on a ploteries server (``http://HOST:PORT/db.h5``).

Data flow::

    caller thread ──append──> spool segment (DatabaseWriter's journal: a copy into a shared memory map,
                              durable on kill -9)
    sending thread ──every flush_secs / full segment / flush() / close()──> seal the segment,
        POST sealed segments to the server, delete what it acknowledged

The server commits each record once whoever delivers it (writer id + sequence number), so a lost answer, a
retry or a second delivery never duplicates anything. While the server is down or restarting the writer
keeps appending to its spool and retries with backoff; ``close()`` waits at most ``close_timeout`` seconds and
leaves the rest in the spool for the next writer of that database on this machine or for ``ploteries push``.
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
import warnings
from pathlib import Path

from .. import journal as jn
from ..values import check_name, check_step
from ..writer import _LIVE_WRITERS, DatabaseWriter
from .backend import RemoteBackend
from .spool import Delivery, dead_writers, deliver, spool_dir, spooled_rows
from .transport import Client, RemoteAuthError, RemoteUnavailable
from .wire import API, TOKEN_ENV, WRITER_HEADER, parse_url, token_from_env

__all__ = ["RemoteWriter"]

DEFAULT_MAX_BODY = 64 * 2**20
PENDING_ROWS = 4096  # the in-memory copies the append methods keep are dropped this often
PENDING_BYTES = 4 * 2**20
BACKOFF = (0.05, 2.0)  # first and longest wait between attempts while the server does not answer


class RemoteWriter(DatabaseWriter):
    """Write records into a database on a ploteries server; every call returns once its record is spooled.

    Use it through ``DatabaseWriter("http://HOST:PORT/db.h5")`` or
    ``SummaryWriter(database="http://HOST:PORT/db.h5", run=...)``. The server is ``ploteries serve ROOT
    --accept-writes`` started with the same ``PLOTERIES_TOKEN``. The append methods are
    :class:`~ploteries.storage.DatabaseWriter`'s (the same journal, here the spool); what differs is where
    sealed segments go.

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
        self.max_pending_rows = PENDING_ROWS  # records are sent from the spool: memory only holds a few
        self.max_pending_bytes = PENDING_BYTES
        self.fsync = False
        self.id = uuid.uuid4().hex[:16]
        self._max_body = self._hello()
        self._journal_dir = spool_dir(self.target, None if spool is None else Path(spool))
        self._start_journal()
        self._sealed_seq: dict[Path, int] = {}  # sealed segment -> the last sequence number in it

        self._sent = threading.Condition()  # signalled after every delivery attempt
        self._acked = 0
        self._round = 0  # delivery attempts started
        self._round_done = (0, True)  # (attempt number, succeeded) of the last finished attempt
        self._wake = threading.Event()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name=f"ploteries-sender-{self.id}", daemon=True)
        self._thread.start()
        _LIVE_WRITERS.add(self)  # closed at exit like local writers

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
        backend = RemoteBackend(self.path, token=self._token, timeout=self._timeout)
        try:
            backend.purge(run, from_step)
        finally:
            backend.close()

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
        _LIVE_WRITERS.discard(self)
        empty = self._journal.pos <= jn.SEGMENT_HEAD.size
        self._journal.close()
        if empty:
            self._journal.path.unlink(missing_ok=True)
        if done:
            (self._journal_dir / f"{self.id}.lock").unlink(missing_ok=True)
        os.close(self._lock_fd)
        error, self._error = self._error, None
        if not done:
            with self._lock:
                left = list(self._segment_paths)
            warnings.warn(
                f"{spooled_rows(left)} records for {self.path} were not acknowledged within {timeout:g} s and stay "
                f"in the spool {self._journal_dir}: the next writer of this database on this machine sends them, "
                "or run `ploteries push`.",
                stacklevel=2,
            )
        if error is not None:
            raise error

    @property
    def spool(self) -> Path:
        """This writer's spool folder."""
        return self._journal_dir

    def __repr__(self) -> str:
        return f"<ploteries RemoteWriter {self.path!r}>"

    # ------------------------------------------------------------------------- the journal as a spool

    def _prepare(self, s, nbytes: int, dtype=None) -> None:
        if nbytes > self._max_body // 2:
            raise ValueError(
                f"a record of {nbytes} bytes is too large for the server's request limit of {self._max_body} "
                "bytes; log it in smaller pieces or raise the server's --max-body."
            )
        super()._prepare(s, nbytes, dtype)

    def _rotate(self, need: int) -> None:
        seq = self._seq  # the last sequence number of the segment being sealed
        super()._rotate(need)
        self._sealed_seq[self._segment_paths[-1]] = seq
        self._wake.set()

    def _seal(self) -> None:
        """Seal the current segment for sending, if it holds anything (lock held)."""
        if self._journal.pos > jn.SEGMENT_HEAD.size:
            self._rotate(0)

    def _wait_for_space(self) -> None:
        """The spool, not memory, holds what is not sent yet: forget the in-memory copies (lock held)."""
        for s in self._series.values():
            p = s.pending
            p.steps, p.walls, p.values, p.chunks = [], [], [], []
        self._pending_rows = self._pending_bytes = 0

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
                        self._wait_for_space()
                    sealed = [(p, self._sealed_seq[p]) for p in self._segment_paths]
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
                self._segment_paths = [p for p in self._segment_paths if p not in group]
                for p in group:
                    self._sealed_seq.pop(p, None)
            with self._sent:
                self._acked = max(self._acked, last_seq[group[-1]])
                self._sent.notify_all()

        try:
            Delivery(client, self.id, self._max_body).send([p for p, _ in sealed], on_ack=acknowledged)
            if not self._stop:
                with dead_writers(self._journal_dir, skip=self.id) as dead:
                    for writer_id in dead:
                        deliver(self._journal_dir, writer_id, Delivery(client, writer_id, self._max_body))
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
