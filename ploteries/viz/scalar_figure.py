"""The scalar card's figure and state as small pure functions (the card's methods only read and route).

A card is drawn in four steps: the lines' budget (:func:`~ploteries.viz.services.payload.line_budget`), each
series' points (:func:`~ploteries.viz.scalar_traces.overview_points`), their traces (:func:`line_traces`, numpy
arrays, encoded for the wire at the end by :func:`~ploteries.viz.services.payload.encode_traces`), and the state
the browser keeps (:func:`series_entry`, :func:`card_state`). A live tick checks that state against the
library (:func:`held_entries`, :func:`grown_series`) and appends the new rows as *tail traces*
(:func:`with_overlap`): typed arrays cannot be extended by a ``dash.Patch``, plain lists can.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import math
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .scalar_traces import TracePoints
from .services.checksum import client_state
from .services.outliers import y_domain
from .services.smoothing import EmaState

__all__ = [
    "Redraw",
    "card_state",
    "ema_value",
    "grown_series",
    "held_entries",
    "line_traces",
    "outlier_range",
    "pack_entries",
    "series_entries",
    "series_entry",
    "with_overlap",
]


class Redraw(Exception):
    """What the browser holds cannot be patched: the card is drawn anew."""


_X_HOVER = {"step": "step %{x}", "relative": "%{x:.3f} h", "wall": "%{x}"}


def _line(kind: dict, style: Mapping, color: str, width: float) -> dict:
    trace = {"type": "scatter", "mode": "lines", **kind}
    for key, value in style.items():
        trace[key] = {**trace.get(key, {}), **value} if isinstance(value, Mapping) else value
    trace["line"] = {"color": color, "width": width, **(trace.get("line") or {})}
    return trace


def line_traces(
    pts: TracePoints, *, name: str, color: str, style: Mapping, xmode: str, smoothing: bool
) -> list[dict]:
    """The traces of one series: its raw line, and with smoothing the smoothed line over a faint raw one.

    Arrays stay numpy (encode them for the wire with :func:`~ploteries.viz.services.payload.encode_traces`).

    Examples
    --------
    >>> pts = TracePoints(np.array([0, 1]), np.array([1.0, 2.0]), None, None, None, 2, EmaState(0.0, 0), None, 1, 2.0)
    >>> [t["name"] for t in line_traces(pts, name="r", color="#000", style={}, xmode="step", smoothing=False)]
    ['r']
    """
    x_hover = _X_HOVER[xmode]
    common = {"name": name, "legendgroup": name}
    if not smoothing:
        hover = "<b>%{fullData.name}</b><br>" + x_hover + "<br>%{y:.6g}<extra></extra>"
        return [_line({"x": pts.x, "y": pts.y, **common, "hovertemplate": hover}, style, color, 1.4)]
    raw = _line({"x": pts.x, "y": pts.y, **common}, style, color, 1.4)
    raw.update(opacity=0.28, hoverinfo="skip", showlegend=False)
    hover = (
        "<b>%{fullData.name}</b><br>" + x_hover + "<br>%{customdata:.6g} (smoothed %{y:.6g})<extra></extra>"
    )
    smooth = _line(
        {
            "x": pts.x_smooth,
            "y": pts.y_smooth,
            "customdata": pts.y_raw_at_smooth,
            **common,
            "hovertemplate": hover,
        },
        style,
        color,
        1.8,
    )
    return [raw, smooth]


def ema_value(ema: EmaState, weight: float) -> float:
    """The smoothed value TensorBoard's loop shows after the rows ``ema`` covers (NaN before any).

    Examples
    --------
    >>> ema_value(EmaState(1.824, 3), 0.6) == 1.824 / (1 - 0.6**3)
    True
    """
    if ema.n <= 0:
        return math.nan
    if weight >= 1.0:
        return 0.0
    return ema.last / (1.0 - weight**ema.n)


def with_overlap(pts: TracePoints, x0: Any, y0: float, y0_smooth: float) -> TracePoints:
    """``pts`` with the last point the browser already holds put first, so a tail trace joins its line.

    Examples
    --------
    >>> pts = TracePoints(np.array([5]), np.array([2.0]), np.array([5]), np.array([1.5]), np.array([2.0]),
    ...                   6, EmaState(0.0, 0), None, 5, 2.0)
    >>> joined = with_overlap(pts, 4, 1.0, 1.2)
    >>> joined.x.tolist(), joined.y_smooth.tolist(), joined.y_raw_at_smooth.tolist()
    ([4, 5], [1.2, 1.5], [1.0, 2.0])
    """
    x0 = np.asarray([x0]).astype(pts.x.dtype) if pts.x.size else np.asarray([x0])
    first = lambda arr, v: None if arr is None else np.concatenate([np.asarray([v], arr.dtype), arr])  # noqa: E731
    return dataclasses.replace(
        pts,
        x=np.concatenate([x0, pts.x]),
        y=first(pts.y, y0),
        x_smooth=None if pts.x_smooth is None else np.concatenate([x0, pts.x_smooth]),
        y_smooth=first(pts.y_smooth, y0_smooth),
        y_raw_at_smooth=first(pts.y_raw_at_smooth, y0),
    )


def series_entry(
    fingerprint: str, pts: TracePoints, key: Sequence, traces: list[int], tail: int = 0, tails=None
) -> dict:
    """What the browser keeps of one drawn series: its cursor and checksum, smoothing state and trace indices.

    Examples
    --------
    >>> pts = TracePoints(np.array([0]), np.array([1.0]), None, None, None, 1, EmaState(0.4, 1), 0.0, 0, 1.0)
    >>> e = series_entry("fp", pts, ("s", "r", "t", ""), [0, 1])
    >>> e["n"], e["ema"], e["traces"], e["tail"]
    (1, [0.4, 1], [0, 1], 0)
    """
    entry = client_state(fingerprint, pts.rows, pts.last_step, pts.last_value)
    entry.update(key=list(key), ema=[pts.ema.last, pts.ema.n], origin=pts.origin, traces=traces, tail=tail)
    if tails is not None:
        entry["tails"] = tails
    return entry


MAX_PACKED = 64 << 20
"""Most bytes the series entries of one card state may unpack to (the state comes from the browser)."""


def pack_entries(entries: list[dict]) -> str:
    """The series entries of a card state as one string (zlib-compressed JSON, base64).

    Every live tick sends the state of every card of the page back to the server: a card of 500 runs holds
    500 entries, which as JSON objects would cost the server ~10 ms a card to parse; one string is scanned at
    memory speed, and is unpacked (:func:`series_entries`) only when the card has new rows.

    Examples
    --------
    >>> series_entries({"series": pack_entries([{"n": 3}])})
    [{'n': 3}]
    """
    text = json.dumps(entries, separators=(",", ":"), allow_nan=False).encode()
    return base64.b64encode(zlib.compress(text, 1)).decode("ascii")


def series_entries(state: Any) -> list[dict]:
    """The series entries of a card state (:func:`pack_entries`); :class:`Redraw` if they cannot be read.

    Examples
    --------
    >>> series_entries({"series": "garbage"})
    Traceback (most recent call last):
    ...
    ploteries.viz.scalar_figure.Redraw: unreadable series entries
    """
    packed = state.get("series") if isinstance(state, Mapping) else None
    try:
        inflate = zlib.decompressobj()
        text = inflate.decompress(base64.b64decode(packed, validate=True), MAX_PACKED)
        if inflate.unconsumed_tail:
            raise ValueError("too large")
        entries = json.loads(text)
    except (TypeError, ValueError, binascii.Error, zlib.error) as exc:
        raise Redraw("unreadable series entries") from exc
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise Redraw("unreadable series entries")
    return entries


def card_state(name: str, signature: str, x_range: tuple | None, entries: list[dict], traces: int) -> dict:
    """The state of a scalar card: its settings' signature, zoom range, series (packed) and number of traces.

    Examples
    --------
    >>> state = card_state("scalar", "sig", (1.0, 2.0), [{"n": 1}], 2)
    >>> state["range"], state["ntraces"], series_entries(state)
    ([1.0, 2.0], 2, [{'n': 1}])
    """
    rng = None if x_range is None else [str(v) if isinstance(v, np.datetime64) else v for v in x_range]
    return {"card": name, "sig": signature, "range": rng, "series": pack_entries(entries), "ntraces": traces}


def outlier_range(drawn: Sequence[np.ndarray], *, log_y: bool) -> list[float] | None:
    """The y axis range that leaves outliers out (log10 of it on a log axis), None if there is none.

    Examples
    --------
    >>> outlier_range([np.array([1.0, 2.0, 3.0])], log_y=False) is not None
    True
    >>> outlier_range([], log_y=False) is None
    True
    """
    if not drawn:
        return None
    lo, hi = y_domain(np.concatenate(drawn), ignore_outliers=True)
    if log_y:
        lo, hi = (math.log10(lo) if lo > 0 else None), (math.log10(hi) if hi > 0 else None)
    return None if lo is None or hi is None else [lo, hi]


def held_entries(state: Any, keys: Sequence[tuple]) -> list[dict]:
    """The browser's series entries, if they are those of the series ``keys`` in that order; else :class:`Redraw`.

    Examples
    --------
    >>> held_entries({"series": pack_entries([{"key": ["s", "r", "t", ""]}])}, [("s", "r", "t", "")])
    [{'key': ['s', 'r', 't', '']}]
    """
    entries = series_entries(state)
    if [tuple(e.get("key") or ()) for e in entries] != [tuple(k) for k in keys]:
        raise Redraw("other series held")
    return entries


def grown_series(entries: Sequence[Mapping], infos: Sequence) -> list[int]:
    """Indices of the series that have rows the browser lacks; :class:`Redraw` if one was replaced or shrank.

    ``infos`` are the series' :class:`~ploteries.storage.SeriesInfo` (``fingerprint``, ``count``).

    Examples
    --------
    >>> from types import SimpleNamespace as Info
    >>> grown_series([{"fp": "a", "n": 3}, {"fp": "b", "n": 2}], [Info(fingerprint="a", count=3),
    ...                                                          Info(fingerprint="b", count=5)])
    [1]
    """
    grown = []
    for i, (entry, info) in enumerate(zip(entries, infos)):
        held = entry.get("n")
        if entry.get("fp") != info.fingerprint or isinstance(held, bool) or not isinstance(held, int):
            raise Redraw("series replaced")
        if held > info.count:
            raise Redraw("series shrank")
        if held < info.count:
            grown.append(i)
    return grown
