"""The mesh card: ``add_mesh`` data in 3-D (``mesh3d`` with faces, else a ``scatter3d`` point cloud).

Vertex colours are applied when logged (else the run's colour); a step slider per card (following the latest
record live, rewound with the global step slider) and a batch index when ``B > 1``; a run choice when several
runs logged the tag. The camera stays where the user put it across redraws.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from dash import MATCH, Input, Output, State, dcc, html
from dash import ctx as dash_ctx

from ..ids import VIEW_STATES, card_id
from ..settings import run_key_from_value
from .base import CardContent, CardContext
from .common import GRAPH_CONFIG, in_card_context, message_figure
from .stateful import (
    STEP_PROPS,
    StateCard,
    choose_step,
    read_value,
    run_dropdown,
    series_steps,
    step_outputs,
    step_slider,
    value_at_step,
)

__all__ = ["MeshCard", "hex_colors", "mesh_figure", "mesh_trace"]

_HEX = np.array([f"{i:02x}" for i in range(256)])


def hex_colors(rgb: np.ndarray) -> list[str]:
    """``#rrggbb`` strings of ``(N, 3)`` uint8 colours.

    Examples
    --------
    >>> hex_colors(np.array([[255, 0, 16]], np.uint8))
    ['#ff0010']
    """
    rgb = np.asarray(rgb).astype(np.uint8).reshape(-1, 3)
    return ("#" + np.char.add(np.char.add(_HEX[rgb[:, 0]], _HEX[rgb[:, 1]]), _HEX[rgb[:, 2]])).tolist()


def _point_size(config: Mapping | None) -> float:
    material = (config or {}).get("material") if isinstance(config, Mapping) else None
    size = material.get("size") if isinstance(material, Mapping) else None
    return float(size) if isinstance(size, int | float) and 0 < size < 50 else 3.0


def mesh_trace(
    vertices: np.ndarray,
    colors: np.ndarray | None = None,
    faces: np.ndarray | None = None,
    *,
    color: str = "#1f77b4",
    config: Mapping | None = None,
) -> dict[str, Any]:
    """One Plotly trace: ``mesh3d`` when ``faces`` (``(F, 3)`` vertex indices) are given, else ``scatter3d`` points.

    ``vertices`` is ``(N, 3)``; ``colors`` ``(N, 3)`` uint8 per vertex (else ``color`` for all).

    Examples
    --------
    >>> v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], np.float32)
    >>> t = mesh_trace(v, faces=np.array([[0, 1, 2]]))
    >>> t["type"], t["i"], t["color"]
    ('mesh3d', [0], '#1f77b4')
    >>> mesh_trace(v, colors=np.full((3, 3), 255, np.uint8))["marker"]["color"][:1]
    ['#ffffff']
    """
    vertices = np.asarray(vertices, np.float64)
    if vertices.ndim != 2 or vertices.shape[1] != 3:
        raise ValueError(f"vertices must have shape (N, 3), got {vertices.shape}")
    n = len(vertices)
    if colors is not None and np.asarray(colors).shape != (n, 3):
        raise ValueError(f"colors must have shape ({n}, 3) like the vertices, got {np.asarray(colors).shape}")
    finite = np.where(np.isfinite(vertices), vertices, np.nan)
    trace: dict[str, Any] = {
        "x": finite[:, 0].tolist(),
        "y": finite[:, 1].tolist(),
        "z": finite[:, 2].tolist(),
    }
    vertex_colors = None if colors is None else hex_colors(colors)
    if faces is not None and len(faces):
        faces = np.asarray(faces)
        if faces.ndim != 2 or faces.shape[1] != 3:
            raise ValueError(f"faces must have shape (F, 3), got {faces.shape}")
        if faces.min() < 0 or faces.max() >= n:
            raise ValueError(
                f"faces index vertices in [{faces.min()}, {faces.max()}] but there are {n} vertices"
            )
        trace.update(
            type="mesh3d",
            i=faces[:, 0].astype(int).tolist(),
            j=faces[:, 1].astype(int).tolist(),
            k=faces[:, 2].astype(int).tolist(),
            flatshading=False,
            lighting={"ambient": 0.55, "diffuse": 0.75, "specular": 0.15, "roughness": 0.6},
            hovertemplate="x %{x:.4g}<br>y %{y:.4g}<br>z %{z:.4g}<extra></extra>",
        )
        if vertex_colors is not None:
            trace["vertexcolor"] = vertex_colors
        else:
            trace["color"] = color
        return trace
    trace.update(
        type="scatter3d",
        mode="markers",
        marker={"size": _point_size(config), "color": vertex_colors or color, "line": {"width": 0}},
        hovertemplate="x %{x:.4g}<br>y %{y:.4g}<br>z %{z:.4g}<extra></extra>",
    )
    return trace


def mesh_figure(trace: dict, card: str) -> dict:
    """The figure around a mesh trace: equal axis scales, a quiet scene, the camera kept across redraws."""
    axis = {"showbackground": True, "backgroundcolor": "#f7f8fa", "gridcolor": "#e3e6ea", "zeroline": False}
    return {
        "data": [trace],
        "layout": {
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
            "paper_bgcolor": "#ffffff",
            "font": {"size": 11, "family": "Inter, system-ui, sans-serif", "color": "#333"},
            "scene": {
                "aspectmode": "data",
                "xaxis": axis,
                "yaxis": axis,
                "zaxis": axis,
                "camera": {"eye": {"x": 1.55, "y": 1.55, "z": 1.05}},
            },
            "uirevision": card,
            "showlegend": False,
        },
    }


class MeshCard(StateCard):
    """3-D meshes and point clouds, one run at a time, with a step slider and a batch index."""

    name = "mesh"
    full_plotly = True

    def default_definition(self, tag: str, kind: str) -> dict:
        d = super().default_definition(tag, kind)
        d["series"]["y"]["part"] = "vertices"
        return d

    def render(self, ctx: CardContext) -> CardContent:
        cid = ctx.card_id
        runs, _ = run_dropdown(ctx, ctx.series, "mesh-run")
        view = self.view(ctx, runs.value, None, None, None)
        controls = html.Div(
            [
                runs,
                dcc.Dropdown(
                    id=card_id("mesh-batch", cid),
                    options=view["batch_options"],
                    value=0,
                    clearable=False,
                    searchable=False,
                    className="card-batch-select",
                    style=view["batch_style"],
                ),
            ],
            className="card-controls",
        )
        slider = step_slider("mesh", cid, view)
        body = html.Div(
            [
                controls,
                dcc.Graph(
                    id=card_id("mesh-graph", cid),
                    figure=view["figure"],
                    config=GRAPH_CONFIG,
                    className="card-graph",
                    style={"height": "340px"},
                ),
                slider,
                html.Div(view["info"], id=card_id("mesh-info", cid), className="card-info"),
            ]
        )
        return CardContent(body=body, state=self.initial_state(ctx))

    def view(self, ctx: CardContext, run_value, batch, wanted, old_max) -> dict:
        """Everything the body shows for a run, batch index and chosen step (pure over the stored data)."""
        refs = ctx.series
        key = run_key_from_value(run_value) if run_value else None
        ref = next((r for r in refs if (r.source, r.run) == key), refs[0] if refs else None)
        out: dict[str, Any] = {
            "min": 0,
            "max": 1,
            "value": 0,
            "marks": {},
            "style": {"display": "none"},
            "batch_options": [{"label": "batch item 0", "value": 0}],
            "batch_style": {"display": "none"},
            "info": "",
        }
        if ref is None:
            return {**out, "figure": message_figure("no mesh in the visible runs")}
        (steps,) = series_steps(ctx, [ref])
        if len(steps) == 0:
            return {**out, "figure": message_figure("no mesh at or before this step")}
        row, shown, props = choose_step(steps, wanted, old_max)
        out.update(props)
        vertices = read_value(ctx, ref, row)
        if vertices is None:
            return {**out, "figure": message_figure("this mesh is no longer in the database")}
        if vertices.ndim != 3 or vertices.shape[2] != 3:
            return {**out, "figure": message_figure(f"cannot draw vertices of shape {vertices.shape}")}
        b = vertices.shape[0]
        index = int(batch) if isinstance(batch, int | float) and 0 <= int(batch) < b else 0
        colors = value_at_step(ctx, ref, "colors", shown)
        faces = value_at_step(ctx, ref, "faces", shown)
        config = (ref.info.meta or {}).get("config")
        try:
            trace = mesh_trace(
                vertices[index],
                None if colors is None or colors.shape[:2] != vertices.shape[:2] else colors[index],
                None if faces is None or faces.shape[0] != b else faces[index],
                color=ctx.color(ref),
                config=config,
            )
        except ValueError as exc:
            return {**out, "figure": message_figure(f"cannot draw this mesh: {exc}")}
        n_faces = len(trace.get("i") or [])
        out.update(
            figure=mesh_figure(trace, ctx.card_id),
            batch_options=[{"label": f"batch item {i}", "value": i} for i in range(b)],
            batch_style={} if b > 1 else {"display": "none"},
            info=f"{ctx.label(ref)} · step {shown} · {vertices.shape[1]:,} vertices"
            + (f" · {n_faces:,} faces" if n_faces else " · points")
            + (f" · item {index} of {b}" if b > 1 else ""),
        )
        return out

    def register_callbacks(self, app) -> None:
        @app.callback(
            Output(card_id("mesh-graph", MATCH), "figure"),
            *step_outputs("mesh"),
            Output(card_id("mesh-batch", MATCH), "options"),
            Output(card_id("mesh-batch", MATCH), "style"),
            Output(card_id("mesh-info", MATCH), "children"),
            Input(card_id("card-state", MATCH), "data"),
            Input(card_id("mesh-run", MATCH), "value"),
            Input(card_id("mesh-batch", MATCH), "value"),
            Input(card_id("mesh-step", MATCH), "value"),
            State(card_id("mesh-step", MATCH), "max"),
            *VIEW_STATES,
            prevent_initial_call=True,
        )
        @in_card_context(app, outputs=9)
        def draw(context, _state, run_value, batch, step, old_max):
            by_user = (
                isinstance(dash_ctx.triggered_id, Mapping)
                and dash_ctx.triggered_id.get("type") == "mesh-step"
            )
            v = self.view(context, run_value, batch, step, None if by_user else old_max)
            return (
                v["figure"],
                *(v[k] for k in STEP_PROPS),
                v["batch_options"],
                v["batch_style"],
                v["info"],
            )
