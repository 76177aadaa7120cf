"""What every card type shares: the graph and its layout, values ready for JSON, messages, callback glue.

- :data:`GRAPH_CONFIG`, :func:`graph_body`, :func:`base_layout`: a card's Plotly graph and the layout every graph
  card starts from.
- :func:`json_x` / :func:`json_y`: array values as the figure's JSON carries them.
- :func:`message_annotation` / :func:`message_figure`: what a graph shows when it has nothing to draw.
- :func:`in_card_context`: the preamble of a card type's own callbacks (find the card's context from the page's
  :data:`~ploteries.viz.ids.VIEW_STATES`, or update nothing when the card is no longer on the page).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dash
import numpy as np
from dash import dcc, no_update

from ..ids import VIEW_STATES

__all__ = [
    "GRAPH_CONFIG",
    "base_layout",
    "graph_body",
    "in_card_context",
    "json_x",
    "json_y",
    "message_annotation",
    "message_figure",
    "no_updates",
]

GRAPH_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def json_x(x: np.ndarray) -> np.ndarray | list:
    """x values ready for JSON: dates as ISO strings, numbers as they are.

    Examples
    --------
    >>> json_x(np.array(["2026-01-02T03:04:05.006"], dtype="datetime64[ms]"))
    ['2026-01-02T03:04:05.006']
    """
    if np.issubdtype(x.dtype, np.datetime64):
        return np.datetime_as_string(x, unit="ms").tolist()
    return x


def json_y(y: np.ndarray) -> np.ndarray:
    """y values ready for JSON: float32 (8 significant digits: a third of the bytes) unless out of its range.

    Examples
    --------
    >>> json_y(np.array([0.1, 1e300])).dtype, json_y(np.array([0.1, 2.0])).dtype
    (dtype('float64'), dtype('float32'))
    """
    finite = np.abs(y[np.isfinite(y)])
    if finite.size and (finite.max() > 1e38 or (finite[finite > 0].min(initial=1.0) < 1e-37)):
        return y
    return y.astype(np.float32)


def graph_body(card_id: str, figure: dict, *, height: int = 270) -> dcc.Graph:
    """The body of a graph card: the graph the shared refresh callback updates (``{"type": "card-graph"}``)."""
    return dcc.Graph(
        id={"type": "card-graph", "card": card_id},
        figure=figure,
        config=GRAPH_CONFIG,
        className="card-graph",
        style={"height": f"{height}px"},
    )


def base_layout(card_id: str, settings, x_axis_title: str) -> dict:
    """The layout every graph card starts from (a definition's own layout is merged over it)."""
    return {
        "margin": {"l": 52, "r": 12, "t": 8, "b": 40},
        "showlegend": False,
        "hovermode": "closest",
        "hoverlabel": {"namelength": -1},
        "plot_bgcolor": "#ffffff",
        "paper_bgcolor": "#ffffff",
        "font": {"size": 11, "family": "Inter, system-ui, sans-serif", "color": "#333"},
        "xaxis": {"title": {"text": x_axis_title}, "gridcolor": "#eceff3", "zeroline": False},
        "yaxis": {"gridcolor": "#eceff3", "zeroline": False, "type": "log" if settings.log_y else "linear"},
        # keeps the user's zoom across redraws, reset when the axes change meaning
        "uirevision": f"{card_id}|{settings.xmode}|{settings.log_y}",
    }


def message_annotation(text: str) -> dict:
    """A grey note in the middle of a graph (``layout.annotations`` entry)."""
    return {
        "text": text,
        "showarrow": False,
        "xref": "paper",
        "yref": "paper",
        "x": 0.5,
        "y": 0.5,
        "font": {"size": 12, "color": "#6a737d"},
    }


def message_figure(text: str) -> dict:
    """An empty figure saying ``text`` in its middle (no axes).

    Examples
    --------
    >>> message_figure("no data")["layout"]["annotations"][0]["text"]
    'no data'
    """
    axis = {"visible": False}
    return {
        "data": [],
        "layout": {
            "xaxis": axis,
            "yaxis": axis,
            "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
            "plot_bgcolor": "#ffffff",
            "paper_bgcolor": "#ffffff",
            "annotations": [message_annotation(text)],
        },
    }


def no_updates(outputs: int) -> Any:
    """What a callback of ``outputs`` outputs returns to update none of them.

    Examples
    --------
    >>> no_updates(1) is dash.no_update, len(no_updates(3))
    (True, 3)
    """
    return no_update if outputs == 1 else (no_update,) * outputs


def in_card_context(app, outputs: int = 1) -> Callable[[Callable], Callable]:
    """Decorate a card type's callback whose last states are :data:`~ploteries.viz.ids.VIEW_STATES`.

    The decorated function is called with the card's :class:`~ploteries.viz.cards.base.CardContext` (of the
    card that triggered the callback) in place of those values, followed by the callback's other values; when
    the card is no longer on the page (its tab, filters or runs changed meanwhile) none of the ``outputs`` is
    updated and the function is not called.

    Examples
    --------
    >>> @app.callback(Output(card_id("mesh-info", MATCH), "children"),   # doctest: +SKIP
    ...               Input(card_id("mesh-run", MATCH), "value"), *VIEW_STATES)
    ... @in_card_context(app)
    ... def info(context, run):
    ...     return f"{len(context.series)} series"
    """
    n_view = len(VIEW_STATES)

    def decorate(draw: Callable) -> Callable:
        def callback(*args):
            values, view = args[:-n_view], args[-n_view:]
            context = app.viewer.card_context(dash.ctx.triggered_id["card"], *view)
            return no_updates(outputs) if context is None else draw(context, *values)

        callback.__name__, callback.__qualname__, callback.__doc__ = (
            draw.__name__,
            draw.__qualname__,
            draw.__doc__,
        )
        return callback

    return decorate
