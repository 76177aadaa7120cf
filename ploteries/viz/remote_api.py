"""The server's HTTP API for remote writers and readers, on the viewer's Flask app.

Routes (``<db>`` is a database path inside ROOT, e.g. ``sweep.h5`` or ``proj/sweep.h5``)::

    GET  /api/v1/info                   {"version", "accept_writes", "max_body"}
    POST /api/v1/db/<db>/commit         body: journal frames, header X-Ploteries-Writer -> {"committed", "rows"}
    POST /api/v1/db/<db>/purge?run=&from_step=            -> {"removed"}
    GET  /api/v1/db/<db>/catalog        {"uid", "generation", "series": [...]}
    GET  /api/v1/db/<db>/documents      {name: value}
    GET  /api/v1/db/<db>/read?run=&tag=&part=&start=&stop=&from_row=&to_row=&fields=&exact=   .npy / .npz

With a token configured every route needs ``Authorization: Bearer <token>`` (401 without it); writes need
``--accept-writes`` (403 without it). Paths outside ROOT are refused (403), bodies over ``max_body`` too (413).
Errors answer JSON ``{"error": message, "type": exception name}``.
"""

from __future__ import annotations

import hmac
import json
import threading
from pathlib import Path

import flask

import ploteries
from ploteries.storage import Database, NotADatabaseError, purge_run
from ploteries.storage.remote.ingest import Ingest, resolve_database
from ploteries.storage.remote.wire import (
    API,
    BATCH_HEADER,
    LAYOUT_HEADER,
    WRITER_HEADER,
    encode_read,
    info_to_json,
)

__all__ = ["DEFAULT_MAX_BODY", "register_remote_api"]

DEFAULT_MAX_BODY = 64 * 2**20


class _Refused(Exception):
    def __init__(self, status: int, message: str, kind: str = "PermissionError"):
        super().__init__(message)
        self.status = status
        self.kind = kind


def _int_arg(name: str, default=None):
    text = flask.request.args.get(name)
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"query parameter {name} must be an integer, got {text[:40]!r}") from None


class _Databases:
    """Readers of the databases below the roots, one per file (each keeps its parsed catalog)."""

    def __init__(self, roots: list[Path]):
        self.roots = roots
        self._open: dict[Path, Database] = {}
        self._lock = threading.Lock()

    def find(self, relative: str) -> Path:
        """The file ``relative`` names in the first root holding it (a root that is a file matches its name)."""
        refusal: Exception | None = None
        for root in self.roots:
            if root.is_file():
                if relative == root.name:
                    return root
                continue
            try:
                return resolve_database(root, relative)
            except (FileNotFoundError, PermissionError) as exc:
                refusal = refusal or exc
        if isinstance(refusal, PermissionError):
            raise refusal
        raise FileNotFoundError(2, f"no database {relative!r} below {', '.join(map(str, self.roots))}")

    def reader(self, relative: str) -> Database:
        path = self.find(relative)
        with self._lock:
            db = self._open.get(path)
        if db is None:
            db = Database(path)
            with self._lock:
                self._open[path] = db
        return db


def register_remote_api(
    server: flask.Flask,
    roots,
    *,
    token: str | None,
    accept_writes: bool = False,
    max_body: int = DEFAULT_MAX_BODY,
) -> None:
    """Add the remote API's routes to ``server`` (the viewer's ``app.server``).

    Writes go into the first root, which must then be a directory.

    Examples
    --------
    >>> app = create_app(Library(["runs"]))                                                 # doctest: +SKIP
    >>> register_remote_api(app.server, ["runs"], token="s3cret", accept_writes=True)      # doctest: +SKIP
    """
    roots = [Path(r) for r in roots]
    if accept_writes:
        if not token:
            raise ValueError(
                "--accept-writes needs a token: start the server with PLOTERIES_TOKEN set to a long random "
                'secret (e.g. PLOTERIES_TOKEN=$(python -c "import secrets; print(secrets.token_urlsafe(32))")) '
                "and give the same value to the writers"
            )
        if not roots[0].is_dir():
            raise ValueError(
                f"--accept-writes needs ROOT to be a directory (writes go there), got {roots[0]}"
            )
    databases = _Databases(roots)
    ingest = Ingest()
    api = flask.Blueprint("ploteries_api", __name__, url_prefix=API)

    @api.before_request
    def _check_token():
        if not token:
            return None
        given = flask.request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise _Refused(401, "missing or wrong token (send 'Authorization: Bearer <token>')")
        return None

    @api.errorhandler(Exception)
    def _error(exc: Exception):
        if isinstance(exc, _Refused):
            status, kind = exc.status, exc.kind
        elif isinstance(exc, PermissionError):
            status, kind = 403, "PermissionError"
        elif isinstance(exc, FileNotFoundError | KeyError):
            status, kind = 404, type(exc).__name__
        elif isinstance(exc, NotADatabaseError | ValueError | TypeError):
            status, kind = 400, "ValueError"
        else:
            flask.current_app.logger.exception("remote API request failed")
            status, kind = 500, type(exc).__name__
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        return flask.jsonify(error=message, type=kind), status

    def _writable(db: str) -> Path:
        if not accept_writes:
            raise _Refused(403, "this server does not accept writes; start it with --accept-writes")
        return resolve_database(roots[0], db, create=True)

    def _body() -> bytes:
        length = flask.request.content_length
        if length is not None and length > max_body:
            raise _Refused(
                413, f"body of {length} bytes is over the server's limit of {max_body} bytes", "ValueError"
            )
        data = flask.request.stream.read(max_body + 1)
        if len(data) > max_body:
            raise _Refused(413, f"body is over the server's limit of {max_body} bytes", "ValueError")
        return data

    @api.get("/info")
    def info():
        return flask.jsonify(version=ploteries.__version__, accept_writes=accept_writes, max_body=max_body)

    @api.post("/db/<path:db>/commit")
    def commit(db: str):
        body = _body()
        path = _writable(db)
        batch = flask.request.headers.get(BATCH_HEADER)
        batch_seq = None if batch is None else int(batch)
        committed, rows, applied = ingest.commit(
            path, flask.request.headers.get(WRITER_HEADER, ""), body, batch_seq
        )
        return flask.jsonify(committed=committed, rows=rows, applied=applied)

    @api.post("/db/<path:db>/purge")
    def purge(db: str):
        path = _writable(db)
        run = flask.request.args.get("run")
        from_step = _int_arg("from_step")
        if run is None or from_step is None:
            raise ValueError("purge needs the query parameters run and from_step")
        return flask.jsonify(removed=purge_run(path, run, from_step))

    @api.get("/db/<path:db>/catalog")
    def catalog(db: str):
        reader = databases.reader(db)
        return flask.jsonify(
            uid=reader.uid, generation=reader.generation, series=[info_to_json(i) for i in reader.series()]
        )

    @api.get("/db/<path:db>/documents")
    def documents(db: str):
        return flask.jsonify(databases.reader(db).documents())

    @api.get("/db/<path:db>/read")
    def read(db: str):
        reader = databases.reader(db)
        args = flask.request.args
        key = (args.get("run", ""), args.get("tag", ""), args.get("part", ""))
        ranges = {
            "start": _int_arg("start"),
            "stop": _int_arg("stop"),
            "from_row": _int_arg("from_row", 0),
            "to_row": _int_arg("to_row"),
        }
        if args.get("exact"):
            result = reader.read_records(*key, **ranges)
        else:
            fields = json.loads(args["fields"]) if args.get("fields") else None
            result = reader.read(*key, **ranges, fields=fields)
        layout, data = encode_read(result)
        return flask.Response(data, mimetype="application/octet-stream", headers={LAYOUT_HEADER: layout})

    server.register_blueprint(api)
