"""Who may use a served viewer: bind-address warning, access token, Host allow-list, security headers.

- **Access token** (optional): if ``PLOTERIES_TOKEN`` is set where the server runs, every request must carry it,
  as ``Authorization: Bearer <token>``, or as the cookie a first visit with ``?token=<token>`` sets (the viewer
  then redirects to the same address without the token, so it does not linger in the address bar or history).
  :func:`token_ok` is the check; the write API of a served database uses it too.
- **Host allow-list**: a request whose ``Host`` header names neither this machine nor an allowed name is refused
  (``400``): a page on another site cannot reach the viewer through a domain it re-points at this machine (DNS
  rebinding). Allowed by default: the loopback names (``localhost``, ``127.0.0.1``, ``[::1]``), any IP address
  literal (a rebinding attack needs a name; an address is the viewer's own origin) and this machine's own host
  names; ``--allowed-hosts`` adds names (``.example.com`` allows its subdomains too; ``*`` turns the check off).
  This holds whatever ``--host`` is: binding to ``0.0.0.0`` serves the machine's addresses and names, not others.
- **Headers**: a Content-Security-Policy under which Dash and Plotly work (scripts from the viewer itself and
  Dash's own inline scripts by hash, no framing by other sites), ``X-Content-Type-Options: nosniff``,
  ``X-Frame-Options: DENY``, ``Referrer-Policy: no-referrer``.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
import socket
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import urlencode

from ploteries.storage.remote.wire import API

__all__ = [
    "COOKIE",
    "LOOPBACK_NAMES",
    "TOKEN_ENV",
    "exposure_warning",
    "host_allowed",
    "machine_names",
    "protect",
    "security_headers",
    "token_from_env",
    "token_ok",
]

TOKEN_ENV = "PLOTERIES_TOKEN"
COOKIE = "ploteries_token"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def token_from_env(environ: Mapping[str, str] = os.environ) -> str | None:
    """The access token from ``PLOTERIES_TOKEN`` (None if unset or blank)."""
    token = environ.get(TOKEN_ENV, "").strip()
    return token or None


def _bearer(authorization: str | None) -> str | None:
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip()
    return None


def token_ok(expected: str | None, request) -> bool:
    """Whether a Flask/Werkzeug ``request`` carries the access token ``expected`` (always True if None).

    The token is looked for in ``Authorization: Bearer``, then the viewer's cookie, then ``?token=``; compared in
    constant time.

    Examples
    --------
    >>> from werkzeug.test import EnvironBuilder
    >>> request = EnvironBuilder(headers={"Authorization": "Bearer s3cret"}).get_request()
    >>> token_ok("s3cret", request), token_ok("other", request), token_ok(None, request)
    (True, False, True)
    """
    if expected is None:
        return True
    offered = [
        _bearer(request.headers.get("Authorization")),
        request.cookies.get(COOKIE),
        request.args.get("token"),
    ]
    want = expected.encode()
    return any(o is not None and hmac.compare_digest(o.encode(), want) for o in offered)


def is_loopback(host: str) -> bool:
    """Whether a bind address (or name) reaches this machine only.

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, True, False)
    """
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, token: str | None) -> str | None:
    """The warning to print when the viewer is bound beyond loopback (None when it is not)."""
    if is_loopback(host):
        return None
    reach = "every network interface" if host in ("0.0.0.0", "::", "") else host
    if token is None:
        return (
            f"warning: the viewer is bound to {reach}: anyone who can reach this machine can read every run it "
            f"serves. Set {TOKEN_ENV} to require an access token, or bind to 127.0.0.1."
        )
    return f"note: the viewer is bound to {reach}; it requires the access token in {TOKEN_ENV}."


def machine_names() -> list[str]:
    """This machine's host names (short and fully qualified), lower case."""
    names = {socket.gethostname()}
    try:
        names.add(socket.getfqdn())
    except OSError:
        pass
    return sorted(n.lower() for n in names if n)


def _host_name(host_header: str) -> str:
    """The name of a ``Host`` header: lower case, without the port, IPv6 brackets kept off."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_allowed(host_header: str | None, allowed: Iterable[str] = ()) -> bool:
    """Whether a request's ``Host`` header names this machine or an allowed name.

    Parameters
    ----------
    host_header : str or None
        The header as sent (``name[:port]``).
    allowed : iterable of str
        Names allowed besides loopback names, IP literals and :func:`machine_names`; ``.example.com`` allows
        ``example.com`` and its subdomains; ``*`` allows every name.

    Examples
    --------
    >>> host_allowed("localhost:6006"), host_allowed("10.1.2.3:6006"), host_allowed("[::1]:80")
    (True, True, True)
    >>> host_allowed("attacker.example:6006"), host_allowed("box.lab.org", [".lab.org"])
    (False, True)
    """
    if not host_header:
        return False
    name = _host_name(host_header)
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    for pattern in (*LOOPBACK_NAMES, *machine_names(), *(a.strip().lower() for a in allowed)):
        if pattern == "*" or name == pattern:
            return True
        if pattern.startswith(".") and (name == pattern[1:] or name.endswith(pattern)):
            return True
    return False


def security_headers(script_hashes: Sequence[str] = ()) -> dict[str, str]:
    """The headers every answer carries; ``script_hashes`` are Dash's inline scripts (``app.csp_hashes()``).

    Examples
    --------
    >>> security_headers()["X-Content-Type-Options"]
    'nosniff'
    """
    policy = {
        "default-src": "'self'",
        # 'unsafe-eval': plotly's WebGL traces (scattergl, 3-D) compile their shaders' glue with Function();
        # inline scripts stay refused but for Dash's own, by hash
        "script-src": " ".join(["'self'", "'unsafe-eval'", *script_hashes]),
        "style-src": "'self' 'unsafe-inline'",  # Dash and Plotly set inline styles
        "img-src": "'self' data: blob:",
        "media-src": "'self' data: blob:",
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return {
        "Content-Security-Policy": "; ".join(f"{k} {v}" for k, v in policy.items()),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    }


def protect(app, *, token: str | None = None, allowed_hosts: Iterable[str] = ()) -> None:
    """Install the Host check, the token check and the headers on a Dash ``app`` (its Flask ``server``).

    Parameters
    ----------
    app : dash.Dash
        The viewer (its inline scripts are hashed into the policy on the first request, once every callback
        is registered).
    token : str or None
        The access token every request must carry (None: no token).
    allowed_hosts : iterable of str
        Names allowed in ``Host`` besides this machine's (see :func:`host_allowed`).
    """
    import flask

    server = app.server
    allowed = tuple(allowed_hosts)
    headers: dict[str, str] = {}

    def plain(message: str, status: int) -> flask.Response:
        if flask.request.path.startswith(API + "/"):  # the remote API answers its clients in JSON
            return flask.Response(json.dumps({"error": message}), status=status, mimetype="application/json")
        return flask.Response(message + "\n", status=status, mimetype="text/plain")

    @server.before_request
    def check_request():
        request = flask.request
        if not host_allowed(request.host, allowed):
            return plain(
                f"refused: Host {request.host!r} is not a name of this viewer; start it with "
                f"--allowed-hosts {_host_name(request.host or '') or 'NAME'} to allow it",
                400,
            )
        if not token_ok(token, request):
            return plain(
                f"this viewer needs its access token: open it once as {request.base_url}?token=TOKEN (the value "
                f"of {TOKEN_ENV} where it runs), or send 'Authorization: Bearer TOKEN'",
                401,
            )
        if token is not None and request.method == "GET" and "token" in request.args:
            rest = [(k, v) for k, v in request.args.items(multi=True) if k != "token"]
            response = flask.redirect(request.path + (f"?{urlencode(rest)}" if rest else ""), code=303)
            response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", secure=request.is_secure)
            return response
        return None

    @server.after_request
    def add_headers(response):
        if not headers:
            headers.update(security_headers(app.csp_hashes()))
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response
