"""``RemoteBackend``: the storage backend of a database on a ploteries server (``http://HOST:PORT/db.h5``).

Every method is one request to the server, which runs it on the database's own backend there (one atomic step
each, as for a local file). ``ploteries.open(url)`` reads through it; ``DatabaseWriter(url)`` writes through
:class:`~ploteries.storage.remote.writer.RemoteWriter`, whose spool is this backend's ``journal_dir``.

Examples
--------
>>> backend = RemoteBackend("http://node1:6006/sweep.h5")       # doctest: +SKIP
>>> backend.catalog().series[0].run                              # doctest: +SKIP
'lr=0.1'
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from ..backend import Backend, Capabilities
from ..catalog import Catalog
from .spool import spool_dir
from .transport import Client
from .wire import BATCH_HEADER, WRITER_HEADER, batch_frames, decode_results, parse_url, token_from_env

__all__ = ["RemoteBackend"]


class RemoteBackend(Backend):
    """A database on a ploteries server.

    Parameters
    ----------
    url : str
        ``http[s]://HOST:PORT/<path of the database inside the server's ROOT>``.
    token : str, optional
        The server's token; default ``$PLOTERIES_TOKEN``.
    spool : str or Path, optional
        Spool root of this machine (see :mod:`~ploteries.storage.remote.spool`); default ``$PLOTERIES_SPOOL``.
    timeout : float
        Seconds to wait for one answer.
    """

    capabilities = Capabilities(durable=True, multi_process=True, writable=True, checksums=False)

    def __init__(self, url: str, *, token: str | None = None, spool=None, timeout: float = 60.0):
        self.target = parse_url(url, "path")
        self.location = self.path = self.target.url
        self._client = Client(self.target, token_from_env(token), timeout=timeout)
        self._spool = None if spool is None else Path(spool)
        self._cached: Catalog | None = None

    @property
    def journal_dir(self) -> Path:
        """This machine's spool folder for the database (remote writers' journals)."""
        return spool_dir(self.target, self._spool)

    def _json(self, method: str, action: str, payload=None, **kwargs):
        body = None if payload is None else json.dumps(payload).encode()
        return self._client.json(method, self.target.route(action), body=body, **kwargs)

    def catalog(self) -> Catalog:
        headers = {}
        if self._cached is not None:
            headers["If-None-Match"] = f'"{self._cached.uid}:{self._cached.generation}"'
        answer, data = self._client.request("GET", self.target.route("catalog"), headers=headers)
        if answer[":status"] != 304:
            self._cached = Catalog.from_bytes(data)
        return self._cached

    def exists(self) -> bool:
        try:
            self.catalog()
        except FileNotFoundError:
            return False
        return True

    def create(self) -> None:
        self._json("POST", "create")

    def commit(self, batch, *, dry_run: bool = False) -> bool:
        """Send ``batch`` as journal frames; the server applies it once (writer id + ``batch.last_seq``)."""
        answer = self._client.json(
            "POST",
            self.target.route("commit"),
            params={"dry_run": 1 if dry_run else None},
            body=batch_frames(batch),
            headers={WRITER_HEADER: batch.writer, BATCH_HEADER: str(batch.last_seq)},
        )
        return bool(answer["applied"])

    def purge(self, run: str, from_step: int) -> int:
        return int(self._json("POST", "purge", {"run": run, "from_step": int(from_step)})["removed"])

    def delete_run(self, run: str) -> int:
        return int(self._json("POST", "delete_run", {"run": run})["deleted"])

    def rename_run(self, old: str, new: str) -> None:
        self._json("POST", "rename_run", {"old": old, "new": new})

    def documents(self) -> tuple[dict, int]:
        answer = self._json("GET", "documents")
        return answer["documents"], answer["version"]

    def put_documents(self, documents: dict, *, expect: int) -> bool:
        return bool(self._json("POST", "documents", {"documents": documents, "expect": expect})["ok"])

    def read(
        self,
        keys: Sequence[tuple[str, str, str]],
        *,
        start: int | None = None,
        stop: int | None = None,
        rows: Sequence[tuple[int, int | None]] | None = None,
        fields: Sequence[str] | None = None,
        exact: bool = False,
    ) -> list:
        payload = {
            "keys": [list(k) for k in keys],
            "start": None if start is None else int(start),
            "stop": None if stop is None else int(stop),
            "rows": None if rows is None else [[int(a), None if b is None else int(b)] for a, b in rows],
            "fields": None if fields is None else list(fields),
            "exact": bool(exact),
        }
        _, data = self._client.request("POST", self.target.route("read"), body=json.dumps(payload).encode())
        return decode_results(data)

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:
        return f"<RemoteBackend {self.location!r}>"
