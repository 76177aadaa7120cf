"""``RemoteDatabase``: ``ploteries.open("http://HOST:PORT/db.h5")``, a read-only database on a ploteries server.

The same questions as a local :class:`~ploteries.storage.Database` (runs, tags, series, read with step and row
ranges), answered by the server's read routes; arrays arrive as ``.npy`` bytes, exact in dtype and shape.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from ..reader import RaggedRecords, SeriesInfo
from .transport import Client
from .wire import LAYOUT_HEADER, decode_read, info_from_json, parse_url, token_from_env

__all__ = ["RemoteDatabase"]


class RemoteDatabase:
    """A read-only database on a ploteries server. Use ``ploteries.open(url)``.

    Parameters
    ----------
    url : str
        ``http[s]://HOST:PORT/<path of the database on the server>``.
    token : str, optional
        Needed when the server has one; default ``$PLOTERIES_TOKEN``.
    timeout : float
        Seconds to wait for one answer.

    Examples
    --------
    >>> with ploteries.open("http://node1:6006/sweep.h5") as db:     # doctest: +SKIP
    ...     db.runs(), db.read("lr=0.1", "loss", start=1000)["value"]
    """

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 60.0):
        self.target = parse_url(url, "path")
        self.path = self.target.url
        self._client = Client(self.target, token_from_env(token), timeout=timeout)
        self._catalog()  # fail now, with the server's message, on a missing database or a refused token

    def _catalog(self) -> dict:
        return self._client.json("GET", self.target.route("catalog"))

    @property
    def uid(self) -> str:
        """A random id given to the file at creation (a replaced file has a new one)."""
        return self._catalog()["uid"]

    @property
    def generation(self) -> int:
        """Bumped by every committed transaction: a cheap 'did anything change?' for pollers."""
        return self._catalog()["generation"]

    def series(self, run: str | None = None) -> list[SeriesInfo]:
        """Information on every series (of ``run`` if given)."""
        infos = [info_from_json(d) for d in self._catalog()["series"]]
        return [i for i in infos if run is None or i.run == run]

    def runs(self) -> list[str]:
        """The runs, sorted."""
        return sorted({i.run for i in self.series()})

    def tags(self, run: str | None = None) -> list[str]:
        """The tags of ``run`` (of every run if None), sorted, each once."""
        return sorted({i.tag for i in self.series(run)})

    def parts(self, run: str, tag: str) -> list[str]:
        """The parts of one logged object (``""`` is the main value)."""
        return sorted(i.part for i in self.series(run) if i.tag == tag)

    def info(self, run: str, tag: str, part: str = "") -> SeriesInfo:
        """Information on one series; ``KeyError`` naming what exists if it does not."""
        for i in self.series(run):
            if i.tag == tag and i.part == part:
                return i
        raise KeyError(f"no series {run!r}/{tag!r} (part {part!r}) in {self.path}; runs: {self.runs()[:20]}")

    def kind(self, run: str, tag: str, part: str = "") -> str:
        return self.info(run, tag, part).kind

    def step_range(self, run: str | None = None) -> tuple[int, int] | None:
        """(smallest, largest) step over all series (of ``run``)."""
        infos = [i for i in self.series(run) if i.step_min is not None]
        return (min(i.step_min for i in infos), max(i.step_max for i in infos)) if infos else None

    def documents(self) -> dict:
        """Every stored document (JSON values, e.g. figure definitions), by name."""
        return self._client.json("GET", self.target.route("documents"))

    def document(self, name: str, default=None):
        """One stored document, or ``default``."""
        return self.documents().get(name, default)

    def read(
        self,
        run: str,
        tag: str,
        part: str = "",
        *,
        start: int | None = None,
        stop: int | None = None,
        from_row: int = 0,
        to_row: int | None = None,
        fields: Sequence[str] | None = None,
    ):
        """The records of one series, as ``Database.read`` returns them (see its parameters)."""
        return self._read(run, tag, part, start, stop, from_row, to_row, fields, exact=False)

    def read_records(
        self,
        run: str,
        tag: str,
        part: str = "",
        *,
        start: int | None = None,
        stop: int | None = None,
        from_row: int = 0,
        to_row: int | None = None,
    ) -> RaggedRecords:
        """The records of one series as :class:`RaggedRecords`, each value with its exact stored dtype."""
        return self._read(run, tag, part, start, stop, from_row, to_row, None, exact=True)

    def read_many(
        self,
        keys: Sequence[tuple[str, str, str]],
        *,
        start: int | None = None,
        stop: int | None = None,
        from_rows: Sequence[int] | None = None,
        to_rows: Sequence[int | None] | None = None,
        fields: Sequence[str] | None = None,
    ) -> list:
        """:meth:`read` for several ``(run, tag, part)`` keys; None for a key naming no series."""
        out = []
        for i, (run, tag, part) in enumerate(keys):
            rows = (0 if from_rows is None else from_rows[i], None if to_rows is None else to_rows[i])
            try:
                out.append(self._read(run, tag, part, start, stop, *rows, fields, exact=False))
            except KeyError:
                out.append(None)
        return out

    def _read(self, run, tag, part, start, stop, from_row, to_row, fields, *, exact: bool):
        params = {
            "run": run,
            "tag": tag,
            "part": part,
            "start": start,
            "stop": stop,
            "from_row": from_row,
            "to_row": to_row,
            "fields": None if fields is None else json.dumps(list(fields)),
            "exact": 1 if exact else None,
        }
        headers, body = self._client.request("GET", self.target.route("read"), params=params)
        return decode_read(headers.get(LAYOUT_HEADER.lower(), ""), body)

    @property
    def figures(self):
        raise NotImplementedError(
            f"figure definitions of {self.path} are read with .documents() remotely; edit them on the server "
            "(ploteries figures) or in its viewer."
        )

    def close(self) -> None:
        """Close the connection to the server."""
        self._client.close()

    def __enter__(self) -> RemoteDatabase:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<ploteries.RemoteDatabase {self.path!r}>"
