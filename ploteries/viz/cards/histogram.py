"""Histogram cards: TensorBoard's offset (ridgeline) and overlay views, and its distributions view.

A ``histogram`` series stores per step TensorBoard's buckets ``[left, right, count]`` (part ``""``) and its
statistics (part ``"stats"``), see docs/kinds.md and docs/histograms.md. A histogram tag gets two default
cards: a :class:`HistogramCard` (offset or overlay, switched in the card) and a :class:`DistributionCard`.

Both show one run at a time (a run dropdown in the card when the tag has several): a ridgeline needs the
card's whole width to stay readable, and 50 ridges of two runs drawn over each other are not; the run's
colour ties the card to the run list of the sidebar.

Reading stays bounded however many steps were logged: the steps come from the small fixed-size ``stats``
part, at most :data:`MAX_RIDGES` (histogram) or :data:`DISTRIBUTION_BUDGET` (distribution) rows are
picked evenly from those at or before the rewind step, and only those rows' buckets are read. For display
every picked step is re-binned onto common edges (:mod:`ploteries.viz.services.histogram_layout`).

Live: the histogram card redraws when its run's series grows (the state holds its fingerprint and row
count, so an unchanged card sends nothing); the distribution card appends the new steps' bands as a
``dash.Patch`` until it holds twice its budget, then redraws with a fresh even pick.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
from dash import Patch, dcc, html
from numpy.typing import NDArray

from ..ids import card_id
from ..services.checksum import Action, SeriesState, client_state, plan_update
from ..services.export import ExportRow
from ..services.histogram_layout import (
    BAND_LABELS,
    distribution_bands,
    evenly_spaced,
    rebin_all,
    ridge_tops,
)
from ..services.tags import blend, rgba
from ..services.xaxis import x_title, x_values
from .base import CardContent, CardContext, CardType, CardUpdate, read_series
from .common import base_layout, graph_body, json_x, message_figure
from .controls import (
    control_row,
    nothing_message,
    read_rows,
    records_of,
    register_redraw,
    run_choice,
    run_dropdown,
    run_value,
)

__all__ = [
    "DISTRIBUTION_BUDGET",
    "MAX_RIDGES",
    "MODES",
    "DistributionCard",
    "HistogramCard",
    "HistogramRows",
    "distribution_traces",
    "offset_traces",
    "overlay_traces",
    "pick_rows",
    "read_histograms",
]

MAX_RIDGES = 50
"""Steps drawn at most by the histogram card (evenly picked, the latest included)."""
N_BINS = 30
"""Common bins every drawn step is re-binned onto (TensorBoard's histogram view uses 30 too)."""
DISTRIBUTION_BUDGET = 500
"""Steps whose bands the distribution card draws at most on a first drawing."""
MODES = ("offset", "overlay")
_BAND_PAIRS = ((0, 8), (1, 7), (2, 6), (3, 5))
_BAND_ALPHAS = (0.13, 0.17, 0.21, 0.25)
_TRACE_BANDS = (0, 8, 1, 7, 2, 6, 3, 5, 4)  # band drawn by each trace of the distribution figure


@dataclasses.dataclass
class HistogramRows:
    """The picked steps of one histogram series: steps, wall times and bucket arrays, in row order."""

    steps: NDArray[np.int64]
    walls: NDArray[np.float64]
    buckets: list[NDArray]
    count: int  # rows of the series read (the state's cursor)

    def __len__(self) -> int:
        return len(self.buckets)


def pick_rows(steps: NDArray, stop: int | None, limit: int) -> NDArray[np.int64]:
    """The rows to draw: at most ``limit`` of those with ``step < stop``, evenly spaced, the last included.

    Examples
    --------
    >>> pick_rows(np.arange(0, 100, 10), None, 4).tolist(), pick_rows(np.arange(0, 100, 10), 45, 50).tolist()
    ([0, 3, 6, 9], [0, 1, 2, 3, 4])
    """
    rows = np.arange(len(steps)) if stop is None else np.flatnonzero(np.asarray(steps) < stop)
    return rows[evenly_spaced(len(rows), limit)]


def read_histograms(ctx: CardContext, ref, limit: int, *, from_row: int = 0) -> HistogramRows:
    """At most ``limit`` evenly picked steps (at or before the rewind step) of a histogram series.

    The steps are read from the series' ``stats`` part (a few bytes per step) and only the picked rows'
    buckets are read; a series without a matching ``stats`` part is read whole. ``from_row`` skips rows
    the browser already holds (live appends).
    """
    info = ctx.snapshot.info(ref.key)
    db = ctx.library.database(ref.source)
    empty = HistogramRows(np.empty(0, np.int64), np.empty(0), [], from_row)
    if db is None or info is None:
        return empty
    count, stop = info.count, ctx.settings.stop
    stats = ctx.snapshot.info((ref.source, ref.run, ref.tag, "stats"))
    if stats is not None and stats.count == count and not stats.ragged:
        st = db.read(ref.run, ref.tag, "stats", from_row=from_row, to_row=count)
        picked = pick_rows(st["step"], stop, limit)
        steps, walls, values = [], [], []
        for rec, i in zip(read_rows(ctx, ref, (picked + from_row).tolist()), picked):
            if rec is None or rec[0] != int(st["step"][i]):
                break  # stats and buckets disagree (not written together): read the buckets themselves
            steps.append(rec[0])
            walls.append(rec[1])
            values.append(rec[2])
        else:
            return HistogramRows(np.asarray(steps, np.int64), np.asarray(walls, np.float64), values, count)
    res = db.read(ref.run, ref.tag, ref.part, stop=stop, from_row=from_row, to_row=count)
    steps, walls, values = records_of(res)
    picked = evenly_spaced(len(values), limit)
    return HistogramRows(steps[picked], walls[picked], [values[i] for i in picked], count)


# ------------------------------------------------------------------------------------------- figures


def _centers(edges: NDArray) -> NDArray:
    return (edges[:-1] + edges[1:]) / 2


def _bins_customdata(edges: NDArray, counts: NDArray) -> list:
    return np.column_stack([edges[:-1], edges[1:], counts]).tolist()


def _bins_hover(step: int, run: str) -> str:
    return (
        f"<b>step {step}</b><br>[%{{customdata[0]:.4g}}, %{{customdata[1]:.4g}})"
        f"<br>count %{{customdata[2]:.4g}}<extra>{run}</extra>"
    )


def offset_traces(steps: NDArray, edges: NDArray, counts: NDArray, color: str, run: str = "") -> list[dict]:
    """TensorBoard's offset view: one filled ridge per step on a reversed step axis, newer steps in front.

    Each ridge is two traces: its baseline (at its step, invisible) and its outline filled down to it
    (``fill="tonexty"``), named ``step <s>``; older steps are paler and drawn first (behind).

    Examples
    --------
    >>> traces = offset_traces(np.array([0, 10]), np.array([0.0, 1.0, 2.0]), np.array([[1.0, 3.0], [2.0, 2.0]]),
    ...                        "#1f77b4")
    >>> [t["name"] for t in traces if t.get("fill")], traces[1]["customdata"][1]
    (['step 0', 'step 10'], [1.0, 2.0, 3.0])
    """
    tops, _ = ridge_tops(counts, steps)
    k = len(steps)
    x = _centers(edges).tolist()
    data = []
    for i, step in enumerate(np.asarray(steps).tolist()):
        age = 1.0 - (i / (k - 1) if k > 1 else 1.0)  # 1 for the oldest, 0 for the newest
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": [float(edges[0]), float(edges[-1])],
                "y": [step, step],
                "line": {"width": 0, "color": color},
                "hoverinfo": "skip",
                "showlegend": False,
            }
        )
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"step {step}",
                "x": x,
                "y": tops[i].tolist(),
                "fill": "tonexty",
                "fillcolor": blend(color, "#ffffff", 0.35 + 0.5 * age),
                "line": {"color": blend(color, "#ffffff", 0.55 * age), "width": 0.9},
                "customdata": _bins_customdata(edges, counts[i]),
                "hovertemplate": _bins_hover(step, run),
                "showlegend": False,
            }
        )
    return data


def overlay_traces(steps: NDArray, edges: NDArray, counts: NDArray, color: str, run: str = "") -> list[dict]:
    """TensorBoard's overlay view: every step's histogram as a line on one count axis, recent ones darker.

    Examples
    --------
    >>> traces = overlay_traces(np.array([0, 10]), np.array([0.0, 1.0, 2.0]), np.array([[1.0, 3.0], [2.0, 2.0]]),
    ...                         "#1f77b4")
    >>> [(t["name"], t["y"], t["line"]["color"]) for t in traces]
    [('step 0', [1.0, 3.0], '#d2e4f0'), ('step 10', [2.0, 2.0], '#1f77b4')]
    """
    k = len(steps)
    x = _centers(edges).tolist()
    data = []
    for i, step in enumerate(np.asarray(steps).tolist()):
        age = 1.0 - (i / (k - 1) if k > 1 else 1.0)
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"step {step}",
                "x": x,
                "y": counts[i].tolist(),
                "line": {"color": blend(color, "#ffffff", 0.8 * age), "width": 2.0 if age == 0 else 1.2},
                "customdata": _bins_customdata(edges, counts[i]),
                "hovertemplate": _bins_hover(step, run),
                "showlegend": False,
            }
        )
    return data


def _bands_hover(x_label: str) -> str:
    lines = [f"{label} %{{customdata[{i}]:.4g}}" for i, label in reversed(list(enumerate(BAND_LABELS)))]
    return f"<b>{x_label}</b><br>" + "<br>".join(lines) + "<extra>%{fullData.name}</extra>"


def distribution_traces(x, bands: NDArray, color: str, run: str = "", xmode: str = "step") -> list[dict]:
    """TensorBoard's distributions view: nested shaded bands between the nine percentiles, median line.

    ``bands`` is (k, 9) (:func:`~ploteries.viz.services.histogram_layout.distribution_bands` per step).
    Traces: for each pair (min, max), (6.7%, 93.3%), (15.9%, 84.1%), (30.9%, 69.1%) its lower bound and its
    upper bound filled down to it, darker inwards; then the median, whose hover lists all nine values.

    Examples
    --------
    >>> bands = np.tile(np.arange(9.0), (2, 1))
    >>> traces = distribution_traces(np.array([0, 1]), bands, "#1f77b4", "r")
    >>> len(traces), traces[-1]["name"], traces[-1]["y"], traces[1]["fill"]
    (9, 'r', [4.0, 4.0], 'tonexty')
    """
    xs = json_x(np.asarray(x))
    xs = xs.tolist() if isinstance(xs, np.ndarray) else xs
    x_label = {"step": "step %{x}", "relative": "%{x:.3f} h", "wall": "%{x}"}.get(xmode, "%{x}")
    data = []
    for (lo, hi), alpha in zip(_BAND_PAIRS, _BAND_ALPHAS):
        for b, fill in ((lo, None), (hi, "tonexty")):
            trace = {
                "type": "scatter",
                "mode": "lines",
                "name": BAND_LABELS[b],
                "x": xs,
                "y": bands[:, b].tolist(),
                "line": {"width": 0, "color": color},
                "hoverinfo": "skip",
                "showlegend": False,
            }
            if fill:
                trace.update(fill=fill, fillcolor=rgba(color, alpha))
            data.append(trace)
    data.append(
        {
            "type": "scatter",
            "mode": "lines",
            "name": run,
            "x": xs,
            "y": bands[:, 4].tolist(),
            "line": {"width": 1.8, "color": color},
            "customdata": bands.tolist(),
            "hovertemplate": _bands_hover(x_label),
            "showlegend": False,
        }
    )
    return data


# ------------------------------------------------------------------------------------------- cards


def _visible(ctx: CardContext) -> list:
    return [r for r in ctx.series if ctx.snapshot.info(r.key) is not None]


def _entry(ref, info, last_step=None, last_value=None) -> dict:
    entry = client_state(info.fingerprint, info.count, last_step, last_value)
    entry["key"] = list(ref.key)
    return entry


def _unchanged(ctx: CardContext, ref, state: Mapping) -> bool:
    entries = state.get("series") if isinstance(state, Mapping) else None
    entry = entries[0] if isinstance(entries, list) and entries and isinstance(entries[0], dict) else {}
    info = ctx.snapshot.info(ref.key)
    return (
        info is not None
        and entry.get("key") == list(ref.key)
        and entry.get("fp") == info.fingerprint
        and entry.get("n") == info.count
    )


class _OneRunCard(CardType):
    """A graph card showing one run of its tag at a time, chosen in a dropdown inside the card."""

    run_control = ""  # component kind of the run dropdown

    def controls(self, ctx: CardContext, state: dict) -> list:
        refs = _visible(ctx)
        return [run_dropdown(ctx, self.run_control, refs, run_choice(refs, state.get("run")))]

    def draw(self, ctx: CardContext, state: Mapping) -> tuple[dict, dict]:
        """The figure and the state, for the choices held in ``state`` (run, mode)."""
        raise NotImplementedError

    def render(self, ctx: CardContext) -> CardContent:
        figure, state = self.draw(ctx, {})
        body = html.Div([control_row(*self.controls(ctx, state)), graph_body(ctx.card_id, figure)])
        return CardContent(body=body, state=state)

    def _redraw(self, ctx: CardContext, state: Mapping) -> CardUpdate:
        figure, new_state = self.draw(ctx, state)
        return CardUpdate(figure=figure, state=new_state)

    def grow(self, ctx: CardContext, ref, state: dict) -> CardUpdate | None:
        """The run's series grew (or was replaced) during a live tick: redraw by default."""
        return self._redraw(ctx, state)

    def refresh(self, ctx: CardContext, state: dict, *, live: bool) -> CardUpdate | None:
        state = state if isinstance(state, dict) else {}
        if not live or state.get("sig") != ctx.settings.signature:
            return self._redraw(ctx, state)
        if ctx.settings.step is not None:
            return None  # rewound: a fixed past
        ref = run_choice(_visible(ctx), state.get("run"))
        if ref is None or _unchanged(ctx, ref, state):
            return None
        return self.grow(ctx, ref, state)

    def _begin(self, ctx: CardContext, state: Mapping) -> tuple:
        """The chosen run's series and the new state's common part (series entry: fingerprint, rows)."""
        ref = run_choice(_visible(ctx), state.get("run"))
        new_state = {
            "card": self.name,
            "sig": ctx.settings.signature,
            "run": None if ref is None else run_value(ref),
            "series": [] if ref is None else [_entry(ref, ctx.snapshot.info(ref.key))],
        }
        return ref, new_state


class HistogramCard(_OneRunCard):
    """The histograms of one tag over steps: offset (ridgeline by step) or overlay, one run at a time."""

    name = "histogram"
    run_control = "hist-run"
    max_ridges = MAX_RIDGES
    n_bins = N_BINS

    def default_definition(self, tag: str, kind: str) -> dict:
        d = super().default_definition(tag, kind)
        d["options"] = {"mode": "offset"}
        return d

    def default_definitions(self, tag: str, kind: str) -> list[dict]:
        """A histogram tag gets a histogram card and a distribution card, side by side."""
        return [self.default_definition(tag, kind), DistributionCard().default_definition(tag, kind)]

    def _mode(self, ctx: CardContext, state: Mapping) -> str:
        mode = state.get("mode") if isinstance(state, Mapping) else None
        if mode not in MODES:
            mode = (ctx.definition.get("options") or {}).get("mode")
        return mode if mode in MODES else MODES[0]

    def controls(self, ctx: CardContext, state: dict) -> list:
        mode = dcc.RadioItems(
            id=card_id("hist-mode", ctx.card_id),
            options=[{"label": m, "value": m} for m in MODES],
            value=state["mode"],
            inline=True,
            className="control-radio",
        )
        return [html.Div(mode, className="control"), *super().controls(ctx, state)]

    def draw(self, ctx: CardContext, state: Mapping) -> tuple[dict, dict]:
        mode = self._mode(ctx, state)
        ref, new_state = self._begin(ctx, state)
        new_state["mode"] = mode
        if ref is None:
            return message_figure("no histogram in the visible runs"), new_state
        try:
            hist = read_histograms(ctx, ref, self.max_ridges)
            if not len(hist):
                return message_figure(nothing_message("histogram", ctx.settings.step)), new_state
            edges, counts = rebin_all(hist.buckets, self.n_bins)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return message_figure(f"cannot draw this histogram: {exc}"), new_state
        color, label = ctx.color(ref), ctx.label(ref)
        layout = base_layout(f"{ctx.card_id}|{mode}", ctx.settings, "value")
        layout["yaxis"]["type"] = "linear"
        if mode == "offset":
            data = offset_traces(hist.steps, edges, counts, color, label)
            layout["yaxis"].update(title={"text": "step"}, autorange="reversed", zeroline=False)
        else:
            data = overlay_traces(hist.steps, edges, counts, color, label)
            layout["yaxis"].update(title={"text": "count"}, rangemode="tozero")
        return {"data": data, "layout": layout}, new_state

    def register_callbacks(self, app) -> None:
        register_redraw(
            app,
            [("hist-mode", "value"), (self.run_control, "value")],
            lambda ctx, _state, mode, run: self.draw(ctx, {"mode": mode, "run": run}),
        )


class DistributionCard(_OneRunCard):
    """TensorBoard's distributions: nine percentile bands of a histogram tag over steps, one run at a time."""

    name = "distribution"
    kinds = ()  # drawn for histogram tags, as HistogramCard's second default card
    run_control = "dist-run"
    budget = DISTRIBUTION_BUDGET

    def default_definition(self, tag: str, kind: str) -> dict:
        d = super().default_definition(tag, kind)
        d["title"] = f"{tag} (distribution)"
        return d

    def draw(self, ctx: CardContext, state: Mapping) -> tuple[dict, dict]:
        settings = ctx.settings
        ref, new_state = self._begin(ctx, state)
        new_state["tail"] = 0
        if ref is None:
            return message_figure("no histogram in the visible runs"), new_state
        try:
            hist = read_histograms(ctx, ref, self.budget)
            if not len(hist):
                return message_figure(nothing_message("histogram", settings.step)), new_state
            bands = np.array([distribution_bands(b) for b in hist.buckets])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return message_figure(f"cannot draw this distribution: {exc}"), new_state
        origin = float(hist.walls[0])
        x = x_values(hist.steps, hist.walls, settings.xmode, origin=origin)
        new_state["series"] = [_entry(ref, ctx.snapshot.info(ref.key), int(hist.steps[-1]), hist.buckets[-1])]
        new_state["series"][0]["n"] = hist.count
        new_state["origin"] = origin
        layout = base_layout(ctx.card_id, settings, x_title(settings.xmode))
        layout["yaxis"]["type"] = "linear"
        layout["hovermode"] = "x"
        data = distribution_traces(x, bands, ctx.color(ref), ctx.label(ref), settings.xmode)
        return {"data": data, "layout": layout}, new_state

    def grow(self, ctx: CardContext, ref, state: dict) -> CardUpdate | None:
        """New steps arrived: append their bands (a Patch), or redraw if the browser's copy diverged."""
        entry = state["series"][0] if state.get("series") else {}
        info = ctx.snapshot.info(ref.key)
        held = entry.get("n")
        if entry.get("key") != list(ref.key) or not isinstance(held, int) or held < 1:
            return self._redraw(ctx, state)
        try:  # one overlap row checks the digest of what the browser holds
            new = read_histograms(ctx, ref, info.count, from_row=held - 1)
        except (OSError, ValueError, KeyError, TypeError):
            return self._redraw(ctx, state)  # draws the reason in the card
        if not len(new):
            return self._redraw(ctx, state)
        plan = plan_update(
            entry,
            SeriesState(info.fingerprint, new.count),
            lambda _i: (int(new.steps[0]), new.buckets[0]),
        )
        tail_len = len(new) - 1
        if plan.action is not Action.APPEND or int(state.get("tail") or 0) + tail_len > self.budget:
            return self._redraw(ctx, state)
        try:
            bands = np.array([distribution_bands(b) for b in new.buckets[1:]])
        except (ValueError, TypeError):
            return self._redraw(ctx, state)
        x = json_x(x_values(new.steps[1:], new.walls[1:], ctx.settings.xmode, origin=state.get("origin")))
        x = x.tolist() if isinstance(x, np.ndarray) else x
        patch = Patch()
        for i, band in enumerate(_TRACE_BANDS):
            patch["data"][i]["x"].extend(x)
            patch["data"][i]["y"].extend(bands[:, band].tolist())
        patch["data"][len(_TRACE_BANDS) - 1]["customdata"].extend(bands.tolist())
        new_state = {
            **state,
            "series": [_entry(ref, info, int(new.steps[-1]), new.buckets[-1])],
            "tail": int(state.get("tail") or 0) + tail_len,
        }
        new_state["series"][0]["n"] = new.count
        return CardUpdate(figure=patch, state=new_state)

    def export(self, ctx: CardContext) -> list[ExportRow]:
        """Every step's nine bands, as rows of tags ``<tag>/<band>`` (e.g. ``weights/median``)."""
        rows: list[ExportRow] = []
        refs = _visible(ctx)
        for ref, res in zip(refs, read_series(ctx.library, refs, stop=ctx.settings.stop)):
            steps, walls, values = records_of(res)
            for step, wall, buckets in zip(steps.tolist(), walls.tolist(), values):
                try:
                    bands = distribution_bands(buckets)
                except (ValueError, TypeError):
                    continue
                rows += [
                    ExportRow(ctx.label(ref), f"{ref.tag}/{label}", step, wall, float(v))
                    for label, v in zip(BAND_LABELS, bands)
                ]
        return rows

    def register_callbacks(self, app) -> None:
        register_redraw(
            app, [(self.run_control, "value")], lambda ctx, _state, run: self.draw(ctx, {"run": run})
        )
