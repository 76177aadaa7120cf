"""The page's components: header, explorer sidebar, tabs and the card frame. No callbacks here."""

from __future__ import annotations

import json
from collections.abc import Sequence

from dash import dcc, html

from .library import Snapshot
from .page import CardModel
from .services.smoothing import DEFAULT_WEIGHT
from .settings import MAX_SMOOTHING, ViewSettings, run_key_value
from .ticks import stamp_state

__all__ = ["card_frame", "database_list", "page_layout", "run_options"]


def _section(title: str, *children, class_name: str = "") -> html.Div:
    return html.Div(
        [html.Div(title, className="section-title"), *children], className=f"section {class_name}"
    )


def _filter_input(what: str, error="") -> list:
    """A regex filter box and the line where an invalid pattern is flagged."""
    return [
        dcc.Input(
            id=f"{what}-filter",
            type="text",
            placeholder=f"filter {what}s (regex)",
            debounce=0.3,
            className="text-input",
        ),
        html.Div(error, id=f"{what}-filter-error", className="filter-error"),
    ]


def page_layout(roots: Sequence[str], reload_interval: float, first=None) -> html.Div:
    """The whole page, with the explorer and the first cards drawn in when ``first`` is given.

    ``first`` is a :class:`~ploteries.viz.app.FirstPage`; without it every dynamic part is left empty for the
    callbacks to fill.
    """
    settings = ViewSettings()
    version = None
    low, high = 0, 1
    databases, options, checked, tab_children, tab, banner = [], [], [], [], None, []
    cards, page_info, pager_style, tag_error, run_error = [], "", {"display": "none"}, "", ""
    if first is not None:
        version = first.version
        databases, options, checked, tab_children, tab, banner = first.explorer
        cards, page_info, pager_style, tag_error, run_error = first.cards
        low, high = first.steps
    header = html.Header(
        [
            html.Div(
                [html.Span("ploteries", className="brand"), html.Span(" · ".join(roots), className="roots")]
            ),
            html.Div(
                [
                    html.Span("live", id="status", className="status status-live"),
                    dcc.Checklist(
                        id="pause",
                        options=[{"label": " Pause", "value": "pause"}],
                        value=[],
                        className="pause",
                        inputClassName="pause-input",
                    ),
                ],
                className="header-right",
            ),
        ],
        className="header",
    )
    sidebar = html.Aside(
        [
            _section("Databases", html.Div(databases, id="databases", className="databases")),
            _section(
                "Runs",
                *_filter_input("run", run_error),
                html.Div(
                    [
                        html.Button("all", id="runs-all", className="link-button"),
                        html.Button("none", id="runs-none", className="link-button"),
                    ],
                    className="run-buttons",
                ),
                dcc.Checklist(
                    id="runs", options=options, value=checked, className="runs", labelClassName="run-label"
                ),
            ),
            _section(
                "Tags",
                *_filter_input("tag", tag_error),
            ),
            _section(
                "Smoothing",
                html.Div(
                    [
                        dcc.Slider(
                            id="smoothing",
                            min=0,
                            max=MAX_SMOOTHING,
                            step=0.001,
                            value=DEFAULT_WEIGHT,
                            marks={0: "0", 0.5: "0.5", MAX_SMOOTHING: "0.999"},
                            updatemode="mouseup",
                            tooltip={"placement": "bottom", "always_visible": False},
                        ),
                    ],
                    className="slider-box",
                ),
            ),
            _section(
                "Horizontal axis",
                dcc.RadioItems(
                    id="xmode",
                    options=[
                        {"label": " Step", "value": "step"},
                        {"label": " Relative", "value": "relative"},
                        {"label": " Wall", "value": "wall"},
                    ],
                    value=settings.xmode,
                    className="radio-row",
                ),
            ),
            _section(
                "Vertical axis",
                dcc.Checklist(
                    id="yflags",
                    options=[
                        {"label": " Log scale", "value": "log_y"},
                        {"label": " Ignore outliers", "value": "ignore_outliers"},
                    ],
                    value=[],
                ),
            ),
            _section(
                "Step",
                html.Div(
                    dcc.Slider(
                        id="step-slider",
                        min=low,
                        max=high,
                        step=1,
                        value=high,
                        marks=None,
                        updatemode="mouseup",
                    ),
                    className="slider-box",
                ),
                html.Div(
                    [
                        html.Span(id="step-value", className="step-value"),
                        html.Button("Back to live", id="live", className="live-button", disabled=True),
                    ],
                    className="step-row",
                ),
            ),
        ],
        className="sidebar",
    )
    main = html.Main(
        [
            html.Div(banner, id="banner", className="banner"),
            dcc.Tabs(
                id="tabs", value=tab, children=tab_children, className="tabs", parent_className="tabs-parent"
            ),
            html.Div(cards, id="cards", className="cards"),
            html.Div(
                [
                    html.Button("‹ previous", id="page-prev", className="page-button"),
                    html.Span(page_info, id="page-info", className="page-info"),
                    html.Button("next ›", id="page-next", className="page-button"),
                ],
                id="pager",
                className="pager",
                style=pager_style,
            ),
        ],
        className="main",
    )
    stores = [
        dcc.Store(id="version", data=version),
        dcc.Store(id="settings", data=settings.to_store()),
        dcc.Store(id="page", data=0),
        dcc.Interval(id="tick", interval=int(reload_interval * 1000), n_intervals=0),
        dcc.Store(id="tick-request", data=None),  # see ploteries.viz.ticks
        dcc.Store(id="tick-reply", data=None),
        dcc.Download(id="download"),
    ]
    return html.Div([header, html.Div([sidebar, main], className="body"), *stores], className="app")


def database_list(snapshot: Snapshot) -> list:
    """One line per file below the roots: runs and series, or the reason it cannot be read."""
    if not snapshot.sources:
        return [
            html.Div(
                "No databases yet. Point a SummaryWriter at a directory below the root.", className="empty"
            )
        ]
    items = []
    for s in snapshot.sources:
        if s.error is not None:
            items.append(
                html.Div(
                    [html.Div(s.source, className="db-name"), html.Div(s.error, className="db-error")],
                    className="db db-bad",
                    title=s.error,
                )
            )
        else:
            items.append(
                html.Div(
                    [
                        html.Div(s.source, className="db-name"),
                        html.Div(f"{len(s.runs)} runs · {len(s.series)} series", className="db-info"),
                    ],
                    className="db",
                )
            )
    return items


def run_options(snapshot: Snapshot, colors: dict) -> list[dict]:
    """Checklist options: a colour swatch and the run's label per run."""
    labels = snapshot.labels
    return [
        {
            "label": html.Span(
                [
                    html.Span(className="swatch", style={"background": colors[key]}),
                    html.Span(labels[key], className="run-name"),
                ],
                title=f"{key.source}: {key.run}",
            ),
            "value": run_key_value(key.source, key.run),
        }
        for key in snapshot.run_keys
    ]


def card_frame(model: CardModel, body, state: dict, *, downloads: bool) -> html.Div:
    """The frame around a card's body: title, downloads, the definition (to copy and edit), the state store."""
    cid = model.id
    actions = []
    if downloads:
        actions += [
            html.Button(
                fmt.upper(),
                id={"type": "card-download", "card": cid, "fmt": fmt},
                className="card-action",
                title=f"download this card's data as {fmt.upper()}",
            )
            for fmt in ("csv", "json")
        ]
    definition = {k: v for k, v in model.definition.items() if not k.startswith("_")}
    actions.append(
        html.Details(
            [
                html.Summary("{ }", title="the figure definition of this card"),
                html.Pre(json.dumps(definition, indent=2, ensure_ascii=False), className="definition"),
            ],
            className="card-definition",
        )
    )
    head = html.Div(
        [
            html.Div(model.title, className="card-title", title=model.title),
            html.Div(actions, className="card-actions"),
        ],
        className="card-head",
    )
    return html.Div(
        [
            head,
            body,
            dcc.Store(id={"type": "card-state", "card": cid}, data=stamp_state(state)),
            dcc.Store(id={"type": "card-zoom", "card": cid}),  # the graph's zooms (see ploteries.viz.ticks)
        ],
        className=f"card card-{model.definition.get('card') or 'plotly'}"
        + (" plotly-full" if model.card_type is not None and model.card_type.full_plotly else ""),
        id={"type": "card", "card": cid},
    )


def error_body(message: str) -> html.Div:
    return html.Div(message, className="card-error")
