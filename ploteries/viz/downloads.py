"""``POST /download``: a card's data as a CSV or JSON file, streamed in bounded memory.

The card's download buttons submit a small form (a clientside callback, :data:`SUBMIT`) holding the card id, the
format and the page's view (settings and filters, :data:`~ploteries.viz.ids.VIEW_STATES`); the answer is an
attachment the browser saves without leaving the page. Rows are encoded as they are read (:func:`csv_chunks`),
so a card of millions of rows never sits in memory as text, nor travels through a Dash callback's JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from .services.export import csv_chunks, json_chunks
from .throttle import Busy, HeavyRequests

__all__ = ["SUBMIT", "DownloadRequest", "parse_download", "register_download_route"]

FORMATS = {"csv": ("text/csv", csv_chunks), "json": ("application/json", json_chunks)}

SUBMIT = """(clicks, ...view) => {
    const done = window.dash_clientside.no_update;
    const triggered = window.dash_clientside.callback_context.triggered || [];
    if (!triggered.length || !triggered[0].value) { return done; }
    const prop = triggered[0].prop_id;
    const id = JSON.parse(prop.slice(0, prop.lastIndexOf('.')));
    const form = document.createElement('form');
    form.method = 'POST';
    form.action = 'download';
    const field = document.createElement('input');
    field.type = 'hidden';
    field.name = 'request';
    field.value = JSON.stringify({card: id.card, fmt: id.fmt, view: view});
    form.appendChild(field);
    document.body.appendChild(form);
    form.submit();
    form.remove();
    return done;
}"""
"""The clientside callback of the download buttons: a form POST to ``download`` (relative to the page)."""


class DownloadRequest(NamedTuple):
    """A download form, validated by :func:`parse_download`."""

    card: str
    fmt: str
    view: list
    """The values of :data:`~ploteries.viz.ids.VIEW_STATES`, in order."""


def parse_download(text: Any) -> DownloadRequest:
    """The ``request`` field of a download form; ValueError naming what is wrong.

    Examples
    --------
    >>> parse_download('{"card": "auto/scalar/loss", "fmt": "csv", "view": [null, "loss", "", "", null]}')
    DownloadRequest(card='auto/scalar/loss', fmt='csv', view=[None, 'loss', '', '', None])
    >>> parse_download('{"card": "c", "fmt": "xlsx", "view": []}')
    Traceback (most recent call last):
    ...
    ValueError: download fmt must be one of ['csv', 'json'], got 'xlsx'
    """
    try:
        value = json.loads(text) if isinstance(text, (str, bytes)) else None
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ValueError("a download needs a 'request' field holding a JSON object {card, fmt, view}")
    card, fmt, view = value.get("card"), value.get("fmt"), value.get("view", [])
    if not isinstance(card, str):
        raise ValueError(f"download card must be a card id (text), got {card!r:.60}")
    if fmt not in FORMATS:
        raise ValueError(f"download fmt must be one of {sorted(FORMATS)}, got {fmt!r:.20}")
    if not isinstance(view, list) or len(view) > 5:
        raise ValueError("download view must be a list of the page's settings and filters (at most 5 values)")
    return DownloadRequest(card, fmt, view + [None] * (5 - len(view)))


def file_name(title: str, fmt: str) -> str:
    """A safe file name from a card title: letters, digits, ``-_.``, the rest as ``_``.

    Examples
    --------
    >>> file_name("loss/train (ema)", "csv")
    'loss_train__ema_.csv'
    """
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in title) or "card"
    return f"{name}.{fmt}"


class _Held:
    """An iterator over ``chunks`` that releases a heavy-request slot when it ends or is closed (WSGI close)."""

    def __init__(self, chunks: Iterable[str], release) -> None:
        self._chunks = iter(chunks)
        self._release = release

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._chunks).encode("utf-8")
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            getattr(self._chunks, "close", lambda: None)()
            release()


def register_download_route(server, viewer, heavy: HeavyRequests) -> None:
    """Add ``POST /download`` to a Flask ``server``: the card's rows, streamed, holding one ``heavy`` slot."""
    import flask

    def plain(message: str, status: int, **headers) -> flask.Response:
        return flask.Response(message + "\n", status=status, mimetype="text/plain", headers=headers)

    @server.route("/download", methods=["POST"])
    def download():
        try:
            card, fmt, view = parse_download(flask.request.form.get("request"))
            context = viewer.card_context(card, *view)
        except (ValueError, TypeError) as exc:
            return plain(str(exc), 400)
        if context is None:
            return plain(f"no card {card!r} on this page with these filters", 404)
        rows = context.card_type.export(context) or []
        mimetype, encode = FORMATS[fmt]
        try:
            release = heavy.acquire()
        except Busy as exc:
            return plain(str(exc), 503, **{"Retry-After": str(heavy.retry_after)})
        name = file_name(str(context.definition.get("title") or context.card_id), fmt)
        response = flask.Response(_Held(encode(rows), release), mimetype=mimetype)
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
