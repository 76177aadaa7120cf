"""The pieces of a line card drawn as a density picture (pure functions; the card reads and routes).

A card of many lines (:data:`~ploteries.viz.services.density.DENSITY_LINES`) is one heatmap of how many lines
cross each pixel (:mod:`ploteries.viz.services.density`) followed by :data:`OVERLAY_SLOTS` empty traces. The run
hovered in the run list and the runs pinned there (a click on a run's colour swatch, ``assets/runlist.js``) are
drawn as lines in those slots by a patch (:meth:`ScalarCard.overlay <ploteries.viz.cards.scalar.ScalarCard.overlay>`),
so hovering never resends the picture. The card state's ``density`` entry (:func:`density_stamp`) says where
the slots start and when the picture was drawn: live ticks redraw it at most every :data:`DENSITY_REFRESH_SECS`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .services.xaxis import x_values

__all__ = [
    "DENSITY_REFRESH_SECS",
    "OVERLAY_SLOTS",
    "density_layout",
    "density_refresh_due",
    "density_stamp",
    "empty_slot",
    "extent_of",
    "overlay_runs",
    "overlay_trace",
]

OVERLAY_SLOTS = 9
"""Lines a density card can draw over its picture: the hovered run and up to eight pinned ones."""

MAX_PINS = OVERLAY_SLOTS - 1
"""Runs a user can pin at once (``assets/runlist.js`` keeps the last ones pinned)."""

DENSITY_REFRESH_SECS = 30.0
"""Least time between two drawings of a density picture by live ticks (each reads every row of every line)."""


def density_stamp(slots: int, now: float | None = None) -> dict:
    """The ``density`` entry of a card state: the index of the first slot and when the picture was drawn.

    Examples
    --------
    >>> density_stamp(1, now=5.0)
    {'slots': 1, 'at': 5.0}
    """
    return {"slots": int(slots), "at": float(time.time() if now is None else now)}


def density_refresh_due(stamp: Any, now: float | None = None) -> bool:
    """Whether a live tick should draw the picture anew (its stamp is old, or unreadable).

    Examples
    --------
    >>> density_refresh_due({"slots": 1, "at": 100.0}, now=110.0), density_refresh_due({"at": 0.0}, now=31.0)
    (False, True)
    >>> density_refresh_due("junk")
    True
    """
    at = stamp.get("at") if isinstance(stamp, Mapping) else None
    if isinstance(at, bool) or not isinstance(at, (int, float)):
        return True
    now = time.time() if now is None else now
    return not (0 <= now - at < DENSITY_REFRESH_SECS)


def empty_slot() -> dict:
    """A slot with no line in it (an empty scatter trace, out of the hover and the legend).

    Examples
    --------
    >>> empty_slot()["x"], empty_slot()["meta"]
    ([], {'slot': True})
    """
    return {
        "type": "scatter",
        "mode": "lines",
        "x": [],
        "y": [],
        "name": "",
        "hoverinfo": "skip",
        "showlegend": False,
        "meta": {"slot": True},
    }


def overlay_trace(trace: dict, *, hovered: bool) -> dict:
    """A run's line as drawn over a density picture: opaque, wider when it is the hovered run.

    Examples
    --------
    >>> t = overlay_trace({"type": "scatter", "line": {"color": "#f00", "width": 1.8}, "opacity": 0.3}, hovered=True)
    >>> t["line"]["width"], t["opacity"], t["meta"]
    (3.0, 1.0, {'slot': True, 'hovered': True})
    """
    line = {**(trace.get("line") or {}), "width": 3.0 if hovered else 2.2}
    meta = {**(trace.get("meta") or {}), "slot": True, "hovered": hovered}
    return {**trace, "line": line, "opacity": 1.0, "showlegend": False, "meta": meta}


def density_layout(layout: dict, lines: int) -> dict:
    """A card's layout whose x axis title says how many lines the picture draws and how to see one of them.

    Examples
    --------
    >>> density_layout({"xaxis": {"title": {"text": "step"}}}, 300)["xaxis"]["title"]["text"]
    'step · density of 300 lines (hover or pin a run to draw it)'
    """
    xaxis = layout.get("xaxis") or {}
    title = (xaxis.get("title") or {}).get("text") or ""
    note = f"density of {lines:,} lines (hover or pin a run to draw it)"
    text = f"{title} · {note}" if title else note
    return {**layout, "xaxis": {**xaxis, "title": {**(xaxis.get("title") or {}), "text": text}}}


def extent_of(xmode: str, edges: Sequence[tuple[Any, Any]]) -> tuple | None:
    """The x range covering lines given by their first and last rows (``ScalarColumns`` pairs), None if empty.

    Steps and dates from the lowest first row to the highest last one; relative time from 0 to the longest
    line (each line starts at its own first wall time). A range of one value is widened by one unit.

    Examples
    --------
    >>> from ploteries.viz.scalar_traces import ScalarColumns as C
    >>> row = lambda s, w: C(np.array([s]), np.array([w]), np.array([0.0]))
    >>> extent_of("step", [(row(0, 0.0), row(9, 36.0)), (row(2, 0.0), row(20, 7200.0))])
    (0, 20)
    >>> extent_of("relative", [(row(0, 0.0), row(9, 3600.0)), (row(2, 100.0), row(20, 7300.0))])
    (0.0, 2.0)
    """
    lows, highs = [], []
    for first, last in edges:
        if not len(first) or not len(last):
            continue
        origin = float(first.wall_time[0])
        lows.append(x_values(first.step[:1], first.wall_time[:1], xmode, origin=origin)[0])
        highs.append(x_values(last.step[-1:], last.wall_time[-1:], xmode, origin=origin)[0])
    if not lows:
        return None
    if xmode == "wall":
        lows = [v for v in lows if not np.isnat(v)]
        highs = [v for v in highs if not np.isnat(v)]
        if not lows or not highs:
            return None
        low, high = min(lows), max(highs)
        return (low, high) if high > low else (low, low + np.timedelta64(1000, "ms"))
    values = np.asarray([*lows, *highs], dtype=np.float64)
    if not np.isfinite(values).any():
        return None
    low = (
        float(np.nanmin(values[: len(lows)]))
        if np.isfinite(values[: len(lows)]).any()
        else float(np.nanmin(values))
    )
    high = float(np.nanmax(values[len(lows) :])) if np.isfinite(values[len(lows) :]).any() else low
    if xmode == "step":
        low, high = int(low), int(high)
    return (low, high) if high > low else (low, low + 1)


def overlay_runs(request: Any) -> tuple[str | None, list[str], set[str] | None]:
    """``(hovered, pinned, cards)`` of an overlay request from the page (``assets/runlist.js``).

    ``cards`` are the ids of the cards to draw (None: every density card). Anything malformed is "no run"; at
    most :data:`MAX_PINS` pinned runs are kept (the request comes from the browser).

    Examples
    --------
    >>> overlay_runs({"hover": "a", "pins": ["b", 3, "c"], "cards": ["loss"]})
    ('a', ['b', 'c'], {'loss'})
    >>> overlay_runs("junk")
    (None, [], None)
    """
    if not isinstance(request, Mapping):
        return None, [], None
    hover = request.get("hover") if isinstance(request.get("hover"), str) else None
    pins = request.get("pins") if isinstance(request.get("pins"), list) else []
    pinned = [p for p in pins if isinstance(p, str)][-MAX_PINS:]
    cards = request.get("cards")
    wanted = {c for c in cards if isinstance(c, str)} if isinstance(cards, list) else None
    return hover, pinned, wanted
