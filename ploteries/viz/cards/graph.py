"""The model graph card: ``add_graph`` / ``add_onnx_graph`` nodes in a layered layout (inputs on top).

Nodes are text boxes coloured by op (name scopes folded into one box per module, TensorBoard's way, by default
once the graph has more than :attr:`GraphCard.max_nodes` nodes; a depth choice unfolds them), edges are lines
bending around nodes with an arrowhead at their end; hover shows a node's op, inputs and attributes. Constants
and parameter look-ups are hidden unless asked for. Zoom and pan as any Plotly chart.
"""

from __future__ import annotations

import hashlib
import html as html_text
import json
from collections.abc import Mapping, Sequence
from typing import Any

from dash import MATCH, Input, Output, dcc, html

from ploteries.storage import array_to_json
from ploteries.storage.kinds import GRAPH_TAG, ONNX_GRAPH_TAG

from ..ids import VIEW_STATES, card_id
from ..services.graph_layout import CONSTANT_OPS, collapse_scopes, default_depth, graph_edges, layered_layout
from ..services.tags import PALETTE
from ..settings import run_key_from_value
from .base import CardContent, CardContext
from .common import GRAPH_CONFIG, in_card_context, message_figure
from .stateful import StateCard, pick_row, read_value, run_dropdown, series_steps

__all__ = ["GraphCard", "graph_figure", "node_label", "op_color"]

SCOPE_COLOR = "#dbe9f6"
IO_COLOR = "#e9ecef"


def op_color(op: str) -> str:
    """A light fill colour per op (stable across graphs): IO nodes grey, scopes blue, ops from the palette.

    Examples
    --------
    >>> op_color("IO Node"), op_color("scope"), op_color("aten::relu") == op_color("aten::relu")
    ('#e9ecef', '#dbe9f6', True)
    """
    if op == "IO Node" or op == "Variable":
        return IO_COLOR
    if op == "scope":
        return SCOPE_COLOR
    base = PALETTE[int(hashlib.blake2b(op.encode(), digest_size=2).hexdigest(), 16) % len(PALETTE)]
    r, g, b = (int(base[i : i + 2], 16) for i in (1, 3, 5))
    mix = [round(c + (255 - c) * 0.72) for c in (r, g, b)]  # a pastel of the palette colour
    return "#{:02x}{:02x}{:02x}".format(*mix)


def node_label(node: Mapping) -> str:
    """The short text of a node's box: a scope's last component, an op without its namespace (and the module
    it runs in, as ``named_modules`` spells it), an IO name.

    Examples
    --------
    >>> node_label({"name": "Net/Seq[layer1]/Block[0]", "op": "scope"}), node_label({"name": "Net/x.1", "op": "aten::relu"})
    ('Block · layer1.0', 'relu')
    >>> node_label({"name": "Net/Sequential[block]/Linear[0]/input", "op": "aten::linear"})
    'linear · block.0'
    >>> node_label({"name": "input/x", "op": "IO Node"})
    'input: x'
    """
    name, op = str(node.get("name")), str(node.get("op"))
    parts = name.split("/")
    if op == "scope":
        modules = [p[p.index("[") + 1 : -1] for p in parts if "[" in p and p.endswith("]")]
        kind = parts[-1].split("[", 1)[0]
        return f"{kind} · {'.'.join(modules)}" if modules and kind else parts[-1]
    if op == "IO Node":
        head, _, tail = name.partition("/")
        return f"{head}: {tail}" if tail else name
    short = op.rsplit("::", 1)[-1] if op else name.rsplit("/", 1)[-1]
    modules = [p[p.index("[") + 1 : -1] for p in parts[:-1] if "[" in p and p.endswith("]")]
    return f"{short} · {'.'.join(modules)}" if modules else short


def _hover(node: Mapping) -> str:
    esc = html_text.escape
    lines = [f"<b>{esc(str(node.get('name')))}</b>", esc(str(node.get("op")))]
    if node.get("op") == "scope":
        ops = sorted((node.get("ops") or {}).items(), key=lambda kv: (-kv[1], kv[0]))
        lines[1] = f"scope of {node.get('members')} nodes"
        lines += [f"{esc(op)} ×{n}" for op, n in ops[:8]] + (["…"] if len(ops) > 8 else [])
    inputs = [str(i) for i in node.get("inputs") or []]
    if inputs:
        shown = ", ".join(esc(i) for i in inputs[:6]) + (f", … ({len(inputs)})" if len(inputs) > 6 else "")
        lines.append(f"inputs: {shown}")
    for key, value in (node.get("attr") or {}).items():
        if value in ("", "{}", None, []):
            continue
        text = json.dumps(value) if not isinstance(value, str) else value
        lines.append(f"{esc(str(key).lstrip('_'))}: {esc(text[:120])}")
    return "<br>".join(lines)


def graph_figure(nodes: Sequence[Mapping], *, card: str, max_boxes: int = 150) -> tuple[dict, int]:
    """The Plotly figure of a (possibly folded) node list, and its number of edges.

    Up to ``max_boxes`` nodes are text boxes (annotations); more are drawn as labelled markers.
    """
    names = [str(n.get("name")) for n in nodes]
    edges = graph_edges(nodes)
    lay = layered_layout(names, edges)
    ex: list = []
    ey: list = []
    ax: list = []
    ay: list = []
    for edge in lay.edges:
        path = lay.paths[edge]
        for x, y in path:
            ex.append(x)
            ey.append(y)
        ex.append(None)
        ey.append(None)
        (x0, y0), (x1, y1) = path[-2], path[-1]
        ax += [x0 + (x1 - x0) * 0.6, x0 + (x1 - x0) * 0.76, None]
        ay += [y0 + (y1 - y0) * 0.6, y0 + (y1 - y0) * 0.76, None]
    xs = [lay.positions[n][0] for n in names]
    ys = [lay.positions[n][1] for n in names]
    colors = [op_color(str(n.get("op"))) for n in nodes]
    labels = [node_label(n) for n in nodes]
    boxes = len(nodes) <= max_boxes
    data: list[dict] = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": ex,
            "y": ey,
            "line": {"color": "#9aa3ad", "width": 1.2},
            "hoverinfo": "skip",
            "name": "edges",
        },
        {
            "type": "scatter",
            "mode": "markers",
            "x": ax,
            "y": ay,
            "marker": {
                "symbol": "arrow",
                "angleref": "previous",
                "size": [0, 11, 0] * len(lay.edges),
                "color": "#7b8591",
            },
            "hoverinfo": "skip",
            "name": "arrows",
        },
        {
            "type": "scatter",
            "mode": "markers" if boxes else "markers+text",
            "x": xs,
            "y": ys,
            "text": labels,
            "textposition": "middle right",
            "customdata": names,
            "hovertext": [_hover(n) for n in nodes],
            "hovertemplate": "%{hovertext}<extra></extra>",
            "marker": {
                "symbol": "square",
                "size": 26 if boxes else 10,
                "color": colors,
                "opacity": 0.01 if boxes else 1,
                "line": {"color": "#6a737d", "width": 0 if boxes else 1},
            },
            "name": "nodes",
        },
    ]
    annotations = (
        [
            {
                "x": x,
                "y": y,
                "text": html_text.escape(label),
                "showarrow": False,
                "bgcolor": color,
                "bordercolor": "#8b949e" if n.get("op") != "scope" else "#4a7ab5",
                "borderwidth": 1,
                "borderpad": 3,
                "font": {"size": 11, "color": "#1f2328"},
                "captureevents": False,
            }
            for x, y, label, color, n in zip(xs, ys, labels, colors, nodes)
        ]
        if boxes
        else []
    )
    every_x = [x for path in lay.paths.values() for x, _ in path] + xs
    x_lo, x_hi = min(every_x, default=0.0), max(every_x, default=0.0)
    height = int(min(max(320, 58 * lay.layers + 40), 1600))
    layout = {
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "showlegend": False,
        "hovermode": "closest",
        "hoverlabel": {"align": "left", "bgcolor": "#ffffff", "font": {"size": 11}},
        "dragmode": "pan",
        "xaxis": {"visible": False, "range": [x_lo - 0.7, x_hi + 0.7]},
        "yaxis": {"visible": False, "autorange": "reversed"},
        "annotations": annotations,
        "height": height,
        "uirevision": card,
    }
    return {"data": data, "layout": layout}, len(lay.edges)


class GraphCard(StateCard):
    """The model graph of a run, in layers, with name scopes folded beyond a size."""

    name = "model_graph"
    max_nodes = 60

    def default_definition(self, tag: str, kind: str) -> dict:
        d = super().default_definition(tag, kind)
        d["tab"] = "graphs"
        d["title"] = {GRAPH_TAG: "model graph", ONNX_GRAPH_TAG: "ONNX graph"}.get(tag, tag)
        return d

    def _nodes(self, ctx: CardContext, run_value) -> tuple[Any, list | str]:
        refs = ctx.series
        key = run_key_from_value(run_value) if run_value else None
        ref = next((r for r in refs if (r.source, r.run) == key), refs[0] if refs else None)
        if ref is None:
            return None, "no graph in the visible runs"
        (steps,) = series_steps(ctx, [ref])
        row = pick_row(steps, None)
        if row is None:
            return ref, "no graph at or before this step"
        raw = read_value(ctx, ref, row)
        try:
            doc = None if raw is None else array_to_json(raw)
        except ValueError as exc:
            return ref, f"cannot read this graph: {exc}"
        nodes = doc.get("nodes") if isinstance(doc, Mapping) else None
        if not isinstance(nodes, list) or not all(isinstance(n, Mapping) and "name" in n for n in nodes):
            return ref, "cannot draw this graph: expected {'nodes': [{'name', 'op', 'inputs', 'attr'}]}"
        return ref, nodes

    def view(self, ctx: CardContext, run_value, depth, options) -> dict:
        """Figure, depth options and info line for a run, a scope depth ("auto", "all" or a number)."""
        ref, nodes = self._nodes(ctx, run_value)
        out = {"depth_options": [{"label": "auto", "value": "auto"}], "info": ""}
        if isinstance(nodes, str):
            return {**out, "figure": message_figure(nodes)}
        hide = frozenset() if "constants" in (options or []) else CONSTANT_OPS
        deepest = max((str(n["name"]).count("/") for n in nodes if n.get("op") not in hide), default=0)
        out["depth_options"] += [{"label": f"scopes to depth {d}", "value": d} for d in range(1, deepest)]
        out["depth_options"].append({"label": "every node", "value": "all"})
        if depth == "all":
            chosen = None
        elif isinstance(depth, int) and depth >= 1:
            chosen = depth
        else:
            chosen = default_depth(nodes, self.max_nodes, hide=hide)
        shown = collapse_scopes(nodes, chosen, hide=hide)
        figure, n_edges = graph_figure(shown, card=f"{ctx.card_id}|{chosen}|{sorted(hide)}")
        total = sum(1 for n in nodes if n.get("op") not in hide)
        folded = f" · scopes folded to depth {chosen}" if chosen is not None else ""
        out.update(
            figure=figure,
            info=f"{ctx.label(ref)} · {total} nodes{folded} · {len(shown)} shown · {n_edges} edges"
            + (" · constants hidden" if hide else ""),
        )
        return out

    def render(self, ctx: CardContext) -> CardContent:
        cid = ctx.card_id
        runs, _ = run_dropdown(ctx, ctx.series, "graph-run")
        v = self.view(ctx, runs.value, "auto", [])
        controls = html.Div(
            [
                runs,
                dcc.Dropdown(
                    id=card_id("graph-depth", cid),
                    options=v["depth_options"],
                    value="auto",
                    clearable=False,
                    searchable=False,
                    className="card-axis-select",
                    persistence=True,
                ),
                dcc.Checklist(
                    id=card_id("graph-options", cid),
                    options=[{"label": " constants and parameters", "value": "constants"}],
                    value=[],
                    persistence=True,
                ),
            ],
            className="card-controls",
        )
        body = html.Div(
            [
                controls,
                dcc.Graph(
                    id=card_id("graph-graph", cid),
                    figure=v["figure"],
                    config={**GRAPH_CONFIG, "scrollZoom": True},
                    className="card-graph",
                ),
                html.Div(v["info"], id=card_id("graph-info", cid), className="card-info"),
            ]
        )
        return CardContent(body=body, state=self.initial_state(ctx))

    def register_callbacks(self, app) -> None:
        @app.callback(
            Output(card_id("graph-graph", MATCH), "figure"),
            Output(card_id("graph-depth", MATCH), "options"),
            Output(card_id("graph-info", MATCH), "children"),
            Input(card_id("card-state", MATCH), "data"),
            Input(card_id("graph-run", MATCH), "value"),
            Input(card_id("graph-depth", MATCH), "value"),
            Input(card_id("graph-options", MATCH), "value"),
            *VIEW_STATES,
            prevent_initial_call=True,
        )
        @in_card_context(app, outputs=3)
        def draw(context, _state, run_value, depth, options):
            v = self.view(context, run_value, depth, options)
            return v["figure"], v["depth_options"], v["info"]
