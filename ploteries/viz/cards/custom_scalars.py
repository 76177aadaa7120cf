"""Custom-scalars cards: the Multiline and Margin charts of ``add_custom_scalars`` layouts.

The layout series (tag ``_custom_scalars_``, kind ``custom_scalars``) gets no card of its own: its charts
do, one each, in a tab per category (:meth:`CustomScalarsCard.data_definitions`, from
:mod:`ploteries.viz.services.custom_scalars`). The latest layout record of every run is read through
storage, cached on the series' fingerprint and row count, and merged as TensorBoard merges them.

Drawing is the scalar card's (:class:`~ploteries.viz.cards.scalar.ScalarCard`): smoothing on the full series,
min/max downsampling, live ``Patch`` appends, zoom, export; only which series are drawn, their names and
colours, and the Margin chart's band differ.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from ploteries.storage import array_to_json

from ..library import Library, SeriesRef, Snapshot
from ..scalar_traces import TracePoints
from ..services.custom_scalars import (
    CARD,
    chart_definitions,
    error_definition,
    merge_layouts,
    parse_layout,
)
from ..services.tags import PALETTE, rgba, tag_sort_key
from .base import CardContent, CardContext, CardUpdate
from .common import message_annotation
from .scalar import ScalarCard

__all__ = ["CustomScalarsCard"]

_ROLES = ("lower", "upper", "value")  # drawing order of a margin chart's series: the band, then the line


class CustomScalarsCard(ScalarCard):
    """A chart of a custom-scalars layout: Multiline (a line per run and matched tag) or Margin (a band)."""

    name = CARD

    def __init__(self) -> None:
        self._layouts: dict[tuple, tuple[tuple, object]] = {}
        self._lock = threading.Lock()

    # --------------------------------------------------------------------------------- definitions

    def default_definitions(self, tag: str, kind: str) -> list[dict]:
        return []  # the layout's charts are the cards (data_definitions)

    def _layout(self, library: Library, ref: SeriesRef):
        """The latest layout record of one run (parsed), or the message saying why it cannot be read."""
        info = ref.info
        stamp = (info.fingerprint, info.count)
        with self._lock:
            cached = self._layouts.get(ref.key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        db = library.database(ref.source)
        if db is None or info.count == 0:
            return None
        try:
            rec = db.read_records(ref.run, ref.tag, ref.part, from_row=info.count - 1, to_row=info.count)
            layout = parse_layout(array_to_json(rec.values[-1]))
        except (OSError, KeyError, IndexError) as exc:
            return f"cannot read the layout: {exc}"
        except (ValueError, TypeError) as exc:  # bad JSON or a layout of the wrong shape
            layout = f"cannot use the layout: {exc}"
        with self._lock:
            self._layouts[ref.key] = (stamp, layout)
        return layout

    def data_definitions(self, snapshot: Snapshot, library: Library) -> list[dict]:
        """The charts of every run's latest layout, merged in run order as TensorBoard does."""
        refs = sorted(
            (r for r in snapshot.series if r.kind == CARD and r.part == ""), key=lambda r: (r.run, r.source)
        )
        if not refs:
            return []
        layouts, errors = [], []
        for ref in refs:
            layout = self._layout(library, ref)
            if isinstance(layout, str):
                errors.append(error_definition(ref.source, ref.run, layout))
            elif layout is not None:
                layouts.append(layout)
        with self._lock:  # forget series that are gone
            live = {r.key for r in refs}
            for key in [k for k in self._layouts if k not in live]:
                del self._layouts[key]
        scalar_tags = {r.tag for r in snapshot.series if r.kind == "scalar" and r.part == ""}
        return chart_definitions(merge_layouts(layouts), scalar_tags) + errors

    # --------------------------------------------------------------------------------- the lines

    def _chart(self, ctx: CardContext) -> str:
        return str((ctx.definition.get("options") or {}).get("chart") or "Multiline")

    def _roles(self, ctx: CardContext) -> dict[tuple, str]:
        roles: dict[tuple, str] = {}
        for name, refs in ctx.bound.items():
            if name == "layout":
                continue
            for ref in refs:
                if ctx.snapshot.info(ref.key) is not None:
                    roles.setdefault(ref.key, name)
        return roles

    def series_refs(self, ctx: CardContext) -> list:
        roles = self._roles(ctx)
        refs = {r.key: r for name, rs in ctx.bound.items() if name != "layout" for r in rs if r.key in roles}
        if self._chart(ctx) == "Margin":
            order = {role: i for i, role in enumerate(_ROLES)}
            key = lambda r: (r.source, r.run, order.get(roles[r.key], 9))  # noqa: E731
        else:
            key = lambda r: (tag_sort_key(r.tag), r.source, r.run)  # noqa: E731
        return sorted(refs.values(), key=key)

    def _many(self, ctx: CardContext) -> tuple[bool, bool]:
        refs = self.series_refs(ctx)
        return len({r.run_key for r in refs}) > 1, len({r.tag for r in refs}) > 1

    def series_label(self, ctx: CardContext, ref) -> str:
        run = ctx.label(ref)
        if self._chart(ctx) == "Margin":
            role = self._roles(ctx).get(ref.key, "value")
            return run if role == "value" else f"{run} ({role})"
        many_runs, many_tags = self._many(ctx)
        if many_runs and many_tags:
            return f"{ref.tag} · {run}"
        return ref.tag if many_tags else run

    def series_color(self, ctx: CardContext, ref) -> str:
        if self._chart(ctx) == "Margin":
            return ctx.color(ref)
        many_runs, many_tags = self._many(ctx)
        if not many_tags:
            return ctx.color(ref)  # one tag: the runs' own colours, as in the sidebar
        keys = [r.key for r in self.series_refs(ctx)]
        return PALETTE[keys.index(ref.key) % len(PALETTE)]

    def _traces(self, ctx: CardContext, ref, pts: TracePoints, style: dict, smoothing: bool) -> list[dict]:
        traces = super()._traces(ctx, ref, pts, style, smoothing)
        if self._chart(ctx) != "Margin":
            return traces
        role = self._roles(ctx).get(ref.key, "value")
        color = self.series_color(ctx, ref)
        for t in traces:
            t["showlegend"] = role == "value"
            t["legendgroup"] = ctx.label(ref)
            if role != "value":
                t["line"] = {**t.get("line", {}), "width": 0}
                t.pop("opacity", None)
            if role == "upper":
                t.update(fill="tonexty", fillcolor=rgba(color, 0.2))
        return traces

    # --------------------------------------------------------------------------------- the card

    def figure_and_state(self, ctx: CardContext, x_range: tuple | None = None) -> tuple[dict, dict]:
        figure, state = super().figure_and_state(ctx, x_range)
        layout = figure["layout"]
        names = {t.get("name") for t in figure["data"] if t.get("showlegend", True)}
        if len(names) > 1:
            layout["showlegend"] = True
            layout["legend"] = {
                "orientation": "h",
                "x": 0,
                "y": 1.0,
                "yanchor": "bottom",
                "font": {"size": 10},
            }
            layout["margin"] = {**layout["margin"], "t": 28}
        if not figure["data"]:
            options = ctx.definition.get("options") or {}
            tags = ", ".join(repr(t) for t in options.get("tags") or [])
            layout["annotations"] = [
                message_annotation(f"no scalar series matches {tags} in the visible runs")
            ]
        return figure, state

    def _error(self, ctx: CardContext) -> str | None:
        error = (ctx.definition.get("options") or {}).get("error")
        return str(error) if error else None

    def render(self, ctx: CardContext, x_range: tuple | None = None) -> CardContent:
        error = self._error(ctx)
        if error:
            raise ValueError(error)  # the viewer shows it in the card
        return super().render(ctx, x_range)

    def refresh(self, ctx: CardContext, state: dict, *, live: bool) -> CardUpdate | None:
        return None if self._error(ctx) else super().refresh(ctx, state, live=live)

    def relayout(self, ctx: CardContext, state: dict, relayout: Mapping) -> CardUpdate | None:
        return None if self._error(ctx) else super().relayout(ctx, state, relayout)
