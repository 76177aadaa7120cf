"""The embedding card: ``add_embedding`` data projected to 2-D or 3-D (PCA), coloured by a metadata column,
with the hovered point's metadata row and label image beside the plot.

Label images are never embedded in the page: the hover callback points an ``<img>`` at
``/_ploteries/embedding/label_img`` (registered on ``app.server``), which PNG-encodes one image on request.
Beyond :attr:`EmbeddingCard.max_points_2d` / ``max_points_3d`` points the plot shows an even subsample and says
so. Projections and decoded records are kept in a small per-app cache keyed by the series' fingerprint.
"""

from __future__ import annotations

import io
import urllib.parse
from collections.abc import Mapping
from typing import Any

import numpy as np
from dash import MATCH, Input, Output, State, dcc, html, no_update
from dash import ctx as dash_ctx

from ploteries.storage import array_to_json

from ..ids import VIEW_STATES, card_id
from ..library import Library, SeriesRef
from ..lru import LruCache
from ..services.projection import column_values, pca, subsample
from ..services.tags import PALETTE
from ..settings import run_key_from_value
from .base import CardContent, CardContext
from .common import GRAPH_CONFIG, in_card_context, message_figure
from .stateful import (
    STEP_PROPS,
    StateCard,
    choose_step,
    part_ref,
    read_value,
    run_dropdown,
    series_steps,
    step_outputs,
    step_slider,
    value_at_step,
)

__all__ = ["LABEL_IMAGE_ROUTE", "EmbeddingCard", "colour_traces", "label_image_png", "metadata_columns"]

LABEL_IMAGE_ROUTE = "/_ploteries/embedding/label_img"
MAX_CATEGORIES = len(PALETTE)
"""Up to this many distinct values, a text column gets one trace (legend entry, colour) per value."""


def _nbytes(value) -> int:
    if isinstance(value, np.ndarray):
        return value.nbytes
    points = getattr(value, "points", None)
    return points.nbytes if isinstance(points, np.ndarray) else 1024


def metadata_columns(meta: Mapping | None) -> list[str]:
    """Column names of an embedding's metadata document (``"label"`` when it has no header).

    Examples
    --------
    >>> metadata_columns({"header": ["name", "n"], "rows": [["a", "1"]]}), metadata_columns({"header": None, "rows": [["a"]]})
    (['name', 'n'], ['label'])
    """
    if not isinstance(meta, Mapping):
        return []
    header = meta.get("header")
    if isinstance(header, list) and header:
        return [str(h) for h in header]
    rows = meta.get("rows") or []
    return ["label"] if rows else []


def colour_traces(
    points: np.ndarray, index: np.ndarray, rows: list | None, column: int | None, *, default_color: str
) -> list[dict]:
    """The scatter traces of projected ``points`` (already subsampled; ``index`` = their original rows).

    Coloured by metadata ``column``: one trace per category for text (up to :data:`MAX_CATEGORIES`, in
    natural order, palette colours), one trace on a continuous colour scale for numbers or more categories.
    ``customdata`` holds each point's original index (the hover callback reads it).

    Examples
    --------
    >>> pts = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5]])
    >>> ts = colour_traces(pts, np.arange(3), [["cat"], ["dog"], ["cat"]], 0, default_color="#444")
    >>> [(t["name"], t["customdata"]) for t in ts]
    [('cat', [0, 2]), ('dog', [1])]
    """
    dims = points.shape[1]
    kind = "scattergl" if dims == 2 else "scatter3d"
    size = 5 if dims == 2 else 3

    def trace(sel: np.ndarray, name: str, marker: dict) -> dict:
        t: dict[str, Any] = {
            "type": kind,
            "mode": "markers",
            "name": name,
            "x": points[sel, 0].astype(np.float32).tolist(),
            "y": points[sel, 1].astype(np.float32).tolist(),
            "customdata": index[sel].tolist(),
            "marker": {"size": size, "opacity": 0.85, **marker},
            "hovertemplate": "point %{customdata}"
            + ("<br>%{fullData.name}" if name else "")
            + "<extra></extra>",
        }
        if dims == 3:
            t["z"] = points[sel, 2].astype(np.float32).tolist()
        return t

    everything = np.arange(len(points))
    if rows is None or column is None:
        return [trace(everything, "", {"color": default_color})]
    numbers, labels = column_values([rows[i] for i in index], column)
    if numbers is not None:
        return [
            trace(
                everything,
                "",
                {
                    "color": np.where(np.isfinite(numbers), numbers, np.nan).tolist(),
                    "colorscale": "Viridis",
                    "showscale": True,
                    "colorbar": {"thickness": 10, "len": 0.8},
                },
            )
        ]
    from ..services.tags import tag_sort_key

    cats = sorted(set(labels), key=tag_sort_key)
    if len(cats) > MAX_CATEGORIES:
        code = {c: i for i, c in enumerate(cats)}
        codes = [code[c] for c in labels]
        t = trace(everything, "", {"color": codes, "colorscale": "Turbo", "showscale": False})
        t["text"] = labels
        t["hovertemplate"] = "point %{customdata}<br>%{text}<extra></extra>"
        return [t]
    labels_arr = np.array(labels, dtype=object)
    return [
        trace(np.flatnonzero(labels_arr == c), c, {"color": PALETTE[i % len(PALETTE)]})
        for i, c in enumerate(cats)
    ]


def label_image_png(images: np.ndarray, index: int) -> bytes:
    """PNG bytes of label image ``index`` of ``images`` (``(N, H, W, C)`` uint8, C in 1, 3, 4).

    Examples
    --------
    >>> png = label_image_png(np.zeros((2, 4, 4, 3), np.uint8), 1)
    >>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    from PIL import Image

    if images.ndim != 4 or not 0 <= index < images.shape[0]:
        raise IndexError(f"no label image {index} in an array of shape {images.shape}")
    img = np.ascontiguousarray(images[index])
    if img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    if img.shape[2] == 1:
        img = img[:, :, 0]
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


class EmbeddingCard(StateCard):
    """Embedding projector: PCA 2-D/3-D, metadata colours, label images and metadata on hover."""

    name = "embedding"
    full_plotly = True
    max_points_2d = 50_000
    max_points_3d = 20_000

    def __init__(self):
        self._cache: LruCache = LruCache(8, max_bytes=512 * 2**20, nbytes=_nbytes)

    def default_definition(self, tag: str, kind: str) -> dict:
        d = super().default_definition(tag, kind)
        d["tab"] = "projector" if tag == "default" else d["tab"]
        return d

    # ---------------------------------------------------------------------------------------- data

    def _record(self, ctx: CardContext, ref: SeriesRef, part: str, row: int):
        info = ctx.snapshot.info((ref.source, ref.run, ref.tag, part))
        fp = None if info is None else info.fingerprint
        key = ("value", ref.source, ref.run, ref.tag, part, fp, row)
        other = part_ref(ctx, ref, part)
        return None if other is None else self._cache.get_or_make(key, lambda: read_value(ctx, other, row))

    def _projection(self, ctx: CardContext, ref: SeriesRef, row: int, dims: int, matrix: np.ndarray):
        key = ("pca", ref.key, ref.info.fingerprint, row, dims)
        return self._cache.get_or_make(key, lambda: pca(matrix.reshape(len(matrix), -1), dims))

    def _metadata(self, ctx: CardContext, ref: SeriesRef, step: int) -> dict | None:
        info = ctx.snapshot.info((ref.source, ref.run, ref.tag, "metadata"))
        if info is None:
            return None
        key = ("meta", ref.source, ref.run, ref.tag, info.fingerprint, step)

        def load():
            raw = value_at_step(ctx, ref, "metadata", step)
            try:
                doc = None if raw is None else array_to_json(raw)
            except ValueError:
                return None
            return doc if isinstance(doc, dict) and isinstance(doc.get("rows"), list) else None

        return self._cache.get_or_make(key, load)

    # --------------------------------------------------------------------------------------- drawing

    def render(self, ctx: CardContext) -> CardContent:
        cid = ctx.card_id
        runs, _ = run_dropdown(ctx, ctx.series, "embedding-run")
        v = self.view(ctx, runs.value, "pca2", None, None, None)
        controls = html.Div(
            [
                runs,
                dcc.RadioItems(
                    id=card_id("embedding-projection", cid),
                    options=[{"label": " PCA 2-D", "value": "pca2"}, {"label": " PCA 3-D", "value": "pca3"}],
                    value="pca2",
                    className="radio-row",
                    persistence=True,
                ),
                html.Span("colour by", className="control-label"),
                dcc.Dropdown(
                    id=card_id("embedding-color", cid),
                    options=v["color_options"],
                    value=v["color"],
                    clearable=True,
                    placeholder="(none)",
                    className="card-color-select",
                    persistence=True,
                ),
            ],
            className="card-controls",
        )
        side = html.Div(
            [
                html.Img(id=card_id("embedding-image", cid), className="embedding-image", alt=""),
                html.Div(
                    "Hover a point to see its metadata and label image.",
                    id=card_id("embedding-hover", cid),
                    className="embedding-hover",
                ),
            ],
            className="embedding-side",
        )
        body = html.Div(
            [
                controls,
                html.Div(
                    [
                        dcc.Graph(
                            id=card_id("embedding-graph", cid),
                            figure=v["figure"],
                            config=GRAPH_CONFIG,
                            className="card-graph embedding-graph",
                            style={"height": "420px"},
                            clear_on_unhover=False,
                        ),
                        side,
                    ],
                    className="embedding-main",
                ),
                step_slider("embedding", cid, v),
                html.Div(v["info"], id=card_id("embedding-info", cid), className="card-info"),
            ]
        )
        return CardContent(body=body, state=self.initial_state(ctx))

    def _ref(self, ctx: CardContext, run_value) -> SeriesRef | None:
        key = run_key_from_value(run_value) if run_value else None
        refs = ctx.series
        return next((r for r in refs if (r.source, r.run) == key), refs[0] if refs else None)

    def _shown(self, ctx: CardContext, ref: SeriesRef, wanted, old_max) -> tuple[int, int, dict] | None:
        """(row, the step shown, slider props), or None without records."""
        (steps,) = series_steps(ctx, [ref])
        return choose_step(steps, wanted, old_max)

    def view(self, ctx: CardContext, run_value, projection, color, wanted, old_max) -> dict:
        """Everything the body shows for the chosen run, projection, colour column and step."""
        out: dict[str, Any] = {
            "min": 0,
            "max": 1,
            "value": 0,
            "marks": {},
            "style": {"display": "none"},
            "color_options": [],
            "color": color,
            "info": "",
        }
        ref = self._ref(ctx, run_value)
        if ref is None:
            return {**out, "figure": message_figure("no embedding in the visible runs")}
        shown = self._shown(ctx, ref, wanted, old_max)
        if shown is None:
            return {**out, "figure": message_figure("no embedding at or before this step")}
        row, shown_step, props = shown
        out.update(props)
        matrix = self._record(ctx, ref, "", row)
        if matrix is None or matrix.ndim != 2 or matrix.shape[0] == 0:
            shape = None if matrix is None else matrix.shape
            return {**out, "figure": message_figure(f"cannot project an embedding of shape {shape}")}
        meta = self._metadata(ctx, ref, shown_step)
        rows = meta["rows"] if meta is not None and len(meta["rows"]) == len(matrix) else None
        columns = metadata_columns(meta) if rows is not None else []
        out["color_options"] = [{"label": c, "value": c} for c in columns]
        if color is None and wanted is None and columns:
            color = columns[0]  # first drawing: colour by the first column
        if color not in columns:
            color = None
        out["color"] = color
        dims = 3 if projection == "pca3" else 2
        proj = self._projection(ctx, ref, row, dims, matrix)
        limit = self.max_points_3d if dims == 3 else self.max_points_2d
        index = subsample(len(matrix), limit)
        traces = colour_traces(
            proj.points[index],
            index,
            rows,
            None if color is None else columns.index(color),
            default_color=ctx.color(ref),
        )
        pct = [f"PC{i + 1} ({100 * e:.1f}%)" for i, e in enumerate(proj.explained)]
        axis = {"gridcolor": "#eceff3", "zeroline": False}
        layout: dict[str, Any] = {
            "margin": {"l": 46, "r": 8, "t": 30, "b": 40},  # room for the mode bar above the legend
            "paper_bgcolor": "#ffffff",
            "plot_bgcolor": "#ffffff",
            "font": {"size": 11, "family": "Inter, system-ui, sans-serif", "color": "#333"},
            "hovermode": "closest",
            "legend": {"itemsizing": "constant", "font": {"size": 10}},
            "showlegend": len(traces) > 1,
            "uirevision": f"{ctx.card_id}|{ref.key}|{dims}",
        }
        if dims == 2:
            layout["xaxis"] = {**axis, "title": {"text": pct[0]}}
            layout["yaxis"] = {**axis, "title": {"text": pct[1]}}
        else:
            layout["margin"] = {"l": 0, "r": 0, "t": 0, "b": 0}
            layout["scene"] = {
                "xaxis": {"title": {"text": pct[0]}},
                "yaxis": {"title": {"text": pct[1]}},
                "zaxis": {"title": {"text": pct[2]}},
            }
        out["figure"] = {"data": traces, "layout": layout}
        note = (
            f" · showing {len(index):,} evenly spaced of {len(matrix):,} points"
            if len(index) < len(matrix)
            else ""
        )
        out["info"] = (
            f"{ctx.label(ref)} · step {shown_step} · {len(matrix):,} points × {matrix.shape[1]} dims · "
            f"PCA explains {100 * float(proj.explained.sum()):.1f}% of the variance{note}"
        )
        return out

    def hover(self, ctx: CardContext, run_value, wanted, point: int) -> tuple[str | None, list]:
        """The label image URL and the metadata lines of one point of the shown record."""
        ref = self._ref(ctx, run_value)
        shown = None if ref is None else self._shown(ctx, ref, wanted, None)
        if shown is None:
            return None, []
        _, step, _ = shown
        meta = self._metadata(ctx, ref, step)
        lines: list = [html.Div(f"point {point}", className="embedding-point")]
        if meta is not None and 0 <= point < len(meta["rows"]):
            for name, value in zip(metadata_columns(meta), meta["rows"][point]):
                lines.append(html.Div([html.Span(f"{name} ", className="muted"), html.Span(str(value))]))
        src = None
        images = ctx.snapshot.info((ref.source, ref.run, ref.tag, "label_img"))
        if images is not None:
            query = {
                "source": ref.source,
                "run": ref.run,
                "tag": ref.tag,
                "step": step,
                "index": point,
                "fp": images.fingerprint,
            }
            src = f"{LABEL_IMAGE_ROUTE}?{urllib.parse.urlencode(query)}"
        return src, lines

    def label_image(self, library: Library, args: Mapping[str, str]) -> bytes:
        """PNG of one label image named by the route's query (``source, run, tag, step, index``)."""
        snapshot = library.snapshot
        key = (args.get("source", ""), args.get("run", ""), args.get("tag", ""), "label_img")
        info = snapshot.info(key)
        if info is None:
            raise KeyError(f"no label images for {key[:3]}")
        step, index = int(args.get("step", "")), int(args.get("index", ""))
        ref = SeriesRef(key[0], info)
        db = library.database(ref.source)
        if db is None:
            raise KeyError(f"database {ref.source!r} is not readable")
        steps = np.asarray(db.read(ref.run, ref.tag, "label_img", fields=("step",)))
        rows = np.flatnonzero(steps == step)
        if len(rows) == 0:
            raise KeyError(f"no label images at step {step}")
        row = int(rows[-1])

        def load():
            rec = db.read_records(ref.run, ref.tag, "label_img", from_row=row, to_row=row + 1)
            return None if len(rec) == 0 else np.asarray(rec.values[0])

        images = self._cache.get_or_make(("value", *key[:3], "label_img", info.fingerprint, row), load)
        if images is None:
            raise KeyError("the label images are gone")
        return label_image_png(images, index)

    # ------------------------------------------------------------------------------------- callbacks

    def register_callbacks(self, app) -> None:
        server = app.server

        def serve_label_image():
            from flask import Response, request

            try:
                png = self.label_image(app.viewer.library, request.args)
            except (KeyError, ValueError, IndexError, OSError) as exc:
                return Response(str(exc), status=404, mimetype="text/plain")
            return Response(png, mimetype="image/png", headers={"Cache-Control": "private, max-age=3600"})

        if LABEL_IMAGE_ROUTE not in {r.rule for r in server.url_map.iter_rules()}:
            server.add_url_rule(LABEL_IMAGE_ROUTE, "ploteries_embedding_label_img", serve_label_image)

        @app.callback(
            Output(card_id("embedding-graph", MATCH), "figure"),
            *step_outputs("embedding"),
            Output(card_id("embedding-color", MATCH), "options"),
            Output(card_id("embedding-color", MATCH), "value"),
            Output(card_id("embedding-info", MATCH), "children"),
            Input(card_id("card-state", MATCH), "data"),
            Input(card_id("embedding-run", MATCH), "value"),
            Input(card_id("embedding-projection", MATCH), "value"),
            Input(card_id("embedding-color", MATCH), "value"),
            Input(card_id("embedding-step", MATCH), "value"),
            State(card_id("embedding-step", MATCH), "max"),
            *VIEW_STATES,
            prevent_initial_call=True,
        )
        @in_card_context(app, outputs=9)
        def draw(context, _state, run_value, projection, color, step, old_max):
            by_user = dash_ctx.triggered_id.get("type") == "embedding-step"
            v = self.view(context, run_value, projection, color or None, step, None if by_user else old_max)
            keys = ("figure", *STEP_PROPS, "color_options", "color", "info")
            return tuple(v[k] for k in keys)

        @app.callback(
            Output(card_id("embedding-image", MATCH), "src"),
            Output(card_id("embedding-image", MATCH), "style"),
            Output(card_id("embedding-hover", MATCH), "children"),
            Input(card_id("embedding-graph", MATCH), "hoverData"),
            State(card_id("embedding-run", MATCH), "value"),
            State(card_id("embedding-step", MATCH), "value"),
            *VIEW_STATES,
            prevent_initial_call=True,
        )
        @in_card_context(app, outputs=3)
        def hover(context, hover_data, run_value, step):
            points = (hover_data or {}).get("points") or []
            point = points[0].get("customdata") if points else None
            if isinstance(point, list):
                point = point[0] if point else None
            if not isinstance(point, int):
                return no_update, no_update, no_update
            src, lines = self.hover(context, run_value, step, point)
            style = {} if src else {"display": "none"}
            return src or "", style, lines
