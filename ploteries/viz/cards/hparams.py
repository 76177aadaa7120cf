"""The hparams card: every ``add_hparams`` trial as a table row and a parallel-coordinates line, with the last
value of the scalars its runs logged (which TensorBoard's hparams tab leaves out).

- Table (sortable, filterable, rows selectable): the trial, its hyperparameters, metrics, then the scalar
  columns chosen in the dropdown (every scalar tag of the trials' parent runs and sub-runs).
- Parallel coordinates: one axis per column (text hyperparameters as categorical axes); each trial keeps its
  run's colour. Selecting rows (or filtering the table) highlights those lines; brushing axes dims the
  rows outside the brush.
- A scatter of one column against another (a metric against a hyperparameter by default).

Trials are the ``_hparams_`` records of the visible runs (the latest one of each sub-run, up to the rewind
step); metrics are the sub-run's scalar series (their last value) or, without one, the recorded value.
A trial's colour is its parent run's when that run holds only this trial (so it matches the run's curves in
the scalar cards), else the sub-run's own.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
from dash import MATCH, Input, Output, Patch, State, dash_table, dcc, html
from dash import ctx as dash_ctx

from ploteries.storage import array_to_json
from ploteries.storage.kinds import HPARAMS_TAG

from ..ids import VIEW_STATES, card_id
from ..library import RunKey, SeriesRef
from ..services.hparams_table import (
    FADED,
    apply_restyle,
    brushed_ids,
    line_colors,
    parcoords_dimensions,
    parent_run,
    table_columns,
    table_rows,
)
from ..services.tags import tag_sort_key
from ..settings import run_key_value
from .base import CardContent, CardContext, read_series
from .common import GRAPH_CONFIG, in_card_context
from .stateful import StateCard, pick_row, series_digest, series_steps

__all__ = ["HparamsCard", "trial_id"]

MAX_DEFAULT_SCALARS = 8
"""Scalar columns shown before the user chooses (the first tags in natural order)."""


def trial_id(source: str, run: str) -> str:
    """A short, stable row id for a trial's sub-run (safe inside DataTable filter queries).

    Examples
    --------
    >>> trial_id("a.h5", "exp/1") == trial_id("a.h5", "exp/1") != trial_id("a.h5", "exp/2")
    True
    """
    return "t" + hashlib.blake2b(run_key_value(source, run).encode(), digest_size=6).hexdigest()


def _last(rec) -> float | None:
    if rec is None or len(rec) == 0:
        return None
    value = np.asarray(rec["value"] if not hasattr(rec, "values") else rec.values)[-1]
    try:
        return float(np.asarray(value).reshape(-1)[0])
    except (TypeError, ValueError, IndexError):
        return None


class HparamsCard(StateCard):
    """Table, parallel coordinates and scatter of the hparams trials of the visible runs."""

    name = "hparams"
    full_plotly = True

    def default_definition(self, tag: str, kind: str) -> dict:
        d = super().default_definition(tag, kind)
        d["tab"] = "hparams"
        d["title"] = "hparams" if tag == HPARAMS_TAG else tag
        return d

    # ------------------------------------------------------------------------------------------ data

    def _related(self, ctx: CardContext) -> dict[RunKey, list[SeriesRef]]:
        """Scalar series of each trial's sub-run and parent run, by run."""
        runs_of: dict[str, set[str]] = {}
        for ref in ctx.snapshot.series:
            runs_of.setdefault(ref.source, set()).add(ref.run)
        wanted: set[RunKey] = set()
        for ref in ctx.series:
            wanted.add(ref.run_key)
            parent = parent_run(ref.run, runs_of.get(ref.source, ()))
            if parent is not None:
                wanted.add(RunKey(ref.source, parent))
        out: dict[RunKey, list[SeriesRef]] = {}
        for ref in ctx.snapshot.series:
            if ref.kind == "scalar" and ref.part == "" and ref.run_key in wanted:
                out.setdefault(ref.run_key, []).append(ref)
        return out

    def watched_series(self, ctx: CardContext) -> list[SeriesRef]:
        """The hparams records and every scalar of the trials' runs (the table's metric and scalar columns)."""
        related = [r for refs in self._related(ctx).values() for r in refs]
        return [*ctx.series, *related]

    def digest(self, ctx: CardContext) -> str:
        return series_digest(ctx, self.watched_series(ctx))

    def trials(self, ctx: CardContext) -> tuple[list[dict], list[str], dict]:
        """``(trials, scalar tags offered, {trial id: {tag: scalar ref}})`` of the visible hparams records."""
        refs = list(ctx.series)
        steps = series_steps(ctx, refs)
        rows = [pick_row(s, None) for s in steps]
        picked = [(ref, row) for ref, row in zip(refs, rows) if row is not None]
        records = read_series(
            ctx.library,
            [p[0] for p in picked],
            from_rows=[p[1] for p in picked],
            to_rows=[p[1] + 1 for p in picked],
        )
        related = self._related(ctx)
        runs_of: dict[str, set[str]] = {}
        for ref in ctx.snapshot.series:
            runs_of.setdefault(ref.source, set()).add(ref.run)
        parents = {ref.key: parent_run(ref.run, runs_of.get(ref.source, ())) for ref, _ in picked}
        per_parent = Counter((ref.source, p) for ref, _ in picked if (p := parents[ref.key]) is not None)
        trials: list[dict] = []
        scalar_refs: dict[str, dict[str, SeriesRef]] = {}
        metric_refs: dict[str, dict[str, SeriesRef]] = {}
        tags: set[str] = set()
        for (ref, _), rec in zip(picked, records):
            if rec is None or len(rec) == 0:
                continue
            raw = rec.values[0] if hasattr(rec, "values") else rec[0]["value"]
            try:
                doc = array_to_json(np.asarray(raw))
            except ValueError:
                continue
            if not isinstance(doc, Mapping):
                continue
            hparams = doc.get("hparams") if isinstance(doc.get("hparams"), Mapping) else {}
            metrics = dict(doc.get("metrics")) if isinstance(doc.get("metrics"), Mapping) else {}
            tid = trial_id(ref.source, ref.run)
            parent = parents[ref.key]
            own = {r.tag: r for r in related.get(ref.run_key, [])}
            metric_refs[tid] = {m: own[m] for m in metrics if m in own}
            mine: dict[str, SeriesRef] = {}
            if parent is not None:
                mine.update({r.tag: r for r in related.get(RunKey(ref.source, parent), [])})
            mine.update({t: r for t, r in own.items() if t not in metrics})
            scalar_refs[tid] = mine
            tags.update(mine)
            single = parent is not None and per_parent[(ref.source, parent)] == 1
            color_key = RunKey(ref.source, parent) if single else ref.run_key
            trials.append(
                {
                    "id": tid,
                    "label": ctx.label(ref),
                    "color": ctx.colors.get(color_key, ctx.color(ref)),
                    "hparams": dict(hparams),
                    "metrics": metrics,
                    "scalars": {},
                }
            )
        self._fill_last_values(ctx, trials, metric_refs, "metrics")
        return trials, sorted(tags, key=tag_sort_key), scalar_refs

    def _fill_last_values(self, ctx, trials: list[dict], refs_by_trial: dict, field: str) -> None:
        """Put the last value (up to the rewind step) of each trial's series into ``trial[field]``."""
        todo = [(t, name, ref) for t in trials for name, ref in refs_by_trial.get(t["id"], {}).items()]
        if not todo:
            return
        refs = [ref for _, _, ref in todo]
        if ctx.settings.step is None:
            counts = [(ctx.snapshot.info(r.key).count if ctx.snapshot.info(r.key) else 0) for r in refs]
            got = read_series(ctx.library, refs, from_rows=[max(c - 1, 0) for c in counts])
        else:
            got = read_series(ctx.library, refs, stop=ctx.settings.stop)
        for (trial, name, _), rec in zip(todo, got):
            value = _last(rec)
            if value is not None:
                trial[field][name] = value
            elif field == "scalars":
                trial[field].pop(name, None)

    def table(self, ctx: CardContext, chosen: Sequence[str] | None) -> dict:
        """Rows, columns and the scalar tags offered, for the chosen scalar columns (None: the default)."""
        trials, offered, scalar_refs = self.trials(ctx)
        if chosen is None:
            chosen = offered[:MAX_DEFAULT_SCALARS]
        chosen = [t for t in chosen if t in offered]
        wanted = {tid: {t: r for t, r in refs.items() if t in chosen} for tid, refs in scalar_refs.items()}
        self._fill_last_values(ctx, trials, wanted, "scalars")
        columns = table_columns(trials, chosen)
        return {"rows": table_rows(trials, columns), "columns": columns, "offered": offered, "chosen": chosen}

    # --------------------------------------------------------------------------------------- drawing

    @staticmethod
    def parcoords(rows: list[dict], columns: list[dict], highlighted, constraints, card: str) -> dict:
        dims = parcoords_dimensions(rows, columns, constraints)
        color, scale = line_colors(rows, highlighted)
        trace = {
            "type": "parcoords",
            "dimensions": dims,
            "line": {"color": color, "colorscale": scale, "cmin": 0, "cmax": max(len(rows), 1)},
            "unselected": {"line": {"color": FADED, "opacity": 0.5}},
            "labelangle": -20 if len(dims) > 8 else 0,
            "labelside": "top",
            "labelfont": {"size": 11},
            "tickfont": {"size": 10},
            "uirevision": card,
        }
        return {
            "data": [trace] if dims and rows else [],
            "layout": {
                "margin": {"l": 60, "r": 60, "t": 60 if len(dims) > 8 else 36, "b": 20},
                "paper_bgcolor": "#ffffff",
                "font": {"size": 11, "family": "Inter, system-ui, sans-serif", "color": "#333"},
                "uirevision": card,
            },
        }

    @staticmethod
    def scatter(
        rows: list[dict], columns: list[dict], x: str | None, y: str | None, highlighted, card
    ) -> dict:
        names = {c["id"]: c["name"][-1] for c in columns}
        keep = set(highlighted or ())
        pts = [r for r in rows if r.get(x) is not None and r.get(y) is not None] if x and y else []
        colors = [r["_color"] if not keep or r["id"] in keep else FADED for r in pts]
        trace = {
            "type": "scatter",
            "mode": "markers",
            "x": [r[x] for r in pts],
            "y": [r[y] for r in pts],
            "text": [r["trial"] for r in pts],
            "customdata": [r["id"] for r in pts],
            "marker": {"color": colors, "size": 10, "line": {"color": "#ffffff", "width": 1}},
            "hovertemplate": "<b>%{text}</b><br>"
            + f"{names.get(x, x)} %{{x}}<br>{names.get(y, y)} %{{y}}<extra></extra>",
        }
        axis = {"gridcolor": "#eceff3", "zeroline": False}

        def scale(values: list) -> dict:
            nums = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
            wide = nums and len(nums) == len(values) and min(nums) > 0 and max(nums) / min(nums) >= 100
            return {"type": "log", "dtick": 1} if wide else {}  # else plotly picks: linear or categories

        return {
            "data": [trace],
            "layout": {
                "margin": {"l": 56, "r": 12, "t": 8, "b": 44},
                "paper_bgcolor": "#ffffff",
                "plot_bgcolor": "#ffffff",
                "font": {"size": 11, "family": "Inter, system-ui, sans-serif", "color": "#333"},
                "xaxis": {**axis, "title": {"text": names.get(x, "")}, **scale(trace["x"])},
                "yaxis": {**axis, "title": {"text": names.get(y, "")}, **scale(trace["y"])},
                "hovermode": "closest",
                "showlegend": False,
                "uirevision": card,
            },
        }

    @staticmethod
    def row_styles(rows: list[dict], dimmed: set[str]) -> list[dict]:
        """Each row's colour swatch (left border of the trial cell); rows outside the brush in grey."""
        styles = [
            {
                "if": {"filter_query": f'{{id}} = "{r["id"]}"', "column_id": "trial"},
                "borderLeft": f"5px solid {r['_color']}",
            }
            for r in rows
        ]
        styles += [
            {"if": {"filter_query": f'{{id}} = "{tid}"'}, "color": "#aab2bd"} for tid in sorted(dimmed)
        ]
        return styles

    @staticmethod
    def datatable_columns(columns: list[dict]) -> list[dict]:
        out = [{"id": "trial", "name": ["", "trial"], "type": "text"}]
        for c in columns:
            col = {"id": c["id"], "name": c["name"], "type": c["type"]}
            if c["type"] == "numeric":
                col["format"] = {"specifier": ".6~g"}
            out.append(col)
        return out

    @staticmethod
    def default_axes(columns: list[dict]) -> tuple[str | None, str | None]:
        h = [c["id"] for c in columns if c["id"].startswith("h:")]
        m = [c["id"] for c in columns if c["id"].startswith("m:")]
        s = [c["id"] for c in columns if c["id"].startswith("s:")]
        x = (h or m or s or [None])[0]
        y = (m or s or [c["id"] for c in columns if c["id"] != x] or [None])[0]
        return x, y

    def render(self, ctx: CardContext) -> CardContent:
        cid = ctx.card_id
        t = self.table(ctx, None)
        rows, columns = t["rows"], t["columns"]
        x, y = self.default_axes(columns)
        axis_options = [{"label": c["name"][-1], "value": c["id"]} for c in columns]

        def axis_dropdown(kind: str, value) -> dcc.Dropdown:
            return dcc.Dropdown(
                id=card_id(kind, cid),
                options=axis_options,
                value=value,
                clearable=False,
                className="card-axis-select",
                persistence=True,
            )

        scalars = dcc.Dropdown(
            id=card_id("hparams-scalars", cid),
            options=[{"label": tag, "value": tag} for tag in t["offered"]],
            value=t["chosen"],
            multi=True,
            placeholder="add the last value of logged scalars as columns",
            className="card-multi-select",
            persistence=True,
        )
        controls = html.Div(
            [html.Span("scalar columns", className="control-label"), scalars],
            className="card-controls",
            style={} if t["offered"] else {"display": "none"},
        )
        table = dash_table.DataTable(
            id=card_id("hparams-table", cid),
            data=rows,
            columns=self.datatable_columns(columns),
            row_selectable="multi",
            selected_row_ids=[],
            sort_action="native",
            filter_action="native",
            page_size=20,
            merge_duplicate_headers=True,
            style_table={"overflowX": "auto"},
            style_cell={
                "fontFamily": "Inter, system-ui, sans-serif",
                "fontSize": 12,
                "padding": "3px 8px",
                "textAlign": "right",
                "minWidth": 60,
                "maxWidth": 260,
                "overflow": "hidden",
                "textOverflow": "ellipsis",
            },
            style_cell_conditional=[{"if": {"column_id": "trial"}, "textAlign": "left"}]
            + [{"if": {"column_id": c["id"]}, "textAlign": "left"} for c in columns if c["type"] == "text"],
            style_header={"backgroundColor": "#f5f6f8", "fontWeight": 600, "textAlign": "center"},
            style_data_conditional=self.row_styles(rows, set()),
            persistence=True,
            persisted_props=["sort_by", "filter_query", "hidden_columns"],
            css=[{"selector": ".dash-spreadsheet-menu", "rule": "display: none"}],
        )
        body = html.Div(
            [
                controls,
                dcc.Graph(
                    id=card_id("hparams-parcoords", cid),
                    figure=self.parcoords(rows, columns, None, {}, cid),
                    config=GRAPH_CONFIG,
                    className="card-graph",
                    style={"height": "330px"},
                ),
                html.Div(table, className="hparams-table"),
                html.Div(
                    [
                        html.Span("scatter", className="control-label"),
                        axis_dropdown("hparams-x", x),
                        html.Span("vs", className="control-label"),
                        axis_dropdown("hparams-y", y),
                    ],
                    className="card-controls",
                ),
                dcc.Graph(
                    id=card_id("hparams-scatter", cid),
                    figure=self.scatter(rows, columns, x, y, None, cid),
                    config=GRAPH_CONFIG,
                    className="card-graph",
                    style={"height": "250px"},
                ),
                html.Div(self.info(rows, columns), id=card_id("hparams-info", cid), className="card-info"),
                dcc.Store(id=card_id("hparams-brush", cid), data={}),
            ],
            className="hparams-panels",
        )
        return CardContent(body=body, state=self.initial_state(ctx))

    @staticmethod
    def info(rows: list[dict], columns: list[dict]) -> str:
        groups = Counter(c["id"][0] for c in columns)
        return (
            f"{len(rows)} trials · {groups.get('h', 0)} hyperparameters · {groups.get('m', 0)} metrics · "
            f"{groups.get('s', 0)} scalar columns (last value)"
        )

    # ------------------------------------------------------------------------------------- callbacks

    def register_callbacks(self, app) -> None:
        @app.callback(
            Output(card_id("hparams-table", MATCH), "data"),
            Output(card_id("hparams-table", MATCH), "columns"),
            Output(card_id("hparams-parcoords", MATCH), "figure"),
            Output(card_id("hparams-x", MATCH), "options"),
            Output(card_id("hparams-y", MATCH), "options"),
            Output(card_id("hparams-info", MATCH), "children"),
            Input(card_id("card-state", MATCH), "data"),
            Input(card_id("hparams-scalars", MATCH), "value"),
            State(card_id("hparams-brush", MATCH), "data"),
            State(card_id("hparams-table", MATCH), "selected_row_ids"),
            *VIEW_STATES,
            prevent_initial_call=True,
        )
        @in_card_context(app, outputs=6)
        def draw(context, _state, chosen, brush, selected):
            cid = context.card_id
            t = self.table(context, list(chosen or []))
            rows, columns = t["rows"], t["columns"]
            options = [{"label": c["name"][-1], "value": c["id"]} for c in columns]
            figure = self.parcoords(rows, columns, selected, brush or {}, cid)
            return rows, self.datatable_columns(columns), figure, options, options, self.info(rows, columns)

        @app.callback(
            Output(card_id("hparams-parcoords", MATCH), "figure", allow_duplicate=True),
            Output(card_id("hparams-scatter", MATCH), "figure"),
            Output(card_id("hparams-table", MATCH), "style_data_conditional"),
            Output(card_id("hparams-brush", MATCH), "data"),
            Input(card_id("hparams-table", MATCH), "selected_row_ids"),
            Input(card_id("hparams-table", MATCH), "derived_virtual_row_ids"),
            Input(card_id("hparams-parcoords", MATCH), "restyleData"),
            Input(card_id("hparams-x", MATCH), "value"),
            Input(card_id("hparams-y", MATCH), "value"),
            Input(card_id("hparams-table", MATCH), "data"),
            State(card_id("hparams-table", MATCH), "columns"),
            State(card_id("hparams-brush", MATCH), "data"),
            prevent_initial_call=True,
        )
        def highlight(selected, visible, restyle, x, y, rows, table_cols, brush):
            cid = dash_ctx.triggered_id["card"]
            rows = rows or []
            columns = [c for c in (table_cols or []) if c.get("id") != "trial"]
            highlighted = self.highlighted(rows, selected, visible)
            brush = dict(brush or {})
            if dash_ctx.triggered_id.get("type") == "hparams-parcoords":
                brush = apply_restyle(brush, restyle, [c["id"] for c in columns])
            else:
                brush = {k: v for k, v in brush.items() if any(c["id"] == k for c in columns)}
            inside = set(brushed_ids(rows, parcoords_dimensions(rows, columns), brush))
            dimmed = {r["id"] for r in rows} - inside
            color, scale = line_colors(rows, highlighted)
            patch = Patch()
            if rows and columns:
                patch["data"][0]["line"]["color"] = color
                patch["data"][0]["line"]["colorscale"] = scale
            keep = None
            if highlighted is not None or dimmed:
                keep = [i for i in (highlighted or [r["id"] for r in rows]) if i not in dimmed] or ["(none)"]
            scatter = self.scatter(rows, columns, x, y, keep, cid)
            return patch, scatter, self.row_styles(rows, dimmed), brush

    @staticmethod
    def highlighted(rows: list[dict], selected, visible) -> list[str] | None:
        """Trials to draw in colour: the selected rows, else the rows the table filter keeps (None: all)."""
        ids = [r["id"] for r in rows]
        if selected:
            return [i for i in ids if i in set(selected)]
        if isinstance(visible, list) and set(visible) != set(ids):
            return [i for i in ids if i in set(visible)] or ["(none)"]
        return None
