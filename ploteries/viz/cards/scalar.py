"""The scalar card: one line per run, smoothed like TensorBoard, live, zoomable to full resolution.

Drawing: each series is smoothed over all its rows, then downsampled to about 2k points (min/max kept); the
raw line is drawn faint behind the smoothed one. Live ticks send only rows past the browser's cursor, as a
``dash.Patch`` extending the traces; the card state holds per series the cursor, the checksum of what the
browser holds (see :mod:`ploteries.viz.services.checksum`) and the smoothing state, so a replaced file or a
purged run is detected and the card is drawn anew. Zooming reads the visible range again at full resolution.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import numpy as np
from dash import Patch

from ..scalar_traces import (
    CHUNK_ROWS,
    DEFAULT_BUDGET,
    OverviewCache,
    ScalarColumns,
    TracePoints,
    cols_slice,
    extend_points,
    overview_points,
    scalar_columns,
)
from ..services.checksum import Action, SeriesState, client_state, plan_update
from ..services.export import ExportRow, iter_rows
from ..services.outliers import y_domain
from ..services.smoothing import EmaState
from ..services.xaxis import x_title
from .base import CardContent, CardContext, CardType, CardUpdate, deep_merge, read_series
from .common import base_layout, graph_body, json_x, json_y

__all__ = ["ScalarCard", "parse_x_range"]


def parse_x_range(relayout: Mapping, xmode: str) -> tuple[Any, Any] | None | bool:
    """The x range of a Plotly ``relayoutData``: ``(x0, x1)``, ``True`` for "back to autorange", None if absent.

    Examples
    --------
    >>> parse_x_range({"xaxis.range[0]": 10, "xaxis.range[1]": 20.5}, "step")
    (10.0, 20.5)
    >>> parse_x_range({"xaxis.autorange": True}, "step")
    True
    >>> parse_x_range({"autosize": True}, "step") is None
    True
    """
    if not isinstance(relayout, Mapping):
        return None
    if relayout.get("xaxis.autorange") is True:
        return True
    if (
        "xaxis.range" in relayout
        and isinstance(relayout["xaxis.range"], list)
        and len(relayout["xaxis.range"]) == 2
    ):
        r0, r1 = relayout["xaxis.range"]
    elif "xaxis.range[0]" in relayout and "xaxis.range[1]" in relayout:
        r0, r1 = relayout["xaxis.range[0]"], relayout["xaxis.range[1]"]
    else:
        return None
    try:
        if xmode == "wall":
            return (
                np.datetime64(str(r0).replace(" ", "T"), "ms"),
                np.datetime64(str(r1).replace(" ", "T"), "ms"),
            )
        x0, x1 = float(r0), float(r1)
    except (TypeError, ValueError):
        return None
    return (x0, x1) if math.isfinite(x0) and math.isfinite(x1) else None


def _hover(xmode: str) -> str:
    x = {"step": "step %{x}", "relative": "%{x:.3f} h", "wall": "%{x}"}[xmode]
    return "<b>%{fullData.name}</b><br>" + x + "<br>%{customdata:.6g} (smoothed %{y:.6g})<extra></extra>"


def _raw_hover(xmode: str) -> str:
    x = {"step": "step %{x}", "relative": "%{x:.3f} h", "wall": "%{x}"}[xmode]
    return "<b>%{fullData.name}</b><br>" + x + "<br>%{y:.6g}<extra></extra>"


def _style(definition: Mapping) -> dict:
    """Trace style a user gave in the definition's first trace (line dash, width...), minus data bindings."""
    data = (definition.get("figure") or {}).get("data") or []
    first = data[0] if data and isinstance(data[0], Mapping) else {}
    return {k: v for k, v in first.items() if k not in ("type", "x", "y", "name", "customdata", "mode")}


def _chunk_reader(
    ctx: CardContext,
    ref,
    first: ScalarColumns,
    stop: int | None,
    chunk_rows: int = CHUNK_ROWS,
    to_columns=scalar_columns,
):
    """``read_chunk`` for :func:`overview_points`: the first chunk is already read (with the other series)."""
    db = ctx.library.database(ref.source)

    def read_chunk(a: int, b: int) -> ScalarColumns:
        if a == 0 and b <= chunk_rows:
            return cols_slice(first, 0, b)
        if db is None:
            return cols_slice(first, 0, 0)
        try:
            return to_columns(db.read(ref.run, ref.tag, ref.part, from_row=a, to_row=b, stop=stop))
        except (OSError, ValueError, KeyError):
            return cols_slice(first, 0, 0)  # gone meanwhile: draw what was read; the next tick resends

    return read_chunk


EXPORT_ROWS = 65_536
"""Rows read at a time when a card's data is downloaded."""


class ScalarCard(CardType):
    """Lines of scalar series over step, relative or wall time."""

    name = "scalar"
    budget = DEFAULT_BUDGET
    overviews: ClassVar[OverviewCache] = OverviewCache()
    """Whole-range overviews already computed (shared by every card drawn like scalars)."""

    def default_definition(self, tag: str, kind: str) -> dict:
        d = super().default_definition(tag, kind)
        d["figure"] = {
            "data": [{"type": "scatter", "mode": "lines", "x": "$y.step", "y": "$y.value", "name": "$run"}],
            "layout": {},
        }
        d["options"] = {"smoothing": True}
        return d

    # ------------------------------------------------------------------ hooks for card types drawn like scalars

    def series_refs(self, ctx: CardContext) -> list:
        """The series drawn, one line each (subclasses may draw several bindings)."""
        return ctx.series

    def series_label(self, ctx: CardContext, ref) -> str:
        """A line's name (hover, legend)."""
        return ctx.label(ref)

    def series_color(self, ctx: CardContext, ref) -> str:
        """A line's colour."""
        return ctx.color(ref)

    def columns(self, ctx: CardContext, records) -> ScalarColumns:
        """The (step, wall_time, value) columns of records read from a series."""
        return scalar_columns(records)

    def chunk_rows(self, ctx: CardContext, ref) -> int:
        """Rows read at a time from a long series (bounds the server's memory per card)."""
        return CHUNK_ROWS

    # ------------------------------------------------------------------------------------------ drawing

    def _traces(self, ctx: CardContext, ref, pts: TracePoints, style: dict, smoothing: bool) -> list[dict]:
        color, name, xmode = self.series_color(ctx, ref), self.series_label(ctx, ref), ctx.settings.xmode
        x = json_x(pts.x)
        raw = deep_merge(
            {
                "type": "scatter",
                "mode": "lines",
                "x": x,
                "y": json_y(pts.y),
                "name": name,
                "legendgroup": name,
            },
            style,
        )
        raw.setdefault("line", {})
        raw["line"] = {"color": color, "width": 1.4, **raw["line"]}
        if not smoothing:
            raw["hovertemplate"] = _raw_hover(xmode)
            return [raw]
        raw.update(opacity=0.28, hoverinfo="skip", showlegend=False)
        smooth = deep_merge(
            {
                "type": "scatter",
                "mode": "lines",
                "x": json_x(pts.x_smooth),
                "y": json_y(pts.y_smooth),
                "customdata": json_y(pts.y_raw_at_smooth),
                "name": name,
                "legendgroup": name,
                "hovertemplate": _hover(xmode),
            },
            style,
        )
        smooth["line"] = {"color": color, "width": 1.8, **(smooth.get("line") or {})}
        return [raw, smooth]

    def _smoothing(self, ctx: CardContext) -> float:
        wants = (ctx.definition.get("options") or {}).get("smoothing", True)
        return ctx.settings.smoothing if wants else 0.0

    def _view_key(self, ctx: CardContext, weight: float) -> tuple:
        """What a whole-range overview depends on besides the series' contents: the definition and the view."""
        definition = json.dumps(ctx.definition, sort_keys=True, default=str)
        return (type(self), self.budget, definition, weight, ctx.settings.xmode, ctx.settings.stop)

    def render(self, ctx: CardContext, x_range: tuple | None = None) -> CardContent:
        figure, state = self.figure_and_state(ctx, x_range)
        return CardContent(body=graph_body(ctx.card_id, figure, height=270), state=state)

    def figure_and_state(self, ctx: CardContext, x_range: tuple | None = None) -> tuple[dict, dict]:
        """The whole figure (of the zoomed ``x_range``, if given) and the state the browser keeps with it."""
        settings = ctx.settings
        weight = self._smoothing(ctx)
        style = _style(ctx.definition)
        refs = self.series_refs(ctx)
        chunks = [self.chunk_rows(ctx, ref) for ref in refs]
        infos = [ctx.snapshot.info(ref.key) for ref in refs]
        view_key = self._view_key(ctx, weight)
        keys = [  # the series' contents: its fingerprint (a replaced file, a purge) and its length
            None
            if x_range is not None or info is None
            else (*view_key, ref.key, info.fingerprint, info.count, chunk)
            for ref, info, chunk in zip(refs, infos, chunks)
        ]
        cached = [None if key is None else self.overviews.get(key) for key in keys]
        todo = [i for i, pts in enumerate(cached) if pts is None]
        reads = read_series(
            ctx.library, [refs[i] for i in todo], stop=settings.stop, to_rows=[chunks[i] for i in todo]
        )
        firsts: list = [None] * len(refs)
        for i, first in zip(todo, reads):
            firsts[i] = first
        data: list[dict] = []
        entries: list[dict] = []
        drawn: list[np.ndarray] = []
        for ref, info, first, chunk, key, pts in zip(refs, infos, firsts, chunks, keys, cached):
            if info is None or (pts is None and first is None):
                continue
            if pts is None:
                to_columns = functools.partial(self.columns, ctx)
                pts = overview_points(
                    read_chunk=_chunk_reader(ctx, ref, to_columns(first), settings.stop, chunk, to_columns),
                    n_rows=max(info.count, len(first)),
                    weight=weight,
                    xmode=settings.xmode,
                    budget=self.budget,
                    x_range=x_range,
                    chunk_rows=chunk,
                )
                if key is not None:
                    self.overviews.put(key, pts)
            traces = self._traces(ctx, ref, pts, style, weight > 0)
            first = len(data)
            data += traces
            drawn += [pts.y] + ([pts.y_smooth] if pts.y_smooth is not None else [])
            entry = client_state(info.fingerprint, pts.rows, pts.last_step, pts.last_value)
            entry.update(
                key=list(ref.key),
                ema=[pts.ema.last, pts.ema.n],
                origin=pts.origin,
                traces=list(range(first, len(data))),
                tail=0,
            )
            entries.append(entry)
        layout = base_layout(ctx.card_id, settings, x_title(settings.xmode))
        if settings.ignore_outliers and drawn:
            lo, hi = y_domain(np.concatenate(drawn), ignore_outliers=True)
            if settings.log_y:
                lo, hi = (math.log10(lo) if lo > 0 else None), (math.log10(hi) if hi > 0 else None)
            if lo is not None and hi is not None:
                layout["yaxis"]["range"] = [lo, hi]
        layout = deep_merge(layout, (ctx.definition.get("figure") or {}).get("layout") or {})
        figure = {"data": data, "layout": layout}
        state = {
            "card": self.name,
            "sig": settings.signature,
            "range": None
            if x_range is None
            else [str(v) if isinstance(v, np.datetime64) else v for v in x_range],
            "series": entries,
        }
        return figure, state

    # ------------------------------------------------------------------------------------------ updates

    def _x_range_of(self, state: Mapping, xmode: str):
        rng = state.get("range") if isinstance(state, Mapping) else None
        if not isinstance(rng, list) or len(rng) != 2:
            return None
        parsed = parse_x_range({"xaxis.range": rng}, xmode)
        return parsed if isinstance(parsed, tuple) else None

    def _full(self, ctx: CardContext, state: Mapping | None) -> CardUpdate:
        x_range = self._x_range_of(state or {}, ctx.settings.xmode)
        figure, new_state = self.figure_and_state(ctx, x_range)
        return CardUpdate(figure=figure, state=new_state)

    def refresh(self, ctx: CardContext, state: dict, *, live: bool) -> CardUpdate | None:
        entries = state.get("series") if isinstance(state, Mapping) else None
        same_series = isinstance(entries, list) and [
            tuple(e.get("key") or ()) for e in entries if isinstance(e, dict)
        ] == [r.key for r in self.series_refs(ctx) if ctx.snapshot.info(r.key) is not None]
        if not live or state.get("sig") != ctx.settings.signature or not same_series:
            return self._full(ctx, state)
        if ctx.settings.step is not None:
            return None  # rewound: the card shows a fixed past
        refs = [r for r in self.series_refs(ctx) if ctx.snapshot.info(r.key) is not None]
        todo = []
        for ref, entry in zip(refs, entries):
            info = ctx.snapshot.info(ref.key)
            held = entry.get("n")
            if entry.get("fp") == info.fingerprint and held == info.count:
                continue
            if entry.get("fp") != info.fingerprint or not isinstance(held, int) or held > info.count:
                return self._full(ctx, state)
            todo.append((ref, entry, info))
        if not todo:
            return None
        records = read_series(
            ctx.library, [t[0] for t in todo], from_rows=[max(t[1]["n"] - 1, 0) for t in todo]
        )
        weight = self._smoothing(ctx)
        patch = Patch()
        new_entries = {id(e): e for e in entries}
        for (_, entry, info), rec in zip(todo, records):
            if rec is None:
                return self._full(ctx, state)
            cols = self.columns(ctx, rec)
            held = entry["n"]
            overlap = 1 if held > 0 else 0
            if len(cols) < overlap:
                return self._full(ctx, state)
            held_last = (int(cols.step[0]), float(cols.value[0])) if overlap else (None, None)
            plan = plan_update(
                entry, SeriesState(info.fingerprint, info.count), lambda _i, last=held_last: last
            )
            if plan.action is Action.RESEND_FULL:
                return self._full(ctx, state)
            if plan.action is Action.NOTHING:
                continue
            tail = ScalarColumns(cols.step[overlap:], cols.wall_time[overlap:], cols.value[overlap:])
            if len(tail) == 0:
                continue
            if ctx.settings.ignore_outliers or int(entry.get("tail") or 0) + len(tail) > self.budget:
                return self._full(ctx, state)  # the y range moves, or the browser holds enough points: redraw
            ema = entry.get("ema") or [0.0, 0]
            pts = extend_points(
                tail,
                weight=weight,
                xmode=ctx.settings.xmode,
                rows_before=held,
                ema=EmaState(float(ema[0]), int(ema[1])),
                origin=entry.get("origin"),
            )
            self._extend(patch, entry.get("traces") or [], pts)
            updated = client_state(info.fingerprint, pts.rows, pts.last_step, pts.last_value)
            updated.update(
                key=entry["key"],
                ema=[pts.ema.last, pts.ema.n],
                origin=pts.origin,
                traces=entry.get("traces"),
                tail=int(entry.get("tail") or 0) + len(tail),
            )
            new_entries[id(entry)] = updated
        new_state = {**state, "series": [new_entries[id(e)] for e in entries]}
        return CardUpdate(figure=patch, state=new_state)

    @staticmethod
    def _extend(patch: Patch, traces: list, pts: TracePoints) -> None:
        """Append a tail's points to the raw trace (and the smoothed one) of a series."""
        columns = [{"x": pts.x, "y": pts.y}]
        if pts.y_smooth is not None:
            columns.append({"x": pts.x_smooth, "y": pts.y_smooth, "customdata": pts.y_raw_at_smooth})
        for index, cols in zip(traces, columns):
            for name, values in cols.items():
                out = json_x(values) if name == "x" else json_y(values)
                patch["data"][index][name].extend(out.tolist() if isinstance(out, np.ndarray) else out)

    def relayout(self, ctx: CardContext, state: dict, relayout: Mapping) -> CardUpdate | None:
        rng = parse_x_range(relayout, ctx.settings.xmode)
        if rng is None:
            return None
        figure, state = self.figure_and_state(ctx, None if rng is True else rng)
        return CardUpdate(figure=figure, state=state)

    def export(self, ctx: CardContext) -> Iterator[ExportRow]:
        """The rows one series and one block of rows at a time (a download streams them in bounded memory)."""
        block = EXPORT_ROWS
        for ref in self.series_refs(ctx):
            info = ctx.snapshot.info(ref.key)
            for start in range(0, info.count if info is not None else 0, block):
                rec = read_series(
                    ctx.library, [ref], stop=ctx.settings.stop, from_rows=[start], to_rows=[start + block]
                )[0]
                if rec is None:
                    break
                cols = self.columns(ctx, rec)
                table = np.empty(len(cols), [("step", "i8"), ("wall_time", "f8"), ("value", "f8")])
                table["step"], table["wall_time"], table["value"] = cols.step, cols.wall_time, cols.value
                yield from iter_rows(ctx.label(ref), ref.tag, table)
