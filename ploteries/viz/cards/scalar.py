"""The scalar card: one line per run, smoothed like TensorBoard, live, zoomable to full resolution.

Drawing: each series is smoothed over all its rows, then min/max downsampled to its share of the card's point
budget (:mod:`ploteries.viz.services.payload`: a card's bytes are bounded by its pixels, not by its runs) and sent
as typed arrays; the raw line is drawn faint behind the smoothed one. Live ticks send only rows past the
browser's cursor, as a ``dash.Patch`` that appends them to a *tail trace* per series (plain lists, which a patch
can extend); the card state holds per series the cursor, the checksum of what the browser holds (see
:mod:`ploteries.viz.services.checksum`) and the smoothing state, so a replaced file or a purged run is detected
and the card is drawn anew. Zooming reads the visible range again at full resolution. The steps are the pure
functions of :mod:`ploteries.viz.scalar_figure`.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import numpy as np
from dash import Patch

from ..density_figure import (
    OVERLAY_SLOTS,
    density_layout,
    density_refresh_due,
    density_stamp,
    empty_slot,
    extent_of,
    overlay_trace,
)
from ..group_traces import group_spec, grouped_data
from ..scalar_figure import (
    Redraw,
    card_state,
    ema_value,
    grown_series,
    held_entries,
    line_traces,
    outlier_range,
    pack_entries,
    series_entry,
    with_overlap,
)
from ..scalar_traces import (
    CHUNK_ROWS,
    OverviewCache,
    ScalarColumns,
    TracePoints,
    cols_slice,
    extend_points,
    overview_points,
    overview_points_many,
    scalar_columns,
)
from ..services.checksum import Action, SeriesState, plan_update
from ..services.density import (
    DENSITY_HEIGHT,
    DENSITY_LINES,
    DENSITY_WIDTH,
    count_grid,
    density_trace,
    line_spans,
    span_range,
)
from ..services.export import ExportRow, iter_rows
from ..services.outliers import y_domain
from ..services.payload import DEFAULT_BUDGET, ZOOM_FACTOR, encode_traces, line_budget, plain_list
from ..services.smoothing import EmaState
from ..services.xaxis import x_title, x_values
from .base import CardContent, CardContext, CardType, CardUpdate, deep_merge, read_series
from .common import base_layout, graph_body

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


@dataclasses.dataclass(frozen=True)
class _Line:
    """One series a card draws: its reference, its catalog entry, its read chunk and its overview cache key."""

    ref: Any
    info: Any
    chunk: int
    key: tuple | None


@dataclasses.dataclass(frozen=True)
class _Tail:
    """Rows a live tick appends to one drawn series, after the row the browser holds last (``overlap``)."""

    index: int
    line: _Line
    entry: dict
    overlap: ScalarColumns
    rows: ScalarColumns


def _valid_indices(indices: Any, ntraces: int) -> bool:
    """Whether ``indices`` are trace indices of a figure of ``ntraces`` traces (the browser's state is untrusted)."""
    return (
        isinstance(indices, list)
        and bool(indices)
        and all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < ntraces for i in indices)
    )


def _extend(patch: Patch, traces: list[int], pts: TracePoints) -> None:
    """Append a tail's points to the tail traces of a series (raw, and smoothed if there is one)."""
    columns = [{"x": pts.x, "y": pts.y}]
    if pts.y_smooth is not None:
        columns.append({"x": pts.x_smooth, "y": pts.y_smooth, "customdata": pts.y_raw_at_smooth})
    for index, cols in zip(traces, columns):
        for name, values in cols.items():
            patch["data"][index][name].extend(plain_list(values))


DENSITY_BATCH = 1024
"""Lines read and rasterised at a time for a density picture (bounds the server's memory per card: ~100 MB for
lines of 2,000 rows; each batch is one open of each database)."""

DENSITY_ROWS = 8 * DENSITY_WIDTH
"""Most rows of one line rasterised into a density picture: every row of a line up to this length, else its
min/max per eighth of a pixel column (a 1M-row line costs what a 5k-row one does)."""

EXPORT_ROWS = 65_536
"""Rows read at a time when a card's data is downloaded."""


class ScalarCard(CardType):
    """Lines of scalar series over step, relative or wall time."""

    name = "scalar"
    budget = DEFAULT_BUDGET
    """Most points of one line; a card's lines share :func:`~ploteries.viz.services.payload.card_points`."""
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

    def _traces(self, ctx: CardContext, ref, pts: TracePoints, style: dict, smoothing: bool) -> list[dict]:
        """The traces of one series (numpy arrays; subclasses restyle them)."""
        return line_traces(
            pts,
            name=self.series_label(ctx, ref),
            color=self.series_color(ctx, ref),
            style=style,
            xmode=ctx.settings.xmode,
            smoothing=smoothing,
        )

    # ------------------------------------------------------------------------------------------ drawing

    def _smoothing(self, ctx: CardContext) -> float:
        wants = (ctx.definition.get("options") or {}).get("smoothing", True)
        return ctx.settings.smoothing if wants else 0.0

    def _view_key(self, ctx: CardContext, weight: float, budget: int) -> tuple:
        """What a whole-range overview depends on besides the series' contents: the definition and the view."""
        definition = json.dumps(ctx.definition, sort_keys=True, default=str)
        return (type(self), budget, definition, weight, ctx.settings.xmode, ctx.settings.stop)

    def _line_budget(self, lines: int, x_range: tuple | None) -> int:
        """Points of each line: its share of the card's pixels (larger for a zoom, which answers for one card)."""
        return min(line_budget(lines, factor=1 if x_range is None else ZOOM_FACTOR), self.budget)

    def _lines(self, ctx: CardContext, view_key: tuple | None) -> list[_Line]:
        """The series drawn (those still in the library), with the key of their cached overview (if ``view_key``)."""
        lines = []
        for ref in self.series_refs(ctx):
            info = ctx.snapshot.info(ref.key)
            if info is None:
                continue
            chunk = self.chunk_rows(ctx, ref)
            # the series' contents: its fingerprint (a replaced file, a purge) and its length
            key = None if view_key is None else (*view_key, ref.key, info.fingerprint, info.count, chunk)
            lines.append(_Line(ref, info, chunk, key))
        return lines

    def _points(
        self, ctx: CardContext, lines: list[_Line], weight: float, budget: int, x_range: tuple | None
    ) -> list[TracePoints | None]:
        """Each line's points: cached, else read (first chunks of all lines at once), smoothed and downsampled."""
        points = [None if line.key is None else self.overviews.get(line.key) for line in lines]
        todo = [i for i, pts in enumerate(points) if pts is None]
        stop = ctx.settings.stop
        firsts = read_series(
            ctx.library, [lines[i].ref for i in todo], stop=stop, to_rows=[lines[i].chunk for i in todo]
        )
        to_columns = functools.partial(self.columns, ctx)
        whole: dict[int, tuple[int, ScalarColumns]] = {}  # whole series in their first chunk, by chunk size
        for i, first in zip(todo, firsts):
            if first is None:
                continue
            line = lines[i]
            cols = to_columns(first)
            if x_range is None and line.info.count <= len(cols) <= line.chunk:
                whole[i] = (line.chunk, cols)  # drawn below with the others of their length, side by side
                continue
            points[i] = overview_points(
                read_chunk=_chunk_reader(ctx, line.ref, cols, stop, line.chunk, to_columns),
                n_rows=max(line.info.count, len(first)),
                weight=weight,
                xmode=ctx.settings.xmode,
                budget=budget,
                x_range=x_range,
                chunk_rows=line.chunk,
            )
            if line.key is not None:
                self.overviews.put(line.key, points[i])
        for chunk in {c for c, _ in whole.values()}:
            drawn = [i for i, (c, _) in whole.items() if c == chunk]
            many = overview_points_many(
                [whole[i][1] for i in drawn],
                weight=weight,
                xmode=ctx.settings.xmode,
                budget=budget,
                chunk_rows=chunk,
            )
            for i, pts in zip(drawn, many):
                points[i] = pts
                if lines[i].key is not None:
                    self.overviews.put(lines[i].key, pts)
        return points

    def _figure_layout(self, ctx: CardContext, drawn: list[np.ndarray]) -> dict:
        settings = ctx.settings
        layout = base_layout(ctx.card_id, settings, x_title(settings.xmode))
        y_range = outlier_range(drawn, log_y=settings.log_y) if settings.ignore_outliers else None
        if y_range is not None:
            layout["yaxis"]["range"] = y_range
        return deep_merge(layout, (ctx.definition.get("figure") or {}).get("layout") or {})

    def render(self, ctx: CardContext, x_range: tuple | None = None) -> CardContent:
        figure, state = self.figure_and_state(ctx, x_range)
        return CardContent(body=graph_body(ctx.card_id, figure, height=270), state=state)

    def figure_and_state(self, ctx: CardContext, x_range: tuple | None = None) -> tuple[dict, dict]:
        """The whole figure (of the zoomed ``x_range``, if given) and the state the browser keeps with it.

        Four steps: the lines and their budget, their points, their traces, the state.
        """
        weight = self._smoothing(ctx)
        refs = self.series_refs(ctx)
        count = sum(ctx.snapshot.info(r.key) is not None for r in refs)
        if self._dense(ctx, count):
            return self._density_figure_and_state(ctx, weight, x_range)
        budget = self._line_budget(count, x_range)
        lines = self._lines(ctx, None if x_range is not None else self._view_key(ctx, weight, budget))
        points = self._points(ctx, lines, weight, budget, x_range)
        style = _style(ctx.definition)
        data: list[dict] = []
        entries: list[dict] = []
        grouped = self._group(ctx, lines, points, style, weight > 0, x_range)
        for line, pts in zip(lines, points):
            if pts is None:
                continue
            indices: list[int] = []
            if grouped is None:
                traces = self._traces(ctx, line.ref, pts, style, weight > 0)
                indices = list(range(len(data), len(data) + len(traces)))
                data += traces
            entries.append(series_entry(line.info.fingerprint, pts, line.ref.key, indices))
        if grouped is not None:
            data = grouped  # live ticks redraw a grouped card (see refresh): its series hold no traces
        drawn = [a for pts in points if pts is not None for a in (pts.y, pts.y_smooth) if a is not None]
        figure = {"data": encode_traces(data), "layout": self._figure_layout(ctx, drawn)}
        state = card_state(self.name, ctx.settings.signature, x_range, entries, len(data))
        return figure, {**state, "grouped": grouped is not None}

    # ------------------------------------------------------------------------------------------ density

    def _dense(self, ctx: CardContext, lines: int) -> bool:
        """Whether the card draws its lines as a density picture: more than :data:`DENSITY_LINES`, not grouped.

        A definition's ``"options": {"density": true}`` asks for the picture whenever it has two lines or more,
        ``false`` never.
        """
        if group_spec(ctx.definition, ctx.settings) is not None:
            return False
        wants = (ctx.definition.get("options") or {}).get("density")
        if isinstance(wants, bool):
            return wants and lines > 1
        return lines > DENSITY_LINES

    def _density_figure_and_state(
        self, ctx: CardContext, weight: float, x_range: tuple | None
    ) -> tuple[dict, dict]:
        """The card as one density picture (its lines read and rasterised a batch at a time) and empty slots.

        The slots (:data:`~ploteries.viz.density_figure.OVERLAY_SLOTS` empty traces after the picture) receive
        the hovered and pinned runs as lines (:meth:`overlay`).
        """
        settings = ctx.settings
        lines = self._lines(ctx, None)
        extent = x_range if x_range is not None else self._x_extent(ctx, lines)
        los, his = [], []
        drawn = 0
        for a in range(0, len(lines), DENSITY_BATCH):
            batch = lines[a : a + DENSITY_BATCH]
            pairs = []
            for pts in self._points(ctx, batch, weight, DENSITY_ROWS, x_range):
                if pts is None:
                    continue
                pairs.append((pts.x_smooth, pts.y_smooth) if weight > 0 else (pts.x, pts.y))
                drawn += bool(len(pairs[-1][0]))
            if extent is not None:
                lo, hi = line_spans(pairs, extent, width=DENSITY_WIDTH, log_y=settings.log_y)
                los.append(lo)
                his.append(hi)
        y_range = None
        if los:
            lo, hi = np.concatenate(los), np.concatenate(his)
            outliers = (lambda v: y_domain(v, ignore_outliers=True)) if settings.ignore_outliers else None
            y_range = span_range(lo, hi, domain=outliers)
        data = []
        if y_range is not None:
            counts = count_grid(lo, hi, y_range, height=DENSITY_HEIGHT)
            data.append(
                density_trace(
                    counts, extent, y_range, xmode=settings.xmode, log_y=settings.log_y, lines=drawn
                )
            )
        slots = len(data)
        data += [empty_slot() for _ in range(OVERLAY_SLOTS)]
        layout = density_layout(self._figure_layout(ctx, []), drawn)
        # no per-series entries (they would grow with the runs): a live tick redraws the whole picture
        state = card_state(self.name, settings.signature, x_range, [], len(data))
        return {"data": data, "layout": layout}, {**state, "grouped": False, "density": density_stamp(slots)}

    def _x_extent(self, ctx: CardContext, lines: list[_Line]) -> tuple | None:
        """The x range of the card's lines: their steps from the catalog; times from their first and last rows
        (two short reads per line)."""
        stop = ctx.settings.stop
        if ctx.settings.xmode == "step":
            lows = [ln.info.step_min for ln in lines if ln.info.step_min is not None]
            highs = [ln.info.step_max for ln in lines if ln.info.step_max is not None]
            if not lows or not highs:
                return None
            low, high = min(lows), max(highs) if stop is None else min(max(highs), stop)
            return (low, high) if high > low else (low, low + 1)
        refs = [line.ref for line in lines]
        firsts = read_series(ctx.library, refs, stop=stop, to_rows=[1] * len(refs))
        lasts = read_series(
            ctx.library, refs, stop=stop, from_rows=[max(ln.info.count - 1, 0) for ln in lines]
        )
        to_columns = functools.partial(self.columns, ctx)
        pairs = [
            (to_columns(f), to_columns(t)) for f, t in zip(firsts, lasts) if f is not None and t is not None
        ]
        return extent_of(ctx.settings.xmode, pairs)

    def overlay(
        self, ctx: CardContext, state: Mapping, hovered: str | None, pinned: list[str]
    ) -> Patch | None:
        """The ``hovered`` and ``pinned`` runs (by label) drawn as lines over the density picture, in its slots.

        None if the card shows no density picture. Lines of other runs in a slot are replaced, unused slots
        emptied.
        """
        stamp = state.get("density") if isinstance(state, Mapping) else None
        slots = stamp.get("slots") if isinstance(stamp, Mapping) else None
        if isinstance(slots, bool) or not isinstance(slots, int) or slots not in (0, 1):
            return None
        x_range = self._x_range_of(state, ctx.settings.xmode)
        weight = self._smoothing(ctx)
        budget = self._line_budget(1, x_range)
        view_key = None if x_range is not None else self._view_key(ctx, weight, budget)
        wanted = list(dict.fromkeys(r for r in [hovered, *pinned] if isinstance(r, str)))
        by_label: dict[str, list[_Line]] = {}
        for line in self._lines(ctx, view_key):
            by_label.setdefault(self.series_label(ctx, line.ref), []).append(line)
        lines = [line for run in wanted for line in by_label.get(run, [])][:OVERLAY_SLOTS]
        style = _style(ctx.definition)
        traces = [
            overlay_trace(
                self._traces(ctx, line.ref, pts, style, weight > 0)[-1],
                hovered=self.series_label(ctx, line.ref) == hovered,
            )
            for line, pts in zip(lines, self._points(ctx, lines, weight, budget, x_range))
            if pts is not None
        ]
        patch = Patch()
        for i in range(OVERLAY_SLOTS):
            patch["data"][slots + i] = encode_traces([traces[i]])[0] if i < len(traces) else empty_slot()
        return patch

    def _group(
        self,
        ctx: CardContext,
        lines: list[_Line],
        points: list[TracePoints | None],
        style: dict,
        smoothing: bool,
        x_range: tuple | None,
    ) -> list[dict] | None:
        """The card's traces (numpy arrays) with its runs grouped into bands, or None when runs are not grouped.

        Each band's points are its share of the card's budget, as if each of its three traces were a line.
        """
        spec = group_spec(ctx.definition, ctx.settings)
        if spec is None:
            return None
        drawn = [
            (
                line.ref,
                pts,
                self.series_label(ctx, line.ref),
                self._traces(ctx, line.ref, pts, style, smoothing),
            )
            for line, pts in zip(lines, points)
            if pts is not None
        ]
        return grouped_data(ctx, spec, drawn, budget=lambda traces: self._line_budget(traces, x_range))

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
        """A settings change draws anew; a live tick appends the rows the browser lacks (or draws anew)."""
        try:
            if not live or not isinstance(state, Mapping) or state.get("sig") != ctx.settings.signature:
                raise Redraw("not a live tick for these settings")
            if state.get("density"):
                # redrawn at most every DENSITY_REFRESH_SECS (the picture costs every row); called only when
                # the card's data token changed
                if ctx.settings.step is not None or not density_refresh_due(state.get("density")):
                    return None
                raise Redraw("a density picture is drawn anew")
            x_range = self._x_range_of(state, ctx.settings.xmode)
            lines = self._lines(ctx, None)
            entries = held_entries(state, [line.ref.key for line in lines])
            if ctx.settings.step is not None:
                return None  # rewound: the card shows a fixed past
            grown = grown_series(entries, [line.info for line in lines])
            if not grown:
                return None
            if state.get("grouped"):
                raise Redraw("a band moves with each of its members")
            tails = self._read_tails(ctx, [(i, lines[i], entries[i]) for i in grown])
            return self._append(ctx, state, entries, tails, self._line_budget(len(lines), x_range))
        except Redraw:
            return self._full(ctx, state)

    def _read_tails(self, ctx: CardContext, grown: list[tuple[int, _Line, dict]]) -> list[_Tail]:
        """The rows of each grown series from the last one the browser holds (checked against its digest)."""
        records = read_series(
            ctx.library, [line.ref for _, line, _ in grown], from_rows=[max(e["n"] - 1, 0) for *_, e in grown]
        )
        tails = []
        for (index, line, entry), rec in zip(grown, records):
            if rec is None:
                raise Redraw("series gone")
            cols = self.columns(ctx, rec)
            overlap = 1 if entry["n"] > 0 else 0
            if len(cols) < overlap:
                raise Redraw("rows gone")
            held = (int(cols.step[0]), float(cols.value[0])) if overlap else (None, None)
            plan = plan_update(
                entry, SeriesState(line.info.fingerprint, line.info.count), lambda _i, last=held: last
            )
            if plan.action is Action.RESEND_FULL:
                raise Redraw("the browser's rows differ")
            rows = cols_slice(cols, overlap, len(cols))
            if plan.action is Action.APPEND and len(rows):
                tails.append(_Tail(index, line, entry, cols_slice(cols, 0, overlap), rows))
        return tails

    def _append(
        self, ctx: CardContext, state: Mapping, entries: list[dict], tails: list[_Tail], budget: int
    ) -> CardUpdate | None:
        """A patch appending each tail to its series' tail traces (made on the first tick that has rows)."""
        if not tails:
            return None
        if ctx.settings.ignore_outliers:
            raise Redraw("the y range moves with the data")
        ntraces = state.get("ntraces")
        if isinstance(ntraces, bool) or not isinstance(ntraces, int):
            raise Redraw("unknown number of traces")
        weight, xmode = self._smoothing(ctx), ctx.settings.xmode
        style = _style(ctx.definition)
        patch = Patch()
        entries = list(entries)
        for tail in tails:
            entry = tail.entry
            held_tail = entry.get("tail") if isinstance(entry.get("tail"), int) else 0
            if held_tail + len(tail.rows) > budget:
                raise Redraw("the browser holds enough points: a fresh overview")
            ema = (
                entry.get("ema")
                if isinstance(entry.get("ema"), list) and len(entry["ema"]) == 2
                else [0.0, 0]
            )
            before = EmaState(float(ema[0]), int(ema[1]))
            pts = extend_points(
                tail.rows,
                weight=weight,
                xmode=xmode,
                rows_before=entry["n"],
                ema=before,
                origin=entry.get("origin"),
            )
            indices = entry.get("tails")
            if _valid_indices(indices, ntraces):
                _extend(patch, indices, pts)
            else:
                ov = tail.overlap
                x0 = x_values(ov.step, ov.wall_time, xmode, origin=pts.origin)[0]
                joined = with_overlap(pts, x0, float(ov.value[0]), ema_value(before, weight))
                traces = self._traces(ctx, tail.line.ref, joined, style, weight > 0)
                for trace in encode_traces(traces, plain_list):
                    trace["showlegend"] = False
                    patch["data"].append(trace)
                indices = list(range(ntraces, ntraces + len(traces)))
                ntraces += len(traces)
            entries[tail.index] = series_entry(
                tail.line.info.fingerprint,
                pts,
                entry["key"],
                entry.get("traces"),
                held_tail + len(tail.rows),
                indices,
            )
        return CardUpdate(figure=patch, state={**state, "series": pack_entries(entries), "ntraces": ntraces})

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
