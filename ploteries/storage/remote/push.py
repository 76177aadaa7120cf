"""``ploteries push``: send what remote writers left in this machine's spool (server down at their close)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from .spool import Delivery, dead_writers, deliver, spool_dirs
from .transport import Client, RemoteUnavailable
from .wire import parse_url, token_from_env
from .writer import DEFAULT_MAX_BODY

__all__ = ["PushResult", "push"]


@dataclasses.dataclass
class PushResult:
    """What one spool folder's push did: rows the server committed now, writers left (unreachable server)."""

    url: str
    rows: int = 0
    left: int = 0
    error: str | None = None


def push(url: str | None = None, *, spool: Path | None = None, token: str | None = None) -> list[PushResult]:
    """Send the records of finished or dead remote writers waiting in the spool (of ``url`` only, if given).

    Live writers' segments are left to them. Sending twice never duplicates (the server commits each record
    once), so this is safe to run at any time, e.g. at the end of a batch job.

    Examples
    --------
    >>> [r.rows for r in push()]                   # doctest: +SKIP
    [5000]
    """
    wanted = None if url is None else parse_url(url, "url").url
    results = []
    for directory, target_url in spool_dirs(spool):
        if wanted is not None and target_url != wanted:
            continue
        result = PushResult(target_url)
        client = Client(parse_url(target_url), token_from_env(token))
        try:
            with dead_writers(directory) as writers:
                for writer_id in writers:
                    delivery = Delivery(client, writer_id, DEFAULT_MAX_BODY)
                    try:
                        deliver(directory, writer_id, delivery)
                    except (RemoteUnavailable, PermissionError, ValueError) as exc:
                        result.left += 1
                        result.error = str(exc)
                    result.rows += delivery.rows
        finally:
            client.close()
        results.append(result)
    return results
