"""The HTTP client of a ploteries server: one keep-alive connection, the token, and typed errors.

Errors say what happened and what to do:

- :class:`RemoteAuthError` (a ``PermissionError``): the server refused the token (401) or refuses writes (403).
- :class:`RemoteUnavailable` (a ``ConnectionError``): no answer, a dropped connection or a 5xx; retry later.
- ``KeyError`` / ``FileNotFoundError`` / ``ValueError``: the server's own message for a missing series, a
  missing database or a bad request.
"""

from __future__ import annotations

import errno
import http.client
import json
import socket
import threading
from urllib.parse import urlencode

from .wire import TOKEN_ENV, Target

__all__ = ["Client", "RemoteAuthError", "RemoteUnavailable"]


class RemoteAuthError(PermissionError):
    """The server refused the request's token, or refuses what was asked (writes to a read-only server)."""


class RemoteUnavailable(ConnectionError):
    """The server could not be reached or failed to answer (retry later)."""


_ERRORS = {
    "KeyError": KeyError,
    "FileNotFoundError": FileNotFoundError,
    "ValueError": ValueError,
    "PermissionError": RemoteAuthError,
}


class Client:
    """Requests to one ploteries server over a keep-alive connection (threads take turns).

    Parameters
    ----------
    target : Target
        The server and database.
    token : str, optional
        Sent as ``Authorization: Bearer <token>``.
    timeout : float
        Seconds to connect and to wait for each answer.
    """

    def __init__(self, target: Target, token: str | None, *, timeout: float = 30.0):
        self.target = target
        self.token = token
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None
        self._lock = threading.Lock()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        body: bytes | None = None,
        headers: dict | None = None,
    ) -> tuple[dict, bytes]:
        """Send one request; ``(headers, body)`` of a 2xx or 304 answer (``headers[":status"]`` is the status),
        else the error the status means."""
        if params:
            path = f"{path}?{urlencode({k: v for k, v in params.items() if v is not None})}"
        sent = {"Content-Type": "application/octet-stream", **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        with self._lock:
            try:
                conn = self._connection()
                conn.request(method, path, body=body, headers=sent)
                response = conn.getresponse()
                data = response.read()
                if _cut_short(method, response):
                    raise http.client.IncompleteRead(data)
            except (OSError, http.client.HTTPException) as exc:
                self._close()
                raise RemoteUnavailable(
                    f"no answer from the ploteries server at {self.target.base}: {exc}"
                ) from exc
            if response.will_close:
                self._close()
        answer = {k.lower(): v for k, v in response.getheaders()}
        answer[":status"] = response.status
        if 200 <= response.status < 300 or response.status == 304:
            return answer, data
        raise self._error(response.status, data)

    def json(self, method: str, path: str, **kwargs):
        """:meth:`request`, the answer parsed as JSON."""
        data = self.request(method, path, **kwargs)[1]
        try:
            return json.loads(data)
        except ValueError as exc:
            raise RemoteUnavailable(
                f"the ploteries server at {self.target.base} answered {method} {path} with something that is not "
                f"JSON ({data[:80]!r}); a proxy in between may have cut it"
            ) from exc

    def _error(self, status: int, data: bytes) -> Exception:
        try:
            detail = json.loads(data)
            message, kind = str(detail["error"]), detail.get("type")
        except (ValueError, KeyError, TypeError):
            message, kind = data[:300].decode("utf-8", "replace").strip() or f"HTTP {status}", None
        where = f"ploteries server {self.target.base}"
        if status == 401:
            return RemoteAuthError(
                f"{where} refused the token ({message}); set {TOKEN_ENV} to the token the server was started "
                "with. Nothing was written."
            )
        if status == 403:
            return RemoteAuthError(errno.EACCES, f"{where} refused: {message}")
        if status == 413:
            return ValueError(
                f"{where} refused a request body as too large ({message}); raise its --max-body"
            )
        if status >= 500 or status in (408, 429):
            return RemoteUnavailable(f"{where} failed (HTTP {status}): {message}")
        return _ERRORS.get(kind, ValueError)(f"{where}: {message}")

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            cls = http.client.HTTPSConnection if self.target.scheme == "https" else http.client.HTTPConnection
            self._conn = cls(self.target.host.strip("[]"), self.target.port, timeout=self.timeout)
            self._conn.connect()
            self._conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self._conn

    def close(self) -> None:
        """Close the connection (the next request opens a new one)."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _cut_short(method: str, response: http.client.HTTPResponse) -> bool:
    """Whether an answer lost its end in the headers: the server always says how long a body is, but
    http.client takes a connection that closes inside the headers for their end and reads the body "until close",
    so a cut line would pass for a complete (often empty) answer."""
    if method == "HEAD" or response.status in (204, 304) or 100 <= response.status < 200:
        return False
    return not response.chunked and response.getheader("Content-Length") is None
