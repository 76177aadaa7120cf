"""The page's components: header, explorer sidebar, tabs and the card frame. No callbacks here."""

from __future__ import annotations

import json
from collections.abc import Sequence

from dash import dcc, html

from .library import Snapshot
from .page import CardModel
from .services.smoothing import DEFAULT_WEIGHT
from .settings import MAX_SMOOTHING, ViewSettings
from .ticks import stamp_state

__all__ = ["card_frame", "database_list", "page_layout"]


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
    databases, tab_children, tab, banner, sort_opts, hparam_opts = [], [], None, [], [], []
    runs = ([], [], [], "", 0)
    cards, page_info, pager_style, tag_error, run_error = [], "", {"display": "none"}, "", ""
    if first is not None:
        version = first.version
        databases, tab_children, tab, banner, sort_opts, hparam_opts = first.explorer
        runs = first.runs
        cards, page_info, pager_style, tag_error, run_error = first.cards
        low, high = first.steps
    run_options, run_checked, run_rows, run_info, run_page = runs
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
                        html.Button("all", id="runs-all", className="link-button", title="show every run"),
                        html.Button("none", id="runs-none", className="link-button", title="hide every run"),
                        html.Span("matches:", className="run-buttons-label"),
                        html.Button(
                            "show",
                            id="runs-show",
                            className="link-button",
                            title="show the runs the filter matches",
                        ),
                        html.Button(
                            "hide",
                            id="runs-hide",
                            className="link-button",
                            title="hide the runs the filter matches",
                        ),
                        html.Button(
                            "only",
                            id="runs-only",
                            className="link-button",
                            title="show only the runs the filter matches",
                        ),
                    ],
                    className="run-buttons",
                ),
                html.Div(
                    [
                        dcc.Dropdown(
                            id="run-sort",
                            options=sort_opts or [{"label": "name", "value": "name"}],
                            value="name",
                            clearable=False,
                            searchable=True,
                            className="run-sort-by",
                        ),
                        dcc.Checklist(
                            id="run-sort-desc", options=[{"label": " desc", "value": "desc"}], value=[]
                        ),
                    ],
                    className="run-sort",
                    title="sort the runs by name, by the last value of a tag or by an hparam",
                ),
                dcc.Checklist(
                    id="runs",
                    options=run_options,
                    value=run_checked,
                    className="runs",
                    labelClassName="run-label",
                ),
                html.Div(
                    [
                        html.Button("‹", id="run-page-prev", className="link-button", title="previous runs"),
                        html.Span(run_info, id="run-info", className="run-info"),
                        html.Button("›", id="run-page-next", className="link-button", title="next runs"),
                    ],
                    className="run-pager",
                ),
                dcc.Store(id="run-selection", data={"only": False, "runs": []}),
                dcc.Store(id="run-rows", data=run_rows),
                dcc.Store(id="run-page", data=run_page),
                # the run hovered in the list and the runs pinned there, drawn over density pictures
                dcc.Store(id="run-hover", data=None),
                dcc.Store(id="run-pins", data=[]),
                dcc.Store(id="overlay-request", data=None),
            ),
            _section(
                "Group runs",
                dcc.Input(
                    id="group-pattern",
                    type="text",
                    placeholder="regex with a capture, e.g. lr=([0-9.]+)",
                    debounce=0.3,
                    className="text-input",
                ),
                dcc.Dropdown(
                    id="group-hparam",
                    options=hparam_opts,
                    value=None,
                    placeholder="or an hparam",
                    className="group-hparam",
                ),
                dcc.RadioItems(
                    id="group-center",
                    options=[{"label": " mean", "value": "mean"}, {"label": " median", "value": "median"}],
                    value=settings.center,
                    className="radio-row",
                ),
                dcc.RadioItems(
                    id="group-spread",
                    options=[{"label": " min–max", "value": "minmax"}, {"label": " ± std", "value": "std"}],
                    value=settings.spread,
                    className="radio-row",
                ),
                html.Div("", id="group-error", className="filter-error"),
                dcc.Store(id="group-click", data=None),
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
        # bumped by each page of cards drawn: redraw then draws anew the cards drawn for other settings
        dcc.Store(id="cards-rendered", data=0),
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
