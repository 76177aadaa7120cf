"""The local spool of remote writers: journal segments waiting for the server's acknowledgement.

A remote writer appends every record to its own journal segments (the same CRC-framed journal as local
writers: durable on ``kill -9`` once the call returns) in a spool folder of its target database::

    $PLOTERIES_SPOOL (default ~/.cache/ploteries/spool)/
        node1_6006_sweep.h5-<hash>/            one folder per server and database
            target.json                        {"url": ...} so that ``ploteries push`` knows where it goes
            <writer id>.lock                   flock-ed while the writer lives
            <writer id>.000003.jnl             sealed segments, sent oldest first, deleted once acknowledged

A segment whose writer's lock is free belongs to a writer that died or closed before the server took
everything: the next writer of that database on this machine, or ``ploteries push``, sends it under the dead
writer's id (the server commits each record once, whoever delivers it).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

from .. import journal as jn
from ..errors import JournalDamageWarning
from ..hdf5.locking import try_lock_exclusive
from .transport import Client
from .wire import WRITER_HEADER, Target, frame_bytes

__all__ = [
    "SPOOL_ENV",
    "Delivery",
    "dead_writers",
    "deliver",
    "segments_of",
    "spool_dir",
    "spool_dirs",
    "spool_root",
]

SPOOL_ENV = "PLOTERIES_SPOOL"
TARGET_FILE = "target.json"


def spool_root() -> Path:
    """``$PLOTERIES_SPOOL``, else ``$XDG_CACHE_HOME/ploteries/spool``, else ``~/.cache/ploteries/spool``."""
    if os.environ.get(SPOOL_ENV):
        return Path(os.environ[SPOOL_ENV])
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "ploteries" / "spool"


def spool_dir(target: Target, root: Path | None = None) -> Path:
    """The spool folder of ``target`` (created, with its ``target.json``).

    Examples
    --------
    >>> from ploteries.storage.remote.wire import parse_url
    >>> spool_dir(parse_url("http://node1:6006/a/sweep.h5"), Path("/tmp/spool")).name  # doctest: +SKIP
    'node1_6006_a_sweep.h5-0f6e1a2b'
    """
    root = spool_root() if root is None else Path(root)
    digest = hashlib.sha256(target.url.encode()).hexdigest()[:8]
    readable = re.sub(r"[^0-9A-Za-z_.=-]+", "_", f"{target.host}_{target.port}_{target.database}")[:80]
    directory = root / f"{readable}-{digest}"
    directory.mkdir(parents=True, exist_ok=True)
    marker = directory / TARGET_FILE
    if not marker.exists():
        tmp = directory / f".{TARGET_FILE}.{os.getpid()}"
        tmp.write_text(json.dumps({"url": target.url}))
        os.replace(tmp, marker)
    return directory


def spool_dirs(root: Path | None = None) -> list[tuple[Path, str]]:
    """Every spool folder below ``root`` with the URL of its database, sorted."""
    root = spool_root() if root is None else Path(root)
    found = []
    for marker in sorted(root.glob(f"*/{TARGET_FILE}")):
        try:
            found.append((marker.parent, json.loads(marker.read_text())["url"]))
        except (OSError, ValueError, KeyError):
            continue
    return found


def segments_of(directory: Path, writer_id: str) -> list[Path]:
    """The journal segments of one writer, oldest first."""
    return sorted(directory.glob(f"{writer_id}.*.jnl"))


def segment_frames(segment: Path) -> list[tuple[jn.Declared | jn.Records, bytes]]:
    """The intact frames of a spool segment, each with its bytes ready to send.

    A torn or zero-filled tail (a kill) is not sent; damaged spans are skipped with a warning that names what
    was lost (``JournalDamageWarning``), as a local replay does.
    """
    frames, damage = jn.scan(segment.read_bytes())
    if damage:
        warnings.warn(
            f"spool segment {segment} is damaged: {'; '.join(d.describe() for d in damage)} skipped; the rest is "
            "sent.",
            JournalDamageWarning,
            stacklevel=2,
        )
    return [(fr, frame_bytes(fr)) for fr in frames]


def spooled_rows(segments: list[Path]) -> int:
    """How many records ``segments`` hold (for messages)."""
    rows = 0
    for segment in segments:
        try:
            rows += sum(
                len(fr.steps) for fr in jn.scan(segment.read_bytes())[0] if isinstance(fr, jn.Records)
            )
        except OSError:
            continue
    return rows


@contextlib.contextmanager
def dead_writers(directory: Path, skip: str | None = None) -> Iterator[list[str]]:
    """The ids of writers in ``directory`` whose lock is free, locked for the ``with`` block (so one sender each)."""
    held: list[tuple[str, int]] = []
    try:
        for lock_path in sorted(directory.glob("*.lock")):
            writer_id = lock_path.name[: -len(".lock")]
            if writer_id == skip or writer_id.startswith("."):
                continue
            fd = try_lock_exclusive(lock_path)
            if fd is not None:
                held.append((writer_id, fd))
        yield [writer_id for writer_id, _ in held]
    finally:
        for _, fd in held:
            os.close(fd)


class Delivery:
    """Sends one writer's sealed segments, oldest first, in bodies of at most ``max_body`` bytes.

    Each acknowledged body's segments are deleted; :attr:`rows` counts the records the server committed.
    """

    def __init__(self, client: Client, writer_id: str, max_body: int):
        self.client = client
        self.writer_id = writer_id
        self.max_body = max_body
        self.rows = 0

    def send(self, segments: list[Path], on_ack: Callable[[list[Path]], None] | None = None) -> None:
        """Send every frame of ``segments`` (or raise); ``on_ack(done)`` after each acknowledged body with the
        segments it completed, which are then deleted.

        A segment split over several bodies repeats its declarations (series, dtypes) at the start of each.
        """
        body: list[bytes] = []
        size = 0
        done: list[Path] = []  # segments whose last frame is in ``body``
        for segment in segments:
            declarations: list[bytes] = []
            for fr, data in segment_frames(segment):
                if len(data) > self.max_body // 2:
                    raise ValueError(
                        f"a spooled record of {len(data)} bytes in {segment} is over half the server's request "
                        f"limit of {self.max_body} bytes; raise the server's --max-body and run `ploteries push`."
                    )
                if size + len(data) > self.max_body:
                    self._send_body(body, done, on_ack)
                    body, done = list(declarations), []
                    size = sum(map(len, body))
                if isinstance(fr, jn.Declared) and fr.kind in "DT":
                    declarations.append(data)
                body.append(data)
                size += len(data)
            done.append(segment)
        self._send_body(body, done, on_ack)

    def _send_body(self, body: list[bytes], done: list[Path], on_ack) -> None:
        if body:
            self.rows += self.commit(b"".join(body))[1]
        for segment in done:
            segment.unlink(missing_ok=True)
        if done and on_ack is not None:
            on_ack(done)

    def commit(self, body: bytes) -> tuple[int, int]:
        """POST one body of frames; ``(acknowledged sequence number, rows committed)``."""
        answer = self.client.json(
            "POST", self.client.target.route("commit"), body=body, headers={WRITER_HEADER: self.writer_id}
        )
        return int(answer["committed"]), int(answer["rows"])


def deliver(directory: Path, writer_id: str, delivery: Delivery) -> None:
    """Send a dead writer's segments, then remove its lock file (its lock is held by :func:`dead_writers`)."""
    delivery.send(segments_of(directory, writer_id))
    (directory / f"{writer_id}.lock").unlink(missing_ok=True)
