"""The server's side of remote writes: where a database may be, and committing a writer's frames once.

A remote writer sends its spooled journal frames with its writer id. The server parses them exactly as crash
recovery parses a dead writer's journal, keeps the records numbered above what the catalog says that writer
committed, and commits them in one transaction that also records the writer's new sequence number. Sending
the same frames again (a retry after a lost answer, a second delivery from the spool) commits nothing twice.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

from ..backend import open_backend
from ..batch import commit
from ..discovery import DATABASE_SUFFIXES
from ..journal import scan
from ..recovery import batch_from_frames, committed_seqs
from ..values import check_name

__all__ = ["Ingest", "check_writer_id", "resolve_database"]

_WRITER_ID = re.compile(r"[0-9A-Za-z_.-]{1,64}")


def check_writer_id(writer_id) -> str:
    """``writer_id`` if it is a plausible writer id (letters, digits, ``_.-``, at most 64), else ``ValueError``."""
    if not isinstance(writer_id, str) or not _WRITER_ID.fullmatch(writer_id):
        raise ValueError(
            f"writer id {str(writer_id)[:80]!r} must be 1 to 64 letters, digits, '_', '.' or '-'"
        )
    return writer_id


def resolve_database(root: Path, relative: str, *, create: bool = False) -> Path:
    """The file ``relative`` names inside ``root``; ``PermissionError`` if it would leave ``root``.

    ``..`` components, absolute paths and symbolic links that lead out of ``root`` are refused; the name must end
    in a database suffix (``.h5``, ``.hdf5``, ``.ploteries``). With ``create``, missing folders inside ``root``
    are made; without it a missing file is ``FileNotFoundError``.

    Examples
    --------
    >>> resolve_database(Path("/srv/runs"), "../etc/passwd.h5")
    Traceback (most recent call last):
    ...
    PermissionError: database path '../etc/passwd.h5' is outside the server's ROOT /srv/runs
    """
    parts = relative.replace("\\", "/").split("/")
    if not relative or "\x00" in relative or relative.startswith("/") or ".." in parts or "" in parts:
        raise PermissionError(f"database path {relative!r} is outside the server's ROOT {root}")
    if not relative.endswith(DATABASE_SUFFIXES) or any(p.startswith(".") for p in parts):
        raise ValueError(
            f"database path {relative!r} must name a file ending in {', '.join(DATABASE_SUFFIXES)} "
            "(no hidden folders), e.g. sweep.h5"
        )
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(real_root, *parts))
    if os.path.commonpath([real_root, real]) != real_root or real == real_root:
        raise PermissionError(
            f"database path {relative!r} is outside the server's ROOT {root} (a symbolic link)"
        )
    path = Path(real)
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.is_file():
        raise FileNotFoundError(2, f"no database {relative!r} in the server's ROOT {root}")
    return path


class Ingest:
    """Commits remote writers' frames; one delivery at a time per database and writer.

    Examples
    --------
    >>> ingest = Ingest()                                                 # doctest: +SKIP
    >>> ingest.commit(Path("runs/sweep.h5"), "3f2a9c", frames_bytes)     # doctest: +SKIP
    (42, 40)
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[tuple[str, str], threading.Lock] = {}

    def _lock(self, path: Path, writer_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault((str(path), writer_id), threading.Lock())

    def commit(
        self, path: Path, writer_id: str, body: bytes, batch_seq: int | None = None, *, dry_run: bool = False
    ) -> tuple[int, int, bool]:
        """Commit the records of ``body`` (journal frames) not yet committed for ``writer_id``.

        A writer's delivery (``batch_seq`` None) keeps each frame numbered above the writer's committed sequence
        number. A whole batch (``Backend.commit``: frames numbered from 1, ``batch_seq`` the writer's number after
        it) is applied entirely or, if that number is committed already, not at all.

        Returns ``(the writer's last committed sequence number, rows committed now, whether anything was
        applied)``. ``ValueError`` for a damaged body or one naming undeclared series or dtypes: nothing is
        written.
        """
        check_writer_id(writer_id)
        frames, damage = scan(body)
        if damage:
            where = "; ".join(d.describe() for d in damage)
            raise ValueError(f"the batch is damaged ({where}); nothing was written")
        backend = open_backend(path, create=True)
        with self._lock(path, writer_id):
            committed = committed_seqs(backend).get(writer_id, 0)
            if batch_seq is not None and batch_seq <= committed:
                return committed, 0, False
            replay = batch_from_frames(
                frames, writer_id, 0 if batch_seq is not None else committed, "request"
            )
            if (
                replay.damaged
            ):  # frames it cannot use (a gap in the numbers is a writer's own loss, reported there)
                raise ValueError(
                    f"the batch is inconsistent ({'; '.join(replay.losses)}); nothing was written"
                )
            batch = replay.batch
            if batch is None:
                return committed, 0, False
            if batch_seq is not None:
                batch.last_seq = batch_seq
            for ps in batch.series.values():
                check_name(ps.run, "run", allow_empty=True)
                check_name(ps.tag, "tag")
                check_name(ps.part, "part", allow_empty=True)
                check_name(ps.kind, "kind")
            if dry_run:
                return committed, 0, backend.commit(batch, dry_run=True)
            commit(backend, batch)
            return batch.last_seq, batch.rows, True
