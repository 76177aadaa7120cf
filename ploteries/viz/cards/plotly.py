"""The generic card: any Plotly figure template of a figure definition, filled with the series it binds.

Each trace template is expanded per matched series (:func:`~ploteries.figures.expand_traces`), read
(rewind-aware: nothing past the global step), filled (:func:`~ploteries.figures.fill_trace`) and drawn.
Line traces over steps get the scalar cards' treatment: smoothed on the full series (with the raw line faint
behind) when the definition's ``options.smoothing`` is not false, then min/max downsampled for the screen.
Live: the card keeps the fingerprint and row count of every series it drew and is redrawn when one changes.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ploteries.figures import (
    expand_traces,
    fill_trace,
    instance_columns,
    parse_reference,
    read_kwargs,
)

from ..scalar_traces import DEFAULT_BUDGET
from ..services.downsampling import minmax_downsample
from ..services.smoothing import smooth_ema
from ..services.xaxis import x_title
from .base import CardContent, CardContext, CardType, CardUpdate, deep_merge
from .common import base_layout, graph_body

__all__ = ["PlotlyCard", "line_columns", "series_state"]

_LINE_TYPES = ("scatter", "scattergl")
_ORDERED = ("step", "wall_time")


def _bound_column(template: Mapping, key: str) -> str | None:
    ref = parse_reference(template.get(key)) if isinstance(template.get(key), str) else None
    return None if ref is None else ref[1]


def is_line_trace(template: Mapping) -> bool:
    """A line over steps (or time): what smoothing and downsampling apply to.

    Examples
    --------
    >>> is_line_trace({"type": "scatter", "mode": "lines", "x": "$a.step", "y": "$a.value"})
    True
    >>> is_line_trace({"type": "bar", "x": "$a.step", "y": "$a.value"})
    False
    """
    mode = str(template.get("mode", "lines"))
    return (
        template.get("type", "scatter") in _LINE_TYPES
        and "lines" in mode
        and _bound_column(template, "x") in _ORDERED
        and _bound_column(template, "y") is not None
    )


def line_columns(
    columns: dict, x: str, y: str, *, weight: float, budget: int = DEFAULT_BUDGET
) -> tuple[dict, dict | None]:
    """The columns of a line trace smoothed (on all rows) and downsampled: ``(smoothed, raw)``.

    ``raw`` is None without smoothing. Other columns are cut to the same rows.

    Examples
    --------
    >>> cols = {"step": np.arange(5), "value": np.array([1.0, 0.5, 0.0, 0.5, 1.0])}
    >>> smoothed, raw = line_columns(cols, "step", "value", weight=0.6)
    >>> smoothed["value"].round(4).tolist()[:2], raw["value"].tolist()[:2]
    ([1.0, 0.6875], [1.0, 0.5])
    """
    values = np.asarray(columns[y], dtype=np.float64)
    raw = None
    if weight > 0 and values.ndim == 1:
        raw = dict(columns)
        columns = {**columns, y: smooth_ema(values, weight)}

    def cut(cols: dict) -> dict:
        n = len(cols[y])
        if n <= budget:
            return cols
        idx = minmax_downsample(cols[x], cols[y], budget)
        return {k: (v[idx] if isinstance(v, np.ndarray) and len(v) == n else v) for k, v in cols.items()}

    return cut(columns), (None if raw is None else cut(raw))


def series_state(ctx: CardContext) -> dict:
    """``{series key: [fingerprint, count]}`` of every series the card binds: what the live check compares."""
    out = {}
    for refs in ctx.bound.values():
        for ref in refs:
            info = ctx.snapshot.info(ref.key)
            if info is not None:
                out["\x1f".join(ref.key)] = [info.fingerprint, info.count]
    return out


class PlotlyCard(CardType):
    """Any Plotly figure template, bound to series by a figure definition (see docs/figures.md)."""

    name = "plotly"
    kinds = ()
    budget = DEFAULT_BUDGET

    def _read(self, ctx: CardContext, instance) -> list:
        records = []
        stop = ctx.settings.stop
        for ref in instance.series:
            info = ctx.snapshot.info(ref.key)
            db = ctx.library.database(ref.source)
            if info is None or db is None:
                raise KeyError(f"series {ref.run}/{ref.tag} is gone")
            kwargs = read_kwargs(instance.spec, info)
            if stop is not None:
                kwargs.pop("from_row", None)  # "latest" while rewound: the last record before the step
                kwargs["stop"] = stop if kwargs.get("stop") is None else min(stop, kwargs["stop"])
            records.append(db.read(ref.run, ref.tag, ref.part, **kwargs))
        return records

    def figure(self, ctx: CardContext) -> dict:
        definition = ctx.definition
        smoothing = (
            ctx.settings.smoothing if (definition.get("options") or {}).get("smoothing", True) else 0.0
        )
        refs = [r for refs in ctx.bound.values() for r in refs]
        data: list[dict] = []
        for instance in expand_traces(definition, refs):
            if instance.binding is None:
                data.append(dict(instance.template))
                continue
            columns = instance_columns(instance, self._read(ctx, instance))
            context = dict(instance.context)
            aggregated = instance.spec is not None and instance.spec.get("aggregate") == "runs"
            if not aggregated:
                context["run"] = ctx.label(instance.series[0])
            template = instance.template
            traces = []
            if is_line_trace(template) and instance.spec.get("steps") != "latest":
                x, y = _bound_column(template, "x"), _bound_column(template, "y")
                smoothed, raw = line_columns(columns, x, y, weight=smoothing, budget=self.budget)
                if raw is not None and not aggregated and "fill" not in template:
                    faint = fill_trace(template, raw, context)
                    faint.update(opacity=0.28, hoverinfo="skip", showlegend=False)
                    traces.append(faint)
                traces.append(fill_trace(template, smoothed, context))
            else:
                traces.append(fill_trace(template, columns, context))
            if not aggregated:
                for trace in traces:
                    _default_color(trace, ctx.color(instance.series[0]))
            data += traces
        layout = base_layout(ctx.card_id, ctx.settings, x_title("step"))
        layout["showlegend"] = True
        layout["legend"] = {"orientation": "h", "y": -0.25, "font": {"size": 10}}
        layout["margin"]["b"] = 60
        layout = deep_merge(layout, (definition.get("figure") or {}).get("layout") or {})
        return _checked({"data": data, "layout": layout})

    def render(self, ctx: CardContext) -> CardContent:
        figure = self.figure(ctx)
        body = graph_body(ctx.card_id, figure, height=300)
        return CardContent(
            body=body, state={"card": self.name, "sig": ctx.settings.signature, "series": series_state(ctx)}
        )

    def refresh(self, ctx: CardContext, state: dict, *, live: bool) -> CardUpdate | None:
        current = series_state(ctx)
        if (
            live
            and isinstance(state, Mapping)
            and state.get("sig") == ctx.settings.signature
            and state.get("series") == current
        ):
            return None
        if live and ctx.settings.step is not None and state.get("sig") == ctx.settings.signature:
            return None  # rewound: a fixed past
        return CardUpdate(
            figure=self.figure(ctx),
            state={"card": self.name, "sig": ctx.settings.signature, "series": current},
        )


_COLORED_BY = {
    "bar": "marker",
    "histogram": "marker",
    "box": "marker",
    "violin": "marker",
    "scatter3d": "marker",
}


def _default_color(trace: dict, color: str) -> None:
    """Give a trace its run's colour unless the template chose one (types without a colour are left alone)."""
    kind = trace.get("type", "scatter")
    if kind in _LINE_TYPES:
        style = "line" if "lines" in str(trace.get("mode", "lines")) else "marker"
    else:
        style = _COLORED_BY.get(kind)
    if style is not None and isinstance(trace.setdefault(style, {}), dict):
        trace[style].setdefault("color", color)


def _checked(figure: dict) -> dict:
    """The figure, after Plotly's own validation (an unknown property raises ValueError naming it)."""
    import plotly.graph_objects as go

    go.Figure(figure)  # validates; the dict (numpy arrays kept) is what the browser gets
    return figure
