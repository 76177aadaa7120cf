"""The server's HTTP API for remote writers and readers, on the viewer's Flask app.

Routes (``<db>`` is a database path inside ROOT, e.g. ``sweep.h5`` or ``proj/sweep.h5``); each runs one method
of the database's storage backend (:class:`~ploteries.storage.backend.Backend`), so a remote database behaves
as a local one (:class:`~ploteries.storage.remote.backend.RemoteBackend` is the other end)::

    GET  /api/v1/info                        {"version", "accept_writes", "max_body"}
    POST /api/v1/db/<db>/commit              journal frames; header X-Ploteries-Writer (and X-Ploteries-Batch
                                             for a whole batch) -> {"committed", "rows", "applied"}
    POST /api/v1/db/<db>/create              {}
    POST /api/v1/db/<db>/purge               {"run", "from_step"} -> {"removed"}
    POST /api/v1/db/<db>/delete_run          {"run"} -> {"deleted"}
    POST /api/v1/db/<db>/rename_run          {"old", "new"} -> {}
    GET  /api/v1/db/<db>/catalog             the catalog (JSON); ETag "<uid>:<generation>", 304 if unchanged
    GET  /api/v1/db/<db>/documents           {"documents", "version"}
    POST /api/v1/db/<db>/documents           {"documents", "expect"} -> {"ok"}
    POST /api/v1/db/<db>/read                {"keys", "start", "stop", "rows", "fields", "exact"} -> .npz

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
from ploteries.storage import NotADatabaseError
from ploteries.storage.backend import Backend, open_backend
from ploteries.storage.remote.ingest import Ingest, resolve_database
from ploteries.storage.remote.wire import API, BATCH_HEADER, WRITER_HEADER, encode_results

__all__ = ["DEFAULT_MAX_BODY", "register_remote_api"]

DEFAULT_MAX_BODY = 64 * 2**20


class _Refused(Exception):
    def __init__(self, status: int, message: str, kind: str = "PermissionError"):
        super().__init__(message)
        self.status = status
        self.kind = kind


class _Databases:
    """Backends of the databases below the roots, one per file (each keeps its parsed catalog)."""

    def __init__(self, roots: list[Path]):
        self.roots = roots
        self._open: dict[Path, Backend] = {}
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

    def backend(self, relative: str) -> Backend:
        """The backend of an existing database (kept: it caches the parsed catalog)."""
        path = self.find(relative)
        with self._lock:
            backend = self._open.get(path)
            if backend is None:
                backend = self._open[path] = open_backend(path)
        return backend


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

    def _payload() -> dict:
        try:
            data = json.loads(_body() or b"{}")
        except ValueError:
            raise ValueError("the request body must be a JSON object") from None
        if not isinstance(data, dict):
            raise ValueError("the request body must be a JSON object")
        return data

    @api.post("/db/<path:db>/commit")
    def commit(db: str):
        body = _body()
        path = _writable(db)
        batch = flask.request.headers.get(BATCH_HEADER)
        committed, rows, applied = ingest.commit(
            path,
            flask.request.headers.get(WRITER_HEADER, ""),
            body,
            None if batch is None else int(batch),
            dry_run=bool(flask.request.args.get("dry_run")),
        )
        return flask.jsonify(committed=committed, rows=rows, applied=applied)

    @api.post("/db/<path:db>/create")
    def create(db: str):
        open_backend(_writable(db), create=True).create()
        return flask.jsonify({})

    @api.post("/db/<path:db>/purge")
    def purge(db: str):
        path, data = _writable(db), _payload()
        return flask.jsonify(
            removed=open_backend(path, create=True).purge(str(data["run"]), int(data["from_step"]))
        )

    @api.post("/db/<path:db>/delete_run")
    def delete_run(db: str):
        path, data = _writable(db), _payload()
        return flask.jsonify(deleted=open_backend(path, create=True).delete_run(str(data["run"])))

    @api.post("/db/<path:db>/rename_run")
    def rename_run(db: str):
        path, data = _writable(db), _payload()
        open_backend(path, create=True).rename_run(str(data["old"]), str(data["new"]))
        return flask.jsonify({})

    @api.get("/db/<path:db>/catalog")
    def catalog(db: str):
        current = databases.backend(db).catalog()
        etag = f"{current.uid}:{current.generation}"
        if etag in flask.request.if_none_match:
            return flask.Response(status=304, headers={"ETag": f'"{etag}"'})
        return flask.Response(current.to_bytes(), mimetype="application/json", headers={"ETag": f'"{etag}"'})

    @api.get("/db/<path:db>/documents")
    def documents(db: str):
        try:
            docs, version = databases.backend(db).documents()
        except FileNotFoundError:  # a database not created yet has no documents (as a local one)
            docs, version = {}, 0
        return flask.jsonify(documents=docs, version=version)

    @api.post("/db/<path:db>/documents")
    def put_documents(db: str):
        path, data = _writable(db), _payload()
        if not isinstance(data.get("documents"), dict):
            raise ValueError("documents must be a JSON object of name -> value")
        ok = open_backend(path, create=True).put_documents(data["documents"], expect=int(data["expect"]))
        return flask.jsonify(ok=ok)

    @api.post("/db/<path:db>/read")
    def read(db: str):
        data = _payload()
        keys = [tuple(str(x) for x in key) for key in data.get("keys", [])]
        if any(len(key) != 3 for key in keys):
            raise ValueError("keys must be [run, tag, part] triples")
        rows = data.get("rows")
        results = databases.backend(db).read(
            keys,
            start=data.get("start"),
            stop=data.get("stop"),
            rows=None if rows is None else [(int(a), None if b is None else int(b)) for a, b in rows],
            fields=data.get("fields"),
            exact=bool(data.get("exact")),
        )
        return flask.Response(encode_results(results), mimetype="application/octet-stream")

    server.register_blueprint(api)
